//! `/api/auth`: log in (JSON, form or Basic), refresh, log out.

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    routing::post,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use jotpass_shared::{CredentialsRequest, RefreshRequest, TokenResponse};

use super::{body::JsonOrForm, users::user_view};
use crate::{
    auth::{AuthUser, ClientAddr, hash_refresh_token, issue_token_response, new_refresh_token},
    db::SessionRow,
    error::{ApiError, TokenFailure},
    state::AppState,
};

/// A refresh token reused at most this many seconds after it was spent is
/// taken for another tab that lost a race, not for a thief.
const REUSE_GRACE_SECS: i64 = 10;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/auth/token",
            post(create_token).get(create_token_basic),
        )
        .route("/api/auth/refresh", post(refresh_token))
        .route("/api/auth/logout", post(logout))
}

async fn create_token(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    JsonOrForm(req): JsonOrForm<CredentialsRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let login = Login {
        addr,
        user_agent: user_agent(&headers),
        basic: false,
    };
    login.run(&state, req).await.map(Json)
}

/// The article's other door: `Authorization: Basic base64(username:password)`.
async fn create_token_basic(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
) -> Result<Json<TokenResponse>, ApiError> {
    let req = basic_credentials(&headers).ok_or(ApiError::InvalidCredentials { basic: true })?;
    let login = Login {
        addr,
        user_agent: user_agent(&headers),
        basic: true,
    };
    login.run(&state, req).await.map(Json)
}

struct Login {
    addr: String,
    user_agent: Option<String>,
    basic: bool,
}

impl Login {
    /// Checks the limits, then the password (with the same work for an
    /// unknown user), then starts a session.
    async fn run(
        self,
        state: &AppState,
        req: CredentialsRequest,
    ) -> Result<TokenResponse, ApiError> {
        let now = state.clock.now();
        let username = limit_key_username(&req.username);
        state
            .limiter
            .check_login(&state.db, &username, &self.addr, now)
            .await?;

        let user = state.db.user_by_username(&username).await?;
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let ok = state.hasher.verify(req.password, stored).await?;
        let user = match (ok, user) {
            (true, Some(user)) => user,
            (_, user) => {
                let reason = if user.is_some() {
                    "wrong password"
                } else {
                    "unknown user"
                };
                tracing::info!(reason, "login failed");
                state
                    .limiter
                    .record_login_failure(&state.db, &username, &self.addr, now)
                    .await?;
                return Err(ApiError::InvalidCredentials { basic: self.basic });
            }
        };

        let refresh_token = new_refresh_token()?;
        let session = SessionRow {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user.id.clone(),
            created_at: now,
            last_used_at: now,
            expires_at: now + state.config.session_ttl,
            revoked_at: None,
            user_agent: self.user_agent,
        };
        state
            .db
            .create_session(&session, &hash_refresh_token(&refresh_token))
            .await?;
        tracing::info!(user_id = %user.id, session_id = %session.id, "session started");
        issue_token_response(
            state,
            now,
            user_view(&user),
            &session.id,
            session.expires_at,
            refresh_token,
        )
    }
}

/// The username as the limits count it: lower-cased, and bounded so that
/// junk input cannot grow the counters table.
pub(crate) fn limit_key_username(raw: &str) -> String {
    raw.to_lowercase().chars().take(64).collect()
}

fn basic_credentials(headers: &HeaderMap) -> Option<CredentialsRequest> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    // RFC 7617: the user-id cannot contain a colon; the password may.
    let (username, password) = decoded.split_once(':')?;
    Some(CredentialsRequest {
        username: username.to_owned(),
        password: password.to_owned(),
    })
}

/// The `User-Agent`, cut to 256 characters, for the sessions list.
fn user_agent(headers: &HeaderMap) -> Option<String> {
    let ua = headers.get(header::USER_AGENT)?.to_str().ok()?.trim();
    (!ua.is_empty()).then(|| ua.chars().take(256).collect())
}

/// Spends a refresh token for a new pair. See API.md's precise rules: an
/// unknown token is `invalid_token`; a revoked or ended session answers so;
/// a spent token is a lost race within the grace period and theft after it.
async fn refresh_token(
    State(state): State<AppState>,
    JsonOrForm(req): JsonOrForm<RefreshRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let now = state.clock.now();
    let old_hash = hash_refresh_token(&req.refresh_token);
    let found = state
        .db
        .refresh_lookup(&old_hash)
        .await?
        .ok_or(ApiError::RefreshRefused(TokenFailure::Invalid))?;
    let session = found.session;
    if session.revoked_at.is_some() {
        return Err(ApiError::RefreshRefused(TokenFailure::Revoked));
    }
    if session.expires_at <= now {
        return Err(ApiError::RefreshRefused(TokenFailure::Expired));
    }
    if let Some(spent_at) = found.spent_at {
        return Err(spent_token(&state, &session, spent_at, now).await?);
    }

    let new_token = new_refresh_token()?;
    let won = state
        .db
        .rotate_refresh_token(&session.id, &old_hash, &hash_refresh_token(&new_token), now)
        .await?;
    if !won {
        // Another request spent it a moment ago: the grace answer.
        return Err(ApiError::RefreshRefused(TokenFailure::Invalid));
    }
    let user = state
        .db
        .user_by_id(&session.user_id)
        .await?
        .ok_or(ApiError::RefreshRefused(TokenFailure::Invalid))?;
    issue_token_response(
        &state,
        now,
        user_view(&user),
        &session.id,
        session.expires_at,
        new_token,
    )
    .map(Json)
}

/// The answer to a reused refresh token; revokes the session on theft.
async fn spent_token(
    state: &AppState,
    session: &SessionRow,
    spent_at: i64,
    now: i64,
) -> Result<ApiError, ApiError> {
    if now - spent_at <= REUSE_GRACE_SECS {
        return Ok(ApiError::RefreshRefused(TokenFailure::Invalid));
    }
    tracing::warn!(session_id = %session.id, "spent refresh token reused; revoking the session");
    state.db.revoke_session_by_id(&session.id, now).await?;
    state.sessions.evict_user(&session.user_id);
    Ok(ApiError::RefreshRefused(TokenFailure::Revoked))
}

async fn logout(State(state): State<AppState>, user: AuthUser) -> Result<StatusCode, ApiError> {
    let now = state.clock.now();
    state
        .db
        .revoke_session(user.user_id(), user.session_id(), now)
        .await?;
    state.sessions.evict_user(user.user_id());
    Ok(StatusCode::NO_CONTENT)
}
