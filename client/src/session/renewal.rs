//! Keeping the access token fresh: renewal shortly before it expires (one
//! refresh at a time in a tab, and across tabs through a lease in storage),
//! and the heartbeat that notices a session revoked elsewhere.
//!
//! Their code is split off into the `session_upkeep` WASM module, with the
//! server side of a logout: only a signed-in tab runs it, so the login page
//! does not fetch it (BENCHMARKS.md). The first renewal, heartbeat or logout
//! fetches it; if that fails, the call fails as the network does (an
//! [`ApiError::Network`], which ends no session) and the next one retries.

use std::{future::Future, pin::Pin, time::Duration};

use leptos::prelude::*;

use super::{
    Auth, authed, end_if_current,
    storage::{self, Lease, Stored},
};
use crate::api::{Api, ApiError, AuthedApi};

/// How long one tab may hold the refresh lease before others stop waiting.
const LEASE_MS: f64 = 5_000.0;

/// How often a visible page asks the server whether its session still
/// stands, so that a session revoked elsewhere ends here without a click.
pub(super) const HEARTBEAT: Duration = Duration::from_secs(10);

/// The heartbeat: `GET /api/me` while logged in and visible. The answer also
/// refreshes the user (roles may have changed); a refusal ends the session.
pub(super) fn check_in(auth: Auth) {
    let visible = document().visibility_state() == web_sys::VisibilityState::Visible;
    if !visible || auth.user.get_untracked().is_none() {
        return;
    }
    leptos::task::spawn_local(async move {
        let _ = heartbeat(auth).await;
    });
}

/// What a function of the `session_upkeep` module returns: its future,
/// boxed, since a split function cannot be `async` (the split macro's
/// `return_wrapper` awaits it).
pub(super) type Upkeep<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

/// One heartbeat: the signed-in user as the server sees them now.
#[leptos::wasm_split::wasm_split(
    session_upkeep,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    return_wrapper(let future = _; { future.await } -> Result<(), ApiError>)
)]
fn heartbeat(auth: Auth) -> Upkeep<()> {
    Box::pin(async move {
        let user = authed(auth, AuthedApi::me).await?;
        if auth.user.get_untracked().is_some() {
            auth.user.set(Some(user));
        }
        Ok(())
    })
}

/// The timer's tick: renew a token that is about to expire.
pub(super) fn keep_fresh(auth: Auth) {
    if auth.refreshing.get_untracked() {
        return;
    }
    if let Some(stored) = storage::load().filter(due_for_renewal) {
        leptos::task::spawn_local(async move {
            let _ = renew(auth, stored).await;
        });
    }
}

/// Renew when a third of the lifetime is left (at least 1 s, at most 60 s).
pub(super) fn due_for_renewal(stored: &Stored) -> bool {
    let lead = (stored.ttl / 3).clamp(1, 60);
    storage::now_secs() + stored.skew >= stored.expires - lead
}

/// Spends the refresh token for a new pair: one refresh at a time in this tab
/// (a flag) and across tabs (a lease in storage). A tab that finds the token
/// already replaced by another tab uses the new one.
#[leptos::wasm_split::wasm_split(
    session_upkeep,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    return_wrapper(let future = _; { future.await } -> Result<Stored, ApiError>)
)]
pub(super) fn renew(auth: Auth, stale: Stored) -> Upkeep<Stored> {
    Box::pin(renew_now(auth, stale))
}

async fn renew_now(auth: Auth, stale: Stored) -> Result<Stored, ApiError> {
    let waited_from = js_sys::Date::now();
    loop {
        let current = storage::load().ok_or_else(ApiError::not_logged_in)?;
        if current.refresh_token != stale.refresh_token {
            return Ok(current);
        }
        let lease_taken = storage::lease().is_some_and(|l| {
            l.until_ms > js_sys::Date::now() && l.owner != auth.tab_id.get_value()
        });
        let busy = auth.refreshing.get_untracked() || lease_taken;
        if busy && js_sys::Date::now() - waited_from < LEASE_MS {
            gloo_timers::future::sleep(Duration::from_millis(50)).await;
            continue;
        }
        break;
    }

    auth.refreshing.set(true);
    storage::take_lease(&Lease {
        owner: auth.tab_id.get_value(),
        until_ms: js_sys::Date::now() + LEASE_MS,
    });
    let result = Api::refresh(stale.refresh_token.clone()).await;
    storage::release_lease();
    auth.refreshing.set(false);

    match result {
        Ok(tokens) => {
            let stored = storage::to_stored(tokens);
            storage::save(&stored);
            Ok(stored)
        }
        Err(e) => {
            // A tab that lost a race gets the grace answer; the winner's token is stored.
            if let Some(current) =
                storage::load().filter(|c| c.refresh_token != stale.refresh_token)
            {
                return Ok(current);
            }
            if e.code().is_some() {
                end_if_current(auth, &stale);
            }
            Err(e)
        }
    }
}
