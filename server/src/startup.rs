//! Building the application from a [`Config`]: the one path that both `main`
//! and the tests take, so tests exercise the real wiring.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

use crate::{
    accounts::Accounts,
    auth::{Keys, Limiter, PasswordHasherPool, RELOAD_EVERY, SessionCache},
    clock::Clock,
    config::Config,
    db::Db,
    http,
    state::AppState,
};

/// A bound, migrated, ready-to-serve application.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Opens the database (migrating it), loads or makes the keys, and binds
    /// the listener (port 0 picks a free one). Nothing is served until `run`.
    pub async fn build(config: Config, clock: Clock) -> anyhow::Result<Self> {
        let state = build_state(config, clock).await?;
        let listener = TcpListener::bind(state.config.addr)
            .await
            .with_context(|| format!("binding {}", state.config.addr))?;
        Ok(Self { listener, state })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then stops accepting and lets the
    /// requests in flight finish.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // EdDSA keys live in the database: pick up rotations made elsewhere.
        let reloader = self.state.keys.reloads().then(|| {
            let state = self.state.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(RELOAD_EVERY).await;
                    if let Err(e) = state.keys.reload(&state.db, state.clock.now()).await {
                        tracing::error!(error = %format!("{e:#}"), "reloading the signing keys");
                    }
                }
            })
        });
        let app = http::router(self.state);
        let served = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        if let Some(task) = reloader {
            task.abort();
        }
        served
    }
}

/// Everything a request needs, built once.
pub async fn build_state(config: Config, clock: Clock) -> anyhow::Result<AppState> {
    let db = Db::connect(&config.database_url).await?;
    let keys = Keys::load(&config, &db, clock.now())
        .await
        .context("loading the signing keys")?;
    let sessions = SessionCache::default();
    let accounts = accounts(&config, db.clone(), sessions.clone(), clock.clone()).await?;
    let leptos = LeptosOptions::builder()
        .output_name(config.site.output_name.clone())
        .site_root(config.site.root.clone())
        .site_pkg_dir(config.site.pkg_dir.clone())
        .site_addr(config.addr)
        .reload_port(config.site.reload_port)
        .env(if config.site.dev {
            leptos::config::Env::DEV
        } else {
            leptos::config::Env::PROD
        })
        .build();
    Ok(AppState {
        config: Arc::new(config),
        db,
        keys: Arc::new(keys),
        accounts,
        sessions,
        clock,
        leptos,
    })
}

/// The account flows on `db`, for the server and for the CLI (which has no
/// keys, pages or cache of its own to speak of).
pub async fn accounts(
    config: &Config,
    db: Db,
    sessions: SessionCache,
    clock: Clock,
) -> anyhow::Result<Accounts> {
    // Argon2 may use half the cores (at least one): a login storm then leaves
    // the other half to the requests that only check a token.
    let permits = std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1));
    let limiter = Limiter {
        login: config.login_limit,
        register: config.register_limit,
    };
    Ok(Accounts::new(
        db,
        PasswordHasherPool::new(permits).await?,
        sessions,
        limiter,
        clock,
        config.session_ttl,
    ))
}
