//! The session manager: the auth state every page reads, and the only code
//! that touches `localStorage` (in `storage`).
//!
//! It keeps the access token fresh (`renewal`: renewing shortly before it
//! expires, one refresh at a time across every tab of the origin), retries a
//! call once after `token_expired`, ends the session on `token_revoked`,
//! `invalid_token` or a failed refresh, checks in with the server every 10 s
//! while the page is visible (so a session revoked elsewhere ends here too),
//! and follows logins, refreshes and logouts made in other tabs through
//! `storage` events.
//!
//! Everything that touches the browser runs only after hydration (from
//! effects, actions and local resources); on the server the state stays
//! "not ready", so the server and the first client render agree.

mod renewal;
mod storage;

use std::{future::Future, time::Duration};

use jotpass_shared::{
    CredentialsRequest, ErrorCode, MfaRequest, PasskeyLogin, Redacted, TokenResponse, User,
};
use leptos::prelude::*;

use self::{
    renewal::{HEARTBEAT, check_in, due_for_renewal, keep_fresh, renew},
    storage::Stored,
};
use crate::api::{Api, ApiError, AuthedApi};

/// The notice shown on the login page when the server ended the session.
pub const SESSION_ENDED: &str = "Your session has ended. Please log in again.";

/// The auth state, provided as context by [`provide_auth`].
#[derive(Clone, Copy)]
pub struct Auth {
    /// The logged-in user (as last stored), or `None`.
    pub user: RwSignal<Option<User>>,
    /// Whether storage has been read (false on the server and before hydration).
    pub ready: RwSignal<bool>,
    /// A message for the login page ("Your session has ended…").
    pub notice: RwSignal<Option<String>>,
    /// True while this tab refreshes; other calls in the tab wait for it.
    refreshing: RwSignal<bool>,
    /// This tab's id in the refresh lease.
    tab_id: StoredValue<String>,
}

impl Auth {
    pub fn is_admin(&self) -> bool {
        self.user
            .get()
            .is_some_and(|u| u.has_role(jotpass_shared::ADMIN_ROLE))
    }

    /// Whether a person is logged in: `None` until storage has been read
    /// (on the server, and before hydration), then `Some(..)`.
    pub fn signed_in(&self) -> Option<bool> {
        self.ready.get().then(|| self.user.with(Option::is_some))
    }
}

/// Creates the auth state and, once hydrated, loads it from storage and
/// starts the renewal timer, the heartbeat and the cross-tab listener.
pub fn provide_auth() -> Auth {
    let auth = Auth {
        user: RwSignal::new(None),
        ready: RwSignal::new(false),
        notice: RwSignal::new(None),
        refreshing: RwSignal::new(false),
        // Filled in the browser: the server has no tab, nor `Math.random`.
        tab_id: StoredValue::new(String::new()),
    };
    provide_context(auth);
    // Effects run only in the browser; this one waits until the whole page
    // is hydrated, since the signed-in pages render what it loads.
    let hydrated = crate::Hydrated::done();
    Effect::new(move |started: Option<bool>| {
        if started == Some(true) {
            return true; // once per tab
        }
        if !hydrated.get() {
            return false; // runs again when hydration has finished
        }
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a random number in [0, 1e16) is an id, not a quantity"
        )]
        let tab_id = (js_sys::Math::random() * 1e16) as u64;
        auth.tab_id.set_value(format!("{tab_id:x}"));
        auth.user.set(storage::load().map(|s| s.user));
        auth.ready.set(true);
        let listener = window_event_listener(leptos::ev::storage, move |ev| {
            if ev.key().as_deref() == Some(storage::SESSION_KEY) {
                // Another tab logged in, refreshed or logged out.
                auth.user.set(storage::load().map(|s| s.user));
            }
        });
        let timer = set_interval_with_handle(move || keep_fresh(auth), Duration::from_millis(500));
        let heartbeat = set_interval_with_handle(move || check_in(auth), HEARTBEAT);
        on_cleanup(move || {
            listener.remove();
            for timer in [timer, heartbeat].into_iter().flatten() {
                timer.clear();
            }
        });
        true
    });
    auth
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// What a password login needs next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginStep {
    /// Logged in.
    Done,
    /// TOTP is on: the second step, with this token.
    SecondFactor { mfa_token: String },
}

/// A second factor as the person typed it.
#[derive(Clone, Debug)]
pub enum SecondFactor {
    Code(String),
    RecoveryCode(String),
}

/// Logs in with the device token this browser holds for `username` (if
/// any), and starts the session, unless a second factor is needed.
pub async fn log_in(auth: Auth, username: String, password: String) -> Result<LoginStep, ApiError> {
    let device_token = storage::device_token(&username).map(Redacted::new);
    let answer = Api::login(CredentialsRequest {
        username,
        password: Redacted::new(password),
        device_token,
    })
    .await;
    match answer {
        Ok(tokens) => {
            start(auth, tokens);
            Ok(LoginStep::Done)
        }
        Err(e) if e.code() == Some(ErrorCode::MfaRequired) => Ok(LoginStep::SecondFactor {
            mfa_token: e.mfa_token().unwrap_or_default(),
        }),
        Err(e) => Err(e),
    }
}

