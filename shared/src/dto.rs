//! Request and response bodies (API.md, "Endpoints" and "Shapes").

use serde::{Deserialize, Serialize};

use crate::Redacted;

/// `POST /api/users` and `POST /api/auth/token`.
///
/// Fields are raw strings: the server parses them into [`crate::Username`] and
/// [`crate::Password`] so that a bad value becomes a `422` naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsRequest {
    pub username: String,
    pub password: Redacted<String>,
    /// A login may present the device token an earlier login of this user
    /// handed out here: failures counted against the username then do not
    /// apply (API.md, "Device tokens"). Ignored by registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_token: Option<Redacted<String>>,
}

/// `POST /api/auth/refresh`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRequest {
    pub refresh_token: Redacted<String>,
}

/// `PUT /api/me/password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePasswordRequest {
    pub current_password: Redacted<String>,
    pub new_password: Redacted<String>,
}

/// A step-up: `DELETE /api/me`, `POST /api/me/totp`, `POST
/// /api/me/passkeys/options`, `DELETE /api/me/passkeys/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordRequest {
    pub password: Redacted<String>,
}

/// `DELETE /api/me`.
pub type DeleteAccountRequest = PasswordRequest;

/// A step-up with a second factor: `DELETE /api/me/totp`, `POST
/// /api/me/recovery-codes`. `code` is a TOTP code or a recovery code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordAndCodeRequest {
    pub password: Redacted<String>,
    pub code: Redacted<String>,
}

/// `POST /api/me/totp/confirm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRequest {
    pub code: Redacted<String>,
}

/// `POST /api/me/totp`: an enrolment, shown once. `qr_svg` encodes
/// `otpauth_uri`, for a phone to scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// The secret, base32, for typing into an app by hand.
    pub secret: Redacted<String>,
    pub otpauth_uri: Redacted<String>,
    pub qr_svg: Redacted<String>,
}

/// A fresh set of recovery codes, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<Redacted<String>>,
}

/// `GET /api/me/mfa`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaStatus {
    pub totp: bool,
    pub recovery_codes_left: u64,
    pub passkeys: u64,
}

/// `POST /api/auth/mfa`: the second step of a login, with a TOTP code or a
/// recovery code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaRequest {
    pub mfa_token: Redacted<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Redacted<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<Redacted<String>>,
    /// As in a password login (API.md, "Device tokens").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_token: Option<Redacted<String>>,
}

/// A WebAuthn ceremony the server started: its id, and the options for
/// `navigator.credentials.create()` or `.get()` (binary fields base64url).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CeremonyOptions {
    pub ceremony: String,
    pub options: serde_json::Value,
}

/// `POST /api/me/passkeys`: the browser's answer to a registration ceremony.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasskeyRegistration {
    pub ceremony: String,
    pub name: String,
    /// The `PublicKeyCredential` as JSON (`toJSON()`).
    pub credential: serde_json::Value,
}

/// `POST /api/auth/passkey`: the browser's answer to a login ceremony.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasskeyLogin {
    pub ceremony: String,
    pub credential: serde_json::Value,
    /// As in a password login (API.md, "Device tokens").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_token: Option<Redacted<String>>,
}

/// `PUT /api/me/email`: a step-up; the link goes to the new address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailRequest {
    pub email: String,
    pub password: Redacted<String>,
}

/// `POST /api/auth/verify-email`: the token of the link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequest {
    pub token: Redacted<String>,
}

/// `POST /api/auth/password-reset`: a username or an e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordResetRequest {
    pub login: String,
}

/// `POST /api/auth/password-reset/confirm`; with TOTP on, a `code` or a
/// `recovery_code` too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordResetConfirm {
    pub token: Redacted<String>,
    pub new_password: Redacted<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Redacted<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<Redacted<String>>,
}

/// `GET /api/me/activity?before=&limit=`, as sent (the server parses it,
/// to answer a bad value with `invalid_input` naming the parameter).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

/// An event of the activity log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEvent {
    /// The event's number: newer events have larger ones (`?before=`).
    pub id: i64,
    /// `login`, `login_failed`, `password_changed`… (API.md, "Activity").
    pub kind: String,
    /// RFC 3339.
    pub at: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub session_id: Option<String>,
}

/// A passkey as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passkey {
    pub id: String,
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, or `None` when never used to log in.
    pub last_used_at: Option<String>,
}

/// `POST /api/notes` and `PUT /api/notes/{id}`. A missing `body` is empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteRequest {
    pub title: String,
    #[serde(default)]
    pub body: String,
}

/// A user as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub roles: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// The verified address, or `None` (an address changes only once the
    /// new one is verified).
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: bool,
}

impl User {
    /// Whether the user holds `role` (as last read from the server).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// A user in the admin listing: how many sessions are active, whether TOTP
/// is on and how many passkeys there are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUser {
    #[serde(flatten)]
    pub user: User,
    pub active_sessions: u64,
    #[serde(default)]
    pub totp: bool,
    #[serde(default)]
    pub passkeys: u64,
}

/// What a successful login, refresh or password change answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The access token (a JWT).
    pub token: Redacted<String>,
    /// Always `"Bearer"`.
    pub token_type: String,
    /// The access token's `exp`, in Unix seconds.
    pub expires: u64,
    /// The opaque refresh token; spent by its first use.
    pub refresh_token: Redacted<String>,
    /// When the session (and so every refresh token of it) ends, in Unix seconds.
    pub refresh_expires: u64,
    pub user: User,
    /// After a login (not a refresh): this device's token, to present with
    /// the next login of this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_token: Option<Redacted<String>>,
}

/// A login session as `GET /api/sessions` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub last_used_at: String,
    /// Unix seconds.
    pub expires: u64,
    pub user_agent: Option<String>,
    /// Whether this is the session of the token that asked.
    pub current: bool,
}

/// A note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: String,
    pub title: String,
    pub body: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_secrets() {
        let creds = CredentialsRequest {
            username: "alice".into(),
            password: Redacted::new("hunter2hunter2".into()),
            device_token: None,
        };
        let shown = format!("{creds:?}");
        assert!(shown.contains("alice"));
        assert!(!shown.contains("hunter2"));

        let change = ChangePasswordRequest {
            current_password: Redacted::new("old-secret-1".into()),
            new_password: Redacted::new("new-secret-2".into()),
        };
        let shown = format!("{change:?}");
        assert!(!shown.contains("secret"));
    }

    #[test]
    fn admin_user_flattens_the_user_fields() {
        let admin = AdminUser {
            user: User {
                id: "1".into(),
                username: "root".into(),
                roles: vec!["admin".into()],
                created_at: "2026-01-01T00:00:00Z".into(),
                email: None,
                email_verified: false,
            },
            active_sessions: 2,
            totp: true,
            passkeys: 1,
        };
        let json = serde_json::to_value(&admin).unwrap();
        assert_eq!(json["username"], "root");
        assert_eq!(json["active_sessions"], 2);
    }
}
