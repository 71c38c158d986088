//! The mail a flow sends: stored in the outbox in the flow's transaction
//! (the worker sends it once that commits), and the alerts to a user's
//! verified address.
//!
//! A device is "new" when no earlier session of the user came from the same
//! user-agent family (browser and system, not their versions) and the same
//! /24 (IPv4) or /64 (IPv6) block: an update or a new address from the same
//! provider is not a new device; another browser, or another network, is.

use std::net::IpAddr;

use jotpass_shared::device_name;

use super::{Accounts, Client};
use crate::{
    clock::rfc3339,
    db::{Tx, UserRow},
    error::ApiError,
    mail::{
        Mail,
        templates::{self, Alert},
    },
};

impl Accounts {
    /// Stores `mail` in the outbox in `tx`; [`Accounts::mail_queued`] after
    /// the commit sends it at once.
    pub(super) async fn queue_mail(&self, tx: &mut Tx, mail: &Mail) -> Result<(), ApiError> {
        let Some(kek) = self.kek.as_deref() else {
            // Only the CLI runs without the key-encryption key.
            tracing::warn!("no key-encryption key to seal mail with: not queued");
            return Ok(());
        };
        tx.queue_mail(&mail.to, &mail.seal(kek)?, self.clock.now())
            .await?;
        Ok(())
    }

    /// Wakes the mail worker; after a commit that queued mail.
    pub(super) fn mail_queued(&self) {
        self.mail_wake.notify_one();
    }

    /// Queues `alert` for the user's verified address, if they have one.
    pub(super) async fn queue_alert(
        &self,
        tx: &mut Tx,
        user: &UserRow,
        alert: Alert,
        client: Option<&Client>,
    ) -> Result<(), ApiError> {
        let Some(to) = verified_email(user) else {
            return Ok(());
        };
        let context = templates::Context {
            username: user.username.clone(),
            when: rfc3339(self.clock.now()),
            device: client.map_or_else(
                || "the jotpass command line".to_owned(),
                |c| device_name(c.user_agent.as_deref()),
            ),
            address: client.map_or_else(|| "-".to_owned(), |c| c.addr.clone()),
            public_url: self.public_url.clone(),
        };
        self.queue_mail(tx, &templates::alert(to, alert, &context))
            .await
    }

    /// Whether no earlier session of the user came from `client`'s device.
    pub(super) async fn is_new_device(
        &self,
        tx: &mut Tx,
        user_id: &str,
        client: &Client,
    ) -> Result<bool, ApiError> {
        let family = device_name(client.user_agent.as_deref());
        let block = address_block(&client.addr);
        let history = tx.login_history(user_id).await?;
        Ok(!history.iter().any(|(user_agent, ip)| {
            device_name(user_agent.as_deref()) == family
                && ip.as_deref().map(address_block).as_deref() == Some(block.as_str())
        }))
    }
}

/// The user's address, if it is verified.
pub(super) fn verified_email(user: &UserRow) -> Option<&str> {
    user.email.as_deref().filter(|_| user.email_verified == 1)
}

/// The /24 of an IPv4 address, the /64 of an IPv6 one; anything else as is.
pub(super) fn address_block(addr: &str) -> String {
    match addr.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => address_block(&v4.to_string()),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => addr.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_blocks_are_slash_24_and_slash_64() {
        assert_eq!(address_block("203.0.113.7"), "203.0.113.0/24");
        assert_eq!(address_block("203.0.113.200"), address_block("203.0.113.7"));
        assert_ne!(address_block("203.0.114.7"), address_block("203.0.113.7"));
        assert_eq!(address_block("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(address_block("::ffff:203.0.113.9"), "203.0.113.0/24");
        assert_eq!(address_block("unknown"), "unknown");
    }
}
