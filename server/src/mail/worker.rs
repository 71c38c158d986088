//! The mail worker: sends what the outbox holds, with retries and backoff,
//! and deletes activity events past their retention. One per process; of
//! several processes, the outbox's lease makes one send each mail.

use std::{sync::Arc, time::Duration};

use tokio::sync::Notify;

use super::{Mail, Mailer};
use crate::{auth::Kek, clock::Clock, db::Db};

/// How long a claimed mail is this process's to send.
const LEASE_SECS: i64 = 60;

/// How often the worker looks at the outbox when nothing woke it.
const POLL: Duration = Duration::from_secs(1);

/// How often old activity events are deleted.
const PRUNE_EVERY_SECS: i64 = 60;

#[derive(Clone, Debug)]
pub struct Worker {
    pub db: Db,
    pub mailer: Mailer,
    pub kek: Arc<Kek>,
    pub clock: Clock,
    /// `JOTPASS_ACTIVITY_RETENTION`, in seconds.
    pub retention: i64,
    /// Notified when a flow has queued a mail, to send it at once.
    pub wake: Arc<Notify>,
}

impl Worker {
    /// Runs until the task is dropped.
    pub async fn run(self) {
        tracing::info!(to = %self.mailer.describe(), "mail worker started");
        let mut pruned_at = 0;
        loop {
            self.send_due().await;
            let now = self.clock.now();
            if now - pruned_at >= PRUNE_EVERY_SECS {
                pruned_at = now;
                match self.db.prune_activity(now - self.retention).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(deleted = n, "old activity events deleted"),
                    Err(e) => tracing::warn!(error = %e, "deleting old activity events"),
                }
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Sends every mail that is due now.
    async fn send_due(&self) {
        loop {
            let now = self.clock.now();
            let row = match self.db.claim_mail(now, LEASE_SECS).await {
                Ok(Some(row)) => row,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the outbox");
                    return;
                }
            };
            let sent = match Mail::open(&self.kek, row.message.expose()) {
                Ok(mail) => self.mailer.send(&mail).await,
                Err(e) => Err(e),
            };
            match sent {
                Ok(place) => {
                    tracing::info!(outbox = row.seq, to = %place, "mail sent");
                    if let Err(e) = self.db.mark_mail_sent(row.seq, self.clock.now()).await {
                        tracing::warn!(error = %e, outbox = row.seq, "recording a sent mail");
                    }
                }
                Err(e) => {
                    let next = now + backoff(row.attempts);
                    let why = format!("{e:#}");
                    // Rescheduled (and the lease given back) before the line
                    // says so: a process killed after the line has left the
                    // mail due at `next`, not leased for a minute.
                    if let Err(e) = self.db.retry_mail(row.seq, next, &why).await {
                        tracing::warn!(error = %e, outbox = row.seq, "rescheduling a mail");
                    }
                    tracing::warn!(outbox = row.seq, attempt = row.attempts, error = %why, "mail not sent; trying again later");
                }
            }
        }
    }
}

/// Seconds before the next attempt after `attempts` failed ones: 2, 4, 8…
/// up to 5 minutes.
fn backoff(attempts: i64) -> i64 {
    let exponent = u32::try_from(attempts.clamp(1, 9) - 1).unwrap_or(0);
    (2_i64 << exponent).min(300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        assert_eq!(
            [1, 2, 3, 4, 8, 9, 50].map(backoff),
            [2, 4, 8, 16, 256, 300, 300]
        );
    }
}
