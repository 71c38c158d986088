//! What the tests need to act as a person's second factors: the code an
//! authenticator app shows (RFC 6238, written here independently of the
//! server's), and a software WebAuthn authenticator.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ciborium::Value as Cbor;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The code of the 30-second step that `time` falls in, for a base32 secret.
pub(crate) fn totp_code(secret_base32: &str, time: i64) -> String {
    code_for_key(&base32_decode(secret_base32), time, 6)
}

fn code_for_key(key: &[u8], time: i64, digits: u32) -> String {
    let counter = u64::try_from(time / 30).unwrap();
    let mut mac = Hmac::<Sha1>::new_from_slice(key).unwrap();
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    format!(
        "{:0width$}",
        binary % 10_u32.pow(digits),
        width = digits as usize
    )
}

/// RFC 4648 base32, without padding.
fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0_u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=') {
        let value = ALPHABET
            .iter()
            .position(|a| *a == c.to_ascii_uppercase())
            .unwrap();
        bits = (bits << 5) | u32::try_from(value).unwrap();
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).unwrap());
        }
    }
    out
}

#[test]
fn the_test_totp_function_matches_rfc_6238() {
    // Appendix B, SHA-1, the 20-byte ASCII key, 8 digits.
    let key = b"12345678901234567890";
    for (time, code) in [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ] {
        assert_eq!(code_for_key(key, time, 8), code, "at {time}");
    }
    assert_eq!(base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), key);
}

/// A signature algorithm of a software authenticator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alg {
    EdDsa,
    Es256,
    Rs256,
}

enum SigningKey {
    EdDsa(ed25519_dalek::SigningKey),
    Es256(p256::ecdsa::SigningKey),
    Rs256(Box<rsa::RsaPrivateKey>),
}

/// A passkey the software authenticator holds.
pub(crate) struct SoftPasskey {
    pub(crate) id: Vec<u8>,
    key: SigningKey,
    user_handle: Vec<u8>,
    pub(crate) counter: u32,
}

/// What a ceremony's answer says, so that tests can make it wrong.
#[derive(Clone, Debug)]
pub(crate) struct Answer {
    pub(crate) origin: String,
    pub(crate) rp_id: String,
    pub(crate) user_verified: bool,
}

impl Answer {
    /// What a browser on the test server's public origin would send.
    pub(crate) fn honest() -> Self {
        Self {
            origin: "http://localhost:3000".into(),
            rp_id: "localhost".into(),
            user_verified: true,
        }
    }
}

