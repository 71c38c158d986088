//! `/api/me/email` and `/api/auth/verify-email`: an address, set with a
//! step-up and made the user's by the link mailed to it.

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    routing::{post, put},
};
use jotpass_shared::{EmailRequest, TokenRequest};

use super::{
    body::{AppJson, JsonOrForm},
    extract::AuthUser,
};
use crate::{accounts::Client, error::ApiError, state::AppState};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/me/email", put(change_email))
        .route("/api/auth/verify-email", post(verify_email))
}

/// `202`: the link is on its way (the address changes when it is used).
async fn change_email(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
    AppJson(req): AppJson<EmailRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .accounts
        .request_email_change(&client, &user.session, req)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

async fn verify_email(
    State(state): State<AppState>,
    client: Client,
    JsonOrForm(req): JsonOrForm<TokenRequest>,
) -> Result<StatusCode, ApiError> {
    state.accounts.verify_email(&client, req.token).await?;
    Ok(StatusCode::NO_CONTENT)
}
