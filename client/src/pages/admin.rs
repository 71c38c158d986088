//! Administration: every user with their active sessions, a user's activity,
//! and signing a user out everywhere. Shown only to admins; anyone else gets a refusal.

use leptos::prelude::*;

use super::activity::ActivityLog;
use crate::{
    api::{ApiError, AuthedApi},
    components::{Alert, failure, when_loaded},
    session::{authed, use_auth},
};

#[component]
pub(crate) fn AdminPage() -> impl IntoView {
    let auth = use_auth();
    let is_admin = Memo::new(move |_| auth.is_admin());
    move || {
        if is_admin.get() {
            view! { <UsersTable/> }.into_any()
        } else {
            view! {
                <section class="card narrow">
                    <h1>"Admin"</h1>
                    <p role="alert" class="alert">"You do not have access to this page."</p>
                </section>
            }
            .into_any()
        }
    }
}

#[component]
fn UsersTable() -> impl IntoView {
    let auth = use_auth();
    let users = LocalResource::new(move || authed(auth, AuthedApi::admin_users));
    let revoke = Action::new_unsync(move |id: &String| {
        let id = id.clone();
        async move {
            authed(auth, move |api| api.admin_revoke_sessions(id.clone())).await?;
            users.refetch();
            Ok::<(), ApiError>(())
        }
    });
    let error = failure(revoke);
    // The user whose activity is shown below the table.
    let selected = RwSignal::new(None::<(String, String)>);
    view! {
        <section class="card">
            <h1>"Users"</h1>
            <Alert message=error/>
            {when_loaded(users, move |list| view! {
                    <table>
                        <thead><tr><th>"Username"</th><th>"Roles"</th><th>"Active sessions"</th><th>"Two-factor"</th><th>"Passkeys"</th><th></th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|u| {
                                let id = u.user.id.clone();
                                let who = (u.user.id.clone(), u.user.username.clone());
                                view! {
                                    <tr>
                                        <td>{u.user.username}</td>
                                        <td>{u.user.roles.join(", ")}</td>
                                        <td>{u.active_sessions}</td>
                                        <td>{if u.totp { "On" } else { "Off" }}</td>
                                        <td>{u.passkeys}</td>
                                        <td>
                                            <button type="button" class="secondary"
                                                on:click=move |_| selected.set(Some(who.clone()))>"Activity"</button>
                                            " "
                                            <button type="button" class="secondary"
                                                on:click=move |_| { revoke.dispatch(id.clone()); }>"Sign out everywhere"</button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
            })}
        </section>
        {move || selected.get().map(|(id, name)| {
            let id = StoredValue::new(id);
            view! {
                <section class="card" aria-labelledby="user-activity">
                    <h2 id="user-activity">"Activity of "{name}</h2>
                    <ActivityLog load=move |before| authed(auth, move |api| api.admin_activity(id.get_value(), before))/>
                </section>
            }
        })}
    }
}
