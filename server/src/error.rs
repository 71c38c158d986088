//! [`ApiError`]: the one error type of every handler and extractor, and the
//! only place that builds an error response.
//!
//! Inside, errors stay rich (a database error, which token check failed);
//! outside, a client sees only a status, a small code from API.md, a message
//! and, for `401`/`403`, a `WWW-Authenticate` challenge. Internal details are
//! attached to the response as an extension for the request log, never sent.

use std::sync::Arc;

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use jotpass_shared::{ErrorBody, ErrorCode, Redacted, StringMap};

/// Why a bearer token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFailure {
    Missing,
    Invalid,
    Expired,
    Revoked,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401 `missing_token` / `invalid_token` / `token_expired` / `token_revoked`,
    /// with a `Bearer` challenge.
    #[error("bearer token refused: {0:?}")]
    Unauthorized(TokenFailure),
    /// 401 `invalid_token` / `token_expired` / `token_revoked` for an opaque
    /// token sent in a body: a refresh token, an `mfa_token`. No challenge:
    /// those routes are not bearer-protected.
    #[error("refresh token refused: {0:?}")]
    TokenRefused(TokenFailure),
    /// 403 `insufficient_scope`.
    #[error("the user lacks the role")]
    InsufficientScope,
    /// 401 `invalid_credentials`; `basic` adds the Basic challenge.
    #[error("invalid credentials")]
    InvalidCredentials { basic: bool },
    /// 400 `invalid_request`.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// 422 `invalid_input`, with the message for each offending field.
    #[error("invalid input: {message}")]
    InvalidInput { message: String, fields: StringMap },
    /// 409 `username_taken`.
    #[error("username taken")]
    UsernameTaken,
    /// 401 `mfa_required`, with the `mfa_token` that the second step
    /// (`POST /api/auth/mfa`) finishes and when it expires.
    #[error("a second factor is required")]
    MfaRequired {
        mfa_token: Redacted<String>,
        mfa_expires: i64,
    },
    /// 401 `mfa_required` with no `mfa_token`: send the code with this same
    /// request (a password reset when TOTP is on).
    #[error("a second factor is required with the request")]
    SecondFactorRequired,
    /// 409 `conflict`: the state does not allow it; the message says why.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// 429 `rate_limited` with `Retry-After: retry_after`.
    #[error("rate limited for {retry_after} s")]
    RateLimited { retry_after: i64 },
    /// 404 `not_found`.
    #[error("not found")]
    NotFound,
    /// 405 `method_not_allowed`.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 415 `unsupported_media_type`.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 413 `payload_too_large`.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 503 `unavailable` with `Retry-After`: the database is down or
    /// unreachable (or the health check failed). The cause goes to the log only.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// 500 `internal`: a fault of the server. The cause goes to the log only.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What the request log shows about a 500 or 503, attached to the response.
#[derive(Clone, Debug)]
pub struct InternalDetail(pub Arc<str>);

