//! Sessions and their refresh tokens.
//!
//! The revoking writes are methods of [`Tx`] and are called only by
//! `auth::sessions`, the one revocation path, which evicts the session
//! cache when the transaction commits.

use jotpass_shared::Redacted;

use super::{Db, NameList, Roles, Tx};

/// A stored session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub user_agent: Option<String>,
    /// The hash of the device token the session was started with.
    pub device_hash: Option<String>,
    /// How the session was authenticated (RFC 8176 values).
    #[sqlx(try_from = "String")]
    pub amr: NameList,
    /// The client's address at login.
    pub ip: Option<String>,
}

/// A session with what a request needs to know about its user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionWithUser {
    #[sqlx(flatten)]
    pub session: SessionRow,
    pub username: String,
    #[sqlx(try_from = "String")]
    pub roles: Roles,
    pub user_created_at: i64,
    pub email: Option<String>,
    pub email_verified: i64,
}

/// What a refresh token (by hash) points at.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshLookup {
    #[sqlx(flatten)]
    pub session: SessionRow,
    pub spent_at: Option<i64>,
    /// Once spent: the hash of its one successor…
    pub successor_hash: Option<String>,
    /// …and the successor itself, sealed under a key derived from this
    /// token (see `accounts::refresh`). Never printed.
    #[sqlx(try_from = "Option<String>")]
    pub successor_sealed: Redacted<Option<String>>,
}

const SESSION_COLUMNS: &str = "s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at, \
     s.revoked_at, s.user_agent, s.device_hash, s.amr, s.ip";

impl Db {
    /// The session `id` with its user, whatever its state.
    pub async fn session_with_user(
        &self,
        id: &str,
    ) -> Result<Option<SessionWithUser>, sqlx::Error> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS}, u.username, u.roles, u.created_at AS user_created_at,
                    u.email, u.email_verified
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1"
        );
        sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// The user's sessions that are neither revoked nor expired at `now`, newest first.
    pub async fn active_sessions(
        &self,
        user_id: &str,
        now: i64,
    ) -> Result<Vec<SessionRow>, sqlx::Error> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s
             WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
             ORDER BY s.seq DESC"
        );
        sqlx::query_as(&sql)
            .bind(user_id)
            .bind(now)
            .fetch_all(&self.pool)
            .await
    }

    /// Records that the session was used at `now`.
    pub async fn touch_session(&self, id: &str, now: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE sessions SET last_used_at = $1 WHERE id = $2 AND last_used_at < $1")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// What the refresh token with this hash belongs to.
    pub async fn refresh_lookup(
        &self,
        token_hash: &str,
    ) -> Result<Option<RefreshLookup>, sqlx::Error> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS}, r.spent_at, r.successor_hash, r.successor_sealed
             FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id
             WHERE r.token_hash = $1"
        );
        sqlx::query_as(&sql)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
    }
}

impl Tx {
    /// Where the user has logged in from: the user agent and address of every
    /// session they ever had (revoked and ended ones too). Read in the
    /// transaction that starts the next session, on its connection.
    pub async fn login_history(
        &mut self,
        user_id: &str,
    ) -> Result<Vec<(Option<String>, Option<String>)>, sqlx::Error> {
        sqlx::query_as("SELECT user_agent, ip FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(self.conn())
            .await
    }

    /// Stores a new session and its first refresh token.
    pub async fn create_session(
        &mut self,
        session: &SessionRow,
        refresh_hash: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO sessions
                 (id, user_id, created_at, last_used_at, expires_at, revoked_at, user_agent,
                  device_hash, amr, ip)
             VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $9)",
        )
        .bind(&session.id)
        .bind(&session.user_id)
        .bind(session.created_at)
        .bind(session.last_used_at)
        .bind(session.expires_at)
        .bind(&session.user_agent)
        .bind(&session.device_hash)
        .bind(session.amr.to_column())
        .bind(&session.ip)
        .execute(self.conn())
        .await?;
        self.insert_refresh_token(refresh_hash, &session.id, session.created_at)
            .await
    }

    /// Spends `old_hash`, recording its successor (`new_hash`, and the
    /// successor sealed for the spent token's holder), and stores `new_hash`
    /// for the same session. The spend is a conditional update, so of several
    /// concurrent transactions with one token exactly one gets `Ok(true)`; on
    /// `Ok(false)` nothing was written and the caller drops the transaction.
    pub async fn rotate_refresh_token(
        &mut self,
        session_id: &str,
        old_hash: &str,
        new_hash: &str,
        new_sealed: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let spent = sqlx::query(
            "UPDATE refresh_tokens SET spent_at = $1, successor_hash = $2, successor_sealed = $3
             WHERE token_hash = $4 AND session_id = $5 AND spent_at IS NULL",
        )
        .bind(now)
        .bind(new_hash)
        .bind(new_sealed)
        .bind(old_hash)
        .bind(session_id)
        .execute(self.conn())
        .await?
        .rows_affected();
        if spent != 1 {
            return Ok(false);
        }
        self.insert_refresh_token(new_hash, session_id, now).await?;
        sqlx::query("UPDATE sessions SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(session_id)
            .execute(self.conn())
            .await?;
        Ok(true)
    }

    /// Replaces every refresh token of the session with `new_hash` (after a
    /// password change): the old ones become unknown rather than spent, so a
    /// tab still holding one is told `invalid_token`, not taken for a thief.
    pub async fn replace_refresh_tokens(
        &mut self,
        session_id: &str,
        new_hash: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM refresh_tokens WHERE session_id = $1")
            .bind(session_id)
            .execute(self.conn())
            .await?;
        self.insert_refresh_token(new_hash, session_id, now).await
    }

    /// Revokes one active session of `user_id`; `Ok(false)` when it is not
    /// theirs, unknown, or already revoked. Only `auth::sessions` calls this.
    pub async fn revoke_session(
        &mut self,
        user_id: &str,
        id: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let result = sqlx::query(
            "UPDATE sessions SET revoked_at = $1
             WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(id)
        .bind(user_id)
        .execute(self.conn())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Revokes every unrevoked session of the user except `keep`. Only
    /// `auth::sessions` calls this.
    pub async fn revoke_user_sessions(
        &mut self,
        user_id: &str,
        keep: Option<&str>,
        now: i64,
    ) -> Result<u64, sqlx::Error> {
        let result = sqlx::query(
            "UPDATE sessions SET revoked_at = $1
             WHERE user_id = $2 AND revoked_at IS NULL AND id <> $3",
        )
        .bind(now)
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(self.conn())
        .await?;
        Ok(result.rows_affected())
    }

    async fn insert_refresh_token(
        &mut self,
        token_hash: &str,
        session_id: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash)
        .bind(session_id)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
