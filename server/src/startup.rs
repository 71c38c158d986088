//! Building the application from a [`Config`]: the one path that both `main`
//! and the tests take, so tests exercise the real wiring.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use axum::{Router, extract::ConnectInfo, http::Request};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use leptos::config::LeptosOptions;
use tokio::{net::TcpListener, sync::Notify};
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::{
    accounts::{self, Accounts},
    auth::{
        Kek, Keys, Limiter, PasswordHasherPool, RELOAD_EVERY, SessionCache, webauthn::Passkeys,
    },
    clock::Clock,
    config::Config,
    db::Db,
    http,
    mail::{Mailer, worker::Worker},
    state::{AppState, Shared},
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
    /// requests in flight finish (for at most [`SHUTDOWN_GRACE`]).
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
        // The outbox is drained in the background: a request never waits
        // for a mail server.
        let mailer = tokio::spawn(self.state.mail.clone().run());
        let writes = self.state.writes.clone();
        let app = http::router(self.state);
        let served = serve(self.listener, app, writes, shutdown).await;
        if let Some(task) = reloader {
            task.abort();
        }
        mailer.abort();
        served
    }
}

/// A request's headers must have arrived this long after the connection
/// opened (or the previous response), or the connection is dropped: slow
/// clients cannot pin connections (API.md, "Timeouts and limits of the
/// transport"). The body's own limit is `http::BODY_TIMEOUT`.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// After SIGTERM, requests in flight get this long to finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The transport: HTTP/1.1 connections with the header timeout, each
/// request carrying its peer address, and a graceful shutdown bounded by
/// [`SHUTDOWN_GRACE`] that waits for the connections and for the `writes`
/// still running after their client left. (`axum::serve` has no header
/// timeout.)
async fn serve(
    listener: TcpListener,
    app: Router,
    writes: TaskTracker,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let builder = builder.http1_only();
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait, don't spin.
                    tracing::warn!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = app.clone().map_request(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that vanished or timed out: nothing to answer.
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    // Writes may still start while the open connections finish: the tracker
    // counts them all, and is done once none is left.
    writes.close();
    let drained = async {
        graceful.shutdown().await;
        writes.wait().await;
    };
    tokio::select! {
        () = drained => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("requests still in flight after {SHUTDOWN_GRACE:?}; stopping anyway");
        }
    }
    Ok(())
}

/// Everything a request needs, built once.
pub async fn build_state(config: Config, clock: Clock) -> anyhow::Result<AppState> {
    let db = Db::connect(&config.database_url, config.db_pool_size).await?;
    let keys = Keys::load(&config, &db, clock.now())
        .await
        .context("loading the signing keys")?;
    let sessions = SessionCache::default();
    // The key-encryption key seals TOTP secrets (and EdDSA keys, which
    // `Keys` loads for itself).
    let kek = Arc::new(Kek::load(&config).context("loading the key-encryption key")?);
    let mail_wake = Arc::new(Notify::new());
    let accounts = accounts(
        &config,
        db.clone(),
        sessions.clone(),
        clock.clone(),
        Some(kek.clone()),
        mail_wake.clone(),
    )
    .await?;
    let mail = Worker {
        db: db.clone(),
        mailer: Mailer::from_config(&config)?,
        kek,
        clock: clock.clone(),
        retention: config.activity_retention,
        wake: mail_wake,
    };
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
    Ok(AppState::new(Shared {
        config: Arc::new(config),
        db,
        keys: Arc::new(keys),
        accounts,
        sessions,
        clock,
        leptos,
        mail,
        writes: TaskTracker::new(),
    }))
}

/// The account flows on `db`, for the server and for the CLI. The CLI
/// passes the `kek` only if one exists (it must not create a key file as a
/// side effect); `mail_wake` wakes the mail worker.
pub async fn accounts(
    config: &Config,
    db: Db,
    sessions: SessionCache,
    clock: Clock,
    kek: Option<Arc<Kek>>,
    mail_wake: Arc<Notify>,
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
        accounts::Parts {
            hasher: PasswordHasherPool::new(permits)?,
            sessions,
            limiter,
            clock,
            session_ttl: config.session_ttl,
            kek,
            passkeys: Passkeys::new(&config.public_url)?,
            public_url: config.public_url.origin.clone(),
            mail_wake,
        },
    ))
}
