//! The person's sessions: where they are logged in, and signing out.

use leptos::prelude::*;

use crate::{
    api::{ApiError, AuthedApi},
    components::{Alert, failure, when_loaded},
    session::{self, authed, use_auth},
};

/// "Firefox on Linux"-style summary of a User-Agent, or the raw string.
fn describe(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent else {
        return "Unknown device".to_owned();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .into_iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| name);
    let os = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("Windows", "Windows"),
        ("Mac OS", "macOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_owned(),
        _ => ua.chars().take(60).collect(),
    }
}

fn when(rfc3339: &str) -> String {
    rfc3339.replace('T', " ").replace('Z', " UTC")
}

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
                                        <strong>{describe(s.user_agent.as_deref())}</strong>
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
