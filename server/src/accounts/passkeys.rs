//! Passkeys: registering one (after the password), listing and removing
//! them, and a passwordless login with a discoverable credential.
//!
//! Ceremonies live in the database (single use, five minutes), so any
//! process can finish one. A login's failures count against the address.

use jotpass_shared::{
    CeremonyOptions, PasskeyLogin, PasskeyName, PasskeyRegistration, Redacted, amr,
};

use super::{Accounts, Client, Grant, Kind, login::amr_of};
use crate::{
    auth::{
        Attempt,
        webauthn::{CEREMONY_SECS, PasskeyRefused},
    },
    db::{CeremonyRow, PasskeyRow, SessionWithUser},
    error::ApiError,
    mail::templates::Alert,
};

const REGISTER: &str = "register";
const LOGIN: &str = "login";

impl Accounts {
    /// `POST /api/me/passkeys/options`, after the password: the options of a
    /// registration ceremony (excluding the user's passkeys).
    pub async fn start_passkey_registration(
        &self,
        client: &Client,
        current: &SessionWithUser,
        password: Redacted<String>,
    ) -> Result<CeremonyOptions, ApiError> {
        let user = self
            .check_password(client, &current.username, password, None)
            .await?;
        let exclude = self
            .db
            .passkeys(&user.id)
            .await?
            .iter()
            .filter_map(|p| decode_id(&p.credential_id))
            .collect();
        let (options, state) =
            self.passkeys
                .start_registration(user_handle(&user.id)?, &user.username, exclude)?;
        self.begin_ceremony(REGISTER, Some(user.id), state, options)
            .await
    }

