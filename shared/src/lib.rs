//! The jotpass wire contract, shared by the server and the browser client.
//!
//! Everything here is plain data and pure functions: no I/O, no clock, no
//! randomness, so it compiles for `wasm32-unknown-unknown` as well as for the
//! server. The server and the client parse user input with the very same
//! types ([`Username`], [`Password`], [`NoteTitle`], [`NoteBody`]), which is
//! why the browser's form errors read exactly like the server's `422` answers.

mod claims;
mod device;
mod dto;
mod error;
mod input;
mod redacted;
mod string_map;

pub use claims::{Claims, amr};
pub use device::device_name;
pub use dto::{
    ActivityEvent, ActivityQuery, AdminUser, CeremonyOptions, ChangePasswordRequest, CodeRequest,
    CredentialsRequest, DeleteAccountRequest, EmailRequest, MfaRequest, MfaStatus, Note,
    NoteRequest, Passkey, PasskeyLogin, PasskeyRegistration, PasswordAndCodeRequest,
    PasswordRequest, PasswordResetConfirm, PasswordResetRequest, RecoveryCodes, RefreshRequest,
    Session, TokenRequest, TokenResponse, TotpEnrolment, User,
};
pub use error::{ErrorBody, ErrorCode};
pub use input::{EmailAddress, InputError, NoteBody, NoteTitle, PasskeyName, Password, Username};
pub use redacted::Redacted;
pub use string_map::StringMap;

/// The name of the header the jotpass client sends its access token in.
pub const ACCESS_TOKEN_HEADER: &str = "x-access-token";

/// The header a Basic login sends its device token in (JSON and form logins
/// send `device_token` in the body).
pub const DEVICE_TOKEN_HEADER: &str = "x-device-token";

/// The role that grants the `/api/admin` routes.
pub const ADMIN_ROLE: &str = "admin";
