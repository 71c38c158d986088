//! `/api/sessions`: the caller's login sessions.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{delete, get},
};
use jotpass_shared::Session;

use super::{
    extract::{AuthUser, Id},
    views::session_view,
};
use crate::{accounts::Client, error::ApiError, state::AppState};

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
    let current = user.session_id();
    Ok(Json(
        rows.into_iter().map(|s| session_view(s, current)).collect(),
    ))
}

/// Revokes one of the caller's active sessions (the current one: a logout).
async fn delete_session(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state
        .accounts
        .revoke_session(&client, &user.session.session, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// "Sign out other sessions".
async fn delete_other_sessions(
    State(state): State<AppState>,
    client: Client,
    user: AuthUser,
) -> Result<StatusCode, ApiError> {
    state
        .accounts
        .revoke_other_sessions(&client, &user.session.session)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
