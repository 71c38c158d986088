//! [`Keys`]: the signing and verification keys in force, with the token
//! rules of the configuration (algorithm, issuer, audience, leeway,
//! lifetime), and the JWK Set that publishes the public keys.
//!
//! HS256 has one key, `JOTPASS_JWT_SECRET` (or a generated secret file).
//! EdDSA keys live in the database (`stored_keys`) and are read again every
//! [`RELOAD_EVERY`](super::RELOAD_EVERY), so a rotation made by any process
//! reaches every process.

use std::sync::{Arc, RwLock};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{
    stored_keys::{self, Kek},
    token::Verified,
};
use crate::{
    config::{Config, JwtAlg},
    db::{Db, SigningKeyRow},
    secrets::load_or_create_secret_file,
};

/// The server's keys and the token rules of its configuration. Cheap to share
/// behind an `Arc`; never printed.
pub struct Keys {
    alg: JwtAlg,
    issuer: String,
    audience: String,
    leeway: i64,
    access_ttl: i64,
    /// How long after retirement an EdDSA key stays published and accepted.
    retired_grace: i64,
    /// Swapped whole on reload; readers clone the `Arc` and never wait long.
    ring: RwLock<Arc<Ring>>,
    /// EdDSA: decrypts the private keys stored in the database.
    kek: Option<Kek>,
}

/// The keys in force at one moment.
pub(super) struct Ring {
    pub(super) signing_kid: String,
    pub(super) signing: EncodingKey,
    /// Every key a token may name in `kid`.
    pub(super) verifying: Vec<(String, DecodingKey)>,
    /// The JWK Set of the public keys (EdDSA only).
    jwks: Option<Arc<Value>>,
    /// The tokens these keys verified (`token::verify`).
    pub(super) verified: Verified,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("alg", &self.alg)
            .field("kid", &self.ring().signing_kid)
            .finish_non_exhaustive()
    }
}

impl Keys {
    /// Loads the keys for the configured algorithm, making them on first start.
    ///
    /// HS256 takes `JOTPASS_JWT_SECRET`, or else 32 random bytes kept in
    /// `data/jwt_secret` (mode 0600, reused on restart). EdDSA keys live in
    /// the database, shared by every process (see `stored_keys`).
    pub async fn load(config: &Config, db: &Db, now: i64) -> anyhow::Result<Self> {
        match config.jwt_alg {
            JwtAlg::Hs256 => {
                let secret = match &config.jwt_secret {
                    Some(secret) => secret.expose().to_vec(),
                    None => load_or_create_secret_file(&config.data_dir.join("jwt_secret"))?,
                };
                Ok(Self::hs256(&secret, config))
            }
            JwtAlg::EdDsa => {
                let kek = Kek::load(config)?;
                stored_keys::ensure_signing_key(db, &kek, now).await?;
                let rows = db.signing_keys().await?;
                let ring = ed25519_ring(&rows, &kek, now, retired_grace(config))?;
                Ok(Self::with_ring(config, ring, Some(kek)))
            }
        }
    }

    fn with_ring(config: &Config, ring: Ring, kek: Option<Kek>) -> Self {
        Self {
            alg: config.jwt_alg,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            leeway: config.leeway,
            access_ttl: config.access_ttl,
            retired_grace: retired_grace(config),
            ring: RwLock::new(Arc::new(ring)),
            kek,
        }
    }

