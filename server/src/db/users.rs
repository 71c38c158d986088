//! Users.

use sqlx::Row;

use super::{Db, roles_from_column};
use crate::auth::PasswordHashString;

/// A stored user, with the password hash (never serialized).
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub password_hash: PasswordHashString,
    pub roles: Vec<String>,
    pub created_at: i64,
}

/// A user and how many of their sessions are active.
#[derive(Debug, Clone)]
pub struct UserWithSessions {
    pub user: UserRow,
    pub active_sessions: i64,
}

const USER_COLUMNS: &str = "id, username, password_hash, roles, created_at";

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<UserRow, sqlx::Error> {
    Ok(UserRow {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        password_hash: PasswordHashString(row.try_get("password_hash")?),
        roles: roles_from_column(&row.try_get::<String, _>("roles")?),
        created_at: row.try_get("created_at")?,
    })
}

impl Db {
    /// Inserts a user; `Ok(false)` when the username is taken.
    pub async fn create_user(&self, user: &UserRow) -> Result<bool, sqlx::Error> {
        let result = sqlx::query(
            "INSERT INTO users (id, username, password_hash, roles, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (username) DO NOTHING",
        )
        .bind(&user.id)
        .bind(&user.username)
        .bind(&user.password_hash.0)
        .bind(user.roles.join(","))
        .bind(user.created_at)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// The user called `username` (already lower-cased).
    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>, sqlx::Error> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        let row = sqlx::query(&sql)
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRow>, sqlx::Error> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Every user, oldest first, with their active-session counts at `now`.
    pub async fn users_with_session_counts(
        &self,
        now: i64,
    ) -> Result<Vec<UserWithSessions>, sqlx::Error> {
        let sql = format!(
            "SELECT {USER_COLUMNS},
                    (SELECT COUNT(*) FROM sessions s
                      WHERE s.user_id = users.id AND s.revoked_at IS NULL AND s.expires_at > $1)
                    AS active_sessions
             FROM users ORDER BY seq"
        );
        let rows = sqlx::query(&sql).bind(now).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(UserWithSessions {
                    user: user_from_row(row)?,
                    active_sessions: row.try_get("active_sessions")?,
                })
            })
            .collect()
    }

    pub async fn set_password_hash(
        &self,
        user_id: &str,
        hash: &PasswordHashString,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(&hash.0)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Sets the user's roles and revokes all their sessions, in one transaction.
    /// `Ok(false)` when there is no such user.
    pub async fn set_roles(
        &self,
        user_id: &str,
        roles: &[String],
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query("UPDATE users SET roles = $1 WHERE id = $2")
            .bind(roles.join(","))
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(updated == 1)
    }

    /// Deletes the user; their sessions, refresh tokens and notes go with them.
    pub async fn delete_user(&self, user_id: &str) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        // Explicit deletes, child tables first, so the result never depends on
        // whether a backend enforces ON DELETE CASCADE.
        sqlx::query(
            "DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE user_id = $1)",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        for table in ["sessions", "notes"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }
}