    /// `POST /api/me/passkeys`: the authenticator's answer; `422` for a bad
    /// name, `401 invalid_credentials` when it does not verify or the
    /// ceremony is unknown, used, expired or another user's.
    pub async fn finish_passkey_registration(
        &self,
        client: &Client,
        current: &SessionWithUser,
        req: PasskeyRegistration,
    ) -> Result<PasskeyRow, ApiError> {
        let name = PasskeyName::parse(req.name)
            .map_err(|e| ApiError::invalid_field("name", e.to_string()))?;
        let user_id = &current.session.user_id;
        let ceremony = self
            .spend_ceremony(&req.ceremony, REGISTER)
            .await?
            .filter(|c| c.user_id.as_deref() == Some(user_id))
            .ok_or_else(|| refused("unknown, used or foreign ceremony"))?;
        let new = self
            .passkeys
            .finish_registration(&req.credential, &ceremony.state)
            .map_err(|e| refused(&e.to_string()))?;
        let passkey = PasskeyRow {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user_id.clone(),
            name: name.as_str().to_owned(),
            credential_id: new.credential_id,
            credential: new.credential,
            created_at: self.clock.now(),
            last_used_at: None,
        };
        let user = self
            .db
            .user_by_id(user_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let mut tx = self.db.begin().await?;
        if !tx.add_passkey(&passkey).await? {
            return Err(refused("a passkey with this credential id exists"));
        }
        let event = self.event(
            user_id,
            Kind::PasskeyAdded,
            Some(client),
            Some(&current.session.id),
        );
        tx.record_event(&event).await?;
        self.queue_alert(&mut tx, &user, Alert::PasskeyAdded, Some(client))
            .await?;
        tx.commit().await?;
        self.mail_queued();
        tracing::info!(%user_id, passkey_id = %passkey.id, "passkey added");
        Ok(passkey)
    }

    /// `GET /api/me/passkeys`, newest first.
    pub async fn passkeys(&self, user_id: &str) -> Result<Vec<PasskeyRow>, ApiError> {
        Ok(self.db.passkeys(user_id).await?)
    }

    /// `DELETE /api/me/passkeys/{id}`, after the password; `404` when it is
    /// not the caller's.
    pub async fn remove_passkey(
        &self,
        client: &Client,
        current: &SessionWithUser,
        id: &str,
        password: Redacted<String>,
    ) -> Result<(), ApiError> {
        let user = self
            .check_password(client, &current.username, password, None)
            .await?;
        let mut tx = self.db.begin().await?;
        if !tx.delete_passkey(&user.id, id).await? {
            return Err(ApiError::NotFound);
        }
        let event = self.event(
            &user.id,
            Kind::PasskeyRemoved,
            Some(client),
            Some(&current.session.id),
        );
        tx.record_event(&event).await?;
        tx.commit().await?;
        tracing::info!(user_id = %user.id, passkey_id = %id, "passkey removed");
        Ok(())
    }

    /// `POST /api/auth/passkey/options`: a login ceremony with no
    /// allow-list; `429` while the address is blocked.
    pub async fn start_passkey_login(&self, addr: &str) -> Result<CeremonyOptions, ApiError> {
        self.limiter
            .check_login(&self.db, Attempt::Passkey, addr, self.clock.now())
            .await?;
        let (options, state) = self.passkeys.start_login()?;
        self.begin_ceremony(LOGIN, None, state, options).await
    }

    /// `POST /api/auth/passkey`: a session with `amr` `["hwk"]`, no second
    /// factor asked. Anything wrong — unknown credential, bad signature,
    /// wrong origin or RP id, no user verification, a used or expired
    /// ceremony, a counter that went backwards — is `invalid_credentials`
    /// and counts against the address.
    pub async fn finish_passkey_login(
        &self,
        client: &Client,
        req: PasskeyLogin,
    ) -> Result<Grant, ApiError> {
        let now = self.clock.now();
        self.limiter
            .check_login(&self.db, Attempt::Passkey, &client.addr, now)
            .await?;
        match self.verify_passkey_login(&req).await? {
            Ok((passkey, credential)) => {
                let user = self
                    .db
                    .user_by_id(&passkey.user_id)
                    .await?
                    .ok_or_else(|| refused("the passkey's user is gone"))?;
                let device = self
                    .valid_device_token(&user.username, req.device_token)
                    .await?;
                let mut tx = self.db.begin().await?;
                if !tx
                    .use_passkey(&passkey.id, &passkey.credential, &credential, now)
                    .await?
                {
                    return Err(refused("the passkey was used by another login meanwhile"));
                }
                let grant = self
                    .start_session(&mut tx, user, amr_of(&[amr::HARDWARE_KEY]), client, device)
                    .await?;
                tx.commit().await?;
                self.mail_queued();
                Ok(grant)
            }
            Err(why) => {
                self.limiter
                    .record_login_failure(&self.db, Attempt::Passkey, &client.addr, now)
                    .await?;
                Err(refused(&why))
            }
        }
    }

    /// The stored passkey that answered, and its credential with the new
    /// counter; or why not.
    async fn verify_passkey_login(
        &self,
        req: &PasskeyLogin,
    ) -> Result<Result<(PasskeyRow, String), String>, ApiError> {
        let Some(ceremony) = self.spend_ceremony(&req.ceremony, LOGIN).await? else {
            return Ok(Err("unknown, used or expired ceremony".into()));
        };
        let (credential_id, handle) =
            match crate::auth::webauthn::Passkeys::identify(&req.credential) {
                Ok(found) => found,
                Err(e) => return Ok(Err(e.to_string())),
            };
        let Some(passkey) = self.db.passkey_by_credential_id(&credential_id).await? else {
            return Ok(Err("unknown credential".into()));
        };
        // The user handle must name the passkey's owner.
        let owner = user_handle(&passkey.user_id)?;
        if handle.as_deref() != Some(owner.as_bytes().as_slice()) {
            return Ok(Err("the user handle is not the passkey's owner".into()));
        }
        match self
            .passkeys
            .finish_login(&req.credential, &ceremony.state, &passkey.credential)
        {
            Ok(credential) => Ok(Ok((passkey, credential))),
            Err(PasskeyRefused::CounterWentBackwards) => {
                tracing::warn!(
                    user_id = %passkey.user_id,
                    passkey_id = %passkey.id,
                    "a passkey's signature counter went backwards: a cloned authenticator? refused"
                );
                Ok(Err("the signature counter went backwards".into()))
            }
            Err(e) => Ok(Err(e.to_string())),
        }
    }

    async fn begin_ceremony(
        &self,
        kind: &str,
        user_id: Option<String>,
        state: String,
        options: serde_json::Value,
    ) -> Result<CeremonyOptions, ApiError> {
        let now = self.clock.now();
        let ceremony = CeremonyRow {
            id: uuid::Uuid::new_v4().to_string(),
            kind: kind.to_owned(),
            user_id,
            state,
            expires_at: now + CEREMONY_SECS,
            used_at: None,
        };
        self.db.add_ceremony(&ceremony, now).await?;
        Ok(CeremonyOptions {
            ceremony: ceremony.id,
            options,
        })
    }

    /// The ceremony `id` of `kind`, spent now: single use, whatever follows.
    async fn spend_ceremony(&self, id: &str, kind: &str) -> Result<Option<CeremonyRow>, ApiError> {
        if id.contains('\0') || !self.db.spend_ceremony(id, kind, self.clock.now()).await? {
            return Ok(None);
        }
        Ok(self.db.ceremony(id).await?)
    }
}

/// The WebAuthn user handle of a user: their id's 16 bytes.
fn user_handle(user_id: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(user_id)
        .map_err(|_| anyhow::anyhow!("user id {user_id} is not a UUID").into())
}

fn decode_id(credential_id: &str) -> Option<Vec<u8>> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    URL_SAFE_NO_PAD.decode(credential_id).ok()
}

/// `invalid_credentials`, with why in the log.
fn refused(why: &str) -> ApiError {
    tracing::info!(why, "passkey refused");
    ApiError::InvalidCredentials { basic: false }
}
