//! The second factor: TOTP enrolment, confirmation and removal, recovery
//! codes, and the second step of a login.
//!
//! A TOTP secret is stored only sealed under the key-encryption key, bound
//! to its user's id; a code is accepted at most once per user (the newest
//! accepted step is kept, and only a later step passes); recovery codes are
//! stored as hashes and are single use. Every wrong code counts as a failed
//! login, like a wrong password.

use jotpass_shared::{MfaRequest, MfaStatus, RecoveryCodes, Redacted, TotpEnrolment, amr};

use super::{Accounts, Client, Grant, Kind, login::amr_of};
use crate::{
    auth::{
        Attempt, Kek,
        totp::{self, TotpSecret, looks_like_recovery_code, recovery_code_hash},
    },
    db::{MfaChallengeRow, SessionWithUser, Tx, UserRow},
    error::{ApiError, TokenFailure},
    mail::templates::Alert,
    secrets::{new_token, token_hash},
};

/// How long the second step of a login may take.
const MFA_TOKEN_SECS: i64 = 300;

/// The failure that spends an `mfa_token`.
const MFA_MAX_FAILURES: i64 = 5;

/// The issuer an authenticator app shows beside the account.
const TOTP_ISSUER: &str = "jotpass";

/// A second-factor code as sent: a TOTP code or a recovery code.
#[derive(Clone, Copy, Debug)]
pub(super) enum Code<'a> {
    Totp(&'a str),
    Recovery(&'a str),
}

impl<'a> Code<'a> {
    /// The `code` of a step-up, which may be either kind.
    fn either(code: &'a str) -> Self {
        if looks_like_recovery_code(code) {
            Self::Recovery(code)
        } else {
            Self::Totp(code)
        }
    }
}

impl Accounts {
    /// Whether the user has TOTP on.
    pub(super) async fn totp_on(&self, user_id: &str) -> Result<bool, ApiError> {
        Ok(self
            .db
            .totp(user_id)
            .await?
            .is_some_and(|t| t.totp_secret.expose().is_some()))
    }

    /// After a right password: the `mfa_required` answer, with the token of
    /// the second step (stored as a hash, five minutes).
    pub(super) async fn challenge_second_factor(
        &self,
        user: &UserRow,
        client: &Client,
        device_hash: Option<String>,
    ) -> Result<ApiError, ApiError> {
        let now = self.clock.now();
        let mfa_token = new_token();
        let challenge = MfaChallengeRow {
            user_id: user.id.clone(),
            expires_at: now + MFA_TOKEN_SECS,
            failures: 0,
            spent_at: None,
            device_hash,
            user_agent: client.user_agent.clone(),
        };
        let mut tx = self.db.begin().await?;
        tx.add_mfa_challenge(&token_hash(&mfa_token), &challenge, now)
            .await?;
        tx.commit().await?;
        Ok(ApiError::MfaRequired {
            mfa_token: Redacted::new(mfa_token),
            mfa_expires: challenge.expires_at,
        })
    }

    /// `POST /api/auth/mfa`: the second step. A wrong or replayed code is
    /// `invalid_credentials` and counts as a failed login; the fifth spends
    /// the `mfa_token`. Success spends it and starts the session.
    pub async fn finish_mfa(&self, client: &Client, req: MfaRequest) -> Result<Grant, ApiError> {
        let now = self.clock.now();
        let hash = token_hash(req.mfa_token.expose());
        let challenge = self
            .db
            .mfa_challenge(&hash)
            .await?
            .filter(|c| c.spent_at.is_none() && c.expires_at > now)
            .ok_or(ApiError::TokenRefused(TokenFailure::Invalid))?;
        let user = self
            .db
            .user_by_id(&challenge.user_id)
            .await?
            .ok_or(ApiError::TokenRefused(TokenFailure::Invalid))?;
        let code = match (&req.code, &req.recovery_code) {
            (Some(code), None) => Code::Totp(code.expose()),
            (None, Some(code)) => Code::Recovery(code.expose()),
            _ => {
                return Err(ApiError::invalid_field(
                    "code",
                    "Send either a code or a recovery code.",
                ));
            }
        };
        let who = challenge
            .device_hash
            .as_deref()
            .map_or(Attempt::Username(&user.username), Attempt::Device);
        self.limiter
            .check_login(&self.db, who, &client.addr, now)
            .await?;

        let mut tx = self.db.begin().await?;
        if !self.accept_code(&mut tx, &user.id, code, now).await? {
            drop(tx);
            self.db
                .fail_mfa_challenge(&hash, MFA_MAX_FAILURES, now)
                .await?;
            self.second_factor_failed(&user, client, who).await?;
            return Err(ApiError::InvalidCredentials { basic: false });
        }
        if !tx.spend_mfa_challenge(&hash, now).await? {
            return Err(ApiError::TokenRefused(TokenFailure::Invalid));
        }
        // The device the password step came from keeps its token.
        let device = req
            .device_token
            .filter(|t| challenge.device_hash.as_deref() == Some(&token_hash(t.expose())));
        let factors = amr_of(&[amr::PASSWORD, amr::OTP, amr::MULTI_FACTOR]);
        let client = Client {
            user_agent: challenge.user_agent.clone().or(client.user_agent.clone()),
            ..client.clone()
        };
        let grant = self
            .start_session(&mut tx, user, factors, &client, device)
            .await?;
        tx.commit().await?;
        self.mail_queued();
        Ok(grant)
    }

    /// `GET /api/me/mfa`.
    pub async fn mfa_status(&self, user_id: &str) -> Result<MfaStatus, ApiError> {
        let totp = self.totp_on(user_id).await?;
        let left = self.db.recovery_codes_left(user_id).await?;
        let passkeys = self.db.passkeys(user_id).await?.len();
        Ok(MfaStatus {
            totp,
            recovery_codes_left: u64::try_from(left).unwrap_or(0),
            passkeys: u64::try_from(passkeys).unwrap_or(0),
        })
    }

    /// `POST /api/me/totp`, after the password: a new secret to enrol (a
    /// second call restarts the enrolment); `409` when TOTP is on.
    pub async fn start_totp(
        &self,
        client: &Client,
        current: &SessionWithUser,
        password: Redacted<String>,
    ) -> Result<TotpEnrolment, ApiError> {
        let user = self
            .check_password(client, &current.username, password, None)
            .await?;
        if self.totp_on(&user.id).await? {
            return Err(ApiError::Conflict(
                "Two-factor authentication is on already.",
            ));
        }
        let secret = TotpSecret::generate();
        let sealed = self.kek()?.seal_secret(&user.id, secret.as_bytes());
        let mut tx = self.db.begin().await?;
        tx.set_totp_pending(&user.id, &sealed).await?;
        tx.commit().await?;
        let uri = secret.otpauth_uri(TOTP_ISSUER, &user.username)?;
        Ok(TotpEnrolment {
            secret: Redacted::new(secret.base32()),
            qr_svg: Redacted::new(TotpSecret::qr_svg(&uri)?),
            otpauth_uri: Redacted::new(uri),
        })
    }

    /// `POST /api/me/totp/confirm`: a code of the enrolment's secret turns
    /// TOTP on, makes the recovery codes and revokes every other session, in
    /// one transaction; `409` without an enrolment.
    pub async fn confirm_totp(
        &self,
        client: &Client,
        current: &SessionWithUser,
        code: Redacted<String>,
    ) -> Result<RecoveryCodes, ApiError> {
        let now = self.clock.now();
        let user_id = &current.session.user_id;
        let who = Attempt::Username(&current.username);
        self.limiter
            .check_login(&self.db, who, &client.addr, now)
            .await?;
        let state = self.db.totp(user_id).await?.ok_or(ApiError::NotFound)?;
        if state.totp_secret.expose().is_some() {
            return Err(ApiError::Conflict(
                "Two-factor authentication is on already.",
            ));
        }
        let pending = state
            .totp_pending
            .expose()
            .clone()
            .ok_or(ApiError::Conflict(
                "Start turning two-factor authentication on first.",
            ))?;
        let secret = self.open_totp(user_id, &pending)?;
        let Some(step) = secret.matching_step(code.expose(), now) else {
            let user = self
                .db
                .user_by_id(user_id)
                .await?
                .ok_or(ApiError::NotFound)?;
            self.second_factor_failed(&user, client, who).await?;
            return Err(ApiError::InvalidCredentials { basic: false });
        };
        let codes = totp::new_recovery_codes();
        let hashes: Vec<String> = codes
            .iter()
            .map(|c| recovery_code_hash(c.expose()))
            .collect();
        let mut change = self.sessions.change(&self.db).await?;
        if !change.tx().enable_totp(user_id, &pending, step).await? {
            return Err(ApiError::Conflict(
                "The enrolment changed meanwhile; start again.",
            ));
        }
        change
            .tx()
            .replace_recovery_codes(user_id, &hashes, now)
            .await?;
        change
            .revoke_user_sessions(user_id, Some(&current.session.id), now)
            .await?;
        let event = self.event(
            user_id,
            Kind::TotpEnabled,
            Some(client),
            Some(&current.session.id),
        );
        change.tx().record_event(&event).await?;
        change.commit().await?;
        tracing::info!(%user_id, "TOTP turned on; other sessions revoked");
        Ok(RecoveryCodes {
            recovery_codes: codes,
        })
    }

    /// `DELETE /api/me/totp`, after the password and a code: TOTP off, the
    /// recovery codes gone; `409` when it is off.
    pub async fn disable_totp(
        &self,
        client: &Client,
        current: &SessionWithUser,
        password: Redacted<String>,
        code: Redacted<String>,
    ) -> Result<(), ApiError> {
        let user = self
            .step_up_with_code(client, current, password, &code)
            .await?;
        let mut tx = self.db.begin().await?;
        tx.disable_totp(&user.id).await?;
        let event = self.event(
            &user.id,
            Kind::TotpDisabled,
            Some(client),
            Some(&current.session.id),
        );
        tx.record_event(&event).await?;
        self.queue_alert(&mut tx, &user, Alert::TotpDisabled, Some(client))
            .await?;
        tx.commit().await?;
        self.mail_queued();
        tracing::info!(user_id = %user.id, "TOTP turned off");
        Ok(())
    }

    /// `POST /api/me/recovery-codes`, after the password and a code: a new
    /// set; the old one is dead.
    pub async fn regenerate_recovery_codes(
        &self,
        client: &Client,
        current: &SessionWithUser,
        password: Redacted<String>,
        code: Redacted<String>,
    ) -> Result<RecoveryCodes, ApiError> {
        let user = self
            .step_up_with_code(client, current, password, &code)
            .await?;
        let codes = totp::new_recovery_codes();
        let hashes: Vec<String> = codes
            .iter()
            .map(|c| recovery_code_hash(c.expose()))
            .collect();
        let mut tx = self.db.begin().await?;
        tx.replace_recovery_codes(&user.id, &hashes, self.clock.now())
            .await?;
        let event = self.event(
            &user.id,
            Kind::RecoveryCodesRegenerated,
            Some(client),
            Some(&current.session.id),
        );
        tx.record_event(&event).await?;
        tx.commit().await?;
        Ok(RecoveryCodes {
            recovery_codes: codes,
        })
    }

    /// `jotpass user mfa-reset`: TOTP off for a person who lost both phone
    /// and codes, and every session revoked; `404` when there is no such user.
    pub async fn reset_second_factor(&self, username: &str) -> Result<UserRow, ApiError> {
        let user = self
            .db
            .user_by_username(&username.to_lowercase())
            .await?
            .ok_or(ApiError::NotFound)?;
        let mut change = self.sessions.change(&self.db).await?;
        change.tx().disable_totp(&user.id).await?;
        change
            .revoke_user_sessions(&user.id, None, self.clock.now())
            .await?;
        let event = self.event(&user.id, Kind::TotpDisabled, None, None);
        change.tx().record_event(&event).await?;
        self.queue_alert(change.tx(), &user, Alert::TotpDisabled, None)
            .await?;
        change.commit().await?;
        self.mail_queued();
        tracing::info!(user_id = %user.id, "TOTP reset by the CLI; sessions revoked");
        Ok(user)
    }

    /// A step-up with the password and a second factor (a TOTP code or a
    /// recovery code): `409` when TOTP is off; a wrong code counts as a
    /// failed login. The code is spent (a TOTP step, a recovery code).
    async fn step_up_with_code(
        &self,
        client: &Client,
        current: &SessionWithUser,
        password: Redacted<String>,
        code: &Redacted<String>,
    ) -> Result<UserRow, ApiError> {
        let user = self
            .check_password(client, &current.username, password, None)
            .await?;
        if !self.totp_on(&user.id).await? {
            return Err(ApiError::Conflict("Two-factor authentication is off."));
        }
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if !self
            .accept_code(&mut tx, &user.id, Code::either(code.expose()), now)
            .await?
        {
            drop(tx);
            self.second_factor_failed(&user, client, Attempt::Username(&user.username))
                .await?;
            return Err(ApiError::InvalidCredentials { basic: false });
        }
        tx.commit().await?;
        Ok(user)
    }

    /// Whether `code` is a second factor of the user now, spending it in
    /// `tx`: a TOTP code of a step later than any accepted before, or an
    /// unused recovery code.
    pub(super) async fn accept_code(
        &self,
        tx: &mut Tx,
        user_id: &str,
        code: Code<'_>,
        now: i64,
    ) -> Result<bool, ApiError> {
        match code {
            Code::Totp(code) => {
                let Some(sealed) = tx
                    .totp(user_id)
                    .await?
                    .and_then(|t| t.totp_secret.into_inner())
                else {
                    return Ok(false);
                };
                let secret = self.open_totp(user_id, &sealed)?;
                match secret.matching_step(code, now) {
                    Some(step) => Ok(tx.use_totp_step(user_id, step).await?),
                    None => Ok(false),
                }
            }
            Code::Recovery(code) => Ok(tx
                .use_recovery_code(user_id, &recovery_code_hash(code), now)
                .await?),
        }
    }

    fn kek(&self) -> Result<&Kek, ApiError> {
        self.kek.as_deref().ok_or_else(|| {
            anyhow::anyhow!("no key-encryption key to seal TOTP secrets with").into()
        })
    }

    fn open_totp(&self, user_id: &str, sealed: &str) -> Result<TotpSecret, ApiError> {
        let secret = self.kek()?.open_secret(user_id, sealed).ok_or_else(|| {
            anyhow::anyhow!(
                "cannot open the TOTP secret of {user_id}: is JOTPASS_KEY_ENCRYPTION_KEY \
                 the one it was stored with?"
            )
        })?;
        Ok(TotpSecret::from_bytes(secret))
    }
}
