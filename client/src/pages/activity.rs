//! The activity log: `/activity` for the person, and the same table for an
//! admin looking at one user (`/admin`).

use std::future::Future;

use jotpass_shared::{ActivityEvent, device_name};
use leptos::prelude::*;

use crate::{
    api::{ACTIVITY_PAGE, ApiError, AuthedApi},
    components::{Alert, Loading, failure, when},
    session::{authed, use_auth},
};

/// What an event's kind means to a person.
fn describe(kind: &str) -> &'static str {
    match kind {
        "login" => "Logged in with the password",
        "login_failed" => "Wrong password",
        "mfa_failed" => "Wrong two-factor code",
        "passkey_login" => "Logged in with a passkey",
        "refresh_reuse" => "A used refresh token came back: the session was signed out",
        "logout" => "Logged out",
        "session_revoked" => "Signed out a session",
        "password_changed" => "Changed the password",
        "password_reset" => "Reset the password with a mailed link",
        "totp_enabled" => "Turned two-factor authentication on",
        "totp_disabled" => "Turned two-factor authentication off",
        "recovery_codes_regenerated" => "Made new recovery codes",
        "passkey_added" => "Added a passkey",
        "passkey_removed" => "Removed a passkey",
        "email_changed" => "Confirmed a new e-mail address",
        "role_changed" => "Roles changed by an administrator",
        "force_logout" => "Signed out everywhere by an administrator",
        "account_deleted" => "Deleted the account",
        _ => "Something else",
    }
}

#[component]
pub(crate) fn ActivityPage() -> impl IntoView {
    let auth = use_auth();
    view! {
        <section class="card">
            <h1>"Activity"</h1>
            <p>"What happened to your account, newest first. Something you do not recognise? Change your password and sign out your other sessions."</p>
            <ActivityLog load=move |before| authed(auth, move |api: AuthedApi| api.activity(before))/>
        </section>
    }
}

/// A table of events, newest first, a page at a time ("Load more"); `load`
/// fetches the page before an event id.
#[component]
pub(crate) fn ActivityLog<F, Fut>(load: F) -> impl IntoView
where
    F: Fn(Option<i64>) -> Fut + Copy + 'static,
    Fut: Future<Output = Result<Vec<ActivityEvent>, ApiError>> + 'static,
{
    let events = RwSignal::new(Vec::<ActivityEvent>::new());
    let loaded = RwSignal::new(false);
    let more = RwSignal::new(false);
    let fetch = Action::new_unsync(move |before: &Option<i64>| {
        let before = *before;
        async move {
            let page = load(before).await?;
            more.set(page.len() == ACTIVITY_PAGE);
            events.update(|all| all.extend(page));
            loaded.set(true);
            Ok::<(), ApiError>(())
        }
    });
    // In the browser only: the first page.
    Effect::new(move |_| {
        fetch.dispatch(None);
    });
    let error = failure(fetch);
    view! {
        <Alert message=error/>
        {move || (!loaded.get() && error.get().is_none()).then(|| view! { <Loading/> })}
        {move || (loaded.get() && events.read().is_empty()).then(|| view! { <p>"Nothing yet."</p> })}
        <table class="activity" hidden=move || events.read().is_empty()>
            <thead><tr><th>"When"</th><th>"What"</th><th>"Address"</th><th>"Device"</th></tr></thead>
            <tbody>
                <For each=move || events.get() key=|e| e.id let:event>
                    <tr data-kind=event.kind.clone()>
                        <td>{when(&event.at)}</td>
                        <td>{describe(&event.kind)}</td>
                        <td>{event.ip.clone().unwrap_or_else(|| "-".to_owned())}</td>
                        <td title=event.user_agent.clone()>{device_name(event.user_agent.as_deref())}</td>
                    </tr>
                </For>
            </tbody>
        </table>
        {move || more.get().then(|| view! {
            <button type="button" class="secondary" disabled=move || fetch.pending().get()
                on:click=move |_| {
                    let oldest = events.read_untracked().last().map(|e| e.id);
                    fetch.dispatch(oldest);
                }>"Load more"</button>
        })}
    }
}
