//! Notes. Every query is scoped to the owner, so another user's note is
//! indistinguishable from a missing one.

use super::Db;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoteRow {
    pub id: String,
    pub title: String,
    pub body: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const NOTE_COLUMNS: &str = "id, title, body, created_at, updated_at";

impl Db {
    pub async fn create_note(&self, user_id: &str, note: &NoteRow) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO notes (id, user_id, title, body, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&note.id)
        .bind(user_id)
        .bind(&note.title)
        .bind(&note.body)
        .bind(note.created_at)
        .bind(note.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user's notes, newest first.
    pub async fn notes(&self, user_id: &str) -> Result<Vec<NoteRow>, sqlx::Error> {
        let sql = format!("SELECT {NOTE_COLUMNS} FROM notes WHERE user_id = $1 ORDER BY seq DESC");
        sqlx::query_as(&sql)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
    }

    pub async fn note(&self, user_id: &str, id: &str) -> Result<Option<NoteRow>, sqlx::Error> {
        let sql = format!("SELECT {NOTE_COLUMNS} FROM notes WHERE user_id = $1 AND id = $2");
        sqlx::query_as(&sql)
            .bind(user_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Replaces title and body; `Ok(None)` when the user has no such note.
    pub async fn update_note(
        &self,
        user_id: &str,
        id: &str,
        title: &str,
        body: &str,
        now: i64,
    ) -> Result<Option<NoteRow>, sqlx::Error> {
        let sql = format!(
            "UPDATE notes SET title = $1, body = $2, updated_at = $3
             WHERE user_id = $4 AND id = $5 RETURNING {NOTE_COLUMNS}"
        );
        sqlx::query_as(&sql)
            .bind(title)
            .bind(body)
            .bind(now)
            .bind(user_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// `Ok(false)` when the user has no such note.
    pub async fn delete_note(&self, user_id: &str, id: &str) -> Result<bool, sqlx::Error> {
        let result = sqlx::query("DELETE FROM notes WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() == 1)
    }
}
