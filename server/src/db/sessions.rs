//! Sessions and their refresh tokens.

use sqlx::Row;

use super::{Db, roles_from_column};

/// A stored session.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub user_agent: Option<String>,
}

/// A session with what a request needs to know about its user.
#[derive(Debug, Clone)]
pub struct SessionWithUser {
    pub session: SessionRow,
    pub username: String,
    pub roles: Vec<String>,
    pub user_created_at: i64,
}

/// What a refresh token (by hash) points at.
#[derive(Debug, Clone)]
pub struct RefreshLookup {
    pub session: SessionRow,
    pub spent_at: Option<i64>,
}

const SESSION_COLUMNS: &str =
    "s.id, s.user_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at, s.user_agent";

fn session_from_row(row: &sqlx::any::AnyRow) -> Result<SessionRow, sqlx::Error> {
    Ok(SessionRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
        user_agent: row.try_get("user_agent")?,
    })
}

/// Stores the hash of a session's new refresh token, inside the caller's transaction.
async fn insert_refresh_token(
    conn: &mut sqlx::AnyConnection,
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
    .execute(conn)
    .await?;
    Ok(())
}

impl Db {
    /// Stores a new session and its first refresh token, in one transaction.
    pub async fn create_session(
        &self,
        session: &SessionRow,
        refresh_hash: &str,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, revoked_at, user_agent)
             VALUES ($1, $2, $3, $4, $5, NULL, $6)",
        )
        .bind(&session.id)
        .bind(&session.user_id)
        .bind(session.created_at)
        .bind(session.last_used_at)
        .bind(session.expires_at)
        .bind(&session.user_agent)
        .execute(&mut *tx)
        .await?;
        insert_refresh_token(&mut tx, refresh_hash, &session.id, session.created_at).await?;
        tx.commit().await
    }

    /// The session `id` with its user, whatever its state.
    pub async fn session_with_user(
        &self,
        id: &str,
    ) -> Result<Option<SessionWithUser>, sqlx::Error> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS}, u.username, u.roles, u.created_at AS user_created_at
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(SessionWithUser {
                session: session_from_row(&row)?,
                username: row.try_get("username")?,
                roles: roles_from_column(&row.try_get::<String, _>("roles")?),
                user_created_at: row.try_get("user_created_at")?,
            })
        })
        .transpose()
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
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .bind(now)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(session_from_row).collect()
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

    /// Revokes one active session of `user_id`; `Ok(false)` when it is not
    /// theirs, unknown, or already revoked.
    pub async fn revoke_session(
        &self,
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
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Revokes every unrevoked session of the user except `keep`.
    pub async fn revoke_user_sessions(
        &self,
        user_id: &str,
        keep: Option<&str>,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1
             WHERE user_id = $2 AND revoked_at IS NULL AND id <> $3",
        )
        .bind(now)
        .bind(user_id)
        .bind(keep.unwrap_or(""))
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
            "SELECT {SESSION_COLUMNS}, r.spent_at
             FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id
             WHERE r.token_hash = $1"
        );
        let row = sqlx::query(&sql)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(RefreshLookup {
                session: session_from_row(&row)?,
                spent_at: row.try_get("spent_at")?,
            })
        })
        .transpose()
    }

    /// Spends `old_hash` and stores `new_hash` for the same session, in one
    /// transaction. The spend is a conditional update, so of several
    /// concurrent calls with one token exactly one gets `Ok(true)`.
    pub async fn rotate_refresh_token(
        &self,
        session_id: &str,
        old_hash: &str,
        new_hash: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let spent = sqlx::query(
            "UPDATE refresh_tokens SET spent_at = $1
             WHERE token_hash = $2 AND session_id = $3 AND spent_at IS NULL",
        )
        .bind(now)
        .bind(old_hash)
        .bind(session_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if spent != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        insert_refresh_token(&mut tx, new_hash, session_id, now).await?;
        sqlx::query("UPDATE sessions SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(session_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Replaces every refresh token of the session with `new_hash` (after a
    /// password change): the old ones become unknown rather than spent, so a
    /// tab still holding one is told `invalid_token`, not taken for a thief.
    pub async fn replace_refresh_tokens(
        &self,
        session_id: &str,
        new_hash: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM refresh_tokens WHERE session_id = $1")
            .bind(session_id)
            .execute(&mut *tx)
            .await?;
        insert_refresh_token(&mut tx, new_hash, session_id, now).await?;
        tx.commit().await
    }

    /// Revokes the session if it is not already (after refresh-token theft).
    pub async fn revoke_session_by_id(&self, id: &str, now: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
