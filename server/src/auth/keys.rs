//! Signing keys, and issuing and verifying access tokens.
//!
//! Verification is pure: it touches no database. It checks, in this order,
//! the shape and header of the token, the signature (with the configured
//! algorithm and one of the server's own keys, chosen by `kid`), the types of
//! every required claim, then `exp`, `nbf`, `iat`, `iss`, `aud`. Whether the
//! token's session is still active is a separate step (`auth::sessions`).

use std::{
    fs,
    io::Write,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::Path,
    sync::{Arc, RwLock},
};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use jotpass_shared::Claims;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::keystore::{self, Kek};
use crate::{
    config::{Config, JwtAlg},
    db::{Db, SigningKeyRow},
    error::TokenFailure,
};

/// The server's keys and the token rules of its configuration. Cheap to share
/// behind an `Arc`; never printed.
pub struct Keys {
    alg: JwtAlg,
    issuer: String,
    audience: String,
    leeway: i64,
    /// How long after retirement an EdDSA key stays published and accepted.
    retired_grace: i64,
    /// Swapped whole on reload; readers clone the `Arc` and never wait long.
    ring: RwLock<Arc<Ring>>,
    /// EdDSA: decrypts the private keys stored in the database.
    kek: Option<Kek>,
}

/// The keys in force at one moment.
struct Ring {
    signing_kid: String,
    signing: EncodingKey,
    /// Every key a token may name in `kid`.
    verifying: Vec<(String, DecodingKey)>,
    /// The JWK Set of the public keys (EdDSA only).
    jwks: Option<Arc<Value>>,
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
    /// the database, shared by every process (see `keystore`).
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
                keystore::ensure_signing_key(db, &kek, now).await?;
                let rows = db.signing_keys().await?;
                let retired_grace = retired_grace(config);
                let ring = ed25519_ring(&rows, &kek, now, retired_grace)?;
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
            retired_grace: retired_grace(config),
            ring: RwLock::new(Arc::new(ring)),
            kek,
        }
    }

    fn hs256(secret: &[u8], config: &Config) -> Self {
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
        };
        Self::with_ring(config, ring, None)
    }

    /// Reads the EdDSA keys again (a rotation by another process shows up
    /// here). HS256 has nothing to reload.
    pub async fn reload(&self, db: &Db, now: i64) -> anyhow::Result<()> {
        let Some(kek) = &self.kek else {
            return Ok(());
        };
        let rows = db.signing_keys().await?;
        let ring = ed25519_ring(&rows, kek, now, self.retired_grace)?;
        *self.ring.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(ring);
        Ok(())
    }

    /// Whether keys live in the database and need reloading.
    pub fn reloads(&self) -> bool {
        self.kek.is_some()
    }

    fn ring(&self) -> Arc<Ring> {
        self.ring.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The JWK Set of the public keys; `None` for HS256 (a shared secret is
    /// never published).
    pub fn jwks(&self) -> Option<Arc<Value>> {
        self.ring().jwks.clone()
    }

    /// The issuer and audience that every token carries.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Signs `claims` with the current key.
    pub fn issue(&self, claims: &Claims) -> anyhow::Result<String> {
        let ring = self.ring();
        let mut header = Header::new(self.algorithm());
        header.typ = Some("JWT".to_owned());
        header.kid = Some(ring.signing_kid.clone());
        jsonwebtoken::encode(&header, claims, &ring.signing).context("signing a token")
    }

    fn algorithm(&self) -> Algorithm {
        match self.alg {
            JwtAlg::Hs256 => Algorithm::HS256,
            JwtAlg::EdDsa => Algorithm::EdDSA,
        }
    }

    /// Verifies `token` at time `now`; see the module comment for the order.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenFailure> {
        let invalid = TokenFailure::Invalid;
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid);
        };

        let header: JoseHeader = decode_json(header_b64).ok_or(invalid)?;
        // The algorithm is fixed by configuration; the header must merely agree.
        if header.alg.as_deref() != Some(self.alg.name()) {
            return Err(invalid);
        }
        // We understand no critical extension, so RFC 7515 §4.1.11 says reject.
        if header.crit.is_some() {
            return Err(invalid);
        }
        if header
            .typ
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("JWT"))
        {
            return Err(invalid);
        }
        // `kid` only selects among our own keys; jku/jwk/x5u/x5c are never read.
        let kid = header.kid.ok_or(invalid)?;
        let ring = self.ring();
        let key = ring
            .verifying
            .iter()
            .find(|(k, _)| *k == kid)
            .map(|(_, key)| key)
            .ok_or(invalid)?;

        let signed = &token[..header_b64.len() + 1 + payload_b64.len()];
        let ok = jsonwebtoken::crypto::verify(signature, signed.as_bytes(), key, self.algorithm())
            .unwrap_or(false);
        if !ok {
            return Err(invalid);
        }

        // Every claim is required and typed (NumericDates are whole,
        // non-negative seconds): a missing or mistyped one fails here.
        let claims: Claims = decode_json(payload_b64).ok_or(invalid)?;
        if [claims.exp, claims.nbf, claims.iat]
            .iter()
            .any(|&t| t > i64::MAX as u64)
        {
            return Err(invalid);
        }
        let (exp, nbf, iat) = (claims.exp as i64, claims.nbf as i64, claims.iat as i64);
        if exp <= now - self.leeway {
            return Err(TokenFailure::Expired);
        }
        if nbf > now + self.leeway || iat > now + self.leeway {
            return Err(invalid);
        }
        if claims.iss != self.issuer || claims.aud != self.audience {
            return Err(invalid);
        }
        Ok(claims)
    }
}