impl ApiError {
    /// A 422 about one field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::InvalidInput {
            fields: StringMap::from_iter([(field, message.clone())]),
            message,
        }
    }

    /// The same error, with the Basic challenge on an `invalid_credentials`
    /// (the Basic login door's answer).
    pub fn with_basic_challenge(self) -> Self {
        match self {
            Self::InvalidCredentials { .. } => Self::InvalidCredentials { basic: true },
            other => other,
        }
    }

    fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        use ErrorCode as C;
        use StatusCode as S;
        match self {
            Self::Unauthorized(f) | Self::TokenRefused(f) => (
                S::UNAUTHORIZED,
                match f {
                    TokenFailure::Missing => C::MissingToken,
                    TokenFailure::Invalid => C::InvalidToken,
                    TokenFailure::Expired => C::TokenExpired,
                    TokenFailure::Revoked => C::TokenRevoked,
                },
            ),
            Self::InsufficientScope => (S::FORBIDDEN, C::InsufficientScope),
            Self::InvalidCredentials { .. } => (S::UNAUTHORIZED, C::InvalidCredentials),
            Self::InvalidRequest(_) => (S::BAD_REQUEST, C::InvalidRequest),
            Self::InvalidInput { .. } => (S::UNPROCESSABLE_ENTITY, C::InvalidInput),
            Self::UsernameTaken => (S::CONFLICT, C::UsernameTaken),
            Self::MfaRequired { .. } | Self::SecondFactorRequired => {
                (S::UNAUTHORIZED, C::MfaRequired)
            }
            Self::Conflict(_) => (S::CONFLICT, C::Conflict),
            Self::RateLimited { .. } => (S::TOO_MANY_REQUESTS, C::RateLimited),
            Self::NotFound => (S::NOT_FOUND, C::NotFound),
            Self::MethodNotAllowed => (S::METHOD_NOT_ALLOWED, C::MethodNotAllowed),
            Self::UnsupportedMediaType => (S::UNSUPPORTED_MEDIA_TYPE, C::UnsupportedMediaType),
            Self::PayloadTooLarge => (S::PAYLOAD_TOO_LARGE, C::PayloadTooLarge),
            Self::Unavailable(_) => (S::SERVICE_UNAVAILABLE, C::Unavailable),
            Self::Internal(_) => (S::INTERNAL_SERVER_ERROR, C::Internal),
        }
    }

    fn message(&self) -> String {
        match self {
            Self::Unauthorized(f) | Self::TokenRefused(f) => match (self, f) {
                (_, TokenFailure::Missing) => "An access token is required.",
                (Self::TokenRefused(_), TokenFailure::Invalid) => {
                    "The token is not valid, or no longer."
                }
                (Self::TokenRefused(_), TokenFailure::Expired) => "The session has expired.",
                (Self::TokenRefused(_), TokenFailure::Revoked) => "The session was revoked.",
                (_, TokenFailure::Invalid) => "The access token is not valid.",
                (_, TokenFailure::Expired) => "The access token expired.",
                (_, TokenFailure::Revoked) => "The access token was revoked.",
            }
            .to_owned(),
            Self::InsufficientScope => "You do not have the role this needs.".to_owned(),
            Self::InvalidCredentials { .. } => "Wrong username or password.".to_owned(),
            Self::InvalidRequest(m) => m.clone(),
            Self::InvalidInput { message, .. } => message.clone(),
            Self::UsernameTaken => "That username is taken.".to_owned(),
            Self::MfaRequired { .. } | Self::SecondFactorRequired => {
                "Enter the code from your authenticator app, or a recovery code.".to_owned()
            }
            Self::Conflict(why) => (*why).to_owned(),
            Self::RateLimited { retry_after } => {
                format!("Too many attempts. Try again in {retry_after} seconds.")
            }
            Self::NotFound => "Not found.".to_owned(),
            Self::MethodNotAllowed => "Method not allowed.".to_owned(),
            Self::UnsupportedMediaType => {
                "Send the body as application/json (or form-encoded where accepted).".to_owned()
            }
            Self::PayloadTooLarge => "The request body is larger than 64 KiB.".to_owned(),
            Self::Unavailable(_) => {
                "The service is unavailable for a moment. Try again shortly.".to_owned()
            }
            Self::Internal(_) => "Internal server error.".to_owned(),
        }
    }

    fn challenge(&self) -> Option<&'static str> {
        match self {
            Self::Unauthorized(TokenFailure::Missing) => Some(r#"Bearer realm="jotpass""#),
            Self::Unauthorized(TokenFailure::Invalid) => {
                Some(r#"Bearer realm="jotpass", error="invalid_token""#)
            }
            Self::Unauthorized(TokenFailure::Expired) => Some(
                r#"Bearer realm="jotpass", error="invalid_token", error_description="The access token expired""#,
            ),
            Self::Unauthorized(TokenFailure::Revoked) => Some(
                r#"Bearer realm="jotpass", error="invalid_token", error_description="The access token was revoked""#,
            ),
            Self::InsufficientScope => {
                Some(r#"Bearer realm="jotpass", error="insufficient_scope""#)
            }
            Self::InvalidCredentials { basic: true } => {
                Some(r#"Basic realm="jotpass", charset="UTF-8""#)
            }
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let fields = match &self {
            Self::InvalidInput { fields, .. } => Some(fields.clone()),
            _ => None,
        };
        let (mfa_token, mfa_expires) = match &self {
            Self::MfaRequired {
                mfa_token,
                mfa_expires,
            } => (Some(mfa_token.clone()), u64::try_from(*mfa_expires).ok()),
            _ => (None, None),
        };
        let body = ErrorBody {
            error: code,
            message: self.message(),
            fields,
            mfa_token,
            mfa_expires,
        };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(challenge) = self.challenge() {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let Self::RateLimited { retry_after } = &self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after.max(&1)));
        }
        if let Self::Unavailable(_) = &self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        match self {
            Self::Internal(e) => {
                let detail = format!("{e:#}");
                response
                    .extensions_mut()
                    .insert(InternalDetail(detail.into()));
            }
            Self::Unavailable(why) => {
                response.extensions_mut().insert(InternalDetail(why.into()));
            }
            _ => {}
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    /// A database that cannot be reached is `503`, anything else `500`.
    fn from(e: sqlx::Error) -> Self {
        if database_unreachable(&e) {
            Self::Unavailable(format!("database: {e}"))
        } else {
            Self::Internal(anyhow::Error::new(e).context("database"))
        }
    }
}

/// Whether `e` says the database is down or unreachable (rather than that
/// the query was wrong): no connection to be had in time, the socket or TLS
/// failed, or PostgreSQL's connection-exception and shutdown classes.
fn database_unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}
