//! Logging in, the one function that checks a password, and the one that
//! starts a session.

use jotpass_shared::{CredentialsRequest, Redacted, Username, amr};

use super::{Accounts, Client, Grant, Kind};
use crate::{
    auth::Attempt,
    db::{NameList, SessionRow, Tx, UserRow},
    error::ApiError,
    mail::templates::Alert,
    secrets::{new_token, token_hash},
};

/// How long a device token stays valid after the login that made it.
const DEVICE_TOKEN_TTL_SECS: i64 = 90 * 86_400;

impl Accounts {
    /// Checks `password` for the user called `username` (as typed) under the
    /// login limits: `429` while blocked; the same `invalid_credentials`
    /// after the same Argon2 work whether the user is unknown or the password
    /// wrong; a failure counts against the username (or, for a login that
    /// presented a valid device token of the user, that token: `device`) and
    /// `client`'s address; a wrong password of a real user is a
    /// `login_failed` event.
    ///
    /// Every password check goes through here: logins, and the step-ups of a
    /// password change, an account deletion, an address, second factors and
    /// passkeys.
    pub async fn check_password(
        &self,
        client: &Client,
        username: &str,
        password: Redacted<String>,
        device: Option<&str>,
    ) -> Result<UserRow, ApiError> {
        let now = self.clock.now();
        let addr = client.addr.as_str();
        let who = device.map_or(Attempt::Username(username), Attempt::Device);
        self.limiter.check_login(&self.db, who, addr, now).await?;
        // A name that cannot be a username is an unknown user: it never
        // reaches the database (nor does text it would refuse, like NUL).
        let user = match Username::parse(username) {
            Ok(name) => self.db.user_by_username(name.as_str()).await?,
            Err(_) => None,
        };
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let matched = self.hasher.verify(password.into_inner(), stored).await?;
        match (matched, user) {
            (true, Some(user)) => Ok(user),
            (_, user) => {
                match &user {
                    Some(user) => {
                        tracing::info!(user_id = %user.id, "password check failed: wrong password");
                        let event = self.event(&user.id, Kind::LoginFailed, Some(client), None);
                        self.db.record_event(&event).await?;
                    }
                    None => tracing::info!("password check failed: unknown user"),
                }
                self.limiter
                    .record_login_failure(&self.db, who, addr, now)
                    .await?;
                Err(ApiError::InvalidCredentials { basic: false })
            }
        }
    }

    /// `POST /api/auth/token` (and Basic `GET`): the password, then a new
    /// session — or, when TOTP is on, `mfa_required` with the token of the
    /// second step.
    pub async fn log_in(
        &self,
        client: &Client,
        req: CredentialsRequest,
    ) -> Result<Grant, ApiError> {
        let device = self
            .valid_device_token(&req.username, req.device_token)
            .await?;
        let device_hash = device.as_ref().map(|t| token_hash(t.expose()));
        let user = self
            .check_password(client, &req.username, req.password, device_hash.as_deref())
            .await?;
        if self.totp_on(&user.id).await? {
            return Err(self
                .challenge_second_factor(&user, client, device_hash)
                .await?);
        }
        let mut tx = self.db.begin().await?;
        let grant = self
            .start_session(&mut tx, user, amr_of(&[amr::PASSWORD]), client, device)
            .await?;
        tx.commit().await?;
        self.mail_queued();
        Ok(grant)
    }

    /// Starts a session for `user` in `tx`, authenticated by `amr`, with
    /// its first refresh token and the device token: `device` (already
    /// checked to be a valid one of the user) or a new one; its `login` (or
    /// `passkey_login`) event, and the new-device alert. Every login —
    /// password, second step, passkey — ends here.
    pub(super) async fn start_session(
        &self,
        tx: &mut Tx,
        user: UserRow,
        amr: NameList,
        client: &Client,
        device: Option<Redacted<String>>,
    ) -> Result<Grant, ApiError> {
        let now = self.clock.now();
        let new_device = self.is_new_device(tx, &user.id, client).await?;
        let refresh_token = new_token();
        let device_token = match device {
            Some(token) => token,
            None => {
                let token = new_token();
                tx.add_device_token(
                    &token_hash(&token),
                    &user.id,
                    now,
                    now + DEVICE_TOKEN_TTL_SECS,
                )
                .await?;
                Redacted::new(token)
            }
        };
        let session = SessionRow {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user.id.clone(),
            created_at: now,
            last_used_at: now,
            expires_at: now + self.session_ttl,
            revoked_at: None,
            user_agent: client.user_agent.clone(),
            device_hash: Some(token_hash(device_token.expose())),
            amr: amr.clone(),
            ip: Some(client.addr.clone()),
        };
        tx.create_session(&session, &token_hash(&refresh_token))
            .await?;
        let kind = if amr.contains(amr::HARDWARE_KEY) {
            Kind::PasskeyLogin
        } else {
            Kind::Login
        };
        tx.record_event(&self.event(&user.id, kind, Some(client), Some(&session.id)))
            .await?;
        if new_device {
            self.queue_alert(tx, &user, Alert::NewDevice, Some(client))
                .await?;
        }
        tracing::info!(user_id = %user.id, session_id = %session.id, "session started");
        Ok(Grant {
            user,
            session_id: session.id,
            session_expires: session.expires_at,
            amr,
            refresh_token: Redacted::new(refresh_token),
            device_token: Some(device_token),
            issued_at: now,
        })
    }

    /// The presented device token, if it is a valid one of the user called
    /// `username`; an invalid, expired or foreign one is ignored, with no
    /// error and no hint.
    pub(super) async fn valid_device_token(
        &self,
        username: &str,
        presented: Option<Redacted<String>>,
    ) -> Result<Option<Redacted<String>>, ApiError> {
        let (Some(token), Ok(username)) = (presented, Username::parse(username)) else {
            return Ok(None);
        };
        let valid = self
            .db
            .device_token_valid(
                &token_hash(token.expose()),
                username.as_str(),
                self.clock.now(),
            )
            .await?;
        Ok(valid.then_some(token))
    }
}

/// An `amr` claim's values.
pub(super) fn amr_of(values: &[&str]) -> NameList {
    NameList::new(values.iter().map(|v| (*v).to_owned()).collect())
}
