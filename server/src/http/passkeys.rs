//! `/api/me/passkeys` (registering, listing, removing) and the passwordless
//! login, `/api/auth/passkey`.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{delete, post},
};
use jotpass_shared::{
    CeremonyOptions, Passkey, PasskeyLogin, PasskeyRegistration, PasswordRequest, TokenResponse,
};
use serde::de::IgnoredAny;

use super::{
    body::AppJson,
    extract::{AuthUser, ClientAddr, Id},
    views::{passkey_view, token_response},
};
use crate::{accounts::Client, error::ApiError, state::AppState};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/me/passkeys/options", post(start_registration))
        .route("/api/me/passkeys", post(add_passkey).get(list_passkeys))
        .route("/api/me/passkeys/{id}", delete(remove_passkey))
        .route("/api/auth/passkey/options", post(start_login))
        .route("/api/auth/passkey", post(finish_login))
}

async fn start_registration(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
    AppJson(req): AppJson<PasswordRequest>,
) -> Result<Json<CeremonyOptions>, ApiError> {
    let options = state
        .accounts
        .start_passkey_registration(&client, &user.session, req.password)
        .await?;
    Ok(Json(options))
}

async fn add_passkey(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
    AppJson(req): AppJson<PasskeyRegistration>,
) -> Result<(StatusCode, Json<Passkey>), ApiError> {
    let passkey = state
        .accounts
        .finish_passkey_registration(&client, &user.session, req)
        .await?;
    Ok((StatusCode::CREATED, Json(passkey_view(passkey))))
}

async fn list_passkeys(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<Passkey>>, ApiError> {
    let passkeys = state.accounts.passkeys(user.user_id()).await?;
    Ok(Json(passkeys.into_iter().map(passkey_view).collect()))
}

async fn remove_passkey(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
    Id(id): Id,
    AppJson(req): AppJson<PasswordRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .accounts
        .remove_passkey(&client, &user.session, &id, req.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The body is `{}`: nothing is needed to start a discoverable login.
async fn start_login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    AppJson(_): AppJson<IgnoredAny>,
) -> Result<Json<CeremonyOptions>, ApiError> {
    Ok(Json(state.accounts.start_passkey_login(&addr).await?))
}

async fn finish_login(
    State(state): State<AppState>,
    client: Client,
    AppJson(req): AppJson<PasskeyLogin>,
) -> Result<Json<TokenResponse>, ApiError> {
    let grant = state.accounts.finish_passkey_login(&client, req).await?;
    Ok(Json(token_response(&state.keys, grant)?))
}
