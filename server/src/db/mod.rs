//! The database: the only module that knows SQL or which backend is in use.
//!
//! Queries go through sqlx's `Any` driver with `$n` placeholders, which both
//! SQLite and PostgreSQL accept, so one set of queries serves both backends;
//! only the migrations differ. Every method of [`Db`] that answers `Ok` has
//! committed its writes; the methods of [`Tx`] are committed together by
//! [`Tx::commit`] (an account flow that changes several rows uses one).

mod activity;
mod devices;
mod email;
mod keys;
mod limits;
mod mfa;
mod notes;
mod outbox;
mod passkeys;
mod sessions;
mod users;

use std::{path::Path, str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    AnyPool,
    any::{AnyConnectOptions, AnyPoolOptions},
};

pub use activity::ActivityRow;
pub use email::{EmailVerificationRow, PasswordResetRow};
pub use keys::SigningKeyRow;
pub use mfa::{MfaChallengeRow, TotpRow};
pub use notes::NoteRow;
pub use outbox::OutboxRow;
pub use passkeys::{CeremonyRow, PasskeyRow};
pub use sessions::{RefreshLookup, SessionRow, SessionWithUser};
pub use users::{NameList, PasswordHashString, Roles, UserRow, UserWithSessions};

/// How long a request waits for a PostgreSQL connection before it answers `503`.
pub const ACQUIRE_TIMEOUT_POSTGRES: Duration = Duration::from_millis(1500);

/// How long start-up waits for the first connection. Longer than a
/// request's wait: a PostgreSQL just started beside this process, or a busy
/// machine's TLS handshake, can take more than a request's 1.5 s.
const STARTUP_PATIENCE: Duration = Duration::from_secs(15);

/// How long `/healthz` waits for the database before answering `503`.
const PING_TIMEOUT: Duration = Duration::from_secs(1);

/// A handle to the database pool; cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    /// How a transaction starts: on SQLite `BEGIN IMMEDIATE`, which takes
    /// the write lock first (waiting for it under the busy timeout). A
    /// deferred transaction that reads before it writes cannot wait: its
    /// first write fails at once with `SQLITE_BUSY` when another writer
    /// committed since its read.
    begin: &'static str,
}

/// One database transaction. Dropped without [`Tx::commit`], it rolls back.
#[derive(Debug)]
pub struct Tx(sqlx::Transaction<'static, sqlx::Any>);

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.0.commit().await
    }

    fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.0
    }
}

impl Db {
    /// Connects to `url` with at most `max_connections`, creating a SQLite
    /// file (and its folder) if needed, and applies the migrations.
    ///
    /// A request never holds two connections at once: one that waits for a
    /// second while holding a transaction deadlocks with others doing the
    /// same once the pool is used up. (The API tests run on a pool of one,
    /// so such a flow fails every run.)
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let is_sqlite = url.starts_with("sqlite:");
        let url = if is_sqlite {
            prepare_sqlite(url)?
        } else {
            url.to_owned()
        };
        let options = AnyConnectOptions::from_str(&url).context("DATABASE_URL is not usable")?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            // PostgreSQL may be down or unreachable: a request gets its 503
            // quickly instead of waiting on a dead pool, and the pool
            // reconnects by itself when the database is back. A local
            // SQLite file is never "down"; its writers may queue longer.
            .acquire_timeout(if is_sqlite {
                Duration::from_secs(10)
            } else {
                ACQUIRE_TIMEOUT_POSTGRES
            })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if is_sqlite {
                        // WAL lets readers run beside the one writer; the busy
                        // timeout makes writers queue instead of failing.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 10000")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_lazy_with(options);
        wait_for_first_connection(&pool)
            .await
            .context("connecting to the database")?;
        if is_sqlite {
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        } else {
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        }
        let begin = if is_sqlite {
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN"
        };
        Ok(Self { pool, begin })
    }

