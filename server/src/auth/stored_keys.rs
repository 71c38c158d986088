//! Where EdDSA keys are kept (the database, the private half encrypted),
//! their Ed25519 encoding, and rotating them.
//!
//! Keys live in the database so that every server process signs with the
//! same key and publishes the same JWK Set. The private half (the Ed25519
//! seed) is stored encrypted with XChaCha20-Poly1305 under a key-encryption
//! key (KEK) that is never in the database: `JOTPASS_KEY_ENCRYPTION_KEY`, or
//! else 32 random bytes kept in `data/key_encryption_key` (mode 0600). A
//! stolen database dump alone cannot mint tokens. Several machines must share
//! the KEK through the variable; processes on one machine share the file.
//!
//! Rotation never refuses a token: a new key is published at once but signs
//! only [`PUBLISH_AHEAD_SECS`] later, by which time every process (reloading
//! every [`RELOAD_EVERY`]) accepts it; the old key stays published until
//! every token it signed has expired.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jotpass_shared::Redacted;
use sha2::{Digest, Sha256};

use crate::{
    config::Config,
    db::{Db, SigningKeyRow},
    secrets::{SealKey, load_or_create_secret_file, random_bytes},
};

/// How long a new key is published before it signs.
pub(super) const PUBLISH_AHEAD_SECS: i64 = 10;

/// How often each process reads the keys again.
pub const RELOAD_EVERY: Duration = Duration::from_secs(1);

/// The key-encryption key. Never printed.
#[derive(Debug)]
pub struct Kek(SealKey);

impl Kek {
    /// `JOTPASS_KEY_ENCRYPTION_KEY` (hashed to 32 bytes), else the data file.
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        let material = match &config.key_encryption_key {
            Some(secret) => secret.expose().to_vec(),
            None => load_or_create_secret_file(&config.data_dir.join("key_encryption_key"))?,
        };
        Ok(Self::from_bytes(Sha256::digest(&material).into()))
    }

    /// The key if it exists already (`JOTPASS_KEY_ENCRYPTION_KEY`, or the
    /// file): the CLI's, which must not create one as a side effect.
    pub fn load_existing(config: &Config) -> anyhow::Result<Option<Self>> {
        let file = config.data_dir.join("key_encryption_key");
        if config.key_encryption_key.is_none() && !file.exists() {
            return Ok(None);
        }
        Self::load(config).map(Some)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(SealKey::from_bytes(bytes))
    }

    /// Encrypts `seed`, bound to `kid`: base64url(nonce || ciphertext).
    fn seal(&self, kid: &str, seed: &[u8; 32]) -> String {
        self.0.seal(kid.as_bytes(), seed)
    }

    /// Encrypts another secret kept in the database (a TOTP secret), bound
    /// to `context` (its owner's id).
    pub fn seal_secret(&self, context: &str, secret: &[u8]) -> String {
        self.0.seal(context.as_bytes(), secret)
    }

    /// Decrypts what [`Kek::seal_secret`] sealed for `context`.
    pub fn open_secret(&self, context: &str, sealed: &str) -> Option<Vec<u8>> {
        self.0.open(context.as_bytes(), sealed)
    }

    /// Decrypts a stored seed; fails when the KEK is not the one it was sealed with.
    pub fn open(&self, kid: &str, stored: &str) -> anyhow::Result<[u8; 32]> {
        let seed = self.0.open(kid.as_bytes(), stored).ok_or_else(|| {
            anyhow::anyhow!(
                "cannot decrypt signing key {kid}: JOTPASS_KEY_ENCRYPTION_KEY (or data/key_encryption_key) \
                 is not the one it was stored with"
            )
        })?;
        seed.try_into()
            .map_err(|_| anyhow::anyhow!("stored seed is not 32 bytes"))
    }
}

/// A key row for `seed`, made at `now`, signing from `activates_at`.
pub(super) fn key_row(kek: &Kek, seed: &[u8; 32], now: i64, activates_at: i64) -> SigningKeyRow {
    let (public_key, kid) = ed25519_public(seed);
    SigningKeyRow {
        private_key: Redacted::new(kek.seal(&kid, seed)),
        kid,
        public_key,
        created_at: now,
        activates_at,
        retired_at: None,
    }
}

/// The public key (base64url) and RFC 7638 thumbprint (the kid) of an
/// Ed25519 seed.
pub(super) fn ed25519_public(seed: &[u8; 32]) -> (String, String) {
    let public = ed25519_dalek::SigningKey::from_bytes(seed)
        .verifying_key()
        .to_bytes();
    let x = URL_SAFE_NO_PAD.encode(public);
    // Stable for the key, and computable by anyone from the JWK.
    let thumbprint_input = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint_input.as_bytes()));
    (x, kid)
}

/// The PKCS#8 DER of an Ed25519 private key (RFC 8410), which is what
/// jsonwebtoken signs with.
pub(super) fn ed25519_pkcs8(seed: &[u8; 32]) -> anyhow::Result<Vec<u8>> {
    let der = ed25519_dalek::SigningKey::from_bytes(seed)
        .to_pkcs8_der()
        .map_err(|e| anyhow::anyhow!("encoding an Ed25519 key: {e}"))?;
    Ok(der.as_bytes().to_vec())
}

/// Makes the first key if there is none (first start with EdDSA).
pub(super) async fn ensure_signing_key(db: &Db, kek: &Kek, now: i64) -> anyhow::Result<()> {
    let keys = db.signing_keys().await?;
    if keys.iter().any(|k| k.retired_at.is_none()) {
        return Ok(());
    }
    db.add_signing_key(&key_row(kek, &random_bytes::<32>(), now, now))
        .await?;
    Ok(())
}

/// `jotpass keys rotate`: a new key, signing from `now + PUBLISH_AHEAD_SECS`.
/// Answers its kid.
pub async fn rotate(db: &Db, kek: &Kek, now: i64) -> anyhow::Result<String> {
    // Check the KEK before retiring anything: a wrong one must not strand the keys.
    for key in db.signing_keys().await? {
        kek.open(&key.kid, key.private_key.expose())?;
    }
    let row = key_row(kek, &random_bytes::<32>(), now, now + PUBLISH_AHEAD_SECS);
    db.add_signing_key(&row).await?;
    Ok(row.kid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_seed_opens_only_with_its_kek_and_kid() {
        let kek = Kek::from_bytes([1u8; 32]);
        let row = key_row(&kek, &[5u8; 32], 0, 0);
        let stored = row.private_key.expose();
        assert_eq!(kek.open(&row.kid, stored).unwrap(), [5u8; 32]);
        assert!(!stored.contains(&URL_SAFE_NO_PAD.encode([5u8; 32])));
        assert!(Kek::from_bytes([2u8; 32]).open(&row.kid, stored).is_err());
        assert!(kek.open("another-kid", stored).is_err());
    }

    #[test]
    fn the_pkcs8_encoding_holds_the_seed_and_reads_back_as_the_same_key() {
        use ed25519_dalek::pkcs8::DecodePrivateKey;
        let der = ed25519_pkcs8(&[7u8; 32]).unwrap();
        // RFC 8410: the OCTET STRING of the private key is the 32-byte seed.
        assert!(
            der.windows(34)
                .any(|w| w[..2] == [0x04, 0x20] && w[2..] == [7u8; 32])
        );
        let back = ed25519_dalek::SigningKey::from_pkcs8_der(&der).unwrap();
        assert_eq!(back.to_bytes(), [7u8; 32]);
    }
}
