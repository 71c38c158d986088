//! Ending sessions: logging out, signing out one or the other sessions, an
//! admin's force-logout, a role change, deleting the account.

use jotpass_shared::Redacted;

use super::{Accounts, Client, Kind};
use crate::{
    db::{Roles, SessionRow, SessionWithUser, UserRow},
    error::ApiError,
};

impl Accounts {
    /// `POST /api/auth/logout`: revokes the caller's session.
    pub async fn log_out(&self, client: &Client, current: &SessionRow) -> Result<(), ApiError> {
        let mut change = self.sessions.change(&self.db).await?;
        change
            .revoke_session(&current.user_id, &current.id, self.clock.now())
            .await?;
        let event = self.event(
            &current.user_id,
            Kind::Logout,
            Some(client),
            Some(&current.id),
        );
        change.tx().record_event(&event).await?;
        change.commit().await?;
        Ok(())
    }

    /// `DELETE /api/sessions/{id}`: revokes one of the user's active sessions
    /// (the current one: a logout); `404` for anyone else's, a revoked or an
    /// unknown one.
    pub async fn revoke_session(
        &self,
        client: &Client,
        current: &SessionRow,
        session_id: &str,
    ) -> Result<(), ApiError> {
        let user_id = &current.user_id;
        let mut change = self.sessions.change(&self.db).await?;
        if !change
            .revoke_session(user_id, session_id, self.clock.now())
            .await?
        {
            return Err(ApiError::NotFound);
        }
        let kind = if session_id == current.id {
            Kind::Logout
        } else {
            Kind::SessionRevoked
        };
        let event = self.event(user_id, kind, Some(client), Some(session_id));
        change.tx().record_event(&event).await?;
        change.commit().await?;
        Ok(())
    }

    /// `DELETE /api/sessions`: "sign out other sessions".
    pub async fn revoke_other_sessions(
        &self,
        client: &Client,
        current: &SessionRow,
    ) -> Result<(), ApiError> {
        let user_id = &current.user_id;
        let mut change = self.sessions.change(&self.db).await?;
        let revoked = change
            .revoke_user_sessions(user_id, Some(&current.id), self.clock.now())
            .await?;
        if revoked > 0 {
            let event = self.event(
                user_id,
                Kind::SessionRevoked,
                Some(client),
                Some(&current.id),
            );
            change.tx().record_event(&event).await?;
        }
        change.commit().await?;
        Ok(())
    }

    /// An admin's force-logout: every session and every device token of the
    /// user; `404` when there is no such user. The event is the user's, with
    /// the admin's address.
    pub async fn force_log_out(
        &self,
        client: &Client,
        admin_id: &str,
        user_id: &str,
    ) -> Result<(), ApiError> {
        if self.db.user_by_id(user_id).await?.is_none() {
            return Err(ApiError::NotFound);
        }
        let now = self.clock.now();
        let mut change = self.sessions.change(&self.db).await?;
        change.revoke_user_sessions(user_id, None, now).await?;
        change.tx().revoke_device_tokens(user_id, None, now).await?;
        change
            .tx()
            .record_event(&self.event(user_id, Kind::ForceLogout, Some(client), None))
            .await?;
        change.commit().await?;
        tracing::info!(%admin_id, %user_id, "sessions and device tokens revoked by an admin");
        Ok(())
    }

    /// `jotpass user role`: sets the user's roles and revokes their sessions,
    /// in one transaction; `404` when there is no such user.
    pub async fn set_roles(&self, username: &str, roles: Roles) -> Result<UserRow, ApiError> {
        let user = self
            .db
            .user_by_username(&username.to_lowercase())
            .await?
            .ok_or(ApiError::NotFound)?;
        let mut change = self.sessions.change(&self.db).await?;
        change.set_roles(&user.id, &roles).await?;
        change
            .revoke_user_sessions(&user.id, None, self.clock.now())
            .await?;
        change
            .tx()
            .record_event(&self.event(&user.id, Kind::RoleChanged, None, None))
            .await?;
        change.commit().await?;
        tracing::info!(user_id = %user.id, "roles changed; sessions revoked");
        Ok(UserRow { roles, ..user })
    }

    /// `DELETE /api/me`: after the password, the user with their sessions,
    /// refresh tokens and notes, in one transaction.
    pub async fn delete_account(
        &self,
        client: &Client,
        current: &SessionWithUser,
        password: Redacted<String>,
    ) -> Result<(), ApiError> {
        let user = self
            .check_password(client, &current.username, password, None)
            .await?;
        let mut change = self.sessions.change(&self.db).await?;
        change.delete_user(&user.id).await?;
        let event = self.event(
            &user.id,
            Kind::AccountDeleted,
            Some(client),
            Some(&current.session.id),
        );
        change.tx().record_event(&event).await?;
        change.commit().await?;
        tracing::info!(user_id = %user.id, "account deleted");
        Ok(())
    }
}