    /// Starts a transaction, in a task of its own, so that a caller that
    /// gives up midway (a request whose client left, a timeout) cannot leave
    /// a transaction open on a pooled connection.
    ///
    /// sqlx 0.8.6's `begin_with` is not cancellation-safe: dropped after
    /// SQLite acknowledged the `BEGIN IMMEDIATE` but before it checked the
    /// connection is in a transaction (one more await), it returns the
    /// connection to the pool with the transaction open and nothing to roll
    /// it back (transact-rs/sqlx #3932; PostgreSQL has the same window, #4385).
    /// That connection then holds SQLite's write lock for good, and every
    /// other writer waits out the busy timeout. The task always runs to the
    /// end: if the caller has gone, the `Tx` is dropped there and rolls back.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let (pool, statement) = (self.pool.clone(), self.begin);
        match tokio::spawn(async move { pool.begin_with(statement).await }).await {
            Ok(tx) => Ok(Tx(tx?)),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // The runtime is shutting down.
            Err(_) => Err(sqlx::Error::PoolClosed),
        }
    }

    /// Whether the database answers a trivial query within a second.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        let query = sqlx::query("SELECT 1").execute(&self.pool);
        match tokio::time::timeout(PING_TIMEOUT, query).await {
            Ok(answer) => answer.map(|_| ()),
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    }
}

/// Waits up to [`STARTUP_PATIENCE`] for the pool's first connection. Only a
/// timeout is retried: a refusal that will not change (a bad password, TLS
/// the server cannot do) ends start-up at once.
async fn wait_for_first_connection(pool: &AnyPool) -> Result<(), sqlx::Error> {
    let deadline = tokio::time::Instant::now() + STARTUP_PATIENCE;
    loop {
        match pool.acquire().await {
            Ok(_) => return Ok(()),
            Err(sqlx::Error::PoolTimedOut) if tokio::time::Instant::now() < deadline => {}
            Err(e) => return Err(e),
        }
    }
}

/// Makes the SQLite file's folder and asks sqlx to create the file.
fn prepare_sqlite(url: &str) -> anyhow::Result<String> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if let Some(dir) = Path::new(path).parent() {
        // The default folder also holds the generated keys: owner only.
        crate::secrets::ensure_private_dir(dir)?;
    }
    Ok(if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

#[cfg(test)]
mod tests {
    use std::{future::Future, pin::pin, task::Poll};

    use super::*;

    /// Polls `future` at most `polls` times, then drops it. Between polls
    /// the test's thread either sleeps for `pause` (blocking on purpose: only
    /// SQLite's worker thread moves on meanwhile) or, with none, lets the
    /// runtime's other tasks run (the pool's, returning connections).
    async fn give_up_after(polls: usize, pause: Option<Duration>, future: impl Future) {
        let mut future = pin!(future);
        for _ in 0..polls {
            let ready = std::future::poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx).is_ready()));
            if ready.await {
                return;
            }
            match pause {
                Some(pause) => std::thread::sleep(pause),
                None => tokio::task::yield_now().await,
            }
        }
    }

    #[tokio::test]
    async fn a_begin_given_up_midway_leaves_no_transaction_open() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db", dir.path().display());
        // One connection: a transaction left open on it is met by every
        // later `begin`.
        let db = Db::connect(&url, 1).await.unwrap();
        // Stop `begin`s at every one of sqlx's awaits (acquiring, the
        // acknowledged BEGIN, the check after it), at varied moments. On
        // sqlx 0.8.6 without the task, some of these leave the transaction
        // open and the write below fails with `InvalidSavePointStatement`.
        for round in 0..400_u16 {
            let pause =
                (round % 2 == 1).then(|| Duration::from_micros(u64::from(round) * 37 % 300));
            give_up_after(usize::from(round % 40) + 1, pause, db.begin()).await;
        }
        let write = async {
            let mut tx = db.begin().await?;
            sqlx::query("CREATE TABLE probe (x INTEGER)")
                .execute(tx.conn())
                .await?;
            tx.commit().await
        };
        tokio::time::timeout(Duration::from_secs(5), write)
            .await
            .expect("a write transaction within 5 s")
            .expect("the write commits");
        // Committed, as seen through a connection of its own.
        let other = Db::connect(&url, 1).await.unwrap();
        sqlx::query("SELECT x FROM probe")
            .execute(&other.pool)
            .await
            .expect("the table exists");
    }
}
