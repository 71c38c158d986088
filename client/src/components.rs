//! Pieces shared by the pages.

use leptos::prelude::*;
use leptos_router::{
    components::A,
    hooks::{use_location, use_navigate},
};

use crate::{
    api::ApiError,
    session::{self, use_auth},
};

/// The top bar: the app's name and, when logged in, the pages, the username
/// and "Log out".
#[component]
pub fn Header() -> impl IntoView {
    let auth = use_auth();
    let log_out = Action::new_unsync(move |_: &()| session::log_out(auth));
    view! {
        <header class="top">
            <A href="/" attr:class="brand">"jotpass"</A>
            {move || {
                auth.user.get().map(|user| view! {
                    <nav aria-label="Main">
                        <A href="/notes">"Notes"</A>
                        <A href="/sessions">"Sessions"</A>
                        <A href="/account">"Account"</A>
                        {auth.is_admin().then(|| view! { <A href="/admin">"Admin"</A> })}
                    </nav>
                    <span class="who">{user.username}</span>
                    <button type="button" class="secondary" on:click=move |_| { log_out.dispatch(()); }>
                        "Log out"
                    </button>
                })
            }}
        </header>
    }
}

/// Shows `children` to a logged-in person; sends anyone else to
/// `/login?next=<this page>`. Until the browser has read the session
/// (and on the server) it shows a placeholder.
#[component]
pub fn Protected(children: ChildrenFn) -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let location = use_location();
    Effect::new(move |_| {
        if auth.ready.get() && auth.user.get().is_none() {
            let here = location.pathname.get_untracked();
            navigate(&format!("/login?next={here}"), Default::default());
        }
    });
    // A memo, so that a new token for the same person (refresh, password
    // change) does not rebuild the page and lose what is on it.
    let allowed = Memo::new(move |_| auth.ready.get() && auth.user.get().is_some());
    move || {
        if allowed.get() {
            children().into_any()
        } else {
            view! { <p class="loading">"Loading…"</p> }.into_any()
        }
    }
}

/// A message for the person, announced by screen readers.
#[component]
pub fn Alert(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|m| view! { <p role="alert" class="alert">{m}</p> })
    }
}

/// A labelled single-line input bound to `value`, with an optional help line
/// (its id is `<id>-help`) that screen readers announce as it changes.
#[component]
pub fn Field(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional, into)] help: Option<Signal<String>>,
) -> impl IntoView {
    let help_id = format!("{id}-help");
    view! {
        <label for=id>{label}</label>
        <input id=id name=id type=kind autocomplete=autocomplete required
            aria-describedby=help.map(|_| help_id.clone())
            prop:value=value on:input=move |ev| value.set(event_target_value(&ev))/>
        {help.map(|help| view! {
            <p id=help_id class="help" aria-live="polite">{move || help.get()}</p>
        })}
    }
}

/// The message of an action's last failure, for an [`Alert`].
pub fn failure<I, T>(action: Action<I, Result<T, ApiError>>) -> Signal<Option<String>>
where
    I: Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.message())
    })
}
