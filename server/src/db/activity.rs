//! The activity log: what happened to each account.

use sqlx::{Any, any::AnyArguments, query::Query};

use super::{Db, Tx};

/// An event; `seq` is its id (and the order of events).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActivityRow {
    pub seq: i64,
    pub user_id: String,
    pub kind: String,
    pub at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub session_id: Option<String>,
}

/// The statement that records `event` (its `seq` is ignored).
fn insert(event: &ActivityRow) -> Query<'_, Any, AnyArguments<'_>> {
    sqlx::query(
        "INSERT INTO activity (user_id, kind, at, ip, user_agent, session_id)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&event.user_id)
    .bind(&event.kind)
    .bind(event.at)
    .bind(&event.ip)
    .bind(&event.user_agent)
    .bind(&event.session_id)
}

impl Tx {
    /// Records `event` with the change it is about.
    pub async fn record_event(&mut self, event: &ActivityRow) -> Result<(), sqlx::Error> {
        insert(event).execute(self.conn()).await?;
        Ok(())
    }
}

impl Db {
    /// Records an event that stands alone (a failed login).
    pub async fn record_event(&self, event: &ActivityRow) -> Result<(), sqlx::Error> {
        insert(event).execute(&self.pool).await?;
        Ok(())
    }

    /// The user's events before `before` (an event id), newest first.
    pub async fn activity(
        &self,
        user_id: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ActivityRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT seq, user_id, kind, at, ip, user_agent, session_id FROM activity
             WHERE user_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
        )
        .bind(user_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// Whether any event of `user_id` is kept (a deleted user's are).
    pub async fn has_activity(&self, user_id: &str) -> Result<bool, sqlx::Error> {
        let found: Option<(i64,)> =
            sqlx::query_as("SELECT seq FROM activity WHERE user_id = $1 LIMIT 1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    /// Deletes the events older than `before` (Unix seconds); how many.
    pub async fn prune_activity(&self, before: i64) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query("DELETE FROM activity WHERE at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
