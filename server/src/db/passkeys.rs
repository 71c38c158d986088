//! Passkeys and the WebAuthn ceremonies in flight.

use super::{Db, Tx};

/// A stored passkey: `credential` is webauthn-rs's credential (public key,
/// counter, policy) as JSON.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasskeyRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub credential_id: String,
    pub credential: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A ceremony: its kind (`register` or `login`), the user it belongs to (a
/// registration), and webauthn-rs's state as JSON.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CeremonyRow {
    pub id: String,
    pub kind: String,
    pub user_id: Option<String>,
    pub state: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

const PASSKEY_COLUMNS: &str =
    "id, user_id, name, credential_id, credential, created_at, last_used_at";

impl Db {
    /// The user's passkeys, newest first.
    pub async fn passkeys(&self, user_id: &str) -> Result<Vec<PasskeyRow>, sqlx::Error> {
        let sql =
            format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY seq DESC");
        sqlx::query_as(&sql)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
    }

    pub async fn passkey_by_credential_id(
        &self,
        credential_id: &str,
    ) -> Result<Option<PasskeyRow>, sqlx::Error> {
        let sql = format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE credential_id = $1");
        sqlx::query_as(&sql)
            .bind(credential_id)
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn ceremony(&self, id: &str) -> Result<Option<CeremonyRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, kind, user_id, state, expires_at, used_at FROM webauthn_ceremonies
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Starts a ceremony (a single statement: nothing else changes with it).
    pub async fn add_ceremony(&self, ceremony: &CeremonyRow, now: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO webauthn_ceremonies (id, kind, user_id, state, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&ceremony.id)
        .bind(&ceremony.kind)
        .bind(&ceremony.user_id)
        .bind(&ceremony.state)
        .bind(now)
        .bind(ceremony.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Spends a ceremony of `kind`: `Ok(false)` when it is used, expired,
    /// of another kind or unknown. Single use, whatever comes after.
    pub async fn spend_ceremony(
        &self,
        id: &str,
        kind: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE webauthn_ceremonies SET used_at = $3
             WHERE id = $1 AND kind = $2 AND used_at IS NULL AND expires_at > $3",
        )
        .bind(id)
        .bind(kind)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done == 1)
    }
}

impl Tx {
    /// Deletes one of the user's passkeys: `Ok(false)` when it is not theirs.
    pub async fn delete_passkey(&mut self, user_id: &str, id: &str) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(self.conn())
            .await?
            .rows_affected();
        Ok(done == 1)
    }

    /// Stores a new passkey: `Ok(false)` when its credential id is taken.
    pub async fn add_passkey(&mut self, passkey: &PasskeyRow) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "INSERT INTO passkeys (id, user_id, name, credential_id, credential, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (credential_id) DO NOTHING",
        )
        .bind(&passkey.id)
        .bind(&passkey.user_id)
        .bind(&passkey.name)
        .bind(&passkey.credential_id)
        .bind(&passkey.credential)
        .bind(passkey.created_at)
        .execute(self.conn())
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    /// Records a login with the passkey: its new counter (in `credential`)
    /// and when. `Ok(false)` when the stored credential changed meanwhile
    /// (another login with the same passkey won), so counters only move on.
    pub async fn use_passkey(
        &mut self,
        id: &str,
        seen: &str,
        credential: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE passkeys SET credential = $3, last_used_at = $4 WHERE id = $1 AND credential = $2",
        )
        .bind(id)
        .bind(seen)
        .bind(credential)
        .bind(now)
        .execute(self.conn())
        .await?
        .rows_affected();
        Ok(done == 1)
    }
}
