//! Login and registration limits (API.md, "Login limits", "Device tokens").
//!
//! A fixed window starts at the first counted event for a key. With `5/5m`,
//! five failed logins are answered normally; from the sixth attempt on, every
//! login for that username or from that address is `429` until the window
//! that began with the first failure has passed. A success does not reset the
//! count. Refused (`429`) attempts are not counted, so the window does end.
//!
//! A login that presents a valid device token of the user is counted against
//! that device token instead of the username (the address still counts), so
//! a guessing attack from elsewhere cannot lock a person out of the devices
//! they already use.

use crate::{config::RateLimit, db::Db, error::ApiError};

#[derive(Clone, Debug)]
pub struct Limiter {
    pub login: RateLimit,
    pub register: RateLimit,
}

/// Who a login attempt is counted against, besides its address.
#[derive(Clone, Copy, Debug)]
pub enum Attempt<'a> {
    /// The username as typed.
    Username(&'a str),
    /// The hash of a valid device token of the user.
    Device(&'a str),
    /// A passkey login: no username to count against, only the address.
    Passkey,
}

impl Limiter {
    /// `429` if logins for `who` or from `addr` are blocked at `now`.
    pub async fn check_login(
        &self,
        db: &Db,
        who: Attempt<'_>,
        addr: &str,
        now: i64,
    ) -> Result<(), ApiError> {
        let mut retry_after = 0;
        for key in login_keys(who, addr) {
            if let Some((start, count)) = db.limit_counter(&key).await? {
                let ends = start + self.login.window;
                if ends > now && count >= i64::from(self.login.max) {
                    retry_after = retry_after.max(ends - now);
                }
            }
        }
        if retry_after > 0 {
            return Err(ApiError::RateLimited { retry_after });
        }
        Ok(())
    }

    /// Counts a failed login against `who` and the address.
    pub async fn record_login_failure(
        &self,
        db: &Db,
        who: Attempt<'_>,
        addr: &str,
        now: i64,
    ) -> Result<(), ApiError> {
        for key in login_keys(who, addr) {
            db.count_limit_event(&key, self.login.window, now).await?;
        }
        Ok(())
    }

    /// Counts a password-reset request for `login` (as typed) and from
    /// `addr`, every one; `429` past the login limit's numbers for either.
    pub async fn count_reset(
        &self,
        db: &Db,
        login: &str,
        addr: &str,
        now: i64,
    ) -> Result<(), ApiError> {
        let mut retry_after = 0;
        for key in [
            format!("reset:login:{}", counter_name(login)),
            format!("reset:addr:{addr}"),
        ] {
            let (start, count) = db.count_limit_event(&key, self.login.window, now).await?;
            if count > i64::from(self.login.max) {
                retry_after = retry_after.max(start + self.login.window - now);
            }
        }
        if retry_after > 0 {
            return Err(ApiError::RateLimited { retry_after });
        }
        Ok(())
    }

    /// Counts a registration attempt from `addr`; `429` past the limit.
    pub async fn count_registration(&self, db: &Db, addr: &str, now: i64) -> Result<(), ApiError> {
        let key = format!("register:addr:{addr}");
        let (start, count) = db
            .count_limit_event(&key, self.register.window, now)
            .await?;
        if count > i64::from(self.register.max) {
            return Err(ApiError::RateLimited {
                retry_after: start + self.register.window - now,
            });
        }
        Ok(())
    }
}

/// A name as typed, as a counter key: lower-cased, without NUL (which
/// PostgreSQL refuses) and cut to 64 characters (so that junk input cannot
/// grow the counters table).
fn counter_name(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .filter(|c| *c != '\0')
        .take(64)
        .collect()
}

/// The counter keys of a login: the username as typed (`counter_name`) or
/// the device token's hash; and the address.
fn login_keys(who: Attempt<'_>, addr: &str) -> Vec<String> {
    let address = format!("login:addr:{addr}");
    let who = match who {
        Attempt::Username(username) => format!("login:user:{}", counter_name(username)),
        Attempt::Device(hash) => format!("login:device:{hash}"),
        Attempt::Passkey => return vec![address],
    };
    vec![who, address]
}
