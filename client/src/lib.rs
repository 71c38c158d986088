//! The jotpass browser app: Leptos, rendered on the server and hydrated from
//! WASM.
//!
//! - [`api`]: the only HTTP code (every request, and the `x-access-token` header).
//! - [`session`]: the auth state, and the only `localStorage` code.
//! - [`routes`]: every page's path, named once.
//! - `pages/`, `components.rs`: what a person sees.

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
        AccountPage, AdminPage, HomePage, LoginPage, NotFound, NotePage, NotesPage, RegisterPage,
        SessionsPage,
    },
    routes::{Page, segments},
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
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
                <App/>
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
                </Routes>
            </main>
        </Router>
    }
}

/// The WASM entry point: attaches the app to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
    // Marks the end-to-end tests and the benchmark wait for.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
    if let Some(performance) = leptos::prelude::window().performance() {
        let _ = performance.mark("jotpass-hydrated");
    }
}
