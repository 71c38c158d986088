//! Public, unauthenticated routes about the server itself.

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use jotpass_shared::Claims;
use serde_json::{Value, json};

use crate::{auth::token, error::ApiError, state::AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health))
        .route("/livez", get(live))
        .route("/.well-known/jwks.json", get(jwks))
}

/// `200 {"status":"ok"}` whenever the process answers: a liveness probe that
/// checks nothing, and the cheapest JSON route (the benchmark's baseline).
async fn live() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `200 {"status":"ok"}` when the database answers and a token signed now
/// verifies; otherwise `503`.
async fn health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state
        .db
        .ping()
        .await
        .map_err(|e| ApiError::Unavailable(format!("database: {e}")))?;
    let now = state.clock.now();
    let probe = Claims {
        iss: state.keys.issuer().to_owned(),
        sub: "healthz".into(),
        aud: state.keys.audience().to_owned(),
        iat: token::unix(now),
        nbf: token::unix(now),
        exp: token::unix(now + 60),
        jti: "healthz".into(),
        sid: "healthz".into(),
        roles: Vec::new(),
        name: "healthz".into(),
        amr: Vec::new(),
    };
    let signed = token::issue(&state.keys, &probe)
        .map_err(|e| ApiError::Unavailable(format!("signing: {e:#}")))?;
    // Every check each time: a self-test must not be answered from the
    // cache of verified tokens.
    match token::verify_fresh(&state.keys, &signed, now) {
        Ok(claims) if claims == probe => Ok(Json(json!({ "status": "ok" }))),
        other => Err(ApiError::Unavailable(format!(
            "self-test failed: {other:?}"
        ))),
    }
}

/// The JWK Set of the public keys (EdDSA); `404` with HS256.
async fn jwks(State(state): State<AppState>) -> Result<Response, ApiError> {
    let jwks = state.keys.jwks().ok_or(ApiError::NotFound)?;
    let mut response = Json(jwks.as_ref().clone()).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}
