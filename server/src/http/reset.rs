//! `/api/auth/password-reset`: a link to set a new password, mailed to the
//! account's verified address; and setting it.

use axum::{Router, extract::State, http::StatusCode, routing::post};
use jotpass_shared::{PasswordResetConfirm, PasswordResetRequest};

use super::body::JsonOrForm;
use crate::{accounts::Client, error::ApiError, state::AppState};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/password-reset", post(request_reset))
        .route("/api/auth/password-reset/confirm", post(confirm_reset))
}

/// `202` with no body, whether or not the login names an account.
async fn request_reset(
    State(state): State<AppState>,
    client: Client,
    JsonOrForm(req): JsonOrForm<PasswordResetRequest>,
) -> Result<StatusCode, ApiError> {
    state.accounts.request_password_reset(&client, req).await?;
    Ok(StatusCode::ACCEPTED)
}

async fn confirm_reset(
    State(state): State<AppState>,
    client: Client,
    JsonOrForm(req): JsonOrForm<PasswordResetConfirm>,
) -> Result<StatusCode, ApiError> {
    state.accounts.confirm_password_reset(&client, req).await?;
    Ok(StatusCode::NO_CONTENT)
}
