//! The error body every failed API call answers with.

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

use crate::{Redacted, StringMap};

/// Defines [`ErrorCode`] from one table of variants and wire names, so that
/// the names are written once: `as_str`, serialization and parsing all read
/// it.
macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )*) => {
        /// The machine-readable `error` field of an error body: exactly the codes API.md names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code.
            pub const ALL: &[Self] = &[$(Self::$variant),*];

            /// The code as it appears on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }
    };
}

error_codes! {
    MissingToken = "missing_token",
    InvalidToken = "invalid_token",
    TokenExpired = "token_expired",
    TokenRevoked = "token_revoked",
    InsufficientScope = "insufficient_scope",
    InvalidCredentials = "invalid_credentials",
    InvalidRequest = "invalid_request",
    InvalidInput = "invalid_input",
    UsernameTaken = "username_taken",
    /// 401 after a right password: the second factor is needed (`mfa_token`).
    MfaRequired = "mfa_required",
    /// 409: the state does not allow it (TOTP already on, no enrolment…).
    Conflict = "conflict",
    RateLimited = "rate_limited",
    NotFound = "not_found",
    MethodNotAllowed = "method_not_allowed",
    UnsupportedMediaType = "unsupported_media_type",
    PayloadTooLarge = "payload_too_large",
    /// 503: the database is down or unreachable; try again shortly.
    Unavailable = "unavailable",
    Internal = "internal",
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A code is read as a string and looked up in the table. (Serde's derive
/// would also accept the enum's other shapes, which no body has, and would
/// add that code to the login page's WASM.) An unknown code is refused.
impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::ALL
            .iter()
            .copied()
            .find(|code| code.as_str() == name)
            .ok_or_else(|| de::Error::invalid_value(de::Unexpected::Str(&name), &"an error code"))
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
    fn every_code_reads_back_from_its_wire_name() {
        for &code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
    }

    #[test]
    fn unknown_codes_and_other_shapes_are_refused() {
        for json in [
            r#""no_such_code""#,
            r#""MissingToken""#,
            "1",
            r#"{"missing_token":null}"#,
        ] {
            assert!(serde_json::from_str::<ErrorCode>(json).is_err(), "{json}");
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
