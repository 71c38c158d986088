//! What the session manager keeps in `localStorage`, and the only code that
//! reads or writes it.

use gloo_storage::{LocalStorage, Storage};
use jotpass_shared::{StringMap, TokenResponse, User};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

pub(super) const SESSION_KEY: &str = "jotpass.session";
const LEASE_KEY: &str = "jotpass.refresh_lease";
/// Device tokens by (lower-cased) username: kept across logouts, since they
/// are what lets this browser log in while the username is locked out.
const DEVICES_KEY: &str = "jotpass.devices";

/// What is kept under `jotpass.session`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(super) struct Stored {
    pub(super) token: String,
    /// The access token's `exp` (server time, Unix seconds).
    pub(super) expires: i64,
    pub(super) refresh_token: String,
    pub(super) refresh_expires: i64,
    pub(super) user: User,
    /// Server time minus this browser's time when the token was issued.
    pub(super) skew: i64,
    /// The access token's lifetime, in seconds.
    pub(super) ttl: i64,
}

/// Which tab is refreshing, and until when others wait for it.
#[derive(Serialize, Deserialize)]
pub(super) struct Lease {
    pub(super) owner: String,
    pub(super) until_ms: f64,
}

/// The value stored under `key`, if there is one and it reads as a `T`.
fn read<T: DeserializeOwned>(key: &str) -> Option<T> {
    let text = LocalStorage::raw().get_item(key).ok()??;
    crate::json::from_str(&text).ok()
}

/// Stores `value` under `key` (best effort: storage may be full or off).
fn write(key: &str, value: &impl Serialize) {
    if let Ok(text) = crate::json::to_string(value) {
        let _ = LocalStorage::raw().set_item(key, &text);
    }
}

pub(super) fn load() -> Option<Stored> {
    read(SESSION_KEY)
}

pub(super) fn save(stored: &Stored) {
    write(SESSION_KEY, stored);
}

pub(super) fn forget() {
    LocalStorage::delete(SESSION_KEY);
}

/// Device tokens are kept under the username as the server stores it: lower
/// case, and ASCII (any other name is refused), so ASCII lower-casing is
/// enough and brings no Unicode case tables into the WASM.
pub(super) fn device_token(username: &str) -> Option<String> {
    devices().remove(&username.to_ascii_lowercase())
}

pub(super) fn remember_device(username: &str, token: String) {
    let mut devices = devices();
    devices.insert(username.to_ascii_lowercase(), token);
    write(DEVICES_KEY, &devices);
}

pub(super) fn forget_device(username: &str) {
    let mut devices = devices();
    if devices.remove(&username.to_ascii_lowercase()).is_some() {
        write(DEVICES_KEY, &devices);
    }
}

fn devices() -> StringMap {
    read(DEVICES_KEY).unwrap_or_default()
}

pub(super) fn lease() -> Option<Lease> {
    read(LEASE_KEY)
}

pub(super) fn take_lease(lease: &Lease) {
    write(LEASE_KEY, lease);
}

pub(super) fn release_lease() {
    LocalStorage::delete(LEASE_KEY);
}

/// A token response as it is stored, with the clock skew and lifetime read
/// from the access token.
pub(super) fn to_stored(tokens: TokenResponse) -> Stored {
    let iat = token_iat(tokens.token.expose()).unwrap_or_else(now_secs);
    let expires = i64::try_from(tokens.expires).unwrap_or(i64::MAX);
    Stored {
        expires,
        refresh_expires: i64::try_from(tokens.refresh_expires).unwrap_or(i64::MAX),
        skew: iat - now_secs(),
        ttl: (expires - iat).max(1),
        token: tokens.token.into_inner(),
        refresh_token: tokens.refresh_token.into_inner(),
        user: tokens.user,
    }
}

/// This browser's clock, in Unix seconds.
pub(super) fn now_secs() -> i64 {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "milliseconds since 1970 are far inside i64; the fraction is dropped on purpose"
    )]
    let secs = (js_sys::Date::now() / 1000.0) as i64;
    secs
}

/// The `iat` claim of a JWT, read without verifying (the server verifies;
/// the client only needs the clock skew and the lifetime).
fn token_iat(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let mut b64: String = payload.replace('-', "+").replace('_', "/");
    while !b64.len().is_multiple_of(4) {
        b64.push('=');
    }
    let json = web_sys::window()?.atob(&b64).ok()?;
    #[derive(Deserialize)]
    struct Issued {
        iat: i64,
    }
    crate::json::from_str::<Issued>(&json).ok().map(|c| c.iat)
}
