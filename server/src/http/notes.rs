//! `/api/notes`: the caller's notes. Another user's note is `404`, never `403`.

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use jotpass_shared::{Note, NoteBody, NoteRequest, NoteTitle};

use super::{
    body::AppJson,
    extract::{AuthUser, Id},
    views::note_view,
};
use crate::{db::NoteRow, error::ApiError, state::AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/notes", get(list_notes).post(create_note))
        .route(
            "/api/notes/{id}",
            get(get_note).put(update_note).delete(delete_note),
        )
}

fn parse_note(req: NoteRequest) -> Result<(NoteTitle, NoteBody), ApiError> {
    let title =
        NoteTitle::parse(req.title).map_err(|e| ApiError::invalid_field("title", e.to_string()))?;
    let body =
        NoteBody::parse(req.body).map_err(|e| ApiError::invalid_field("body", e.to_string()))?;
    Ok((title, body))
}

async fn list_notes(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<Note>>, ApiError> {
    let notes = state.db.notes(user.user_id()).await?;
    Ok(Json(notes.into_iter().map(note_view).collect()))
}

async fn create_note(
    State(state): State<AppState>,
    user: AuthUser,
    AppJson(req): AppJson<NoteRequest>,
) -> Result<(StatusCode, Json<Note>), ApiError> {
    let (title, body) = parse_note(req)?;
    let now = state.clock.now();
    let note = NoteRow {
        id: uuid::Uuid::new_v4().to_string(),
        title: title.as_str().to_owned(),
        body: body.as_str().to_owned(),
        created_at: now,
        updated_at: now,
    };
    state.db.create_note(user.user_id(), &note).await?;
    Ok((StatusCode::CREATED, Json(note_view(note))))
}

async fn get_note(
    State(state): State<AppState>,
    user: AuthUser,
    Id(id): Id,
) -> Result<Json<Note>, ApiError> {
    let note = state
        .db
        .note(user.user_id(), &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(note_view(note)))
}

async fn update_note(
    State(state): State<AppState>,
    user: AuthUser,
    Id(id): Id,
    AppJson(req): AppJson<NoteRequest>,
) -> Result<Json<Note>, ApiError> {
    let (title, body) = parse_note(req)?;
    let note = state
        .db
        .update_note(
            user.user_id(),
            &id,
            title.as_str(),
            body.as_str(),
            state.clock.now(),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(note_view(note)))
}

async fn delete_note(
    State(state): State<AppState>,
    user: AuthUser,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    if !state.db.delete_note(user.user_id(), &id).await? {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}
