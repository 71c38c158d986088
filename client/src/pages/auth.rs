//! The start page (a redirect), logging in and creating an account.

use jotpass_shared::{CredentialsRequest, ErrorCode, Password, Username};
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_navigate, use_query_map},
};

use crate::{
    api::{Api, ApiError},
    components::{Alert, Field, Loading, PostForm, Submit, failure, posted_notice},
    routes::Page,
    session::{self, LoginStep, SecondFactor, use_auth},
};

/// `/`: to the notes when logged in, else to the login page.
#[component]
pub(crate) fn HomePage() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(signed_in) = auth.signed_in() {
            let to = if signed_in { Page::Notes } else { Page::Login };
            navigate(
                &to.href(),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    view! { <Loading/> }
}

/// Where to go after logging in: `next` if the browser's own URL parser
/// resolves it to this origin, else the notes. (Checking the string instead
/// misses what browsers make of it: `/\\example.com`, `/%5Cexample.com` or a
/// tab after the slash all mean `//example.com`, another site.) Runs in the
/// browser only, after a login.
fn next_page(next: Option<String>) -> String {
    next.and_then(|next| path_on_this_site(&next))
        .unwrap_or_else(|| Page::Notes.href())
}

/// The path, query and fragment `next` resolves to, when that is on this
/// origin.
fn path_on_this_site(next: &str) -> Option<String> {
    let origin = window().location().origin().ok()?;
    let url = web_sys::Url::new_with_base(next, &origin).ok()?;
    (url.origin() == origin).then(|| format!("{}{}{}", url.pathname(), url.search(), url.hash()))
}

#[component]
pub(crate) fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let query = use_query_map();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    // After a right password with TOTP on: the second step's token.
    let mfa_token = RwSignal::new(None::<String>);

    let go_on = {
        let navigate = navigate.clone();
        move || {
            navigate(
                &next_page(query.read_untracked().get("next")),
                Default::default(),
            );
        }
    };
    // Logged in already (or just now, in another tab): go on.
    Effect::new({
        let go_on = go_on.clone();
        move |_| {
            if auth.ready.get() && auth.user.get().is_some() {
                go_on();
            }
        }
    });
    let login = Action::new_unsync(move |(name, secret): &(String, String)| {
        let (name, secret) = (name.clone(), secret.clone());
        async move {
            let step = session::log_in(auth, name, secret).await?;
            if let LoginStep::SecondFactor { mfa_token: token } = step {
                password.set(String::new());
                mfa_token.set(Some(token));
            }
            Ok::<(), ApiError>(())
        }
    });
    let error = failure(login);
    let passkey = Action::new_unsync(move |_: &()| session::log_in_with_passkey(auth));
    let passkey_error = failure(passkey);
    let posted = posted_notice(username);

    view! {
        <section class="card narrow">
            <h1>"Log in"</h1>
            <Alert message=Signal::derive(move || auth.notice.get().or_else(|| posted.get()))/>
            {move || match mfa_token.get() {
                None => view! {
                    <PostForm action=Page::Login.href() on_submit=move || {
                        login.dispatch((username.get_untracked(), password.get_untracked()));
                    }>
                        <Field id="username" label="Username" value=username autocomplete="username webauthn"/>
                        <Field id="password" label="Password" value=password kind="password" autocomplete="current-password"/>
                        <Alert message=error/>
                        <Submit label="Log in" busy=login.pending()/>
                    </PostForm>
                    <p class="forgot"><A href=Page::Forgot.href()>"Forgot password?"</A></p>
                    <div class="alternative">
                        <Alert message=passkey_error/>
                        <button type="button" class="secondary" disabled=move || !auth.ready.get() || passkey.pending().get()
                            on:click=move |_| { passkey.dispatch(()); }>"Sign in with a passkey"</button>
                    </div>
                }.into_any(),
                Some(token) => {
                    let on_back = Callback::new(move |()| mfa_token.set(None));
                    view! {
                        <Suspense fallback=Loading>
                            {Suspend::new(second_step(username, token, on_back))}
                        </Suspense>
                    }.into_any()
                }
            }}
            <p>"New here? "<A href=Page::Register.href()>"Create an account"</A>"."</p>
        </section>
    }
}

