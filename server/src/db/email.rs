//! E-mail addresses and the links mailed out: verification and password
//! reset. Tokens are stored as hashes and are single use.

use super::{Db, Tx, UserRow};

/// A pending verification of `email` for `user_id`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EmailVerificationRow {
    pub user_id: String,
    pub email: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// A reset link; `user_id` is `None` for the decoy an unknown login writes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasswordResetRow {
    pub user_id: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl Db {
    /// The user whose verified address is `email` (lower-cased).
    pub async fn user_by_verified_email(
        &self,
        email: &str,
    ) -> Result<Option<UserRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, username, password_hash, roles, created_at, email, email_verified
             FROM users WHERE email = $1 AND email_verified = 1",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await
    }

    pub async fn email_verification(
        &self,
        token_hash: &str,
    ) -> Result<Option<EmailVerificationRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT user_id, email, expires_at, used_at FROM email_verifications WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
    }

    pub async fn password_reset(
        &self,
        token_hash: &str,
    ) -> Result<Option<PasswordResetRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT user_id, expires_at, used_at FROM password_resets WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
    }
}

impl Tx {
    pub async fn add_email_verification(
        &mut self,
        token_hash: &str,
        user_id: &str,
        email: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO email_verifications (token_hash, user_id, email, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(email)
        .bind(now)
        .bind(expires_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Spends a verification link: `Ok(false)` when used, expired or unknown.
    pub async fn spend_email_verification(
        &mut self,
        token_hash: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        self.spend_link("email_verifications", token_hash, now)
            .await
    }

    /// Makes `email` the user's verified address: `Ok(false)` when another
    /// account has verified it meanwhile.
    pub async fn set_verified_email(
        &mut self,
        user_id: &str,
        email: &str,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE users SET email = $2, email_verified = 1
             WHERE id = $1 AND NOT EXISTS (
                 SELECT 1 FROM users other
                 WHERE other.email = $2 AND other.email_verified = 1 AND other.id <> $1)",
        )
        .bind(user_id)
        .bind(email)
        .execute(self.conn())
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    pub async fn add_password_reset(
        &mut self,
        token_hash: &str,
        user_id: Option<&str>,
        now: i64,
        expires_at: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at)
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

    /// Spends every unused reset link of the user (after a reset).
    pub async fn spend_user_password_resets(
        &mut self,
        user_id: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Spends a reset link: `Ok(false)` when used, expired, unknown, or a
    /// decoy (no user).
    pub async fn spend_password_reset(
        &mut self,
        token_hash: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        self.spend_link("password_resets", token_hash, now).await
    }

    /// Spends the link `token_hash` of `table` (one of the two link tables,
    /// never input): a conditional update, so of two uses one wins.
    async fn spend_link(
        &mut self,
        table: &str,
        token_hash: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(&format!(
            "UPDATE {table} SET used_at = $2
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 AND user_id IS NOT NULL"
        ))
        .bind(token_hash)
        .bind(now)
        .execute(self.conn())
        .await?
        .rows_affected();
        Ok(done == 1)
    }
}
