//! The account page: the password, two-factor authentication and passkeys
//! (in `security`), and deleting the account.

use jotpass_shared::{ChangePasswordRequest, DeleteAccountRequest, Password};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::security::{PasskeysSection, TwoFactorSection};
use crate::{
    api::ApiError,
    components::{Alert, Field, PostForm, Submit, failure},
    routes::Page,
    session::{self, authed, use_auth},
};

#[component]
pub(crate) fn AccountPage() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let done = RwSignal::new(None::<String>);
    let username = move || auth.user.get().map(|u| u.username).unwrap_or_default();
    let new_problem = move || {
        let p = new.get();
        (!p.is_empty())
            .then(|| Password::parse(p, &username()).err())
            .flatten()
            .map(|e| e.to_string())
    };

    let change = Action::new_unsync(move |req: &ChangePasswordRequest| {
        let req = req.clone();
        async move {
            let tokens = authed(auth, move |api| api.change_password(req.clone())).await?;
            session::start(auth, tokens);
            current.set(String::new());
            new.set(String::new());
            done.set(Some(
                "Password changed. Your other sessions were signed out.".to_owned(),
            ));
            Ok::<(), ApiError>(())
        }
    });
    let change_error = failure(change);

    let confirm = RwSignal::new(String::new());
    let delete = Action::new_unsync(move |req: &DeleteAccountRequest| {
        let req = req.clone();
        let navigate = navigate.clone();
        async move {
            authed(auth, move |api| api.delete_account(req.clone())).await?;
            if let Some(user) = auth.user.get_untracked() {
                session::forget_device(&user.username);
            }
            session::end(auth, Some("Your account was deleted."));
            navigate(&Page::Login.href(), Default::default());
            Ok::<(), ApiError>(())
        }
    });
    let delete_error = failure(delete);

    view! {
        <h1 class="page-title">"Account"</h1>
        <section class="card narrow" aria-labelledby="change-password">
            <h2 id="change-password">"Change password"</h2>
            <PostForm action=Page::Account.href() on_submit=move || {
                done.set(None);
                if new_problem().is_none() {
                    change.dispatch(ChangePasswordRequest {
                        current_password: current.get_untracked().into(),
                        new_password: new.get_untracked().into(),
                    });
                }
            }>
                <Field id="current-password" label="Current password" value=current kind="password" autocomplete="current-password"/>
                <Field id="new-password" label="New password" value=new kind="password" autocomplete="new-password"
                    help=Signal::derive(move || new_problem().unwrap_or_else(|| "At least 8 characters.".to_owned()))/>
                <Alert message=change_error/>
                <p role="status" class="status">{move || done.get()}</p>
                <Submit label="Change password" busy=change.pending()/>
            </PostForm>

        </section>
        <TwoFactorSection/>
        <PasskeysSection/>
        <section class="card narrow" aria-labelledby="delete-account">
            <h2 id="delete-account">"Delete account"</h2>
            <p>"This deletes your account, your notes and all your sessions. It cannot be undone."</p>
            <PostForm action=Page::Account.href() on_submit=move || {
                delete.dispatch(DeleteAccountRequest { password: confirm.get_untracked().into() });
            }>
                <Field id="delete-password" label="Password" value=confirm kind="password" autocomplete="current-password"/>
                <Alert message=delete_error/>
                <Submit label="Delete account" class="danger"
                    busy=Signal::derive(move || confirm.get().is_empty() || delete.pending().get())/>
            </PostForm>
        </section>
    }
}
