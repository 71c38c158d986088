//! The per-request session check, with a short-lived in-memory cache, and
//! the one path that revokes sessions.
//!
//! Every request with a valid JWT must also have an active session (this is
//! what lets the server revoke tokens). Reading the database on every request
//! would dominate the cost of `/api/me`, so the answer is cached per session
//! for at most [`FRESH_FOR`].
//!
//! Every revocation (and every change to a user that the cache holds: roles,
//! deletion) is made through a [`SessionChange`], which evicts the user's
//! cached sessions when its transaction commits. So a revocation made by this
//! process is refused at once, and there is no way to revoke and forget the
//! cache; a revocation made elsewhere (another process, the CLI) is seen
//! within `FRESH_FOR`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use jotpass_shared::Claims;

use crate::{
    db::{Db, Roles, SessionWithUser, Tx},
    error::{ApiError, TokenFailure},
};

/// How long a cached session state is trusted before it is read again.
pub(super) const FRESH_FOR: Duration = Duration::from_millis(500);

/// Beyond this many entries the cache is simply emptied; a refill costs one
/// query per active session.
const MAX_ENTRIES: usize = 100_000;

/// How often, at most, `last_used_at` is written for a busy session.
const TOUCH_EVERY_SECS: i64 = 60;

#[derive(Clone, Default)]
pub struct SessionCache {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionCache")
    }
}

/// Shared, so that a cache hit costs a reference count, not a copy.
#[derive(Clone)]
struct Entry {
    state: Arc<SessionWithUser>,
    loaded: Instant,
}

impl SessionCache {
    /// The active session behind `claims`, or why there is none:
    /// unknown session or another user's (`invalid_token`), revoked
    /// (`token_revoked`), ended (`token_expired`).
    pub async fn active_session(
        &self,
        db: &Db,
        claims: &Claims,
        now: i64,
    ) -> Result<Arc<SessionWithUser>, ApiError> {
        let cached = self.lock().get(&claims.sid).cloned();
        let state = match cached {
            Some(entry) if entry.loaded.elapsed() < FRESH_FOR => entry.state,
            _ => {
                let Some(state) = db.session_with_user(&claims.sid).await? else {
                    self.lock().remove(&claims.sid);
                    return Err(ApiError::Unauthorized(TokenFailure::Invalid));
                };
                let state = Arc::new(state);
                self.insert(state.clone());
                state
            }
        };
        let session = &state.session;
        if session.user_id != claims.sub {
            return Err(ApiError::Unauthorized(TokenFailure::Invalid));
        }
        if session.revoked_at.is_some() {
            return Err(ApiError::Unauthorized(TokenFailure::Revoked));
        }
        if session.expires_at <= now {
            return Err(ApiError::Unauthorized(TokenFailure::Expired));
        }
        if now - session.last_used_at >= TOUCH_EVERY_SECS {
            db.touch_session(&session.id, now).await?;
            let mut touched = SessionWithUser::clone(&state);
            touched.session.last_used_at = now;
            let touched = Arc::new(touched);
            if let Some(entry) = self.lock().get_mut(&claims.sid) {
                entry.state = touched.clone();
            }
            return Ok(touched);
        }
        Ok(state)
    }

    /// Starts a transaction in which sessions may be revoked; see
    /// [`SessionChange`].
    pub async fn change(&self, db: &Db) -> Result<SessionChange, sqlx::Error> {
        Ok(SessionChange {
            tx: db.begin().await?,
            cache: self.clone(),
            evict: Vec::new(),
        })
    }

    /// Forgets every cached session of `user_id`.
    fn evict_user(&self, user_id: &str) {
        self.lock()
            .retain(|_, e| e.state.session.user_id != user_id);
    }

    fn insert(&self, state: Arc<SessionWithUser>) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            state.session.id.clone(),
            Entry {
                state,
                loaded: Instant::now(),
            },
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding this lock leaves only a cache behind; keep going.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One transaction of an account flow, and the only way to revoke a session.
///
/// Writes that revoke (or change what the cache holds about a user) are
/// methods here; the flow's other writes go through [`SessionChange::tx`].
/// [`SessionChange::commit`] commits them together and then evicts every
/// user they touched. Dropped without a commit, nothing is written.
#[derive(Debug)]
pub struct SessionChange {
    tx: Tx,
    cache: SessionCache,
    evict: Vec<String>,
}

impl SessionChange {
    /// The transaction, for the flow's writes that revoke nothing.
    pub fn tx(&mut self) -> &mut Tx {
        &mut self.tx
    }

    /// Revokes one active session of `user_id`; `Ok(false)` when it is not
    /// theirs, unknown, or already revoked.
    pub async fn revoke_session(
        &mut self,
        user_id: &str,
        id: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        self.evict.push(user_id.to_owned());
        self.tx.revoke_session(user_id, id, now).await
    }

    /// Revokes every unrevoked session of the user except `keep`.
    pub async fn revoke_user_sessions(
        &mut self,
        user_id: &str,
        keep: Option<&str>,
        now: i64,
    ) -> Result<u64, sqlx::Error> {
        self.evict.push(user_id.to_owned());
        self.tx.revoke_user_sessions(user_id, keep, now).await
    }

    /// Sets the user's roles (which the cache holds); `Ok(false)` when there
    /// is no such user.
    pub async fn set_roles(&mut self, user_id: &str, roles: &Roles) -> Result<bool, sqlx::Error> {
        self.evict.push(user_id.to_owned());
        self.tx.set_roles(user_id, roles).await
    }

    /// Makes `email` the user's verified address (which the cache holds);
    /// `Ok(false)` when another account has verified it.
    pub async fn set_verified_email(
        &mut self,
        user_id: &str,
        email: &str,
    ) -> Result<bool, sqlx::Error> {
        self.evict.push(user_id.to_owned());
        self.tx.set_verified_email(user_id, email).await
    }

    /// Deletes the user with their sessions, refresh tokens and notes.
    pub async fn delete_user(&mut self, user_id: &str) -> Result<(), sqlx::Error> {
        self.evict.push(user_id.to_owned());
        self.tx.delete_user(user_id).await
    }

    /// Commits, then forgets the cached sessions of every user touched.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await?;
        for user_id in &self.evict {
            self.cache.evict_user(user_id);
        }
        Ok(())
    }
}
