//! [`AppState`]: every handle a request may need, each cheap to clone.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::{
    accounts::Accounts,
    auth::{Keys, SessionCache},
    clock::Clock,
    config::Config,
    db::Db,
    mail::worker::Worker,
};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub keys: Arc<Keys>,
    /// The account flows (they hold the password hasher and the limits).
    pub accounts: Accounts,
    /// The per-request session check; the same cache as the flows revoke through.
    pub sessions: SessionCache,
    pub clock: Clock,
    pub leptos: LeptosOptions,
    /// The outbox's sender, which `Application::run_until` starts.
    pub mail: Worker,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}
