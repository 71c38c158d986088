//! `POST /api/users`: registration.

use std::collections::BTreeMap;

use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
use jotpass_shared::{CredentialsRequest, Password, User, Username};

use super::body::AppJson;
use crate::{auth::ClientAddr, clock::rfc3339, db::UserRow, error::ApiError, state::AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/users", post(create_user))
}

async fn create_user(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    AppJson(req): AppJson<CredentialsRequest>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let now = state.clock.now();
    state
        .limiter
        .count_registration(&state.db, &addr, now)
        .await?;

    let (username, password) = parse_credentials(req)?;
    if state
        .db
        .user_by_username(username.as_str())
        .await?
        .is_some()
    {
        return Err(ApiError::UsernameTaken);
    }
    let user = UserRow {
        id: uuid::Uuid::new_v4().to_string(),
        username: username.into_inner(),
        password_hash: state.hasher.hash(password.expose().to_owned()).await?,
        roles: Vec::new(),
        created_at: now,
    };
    // The unique index decides a race between two registrations of one name.
    if !state.db.create_user(&user).await? {
        return Err(ApiError::UsernameTaken);
    }
    tracing::info!(user_id = %user.id, "user registered");
    Ok((StatusCode::CREATED, Json(user_view(&user))))
}

/// Both fields checked, so a form can show every problem at once.
pub(crate) fn parse_credentials(req: CredentialsRequest) -> Result<(Username, Password), ApiError> {
    let username = Username::parse(&req.username);
    let password = Password::parse(req.password, &req.username);
    match (username, password) {
        (Ok(u), Ok(p)) => Ok((u, p)),
        (u, p) => {
            let mut fields = BTreeMap::new();
            if let Err(e) = &u {
                fields.insert("username".to_owned(), e.to_string());
            }
            if let Err(e) = &p {
                fields.insert("password".to_owned(), e.to_string());
            }
            let message = fields.values().next().cloned().unwrap_or_default();
            Err(ApiError::InvalidInput { message, fields })
        }
    }
}

/// A stored user as the API shows it.
pub(crate) fn user_view(user: &UserRow) -> User {
    User {
        id: user.id.clone(),
        username: user.username.clone(),
        roles: user.roles.clone(),
        created_at: rfc3339(user.created_at),
    }
}
