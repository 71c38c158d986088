//! `/api/admin`: for users whose current roles include `admin`.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{delete, get},
};

use super::{
    extract::{ActivityPage, AdminUser, Id},
    views::{event_view, user_view},
};
use crate::{accounts::Client, error::ApiError, state::AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/users", get(list_users))
        .route(
            "/api/admin/users/{id}/sessions",
            delete(delete_user_sessions),
        )
        .route("/api/admin/users/{id}/activity", get(user_activity))
}

async fn list_users(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<Json<Vec<jotpass_shared::AdminUser>>, ApiError> {
    let users = state
        .db
        .users_with_session_counts(state.clock.now())
        .await?;
    Ok(Json(
        users
            .into_iter()
            .map(|u| jotpass_shared::AdminUser {
                user: user_view(&u.user),
                active_sessions: u64::try_from(u.active_sessions).unwrap_or(0),
                totp: u.totp_on == 1,
                passkeys: u64::try_from(u.passkeys).unwrap_or(0),
            })
            .collect(),
    ))
}

/// Force-logout: revokes every session of the user.
async fn delete_user_sessions(
    State(state): State<AppState>,
    client: Client,
    AdminUser(admin): AdminUser,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state
        .accounts
        .force_log_out(&client, admin.user_id(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's activity, `account_deleted` included (kept after the account).
async fn user_activity(
    State(state): State<AppState>,
    _admin: AdminUser,
    Id(id): Id,
    ActivityPage(page): ActivityPage,
) -> Result<Json<Vec<jotpass_shared::ActivityEvent>>, ApiError> {
    let events = state.accounts.user_activity(&id, page).await?;
    Ok(Json(events.into_iter().map(event_view).collect()))
}
