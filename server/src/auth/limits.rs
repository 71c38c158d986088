//! Login and registration limits (API.md, "Login limits").
//!
//! A fixed window starts at the first counted event for a key. With `5/5m`,
//! five failed logins are answered normally; from the sixth attempt on, every
//! login for that username or from that address is `429` until the window
//! that began with the first failure has passed. A success does not reset the
//! count. Refused (`429`) attempts are not counted, so the window does end.

use crate::{config::RateLimit, db::Db, error::ApiError};

#[derive(Clone, Debug)]
pub struct Limiter {
    pub login: RateLimit,
    pub register: RateLimit,
}

impl Limiter {
    /// `429` if logins for `username` (as typed) or from `addr` are blocked at `now`.
    pub async fn check_login(
        &self,
        db: &Db,
        username: &str,
        addr: &str,
        now: i64,
    ) -> Result<(), ApiError> {
        let mut retry_after = 0;
        for key in login_keys(username, addr) {
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

    /// Counts a failed login against the username and the address.
    pub async fn record_login_failure(
        &self,
        db: &Db,
        username: &str,
        addr: &str,
        now: i64,
    ) -> Result<(), ApiError> {
        for key in login_keys(username, addr) {
            db.count_limit_event(&key, self.login.window, now).await?;
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

/// The counter keys of a login: the username as typed, lower-cased and cut
/// to 64 characters (so that junk input cannot grow the counters table),
/// and the address.
fn login_keys(username: &str, addr: &str) -> [String; 2] {
    let username: String = username.to_lowercase().chars().take(64).collect();
    [
        format!("login:user:{username}"),
        format!("login:addr:{addr}"),
    ]
}
