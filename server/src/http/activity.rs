//! `/api/me/activity`: what happened to the caller's account, newest first.

use axum::{Json, Router, extract::State, routing::get};
use jotpass_shared::ActivityEvent;

use super::{
    extract::{ActivityPage, AuthUser},
    views::event_view,
};
use crate::{error::ApiError, state::AppState};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/api/me/activity", get(my_activity))
}

async fn my_activity(
    State(state): State<AppState>,
    user: AuthUser,
    ActivityPage(page): ActivityPage,
) -> Result<Json<Vec<ActivityEvent>>, ApiError> {
    let events = state.accounts.activity(user.user_id(), page).await?;
    Ok(Json(events.into_iter().map(event_view).collect()))
}