/// How long a retired key stays published: until every token it signed has
/// expired, plus the time a new key is published before it signs.
fn retired_grace(config: &Config) -> i64 {
    config.access_ttl + config.leeway + keystore::PUBLISH_AHEAD_SECS
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
    let seed = kek.open(&signer.kid, &signer.private_key)?;
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
        signing: EncodingKey::from_ed_der(&ed25519_pkcs8(&seed)),
        verifying,
        jwks: Some(Arc::new(json!({ "keys": jwks }))),
    })
}

/// The public key and RFC 7638 thumbprint (the kid) of an Ed25519 seed.
pub fn ed25519_public(seed: &[u8; 32]) -> (String, String) {
    let public = ed25519_dalek::SigningKey::from_bytes(seed)
        .verifying_key()
        .to_bytes();
    let x = URL_SAFE_NO_PAD.encode(public);
    // Stable for the key, and computable by anyone from the JWK.
    let thumbprint_input = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint_input.as_bytes()));
    (x, kid)
}

/// The JOSE header fields jotpass looks at; any other is ignored.
#[derive(serde::Deserialize)]
struct JoseHeader {
    alg: Option<String>,
    typ: Option<String>,
    kid: Option<String>,
    crit: Option<serde::de::IgnoredAny>,
}

/// A base64url (unpadded) JSON value of type `T`, or `None`.
fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The PKCS#8 v1 DER of an Ed25519 private key (RFC 8410 §7): a fixed
/// 16-byte prefix, then the 32-byte seed.
fn ed25519_pkcs8(seed: &[u8; 32]) -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(seed);
    der
}

