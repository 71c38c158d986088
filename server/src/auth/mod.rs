//! Authentication: password hashing, keys, issuing and verifying tokens, the
//! per-request session check (and the one path that revokes sessions), where
//! tokens come from, and login limits.
//!
//! Nothing here knows about HTTP state or the account flows: `accounts`
//! composes these pieces, and `http::extract` turns them into extractors.

mod keyring;
mod limits;
mod password;
mod sessions;
mod sources;
mod stored_keys;
pub mod token;
pub mod totp;
pub mod webauthn;

pub use keyring::Keys;
pub use limits::{Attempt, Limiter};
pub use password::PasswordHasherPool;
pub use sessions::{SessionCache, SessionChange};
pub use sources::find_token;
pub use stored_keys::{Kek, RELOAD_EVERY, rotate as rotate_signing_key};
