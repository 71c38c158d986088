//! Issuing and verifying access tokens, and the token response.
//!
//! Pure functions of the [`Keys`]: no database, no clock of their own.
//! Verification checks, in this order, the shape and header of the token,
//! the signature (with the configured algorithm and one of the server's own
//! keys, chosen by `kid`), the types of every required claim, then `exp`,
//! `nbf`, `iat`, `iss`, `aud`. Whether the token's session is still active is
//! a separate step (`auth::sessions`).
//!
//! A token that passed is remembered by the keys that verified it
//! ([`Verified`]): the next request with the same token skips the signature
//! and the parsing, and only the clock is checked again.

use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    sync::{Arc, Mutex},
};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jotpass_shared::{Claims, Redacted, TokenResponse, User};
use jsonwebtoken::Header;

use super::{Keys, keyring::Ring};
use crate::{
    db::{NameList, UserRow},
    error::TokenFailure,
};

/// Signs `claims` with the current key.
pub fn issue(keys: &Keys, claims: &Claims) -> anyhow::Result<String> {
    let ring = keys.ring();
    let mut header = Header::new(keys.algorithm());
    header.typ = Some("JWT".to_owned());
    header.kid = Some(ring.signing_kid.clone());
    jsonwebtoken::encode(&header, claims, &ring.signing).context("signing a token")
}

/// Verifies `token` at time `now`; see the module comment for the order. A
/// token the current keys verified before is answered from [`Verified`],
/// with its times checked against `now` again.
pub fn verify(keys: &Keys, token: &str, now: i64) -> Result<Arc<Claims>, TokenFailure> {
    let ring = keys.ring();
    if let Some(seen) = ring.verified.get(token) {
        seen.times.hold(keys.leeway(), now)?;
        return Ok(seen.claims);
    }
    let (claims, times) = verify_with(keys, &ring, token, now)?;
    let claims = Arc::new(claims);
    ring.verified.insert(token, &claims, times);
    Ok(claims)
}

/// Verifies `token` at time `now` with every check, whether or not it was
/// seen before, and remembers nothing (`/healthz`'s self-test).
pub fn verify_fresh(keys: &Keys, token: &str, now: i64) -> Result<Claims, TokenFailure> {
    verify_with(keys, &keys.ring(), token, now).map(|(claims, _)| claims)
}

/// Every check, with the keys of `ring`.
fn verify_with(
    keys: &Keys,
    ring: &Ring,
    token: &str,
    now: i64,
) -> Result<(Claims, Times), TokenFailure> {
    let invalid = TokenFailure::Invalid;
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid);
    };

    let header: JoseHeader = decode_json(header_b64).ok_or(invalid)?;
    // The algorithm is fixed by configuration; the header must merely agree.
    if header.alg.as_deref() != Some(keys.alg().name()) {
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
    let key = ring
        .verifying
        .iter()
        .find(|(k, _)| *k == kid)
        .map(|(_, key)| key)
        .ok_or(invalid)?;

    let signed = &token[..header_b64.len() + 1 + payload_b64.len()];
    let ok = jsonwebtoken::crypto::verify(signature, signed.as_bytes(), key, keys.algorithm())
        .unwrap_or(false);
    if !ok {
        return Err(invalid);
    }

    // Every claim is required and typed (NumericDates are whole,
    // non-negative seconds): a missing or mistyped one fails here.
    let claims: Claims = decode_json(payload_b64).ok_or(invalid)?;
    let times = Times::of(&claims).ok_or(invalid)?;
    times.hold(keys.leeway(), now)?;
    if claims.iss != keys.issuer() || claims.aud != keys.audience() {
        return Err(invalid);
    }
    Ok((claims, times))
}

/// The times of a token that verification compares with the clock.
#[derive(Clone, Copy, Debug)]
struct Times {
    exp: i64,
    /// The later of `nbf` and `iat`: neither may be in the future.
    not_before: i64,
}

impl Times {
    fn of(claims: &Claims) -> Option<Self> {
        let secs = |t: u64| i64::try_from(t).ok();
        Some(Self {
            exp: secs(claims.exp)?,
            not_before: secs(claims.nbf)?.max(secs(claims.iat)?),
        })
    }

    fn hold(self, leeway: i64, now: i64) -> Result<(), TokenFailure> {
        if self.exp <= now - leeway {
            return Err(TokenFailure::Expired);
        }
        if self.not_before > now + leeway {
            return Err(TokenFailure::Invalid);
        }
        Ok(())
    }
}

