//! E-mail addresses: setting one (a step-up; the link goes to the new
//! address) and verifying it (the link). An address becomes the user's only
//! through its link, so `email_verified` is false only while a user has no
//! address at all (or one the CLI set).
//!
//! Nothing tells a caller which addresses exist: asking for an address that
//! another account has verified answers the same `202` and mails that
//! account's owner instead.

use jotpass_shared::{EmailAddress, EmailRequest, Redacted};

use super::{Accounts, Client, activity::Kind, notices::verified_email};
use crate::{
    db::SessionWithUser,
    error::{ApiError, TokenFailure},
    mail::templates::{self, Alert},
    secrets::{new_token, token_hash},
};

/// How long a verification link works.
const VERIFY_SECS: i64 = 24 * 3600;

impl Accounts {
    /// `PUT /api/me/email`: the address is parsed, the password checked,
    /// and a verification link queued for the new address (or, when another
    /// account has verified it, a note to that account's owner).
    pub async fn request_email_change(
        &self,
        client: &Client,
        current: &SessionWithUser,
        req: EmailRequest,
    ) -> Result<(), ApiError> {
        let email = EmailAddress::parse(&req.email)
            .map_err(|e| ApiError::invalid_field("email", e.to_string()))?;
        let user = self
            .check_password(client, &current.username, req.password, None)
            .await?;
        let now = self.clock.now();
        let owner = self.db.user_by_verified_email(email.as_str()).await?;
        let mut tx = self.db.begin().await?;
        match owner.filter(|owner| owner.id != user.id) {
            Some(owner) => {
                tracing::info!(user_id = %user.id, "address verified by another account: its owner is told");
                let mail =
                    templates::address_taken(email.as_str(), &owner.username, &self.public_url);
                self.queue_mail(&mut tx, &mail).await?;
            }
            None => {
                let token = new_token();
                tx.add_email_verification(
                    &token_hash(&token),
                    &user.id,
                    email.as_str(),
                    now,
                    now + VERIFY_SECS,
                )
                .await?;
                let link = format!("{}/verify-email?token={token}", self.public_url);
                let mail = templates::verify_email(email.as_str(), &user.username, &link);
                self.queue_mail(&mut tx, &mail).await?;
                tracing::info!(user_id = %user.id, "verification link queued");
            }
        }
        tx.commit().await?;
        self.mail_queued();
        Ok(())
    }

    /// `POST /api/auth/verify-email`: the link's address becomes the user's,
    /// verified; the old address is told. `401 invalid_token` for an
    /// unknown, used or expired link — or one whose address another account
    /// verified meanwhile.
    pub async fn verify_email(
        &self,
        client: &Client,
        token: Redacted<String>,
    ) -> Result<(), ApiError> {
        let refused = || ApiError::TokenRefused(TokenFailure::Invalid);
        let now = self.clock.now();
        let hash = token_hash(token.expose());
        let pending = self
            .db
            .email_verification(&hash)
            .await?
            .filter(|v| v.used_at.is_none() && v.expires_at > now)
            .ok_or_else(refused)?;
        let user = self
            .db
            .user_by_id(&pending.user_id)
            .await?
            .ok_or_else(refused)?;
        let mut change = self.sessions.change(&self.db).await?;
        if !change.tx().spend_email_verification(&hash, now).await? {
            return Err(refused());
        }
        if !change.set_verified_email(&user.id, &pending.email).await? {
            tracing::info!(user_id = %user.id, "address verified by another account meanwhile");
            return Err(refused());
        }
        let event = self.event(&user.id, Kind::EmailChanged, Some(client), None);
        change.tx().record_event(&event).await?;
        if verified_email(&user).is_some_and(|old| old != pending.email) {
            self.queue_alert(change.tx(), &user, Alert::EmailChanged, Some(client))
                .await?;
        }
        change.commit().await?;
        self.mail_queued();
        tracing::info!(user_id = %user.id, "address verified");
        Ok(())
    }
}
