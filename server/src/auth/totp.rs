//! TOTP as authenticator apps take it (RFC 6238: SHA-1, 6 digits, 30-second
//! steps, a 160-bit secret, the current step and one either side), and
//! recovery codes. Pure: the caller keeps the secrets sealed and enforces
//! that a step is accepted at most once.

use jotpass_shared::Redacted;
use qrcode::{QrCode, render::svg};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::secrets::{random_bytes, token_hash};

/// Seconds per TOTP step.
pub const STEP_SECS: i64 = 30;

/// How many recovery codes make a set.
pub const RECOVERY_CODES: usize = 10;

/// A TOTP secret: 160 random bits. Never printed.
#[derive(Clone, Debug)]
pub struct TotpSecret(Redacted<Vec<u8>>);

impl TotpSecret {
    pub fn generate() -> Self {
        Self(Redacted::new(random_bytes::<20>().to_vec()))
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(Redacted::new(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.expose()
    }

    /// The secret as an app wants it typed: base32, no padding.
    pub fn base32(&self) -> String {
        Secret::from(self.as_bytes().to_vec()).to_base32()
    }

    /// The `otpauth://totp/…` URI an app scans, for `account` at `issuer`.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> anyhow::Result<String> {
        self.totp(issuer, account)?
            .to_url()
            .map_err(|e| anyhow::anyhow!("an otpauth URI: {e}"))
    }

    /// The QR code of `uri`, as an SVG image a phone can scan.
    pub fn qr_svg(uri: &str) -> anyhow::Result<String> {
        let code = QrCode::new(uri.as_bytes())?;
        Ok(code
            .render::<svg::Color<'_>>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .build())
    }

    /// The step (one of `now`'s and the one either side) that `code` is the
    /// code of, if any. Codes are compared in constant time.
    pub fn matching_step(&self, code: &str, now: i64) -> Option<i64> {
        let totp = self.totp("jotpass", "user").ok()?;
        let now = u64::try_from(now).ok()?;
        totp.check(code.trim(), now)
            .and_then(|step| i64::try_from(step).ok())
    }

    /// The code of the step that `time` falls in (tests and the CLI's docs).
    pub fn code_at(&self, time: i64) -> String {
        self.totp("jotpass", "user")
            .map(|t| t.generate(u64::try_from(time).unwrap_or(0)).to_string())
            .unwrap_or_default()
    }

    fn totp(&self, issuer: &str, account: &str) -> anyhow::Result<Totp> {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_skew(1)
            .with_step_duration(30)
            .with_secret(self.as_bytes().to_vec())
            .with_issuer(Some(issuer))
            .with_account_name(account)
            .build()
            .map_err(|e| anyhow::anyhow!("a TOTP: {e}"))
    }
}

/// A fresh set of recovery codes: 80 random bits each, in base32 as
/// `ABCD-EFGH-IJKL-MNOP` (easy to read out and type).
pub fn new_recovery_codes() -> Vec<Redacted<String>> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let text = Secret::from(random_bytes::<10>().to_vec()).to_base32();
            let groups: Vec<&str> = (0..4).map(|i| &text[i * 4..i * 4 + 4]).collect();
            Redacted::new(groups.join("-"))
        })
        .collect()
}

/// What the database keeps of a recovery code: the hash of its letters and
/// digits, upper-cased, so that spaces, dashes and case do not matter.
pub fn recovery_code_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    token_hash(&normal)
}

/// Whether `input` is shaped like a recovery code rather than a TOTP code.
pub fn looks_like_recovery_code(input: &str) -> bool {
    input.chars().filter(char::is_ascii_alphanumeric).count() == 16
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: the SHA-1 vectors (8 digits there; the last 6
    /// digits are what a 6-digit TOTP shows).
    #[test]
    fn the_rfc_6238_sha1_vectors_hold() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec());
        for (time, eight_digits) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(secret.code_at(time), eight_digits[2..], "at {time}");
        }
    }

    #[test]
    fn a_code_matches_its_step_and_its_neighbours_only() {
        let secret = TotpSecret::generate();
        let now = 1_800_000_015;
        let step = now / STEP_SECS;
        for (offset, expected) in [(-1, true), (0, true), (1, true), (-2, false), (2, false)] {
            let code = secret.code_at((step + offset) * STEP_SECS);
            let found = secret.matching_step(&code, now);
            assert_eq!(found == Some(step + offset), expected, "offset {offset}");
        }
        assert_eq!(secret.matching_step("not a code", now), None);
        assert_eq!(secret.matching_step("", now), None);
    }

    #[test]
    fn enrolment_material_is_what_apps_read() {
        let secret = TotpSecret::generate();
        assert_eq!(secret.base32().len(), 32, "160 bits in base32");
        let uri = secret.otpauth_uri("jotpass", "alice").unwrap();
        assert!(uri.starts_with("otpauth://totp/jotpass:alice?"), "{uri}");
        assert!(uri.contains(&format!("secret={}", secret.base32())));
        let svg = TotpSecret::qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }

    #[test]
    fn recovery_codes_are_ten_distinct_80_bit_codes_hashed_without_their_dashes() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let distinct: std::collections::BTreeSet<_> = codes.iter().map(Redacted::expose).collect();
        assert_eq!(distinct.len(), 10);
        let code = codes[0].expose();
        assert_eq!(code.len(), 19);
        assert!(looks_like_recovery_code(code) && !looks_like_recovery_code("123456"));
        let loose = code.replace('-', " ").to_lowercase();
        assert_eq!(recovery_code_hash(code), recovery_code_hash(&loose));
    }
}
