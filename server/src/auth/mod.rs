//! Authentication: password hashing, keys and token verification, the
//! per-request session check, login limits, and the extractors handlers use.

mod extractor;
mod issue;
mod keys;
mod keystore;
mod limits;
mod password;
mod sessions;
mod sources;

pub use extractor::{AdminUser, AuthUser, ClientAddr, PresentedToken};
pub use issue::{hash_refresh_token, issue_token_response, new_refresh_token};
pub use keys::Keys;
pub use keystore::{Kek, RELOAD_EVERY, rotate as rotate_signing_key};
pub use limits::Limiter;
pub use password::{PasswordHashString, PasswordHasherPool};
pub use sessions::SessionCache;
pub use sources::{TokenSource, TokenSources, find_token};
