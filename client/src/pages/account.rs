//! The account page: the password, the e-mail address, two-factor
//! authentication and passkeys (in `security`), and deleting the account.

use jotpass_shared::{
    ChangePasswordRequest, DeleteAccountRequest, EmailAddress, EmailRequest, Password,
};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::security::{PasskeysSection, TwoFactorSection};
use crate::{
    api::ApiError,
    api::AuthedApi,
    components::{Alert, Field, PostForm, Submit, failure, when_loaded},
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
        <EmailSection/>
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

/// The address: what it is (verified or not), and changing it. The new one
/// becomes the account's only through the link mailed to it.
#[component]
fn EmailSection() -> impl IntoView {
    let auth = use_auth();
    // Fresh from the server: the address may have been confirmed in
    // another tab, from the mail.
    let me = LocalResource::new(move || authed(auth, AuthedApi::me));
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let sent = RwSignal::new(None::<String>);
    let problem = move || {
        let e = email.get();
        (!e.is_empty())
            .then(|| EmailAddress::parse(&e).err())
            .flatten()
            .map(|e| e.to_string())
    };
    let change = Action::new_unsync(move |req: &EmailRequest| {
        let req = req.clone();
        async move {
            authed(auth, move |api| api.set_email(req.clone())).await?;
            sent.set(Some(format!(
                "We sent a link to {}. Open it to confirm the address; until then your account keeps its current one.",
                email.get_untracked().trim()
            )));
            email.set(String::new());
            password.set(String::new());
            Ok::<(), ApiError>(())
        }
    });
    let error = failure(change);
    view! {
        <section class="card narrow" aria-labelledby="email">
            <h2 id="email">"E-mail"</h2>
            {when_loaded(me, |user| match user.email {
                Some(address) if user.email_verified => view! {
                    <p class="current-email">"Your address: "<strong>{address}</strong>" "<span class="badge">"Verified"</span></p>
                }.into_any(),
                Some(address) => view! {
                    <p class="current-email">"Your address: "<strong>{address}</strong>" "<span class="badge">"Not verified"</span></p>
                }.into_any(),
                None => view! {
                    <p class="current-email">"No address yet. Add one to be able to reset a forgotten password, and to hear about new sign-ins."</p>
                }.into_any(),
            })}
            <PostForm action=Page::Account.href() on_submit=move || {
                sent.set(None);
                if problem().is_none() {
                    change.dispatch(EmailRequest {
                        email: email.get_untracked().trim().to_owned(),
                        password: password.get_untracked().into(),
                    });
                }
            }>
                <Field id="new-email" label="New address" value=email kind="email" autocomplete="email"
                    help=Signal::derive(move || problem().unwrap_or_default())/>
                <Field id="email-password" label="Password" value=password kind="password" autocomplete="current-password"/>
                <Alert message=error/>
                <p role="status" class="status">{move || sent.get()}</p>
                <Submit label="Send a confirmation link" busy=change.pending()/>
            </PostForm>
        </section>
    }
}
