//! Changing the password.

use jotpass_shared::{Password, Redacted};

use super::{Accounts, Client, Grant, Kind};
use crate::{
    db::SessionWithUser,
    error::ApiError,
    mail::templates::Alert,
    secrets::{new_token, token_hash},
};

impl Accounts {
    /// `PUT /api/me/password`: the new password is parsed, the current one
    /// checked (a wrong one counts as a failed login); then, in one
    /// transaction, the hash is replaced, every other session and every other
    /// device token revoked, and this session's refresh tokens replaced by a
    /// new one. Access tokens
    /// already issued for this session keep working until they expire.
    pub async fn change_password(
        &self,
        client: &Client,
        current: &SessionWithUser,
        current_password: Redacted<String>,
        new_password: Redacted<String>,
    ) -> Result<Grant, ApiError> {
        let new_password = Password::parse(new_password.into_inner(), &current.username)
            .map_err(|e| ApiError::invalid_field("new_password", e.to_string()))?;
        let user = self
            .check_password(client, &current.username, current_password, None)
            .await?;
        let session = &current.session;
        let hash = self.hasher.hash(new_password.expose().to_owned()).await?;
        let now = self.clock.now();
        let refresh_token = new_token();

        let mut change = self.sessions.change(&self.db).await?;
        change.tx().set_password_hash(&user.id, &hash).await?;
        change
            .revoke_user_sessions(&user.id, Some(&session.id), now)
            .await?;
        change
            .tx()
            .replace_refresh_tokens(&session.id, &token_hash(&refresh_token), now)
            .await?;
        // This device keeps its device token; every other one is revoked.
        change
            .tx()
            .revoke_device_tokens(&user.id, session.device_hash.as_deref(), now)
            .await?;
        let event = self.event(
            &user.id,
            Kind::PasswordChanged,
            Some(client),
            Some(&session.id),
        );
        change.tx().record_event(&event).await?;
        self.queue_alert(change.tx(), &user, Alert::PasswordChanged, Some(client))
            .await?;
        change.commit().await?;
        self.mail_queued();
        tracing::info!(user_id = %user.id, "password changed");
        Ok(Grant {
            user,
            session_id: session.id.clone(),
            // Fixed at login: a password change does not extend the session.
            session_expires: session.expires_at,
            amr: session.amr.clone(),
            refresh_token: Redacted::new(refresh_token),
            device_token: None,
            issued_at: now,
        })
    }
}
