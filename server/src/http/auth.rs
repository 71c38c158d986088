//! `/api/auth`: log in (JSON, form or Basic), refresh, log out.

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    routing::post,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use jotpass_shared::{
    CredentialsRequest, DEVICE_TOKEN_HEADER, Redacted, RefreshRequest, TokenResponse,
};

use super::{body::JsonOrForm, extract::AuthUser, views::token_response};
use crate::{accounts::Client, error::ApiError, state::AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/auth/token",
            post(create_token).get(create_token_basic),
        )
        .route("/api/auth/refresh", post(refresh_token))
        .route("/api/auth/logout", post(logout))
}

async fn create_token(
    State(state): State<AppState>,
    client: Client,
    JsonOrForm(req): JsonOrForm<CredentialsRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let grant = state.accounts.log_in(&client, req).await?;
    Ok(Json(token_response(&state.keys, grant)?))
}

/// The article's other door: `Authorization: Basic base64(username:password)`,
/// with the device token (if any) in `x-device-token`. Its `401`s carry the
/// Basic challenge.
async fn create_token_basic(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
) -> Result<Json<TokenResponse>, ApiError> {
    let req = basic_credentials(&headers).ok_or(ApiError::InvalidCredentials { basic: true })?;
    let grant = state
        .accounts
        .log_in(&client, req)
        .await
        .map_err(ApiError::with_basic_challenge)?;
    Ok(Json(token_response(&state.keys, grant)?))
}

fn basic_credentials(headers: &HeaderMap) -> Option<CredentialsRequest> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    // RFC 7617: the user-id cannot contain a colon; the password may.
    let (username, password) = decoded.split_once(':')?;
    let device_token = headers
        .get(DEVICE_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(|v| Redacted::new(v.to_owned()));
    Some(CredentialsRequest {
        username: username.to_owned(),
        password: Redacted::new(password.to_owned()),
        device_token,
    })
}

async fn refresh_token(
    State(state): State<AppState>,
    client: Client,
    JsonOrForm(req): JsonOrForm<RefreshRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let grant = state
        .accounts
        .refresh(&client, req.refresh_token.expose())
        .await?;
    Ok(Json(token_response(&state.keys, grant)?))
}

async fn logout(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
) -> Result<StatusCode, ApiError> {
    state
        .accounts
        .log_out(&client, &user.session.session)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// No `Authorization` header makes the Basic parser panic, and what a
/// client encodes is what it reads.
#[cfg(test)]
mod properties {
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn any_header_is_answered(value in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut headers = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_bytes(&value) {
                headers.insert(header::AUTHORIZATION, v);
                let _ = basic_credentials(&headers);
            }
        }

        #[test]
        fn basic_credentials_round_trip(username in "[^:\\x00]{0,40}", password in any::<String>()) {
            let mut headers = HeaderMap::new();
            let encoded = STANDARD.encode(format!("{username}:{password}"));
            headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Basic {encoded}")).unwrap());
            let parsed = basic_credentials(&headers).unwrap();
            prop_assert_eq!(parsed.username, username);
            prop_assert_eq!(parsed.password.expose(), &password);
        }
    }
}
