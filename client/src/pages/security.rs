//! On the account page: two-factor authentication (TOTP with recovery
//! codes) and passkeys.

use jotpass_shared::{
    CodeRequest, MfaStatus, Passkey, PasskeyRegistration, PasswordAndCodeRequest, PasswordRequest,
    Redacted, TotpEnrolment,
};
use leptos::prelude::*;

use crate::{
    api::{ApiError, AuthedApi},
    components::{Alert, Field, PostForm, Submit, failure, when_loaded},
    routes::Page,
    session::{authed, use_auth},
};

/// With this many recovery codes left (or fewer), the page warns.
const FEW_CODES: u64 = 3;

/// What the two-factor section shows.
#[derive(Clone)]
enum TwoFactorStep {
    /// As the status says: on (manage it) or off (turn it on).
    Status,
    /// An enrolment: scan the code, then confirm with a code.
    Enrolling(TotpEnrolment),
    /// New recovery codes, shown once.
    Codes(Vec<String>),
}

#[component]
pub(crate) fn TwoFactorSection() -> impl IntoView {
    let auth = use_auth();
    let status = LocalResource::new(move || authed(auth, AuthedApi::mfa_status));
    let step = RwSignal::new(TwoFactorStep::Status);
    view! {
        <section class="card narrow" aria-labelledby="two-factor">
            <h2 id="two-factor">"Two-factor authentication"</h2>
            {move || match step.get() {
                TwoFactorStep::Status => when_loaded(status, move |s: MfaStatus| {
                    if s.totp {
                        view! { <TotpOn status=s step on_change=move || status.refetch()/> }.into_any()
                    } else {
                        view! { <TotpOff step/> }.into_any()
                    }
                }).into_any(),
                TwoFactorStep::Enrolling(enrolment) => view! {
                    <TotpEnrol enrolment step/>
                }.into_any(),
                TwoFactorStep::Codes(codes) => view! {
                    <RecoveryCodesShown codes on_done=move || {
                        status.refetch();
                        step.set(TwoFactorStep::Status);
                    }/>
                }.into_any(),
            }}
        </section>
    }
}

/// TOTP is off: turning it on starts with the password.
#[component]
fn TotpOff(step: RwSignal<TwoFactorStep>) -> impl IntoView {
    let auth = use_auth();
    let password = RwSignal::new(String::new());
    let start = Action::new_unsync(move |password: &String| {
        let req = PasswordRequest {
            password: Redacted::new(password.clone()),
        };
        async move {
            let enrolment = authed(auth, move |api| api.start_totp(req.clone())).await?;
            step.set(TwoFactorStep::Enrolling(enrolment));
            Ok::<(), ApiError>(())
        }
    });
    let error = failure(start);
    view! {
        <p>"Off. With it on, a login needs a code from an authenticator app on your phone as well as your password."</p>
        <PostForm action=Page::Account.href() on_submit=move || { start.dispatch(password.get_untracked()); }>
            <Field id="totp-password" label="Password" value=password kind="password" autocomplete="current-password"/>
            <Alert message=error/>
            <Submit label="Turn on two-factor authentication" busy=start.pending()/>
        </PostForm>
    }
}

/// An enrolment: the QR code (and the secret as text), then a code.
#[component]
fn TotpEnrol(enrolment: TotpEnrolment, step: RwSignal<TwoFactorStep>) -> impl IntoView {
    let auth = use_auth();
    let code = RwSignal::new(String::new());
    let confirm = Action::new_unsync(move |code: &String| {
        let req = CodeRequest {
            code: Redacted::new(code.clone()),
        };
        async move {
            let codes = authed(auth, move |api| api.confirm_totp(req.clone())).await?;
            step.set(TwoFactorStep::Codes(
                codes
                    .recovery_codes
                    .into_iter()
                    .map(Redacted::into_inner)
                    .collect(),
            ));
            Ok::<(), ApiError>(())
        }
    });
    let error = failure(confirm);
    let qr = svg_data_url(enrolment.qr_svg.expose());
    view! {
        <p>"Scan this code with your authenticator app, or type the key into it. Then enter the 6-digit code it shows."</p>
        <img class="qr" src=qr width="220" height="220" alt="QR code of the key for your authenticator app"/>
        <p>"Key: "<code class="secret" data-totp-secret="">{enrolment.secret.expose().clone()}</code></p>
        <PostForm action=Page::Account.href() on_submit=move || { confirm.dispatch(code.get_untracked()); }>
            <Field id="totp-code" label="Code from the app" value=code autocomplete="one-time-code"/>
            <Alert message=error/>
            <div class="actions">
                <Submit label="Confirm" busy=confirm.pending()/>
                <button type="button" class="secondary" on:click=move |_| step.set(TwoFactorStep::Status)>"Cancel"</button>
            </div>
        </PostForm>
    }
}