/// The tokens that one set of keys (a [`Ring`]) verified, by their text, so
/// that a token presented again costs a lookup instead of a signature check
/// and two JSON parses: most of what an authenticated request costs beyond
/// an anonymous one (BENCHMARKS.md). Envoy's JWT filter keeps the same
/// kind of cache (`jwt_cache_config`).
///
/// What verification decides stays true for the ring's life except the
/// times, which every hit checks again: the keys are the ring's own (a
/// reload makes a new ring with an empty cache, so a retired key's tokens
/// go through the full check again), and the algorithm, issuer and audience
/// come from the configuration. Revocation was never the token's business:
/// the session check runs on every request, hit or not.
///
/// Entries are found by a keyed hash (SipHash, random key) of the
/// signature, then the whole text is compared. That comparison need not
/// take constant time: it is reached only by a text whose signature is
/// already the remembered token's (or whose unpredictable 64-bit hash
/// collides with it), and the rest of a token, header and claims, is no
/// secret from whoever holds its signature. (`subtle`'s constant-time
/// comparison of the ~400 bytes cost ~0.5 µs a request, 4 % of `/api/me`.)
/// When full, the cache is emptied (a token lives 15 minutes by default,
/// and a miss costs only the full check).
#[derive(Default)]
pub(super) struct Verified {
    entries: Mutex<HashMap<u64, Seen>>,
    hasher: RandomState,
}

#[derive(Clone)]
struct Seen {
    token: Arc<str>,
    claims: Arc<Claims>,
    times: Times,
}

/// At most this many tokens per ring (about 1 KiB each).
const MAX_VERIFIED: usize = 4096;

impl Verified {
    fn key(&self, token: &str) -> u64 {
        let signature = token.rsplit_once('.').map_or(token, |(_, s)| s);
        self.hasher.hash_one(signature)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Seen>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, token: &str) -> Option<Seen> {
        let key = self.key(token);
        let seen = self.lock().get(&key).cloned()?;
        (*seen.token == *token).then_some(seen)
    }

    fn insert(&self, token: &str, claims: &Arc<Claims>, times: Times) {
        let key = self.key(token);
        let seen = Seen {
            token: token.into(),
            claims: claims.clone(),
            times,
        };
        let mut entries = self.lock();
        if entries.len() >= MAX_VERIFIED {
            entries.clear();
        }
        entries.insert(key, seen);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

/// What a login, a refresh or a password change hands out: a session's
/// (new) refresh token, and what its access token is made from.
#[derive(Debug)]
pub struct Grant {
    pub user: UserRow,
    pub session_id: String,
    pub session_expires: i64,
    /// How the session was authenticated (the `amr` claim).
    pub amr: NameList,
    pub refresh_token: Redacted<String>,
    /// A login's device token (the one presented, or a new one).
    pub device_token: Option<Redacted<String>>,
    /// The instant the flow recorded; the access token's `iat`.
    pub issued_at: i64,
}

/// A grant as the API answers it: an access token for `user` (the grant's
/// user as the API shows it) in the grant's session, with its refresh
/// token. The access token never outlives its session.
pub fn response(keys: &Keys, grant: Grant, user: User) -> anyhow::Result<TokenResponse> {
    let now = grant.issued_at;
    let exp = (now + keys.access_ttl()).min(grant.session_expires);
    let claims = Claims {
        iss: keys.issuer().to_owned(),
        sub: user.id.clone(),
        aud: keys.audience().to_owned(),
        iat: unix(now),
        nbf: unix(now),
        exp: unix(exp),
        jti: uuid::Uuid::new_v4().to_string(),
        sid: grant.session_id,
        roles: user.roles.clone(),
        name: user.username.clone(),
        amr: grant.amr.to_vec(),
    };
    Ok(TokenResponse {
        token: Redacted::new(issue(keys, &claims)?),
        token_type: "Bearer".to_owned(),
        expires: unix(exp),
        refresh_token: grant.refresh_token,
        refresh_expires: unix(grant.session_expires),
        user,
        device_token: grant.device_token,
    })
}

/// Unix seconds as a NumericDate (the clock never runs before 1970).
pub fn unix(secs: i64) -> u64 {
    u64::try_from(secs).unwrap_or(0)
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::config::{Config, JwtAlg};

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
            iat: unix(now),
            nbf: unix(now),
            exp: unix(now + 60),
            jti: "j1".into(),
            sid: "s1".into(),
            roles: vec![],
            name: "alice".into(),
            amr: vec!["pwd".into()],
        }
    }

