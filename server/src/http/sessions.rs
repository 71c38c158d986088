//! `/api/sessions`: the caller's login sessions.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{delete, get},
};
use jotpass_shared::Session;

use crate::{auth::AuthUser, clock::rfc3339, error::ApiError, state::AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/sessions",
            get(list_sessions).delete(delete_other_sessions),
        )
        .route("/api/sessions/{id}", delete(delete_session))
}

async fn list_sessions(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<Session>>, ApiError> {
    let rows = state
        .db
        .active_sessions(user.user_id(), state.clock.now())
        .await?;
    let sessions = rows
        .into_iter()
        .map(|s| Session {
            current: s.id == user.session_id(),
            id: s.id,
            created_at: rfc3339(s.created_at),
            last_used_at: rfc3339(s.last_used_at),
            expires: s.expires_at as u64,
            user_agent: s.user_agent,
        })
        .collect();
    Ok(Json(sessions))
}

/// Revokes one of the caller's active sessions (the current one: a logout).
async fn delete_session(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !state
        .db
        .revoke_session(user.user_id(), &id, state.clock.now())
        .await?
    {
        return Err(ApiError::NotFound);
    }
    state.sessions.evict_user(user.user_id());
    Ok(StatusCode::NO_CONTENT)
}

/// "Sign out other sessions".
async fn delete_other_sessions(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<StatusCode, ApiError> {
    state
        .db
        .revoke_user_sessions(user.user_id(), Some(user.session_id()), state.clock.now())
        .await?;
    state.sessions.evict_user(user.user_id());
    Ok(StatusCode::NO_CONTENT)
}
