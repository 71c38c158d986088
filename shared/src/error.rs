//! The error body every failed API call answers with.

use serde::{Deserialize, Serialize};

use crate::{Redacted, StringMap};

/// The machine-readable `error` field of an error body: exactly the codes API.md names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    MissingToken,
    InvalidToken,
    TokenExpired,
    TokenRevoked,
    InsufficientScope,
    InvalidCredentials,
    InvalidRequest,
    InvalidInput,
    UsernameTaken,
    /// 401 after a right password: the second factor is needed (`mfa_token`).
    MfaRequired,
    /// 409: the state does not allow it (TOTP already on, no enrolment…).
    Conflict,
    RateLimited,
    NotFound,
    MethodNotAllowed,
    UnsupportedMediaType,
    PayloadTooLarge,
    /// 503: the database is down or unreachable; try again shortly.
    Unavailable,
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::InvalidToken => "invalid_token",
            Self::TokenExpired => "token_expired",
            Self::TokenRevoked => "token_revoked",
            Self::InsufficientScope => "insufficient_scope",
            Self::InvalidCredentials => "invalid_credentials",
            Self::InvalidRequest => "invalid_request",
            Self::InvalidInput => "invalid_input",
            Self::UsernameTaken => "username_taken",
            Self::MfaRequired => "mfa_required",
            Self::Conflict => "conflict",
            Self::RateLimited => "rate_limited",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }
}

/// `{"error": "<code>", "message": "<text>", "fields": {...}}`.
///
/// `fields` maps a request field to the message about it and is present only
/// with [`ErrorCode::InvalidInput`]; `mfa_token` and `mfa_expires` only with
/// [`ErrorCode::MfaRequired`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<StringMap>,
    /// The second step of a login: what `POST /api/auth/mfa` finishes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_token: Option<Redacted<String>>,
    /// When the `mfa_token` expires, in Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_expires: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_wire_names() {
        for code in [
            ErrorCode::MissingToken,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::PayloadTooLarge,
            ErrorCode::InsufficientScope,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn fields_are_omitted_when_absent() {
        let body = ErrorBody {
            error: ErrorCode::NotFound,
            message: "No such note".into(),
            fields: None,
            mfa_token: None,
            mfa_expires: None,
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"error":"not_found","message":"No such note"}"#
        );
    }
}