impl SoftPasskey {
    /// Answers `navigator.credentials.create(options)` with a new
    /// discoverable passkey of `alg` (attestation "none").
    pub(crate) fn create(options: &Value, alg: Alg, answer: &Answer) -> (Self, Value) {
        let public_key = &options["publicKey"];
        let user_handle = URL_SAFE_NO_PAD
            .decode(public_key["user"]["id"].as_str().unwrap())
            .unwrap();
        let id = crate::helpers::random_bytes(16);
        let (key, cose) = match alg {
            Alg::EdDsa => {
                let key = ed25519_dalek::SigningKey::from_bytes(
                    &crate::helpers::random_bytes(32).try_into().unwrap(),
                );
                let x = key.verifying_key().to_bytes().to_vec();
                let cose = cbor_map(vec![
                    (1, Cbor::from(1)),
                    (3, Cbor::from(-8)),
                    (-1, Cbor::from(6)),
                    (-2, Cbor::Bytes(x)),
                ]);
                (SigningKey::EdDsa(key), cose)
            }
            Alg::Es256 => {
                let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
                let point = key.verifying_key().to_encoded_point(false);
                let cose = cbor_map(vec![
                    (1, Cbor::from(2)),
                    (3, Cbor::from(-7)),
                    (-1, Cbor::from(1)),
                    (-2, Cbor::Bytes(point.x().unwrap().to_vec())),
                    (-3, Cbor::Bytes(point.y().unwrap().to_vec())),
                ]);
                (SigningKey::Es256(key), cose)
            }
            Alg::Rs256 => {
                use rsa::traits::PublicKeyParts;
                let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap();
                let cose = cbor_map(vec![
                    (1, Cbor::from(3)),
                    (3, Cbor::from(-257)),
                    (-1, Cbor::Bytes(key.n().to_bytes_be())),
                    (-2, Cbor::Bytes(key.e().to_bytes_be())),
                ]);
                (SigningKey::Rs256(Box::new(key)), cose)
            }
        };
        let mut cose_bytes = Vec::new();
        ciborium::into_writer(&cose, &mut cose_bytes).unwrap();
        let mut attested = vec![0u8; 16]; // AAGUID
        attested.extend_from_slice(&u16::try_from(id.len()).unwrap().to_be_bytes());
        attested.extend_from_slice(&id);
        attested.extend_from_slice(&cose_bytes);
        let passkey = Self {
            id,
            key,
            user_handle,
            counter: 0,
        };
        let auth_data = passkey.auth_data(answer, 0x40, &attested);
        let attestation = Cbor::Map(vec![
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Text("attStmt".into()), Cbor::Map(vec![])),
            (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
        ]);
        let mut attestation_bytes = Vec::new();
        ciborium::into_writer(&attestation, &mut attestation_bytes).unwrap();
        let client_data = client_data("webauthn.create", public_key, answer);
        let id = URL_SAFE_NO_PAD.encode(&passkey.id);
        let credential = json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "clientDataJSON": URL_SAFE_NO_PAD.encode(&client_data),
                "attestationObject": URL_SAFE_NO_PAD.encode(&attestation_bytes),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        });
        (passkey, credential)
    }

    /// Answers `navigator.credentials.get(options)` with this passkey,
    /// counting the use (set `counter` first to make it go backwards).
    pub(crate) fn get(&mut self, options: &Value, answer: &Answer) -> Value {
        self.counter += 1;
        let public_key = &options["publicKey"];
        let auth_data = self.auth_data(answer, 0, &[]);
        let client_data = client_data("webauthn.get", public_key, answer);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature = match &self.key {
            SigningKey::EdDsa(key) => {
                use ed25519_dalek::Signer;
                key.sign(&signed).to_bytes().to_vec()
            }
            SigningKey::Es256(key) => {
                use p256::ecdsa::signature::Signer;
                let signature: p256::ecdsa::Signature = key.sign(&signed);
                signature.to_der().as_bytes().to_vec()
            }
            SigningKey::Rs256(key) => {
                let digest = Sha256::digest(&signed);
                key.sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &digest)
                    .unwrap()
            }
        };
        let id = URL_SAFE_NO_PAD.encode(&self.id);
        json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "clientDataJSON": URL_SAFE_NO_PAD.encode(&client_data),
                "authenticatorData": URL_SAFE_NO_PAD.encode(&auth_data),
                "signature": URL_SAFE_NO_PAD.encode(&signature),
                "userHandle": URL_SAFE_NO_PAD.encode(&self.user_handle),
            },
            "clientExtensionResults": {},
        })
    }

    /// rpIdHash, flags (user present, verified if so, and `more`), the
    /// counter, then `rest`.
    fn auth_data(&self, answer: &Answer, more: u8, rest: &[u8]) -> Vec<u8> {
        let mut data = Sha256::digest(answer.rp_id.as_bytes()).to_vec();
        let verified = if answer.user_verified { 0x04 } else { 0 };
        data.push(0x01 | verified | more);
        data.extend_from_slice(&self.counter.to_be_bytes());
        data.extend_from_slice(rest);
        data
    }
}

fn client_data(kind: &str, public_key: &Value, answer: &Answer) -> Vec<u8> {
    json!({
        "type": kind,
        "challenge": public_key["challenge"],
        "origin": answer.origin,
        "crossOrigin": false,
    })
    .to_string()
    .into_bytes()
}

fn cbor_map(entries: Vec<(i64, Cbor)>) -> Cbor {
    Cbor::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Cbor::from(k), v))
            .collect(),
    )
}
