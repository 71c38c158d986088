//! The outbox: mails stored with the change that causes them, and claimed
//! by the mail worker with a lease, so that of several processes exactly
//! one sends each (and a crashed sender's mail is sent after its lease).

use jotpass_shared::Redacted;

use super::{Db, Tx};

/// A mail to send: its recipient and the sealed message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub seq: i64,
    pub recipient: String,
    #[sqlx(try_from = "String")]
    pub message: Redacted<String>,
    pub attempts: i64,
}

impl Tx {
    /// Stores a mail; it is sent once this transaction commits.
    pub async fn queue_mail(
        &mut self,
        recipient: &str,
        sealed: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO outbox (recipient, message, created_at, next_attempt_at) VALUES ($1, $2, $3, $3)",
        )
        .bind(recipient)
        .bind(sealed)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}

impl Db {
    /// Claims the oldest mail that is due and not leased, for `lease`
    /// seconds. The conditions are checked again on the row itself, so two
    /// processes that pick the same row cannot both claim it.
    pub async fn claim_mail(&self, now: i64, lease: i64) -> Result<Option<OutboxRow>, sqlx::Error> {
        sqlx::query_as(
            "UPDATE outbox SET lease_until = $2, attempts = attempts + 1
             WHERE seq = (SELECT seq FROM outbox
                          WHERE sent_at IS NULL AND next_attempt_at <= $1
                            AND (lease_until IS NULL OR lease_until <= $1)
                          ORDER BY seq LIMIT 1)
               AND sent_at IS NULL AND (lease_until IS NULL OR lease_until <= $1)
             RETURNING seq, recipient, message, attempts",
        )
        .bind(now)
        .bind(now + lease)
        .fetch_optional(&self.pool)
        .await
    }

    /// Records a sent mail, and wipes its message (which may hold a link).
    pub async fn mark_mail_sent(&self, seq: i64, now: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE outbox SET sent_at = $2, message = '', lease_until = NULL WHERE seq = $1",
        )
        .bind(seq)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Schedules another attempt at `next_attempt_at`, noting why this one failed.
    pub async fn retry_mail(
        &self,
        seq: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE outbox SET next_attempt_at = $2, lease_until = NULL, last_error = $3 WHERE seq = $1",
        )
        .bind(seq)
        .bind(next_attempt_at)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
