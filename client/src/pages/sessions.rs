//! The person's sessions: where they are logged in, and signing out.

use jotpass_shared::device_name;
use leptos::prelude::*;

use crate::{
    api::{ApiError, AuthedApi},
    components::{Alert, failure, when, when_loaded},
    session::{self, authed, use_auth},
};

#[component]
pub(crate) fn SessionsPage() -> impl IntoView {
    let auth = use_auth();
    let sessions = LocalResource::new(move || authed(auth, AuthedApi::sessions));
    let sign_out = Action::new_unsync(move |(id, current): &(String, bool)| {
        let (id, current) = (id.clone(), *current);
        async move {
            if current {
                session::log_out(auth).await;
            } else {
                authed(auth, move |api| api.delete_session(id.clone())).await?;
                sessions.refetch();
            }
            Ok::<(), ApiError>(())
        }
    });
    let sign_out_others = Action::new_unsync(move |_: &()| async move {
        authed(auth, AuthedApi::delete_other_sessions).await?;
        sessions.refetch();
        Ok::<(), ApiError>(())
    });
    let (one_failed, others_failed) = (failure(sign_out), failure(sign_out_others));
    let error = Signal::derive(move || one_failed.get().or_else(|| others_failed.get()));

    view! {
        <section class="card">
            <h1>"Sessions"</h1>
            <p>"Every browser where you are logged in. Sign out any you do not recognise."</p>
            <Alert message=error/>
            {when_loaded(sessions, move |list| view! {
                    <ul class="sessions">
                        {list.into_iter().map(|s| {
                            let key = (s.id.clone(), s.current);
                            view! {
                                <li class:current=s.current>
                                    <div>
                                        <strong>{device_name(s.user_agent.as_deref())}</strong>
                                        {s.current.then(|| view! { <span class="badge">"This device"</span> })}
                                        <div class="meta">
                                            "Logged in "{when(&s.created_at)}" · last used "{when(&s.last_used_at)}
                                        </div>
                                    </div>
                                    <button type="button" class="secondary"
                                        on:click=move |_| { sign_out.dispatch(key.clone()); }>"Sign out"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
            })}
            <button type="button" class="danger" on:click=move |_| { sign_out_others.dispatch(()); }>
                "Sign out other sessions"
            </button>
        </section>
    }
}