    fn hs() -> Keys {
        Keys::hs256(&[7u8; 32], &config(JwtAlg::Hs256))
    }

    fn ed(seed: &[u8; 32]) -> Keys {
        Keys::ed25519_for_tests(seed, &config(JwtAlg::EdDsa))
    }

    /// Signs arbitrary header and payload JSON with the test HS256 key.
    fn forge(header: &Value, payload: &Value) -> String {
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        let p = URL_SAFE_NO_PAD.encode(payload.to_string());
        let sig = jsonwebtoken::crypto::sign(
            format!("{h}.{p}").as_bytes(),
            &jsonwebtoken::EncodingKey::from_secret(&[7u8; 32]),
            jsonwebtoken::Algorithm::HS256,
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
            let token = issue(&keys, &claims(1000)).unwrap();
            assert_eq!(*verify(&keys, &token, 1000).unwrap(), claims(1000));
        }
    }

    #[test]
    fn a_token_verified_once_is_remembered_and_its_times_checked_again() {
        let keys = hs();
        let token = issue(&keys, &claims(1000)).unwrap();
        let first = verify(&keys, &token, 1000).unwrap();
        assert_eq!(keys.ring().verified.len(), 1);
        // The same claims, from the cache.
        assert!(Arc::ptr_eq(&first, &verify(&keys, &token, 1030).unwrap()));
        // exp passed, or the clock set back before iat: as a fresh check says.
        assert_eq!(verify(&keys, &token, 1060), Err(TokenFailure::Expired));
        assert_eq!(verify(&keys, &token, 900), Err(TokenFailure::Invalid));
        assert_eq!(keys.ring().verified.len(), 1);
    }

    #[test]
    fn a_remembered_signature_under_other_claims_is_refused() {
        let keys = hs();
        let token = issue(&keys, &claims(1000)).unwrap();
        verify(&keys, &token, 1000).unwrap();
        let signature = token.rsplit_once('.').unwrap().1;
        let mut admin = claims(1000);
        admin.roles = vec!["admin".into()];
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&admin).unwrap());
        let header = token.split('.').next().unwrap();
        let spliced = format!("{header}.{payload}.{signature}");
        assert_eq!(verify(&keys, &spliced, 1000), Err(TokenFailure::Invalid));
        // Refused tokens are not remembered.
        assert_eq!(keys.ring().verified.len(), 1);
    }

    #[test]
    fn the_cache_of_verified_tokens_is_bounded() {
        let keys = hs();
        for n in 0..=MAX_VERIFIED {
            let mut c = claims(1000);
            c.jti = format!("j{n}");
            let token = issue(&keys, &c).unwrap();
            verify(&keys, &token, 1000).unwrap();
        }
        let len = keys.ring().verified.len();
        assert!((1..=MAX_VERIFIED).contains(&len), "{len} tokens kept");
    }

    #[test]
    fn expiry_is_exp_at_or_before_now_minus_leeway() {
        let keys = hs();
        let token = issue(&keys, &claims(1000)).unwrap();
        assert!(verify(&keys, &token, 1059).is_ok());
        assert_eq!(verify(&keys, &token, 1060), Err(TokenFailure::Expired));
        let mut lenient = config(JwtAlg::Hs256);
        lenient.leeway = 5;
        let keys = Keys::hs256(&[7u8; 32], &lenient);
        assert!(verify(&keys, &token, 1064).is_ok());
        assert_eq!(verify(&keys, &token, 1065), Err(TokenFailure::Expired));
    }

    #[test]
    fn future_nbf_or_iat_wrong_iss_or_aud_are_invalid() {
        let keys = hs();
        let mut c = serde_json::to_value(claims(1000)).unwrap();
        c["nbf"] = json!(1001);
        assert_eq!(
            verify(&keys, &forge(&header(), &c), 1000),
            Err(TokenFailure::Invalid)
        );
        let mut c = serde_json::to_value(claims(1000)).unwrap();
        c["iat"] = json!(1001);
        assert_eq!(
            verify(&keys, &forge(&header(), &c), 1000),
            Err(TokenFailure::Invalid)
        );
        let mut c = serde_json::to_value(claims(1000)).unwrap();
        c["iss"] = json!("Jotpass");
        assert_eq!(
            verify(&keys, &forge(&header(), &c), 1000),
            Err(TokenFailure::Invalid)
        );
        let mut c = serde_json::to_value(claims(1000)).unwrap();
        c["aud"] = json!(["jotpass-api"]);
        assert_eq!(
            verify(&keys, &forge(&header(), &c), 1000),
            Err(TokenFailure::Invalid)
        );
        // The forging helper itself makes acceptable tokens.
        let c = serde_json::to_value(claims(1000)).unwrap();
        assert!(verify(&keys, &forge(&header(), &c), 1000).is_ok());
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
                verify(&keys, &forge(&header(), &c), 5000),
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
                verify(&keys, &forge(&h, &c), 1000),
                Err(TokenFailure::Invalid),
                "{h}"
            );
        }
        // An unsigned token.
        let token = issue(&keys, &claims(1000)).unwrap();
        let unsigned = format!("{}.", token.rsplit_once('.').unwrap().0);
        assert_eq!(verify(&keys, &unsigned, 1000), Err(TokenFailure::Invalid));
    }

    #[test]
    fn a_tampered_payload_or_foreign_key_fails_the_signature() {
        let keys = hs();
        let token = issue(&keys, &claims(1000)).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut c = claims(1000);
        c.sub = "user-2".into();
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
        assert_eq!(
            verify(&keys, &parts.join("."), 1000),
            Err(TokenFailure::Invalid)
        );
        let other = Keys::hs256(&[8u8; 32], &config(JwtAlg::Hs256));
        assert_eq!(verify(&other, &token, 1000), Err(TokenFailure::Invalid));
        for junk in ["", "abc", "a.b", "a.b.c.d", "....", "é.é.é"] {
            assert_eq!(verify(&keys, junk, 1000), Err(TokenFailure::Invalid));
        }
    }
}

