//! [`AppState`]: every handle a request may need, behind one `Arc`.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use tokio_util::task::TaskTracker;

use crate::{
    accounts::Accounts,
    auth::{Keys, SessionCache},
    clock::Clock,
    config::Config,
    db::Db,
    mail::worker::Worker,
};

/// Cloned several times for every request (each layer and extractor that
/// takes `State`, and axum clones the layered route service per request):
/// one `Arc`, so a clone is one atomic increment, whatever the state holds.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] shares; reached through `Deref` (`state.db`).
pub struct Shared {
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
    /// The requests that may change state, each running to its end in a
    /// task of its own (`http::middleware::run_to_completion`); a shutdown
    /// waits for them as for the connections.
    pub writes: TaskTracker,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// leptos_axum renders pages with the options taken from the state.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}