    pub(super) fn hs256(secret: &[u8], config: &Config) -> Self {
        // The kid is a keyed hash of a fixed label: stable for a secret, and
        // telling nothing about it.
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(b"jotpass key id");
        let kid = URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..12]);
        let ring = Ring {
            signing_kid: kid.clone(),
            signing: EncodingKey::from_secret(secret),
            verifying: vec![(kid, DecodingKey::from_secret(secret))],
            jwks: None,
            verified: Verified::default(),
        };
        Self::with_ring(config, ring, None)
    }

    /// EdDSA keys holding the one key made from `seed` (unit tests).
    #[cfg(test)]
    pub(super) fn ed25519_for_tests(seed: &[u8; 32], config: &Config) -> Self {
        let kek = Kek::from_bytes([9u8; 32]);
        let row = stored_keys::key_row(&kek, seed, 0, 0);
        let ring = ed25519_ring(&[row], &kek, 0, 100).unwrap();
        Self::with_ring(config, ring, Some(kek))
    }

    /// Reads the EdDSA keys again (a rotation by another process shows up
    /// here). HS256 has nothing to reload.
    pub async fn reload(&self, db: &Db, now: i64) -> anyhow::Result<()> {
        let Some(kek) = &self.kek else {
            return Ok(());
        };
        let rows = db.signing_keys().await?;
        let ring = ed25519_ring(&rows, kek, now, self.retired_grace)?;
        *self
            .ring
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(ring);
        Ok(())
    }

    /// Whether keys live in the database and need reloading.
    pub fn reloads(&self) -> bool {
        self.kek.is_some()
    }

    pub(super) fn ring(&self) -> Arc<Ring> {
        self.ring
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The JWK Set of the public keys; `None` for HS256 (a shared secret is
    /// never published).
    pub fn jwks(&self) -> Option<Arc<Value>> {
        self.ring().jwks.clone()
    }

    /// The configured algorithm, as jsonwebtoken names it.
    pub(super) fn algorithm(&self) -> Algorithm {
        match self.alg {
            JwtAlg::Hs256 => Algorithm::HS256,
            JwtAlg::EdDsa => Algorithm::EdDSA,
        }
    }

    pub(super) fn alg(&self) -> JwtAlg {
        self.alg
    }

    /// The issuer and audience that every token carries.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Clock leeway for `exp`, `nbf` and `iat`, in seconds.
    pub(super) fn leeway(&self) -> i64 {
        self.leeway
    }

    /// How long an access token lives (never past its session's end).
    pub(super) fn access_ttl(&self) -> i64 {
        self.access_ttl
    }
}

/// How long a retired key stays published: until every token it signed has
/// expired, plus the time a new key is published before it signs.
fn retired_grace(config: &Config) -> i64 {
    config.access_ttl + config.leeway + stored_keys::PUBLISH_AHEAD_SECS
}

/// The EdDSA keys in force at `now`: the newest activated, unretired key
/// signs; every key not retired for longer than `retired_grace` verifies and
/// is published (a key made by `keys rotate` is published before it signs).
fn ed25519_ring(
    rows: &[SigningKeyRow],
    kek: &Kek,
    now: i64,
    retired_grace: i64,
) -> anyhow::Result<Ring> {
    let live: Vec<&SigningKeyRow> = rows
        .iter()
        .filter(|r| r.retired_at.is_none_or(|t| t + retired_grace > now))
        .collect();
    let signer = live
        .iter()
        .filter(|r| r.activates_at <= now && r.retired_at.is_none_or(|t| t > now))
        .max_by_key(|r| (r.activates_at, r.created_at, r.kid.clone()))
        .context("no EdDSA signing key is active")?;
    let seed = kek.open(&signer.kid, signer.private_key.expose())?;
    let mut verifying = Vec::new();
    let mut jwks = Vec::new();
    for row in &live {
        let public = URL_SAFE_NO_PAD
            .decode(&row.public_key)
            .context("stored public key")?;
        verifying.push((row.kid.clone(), DecodingKey::from_ed_der(&public)));
        jwks.push(json!({
            "kty": "OKP", "crv": "Ed25519", "x": row.public_key,
            "kid": row.kid, "use": "sig", "alg": "EdDSA",
        }));
    }
    Ok(Ring {
        signing_kid: signer.kid.clone(),
        signing: EncodingKey::from_ed_der(&stored_keys::ed25519_pkcs8(&seed)?),
        verifying,
        jwks: Some(Arc::new(json!({ "keys": jwks }))),
        verified: Verified::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(alg: JwtAlg) -> Config {
        let mut c = Config::from_lookup(|_| None).unwrap();
        c.jwt_alg = alg;
        c
    }

    #[test]
    fn a_rotated_key_is_published_first_signs_later_and_retires_after_the_grace() {
        let kek = Kek::from_bytes([9u8; 32]);
        let mut old = stored_keys::key_row(&kek, &[1u8; 32], 0, 0);
        let new = stored_keys::key_row(&kek, &[2u8; 32], 100, 110);
        old.retired_at = Some(110);
        let rows = [old.clone(), new.clone()];
        let kids = |ring: &Ring| {
            ring.verifying
                .iter()
                .map(|(k, _)| k.clone())
                .collect::<Vec<_>>()
        };

        let before = ed25519_ring(&rows, &kek, 105, 50).unwrap();
        assert_eq!(before.signing_kid, old.kid);
        assert_eq!(kids(&before), [old.kid.clone(), new.kid.clone()]);

        let after = ed25519_ring(&rows, &kek, 110, 50).unwrap();
        assert_eq!(after.signing_kid, new.kid);
        assert_eq!(
            kids(&after).len(),
            2,
            "the old key still verifies its tokens"
        );

        let later = ed25519_ring(&rows, &kek, 160, 50).unwrap();
        assert_eq!(kids(&later), std::slice::from_ref(&new.kid));
        assert_eq!(later.jwks.unwrap()["keys"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn eddsa_publishes_a_jwks_with_a_thumbprint_kid() {
        let keys = Keys::ed25519_for_tests(&[3u8; 32], &config(JwtAlg::EdDsa));
        let jwks = keys.jwks().unwrap();
        assert_eq!(jwks["keys"][0]["kid"], keys.ring().signing_kid);
        assert_eq!(jwks["keys"][0]["kty"], "OKP");
        assert!(
            Keys::hs256(&[7u8; 32], &config(JwtAlg::Hs256))
                .jwks()
                .is_none()
        );
    }
}
