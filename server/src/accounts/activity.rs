//! The activity log: the kinds of event, the event a flow records in its
//! own transaction, and the pages `GET /api/me/activity` and the admin's
//! view answer.
//!
//! An event names what happened, when, from which address and user agent,
//! and in which session; never a password, code, token or hash.

use jotpass_shared::ActivityQuery;

use super::{Accounts, Client};
use crate::{db::ActivityRow, error::ApiError};

/// What happened (API.md, "Activity").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Login,
    LoginFailed,
    MfaFailed,
    PasskeyLogin,
    /// A spent refresh token presented after the grace period: theft.
    RefreshReuse,
    Logout,
    SessionRevoked,
    PasswordChanged,
    PasswordReset,
    TotpEnabled,
    TotpDisabled,
    RecoveryCodesRegenerated,
    PasskeyAdded,
    PasskeyRemoved,
    EmailChanged,
    RoleChanged,
    ForceLogout,
    /// Only the admin's view shows it: the account is gone.
    AccountDeleted,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::LoginFailed => "login_failed",
            Self::MfaFailed => "mfa_failed",
            Self::PasskeyLogin => "passkey_login",
            Self::RefreshReuse => "refresh_reuse",
            Self::Logout => "logout",
            Self::SessionRevoked => "session_revoked",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::TotpEnabled => "totp_enabled",
            Self::TotpDisabled => "totp_disabled",
            Self::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            Self::PasskeyAdded => "passkey_added",
            Self::PasskeyRemoved => "passkey_removed",
            Self::EmailChanged => "email_changed",
            Self::RoleChanged => "role_changed",
            Self::ForceLogout => "force_logout",
            Self::AccountDeleted => "account_deleted",
        }
    }
}

/// A page of the log: events before `before` (an event id), at most `limit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub before: Option<i64>,
    pub limit: i64,
}

impl Page {
    /// `?before=<id>&limit=<1–100, default 50>`; anything else is
    /// `422 invalid_input` naming the parameter.
    pub fn parse(query: &ActivityQuery) -> Result<Self, ApiError> {
        let number = |field: &str, raw: &Option<String>| -> Result<Option<i64>, ApiError> {
            raw.as_deref()
                .map(|v| {
                    v.trim()
                        .parse::<i64>()
                        .map_err(|_| ApiError::invalid_field(field, "Expected a whole number."))
                })
                .transpose()
        };
        let before = number("before", &query.before)?;
        let limit = number("limit", &query.limit)?.unwrap_or(50);
        if !(1..=100).contains(&limit) {
            return Err(ApiError::invalid_field(
                "limit",
                "The limit must be between 1 and 100.",
            ));
        }
        Ok(Self { before, limit })
    }
}

impl Accounts {
    /// The event `kind` of the user, now, from `client` (none for the CLI),
    /// in `session_id` — for a flow to record in its transaction.
    pub(super) fn event(
        &self,
        user_id: &str,
        kind: Kind,
        client: Option<&Client>,
        session_id: Option<&str>,
    ) -> ActivityRow {
        ActivityRow {
            seq: 0,
            user_id: user_id.to_owned(),
            kind: kind.as_str().to_owned(),
            at: self.clock.now(),
            ip: client.map(|c| c.addr.clone()),
            user_agent: client.and_then(|c| c.user_agent.clone()),
            session_id: session_id.map(str::to_owned),
        }
    }

    /// `GET /api/me/activity`: the user's events, newest first, without
    /// `account_deleted` (which only the admin's view has).
    pub async fn activity(&self, user_id: &str, page: Page) -> Result<Vec<ActivityRow>, ApiError> {
        Ok(self
            .db
            .activity(user_id, page.before, page.limit)
            .await?
            .into_iter()
            .filter(|e| e.kind != Kind::AccountDeleted.as_str())
            .collect())
    }

    /// `GET /api/admin/users/{id}/activity`: the events of a user, or of a
    /// deleted one while its events are kept; `404` when there are neither.
    pub async fn user_activity(
        &self,
        user_id: &str,
        page: Page,
    ) -> Result<Vec<ActivityRow>, ApiError> {
        let events = self.db.activity(user_id, page.before, page.limit).await?;
        if events.is_empty()
            && self.db.user_by_id(user_id).await?.is_none()
            && !self.db.has_activity(user_id).await?
        {
            return Err(ApiError::NotFound);
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(before: Option<&str>, limit: Option<&str>) -> ActivityQuery {
        ActivityQuery {
            before: before.map(str::to_owned),
            limit: limit.map(str::to_owned),
        }
    }

    #[test]
    fn pages_default_to_fifty_and_refuse_limits_outside_one_to_a_hundred() {
        assert_eq!(
            Page::parse(&query(None, None)).unwrap(),
            Page {
                before: None,
                limit: 50
            }
        );
        assert_eq!(
            Page::parse(&query(Some("17"), Some("100"))).unwrap(),
            Page {
                before: Some(17),
                limit: 100
            }
        );
        for (before, limit) in [
            (None, Some("0")),
            (None, Some("101")),
            (None, Some("ten")),
            (Some("x"), None),
        ] {
            assert!(
                Page::parse(&query(before, limit)).is_err(),
                "{before:?} {limit:?}"
            );
        }
    }
}
