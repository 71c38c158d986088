//! EdDSA signing keys shared by every server process.

use sqlx::Row;

use super::Db;

/// A stored signing key; `private_key` is encrypted (see `auth::keystore`).
#[derive(Clone)]
pub struct SigningKeyRow {
    pub kid: String,
    pub public_key: String,
    pub private_key: String,
    pub created_at: i64,
    pub activates_at: i64,
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for SigningKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRow")
            .field("kid", &self.kid)
            .field("activates_at", &self.activates_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Every stored key (a handful), oldest first.
    pub async fn signing_keys(&self) -> Result<Vec<SigningKeyRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT kid, public_key, private_key, created_at, activates_at, retired_at
             FROM signing_keys ORDER BY created_at, kid",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SigningKeyRow {
                    kid: r.try_get("kid")?,
                    public_key: r.try_get("public_key")?,
                    private_key: r.try_get("private_key")?,
                    created_at: r.try_get("created_at")?,
                    activates_at: r.try_get("activates_at")?,
                    retired_at: r.try_get("retired_at")?,
                })
            })
            .collect()
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
        .bind(&key.private_key)
        .bind(key.created_at)
        .bind(key.activates_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
}
