//! Every page of the app, named once: the route table (`lib.rs`) is built
//! from these segments and every link and redirect from [`Page::href`], so
//! no route is written twice.

use leptos_router::{ParamSegment, StaticSegment};

/// A page of the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Page {
    Home,
    Login,
    Register,
    Notes,
    /// One note, by id.
    Note(String),
    Sessions,
    Account,
    Admin,
    /// What happened to the account.
    Activity,
    /// "Forgot password?": asks for a reset link.
    Forgot,
    /// The reset link's page (`?token=`).
    Reset,
    /// The verification link's page (`?token=`).
    VerifyEmail,
}

const LOGIN: &str = "login";
const REGISTER: &str = "register";
const NOTES: &str = "notes";
const SESSIONS: &str = "sessions";
const ACCOUNT: &str = "account";
const ADMIN: &str = "admin";
const ACTIVITY: &str = "activity";
const FORGOT: &str = "forgot";
const RESET: &str = "reset";
const VERIFY_EMAIL: &str = "verify-email";
/// The parameter of [`Page::Note`]'s route.
pub const NOTE_ID: &str = "id";

impl Page {
    /// The path of the page, to link or navigate to.
    pub fn href(&self) -> String {
        match self {
            Self::Home => "/".to_owned(),
            Self::Note(id) => format!("/{NOTES}/{id}"),
            Self::Login => format!("/{LOGIN}"),
            Self::Register => format!("/{REGISTER}"),
            Self::Notes => format!("/{NOTES}"),
            Self::Sessions => format!("/{SESSIONS}"),
            Self::Account => format!("/{ACCOUNT}"),
            Self::Admin => format!("/{ADMIN}"),
            Self::Activity => format!("/{ACTIVITY}"),
            Self::Forgot => format!("/{FORGOT}"),
            Self::Reset => format!("/{RESET}"),
            Self::VerifyEmail => format!("/{VERIFY_EMAIL}"),
        }
    }

    /// The login page, returning to `next` (a path of this site) afterwards.
    pub fn login_then(next: &str) -> String {
        format!("/{LOGIN}?next={next}")
    }
}

/// The route segments of each page, for the route table.
pub mod segments {
    use super::*;

    pub const LOGIN: StaticSegment<&str> = StaticSegment(super::LOGIN);
    pub const REGISTER: StaticSegment<&str> = StaticSegment(super::REGISTER);
    pub const NOTES: StaticSegment<&str> = StaticSegment(super::NOTES);
    pub const NOTE: (StaticSegment<&str>, ParamSegment) =
        (StaticSegment(super::NOTES), ParamSegment(NOTE_ID));
    pub const SESSIONS: StaticSegment<&str> = StaticSegment(super::SESSIONS);
    pub const ACCOUNT: StaticSegment<&str> = StaticSegment(super::ACCOUNT);
    pub const ADMIN: StaticSegment<&str> = StaticSegment(super::ADMIN);
    pub const ACTIVITY: StaticSegment<&str> = StaticSegment(super::ACTIVITY);
    pub const FORGOT: StaticSegment<&str> = StaticSegment(super::FORGOT);
    pub const RESET: StaticSegment<&str> = StaticSegment(super::RESET);
    pub const VERIFY_EMAIL: StaticSegment<&str> = StaticSegment(super::VERIFY_EMAIL);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_has_its_path() {
        assert_eq!(Page::Home.href(), "/");
        assert_eq!(Page::Notes.href(), "/notes");
        assert_eq!(Page::Note("n1".into()).href(), "/notes/n1");
        assert_eq!(Page::login_then("/account"), "/login?next=/account");
        // The paths the server's mails link to.
        assert_eq!(Page::Reset.href(), "/reset");
        assert_eq!(Page::VerifyEmail.href(), "/verify-email");
    }
}