/// The second step of a login of `username`, and the session.
pub async fn finish_mfa(
    auth: Auth,
    username: &str,
    mfa_token: String,
    factor: SecondFactor,
) -> Result<(), ApiError> {
    let (code, recovery_code) = match factor {
        SecondFactor::Code(code) => (Some(Redacted::new(code)), None),
        SecondFactor::RecoveryCode(code) => (None, Some(Redacted::new(code))),
    };
    let tokens = Api::finish_mfa(MfaRequest {
        mfa_token: Redacted::new(mfa_token),
        code,
        recovery_code,
        device_token: storage::device_token(username).map(Redacted::new),
    })
    .await?;
    start(auth, tokens);
    Ok(())
}

/// A passwordless login: the browser offers this site's passkeys, and the
/// one the person picks starts the session. Its code (the WebAuthn
/// ceremony and its JSON) is fetched when the button is first pressed, not
/// with the login page.
#[leptos::lazy]
pub async fn log_in_with_passkey(auth: Auth) -> Result<(), ApiError> {
    let ceremony = Api::passkey_login_options().await?;
    let credential = crate::webauthn::get(&ceremony.options)
        .await
        .map_err(|e| ApiError::Browser(e.message()))?;
    let tokens = Api::passkey_login(PasskeyLogin {
        ceremony: ceremony.ceremony,
        credential,
        device_token: None,
    })
    .await?;
    start(auth, tokens);
    Ok(())
}

/// Forgets this browser's device token for `username` (the account is gone).
pub fn forget_device(username: &str) {
    storage::forget_device(username);
}

/// Stores a new token response (login, password change) and shows the user;
/// a login's device token is kept for the next login of this user.
pub fn start(auth: Auth, mut tokens: TokenResponse) {
    if let Some(device_token) = tokens.device_token.take() {
        storage::remember_device(&tokens.user.username, device_token.into_inner());
    }
    let stored = storage::to_stored(tokens);
    storage::save(&stored);
    auth.notice.set(None);
    auth.user.set(Some(stored.user));
}

/// Forgets the session in this tab and every other one; `notice` is shown on
/// the login page.
pub fn end(auth: Auth, notice: Option<&str>) {
    storage::forget();
    auth.notice.set(notice.map(str::to_owned));
    auth.user.set(None);
}

/// Logs out on the server (best effort) and here.
pub async fn log_out(auth: Auth) {
    // Forget the session first: a call still in flight that the logout makes
    // fail then finds nothing to end, and shows no "session ended" notice.
    let stored = storage::load();
    end(auth, None);
    if let Some(stored) = stored {
        let _ = log_out_on_server(stored.token).await;
    }
}

/// The server side of a logout, in the `session_upkeep` module (see
/// `renewal`): only a signed-in tab logs out.
#[leptos::wasm_split::wasm_split(
    session_upkeep,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    return_wrapper(let future = _; { future.await } -> Result<(), ApiError>)
)]
fn log_out_on_server(token: String) -> renewal::Upkeep<()> {
    Box::pin(AuthedApi::new(token).logout())
}

/// Runs `call` with a fresh access token. After `token_expired` it refreshes
/// once and retries; when the server refuses the session it ends it.
pub async fn authed<T, F, Fut>(auth: Auth, call: F) -> Result<T, ApiError>
where
    F: Fn(AuthedApi) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut stored = storage::load().ok_or_else(ApiError::not_logged_in)?;
    if due_for_renewal(&stored) {
        stored = renew(auth, stored).await?;
    }
    let result = match call(AuthedApi::new(stored.token.clone())).await {
        Err(e) if e.code() == Some(ErrorCode::TokenExpired) => {
            stored = renew(auth, stored).await?;
            call(AuthedApi::new(stored.token.clone())).await
        }
        other => other,
    };
    result.inspect_err(|e| {
        if ends_session(e) {
            end_if_current(auth, &stored);
        }
    })
}

/// Ends the session with the notice, unless it is no longer the stored one
/// (logged out, or replaced by a login or a refresh meanwhile).
fn end_if_current(auth: Auth, used: &Stored) {
    if storage::load().is_some_and(|current| current.refresh_token == used.refresh_token) {
        end(auth, Some(SESSION_ENDED));
    }
}

fn ends_session(e: &ApiError) -> bool {
    matches!(
        e.code(),
        Some(ErrorCode::TokenRevoked | ErrorCode::InvalidToken | ErrorCode::TokenExpired)
    )
}
