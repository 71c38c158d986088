//! `/api/me`: the caller's account.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{get, put},
};
use jotpass_shared::{ChangePasswordRequest, DeleteAccountRequest, Password, TokenResponse, User};

use super::{auth::limit_key_username, body::AppJson};
use crate::{
    auth::{AuthUser, ClientAddr, hash_refresh_token, issue_token_response, new_refresh_token},
    error::{ApiError, TokenFailure},
    state::AppState,
};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/me", get(get_me).delete(delete_me))
        .route("/api/me/password", put(change_password))
}

async fn get_me(user: AuthUser) -> Json<User> {
    Json(user.user())
}

/// Checks `password` against the caller's, under the login limits; a wrong
/// one counts as a failed login.
async fn confirm_password(
    state: &AppState,
    user: &AuthUser,
    addr: &str,
    password: String,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    let key = limit_key_username(user.username());
    state
        .limiter
        .check_login(&state.db, &key, addr, now)
        .await?;
    let stored = state
        .db
        .user_by_id(user.user_id())
        .await?
        .ok_or(ApiError::Unauthorized(TokenFailure::Invalid))?
        .password_hash;
    if !state.hasher.verify(password, Some(stored)).await? {
        state
            .limiter
            .record_login_failure(&state.db, &key, addr, now)
            .await?;
        return Err(ApiError::InvalidCredentials { basic: false });
    }
    Ok(())
}

/// Changes the password, revokes every other session, and rotates this
/// session's refresh token. Access tokens already issued for this session
/// keep working until they expire.
async fn change_password(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    user: AuthUser,
    AppJson(req): AppJson<ChangePasswordRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let new_password = Password::parse(req.new_password, user.username())
        .map_err(|e| ApiError::invalid_field("new_password", e.to_string()))?;
    confirm_password(&state, &user, &addr, req.current_password).await?;

    let now = state.clock.now();
    let hash = state.hasher.hash(new_password.expose().to_owned()).await?;
    state.db.set_password_hash(user.user_id(), &hash).await?;
    state
        .db
        .revoke_user_sessions(user.user_id(), Some(user.session_id()), now)
        .await?;
    state.sessions.evict_user(user.user_id());

    let refresh_token = new_refresh_token()?;
    state
        .db
        .replace_refresh_tokens(user.session_id(), &hash_refresh_token(&refresh_token), now)
        .await?;
    tracing::info!(user_id = %user.user_id(), "password changed");
    issue_token_response(
        &state,
        now,
        user.user(),
        user.session_id(),
        // Fixed at login: the session the extractor found has the same end.
        user.session.session.expires_at,
        refresh_token,
    )
    .map(Json)
}

/// Deletes the account with its sessions and notes, after the password.
async fn delete_me(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    user: AuthUser,
    AppJson(req): AppJson<DeleteAccountRequest>,
) -> Result<StatusCode, ApiError> {
    confirm_password(&state, &user, &addr, req.password).await?;
    state.db.delete_user(user.user_id()).await?;
    state.sessions.evict_user(user.user_id());
    tracing::info!(user_id = %user.user_id(), "account deleted");
    Ok(StatusCode::NO_CONTENT)
}
