//! `/api/me`: the caller's account.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{get, put},
};
use jotpass_shared::{ChangePasswordRequest, DeleteAccountRequest, TokenResponse, User};

use super::{
    body::AppJson,
    extract::AuthUser,
    views::{session_user_view, token_response},
};
use crate::{accounts::Client, error::ApiError, state::AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/me", get(get_me).delete(delete_me))
        .route("/api/me/password", put(change_password))
}

async fn get_me(user: AuthUser) -> Json<User> {
    Json(session_user_view(&user.session))
}

/// Changes the password, revokes every other session, and rotates this
/// session's refresh token.
async fn change_password(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
    AppJson(req): AppJson<ChangePasswordRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let grant = state
        .accounts
        .change_password(
            &client,
            &user.session,
            req.current_password,
            req.new_password,
        )
        .await?;
    Ok(Json(token_response(&state.keys, grant)?))
}

/// Deletes the account with its sessions and notes, after the password.
async fn delete_me(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
    AppJson(req): AppJson<DeleteAccountRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .accounts
        .delete_account(&client, &user.session, req.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
