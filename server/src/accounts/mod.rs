//! The account flows: registering, logging in, checking a password,
//! refreshing, changing the password, logging out, revoking sessions,
//! changing roles, deleting the account.
//!
//! Each flow is one method of [`Accounts`] that keeps its own rules, so the
//! HTTP handlers and the CLI only extract, call and shape the answer:
//! - every password is checked by [`Accounts::check_password`] (limits,
//!   look-up, Argon2 with a dummy hash for unknown users, the failure
//!   counted);
//! - every revocation goes through `auth::SessionChange`, which evicts the
//!   session cache when it commits;
//! - a flow that changes several rows does it in one transaction;
//! - every session starts in `Accounts::start_session` (a password login, a
//!   second step, a passkey), with its `amr` and device token;
//! - a flow records its activity event, and queues its mail in the outbox,
//!   in the transaction of its change (`activity`, `notices`): a `2xx`
//!   means both are stored, and no flow waits for a mail server.
//!
//! Errors are [`ApiError`]s: rich inside (the log says "unknown user" or
//! "wrong password"), one small code outside.

mod activity;
mod email;
mod login;
mod mfa;
mod notices;
mod passkeys;
mod password;
mod refresh;
mod reset;
mod revoke;

use std::sync::Arc;

use jotpass_shared::{CredentialsRequest, Password, StringMap, Username};
use tokio::sync::Notify;

pub use crate::auth::token::Grant;
use crate::{
    auth::{Kek, Limiter, PasswordHasherPool, SessionCache, webauthn::Passkeys},
    clock::Clock,
    db::{Db, Roles, UserRow},
    error::ApiError,
};
pub use activity::{Kind, Page};

/// The account flows and what they need; cheap to clone.
#[derive(Clone, Debug)]
pub struct Accounts {
    db: Db,
    hasher: PasswordHasherPool,
    sessions: SessionCache,
    limiter: Limiter,
    clock: Clock,
    /// How long a session lives from login (`JOTPASS_SESSION_TTL`), in seconds.
    session_ttl: i64,
    /// Seals TOTP secrets. `None` in the CLI, which enrols no second factor
    /// (and so never creates a key file as a side effect).
    kek: Option<Arc<Kek>>,
    /// The WebAuthn relying party.
    passkeys: Passkeys,
    /// `JOTPASS_PUBLIC_URL`'s origin, for the links in mails.
    public_url: String,
    /// Wakes the mail worker when a flow has queued mail.
    mail_wake: Arc<Notify>,
}

/// Everything [`Accounts::new`] takes besides the database.
#[derive(Debug)]
pub struct Parts {
    pub hasher: PasswordHasherPool,
    pub sessions: SessionCache,
    pub limiter: Limiter,
    pub clock: Clock,
    pub session_ttl: i64,
    pub kek: Option<Arc<Kek>>,
    pub passkeys: Passkeys,
    pub public_url: String,
    pub mail_wake: Arc<Notify>,
}

/// Who is asking: the client's address (the limits count it) and its user
/// agent (the sessions list shows it).
#[derive(Clone, Debug)]
pub struct Client {
    pub addr: String,
    pub user_agent: Option<String>,
}

impl Accounts {
    pub fn new(db: Db, parts: Parts) -> Self {
        let Parts {
            hasher,
            sessions,
            limiter,
            clock,
            session_ttl,
            kek,
            passkeys,
            public_url,
            mail_wake,
        } = parts;
        Self {
            db,
            hasher,
            sessions,
            limiter,
            clock,
            session_ttl,
            kek,
            passkeys,
            public_url,
            mail_wake,
        }
    }

    /// `POST /api/users`: counted against the address (every attempt), then
    /// both fields parsed, then [`Accounts::create_user`].
    pub async fn register(&self, addr: &str, req: CredentialsRequest) -> Result<UserRow, ApiError> {
        let now = self.clock.now();
        self.limiter.count_registration(&self.db, addr, now).await?;
        let (username, password) = parse_credentials(req)?;
        self.create_user(username, password, Roles::default()).await
    }

    /// A new user with `roles` (registration, and `jotpass user add`).
    pub async fn create_user(
        &self,
        username: Username,
        password: Password,
        roles: Roles,
    ) -> Result<UserRow, ApiError> {
        if self.db.user_by_username(username.as_str()).await?.is_some() {
            return Err(ApiError::UsernameTaken);
        }
        let user = UserRow {
            id: uuid::Uuid::new_v4().to_string(),
            username: username.into_inner(),
            password_hash: self.hasher.hash(password.expose().to_owned()).await?,
            roles,
            created_at: self.clock.now(),
            email: None,
            email_verified: 0,
        };
        // The unique index decides a race between two registrations of one name.
        if !self.db.create_user(&user).await? {
            return Err(ApiError::UsernameTaken);
        }
        tracing::info!(user_id = %user.id, "user registered");
        Ok(user)
    }
}

/// Both fields of a registration checked, so a form can show every problem
/// at once.
fn parse_credentials(req: CredentialsRequest) -> Result<(Username, Password), ApiError> {
    let username = Username::parse(&req.username);
    let password = Password::parse(req.password.into_inner(), &req.username);
    match (username, password) {
        (Ok(u), Ok(p)) => Ok((u, p)),
        (u, p) => {
            // The password first: when both fail, `message` is about the
            // password and the object lists it first, as they were when
            // `fields` was a map sorted by name.
            let mut fields = StringMap::new();
            if let Err(e) = &p {
                fields.insert("password".to_owned(), e.to_string());
            }
            if let Err(e) = &u {
                fields.insert("username".to_owned(), e.to_string());
            }
            let message = fields.values().next().unwrap_or_default().to_owned();
            Err(ApiError::InvalidInput { message, fields })
        }
    }
}

#[cfg(test)]
mod tests {
    use jotpass_shared::Redacted;

    use super::*;

    #[test]
    fn with_both_fields_wrong_the_message_is_about_the_password_and_both_are_named() {
        let req = CredentialsRequest {
            username: "no spaces allowed".to_owned(),
            password: Redacted::new("short".to_owned()),
            device_token: None,
        };
        let Err(ApiError::InvalidInput { message, fields }) = parse_credentials(req) else {
            panic!("expected invalid_input");
        };
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["password", "username"]);
        assert_eq!(Some(message.as_str()), fields.get("password"));
    }
}
