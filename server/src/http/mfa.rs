//! `/api/me/totp`, `/api/me/recovery-codes`, `/api/me/mfa` and the second
//! step of a login, `/api/auth/mfa`.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{get, post},
};
use jotpass_shared::{
    CodeRequest, MfaRequest, MfaStatus, PasswordAndCodeRequest, PasswordRequest, RecoveryCodes,
    TokenResponse, TotpEnrolment,
};

use super::{body::AppJson, extract::AuthUser, views::token_response};
use crate::{accounts::Client, error::ApiError, state::AppState};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/me/totp", post(start_totp).delete(disable_totp))
        .route("/api/me/totp/confirm", post(confirm_totp))
        .route("/api/me/recovery-codes", post(regenerate_recovery_codes))
        .route("/api/me/mfa", get(mfa_status))
        .route("/api/auth/mfa", post(finish_mfa))
}

async fn start_totp(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
    AppJson(req): AppJson<PasswordRequest>,
) -> Result<Json<TotpEnrolment>, ApiError> {
    let enrolment = state
        .accounts
        .start_totp(&client, &user.session, req.password)
        .await?;
    Ok(Json(enrolment))
}

async fn confirm_totp(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
    AppJson(req): AppJson<CodeRequest>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    let codes = state
        .accounts
        .confirm_totp(&client, &user.session, req.code)
        .await?;
    Ok(Json(codes))
}

async fn disable_totp(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
    AppJson(req): AppJson<PasswordAndCodeRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .accounts
        .disable_totp(&client, &user.session, req.password, req.code)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
    AppJson(req): AppJson<PasswordAndCodeRequest>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    let codes = state
        .accounts
        .regenerate_recovery_codes(&client, &user.session, req.password, req.code)
        .await?;
    Ok(Json(codes))
}

async fn mfa_status(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<MfaStatus>, ApiError> {
    Ok(Json(state.accounts.mfa_status(user.user_id()).await?))
}

async fn finish_mfa(
    State(state): State<AppState>,
    client: Client,
    AppJson(req): AppJson<MfaRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let grant = state.accounts.finish_mfa(&client, req).await?;
    Ok(Json(token_response(&state.keys, grant)?))
}
