//! Parse, don't validate: user input becomes one of these types or an
//! [`InputError`] whose message is shown to the person as it is.
//!
//! Lengths count Unicode code points (`chars()`), with no normalisation, as
//! API.md's input rules say.

use std::fmt;

use crate::Redacted;

/// Why a piece of input was refused. `Display` is the message for the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    UsernameLength,
    UsernameCharacters,
    PasswordLength,
    PasswordCommon,
    PasswordIsUsername,
    TitleLength,
    BodyLength,
    /// U+0000, which no database column should hold (PostgreSQL refuses it).
    Nul,
    PasskeyNameLength,
    Email,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UsernameLength => "Username must be 3 to 32 characters long.",
            Self::UsernameCharacters => {
                "Username may contain only letters A-Z, digits, '_', '.' and '-'."
            }
            Self::PasswordLength => "Password must be 8 to 128 characters long.",
            Self::PasswordCommon => {
                "This password is among the most common passwords. Choose another."
            }
            Self::PasswordIsUsername => "Password must not be the same as the username.",
            Self::TitleLength => "Title must be 1 to 200 characters long.",
            Self::BodyLength => "Body must be at most 20000 characters long.",
            Self::Nul => "Text must not contain the NUL character (U+0000).",
            Self::PasskeyNameLength => "A passkey's name must be 1 to 64 characters long.",
            Self::Email => "Enter an e-mail address like name@example.com.",
        })
    }
}

impl std::error::Error for InputError {}

