//! Mail: what jotpass sends (`templates`), how (`Mailer`: SMTP, or `.eml`
//! files in `data/outbox/` when `JOTPASS_SMTP_URL` is unset), and the
//! background worker that drains the outbox (`worker`).
//!
//! A flow never sends: it stores the mail in the outbox in the transaction
//! of its change (so a `2xx` means the mail will go, and a mail server that
//! is down delays mail without losing it or holding up a request). The
//! stored message is sealed under the key-encryption key, because a reset
//! link in it is as good as the password for its 30 minutes.

pub mod templates;
pub mod worker;

use std::path::PathBuf;

use anyhow::Context;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
};
use serde::{Deserialize, Serialize};

use crate::{auth::Kek, config::Config, secrets::random_bytes};

/// A mail: plain text, with an HTML alternative.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The associated data outbox messages are sealed with.
const SEALED_FOR: &str = "jotpass outbox message";

impl Mail {
    /// The message as the outbox stores it.
    pub fn seal(&self, kek: &Kek) -> anyhow::Result<String> {
        Ok(kek.seal_secret(SEALED_FOR, &serde_json::to_vec(self)?))
    }

    pub fn open(kek: &Kek, sealed: &str) -> anyhow::Result<Self> {
        let bytes = kek
            .open_secret(SEALED_FOR, sealed)
            .context("an outbox message that this key-encryption key did not seal")?;
        Ok(serde_json::from_slice(&bytes)?)
    }
}

/// Where mail goes.
#[derive(Clone, Debug)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

#[derive(Clone, Debug)]
enum Transport {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        shown: String,
    },
    /// `.eml` files in this folder.
    Files(PathBuf),
}

impl Mailer {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let from: Mailbox = config.mail_from.parse().context("JOTPASS_MAIL_FROM")?;
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp {
                transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(url.transport.expose())
                    .context("JOTPASS_SMTP_URL")?
                    .build(),
                shown: url.shown.clone(),
            },
            // Absolute, so that the log names a file one can open; made at
            // start-up, so that the folder the README points to is there
            // before the first mail.
            None => {
                let dir = std::path::absolute(config.data_dir.join("outbox"))?;
                crate::secrets::ensure_private_dir(&dir).context("JOTPASS_DATA_DIR")?;
                Transport::Files(dir)
            }
        };
        Ok(Self { from, transport })
    }

    /// Where mail goes, for the log: `smtp://host:port` or the folder.
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp { shown, .. } => shown.clone(),
            Transport::Files(dir) => dir.display().to_string(),
        }
    }

    /// Sends `mail` now; answers where it went (the SMTP server, or the
    /// file written).
    pub async fn send(&self, mail: &Mail) -> anyhow::Result<String> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(mail.to.parse().context("a recipient")?)
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))?;
        match &self.transport {
            Transport::Smtp { transport, shown } => {
                transport.send(message).await?;
                Ok(shown.clone())
            }
            Transport::Files(dir) => {
                crate::secrets::ensure_private_dir(dir)?;
                let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
                let name = format!("{stamp}-{}.eml", hex(&random_bytes::<4>()));
                let path = dir.join(name);
                tokio::fs::write(&path, message.formatted()).await?;
                Ok(path.display().to_string())
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
