//! Users.

use jotpass_shared::Redacted;

use super::{Db, Tx};

/// A stored user, with the password hash (never serialized).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    #[sqlx(try_from = "String")]
    pub password_hash: PasswordHashString,
    #[sqlx(try_from = "String")]
    pub roles: Roles,
    pub created_at: i64,
    /// The address: verified when `email_verified` is 1.
    pub email: Option<String>,
    pub email_verified: i64,
}

/// A user, how many of their sessions are active, whether TOTP is on (0 or
/// 1) and how many passkeys they have: the admin's list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserWithSessions {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub active_sessions: i64,
    pub totp_on: i64,
    pub passkeys: i64,
}

/// The `password_hash` column: a PHC string. Never serialized, never printed.
#[derive(Clone, Debug)]
pub struct PasswordHashString(Redacted<String>);

impl PasswordHashString {
    pub fn new(phc: String) -> Self {
        Self(Redacted::new(phc))
    }

    pub fn as_str(&self) -> &str {
        self.0.expose()
    }
}

impl From<String> for PasswordHashString {
    fn from(phc: String) -> Self {
        Self::new(phc)
    }
}

/// A column of names stored comma-separated: a user's roles, a session's
/// `amr` values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameList(Vec<String>);

/// The `roles` column.
pub type Roles = NameList;

impl NameList {
    pub fn new(roles: Vec<String>) -> Self {
        Self(roles)
    }

    pub fn contains(&self, role: &str) -> bool {
        self.0.iter().any(|r| r == role)
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.0.clone()
    }

    pub(super) fn to_column(&self) -> String {
        self.0.join(",")
    }
}

impl From<String> for NameList {
    fn from(column: String) -> Self {
        Self(
            column
                .split(',')
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }
}

const USER_COLUMNS: &str = "id, username, password_hash, roles, created_at, email, email_verified";

impl Db {
    /// Inserts a user; `Ok(false)` when the username is taken.
    pub async fn create_user(&self, user: &UserRow) -> Result<bool, sqlx::Error> {
        let result = sqlx::query(
            "INSERT INTO users (id, username, password_hash, roles, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (username) DO NOTHING",
        )
        .bind(&user.id)
        .bind(&user.username)
        .bind(user.password_hash.as_str())
        .bind(user.roles.to_column())
        .bind(user.created_at)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// The user called `username` (already lower-cased).
    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>, sqlx::Error> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        sqlx::query_as(&sql)
            .bind(username)
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRow>, sqlx::Error> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Every user, oldest first, with their active-session counts at `now`.
    pub async fn users_with_session_counts(
        &self,
        now: i64,
    ) -> Result<Vec<UserWithSessions>, sqlx::Error> {
        let sql = format!(
            "SELECT {USER_COLUMNS},
                    (SELECT COUNT(*) FROM sessions s
                      WHERE s.user_id = users.id AND s.revoked_at IS NULL AND s.expires_at > $1)
                    AS active_sessions,
                    CAST(CASE WHEN totp_secret IS NULL THEN 0 ELSE 1 END AS BIGINT) AS totp_on,
                    (SELECT COUNT(*) FROM passkeys p WHERE p.user_id = users.id) AS passkeys
             FROM users ORDER BY seq"
        );
        sqlx::query_as(&sql).bind(now).fetch_all(&self.pool).await
    }
}

impl Tx {
    pub async fn set_password_hash(
        &mut self,
        user_id: &str,
        hash: &PasswordHashString,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash.as_str())
            .bind(user_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Sets the user's roles; `Ok(false)` when there is no such user.
    pub async fn set_roles(&mut self, user_id: &str, roles: &Roles) -> Result<bool, sqlx::Error> {
        let updated = sqlx::query("UPDATE users SET roles = $1 WHERE id = $2")
            .bind(roles.to_column())
            .bind(user_id)
            .execute(self.conn())
            .await?
            .rows_affected();
        Ok(updated == 1)
    }

    /// Deletes the user with everything that is theirs: sessions, refresh
    /// tokens, notes, device tokens, second factors, passkeys, ceremonies,
    /// pending links. The activity log stays (the admin's view), until its
    /// retention ends.
    pub async fn delete_user(&mut self, user_id: &str) -> Result<(), sqlx::Error> {
        // Explicit deletes, child tables first, so the result never depends on
        // whether a backend enforces ON DELETE CASCADE.
        sqlx::query(
            "DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE user_id = $1)",
        )
        .bind(user_id)
        .execute(self.conn())
        .await?;
        sqlx::query("DELETE FROM webauthn_ceremonies WHERE user_id = $1")
            .bind(user_id)
            .execute(self.conn())
            .await?;
        for table in [
            "sessions",
            "notes",
            "device_tokens",
            "recovery_codes",
            "mfa_challenges",
            "passkeys",
            "email_verifications",
            "password_resets",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
                .bind(user_id)
                .execute(self.conn())
                .await?;
        }
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}
