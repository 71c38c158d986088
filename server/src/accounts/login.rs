//! Logging in, and the one function that checks a password.

use jotpass_shared::{CredentialsRequest, Redacted};

use super::{Accounts, Client, Grant};
use crate::{
    db::{SessionRow, UserRow},
    error::ApiError,
    secrets::{new_token, token_hash},
};

impl Accounts {
    /// Checks `password` for the user called `username` (as typed) under the
    /// login limits: `429` while blocked; the same `invalid_credentials`
    /// after the same Argon2 work whether the user is unknown or the password
    /// wrong; a failure counts against the username and `addr`.
    ///
    /// Every password check goes through here: logins, and the step-up of a
    /// password change or an account deletion.
    pub async fn check_password(
        &self,
        addr: &str,
        username: &str,
        password: Redacted<String>,
    ) -> Result<UserRow, ApiError> {
        let now = self.clock.now();
        self.limiter
            .check_login(&self.db, username, addr, now)
            .await?;
        let user = self.db.user_by_username(&username.to_lowercase()).await?;
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let matched = self.hasher.verify(password.into_inner(), stored).await?;
        match (matched, user) {
            (true, Some(user)) => Ok(user),
            (_, user) => {
                let reason = if user.is_some() {
                    "wrong password"
                } else {
                    "unknown user"
                };
                tracing::info!(reason, "password check failed");
                self.limiter
                    .record_login_failure(&self.db, username, addr, now)
                    .await?;
                Err(ApiError::InvalidCredentials { basic: false })
            }
        }
    }

    /// `POST /api/auth/token` (and Basic `GET`): the password, then a new
    /// session with its first refresh token.
    pub async fn log_in(
        &self,
        client: &Client,
        req: CredentialsRequest,
    ) -> Result<Grant, ApiError> {
        let user = self
            .check_password(&client.addr, &req.username, req.password)
            .await?;
        let now = self.clock.now();
        let refresh_token = new_token();
        let session = SessionRow {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user.id.clone(),
            created_at: now,
            last_used_at: now,
            expires_at: now + self.session_ttl,
            revoked_at: None,
            user_agent: client.user_agent.clone(),
        };
        let mut tx = self.db.begin().await?;
        tx.create_session(&session, &token_hash(&refresh_token))
            .await?;
        tx.commit().await?;
        tracing::info!(user_id = %user.id, session_id = %session.id, "session started");
        Ok(Grant {
            user,
            session_id: session.id,
            session_expires: session.expires_at,
            refresh_token: Redacted::new(refresh_token),
            issued_at: now,
        })
    }
}
