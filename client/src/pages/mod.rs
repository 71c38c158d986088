//! One module per page (or pair of small pages).

mod account;
mod admin;
mod auth;
mod notes;
mod sessions;

pub use account::AccountPage;
pub use admin::AdminPage;
pub use auth::{HomePage, LoginPage, RegisterPage};
pub use notes::{NotePage, NotesPage};
pub use sessions::SessionsPage;

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. "<A href="/">"Go to the start page"</A>"."</p>
        </section>
    }
}