/// TOTP is on: how many recovery codes are left, new ones, turning it off.
#[component]
fn TotpOn(
    status: MfaStatus,
    step: RwSignal<TwoFactorStep>,
    on_change: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let auth = use_auth();
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let request = move || PasswordAndCodeRequest {
        password: Redacted::new(password.get_untracked()),
        code: Redacted::new(code.get_untracked()),
    };
    let regenerate = Action::new_unsync(move |req: &PasswordAndCodeRequest| {
        let req = req.clone();
        async move {
            let codes = authed(auth, move |api| api.regenerate_recovery_codes(req.clone())).await?;
            step.set(TwoFactorStep::Codes(
                codes
                    .recovery_codes
                    .into_iter()
                    .map(Redacted::into_inner)
                    .collect(),
            ));
            Ok::<(), ApiError>(())
        }
    });
    let disable = Action::new_unsync(move |req: &PasswordAndCodeRequest| {
        let req = req.clone();
        async move {
            authed(auth, move |api| api.disable_totp(req.clone())).await?;
            on_change();
            Ok::<(), ApiError>(())
        }
    });
    let (regenerate_failed, disable_failed) = (failure(regenerate), failure(disable));
    let error = Signal::derive(move || regenerate_failed.get().or_else(|| disable_failed.get()));
    let left = status.recovery_codes_left;
    view! {
        <p class="status-on">"On. A login asks for a code from your authenticator app."</p>
        <p class:warning=left <= FEW_CODES>
            {format!("{left} recovery code{} left.", if left == 1 { "" } else { "s" })}
            {(left <= FEW_CODES).then_some(" Make new ones before you run out.")}
        </p>
        <p>"To make new recovery codes or turn two-factor authentication off, confirm with your password and a code (or a recovery code)."</p>
        <PostForm action=Page::Account.href() on_submit=move || { regenerate.dispatch(request()); }>
            <Field id="manage-password" label="Password" value=password kind="password" autocomplete="current-password"/>
            <Field id="manage-code" label="Code" value=code autocomplete="one-time-code"/>
            <Alert message=error/>
            <div class="actions">
                <Submit label="New recovery codes" busy=regenerate.pending()/>
                <button type="button" class="danger" disabled=move || disable.pending().get()
                    on:click=move |_| { disable.dispatch(request()); }>"Turn off two-factor authentication"</button>
            </div>
        </PostForm>
    }
}

