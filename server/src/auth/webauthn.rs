//! Passkeys (WebAuthn) for jotpass's relying party: the host of
//! `JOTPASS_PUBLIC_URL`. A thin layer over webauthn-rs-core that makes the
//! choices API.md gives — user verification required, discoverable
//! credentials, EdDSA, ES256 and RS256 offered in that order — and speaks
//! JSON, so ceremonies can be stored in the database and finished by any
//! process.

use std::time::Duration;

use serde_json::Value;
use webauthn_rs_core::{
    WebauthnCore,
    proto::{
        AttestationConveyancePreference, AuthenticationState, COSEAlgorithm, CredProtect,
        Credential, CredentialProtectionPolicy, PublicKeyCredential, RegisterPublicKeyCredential,
        RequestRegistrationExtensions, UserVerificationPolicy,
    },
};

use crate::config::PublicUrl;

/// How long a ceremony may take.
pub const CEREMONY_SECS: i64 = 300;

/// Why a ceremony's answer was refused (the detail goes to the log only).
#[derive(Debug, thiserror::Error)]
pub enum PasskeyRefused {
    #[error("not a WebAuthn credential: {0}")]
    Malformed(String),
    /// Wrong origin or RP id, a bad signature, user verification missing…
    #[error("refused by WebAuthn: {0:?}")]
    Refused(webauthn_rs_core::error::WebauthnError),
    /// The signature counter did not move forward: a cloned authenticator?
    #[error("the signature counter went backwards")]
    CounterWentBackwards,
}

/// The relying party. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Passkeys {
    core: WebauthnCore,
}

/// A new passkey: its credential id (base64url) and what to store of it.
#[derive(Debug)]
pub struct NewPasskey {
    pub credential_id: String,
    pub credential: String,
}

impl Passkeys {
    pub fn new(public_url: &PublicUrl) -> anyhow::Result<Self> {
        let origin = url::Url::parse(&public_url.origin)?;
        let core = WebauthnCore::new_unsafe_experts_only(
            "jotpass",
            &public_url.host,
            vec![origin],
            Duration::from_secs(u64::try_from(CEREMONY_SECS).unwrap_or(300)),
            None,
            None,
        );
        Ok(Self { core })
    }

    /// Options for `navigator.credentials.create()` for the user with
    /// `user_handle`, excluding the credentials they have; and the state to
    /// keep for the ceremony.
    pub fn start_registration(
        &self,
        user_handle: uuid::Uuid,
        username: &str,
        exclude: Vec<Vec<u8>>,
    ) -> anyhow::Result<(Value, String)> {
        let extensions = RequestRegistrationExtensions {
            cred_protect: Some(CredProtect {
                credential_protection_policy: CredentialProtectionPolicy::UserVerificationRequired,
                // Many authenticators fail the operation when made to enforce it.
                enforce_credential_protection_policy: Some(false),
            }),
            uvm: Some(true),
            cred_props: Some(true),
            min_pin_length: None,
            hmac_create_secret: None,
        };
        let builder = self
            .core
            .new_challenge_register_builder(user_handle.as_bytes(), username, username)
            .map_err(|e| anyhow::anyhow!("a registration: {e:?}"))?
            .attestation(AttestationConveyancePreference::None)
            // WebAuthn Level 3's recommendation, in its order.
            .credential_algorithms(vec![
                COSEAlgorithm::EDDSA,
                COSEAlgorithm::ES256,
                COSEAlgorithm::RS256,
            ])
            .require_resident_key(true)
            .authenticator_attachment(None)
            .user_verification_policy(UserVerificationPolicy::Required)
            .reject_synchronised_authenticators(false)
            .exclude_credentials(Some(exclude.into_iter().map(Into::into).collect()))
            .hints(None)
            .extensions(Some(extensions));
        let (options, state) = self
            .core
            .generate_challenge_register(builder)
            .map_err(|e| anyhow::anyhow!("a registration: {e:?}"))?;
        Ok((
            serde_json::to_value(options)?,
            serde_json::to_string(&state)?,
        ))
    }

    /// Verifies the browser's answer to a registration.
    pub fn finish_registration(
        &self,
        answer: &Value,
        state: &str,
    ) -> Result<NewPasskey, PasskeyRefused> {
        let answer: RegisterPublicKeyCredential = serde_json::from_value(answer.clone())
            .map_err(|e| PasskeyRefused::Malformed(e.to_string()))?;
        let state =
            serde_json::from_str(state).map_err(|e| PasskeyRefused::Malformed(e.to_string()))?;
        let credential = self
            .core
            .register_credential(&answer, &state, None)
            .map_err(PasskeyRefused::Refused)?;
        Ok(NewPasskey {
            credential_id: credential_id(credential.cred_id.as_ref()),
            credential: serde_json::to_string(&credential)
                .map_err(|e| PasskeyRefused::Malformed(e.to_string()))?,
        })
    }

    /// Options for `navigator.credentials.get()` with no allow-list (the
    /// authenticator offers the user's discoverable passkeys), and the state.
    pub fn start_login(&self) -> anyhow::Result<(Value, String)> {
        let builder = self
            .core
            .new_challenge_authenticate_builder(Vec::new(), Some(UserVerificationPolicy::Required))
            .map_err(|e| anyhow::anyhow!("a login: {e:?}"))?;
        let (options, state) = self
            .core
            .generate_challenge_authenticate(builder)
            .map_err(|e| anyhow::anyhow!("a login: {e:?}"))?;
        Ok((
            serde_json::to_value(options)?,
            serde_json::to_string(&state)?,
        ))
    }

    /// The credential id (base64url) and user handle an answer to a login
    /// names, to find the stored passkey by.
    pub fn identify(answer: &Value) -> Result<(String, Option<Vec<u8>>), PasskeyRefused> {
        let answer: PublicKeyCredential = serde_json::from_value(answer.clone())
            .map_err(|e| PasskeyRefused::Malformed(e.to_string()))?;
        Ok((
            credential_id(answer.get_credential_id()),
            answer.get_user_unique_id().map(<[u8]>::to_vec),
        ))
    }

    /// Verifies the browser's answer to a login against the stored passkey;
    /// answers the passkey to store (its counter moved on).
    pub fn finish_login(
        &self,
        answer: &Value,
        state: &str,
        stored: &str,
    ) -> Result<String, PasskeyRefused> {
        let answer: PublicKeyCredential = serde_json::from_value(answer.clone())
            .map_err(|e| PasskeyRefused::Malformed(e.to_string()))?;
        let mut state: AuthenticationState =
            serde_json::from_str(state).map_err(|e| PasskeyRefused::Malformed(e.to_string()))?;
        let mut credential: Credential =
            serde_json::from_str(stored).map_err(|e| PasskeyRefused::Malformed(e.to_string()))?;
        // A discoverable login: the one credential it may be is the stored one.
        state.set_allowed_credentials(vec![credential.clone()]);
        let result = self
            .core
            .authenticate_credential(&answer, &state)
            .map_err(|e| match e {
                webauthn_rs_core::error::WebauthnError::CredentialPossibleCompromise => {
                    PasskeyRefused::CounterWentBackwards
                }
                other => PasskeyRefused::Refused(other),
            })?;
        if result.needs_update() {
            credential.counter = result.counter();
        }
        serde_json::to_string(&credential).map_err(|e| PasskeyRefused::Malformed(e.to_string()))
    }
}

fn credential_id(bytes: &[u8]) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    URL_SAFE_NO_PAD.encode(bytes)
}
