//! The start page (a redirect), logging in and creating an account.

use jotpass_shared::{CredentialsRequest, Password, Username};
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
    session::{self, use_auth},
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

/// Where to go after logging in: `next` if it is a path of this site.
fn next_page(next: Option<String>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//"))
        .unwrap_or_else(|| Page::Notes.href())
}

#[component]
pub(crate) fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let query = use_query_map();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());

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
    let login = Action::new_unsync(move |req: &CredentialsRequest| {
        let req = req.clone();
        async move {
            let tokens = Api::login(req).await?;
            session::start(auth, tokens);
            Ok::<(), ApiError>(())
        }
    });
    let error = failure(login);
    let posted = posted_notice(username);

    view! {
        <section class="card narrow">
            <h1>"Log in"</h1>
            <Alert message=Signal::derive(move || auth.notice.get().or_else(|| posted.get()))/>
            <PostForm action=Page::Login.href() on_submit=move || {
                login.dispatch(CredentialsRequest {
                    username: username.get_untracked(),
                    password: password.get_untracked().into(),
                });
            }>
                <Field id="username" label="Username" value=username autocomplete="username"/>
                <Field id="password" label="Password" value=password kind="password" autocomplete="current-password"/>
                <Alert message=error/>
                <Submit label="Log in" busy=login.pending()/>
            </PostForm>
            <p>"New here? "<A href=Page::Register.href()>"Create an account"</A>"."</p>
        </section>
    }
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
    let password_problem = move || {
        let p = password.get();
        (!p.is_empty())
            .then(|| Password::parse(p, &username.get()).err())
            .flatten()
            .map(|e| e.to_string())
    };

    let register = Action::new_unsync(move |req: &CredentialsRequest| {
        let req = req.clone();
        async move {
            Api::register(req.clone()).await?;
            let tokens = Api::login(req).await?;
            session::start(auth, tokens);
            Ok::<(), ApiError>(())
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
                    register.dispatch(CredentialsRequest {
                        username: username.get_untracked(),
                        password: password.get_untracked().into(),
                    });
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
