//! Spending a refresh token: rotation, retries, the grace period, theft.

use jotpass_shared::Redacted;

use super::{Accounts, Client, Grant, Kind};
use crate::{
    db::{RefreshLookup, SessionRow},
    error::{ApiError, TokenFailure},
    secrets::{SealKey, new_token, token_hash},
};

/// A refresh token presented again at most this many seconds after it was
/// spent is a retry (a lost answer, or a second tab that lost the race);
/// later, it is taken for theft.
const REUSE_GRACE_SECS: i64 = 10;

/// Keeps the key a spent token's successor is sealed under apart from every
/// other key derived from a token.
const SUCCESSOR_KEY_PURPOSE: &str = "jotpass refresh-token successor v1";

impl Accounts {
    /// `POST /api/auth/refresh`, API.md's precise rules in order: an unknown
    /// token is `invalid_token`; a revoked or ended session answers so; an
    /// unspent token is spent for a new one (of concurrent spends exactly one
    /// wins, and the others answer as its retries). A spent token is a retry
    /// within the grace period — the same successor, while it is unspent —
    /// and theft after it: the session is revoked.
    pub async fn refresh(&self, client: &Client, refresh_token: &str) -> Result<Grant, ApiError> {
        let refused = ApiError::TokenRefused;
        let now = self.clock.now();
        let old_hash = token_hash(refresh_token);
        let mut found = self
            .db
            .refresh_lookup(&old_hash)
            .await?
            .ok_or(refused(TokenFailure::Invalid))?;
        if found.session.revoked_at.is_some() {
            return Err(refused(TokenFailure::Revoked));
        }
        if found.session.expires_at <= now {
            return Err(refused(TokenFailure::Expired));
        }
        if found.spent_at.is_none() {
            let successor = new_token();
            // Only the holder of the spent token can open this again.
            let sealed = successor_key(refresh_token)
                .seal(found.session.id.as_bytes(), successor.as_bytes());
            let mut tx = self.db.begin().await?;
            let won = tx
                .rotate_refresh_token(
                    &found.session.id,
                    &old_hash,
                    &token_hash(&successor),
                    &sealed,
                    now,
                )
                .await?;
            if won {
                tx.commit().await?;
                return self.grant(found.session, successor, now).await;
            }
            drop(tx);
            // Another request spent it a moment ago: answer as its retry.
            found = self
                .db
                .refresh_lookup(&old_hash)
                .await?
                .ok_or(refused(TokenFailure::Invalid))?;
        }
        self.retry(client, refresh_token, found, now).await
    }

    /// A spent token presented again: its successor within the grace period
    /// if that is unspent (else `invalid_token`; the session lives), theft
    /// after it.
    async fn retry(
        &self,
        client: &Client,
        presented: &str,
        found: RefreshLookup,
        now: i64,
    ) -> Result<Grant, ApiError> {
        let refused = ApiError::TokenRefused;
        let session = found.session;
        let spent_at = found.spent_at.unwrap_or(now);
        if now - spent_at > REUSE_GRACE_SECS {
            tracing::warn!(session_id = %session.id, "spent refresh token reused; revoking the session");
            let mut change = self.sessions.change(&self.db).await?;
            change
                .revoke_session(&session.user_id, &session.id, now)
                .await?;
            let event = self.event(
                &session.user_id,
                Kind::RefreshReuse,
                Some(client),
                Some(&session.id),
            );
            change.tx().record_event(&event).await?;
            change.commit().await?;
            return Err(refused(TokenFailure::Revoked));
        }
        let successor = found
            .successor_sealed
            .expose()
            .as_deref()
            .and_then(|sealed| successor_key(presented).open(session.id.as_bytes(), sealed))
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .filter(|successor| found.successor_hash.as_deref() == Some(&token_hash(successor)))
            .ok_or(refused(TokenFailure::Invalid))?;
        let unspent = self
            .db
            .refresh_lookup(&token_hash(&successor))
            .await?
            .is_some_and(|next| next.spent_at.is_none());
        if !unspent {
            return Err(refused(TokenFailure::Invalid));
        }
        self.grant(session, successor, now).await
    }

    /// The grant of `session` with `refresh_token`, for its current user.
    async fn grant(
        &self,
        session: SessionRow,
        refresh_token: String,
        now: i64,
    ) -> Result<Grant, ApiError> {
        let user = self
            .db
            .user_by_id(&session.user_id)
            .await?
            .ok_or(ApiError::TokenRefused(TokenFailure::Invalid))?;
        Ok(Grant {
            user,
            session_id: session.id,
            session_expires: session.expires_at,
            // How the person got in is the session's, across refreshes.
            amr: session.amr,
            refresh_token: Redacted::new(refresh_token),
            device_token: None,
            issued_at: now,
        })
    }
}

/// The key a spent token's successor is sealed under: derived from the
/// spent token itself, which the database never holds.
fn successor_key(spent: &str) -> SealKey {
    SealKey::derive_from_token(spent, SUCCESSOR_KEY_PURPOSE)
}
