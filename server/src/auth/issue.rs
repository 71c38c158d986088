//! Minting token responses: an access token for a session, and opaque
//! refresh tokens of which only a SHA-256 hash is ever stored.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jotpass_shared::{Claims, TokenResponse, User};
use sha2::{Digest, Sha256};

use crate::{error::ApiError, state::AppState};

/// A fresh refresh token: 256 random bits, base64url.
pub fn new_refresh_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps of a refresh token.
pub fn hash_refresh_token(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// Signs an access token for `user` in session `session_id`, issued at
/// `now` (the same instant the caller recorded), and wraps it with
/// `refresh_token` into the response body. The access token never outlives
/// its session.
pub fn issue_token_response(
    state: &AppState,
    now: i64,
    user: User,
    session_id: &str,
    session_expires: i64,
    refresh_token: String,
) -> Result<TokenResponse, ApiError> {
    let exp = (now + state.config.access_ttl).min(session_expires);
    let claims = Claims {
        iss: state.keys.issuer().to_owned(),
        sub: user.id.clone(),
        aud: state.keys.audience().to_owned(),
        iat: now as u64,
        nbf: now as u64,
        exp: exp as u64,
        jti: uuid::Uuid::new_v4().to_string(),
        sid: session_id.to_owned(),
        roles: user.roles.clone(),
        name: user.username.clone(),
    };
    Ok(TokenResponse {
        token: state.keys.issue(&claims)?,
        token_type: "Bearer".to_owned(),
        expires: exp as u64,
        refresh_token,
        refresh_expires: session_expires as u64,
        user,
    })
}
