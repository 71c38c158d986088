//! The session manager: the only code that touches `localStorage`, and the
//! auth state every page reads.
//!
//! It keeps the access token fresh (renewing shortly before it expires, one
//! refresh at a time across every tab of the origin), retries a call once
//! after `token_expired`, ends the session on `token_revoked`,
//! `invalid_token` or a failed refresh, checks in with the server every 10 s
//! while the page is visible (so a session revoked elsewhere ends here too),
//! and follows logins, refreshes and logouts made in other tabs through
//! `storage` events.
//!
//! Everything that touches the browser runs only after hydration (from
//! effects, actions and local resources); on the server the state stays
//! "not ready", so the server and the first client render agree.

use std::{future::Future, time::Duration};

use gloo_storage::{LocalStorage, Storage};
use jotpass_shared::{ErrorCode, TokenResponse, User};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::{Api, ApiError, AuthedApi};

/// The notice shown on the login page when the server ended the session.
pub const SESSION_ENDED: &str = "Your session has ended. Please log in again.";

const SESSION_KEY: &str = "jotpass.session";
const LEASE_KEY: &str = "jotpass.refresh_lease";
/// How long one tab may hold the refresh lease before others stop waiting.
const LEASE_MS: f64 = 5_000.0;

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
}

/// What is kept in `localStorage` under `jotpass.session`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct Stored {
    token: String,
    /// The access token's `exp` (server time, Unix seconds).
    expires: i64,
    refresh_token: String,
    refresh_expires: i64,
    user: User,
    /// Server time minus this browser's time when the token was issued.
    skew: i64,
    /// The access token's lifetime, in seconds.
    ttl: i64,
}

#[derive(Serialize, Deserialize)]
struct Lease {
    owner: String,
    until_ms: f64,
}

