//! Device tokens (OWASP "device cookies"): which devices a user has logged
//! in from, so that failures counted against a username cannot lock them out.

use super::{Db, Tx};

impl Db {
    /// Whether `token_hash` is a valid (unrevoked, unexpired) device token
    /// of the user called `username` (lower-cased) at `now`.
    pub async fn device_token_valid(
        &self,
        token_hash: &str,
        username: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let found: Option<(String,)> = sqlx::query_as(
            "SELECT d.token_hash FROM device_tokens d JOIN users u ON u.id = d.user_id
             WHERE d.token_hash = $1 AND u.username = $2
               AND d.revoked_at IS NULL AND d.expires_at > $3",
        )
        .bind(token_hash)
        .bind(username)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }
}

impl Tx {
    pub async fn add_device_token(
        &mut self,
        token_hash: &str,
        user_id: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO device_tokens (token_hash, user_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Revokes every device token of the user except `keep`.
    pub async fn revoke_device_tokens(
        &mut self,
        user_id: &str,
        keep: Option<&str>,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE device_tokens SET revoked_at = $1
             WHERE user_id = $2 AND revoked_at IS NULL AND token_hash <> $3",
        )
        .bind(now)
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
