//! Pieces shared by the pages.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    api::ApiError,
    routes::Page,
    session::{self, use_auth},
};

/// The top bar: the app's name and, when logged in, the pages, the username
/// and "Log out".
#[component]
pub(crate) fn Header() -> impl IntoView {
    let auth = use_auth();
    let log_out = Action::new_unsync(move |_: &()| session::log_out(auth));
    view! {
        <header class="top">
            <A href=Page::Home.href() attr:class="brand">"jotpass"</A>
            {move || {
                auth.user.get().map(|user| view! {
                    <nav aria-label="Main">
                        <A href=Page::Notes.href()>"Notes"</A>
                        <A href=Page::Sessions.href()>"Sessions"</A>
                        <A href=Page::Account.href()>"Account"</A>
                        {auth.is_admin().then(|| view! { <A href=Page::Admin.href()>"Admin"</A> })}
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

/// What a page shows while its data (or the session) is loading.
#[component]
pub(crate) fn Loading() -> impl IntoView {
    view! { <p class="loading">"Loading…"</p> }
}

/// The one loading / error / ready switch: [`Loading`] until `resource`
/// answers, its error as an alert, else `ready` of its value.
pub(crate) fn when_loaded<T, V>(
    resource: LocalResource<Result<T, ApiError>>,
    ready: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + 'static,
    V: IntoView + 'static,
{
    move || match resource.get() {
        None => view! { <Loading/> }.into_any(),
        Some(Err(e)) => view! { <p role="alert" class="alert">{e.message()}</p> }.into_any(),
        Some(Ok(value)) => ready(value).into_any(),
    }
}

/// A message for the person, announced by screen readers.
#[component]
pub(crate) fn Alert(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|m| view! { <p role="alert" class="alert">{m}</p> })
    }
}

/// A labelled single-line input bound to `value`, with an optional help line
/// (its id is `<id>-help`) that screen readers announce as it changes.
#[component]
pub(crate) fn Field(
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
pub(crate) fn failure<I, T>(action: Action<I, Result<T, ApiError>>) -> Signal<Option<String>>
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
