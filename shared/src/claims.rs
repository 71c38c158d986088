//! The claims of a jotpass access token (API.md, "The access token").

use serde::{Deserialize, Serialize};

/// Every claim of a jotpass access token. All of them are required.
///
/// Times are NumericDate: whole seconds since the Unix epoch (the article used
/// milliseconds; RFC 7519 says seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The issuer: the server's configured name, never the user.
    pub iss: String,
    /// The user's id.
    pub sub: String,
    /// The configured audience.
    pub aud: String,
    /// Issued at.
    pub iat: u64,
    /// Not before.
    pub nbf: u64,
    /// Expires at.
    pub exp: u64,
    /// This token's unique id.
    pub jti: String,
    /// The id of the session this token belongs to.
    pub sid: String,
    /// The user's roles when the token was issued; informational only.
    pub roles: Vec<String>,
    /// The username; for display only.
    pub name: String,
    /// How the session was authenticated (RFC 8176): `pwd`, `otp`, `hwk`,
    /// and `mfa` when two factors were used. Kept across refreshes.
    pub amr: Vec<String>,
}

/// The `amr` values jotpass uses (RFC 8176).
pub mod amr {
    /// A password.
    pub const PASSWORD: &str = "pwd";
    /// A one-time password: a TOTP code or a recovery code.
    pub const OTP: &str = "otp";
    /// A hardware-bound key: a passkey.
    pub const HARDWARE_KEY: &str = "hwk";
    /// Two factors were used.
    pub const MULTI_FACTOR: &str = "mfa";
}