/// A valid username, lower-cased: 3–32 characters of `A–Z a–z 0–9 _ . -`.
///
/// Usernames are unique ignoring case; storing the lower-cased form makes
/// that a plain unique index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let len = raw.chars().count();
        if !(3..=32).contains(&len) {
            return Err(InputError::UsernameLength);
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err(InputError::UsernameCharacters);
        }
        Ok(Self(raw.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A password acceptable for a new account or a password change.
///
/// 8–128 code points, used exactly as given (no trimming, no truncation), not
/// among the 10,000 most common passwords, not the username (ignoring case).
/// No composition rules (NIST SP 800-63B). `Debug` never shows it.
///
/// The common-password rule needs the `common-passwords` feature, which the
/// server turns on. The browser's build leaves it out (the list would be 9 KB
/// of the login page's WASM): the server refuses such a password with the
/// same [`InputError::PasswordCommon`] message, which the forms then show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Password(Redacted<String>);

impl Password {
    /// Parses a new password for the user called `username` (raw, any case).
    pub fn parse(raw: String, username: &str) -> Result<Self, InputError> {
        let len = raw.chars().count();
        if !(8..=128).contains(&len) {
            return Err(InputError::PasswordLength);
        }
        if same_ignoring_case(&raw, username) {
            return Err(InputError::PasswordIsUsername);
        }
        #[cfg(feature = "common-passwords")]
        if is_common_password(&raw.to_lowercase()) {
            return Err(InputError::PasswordCommon);
        }
        Ok(Self(Redacted::new(raw)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

/// Whether `password` is `username` ignoring case, as Unicode lower-casing
/// both would say for every valid (ASCII) username, without Unicode's case
/// tables, which would add 4 KB to the login page's WASM: the one non-ASCII
/// character whose lower case is ASCII is the Kelvin sign, U+212A, which
/// lower-cases to `k`.
fn same_ignoring_case(password: &str, username: &str) -> bool {
    let fold = |c: char| match c {
        '\u{212A}' => 'k',
        c => c.to_ascii_lowercase(),
    };
    password.chars().map(fold).eq(username.chars().map(fold))
}

/// The entries of the 10,000 most common passwords (SecLists) that are long
/// enough to pass the length rule, lower-cased and sorted (bytewise) so that a
/// binary search finds them without building a set at run time.
#[cfg(feature = "common-passwords")]
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Whether `lower` (already lower-cased) is a common password. The comparison
/// ignores case on purpose: "Password1" is as guessable as "password1".
#[cfg(feature = "common-passwords")]
fn is_common_password(lower: &str) -> bool {
    // Binary search over the sorted lines, by byte offsets into the one string.
    let bytes = COMMON_PASSWORDS.as_bytes();
    let (mut lo, mut hi) = (0usize, bytes.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = bytes[..mid]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| start + p);
        match COMMON_PASSWORDS[start..end].cmp(lower) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    false
}

/// A note title: 1–200 code points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteTitle(String);

impl NoteTitle {
    pub fn parse(raw: String) -> Result<Self, InputError> {
        let len = raw.chars().count();
        if !(1..=200).contains(&len) {
            return Err(InputError::TitleLength);
        }
        if raw.contains('\0') {
            return Err(InputError::Nul);
        }
        Ok(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A passkey's name, which its owner chose ("Work laptop"): 1–64 code points,
/// no NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyName(String);

impl PasskeyName {
    pub fn parse(raw: String) -> Result<Self, InputError> {
        if !(1..=64).contains(&raw.chars().count()) {
            return Err(InputError::PasskeyNameLength);
        }
        if raw.contains('\0') {
            return Err(InputError::Nul);
        }
        Ok(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, trimmed and lower-cased: one `@` between a local part
/// and a domain with a dot (or `localhost`), at most 254 characters, no
/// spaces, controls, quotes or angle brackets. Deliberately plainer than
/// RFC 5322: what people type, and what can go in a header unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let address = raw.trim().to_lowercase();
        let (local, domain) = address.split_once('@').ok_or(InputError::Email)?;
        let plain = |part: &str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| !c.is_whitespace() && !c.is_control() && !"@\"<>(),;:[]\\".contains(c))
        };
        let domain_ok = plain(domain)
            && (domain.contains('.') || domain == "localhost")
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if address.chars().count() > 254 || !plain(local) || !domain_ok {
            return Err(InputError::Email);
        }
        Ok(Self(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A note body: at most 20,000 code points, may be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteBody(String);

impl NoteBody {
    pub fn parse(raw: String) -> Result<Self, InputError> {
        if raw.chars().count() > 20_000 {
            return Err(InputError::BodyLength);
        }
        if raw.contains('\0') {
            return Err(InputError::Nul);
        }
        Ok(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_cased_and_limited_to_the_allowed_characters() {
        assert_eq!(
            Username::parse("Alice_1.x-Y").unwrap().as_str(),
            "alice_1.x-y"
        );
        assert_eq!(Username::parse("ab"), Err(InputError::UsernameLength));
        assert_eq!(
            Username::parse(&"a".repeat(33)),
            Err(InputError::UsernameLength)
        );
        assert!(Username::parse(&"a".repeat(32)).is_ok());
        assert_eq!(
            Username::parse("al ice"),
            Err(InputError::UsernameCharacters)
        );
        assert_eq!(Username::parse("élan"), Err(InputError::UsernameCharacters));
    }

    #[test]
    fn password_length_counts_code_points_not_bytes() {
        // Seven snowmen are 21 bytes but 7 characters: too short.
        assert_eq!(
            Password::parse("☃".repeat(7), "alice"),
            Err(InputError::PasswordLength)
        );
        assert!(Password::parse("☃".repeat(8), "alice").is_ok());
        assert!(Password::parse("☃".repeat(128), "alice").is_ok());
        assert_eq!(
            Password::parse("☃".repeat(129), "alice"),
            Err(InputError::PasswordLength)
        );
    }

    #[test]
    fn passwords_are_kept_exactly_as_given() {
        let p = Password::parse("  spaced out  ".into(), "alice").unwrap();
        assert_eq!(p.expose(), "  spaced out  ");
    }

    #[test]
    #[cfg(feature = "common-passwords")]
    fn common_passwords_are_refused_ignoring_case() {
        for common in ["password", "12345678", "iloveyou", "PassWord", "qwertyuiop"] {
            assert_eq!(
                Password::parse(common.into(), "alice"),
                Err(InputError::PasswordCommon),
                "{common}"
            );
        }
        assert!(Password::parse("correct horse battery staple".into(), "alice").is_ok());
    }

    #[test]
    #[cfg(feature = "common-passwords")]
    fn the_common_password_list_is_sorted_and_complete() {
        let lines: Vec<&str> = COMMON_PASSWORDS.lines().collect();
        assert!(lines.len() > 3000);
        assert!(lines.windows(2).all(|w| w[0] < w[1]));
        // Every entry is found, including the first and the last.
        assert!(lines.iter().all(|l| is_common_password(l)));
        assert!(!is_common_password("zzzzzzzzzzzzzzzzzzzzzzzzz-not-common"));
        assert!(!is_common_password(""));
    }

    #[test]
    fn a_password_equal_to_the_username_is_refused_ignoring_case() {
        assert_eq!(
            Password::parse("LongUserName".into(), "longusername"),
            Err(InputError::PasswordIsUsername)
        );
        // The Kelvin sign lower-cases to `k`, as `str::to_lowercase` says.
        assert_eq!("\u{212A}ate-1234".to_lowercase(), "kate-1234");
        assert_eq!(
            Password::parse("\u{212A}ATE-1234".into(), "kate-1234"),
            Err(InputError::PasswordIsUsername)
        );
        assert!(Password::parse("kate-12345".into(), "kate-1234").is_ok());
    }

    proptest::proptest! {
        /// For every valid username the rule agrees with Unicode lower-casing:
        /// the password is the username with some letters' case changed (a
        /// `k` as the Kelvin sign, too), and sometimes one character more.
        #[test]
        fn the_username_rule_is_unicode_lower_casing(
            username in "[A-Za-z0-9_.-]{3,32}",
            changes in proptest::collection::vec(0u8..4, 32),
            extra in proptest::option::of("[A-Za-z\\u{130}\\u{3A3}\\u{C4}\\u{212A}]"),
        ) {
            let mut password: String = username
                .chars()
                .zip(&changes)
                .map(|(c, change)| match change {
                    1 => c.to_ascii_uppercase(),
                    2 => c.to_ascii_lowercase(),
                    3 if c.eq_ignore_ascii_case(&'k') => '\u{212A}',
                    _ => c,
                })
                .collect();
            password.extend(extra);
            let unicode = password.to_lowercase() == username.to_lowercase();
            proptest::prop_assert_eq!(same_ignoring_case(&password, &username), unicode);
        }
    }

    #[test]
    fn email_addresses_are_trimmed_lower_cased_and_plain() {
        assert_eq!(
            EmailAddress::parse("  Alice@Example.COM ")
                .unwrap()
                .as_str(),
            "alice@example.com"
        );
        assert!(EmailAddress::parse("bob@localhost").is_ok());
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@example",
            "a b@example.com",
            "alice@@example.com",
            "alice@example..com",
            "<alice@example.com>",
            "alice@example.com\r\nBcc: x@y.z",
        ] {
            assert_eq!(EmailAddress::parse(bad), Err(InputError::Email), "{bad:?}");
        }
    }

    #[test]
    fn password_debug_is_redacted() {
        let p = Password::parse("a very private phrase".into(), "bob").unwrap();
        assert_eq!(format!("{p:?}"), "Password([redacted])");
    }

    #[test]
    fn note_lengths_are_enforced_in_code_points() {
        assert_eq!(
            NoteTitle::parse(String::new()),
            Err(InputError::TitleLength)
        );
        assert!(NoteTitle::parse("é".repeat(200)).is_ok());
        assert_eq!(
            NoteTitle::parse("é".repeat(201)),
            Err(InputError::TitleLength)
        );
        assert!(NoteBody::parse(String::new()).is_ok());
        assert!(NoteBody::parse("é".repeat(20_000)).is_ok());
        assert_eq!(
            NoteBody::parse("é".repeat(20_001)),
            Err(InputError::BodyLength)
        );
        assert_eq!(NoteTitle::parse("a\0b".into()), Err(InputError::Nul));
        assert_eq!(NoteBody::parse("\0".into()), Err(InputError::Nul));
    }
}

/// No input makes a parser panic, and what parses is what the rules say.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn usernames_parse_to_their_rules_and_again_to_themselves(raw in "\\PC{0,40}|[A-Za-z0-9_.-]{0,40}") {
            if let Ok(name) = Username::parse(&raw) {
                let s = name.as_str();
                prop_assert!((3..=32).contains(&s.chars().count()));
                prop_assert!(s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c)));
                prop_assert_eq!(s, raw.to_ascii_lowercase());
                prop_assert_eq!(Username::parse(s).unwrap(), name.clone());
            }
        }

        #[test]
        fn passwords_are_kept_exactly_or_refused(raw in any::<String>(), user in "[a-z]{3,10}") {
            match Password::parse(raw.clone(), &user) {
                Ok(p) => {
                    prop_assert_eq!(p.expose(), raw.as_str());
                    let shown = format!("{p:?}");
                    prop_assert_eq!(shown.as_str(), "Password([redacted])");
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }

        #[test]
        fn note_fields_are_kept_exactly_or_refused(title in any::<String>(), body in any::<String>()) {
            if let Ok(t) = NoteTitle::parse(title.clone()) {
                prop_assert_eq!(t.as_str(), title.as_str());
                prop_assert!(!title.contains('\0'));
            }
            if let Ok(b) = NoteBody::parse(body.clone()) {
                prop_assert_eq!(b.as_str(), body.as_str());
            }
        }
    }
}
