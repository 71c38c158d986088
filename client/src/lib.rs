//! The jotpass browser app: Leptos, rendered on the server and hydrated from
//! WASM.
//!
//! - [`api`]: the only HTTP code (every request, and the `x-access-token` header).
//! - [`session`]: the only `localStorage` code, and the auth state.
//! - `pages/`, `components.rs`: what a person sees.

pub mod api;
mod components;
mod pages;
pub mod session;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use crate::{
    components::Header,
    pages::{
        AccountPage, AdminPage, HomePage, LoginPage, NotFound, NotePage, NotesPage, RegisterPage,
        SessionsPage,
    },
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

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    session::provide_auth();
    view! {
        <Stylesheet id="leptos" href="/pkg/jotpass.css"/>
        <Title text="jotpass"/>
        <Router>
            <Header/>
            <main>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage/>
                    <Route path=path!("/login") view=LoginPage/>
                    <Route path=path!("/register") view=RegisterPage/>
                    <Route path=path!("/notes") view=NotesPage/>
                    <Route path=path!("/notes/:id") view=NotePage/>
                    <Route path=path!("/sessions") view=SessionsPage/>
                    <Route path=path!("/account") view=AccountPage/>
                    <Route path=path!("/admin") view=AdminPage/>
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
