//! Authentication, the client and path ids as handler parameters:
//! [`AuthUser`], [`AdminUser`], [`ClientAddr`], `accounts::Client`, [`Id`],
//! [`ActivityPage`].

use std::{net::SocketAddr, sync::Arc};

use axum::{
    extract::{ConnectInfo, FromRequestParts, Path},
    http::{header, request::Parts},
};
use jotpass_shared::{ADMIN_ROLE, ActivityQuery, Claims};

use crate::{
    accounts::{Client, Page},
    auth::token,
    db::SessionWithUser,
    error::{ApiError, TokenFailure},
    state::AppState,
};

/// The request's one access token, found before routing by the body/token
/// middleware (`None`: no token was sent).
#[derive(Clone, Debug)]
pub struct PresentedToken(pub Option<String>);

/// A request with a valid access token of an active session.
#[derive(Clone, Debug)]
pub struct AuthUser {
    /// The session and its user, as the session check found them (shared
    /// with the session cache).
    pub session: Arc<SessionWithUser>,
    pub claims: Arc<Claims>,
}

impl AuthUser {
    pub fn user_id(&self) -> &str {
        &self.session.session.user_id
    }

    pub fn session_id(&self) -> &str {
        &self.session.session.id
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .extensions
            .get::<PresentedToken>()
            .and_then(|t| t.0.as_deref())
            .ok_or(ApiError::Unauthorized(TokenFailure::Missing))?;
        let now = state.clock.now();
        // Signature and claims first (no I/O), then the session (cache or database).
        let claims = token::verify(&state.keys, token, now).map_err(ApiError::Unauthorized)?;
        let session = state
            .sessions
            .active_session(&state.db, &claims, now)
            .await?;
        Ok(Self { session, claims })
    }
}

/// An [`AuthUser`] whose *current* roles (read from the database, not the
/// token) include `admin`; otherwise `403 insufficient_scope`.
#[derive(Clone, Debug)]
pub struct AdminUser(pub AuthUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        let current = state
            .db
            .user_by_id(user.user_id())
            .await?
            .ok_or(ApiError::Unauthorized(TokenFailure::Invalid))?;
        if !current.roles.contains(ADMIN_ROLE) {
            return Err(ApiError::InsufficientScope);
        }
        Ok(Self(user))
    }
}

/// The client's address: the socket peer, or with `JOTPASS_TRUST_PROXY=true`
/// the last `X-Forwarded-For` entry (the one our proxy appended).
#[derive(Clone, Debug)]
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if state.config.trust_proxy {
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|v| !v.is_empty());
            if let Some(addr) = forwarded {
                return Ok(Self(addr.to_owned()));
            }
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_else(|| "unknown".to_owned());
        Ok(Self(peer))
    }
}

/// The client's address and its `User-Agent` (cut to 256 characters, for
/// the sessions list).
impl FromRequestParts<AppState> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ClientAddr(addr) = ClientAddr::from_request_parts(parts, state).await?;
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|ua| !ua.is_empty())
            .map(|ua| ua.chars().take(256).collect());
        Ok(Self { addr, user_agent })
    }
}

/// The `{id}` of a path: a user, session or note id, which jotpass writes
/// as a UUID (hyphenated, lower case). Anything else — a segment whose
/// percent-decoding is not UTF-8, a NUL, any other string — is `404
/// not_found`, the same answer as an unknown id, and never reaches the
/// database.
#[derive(Clone, Debug)]
pub struct Id(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        let canonical =
            uuid::Uuid::parse_str(&raw).is_ok_and(|id| id.hyphenated().to_string() == raw);
        if canonical {
            Ok(Self(raw))
        } else {
            Err(ApiError::NotFound)
        }
    }
}

/// A page of the activity log: `?before=<id>&limit=<1–100>`; a bad value is
/// `422 invalid_input` naming it.
#[derive(Clone, Copy, Debug)]
pub struct ActivityPage(pub Page);

impl<S: Send + Sync> FromRequestParts<S> for ActivityPage {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query: ActivityQuery = serde_urlencoded::from_str(parts.uri.query().unwrap_or(""))
            .map_err(|_| ApiError::InvalidRequest("The query string is not valid.".to_owned()))?;
        Ok(Self(Page::parse(&query)?))
    }
}
