//! The jotpass browser app: Leptos, rendered on the server and hydrated from
//! WASM.
//!
//! - [`api`]: the only HTTP code (every request, and the `x-access-token` header).
//! - [`session`]: the auth state, and the only `localStorage` code.
//! - [`routes`]: every page's path, named once.
//! - [`webauthn`]: the browser's passkey API, JSON in and out.
//! - `json`: JSON through the browser's own parser.
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
mod json;
mod pages;
pub mod routes;
pub mod session;
pub mod webauthn;

use leptos::prelude::*;
use leptos_router::{
    Lazy,
    components::{Route, Router, Routes},
    path,
};

use crate::{
    components::Header,
    pages::{HomePage, LoginPage, NotFound, RegisterPage, on_demand},
    routes::segments,
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
                // No icon: without this line every browser asks for
                // /favicon.ico, and the server renders the not-found page.
                <link rel="icon" href="data:,"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <link id="leptos" rel="stylesheet" href="/pkg/jotpass.css"/>
                <title>"jotpass"</title>
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

/// The app: the header and the route table. The start, login and register
/// pages are in the main WASM module; every other page's code is fetched
/// when it is first shown (`pages::on_demand`, which also protects the
/// signed-in pages).
#[component]
pub fn App() -> impl IntoView {
    session::provide_auth();
    view! {
        <Router>
            <Header/>
            <main>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage/>
                    <Route path=segments::LOGIN view=LoginPage/>
                    <Route path=segments::REGISTER view=RegisterPage/>
                    <Route path=segments::FORGOT view={Lazy::<on_demand::Forgot>::new()}/>
                    <Route path=segments::RESET view={Lazy::<on_demand::Reset>::new()}/>
                    <Route path=segments::VERIFY_EMAIL
                        view={Lazy::<on_demand::VerifyEmail>::new()}/>
                    <Route path=segments::NOTES view={Lazy::<on_demand::Notes>::new()}/>
                    <Route path=segments::NOTE view={Lazy::<on_demand::Note>::new()}/>
                    <Route path=segments::SESSIONS view={Lazy::<on_demand::Sessions>::new()}/>
                    <Route path=segments::ACCOUNT view={Lazy::<on_demand::Account>::new()}/>
                    <Route path=segments::ADMIN view={Lazy::<on_demand::Admin>::new()}/>
                    <Route path=segments::ACTIVITY view={Lazy::<on_demand::Activity>::new()}/>
                </Routes>
            </main>
        </Router>
    }
}

/// The WASM entry point: attaches the app to the server-rendered page.
///
/// Hydration is asynchronous: a page whose code is in a module of its own
/// (`pages::on_demand`) is hydrated once that module has arrived. Until the
/// whole page is hydrated, [`Hydrated`] says so, and nothing may change what
/// a part still to be hydrated would render (see `session::provide_auth`).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    use wasm_bindgen::JsCast;
    console_error_panic_hook::set_once();
    let root = leptos::prelude::document()
        .get_element_by_id(APP_ROOT_ID)
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        .expect("the shell renders the app's root");
    let hydrated = ArcRwSignal::new(false);
    wasm_bindgen_futures::spawn_local(async move {
        let app = {
            let hydrated = hydrated.clone();
            move || {
                provide_context(Hydrated(hydrated));
                App()
            }
        };
        leptos::mount::hydrate_from_async(root, app).await.forget();
        hydrated.set(true);
        // Marks the end-to-end tests and the benchmark wait for.
        if let Some(body) = leptos::prelude::document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
        if let Some(performance) = leptos::prelude::window().performance() {
            let _ = performance.mark("jotpass-hydrated");
        }
    });
}

/// Whether the page has been hydrated: provided in the browser only. The
/// router waits for a page's module in the middle of hydration, and effects
/// run during that wait; one that changed a signal the page reads would make
/// the page render other than the server did (a hydration panic).
#[derive(Clone, Debug)]
pub struct Hydrated(pub ArcRwSignal<bool>);

impl Hydrated {
    /// Whether hydration has finished, to track (read it where the component
    /// is set up); always `true` where nothing is hydrated.
    pub fn done() -> Signal<bool> {
        let hydrated = use_context::<Self>();
        Signal::derive(move || hydrated.as_ref().is_none_or(|h| h.0.get()))
    }
}
