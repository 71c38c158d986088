//! The one source of "now" for the server.
//!
//! Production reads the system clock. Tests move it forward (`advance`) to
//! cross an expiry, a grace period or a rate-limit window without sleeping,
//! and `freeze` it where a test stands exactly on a boundary.

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

/// Unix time in whole seconds, plus an offset that only tests change.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset: Arc<AtomicI64>,
    /// Non-zero: the clock stands still at this time (tests only).
    frozen: Arc<AtomicI64>,
}

impl Clock {
    /// Now, in whole seconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        let frozen = self.frozen.load(Ordering::Relaxed);
        if frozen != 0 {
            return frozen;
        }
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        secs + self.offset.load(Ordering::Relaxed)
    }

    /// Moves this clock (and every clone of it) forward by `secs`.
    pub fn advance(&self, secs: i64) {
        if self.frozen.load(Ordering::Relaxed) != 0 {
            self.frozen.fetch_add(secs, Ordering::Relaxed);
        } else {
            self.offset.fetch_add(secs, Ordering::Relaxed);
        }
    }

    /// Stops this clock (and every clone) at its current time; only
    /// `advance` moves it after that.
    pub fn freeze(&self) {
        self.frozen.store(self.now(), Ordering::Relaxed);
    }
}

/// Formats Unix seconds as RFC 3339 (`2026-11-29T08:22:28Z`).
pub fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_a_clone_moves_every_clone() {
        let clock = Clock::default();
        let other = clock.clone();
        let before = clock.now();
        other.advance(3600);
        assert!(clock.now() >= before + 3600);
    }

    #[test]
    fn a_frozen_clock_moves_only_when_advanced() {
        let clock = Clock::default();
        clock.freeze();
        let at = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(clock.now(), at);
        clock.advance(5);
        assert_eq!(clock.now(), at + 5);
    }

    #[test]
    fn times_format_as_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