/// Recovery codes, shown once, with a way to copy and to download them.
#[component]
fn RecoveryCodesShown(codes: Vec<String>, on_done: impl Fn() + Copy + 'static) -> impl IntoView {
    let text = format!(
        "jotpass recovery codes. Each works once, in place of a code from your app.\n\n{}\n",
        codes.join("\n")
    );
    let download = format!("data:text/plain;charset=utf-8,{}", percent_encode(&text));
    let copied = RwSignal::new(None::<String>);
    let to_copy = text.clone();
    view! {
        <p role="status" class="status-on">"Two-factor authentication is on. These are your recovery codes."</p>
        <p>"Keep them somewhere safe: each logs you in once if you lose your phone. They are shown only now."</p>
        <ul class="recovery-codes" aria-label="Recovery codes">
            {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
        </ul>
        <div class="actions">
            <button type="button" class="secondary" on:click=move |_| {
                let clipboard = window().navigator().clipboard();
                let _ = clipboard.write_text(&to_copy);
                copied.set(Some("Copied.".to_owned()));
            }>"Copy"</button>
            <a class="button secondary" href=download download="jotpass-recovery-codes.txt">"Download"</a>
            <button type="button" on:click=move |_| on_done()>"Done"</button>
        </div>
        <p role="status" class="status">{move || copied.get()}</p>
    }
}

#[component]
pub(crate) fn PasskeysSection() -> impl IntoView {
    let auth = use_auth();
    let passkeys = LocalResource::new(move || authed(auth, AuthedApi::passkeys));
    let password = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let done = RwSignal::new(None::<String>);
    let add = Action::new_unsync(move |(secret, label): &(String, String)| {
        let (secret, label) = (secret.clone(), label.clone());
        async move {
            let req = PasswordRequest {
                password: Redacted::new(secret),
            };
            let ceremony = authed(auth, move |api| api.passkey_options(req.clone())).await?;
            let credential = crate::webauthn::create(&ceremony.options)
                .await
                .map_err(|e| ApiError::Browser(e.message()))?;
            let req = PasskeyRegistration {
                ceremony: ceremony.ceremony,
                name: label,
                credential,
            };
            authed(auth, move |api| api.add_passkey(req.clone())).await?;
            name.set(String::new());
            done.set(Some("Passkey added.".to_owned()));
            passkeys.refetch();
            Ok::<(), ApiError>(())
        }
    });
    let remove = Action::new_unsync(move |id: &String| {
        let id = id.clone();
        let req = PasswordRequest {
            password: Redacted::new(password.get_untracked()),
        };
        async move {
            authed(auth, move |api| api.remove_passkey(id.clone(), req.clone())).await?;
            done.set(Some("Passkey removed.".to_owned()));
            passkeys.refetch();
            Ok::<(), ApiError>(())
        }
    });
    let (add_failed, remove_failed) = (failure(add), failure(remove));
    let error = Signal::derive(move || add_failed.get().or_else(|| remove_failed.get()));
    view! {
        <section class="card narrow" aria-labelledby="passkeys">
            <h2 id="passkeys">"Passkeys"</h2>
            <p>"A passkey logs you in with this device's screen lock or a security key, without a password."</p>
            {when_loaded(passkeys, move |list: Vec<Passkey>| if list.is_empty() {
                view! { <p class="empty">"No passkeys yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="passkeys" aria-label="Your passkeys">
                        {list.into_iter().map(|p| {
                            let id = p.id.clone();
                            let used = p.last_used_at.map_or_else(|| "never used".to_owned(), |t| format!("last used {}", when(&t)));
                            view! {
                                <li>
                                    <div>
                                        <strong>{p.name.clone()}</strong>
                                        <div class="meta">"Added "{when(&p.created_at)}" · "{used}</div>
                                    </div>
                                    <button type="button" class="secondary" aria-label=format!("Remove {}", p.name)
                                        on:click=move |_| { remove.dispatch(id.clone()); }>"Remove"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            })}
            <PostForm action=Page::Account.href() on_submit=move || {
                done.set(None);
                add.dispatch((password.get_untracked(), name.get_untracked()));
            }>
                <Field id="passkey-name" label="Name of the new passkey" value=name autocomplete="off"
                    help=Signal::derive(|| "Like \"Work laptop\", to tell them apart.".to_owned())/>
                <Field id="passkey-password" label="Password (to add or remove a passkey)" value=password kind="password" autocomplete="current-password"/>
                <Alert message=error/>
                <p role="status" class="status">{move || done.get()}</p>
                <Submit label="Add a passkey" busy=add.pending()/>
            </PostForm>
        </section>
    }
}

fn when(rfc3339: &str) -> String {
    rfc3339.replace('T', " ").replace('Z', " UTC")
}

/// An SVG as a `data:` URL, for an `<img>` (no markup from the server
/// enters the page's DOM).
fn svg_data_url(svg: &str) -> String {
    format!("data:image/svg+xml;charset=utf-8,{}", percent_encode(svg))
}

/// Every byte but the unreserved ones of RFC 3986 as `%XX`.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
