//! Notes. Every query is scoped to the owner, so another user's note is
//! indistinguishable from a missing one.

use sqlx::Row;

use super::Db;

#[derive(Debug, Clone)]
pub struct NoteRow {
    pub id: String,
    pub title: String,
    pub body: String,
    pub created_at: i64,
    pub updated_at: i64,
}

fn note_from_row(row: &sqlx::any::AnyRow) -> Result<NoteRow, sqlx::Error> {
    Ok(NoteRow {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
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
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(note_from_row).collect()
    }

    pub async fn note(&self, user_id: &str, id: &str) -> Result<Option<NoteRow>, sqlx::Error> {
        let sql = format!("SELECT {NOTE_COLUMNS} FROM notes WHERE user_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(user_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(note_from_row).transpose()
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
        let row = sqlx::query(&sql)
            .bind(title)
            .bind(body)
            .bind(now)
            .bind(user_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(note_from_row).transpose()
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