/// The second step of a login: the code from the authenticator app, or a
/// recovery code instead. Only accounts with TOTP on see it, so its code is
/// fetched when it is first shown, not with the login page.
#[leptos::lazy]
fn second_step(username: RwSignal<String>, mfa_token: String, on_back: Callback<()>) -> AnyView {
    let auth = use_auth();
    let code = RwSignal::new(String::new());
    let recovery = RwSignal::new(false);
    let token = StoredValue::new(mfa_token);
    let finish = Action::new_unsync(move |factor: &SecondFactor| {
        let factor = factor.clone();
        async move {
            let name = username.get_untracked();
            session::finish_mfa(auth, &name, token.get_value(), factor).await
        }
    });
    // The API's word for a wrong code is the login's "invalid_credentials".
    let error = Signal::derive(move || {
        finish.value().get().and_then(Result::err).map(|e| {
            if e.code() == Some(ErrorCode::InvalidCredentials) {
                "That code did not work. Try the newest code from your app, or a recovery code."
                    .to_owned()
            } else {
                e.message()
            }
        })
    });
    view! {
        <p>{move || if recovery.get() {
            "Enter one of your recovery codes. Each works once."
        } else {
            "Enter the 6-digit code from your authenticator app."
        }}</p>
        <PostForm action=Page::Login.href() on_submit=move || {
            let typed = code.get_untracked();
            finish.dispatch(if recovery.get_untracked() {
                SecondFactor::RecoveryCode(typed)
            } else {
                SecondFactor::Code(typed)
            });
        }>
            {move || if recovery.get() {
                view! { <Field id="recovery-code" label="Recovery code" value=code autocomplete="off"/> }.into_any()
            } else {
                view! { <Field id="code" label="Code" value=code autocomplete="one-time-code"/> }.into_any()
            }}
            <Alert message=error/>
            <Submit label="Continue" busy=finish.pending()/>
        </PostForm>
        <p>
            <button type="button" class="link" on:click=move |_| {
                code.set(String::new());
                recovery.update(|r| *r = !*r);
            }>{move || if recovery.get() { "Use the code from the app instead" } else { "Use a recovery code instead" }}</button>
            " · "
            <button type="button" class="link" on:click=move |_| on_back.run(())>"Start again"</button>
        </p>
    }
    .into_any()
}

#[component]
pub(crate) fn RegisterPage() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());

    // The same parsers as the server, so the messages are the server's too.
    let username_problem = move || {
        let u = username.get();
        (!u.is_empty())
            .then(|| Username::parse(&u).err())
            .flatten()
            .map(|e| e.to_string())
    };
    // The one rule the browser leaves to the server (a common password):
    // its answer about the password, kept while that password is typed.
    let refused = RwSignal::new(None::<(String, String)>);
    let password_problem = move || {
        let p = password.get();
        if p.is_empty() {
            return None;
        }
        let said = refused.with(|r| {
            r.as_ref()
                .filter(|(typed, _)| *typed == p)
                .map(|(_, m)| m.clone())
        });
        Password::parse(p, &username.get())
            .err()
            .map(|e| e.to_string())
            .or(said)
    };

    let register = Action::new_unsync(move |(name, secret): &(String, String)| {
        let (name, secret) = (name.clone(), secret.clone());
        async move {
            Api::register(CredentialsRequest {
                username: name.clone(),
                password: secret.clone().into(),
                device_token: None,
            })
            .await
            .inspect_err(|e| {
                if let Some(message) = e.field("password") {
                    refused.set(Some((secret.clone(), message)));
                }
            })?;
            // A new account has no second factor: this logs in.
            session::log_in(auth, name, secret).await.map(|_| ())
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = register.value().get() {
            navigate(&Page::Notes.href(), Default::default());
        }
    });
    let error = failure(register);
    let posted = posted_notice(username);

    view! {
        <section class="card narrow">
            <h1>"Create account"</h1>
            <Alert message=posted/>
            <PostForm action=Page::Register.href() on_submit=move || {
                if username_problem().is_none() && password_problem().is_none() {
                    register.dispatch((username.get_untracked(), password.get_untracked()));
                }
            }>
                <Field id="username" label="Username" value=username autocomplete="username"
                    help=Signal::derive(move || username_problem().unwrap_or_else(|| "3 to 32 letters, digits, '_', '.' or '-'.".to_owned()))/>
                <Field id="password" label="Password" value=password kind="password" autocomplete="new-password"
                    help=Signal::derive(move || password_problem().unwrap_or_else(|| "At least 8 characters. A long phrase is best.".to_owned()))/>
                <Alert message=error/>
                <Submit label="Create account" busy=register.pending()/>
            </PostForm>
            <p>"Have an account? "<A href=Page::Login.href()>"Log in"</A>"."</p>
        </section>
    }
}
