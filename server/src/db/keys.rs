//! EdDSA signing keys shared by every server process.

use jotpass_shared::Redacted;

use super::Db;

/// A stored signing key; `private_key` is encrypted (see `auth::stored_keys`),
/// and not printed even so.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SigningKeyRow {
    pub kid: String,
    pub public_key: String,
    #[sqlx(try_from = "String")]
    pub private_key: Redacted<String>,
    pub created_at: i64,
    pub activates_at: i64,
    pub retired_at: Option<i64>,
}

impl Db {
    /// Every stored key (a handful), oldest first.
    pub async fn signing_keys(&self) -> Result<Vec<SigningKeyRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT kid, public_key, private_key, created_at, activates_at, retired_at
             FROM signing_keys ORDER BY created_at, kid",
        )
        .fetch_all(&self.pool)
        .await
    }

    /// Adds `key` and retires every key before it as of `key.activates_at`,
    /// in one transaction.
    pub async fn add_signing_key(&self, key: &SigningKeyRow) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
            .bind(key.activates_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO signing_keys (kid, public_key, private_key, created_at, activates_at, retired_at)
             VALUES ($1, $2, $3, $4, $5, NULL)",
        )
        .bind(&key.kid)
        .bind(&key.public_key)
        .bind(key.private_key.expose())
        .bind(key.created_at)
        .bind(key.activates_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
}
