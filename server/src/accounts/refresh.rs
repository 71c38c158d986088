//! Spending a refresh token: rotation, the grace period, theft.

use jotpass_shared::Redacted;

use super::{Accounts, Grant};
use crate::{
    error::{ApiError, TokenFailure},
    secrets::{new_token, token_hash},
};

/// A refresh token reused at most this many seconds after it was spent is
/// taken for another tab that lost a race, not for a thief.
const REUSE_GRACE_SECS: i64 = 10;

impl Accounts {
    /// `POST /api/auth/refresh`, API.md's precise rules in order: an unknown
    /// token is `invalid_token`; a revoked or ended session answers so; a
    /// spent token is a lost race within the grace period and theft after it
    /// (the session is revoked); else exactly one of the concurrent spends
    /// wins and the others get the grace answer.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Grant, ApiError> {
        let refused = ApiError::RefreshRefused;
        let now = self.clock.now();
        let old_hash = token_hash(refresh_token);
        let found = self
            .db
            .refresh_lookup(&old_hash)
            .await?
            .ok_or(refused(TokenFailure::Invalid))?;
        let session = found.session;
        if session.revoked_at.is_some() {
            return Err(refused(TokenFailure::Revoked));
        }
        if session.expires_at <= now {
            return Err(refused(TokenFailure::Expired));
        }
        if let Some(spent_at) = found.spent_at {
            if now - spent_at <= REUSE_GRACE_SECS {
                return Err(refused(TokenFailure::Invalid));
            }
            tracing::warn!(session_id = %session.id, "spent refresh token reused; revoking the session");
            let mut change = self.sessions.change(&self.db).await?;
            change
                .revoke_session(&session.user_id, &session.id, now)
                .await?;
            change.commit().await?;
            return Err(refused(TokenFailure::Revoked));
        }

        let new_token = new_token();
        let mut tx = self.db.begin().await?;
        let won = tx
            .rotate_refresh_token(&session.id, &old_hash, &token_hash(&new_token), now)
            .await?;
        if !won {
            // Another request spent it a moment ago: the grace answer.
            return Err(refused(TokenFailure::Invalid));
        }
        tx.commit().await?;
        let user = self
            .db
            .user_by_id(&session.user_id)
            .await?
            .ok_or(refused(TokenFailure::Invalid))?;
        Ok(Grant {
            user,
            session_id: session.id,
            session_expires: session.expires_at,
            refresh_token: Redacted::new(new_token),
            issued_at: now,
        })
    }
}
