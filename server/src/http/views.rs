//! Stored rows as the API shows them (API.md, "Shapes").

use jotpass_shared::{Note, Session, TokenResponse, User};

use crate::{
    accounts::Grant,
    auth::{Keys, token},
    clock::rfc3339,
    db::{NoteRow, SessionRow, SessionWithUser, UserRow},
    error::ApiError,
};

pub(super) fn user_view(user: &UserRow) -> User {
    User {
        id: user.id.clone(),
        username: user.username.clone(),
        roles: user.roles.to_vec(),
        created_at: rfc3339(user.created_at),
    }
}

/// The user of a session, as the session check loaded it.
pub(super) fn session_user_view(session: &SessionWithUser) -> User {
    User {
        id: session.session.user_id.clone(),
        username: session.username.clone(),
        roles: session.roles.to_vec(),
        created_at: rfc3339(session.user_created_at),
    }
}

pub(super) fn note_view(note: NoteRow) -> Note {
    Note {
        id: note.id,
        title: note.title,
        body: note.body,
        created_at: rfc3339(note.created_at),
        updated_at: rfc3339(note.updated_at),
    }
}

/// `current`: the id of the caller's own session.
pub(super) fn session_view(session: SessionRow, current: &str) -> Session {
    Session {
        current: session.id == current,
        created_at: rfc3339(session.created_at),
        last_used_at: rfc3339(session.last_used_at),
        expires: token::unix(session.expires_at),
        user_agent: session.user_agent,
        id: session.id,
    }
}

/// A grant as the token response: a fresh access token and the refresh token.
pub(super) fn token_response(keys: &Keys, grant: Grant) -> Result<TokenResponse, ApiError> {
    Ok(token::response(
        keys,
        grant.issued_at,
        user_view(&grant.user),
        &grant.session_id,
        grant.session_expires,
        grant.refresh_token.into_inner(),
        grant.device_token,
    )?)
}
