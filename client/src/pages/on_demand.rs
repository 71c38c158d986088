//! The pages whose code the browser fetches when a person first opens them:
//! everything but the start, login and register pages, which are what a new
//! visitor sees first and stay in the main WASM module.
//!
//! Each page is a [`LazyRoute`]: `#[lazy_route]` moves its view into a module
//! of its own, which `cargo leptos build --split` writes beside the main one
//! and the router loads before it renders (or hydrates) the page. The data
//! step is empty: every page loads its own data once it runs.

use leptos::{either::EitherOf3, prelude::*};
use leptos_router::{LazyRoute, components::Redirect, hooks::use_location, lazy_route};

use super::{
    AccountPage, ActivityPage, AdminPage, ForgotPage, NotePage, NotesPage, ResetPage, SessionsPage,
    VerifyEmailPage,
};
use crate::{components::Loading, routes::Page, session::use_auth};

/// A signed-in page, checked once for every page here (what the router's
/// `ProtectedRoute` does, which cannot hold a lazy view): [`Loading`] until
/// the browser has read the session (and on the server), the page when
/// someone is logged in, else `/login?next=<this page>`.
#[component]
fn SignedIn(children: ChildrenFn) -> impl IntoView {
    let auth = use_auth();
    // A memo, so that a new token for the same person (refresh, password
    // change) does not rebuild the page and lose what is on it.
    let signed_in = Memo::new(move |_| auth.signed_in());
    let location = use_location();
    view! {
        <Transition fallback=Loading>
            {move || {
                let allowed = signed_in.get();
                let children = children.clone();
                Unsuspend::new(move || match allowed {
                    Some(true) => EitherOf3::A(children()),
                    Some(false) => {
                        let next = Page::login_then(&location.pathname.get_untracked());
                        EitherOf3::B(view! { <Redirect path=next/> })
                    }
                    None => EitherOf3::C(view! { <Loading/> }),
                })
            }}
        </Transition>
    }
}

/// A page as a lazy route of its own: `$route` names it in the route table.
/// (`#[lazy_route]` names the split-off module after the type, so each
/// expansion gets its own.)
macro_rules! on_demand {
    ($(#[$doc:meta])* $route:ident => $($page:tt)+) => {
        $(#[$doc])*
        pub(crate) struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { $($page)+ }.into_any()
            }
        }
    };
}

on_demand!(/** `/forgot`. */ Forgot => <ForgotPage/>);
on_demand!(/** `/reset?token=`. */ Reset => <ResetPage/>);
on_demand!(/** `/verify-email?token=`. */ VerifyEmail => <VerifyEmailPage/>);
on_demand!(/** `/notes`. */ Notes => <SignedIn><NotesPage/></SignedIn>);
on_demand!(/** `/notes/:id`. */ Note => <SignedIn><NotePage/></SignedIn>);
on_demand!(/** `/sessions`. */ Sessions => <SignedIn><SessionsPage/></SignedIn>);
on_demand!(/** `/account`. */ Account => <SignedIn><AccountPage/></SignedIn>);
on_demand!(/** `/admin`. */ Admin => <SignedIn><AdminPage/></SignedIn>);
on_demand!(/** `/activity`. */ Activity => <SignedIn><ActivityPage/></SignedIn>);
