//! Second factors: the TOTP columns of a user, recovery codes, and the
//! challenges of logins waiting for their second step.

use jotpass_shared::Redacted;

use super::{Db, Tx};

/// A user's TOTP state. The secrets are sealed (see `accounts::mfa`) and
/// not printed even so.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TotpRow {
    #[sqlx(try_from = "Option<String>")]
    pub totp_secret: Redacted<Option<String>>,
    #[sqlx(try_from = "Option<String>")]
    pub totp_pending: Redacted<Option<String>>,
    /// The newest 30-second step whose code was accepted.
    pub totp_last_step: i64,
}

/// A login waiting for its second step.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MfaChallengeRow {
    pub user_id: String,
    pub expires_at: i64,
    pub failures: i64,
    pub spent_at: Option<i64>,
    pub device_hash: Option<String>,
    pub user_agent: Option<String>,
}

/// The user's TOTP state, through a pool or a transaction's connection.
async fn select_totp<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
) -> Result<Option<TotpRow>, sqlx::Error> {
    sqlx::query_as("SELECT totp_secret, totp_pending, totp_last_step FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(executor)
        .await
}

impl Db {
    /// The user's TOTP state; `None` when there is no such user.
    pub async fn totp(&self, user_id: &str) -> Result<Option<TotpRow>, sqlx::Error> {
        select_totp(&self.pool, user_id).await
    }

    pub async fn recovery_codes_left(&self, user_id: &str) -> Result<i64, sqlx::Error> {
        let (left,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(left)
    }

    pub async fn mfa_challenge(
        &self,
        token_hash: &str,
    ) -> Result<Option<MfaChallengeRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT user_id, expires_at, failures, spent_at, device_hash, user_agent
             FROM mfa_challenges WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
    }

    /// Counts a wrong code against the challenge; the `max`-th failure spends it.
    pub async fn fail_mfa_challenge(
        &self,
        token_hash: &str,
        max: i64,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE mfa_challenges SET failures = failures + 1,
                    spent_at = CASE WHEN failures + 1 >= $2 THEN $3 ELSE spent_at END
             WHERE token_hash = $1 AND spent_at IS NULL",
        )
        .bind(token_hash)
        .bind(max)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

impl Tx {
    /// [`Db::totp`], in this transaction.
    pub async fn totp(&mut self, user_id: &str) -> Result<Option<TotpRow>, sqlx::Error> {
        select_totp(self.conn(), user_id).await
    }

    /// Starts (or restarts) an enrolment with this sealed secret.
    pub async fn set_totp_pending(
        &mut self,
        user_id: &str,
        sealed: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE users SET totp_pending = $2 WHERE id = $1")
            .bind(user_id)
            .bind(sealed)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Turns TOTP on with the pending secret `sealed`, which the code that
    /// confirmed it was made from (at `step`); `Ok(false)` when TOTP is on
    /// already or the enrolment changed meanwhile.
    pub async fn enable_totp(
        &mut self,
        user_id: &str,
        sealed: &str,
        step: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $3
             WHERE id = $1 AND totp_secret IS NULL AND totp_pending = $2",
        )
        .bind(user_id)
        .bind(sealed)
        .bind(step)
        .execute(self.conn())
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    /// Turns TOTP off; the recovery codes go with it.
    pub async fn disable_totp(&mut self, user_id: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = 0
             WHERE id = $1",
        )
        .bind(user_id)
        .execute(self.conn())
        .await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Accepts the TOTP code of `step` for the user: `Ok(false)` when a code
    /// of this step or a later one was accepted already (a replay).
    pub async fn use_totp_step(&mut self, user_id: &str, step: i64) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2",
        )
        .bind(user_id)
        .bind(step)
        .execute(self.conn())
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    /// Replaces the user's recovery codes with these hashes.
    pub async fn replace_recovery_codes(
        &mut self,
        user_id: &str,
        hashes: &[String],
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(self.conn())
            .await?;
        for hash in hashes {
            sqlx::query(
                "INSERT INTO recovery_codes (code_hash, user_id, created_at) VALUES ($1, $2, $3)",
            )
            .bind(hash)
            .bind(user_id)
            .bind(now)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    /// Uses one of the user's recovery codes: `Ok(false)` when it is not
    /// theirs, unknown, or used already.
    pub async fn use_recovery_code(
        &mut self,
        user_id: &str,
        code_hash: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at = $3
             WHERE code_hash = $1 AND user_id = $2 AND used_at IS NULL",
        )
        .bind(code_hash)
        .bind(user_id)
        .bind(now)
        .execute(self.conn())
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    pub async fn add_mfa_challenge(
        &mut self,
        token_hash: &str,
        challenge: &MfaChallengeRow,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO mfa_challenges
                 (token_hash, user_id, created_at, expires_at, failures, device_hash, user_agent)
             VALUES ($1, $2, $3, $4, 0, $5, $6)",
        )
        .bind(token_hash)
        .bind(&challenge.user_id)
        .bind(now)
        .bind(challenge.expires_at)
        .bind(&challenge.device_hash)
        .bind(&challenge.user_agent)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Spends the challenge by its success: `Ok(false)` when it is spent,
    /// expired or unknown (another request won).
    pub async fn spend_mfa_challenge(
        &mut self,
        token_hash: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE mfa_challenges SET spent_at = $2
             WHERE token_hash = $1 AND spent_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .execute(self.conn())
        .await?
        .rows_affected();
        Ok(done == 1)
    }
}
