//! One module per page (or pair of small pages).

mod account;
mod activity;
mod admin;
mod auth;
mod notes;
pub(crate) mod on_demand;
mod recovery;
mod security;
mod sessions;

pub(crate) use account::AccountPage;
pub(crate) use activity::ActivityPage;
pub(crate) use admin::AdminPage;
pub(crate) use auth::{HomePage, LoginPage, RegisterPage};
pub(crate) use notes::{NotePage, NotesPage};
pub(crate) use recovery::{ForgotPage, ResetPage, VerifyEmailPage};
pub(crate) use sessions::SessionsPage;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::routes::Page;

#[component]
pub(crate) fn NotFound() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. "<A href=Page::Home.href()>"Go to the start page"</A>"."</p>
        </section>
    }
}
