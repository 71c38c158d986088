//! The mails jotpass sends. Each is plain text with an HTML alternative,
//! names what happened, and links to the app at `JOTPASS_PUBLIC_URL`.

use super::Mail;

/// What an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alert {
    NewDevice,
    PasswordChanged,
    PasswordReset,
    TotpDisabled,
    PasskeyAdded,
    /// Sent to the old address.
    EmailChanged,
}

impl Alert {
    fn headline(self) -> &'static str {
        match self {
            Self::NewDevice => "New sign-in to your jotpass account",
            Self::PasswordChanged => "Your jotpass password was changed",
            Self::PasswordReset => "Your jotpass password was reset",
            Self::TotpDisabled => "Two-factor authentication was turned off",
            Self::PasskeyAdded => "A passkey was added to your jotpass account",
            Self::EmailChanged => "Your jotpass e-mail address was changed",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Self::NewDevice => {
                "Someone signed in to your account from a device it has not used before."
            }
            Self::PasswordChanged => "The password of your account was changed.",
            Self::PasswordReset => {
                "The password of your account was reset with a link sent to this address; every session was signed out."
            }
            Self::TotpDisabled => "Two-factor authentication was turned off for your account.",
            Self::PasskeyAdded => "A passkey was added to your account.",
            Self::EmailChanged => {
                "The e-mail address of your account was changed; this address will get no more mail about it."
            }
        }
    }
}

/// Where and when something happened, for an alert.
#[derive(Clone, Debug)]
pub struct Context {
    pub username: String,
    /// RFC 3339.
    pub when: String,
    /// "Chrome on Linux".
    pub device: String,
    pub address: String,
    /// `<JOTPASS_PUBLIC_URL>`, to link back.
    pub public_url: String,
}

/// The link to confirm a new address (valid 24 hours).
pub fn verify_email(to: &str, username: &str, link: &str) -> Mail {
    link_mail(
        to,
        username,
        LinkMail {
            subject: "Confirm your e-mail address for jotpass",
            title: "Confirm your e-mail address",
            what: "To use this address for your jotpass account, open this link within 24 hours:",
            button: "Confirm this address",
            after: "If you did not ask for this, ignore this mail: nothing changes.",
        },
        link,
    )
}

/// The link to set a new password (valid 30 minutes).
pub fn password_reset(to: &str, username: &str, link: &str) -> Mail {
    link_mail(
        to,
        username,
        LinkMail {
            subject: "Reset your jotpass password",
            title: "Reset your password",
            what: "To set a new password for your jotpass account, open this link within 30 minutes:",
            button: "Set a new password",
            after: "The link works once. If you did not ask for this, ignore this mail: your password stays as it is.",
        },
        link,
    )
}

/// The words of a mail that carries one link.
struct LinkMail {
    subject: &'static str,
    title: &'static str,
    what: &'static str,
    button: &'static str,
    after: &'static str,
}

fn link_mail(to: &str, username: &str, words: LinkMail, link: &str) -> Mail {
    let LinkMail {
        subject,
        title,
        what,
        button,
        after,
    } = words;
    let text = format!("Hello {username},\n\n{what}\n\n{link}\n\n{after}\n");
    let html = page(
        title,
        &format!(
            "<p>Hello {},</p><p>{}</p><p><a href=\"{}\">{}</a></p><p>{}</p>",
            escape(username),
            escape(what),
            escape(link),
            escape(button),
            escape(after)
        ),
    );
    mail(to, subject, text, html)
}

/// To the owner of an address that someone tried to add to another account.
pub fn address_taken(to: &str, username: &str, public_url: &str) -> Mail {
    let text = format!(
        "Hello {username},\n\nSomeone tried to add this address, which is your jotpass account's, to another account. It was not added.\n\nIf that was you, there is nothing to do. Your account: {public_url}/account\n"
    );
    let html = page(
        "Your address is taken",
        &format!(
            "<p>Hello {},</p><p>Someone tried to add this address, which is your jotpass account's, to another account. It was not added.</p><p>If that was you, there is nothing to do. <a href=\"{}/account\">Your account</a></p>",
            escape(username),
            escape(public_url)
        ),
    );
    mail(
        to,
        "Someone tried to use your address on jotpass",
        text,
        html,
    )
}

/// An alert: what happened, when, from which device and address, and where
/// to see (and end) the sessions.
pub fn alert(to: &str, alert: Alert, at: &Context) -> Mail {
    let sessions = format!("{}/sessions", at.public_url);
    let text = format!(
        "Hello {},\n\n{}\n\nWhen: {}\nDevice: {}\nAddress: {}\n\nIf this was not you, sign out the sessions you do not recognise and change your password: {sessions}\n",
        at.username,
        alert.what(),
        at.when,
        at.device,
        at.address
    );
    let html = page(
        alert.headline(),
        &format!(
            "<p>Hello {},</p><p>{}</p><table><tr><th>When</th><td>{}</td></tr><tr><th>Device</th><td>{}</td></tr><tr><th>Address</th><td>{}</td></tr></table><p>If this was not you, <a href=\"{}\">sign out the sessions you do not recognise</a> and change your password.</p>",
            escape(&at.username),
            escape(alert.what()),
            escape(&at.when),
            escape(&at.device),
            escape(&at.address),
            escape(&sessions)
        ),
    );
    mail(to, alert.headline(), text, html)
}

/// A test mail (`jotpass mail test`).
pub fn test_mail(to: &str) -> Mail {
    let text = "This is a test mail from jotpass: the mail settings work.\n".to_owned();
    let html = page(
        "Test mail",
        "<p>This is a test mail from jotpass: the mail settings work.</p>",
    );
    mail(to, "jotpass test mail", text, html)
}

fn mail(to: &str, subject: &str, text: String, html: String) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text,
        html,
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head><body style=\"font-family:system-ui,sans-serif;line-height:1.5\"><h1 style=\"font-size:1.2rem\">{}</h1>{body}</body></html>",
        escape(title),
        escape(title)
    )
}

/// Text made safe for HTML.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped_in_the_html_and_the_link_is_in_both_parts() {
        let mail = verify_email(
            "a@example.com",
            "<b>eve</b>",
            "https://app.example/verify-email?token=x&y",
        );
        assert!(mail.html.contains("&lt;b&gt;eve&lt;/b&gt;") && !mail.html.contains("<b>eve"));
        assert!(
            mail.text
                .contains("https://app.example/verify-email?token=x&y")
        );
        assert!(
            mail.html
                .contains("https://app.example/verify-email?token=x&amp;y")
        );
    }
}