/// Creates the auth state and, once hydrated, loads it from storage and
/// starts the renewal timer and the cross-tab listener.
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
    // Effects run only in the browser, after hydration.
    Effect::new(move |started: Option<()>| {
        if started.is_some() {
            return;
        }
        auth.tab_id
            .set_value(format!("{:x}", (js_sys::Math::random() * 1e16) as u64));
        auth.user.set(load().map(|s| s.user));
        auth.ready.set(true);
        let listener = window_event_listener(leptos::ev::storage, move |ev| {
            if ev.key().as_deref() == Some(SESSION_KEY) {
                // Another tab logged in, refreshed or logged out.
                auth.user.set(load().map(|s| s.user));
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
    });
    auth
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// Stores a new token response (login, password change) and shows the user.
pub fn start(auth: Auth, tokens: TokenResponse) {
    let stored = to_stored(tokens);
    let _ = LocalStorage::set(SESSION_KEY, &stored);
    auth.notice.set(None);
    auth.user.set(Some(stored.user));
}

/// Forgets the session in this tab and every other one; `notice` is shown on
/// the login page.
pub fn end(auth: Auth, notice: Option<&str>) {
    LocalStorage::delete(SESSION_KEY);
    auth.notice.set(notice.map(str::to_owned));
    auth.user.set(None);
}

/// Logs out on the server (best effort) and here.
pub async fn log_out(auth: Auth) {
    // Forget the session first: a call still in flight that the logout makes
    // fail then finds nothing to end, and shows no "session ended" notice.
    let stored = load();
    end(auth, None);
    if let Some(stored) = stored {
        let _ = AuthedApi::new(stored.token).logout().await;
    }
}

/// Runs `call` with a fresh access token. After `token_expired` it refreshes
/// once and retries; when the server refuses the session it ends it.
pub async fn authed<T, F, Fut>(auth: Auth, call: F) -> Result<T, ApiError>
where
    F: Fn(AuthedApi) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut stored = load().ok_or_else(ApiError::not_logged_in)?;
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
    if load().is_some_and(|current| current.refresh_token == used.refresh_token) {
        end(auth, Some(SESSION_ENDED));
    }
}

fn ends_session(e: &ApiError) -> bool {
    matches!(
        e.code(),
        Some(ErrorCode::TokenRevoked | ErrorCode::InvalidToken | ErrorCode::TokenExpired)
    )
}

/// How often a visible page asks the server whether its session still
/// stands, so that a session revoked elsewhere ends here without a click.
const HEARTBEAT: Duration = Duration::from_secs(10);

/// The heartbeat: `GET /api/me` while logged in and visible. The answer also
/// refreshes the user (roles may have changed); a refusal ends the session.
fn check_in(auth: Auth) {
    let visible = document().visibility_state() == web_sys::VisibilityState::Visible;
    if !visible || auth.user.get_untracked().is_none() {
        return;
    }
    leptos::task::spawn_local(async move {
        if let Ok(user) = authed(auth, AuthedApi::me).await
            && auth.user.get_untracked().is_some()
        {
            auth.user.set(Some(user));
        }
    });
}

/// The timer's tick: renew a token that is about to expire.
fn keep_fresh(auth: Auth) {
    if auth.refreshing.get_untracked() {
        return;
    }
    if let Some(stored) = load().filter(due_for_renewal) {
        leptos::task::spawn_local(async move {
            let _ = renew(auth, stored).await;
        });
    }
}

/// Renew when a third of the lifetime is left (at least 1 s, at most 60 s).
fn due_for_renewal(stored: &Stored) -> bool {
    let lead = (stored.ttl / 3).clamp(1, 60);
    now_secs() + stored.skew >= stored.expires - lead
}

/// Spends the refresh token for a new pair: one refresh at a time in this tab
/// (a flag) and across tabs (a lease in storage). A tab that finds the token
/// already replaced by another tab uses the new one.
async fn renew(auth: Auth, stale: Stored) -> Result<Stored, ApiError> {
    let waited_from = js_sys::Date::now();
    loop {
        let current = load().ok_or_else(ApiError::not_logged_in)?;
        if current.refresh_token != stale.refresh_token {
            return Ok(current);
        }
        let lease_taken = LocalStorage::get::<Lease>(LEASE_KEY)
            .is_ok_and(|l| l.until_ms > js_sys::Date::now() && l.owner != auth.tab_id.get_value());
        let busy = auth.refreshing.get_untracked() || lease_taken;
        if busy && js_sys::Date::now() - waited_from < LEASE_MS {
            gloo_timers::future::sleep(Duration::from_millis(50)).await;
            continue;
        }
        break;
    }

    auth.refreshing.set(true);
    let _ = LocalStorage::set(
        LEASE_KEY,
        Lease {
            owner: auth.tab_id.get_value(),
            until_ms: js_sys::Date::now() + LEASE_MS,
        },
    );
    let result = Api::refresh(stale.refresh_token.clone()).await;
    LocalStorage::delete(LEASE_KEY);
    auth.refreshing.set(false);

    match result {
        Ok(tokens) => {
            let stored = to_stored(tokens);
            let _ = LocalStorage::set(SESSION_KEY, &stored);
            Ok(stored)
        }
        Err(e) => {
            // A tab that lost a race gets the grace answer; the winner's token is stored.
            if let Some(current) = load().filter(|c| c.refresh_token != stale.refresh_token) {
                return Ok(current);
            }
            if e.code().is_some() {
                end_if_current(auth, &stale);
            }
            Err(e)
        }
    }
}

fn load() -> Option<Stored> {
    LocalStorage::get(SESSION_KEY).ok()
}

fn to_stored(tokens: TokenResponse) -> Stored {
    let iat = token_iat(tokens.token.expose()).unwrap_or_else(now_secs);
    Stored {
        expires: tokens.expires as i64,
        refresh_expires: tokens.refresh_expires as i64,
        skew: iat - now_secs(),
        ttl: (tokens.expires as i64 - iat).max(1),
        token: tokens.token.into_inner(),
        refresh_token: tokens.refresh_token.into_inner(),
        user: tokens.user,
    }
}

fn now_secs() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// The `iat` claim of a JWT, read without verifying (the server verifies;
/// the client only needs the clock skew and the lifetime).
fn token_iat(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let mut b64: String = payload.replace('-', "+").replace('_', "/");
    while !b64.len().is_multiple_of(4) {
        b64.push('=');
    }
    let json = web_sys::window()?.atob(&b64).ok()?;
    let claims: serde_json::Value = serde_json::from_str(&json).ok()?;
    claims.get("iat")?.as_i64()
}