/// Reads 32 secret bytes from `path`, or creates the file (mode 0600, in a
/// 0700 directory) with 32 fresh random bytes.
pub(crate) fn load_or_create_secret_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
        && !dir.exists()
    {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    match fs::read(path) {
        Ok(bytes) if bytes.len() >= 32 => return Ok(bytes),
        Ok(_) => anyhow::bail!("{} holds fewer than 32 bytes", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    let mut bytes = vec![0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(alg: JwtAlg) -> Config {
        let mut c = Config::from_lookup(|_| None).unwrap();
        c.jwt_alg = alg;
        c
    }

    fn claims(now: i64) -> Claims {
        Claims {
            iss: "jotpass".into(),
            sub: "user-1".into(),
            aud: "jotpass-api".into(),
            iat: now as u64,
            nbf: now as u64,
            exp: (now + 60) as u64,
            jti: "j1".into(),
            sid: "s1".into(),
            roles: vec![],
            name: "alice".into(),
        }
    }

    fn hs() -> Keys {
        Keys::hs256(&[7u8; 32], &config(JwtAlg::Hs256))
    }

    /// EdDSA keys holding one key made from `seed`.
    fn ed(seed: &[u8; 32]) -> Keys {
        let kek = Kek::from_bytes([9u8; 32]);
        let row = keystore::key_row(&kek, seed, 0, 0);
        let ring = ed25519_ring(&[row], &kek, 0, 100).unwrap();
        Keys::with_ring(&config(JwtAlg::EdDsa), ring, Some(kek))
    }

    #[test]
    fn a_rotated_key_is_published_first_signs_later_and_retires_after_the_grace() {
        let kek = Kek::from_bytes([9u8; 32]);
        let mut old = keystore::key_row(&kek, &[1u8; 32], 0, 0);
        let new = keystore::key_row(&kek, &[2u8; 32], 100, 110);
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

    /// Signs arbitrary header and payload JSON with the test HS256 key.
    fn forge(header: &Value, payload: &Value) -> String {
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        let p = URL_SAFE_NO_PAD.encode(payload.to_string());
        let sig = jsonwebtoken::crypto::sign(
            format!("{h}.{p}").as_bytes(),
            &EncodingKey::from_secret(&[7u8; 32]),
            Algorithm::HS256,
        )
        .unwrap();
        format!("{h}.{p}.{sig}")
    }

    fn header() -> Value {
        json!({"alg": "HS256", "typ": "JWT", "kid": hs().ring().signing_kid.clone()})
    }

    #[test]
    fn a_token_we_issue_verifies_with_both_algorithms() {
        for keys in [hs(), ed(&[3u8; 32])] {
            let token = keys.issue(&claims(1000)).unwrap();
            assert_eq!(keys.verify(&token, 1000).unwrap(), claims(1000));
        }
    }

    #[test]
    fn expiry_is_exp_at_or_before_now_minus_leeway() {
        let keys = hs();
        let token = keys.issue(&claims(1000)).unwrap();
        assert!(keys.verify(&token, 1059).is_ok());
        assert_eq!(keys.verify(&token, 1060), Err(TokenFailure::Expired));
        let mut lenient = config(JwtAlg::Hs256);
        lenient.leeway = 5;
        let keys = Keys::hs256(&[7u8; 32], &lenient);
        assert!(keys.verify(&token, 1064).is_ok());
        assert_eq!(keys.verify(&token, 1065), Err(TokenFailure::Expired));
    }

    #[test]
    fn future_nbf_or_iat_wrong_iss_or_aud_are_invalid() {
        let keys = hs();
        let mut c = serde_json::to_value(claims(1000)).unwrap();
        c["nbf"] = json!(1001);
        assert_eq!(
            keys.verify(&forge(&header(), &c), 1000),
            Err(TokenFailure::Invalid)
        );
        let mut c = serde_json::to_value(claims(1000)).unwrap();
        c["iat"] = json!(1001);
        assert_eq!(
            keys.verify(&forge(&header(), &c), 1000),
            Err(TokenFailure::Invalid)
        );
        let mut c = serde_json::to_value(claims(1000)).unwrap();
        c["iss"] = json!("Jotpass");
        assert_eq!(
            keys.verify(&forge(&header(), &c), 1000),
            Err(TokenFailure::Invalid)
        );
        let mut c = serde_json::to_value(claims(1000)).unwrap();
        c["aud"] = json!(["jotpass-api"]);
        assert_eq!(
            keys.verify(&forge(&header(), &c), 1000),
            Err(TokenFailure::Invalid)
        );
        // The forging helper itself makes acceptable tokens.
        let c = serde_json::to_value(claims(1000)).unwrap();
        assert!(keys.verify(&forge(&header(), &c), 1000).is_ok());
    }

    #[test]
    fn missing_or_mistyped_claims_are_invalid_even_when_expired() {
        let keys = hs();
        for (claim, value) in [
            ("sid", Value::Null),
            ("exp", json!("2000")),
            ("exp", json!(1060.5)),
            ("roles", json!("admin")),
            ("sub", json!(1)),
        ] {
            let mut c = serde_json::to_value(claims(1000)).unwrap();
            if value.is_null() {
                c.as_object_mut().unwrap().remove(claim);
            } else {
                c[claim] = value;
            }
            assert_eq!(
                keys.verify(&forge(&header(), &c), 5000),
                Err(TokenFailure::Invalid),
                "{claim}"
            );
        }
    }

    #[test]
    fn headers_cannot_choose_the_algorithm_or_the_key() {
        let keys = hs();
        let c = serde_json::to_value(claims(1000)).unwrap();
        let kid = hs().ring().signing_kid.clone();
        for h in [
            json!({"alg": "none", "typ": "JWT", "kid": kid}),
            json!({"alg": "HS512", "typ": "JWT", "kid": kid}),
            json!({"alg": "HS256", "typ": "JWT", "kid": "other"}),
            json!({"alg": "HS256", "typ": "JWT"}),
            json!({"alg": "HS256", "typ": "JWT", "kid": kid, "crit": ["exp"]}),
            json!({"alg": "HS256", "typ": "JOSE+JSON", "kid": kid}),
        ] {
            assert_eq!(
                keys.verify(&forge(&h, &c), 1000),
                Err(TokenFailure::Invalid),
                "{h}"
            );
        }
        // An unsigned token.
        let token = keys.issue(&claims(1000)).unwrap();
        let unsigned = format!("{}.", token.rsplit_once('.').unwrap().0);
        assert_eq!(keys.verify(&unsigned, 1000), Err(TokenFailure::Invalid));
    }

    #[test]
    fn a_tampered_payload_or_foreign_key_fails_the_signature() {
        let keys = hs();
        let token = keys.issue(&claims(1000)).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut c = claims(1000);
        c.sub = "user-2".into();
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
        assert_eq!(
            keys.verify(&parts.join("."), 1000),
            Err(TokenFailure::Invalid)
        );
        let other = Keys::hs256(&[8u8; 32], &config(JwtAlg::Hs256));
        assert_eq!(other.verify(&token, 1000), Err(TokenFailure::Invalid));
        for junk in ["", "abc", "a.b", "a.b.c.d", "....", "é.é.é"] {
            assert_eq!(keys.verify(junk, 1000), Err(TokenFailure::Invalid));
        }
    }

    #[test]
    fn eddsa_publishes_a_jwks_with_a_thumbprint_kid() {
        let keys = ed(&[3u8; 32]);
        let jwks = keys.jwks().unwrap();
        assert_eq!(jwks["keys"][0]["kid"], keys.ring().signing_kid);
        assert_eq!(jwks["keys"][0]["kty"], "OKP");
        assert!(hs().jwks().is_none());
    }

    #[test]
    fn secret_files_are_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data").join("jwt_secret");
        let first = load_or_create_secret_file(&path).unwrap();
        assert_eq!(first.len(), 32);
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(load_or_create_secret_file(&path).unwrap(), first);
    }
}
