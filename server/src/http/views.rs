//! Stored rows as the API shows them (API.md, "Shapes").

use jotpass_shared::{ActivityEvent, Note, Passkey, Session, TokenResponse, User};

use crate::{
    auth::{
        Keys,
        token::{self, Grant},
    },
    clock::rfc3339,
    db::{ActivityRow, NoteRow, PasskeyRow, SessionRow, SessionWithUser, UserRow},
    error::ApiError,
};

pub(super) fn user_view(user: &UserRow) -> User {
    User {
        id: user.id.clone(),
        username: user.username.clone(),
        roles: user.roles.to_vec(),
        created_at: rfc3339(user.created_at),
        email: user.email.clone(),
        email_verified: user.email_verified == 1,
    }
}

/// The user of a session, as the session check loaded it.
pub(super) fn session_user_view(session: &SessionWithUser) -> User {
    User {
        id: session.session.user_id.clone(),
        username: session.username.clone(),
        roles: session.roles.to_vec(),
        created_at: rfc3339(session.user_created_at),
        email: session.email.clone(),
        email_verified: session.email_verified == 1,
    }
}

pub(super) fn event_view(event: ActivityRow) -> ActivityEvent {
    ActivityEvent {
        id: event.seq,
        kind: event.kind,
        at: rfc3339(event.at),
        ip: event.ip,
        user_agent: event.user_agent,
        session_id: event.session_id,
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

pub(super) fn passkey_view(passkey: PasskeyRow) -> Passkey {
    Passkey {
        id: passkey.id,
        name: passkey.name,
        created_at: rfc3339(passkey.created_at),
        last_used_at: passkey.last_used_at.map(rfc3339),
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
    let user = user_view(&grant.user);
    Ok(token::response(keys, grant, user)?)
}
