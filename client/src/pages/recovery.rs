//! Getting back in: "Forgot password?" (`/forgot`), the reset link's page
//! (`/reset?token=`) and the verification link's page (`/verify-email?token=`).
//!
//! A link's token is read once, in the browser, and at once removed from the
//! address bar (`history.replaceState`), so it is not left in the history,
//! in a bookmark or on a screen share; the pages are sent with
//! `Referrer-Policy: no-referrer`, so it never leaves in a `Referer` either.

use jotpass_shared::{
    ErrorCode, Password, PasswordResetConfirm, PasswordResetRequest, Redacted, TokenRequest,
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};

use crate::{
    api::{Api, ApiError},
    components::{Alert, Field, Loading, PostForm, Submit, failure},
    routes::Page,
    session::{self, use_auth},
};

/// The `token` of this page's address, removed from the address bar.
/// Browser only (call it from an effect).
fn take_link_token(page: &Page) -> Option<String> {
    let location = window().location();
    let search = location.search().ok()?;
    let token = web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get("token")
        .filter(|t| !t.is_empty());
    if let Ok(history) = window().history() {
        let _ =
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&page.href()));
    }
    token
}

/// What a refused link says.
const DEAD_LINK: &str =
    "This link does not work any more: it was used already, or it is too old. Ask for a new one.";

#[component]
pub(crate) fn ForgotPage() -> impl IntoView {
    let login = RwSignal::new(String::new());
    let sent = RwSignal::new(None::<String>);
    let request = Action::new_unsync(move |login: &String| {
        let login = login.clone();
        async move {
            Api::request_reset(PasswordResetRequest { login }).await?;
            sent.set(Some(
                "If an account with a verified e-mail address matches, a link to set a new password \
                 is on its way to that address. It works once, for 30 minutes."
                    .to_owned(),
            ));
            Ok::<(), ApiError>(())
        }
    });
    let error = failure(request);
    view! {
        <section class="card narrow">
            <h1>"Forgot your password?"</h1>
            <p>"Enter your username or your verified e-mail address, and we will mail you a link to set a new password."</p>
            <PostForm action=Page::Forgot.href() on_submit=move || {
                sent.set(None);
                request.dispatch(login.get_untracked());
            }>
                <Field id="login" label="Username or e-mail address" value=login autocomplete="username"/>
                <Alert message=error/>
                <p role="status" class="status">{move || sent.get()}</p>
                <Submit label="Send the link" busy=request.pending()/>
            </PostForm>
            <p><A href=Page::Login.href()>"Back to log in"</A></p>
        </section>
    }
}

#[component]
pub(crate) fn ResetPage() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    // `None` until the browser has read the address; then the token, or "".
    let token = RwSignal::new(None::<String>);
    Effect::new(move |_| token.set(Some(take_link_token(&Page::Reset).unwrap_or_default())));
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    // Set once the server asked for the second factor.
    let wants_code = RwSignal::new(false);
    let problem = move || {
        let p = password.get();
        (!p.is_empty())
            .then(|| Password::parse(p, "").err())
            .flatten()
            .map(|e| e.to_string())
    };
    let confirm = Action::new_unsync(move |req: &PasswordResetConfirm| {
        let req = req.clone();
        let navigate = navigate.clone();
        async move {
            match Api::confirm_reset(req).await {
                Ok(()) => {
                    // Every session is revoked, this browser's too.
                    session::end(
                        auth,
                        Some(
                            "Your password was reset and every session signed out. Log in with the new password.",
                        ),
                    );
                    navigate(&Page::Login.href(), Default::default());
                    Ok(())
                }
                Err(e) if e.code() == Some(ErrorCode::MfaRequired) => {
                    wants_code.set(true);
                    Err(e)
                }
                Err(e) => Err(e),
            }
        }
    });
    let error = Signal::derive(move || {
        confirm
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| match e.code() {
                Some(ErrorCode::InvalidToken) => DEAD_LINK.to_owned(),
                Some(ErrorCode::InvalidCredentials) => {
                    "That code did not work. Try the newest code from your app, or a recovery code."
                        .to_owned()
                }
                _ => e.message(),
            })
    });
    view! {
        <section class="card narrow">
            <h1>"Set a new password"</h1>
            {move || match token.get() {
                None => view! { <Loading/> }.into_any(),
                Some(t) if t.is_empty() => view! {
                    <p role="alert" class="alert">"This page needs the link from the mail. "
                        <A href=Page::Forgot.href()>"Ask for a link"</A>"."</p>
                }.into_any(),
                Some(t) => {
                    let t = StoredValue::new(t);
                    view! {
                        <PostForm action=Page::Reset.href() on_submit=move || {
                            if problem().is_some() {
                                return;
                            }
                            let typed = code.get_untracked().trim().to_owned();
                            let is_totp = typed.len() == 6 && typed.chars().all(|c| c.is_ascii_digit());
                            let given = (!typed.is_empty()).then(|| Redacted::new(typed));
                            let (code, recovery_code) = if is_totp { (given, None) } else { (None, given) };
                            confirm.dispatch(PasswordResetConfirm {
                                token: t.get_value().into(),
                                new_password: password.get_untracked().into(),
                                code,
                                recovery_code,
                            });
                        }>
                            <Field id="new-password" label="New password" value=password kind="password" autocomplete="new-password"
                                help=Signal::derive(move || problem().unwrap_or_else(|| "At least 8 characters. A long phrase is best.".to_owned()))/>
                            {move || wants_code.get().then(|| view! {
                                <Field id="code" label="Code from your authenticator app, or a recovery code" value=code autocomplete="one-time-code"/>
                            })}
                            <Alert message=error/>
                            <Submit label="Set the password" busy=confirm.pending()/>
                        </PostForm>
                    }.into_any()
                }
            }}
            <p><A href=Page::Forgot.href()>"Ask for a new link"</A></p>
        </section>
    }
}

#[component]
pub(crate) fn VerifyEmailPage() -> impl IntoView {
    let verify = Action::new_unsync(move |token: &String| {
        let token = token.clone();
        async move {
            if token.is_empty() {
                return Err(ApiError::Browser(
                    "This page needs the link from the mail.".to_owned(),
                ));
            }
            Api::verify_email(TokenRequest {
                token: token.into(),
            })
            .await
        }
    });
    Effect::new(move |_| {
        verify.dispatch(take_link_token(&Page::VerifyEmail).unwrap_or_default());
    });
    view! {
        <section class="card narrow">
            <h1>"Confirm your e-mail address"</h1>
            {move || match verify.value().get() {
                None => view! { <Loading/> }.into_any(),
                Some(Ok(())) => view! {
                    <p role="status" class="status">"Your e-mail address is confirmed. A password reset link can now be sent to it."</p>
                    <p><A href=Page::Account.href()>"Go to your account"</A></p>
                }.into_any(),
                Some(Err(e)) => {
                    let message = if e.code() == Some(ErrorCode::InvalidToken) { DEAD_LINK.to_owned() } else { e.message() };
                    view! {
                        <p role="alert" class="alert">{message}</p>
                        <p><A href=Page::Account.href()>"Go to your account"</A></p>
                    }.into_any()
                }
            }}
        </section>
    }
}
