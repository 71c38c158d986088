//! What another service of yours does to trust a jotpass access token without
//! calling jotpass: fetch the JWK Set, pick the key by `kid`, verify
//! signature, expiry, issuer and audience. A long-running service caches the
//! set and fetches it again when a token names a kid it does not know (after
//! `jotpass keys rotate`, the new key is published before it signs).
//!
//! ```sh
//! cargo run -p jotpass-server --example verify_with_jwks -- \
//!     http://127.0.0.1:3000/.well-known/jwks.json "$TOKEN"
//! ```
//!
//! Prints the claims and exits 0 for a good token; prints why and exits 1
//! otherwise. It checks what a JWT can prove alone; whether the session was
//! revoked since is known only to jotpass (keep access tokens short-lived).

use std::process::ExitCode;

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, jwk::JwkSet};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [jwks_url, token] = args.as_slice() else {
        eprintln!(
            "usage: verify_with_jwks JWKS_URL TOKEN   (env ISSUER, AUDIENCE: jotpass, jotpass-api)"
        );
        return ExitCode::from(2);
    };
    let issuer = std::env::var("ISSUER").unwrap_or_else(|_| "jotpass".into());
    let audience = std::env::var("AUDIENCE").unwrap_or_else(|_| "jotpass-api".into());
    match verify(jwks_url, token, &issuer, &audience).await {
        Ok(claims) => {
            println!("{claims}");
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("rejected: {why}");
            ExitCode::FAILURE
        }
    }
}

async fn verify(
    jwks_url: &str,
    token: &str,
    issuer: &str,
    audience: &str,
) -> Result<serde_json::Value, String> {
    let jwks: JwkSet = reqwest::get(jwks_url)
        .await
        .map_err(|e| format!("fetching the JWK Set: {e}"))?
        .json()
        .await
        .map_err(|e| format!("reading the JWK Set: {e}"))?;
    // The header is read only to find the kid; the algorithm is fixed here.
    let kid = decode_header(token)
        .map_err(|e| format!("not a JWT: {e}"))?
        .kid
        .ok_or("the token names no key (kid)")?;
    let jwk = jwks
        .find(&kid)
        .ok_or_else(|| format!("no published key {kid}"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("unusable key: {e}"))?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    let data = decode::<serde_json::Value>(token, &key, &validation).map_err(|e| e.to_string())?;
    Ok(data.claims)
}
