//! The jotpass browser app: Leptos, rendered on the server and hydrated from
//! WASM.
//!
//! - [`api`]: the only HTTP code (every request, and the `x-access-token` header).
//! - [`session`]: the auth state, and the only `localStorage` code.
//! - [`routes`]: every page's path, named once.
//! - [`webauthn`]: the browser's passkey API, JSON in and out.
//! - `pages/`, `components.rs`: what a person sees.

// The route table and the larger pages are deeply nested view types.
#![recursion_limit = "256"]
// Leptos's `#[component]` expands to `pub` props builders that the lint
// cannot see past; the modules above say what is public.
#![allow(
    unreachable_pub,
    reason = "Leptos's #[component] macro generates pub items inside private modules"
)]

pub mod api;
mod components;
mod pages;
pub mod routes;
pub mod session;
pub mod webauthn;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    components::{ProtectedRoute, Route, Router, Routes},
    hooks::use_location,
    path,
};

use crate::{
    components::{Header, Loading},
    pages::{
        AccountPage, ActivityPage, AdminPage, ForgotPage, HomePage, LoginPage, NotFound, NotePage,
        NotesPage, RegisterPage, ResetPage, SessionsPage, VerifyEmailPage,
    },
    routes::{Page, segments},
};

/// The id of the element the app is hydrated into.
const APP_ROOT_ID: &str = "app";

/// The id of the notice the server renders when a form was posted before
/// the app had hydrated (see [`PostedForm`]).
pub const POSTED_NOTICE_ID: &str = "posted-notice";

/// What the server puts in the page when a form was submitted before the
/// app had hydrated (a `POST` to the page): only the username, never any
/// other field. Provided as context by the server's page handler.
#[derive(Clone, Debug, Default)]
pub struct PostedForm {
    pub username: Option<String>,
}

/// The notice of a [`PostedForm`] answer.
pub const POSTED_NOTICE: &str =
    "The page was still loading, so nothing was done. Please try again.";

/// The HTML document around the app, rendered on the server only. Besides
/// the app's root it holds what must show without the app: the notice of a
/// form posted too early, and what to do without JavaScript.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let posted = use_context::<PostedForm>();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                {posted.map(|posted| view! {
                    <p id=POSTED_NOTICE_ID class="alert posted" role="alert"
                        data-username=posted.username>{POSTED_NOTICE}</p>
                })}
                <noscript>
                    <p class="alert posted">
                        "jotpass needs JavaScript and WebAssembly. Allow them for this site and reload the page."
                    </p>
                </noscript>
                <div id=APP_ROOT_ID><App/></div>
            </body>
        </html>
    }
}

/// The app: the header and the route table. The signed-in pages are
/// protected here, once: until the browser has read the session (and on the
/// server) they show [`Loading`]; a person who is not logged in goes to
/// `/login?next=<the page>`.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let auth = session::provide_auth();
    // A memo, so that a new token for the same person (refresh, password
    // change) does not rebuild the page and lose what is on it.
    let signed_in = Memo::new(move |_| auth.signed_in());
    let allowed = move || signed_in.get();
    let to_login = || Page::login_then(&use_location().pathname.get_untracked());
    view! {
        <Stylesheet id="leptos" href="/pkg/jotpass.css"/>
        <Title text="jotpass"/>
        <Router>
            <Header/>
            <main>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage/>
                    <Route path=segments::LOGIN view=LoginPage/>
                    <Route path=segments::REGISTER view=RegisterPage/>
                    <Route path=segments::FORGOT view=ForgotPage/>
                    <Route path=segments::RESET view=ResetPage/>
                    <Route path=segments::VERIFY_EMAIL view=VerifyEmailPage/>
                    <ProtectedRoute path=segments::NOTES view=NotesPage
                        condition=allowed redirect_path=to_login fallback=Loading/>
                    <ProtectedRoute path=segments::NOTE view=NotePage
                        condition=allowed redirect_path=to_login fallback=Loading/>
                    <ProtectedRoute path=segments::SESSIONS view=SessionsPage
                        condition=allowed redirect_path=to_login fallback=Loading/>
                    <ProtectedRoute path=segments::ACCOUNT view=AccountPage
                        condition=allowed redirect_path=to_login fallback=Loading/>
                    <ProtectedRoute path=segments::ADMIN view=AdminPage
                        condition=allowed redirect_path=to_login fallback=Loading/>
                    <ProtectedRoute path=segments::ACTIVITY view=ActivityPage
                        condition=allowed redirect_path=to_login fallback=Loading/>
                </Routes>
            </main>
        </Router>
    }
}

/// The WASM entry point: attaches the app to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    use wasm_bindgen::JsCast;
    console_error_panic_hook::set_once();
    let root = leptos::prelude::document()
        .get_element_by_id(APP_ROOT_ID)
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        .expect("the shell renders the app's root");
    leptos::mount::hydrate_from(root, App).forget();
    // Marks the end-to-end tests and the benchmark wait for.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
    if let Some(performance) = leptos::prelude::window().performance() {
        let _ = performance.mark("jotpass-hydrated");
    }
}
