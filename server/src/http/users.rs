//! `POST /api/users`: registration.

use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
use jotpass_shared::{CredentialsRequest, User};

use super::{body::AppJson, extract::ClientAddr, views::user_view};
use crate::{error::ApiError, state::AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/users", post(create_user))
}

async fn create_user(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    AppJson(req): AppJson<CredentialsRequest>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let user = state.accounts.register(&addr, req).await?;
    Ok((StatusCode::CREATED, Json(user_view(&user))))
}
