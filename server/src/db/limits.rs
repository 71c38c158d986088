//! Fixed-window counters for the login and registration limits. They live in
//! the database so that every server process counts together.

use super::Db;

impl Db {
    /// The counter for `key`: `(window_start, count)`, if any.
    pub async fn limit_counter(&self, key: &str) -> Result<Option<(i64, i64)>, sqlx::Error> {
        sqlx::query_as("SELECT window_start, count FROM rate_limits WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
    }

    /// Counts one event for `key` at `now` in a window of `window` seconds
    /// (a window that has passed starts afresh); answers the counter after it.
    pub async fn count_limit_event(
        &self,
        key: &str,
        window: i64,
        now: i64,
    ) -> Result<(i64, i64), sqlx::Error> {
        sqlx::query_as(
            "INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1)
             ON CONFLICT (key) DO UPDATE SET
                 count = CASE WHEN rate_limits.window_start + $3 <= $2
                              THEN 1 ELSE rate_limits.count + 1 END,
                 window_start = CASE WHEN rate_limits.window_start + $3 <= $2
                                     THEN $2 ELSE rate_limits.window_start END
             RETURNING window_start, count",
        )
        .bind(key)
        .bind(now)
        .bind(window)
        .fetch_one(&self.pool)
        .await
    }
}
