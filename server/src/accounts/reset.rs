//! The password reset: asking for a link, and setting a new password with
//! it.
//!
//! Asking answers `202` with the same body whatever the login names, after
//! the same work: one look-up, one new token, one row stored (a decoy with
//! no user when the login names no account with a verified address), one
//! mail sealed. The link is single use, lives 30 minutes, and is stored as
//! a hash. Using it still asks for the second factor when TOTP is on.

use jotpass_shared::{
    EmailAddress, Password, PasswordResetConfirm, PasswordResetRequest, Username,
};

use super::{Accounts, Client, activity::Kind, mfa::Code, notices::verified_email};
use crate::{
    auth::Attempt,
    db::UserRow,
    error::{ApiError, TokenFailure},
    mail::templates::{self, Alert},
    secrets::{new_token, token_hash},
};

/// How long a reset link works.
const RESET_SECS: i64 = 30 * 60;

impl Accounts {
    /// `POST /api/auth/password-reset`: counted per address and per login
    /// (`429` past the login limit's numbers); then a link to the account's
    /// verified address, or a decoy.
    pub async fn request_password_reset(
        &self,
        client: &Client,
        req: PasswordResetRequest,
    ) -> Result<(), ApiError> {
        let now = self.clock.now();
        self.limiter
            .count_reset(&self.db, &req.login, &client.addr, now)
            .await?;
        let user = self.user_by_login(&req.login).await?;
        let to = user
            .as_ref()
            .and_then(|u| verified_email(u).map(|to| (u, to.to_owned())));
        let token = new_token();
        let link = format!("{}/reset?token={token}", self.public_url);
        let mut tx = self.db.begin().await?;
        tx.add_password_reset(
            &token_hash(&token),
            to.as_ref().map(|(u, _)| u.id.as_str()),
            now,
            now + RESET_SECS,
        )
        .await?;
        match &to {
            Some((user, address)) => {
                let mail = templates::password_reset(address, &user.username, &link);
                self.queue_mail(&mut tx, &mail).await?;
                tracing::info!(user_id = %user.id, "password reset link queued");
            }
            None => {
                // The same sealing work as a real mail, then dropped.
                let mail = templates::password_reset("nobody@localhost", &req.login, &link);
                if let Some(kek) = self.kek.as_deref() {
                    drop(mail.seal(kek)?);
                }
                tracing::info!("password reset for no account with a verified address");
            }
        }
        tx.commit().await?;
        self.mail_queued();
        Ok(())
    }

    /// `POST /api/auth/password-reset/confirm`: the link, a new password
    /// (the usual rules) and, with TOTP on, a code or recovery code; then,
    /// in one transaction, the password set, every session and device token
    /// revoked, every other reset link of the user spent. A bad password or
    /// a wrong code leaves the link usable.
    pub async fn confirm_password_reset(
        &self,
        client: &Client,
        req: PasswordResetConfirm,
    ) -> Result<(), ApiError> {
        let refused = || ApiError::TokenRefused(TokenFailure::Invalid);
        let now = self.clock.now();
        let hash = token_hash(req.token.expose());
        let user_id = self
            .db
            .password_reset(&hash)
            .await?
            .filter(|r| r.used_at.is_none() && r.expires_at > now)
            .and_then(|r| r.user_id)
            .ok_or_else(refused)?;
        let user = self.db.user_by_id(&user_id).await?.ok_or_else(refused)?;
        let password = Password::parse(req.new_password.into_inner(), &user.username)
            .map_err(|e| ApiError::invalid_field("new_password", e.to_string()))?;

        let totp = self.totp_on(&user.id).await?;
        let code = match (&req.code, &req.recovery_code) {
            _ if !totp => None,
            (Some(code), None) => Some(Code::Totp(code.expose())),
            (None, Some(code)) => Some(Code::Recovery(code.expose())),
            (None, None) => return Err(ApiError::SecondFactorRequired),
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid_field(
                    "code",
                    "Send either a code or a recovery code.",
                ));
            }
        };
        let who = Attempt::Username(&user.username);
        if code.is_some() {
            self.limiter
                .check_login(&self.db, who, &client.addr, now)
                .await?;
        }
        let hash_of_password = self.hasher.hash(password.expose().to_owned()).await?;

        let mut change = self.sessions.change(&self.db).await?;
        if let Some(code) = code
            && !self.accept_code(change.tx(), &user.id, code, now).await?
        {
            drop(change);
            self.second_factor_failed(&user, client, who).await?;
            return Err(ApiError::InvalidCredentials { basic: false });
        }
        if !change.tx().spend_password_reset(&hash, now).await? {
            return Err(refused());
        }
        change
            .tx()
            .spend_user_password_resets(&user.id, now)
            .await?;
        change
            .tx()
            .set_password_hash(&user.id, &hash_of_password)
            .await?;
        change.revoke_user_sessions(&user.id, None, now).await?;
        change
            .tx()
            .revoke_device_tokens(&user.id, None, now)
            .await?;
        let event = self.event(&user.id, Kind::PasswordReset, Some(client), None);
        change.tx().record_event(&event).await?;
        self.queue_alert(change.tx(), &user, Alert::PasswordReset, Some(client))
            .await?;
        change.commit().await?;
        self.mail_queued();
        tracing::info!(user_id = %user.id, "password reset; every session revoked");
        Ok(())
    }

    /// The user a reset's login names: an e-mail address (verified) or a
    /// username.
    async fn user_by_login(&self, login: &str) -> Result<Option<UserRow>, ApiError> {
        if login.contains('@') {
            return Ok(match EmailAddress::parse(login) {
                Ok(email) => self.db.user_by_verified_email(email.as_str()).await?,
                Err(_) => None,
            });
        }
        Ok(match Username::parse(login) {
            Ok(name) => self.db.user_by_username(name.as_str()).await?,
            Err(_) => None,
        })
    }

    /// A wrong second factor: counted as a failed login, and recorded.
    pub(super) async fn second_factor_failed(
        &self,
        user: &UserRow,
        client: &Client,
        who: Attempt<'_>,
    ) -> Result<(), ApiError> {
        let now = self.clock.now();
        self.limiter
            .record_login_failure(&self.db, who, &client.addr, now)
            .await?;
        self.db
            .record_event(&self.event(&user.id, Kind::MfaFailed, Some(client), None))
            .await?;
        tracing::info!(user_id = %user.id, "second factor refused");
        Ok(())
    }
}
