//! Reading and forging JWTs, and fetching a JWK Set.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::Value;

/// The HS256 secret every test server uses, so tests can forge tokens.
pub(crate) const TEST_SECRET: &str = "test-secret-for-jotpass-api-tests-0123456789";

/// Decodes a JWT part (header or claims) without checking anything.
pub(crate) fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// Signs `header` and `claims` with the test secret: a token the server's key
/// really signed, so that only the property under test is wrong.
pub(crate) fn forge(header: &Value, claims: &Value) -> String {
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let c = URL_SAFE_NO_PAD.encode(claims.to_string());
    let sig = jsonwebtoken::crypto::sign(
        format!("{h}.{c}").as_bytes(),
        &jsonwebtoken::EncodingKey::from_secret(TEST_SECRET.as_bytes()),
        jsonwebtoken::Algorithm::HS256,
    )
    .unwrap();
    format!("{h}.{c}.{sig}")
}

/// The JWK Set a server at `base` publishes.
pub(crate) async fn fetch_jwks(client: &reqwest::Client, base: &str) -> Value {
    client
        .get(format!("{base}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
