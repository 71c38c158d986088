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
                        <A href=Page::Activity.href()>"Activity"</A>
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

/// A form that can never put its fields in a URL: it is rendered
/// `method="post"` to `action` (the page's own path), so a submission before
/// the app has hydrated is a POST that the server answers with the same page
/// and a notice, and never logs; once hydrated, `on_submit` handles it and
/// nothing is sent by the browser itself.
#[component]
pub fn PostForm(
    action: String,
    on_submit: impl Fn() + 'static,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <form method="post" action=action class=class on:submit=move |ev| {
            ev.prevent_default();
            on_submit();
        }>
            {children()}
        </form>
    }
}

/// A form's submit button. Until the app has hydrated it is rendered
/// `disabled` and says "Loading…" (so neither Enter nor a click submits
/// anything), with a line that explains what to do if the app never loads.
#[component]
pub fn Submit(
    label: &'static str,
    /// True while the form's action runs (or the input is not ready).
    #[prop(into, optional)]
    busy: Signal<bool>,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    let auth = use_auth();
    let loading = move || !auth.ready.get();
    view! {
        <button type="submit" class=class disabled=move || loading() || busy.get()
            aria-busy=move || loading().then_some("true")>
            {move || if loading() { "Loading…" } else { label }}
        </button>
        {move || loading().then(|| view! {
            <p class="help prehydration">
                "The page is still loading. If this stays, your browser may be blocking "
                "JavaScript or WebAssembly, which jotpass needs."
            </p>
        })}
    }
}

/// When this page is the server's answer to a form posted before the app
/// had hydrated (see `shell`), its notice, for an [`Alert`]; the username
/// the server kept goes into `username`. The server's copy of the notice,
/// which stands outside the app so that it shows before hydration, is
/// removed once the app has taken it over.
pub fn posted_notice(username: RwSignal<String>) -> RwSignal<Option<String>> {
    let notice = RwSignal::new(None);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| {
        let Some(element) = document().get_element_by_id(crate::POSTED_NOTICE_ID) else {
            return;
        };
        if let Some(kept) = element.get_attribute("data-username") {
            username.set(kept);
        }
        notice.set(element.text_content());
        element.remove();
    });
    notice
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
///
/// What a person typed before the app hydrated is kept: the first run (in
/// the browser, after hydration) takes the input's value into `value`;
/// later changes of `value` (cleared after a success, a kept username) are
/// written to the input. (A `prop:value` binding would overwrite the typed
/// text with the empty signal during hydration.)
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
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |first: Option<()>| {
        let wanted = value.get();
        let Some(input) = input.get() else { return };
        let typed = input.value();
        if first.is_none() && wanted.is_empty() && !typed.is_empty() {
            value.set(typed);
        } else if typed != wanted {
            input.set_value(&wanted);
        }
    });
    view! {
        <label for=id>{label}</label>
        <input id=id name=id type=kind autocomplete=autocomplete required node_ref=input
            aria-describedby=help.map(|_| help_id.clone())
            on:input=move |ev| value.set(event_target_value(&ev))/>
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

/// An RFC 3339 time as a person reads it: `2026-12-02 00:35:12 UTC`.
pub(crate) fn when(rfc3339: &str) -> String {
    rfc3339.replace('T', " ").replace('Z', " UTC")
}