/// No string, and no header or claims our own key signed, makes the verifier
/// panic or accept what it should not.
#[cfg(test)]
mod properties {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    use proptest::prelude::*;

    use super::*;
    use crate::config::Config;

    fn keys() -> Keys {
        Keys::hs256(&[7u8; 32], &Config::from_lookup(|_| None).unwrap())
    }

    proptest! {
        /// Whatever a token's times and whenever it is presented again (the
        /// clock may even go back), the cache answers as the full check does.
        #[test]
        fn a_remembered_token_is_judged_as_a_fresh_check_judges_it(
            iat in 900_u64..1100,
            nbf in 900_u64..1100,
            exp in 900_u64..1200,
            times in proptest::collection::vec(850_i64..1250, 1..8),
        ) {
            let keys = keys();
            let claims = Claims {
                iss: keys.issuer().to_owned(),
                sub: "user-1".into(),
                aud: keys.audience().to_owned(),
                iat,
                nbf,
                exp,
                jti: "j1".into(),
                sid: "s1".into(),
                roles: vec![],
                name: "alice".into(),
                amr: vec!["pwd".into()],
            };
            let token = issue(&keys, &claims).unwrap();
            for now in times {
                let fresh = verify_fresh(&keys, &token, now);
                let cached = verify(&keys, &token, now).map(|c| (*c).clone());
                prop_assert_eq!(cached, fresh, "at {}", now);
            }
        }

        #[test]
        fn any_string_is_refused_without_a_panic(token in any::<String>()) {
            prop_assert!(verify(&keys(), &token, 1000).is_err());
        }

        #[test]
        fn any_signed_json_is_judged_without_a_panic(header in any::<String>(), payload in any::<String>()) {
            let h = URL_SAFE_NO_PAD.encode(&header);
            let p = URL_SAFE_NO_PAD.encode(&payload);
            let sig = jsonwebtoken::crypto::sign(
                format!("{h}.{p}").as_bytes(),
                &jsonwebtoken::EncodingKey::from_secret(&[7u8; 32]),
                jsonwebtoken::Algorithm::HS256,
            )
            .unwrap();
            // Arbitrary text is neither a JOSE header nor our claims.
            let token = format!("{h}.{p}.{sig}");
            prop_assert!(verify(&keys(), &token, 1000).is_err());
        }
    }
}
