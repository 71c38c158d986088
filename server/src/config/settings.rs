//! The types of the settings that are more than a string or a number, each
//! with the parser of its written form. `Config::from_lookup` turns a parse
//! error into a `ConfigError` naming the variable.

use jotpass_shared::Redacted;

/// The signing algorithm. Fixed by configuration, never taken from a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwtAlg {
    Hs256,
    EdDsa,
}

impl JwtAlg {
    /// The `alg` header value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::EdDsa => "EdDSA",
        }
    }
}

/// A secret whose `Debug` never shows it.
#[derive(Clone, Debug)]
pub struct Secret(Redacted<Vec<u8>>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Redacted::new(bytes))
    }

    pub fn expose(&self) -> &[u8] {
        self.0.expose()
    }
}

/// `JOTPASS_PUBLIC_URL`: the origin people open (`http://localhost:3000`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl {
    /// The origin, without a trailing slash: `https://app.example.com`.
    pub origin: String,
    /// Its host: the WebAuthn relying-party id.
    pub host: String,
}

impl PublicUrl {
    /// An `http` or `https` origin: a scheme, a host and maybe a port, and
    /// nothing after it.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = || format!("expected an origin like https://app.example.com, got {raw:?}");
        let url = url::Url::parse(raw.trim()).map_err(|_| bad())?;
        let plain = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
        if !matches!(url.scheme(), "http" | "https") || !plain || !url.username().is_empty() {
            return Err(bad());
        }
        let host = url.host_str().ok_or_else(bad)?.to_owned();
        Ok(Self {
            origin: url.origin().ascii_serialization(),
            host,
        })
    }
}

/// `JOTPASS_SMTP_URL`: where mail goes. `smtp://host:port` requires STARTTLS
/// unless it says `?tls=none`; `smtps://user:pass@host:465` is TLS from the
/// start. Never printed whole (it may hold a password).
#[derive(Clone, Debug)]
pub struct SmtpUrl {
    /// The URL as lettre reads it (`tls=required` made explicit).
    pub transport: Redacted<String>,
    /// `smtp://host:port`, for the log: no user, no password.
    pub shown: String,
}

impl SmtpUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = || {
            "expected smtp://host:port (STARTTLS; ?tls=none for plain text) or smtps://user:pass@host:465"
                .to_owned()
        };
        let mut url = url::Url::parse(raw.trim()).map_err(|_| bad())?;
        let host = url.host_str().ok_or_else(bad)?.to_owned();
        let tls: Option<String> = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => {
                url.query_pairs_mut().append_pair("tls", "required");
            }
            ("smtp", Some("none")) => url.set_query(None),
            ("smtp", Some("required" | "opportunistic")) | ("smtps", None) => {}
            _ => return Err(bad()),
        }
        let shown = match url.port() {
            Some(port) => format!("{}://{host}:{port}", url.scheme()),
            None => format!("{}://{host}", url.scheme()),
        };
        Ok(Self {
            transport: Redacted::new(url.to_string()),
            shown,
        })
    }
}

/// `max` events per `window` seconds, written `5/5m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub max: u32,
    pub window: i64,
}

/// One place a token can be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// `x-access-token: <jwt>`.
    Header,
    /// `Authorization: Bearer <jwt>` (RFC 6750 §2.1).
    Bearer,
    /// `access_token` in a form-encoded body (RFC 6750 §2.2).
    Form,
    /// `?access_token=<jwt>` (RFC 6750 §2.3): off by default, URLs leak.
    Query,
}

impl TokenSource {
    const ALL: [Self; 4] = [Self::Header, Self::Bearer, Self::Form, Self::Query];

    /// The name used in `JOTPASS_TOKEN_SOURCES`.
    pub fn setting_name(self) -> &'static str {
        match self {
            Self::Header => "header",
            Self::Bearer => "bearer",
            Self::Form => "form",
            Self::Query => "query",
        }
    }

    /// How error messages name the place, as it was sent.
    pub fn as_sent(self) -> &'static str {
        match self {
            Self::Header => "header x-access-token",
            Self::Bearer => "Authorization header (Bearer)",
            Self::Form => "form field access_token",
            Self::Query => "query parameter access_token",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The set of enabled sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenSources(u8);

impl TokenSources {
    /// Parses `header,bearer,form,query` (any subset, any order, at least one).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut bits = 0;
        for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let source = TokenSource::ALL
                .into_iter()
                .find(|s| s.setting_name().eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    format!("expected a comma-separated list of header, bearer, form, query; got {name:?}")
                })?;
            bits |= source.bit();
        }
        if bits == 0 {
            return Err("expected at least one of header, bearer, form, query".to_owned());
        }
        Ok(Self(bits))
    }

    pub fn contains(self, source: TokenSource) -> bool {
        self.0 & source.bit() != 0
    }
}

/// `90s`, `15m`, `12h`, `7d` to seconds. A whole number and one unit, nothing else.
pub fn parse_duration(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let unit = raw.chars().last()?;
    let number = &raw[..raw.len() - unit.len_utf8()];
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = number.parse().ok()?;
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    // Ten years is far beyond any sensible lifetime; refusing more keeps arithmetic safe.
    let secs = n.checked_mul(scale)?;
    (secs <= 10 * 365 * 86_400).then_some(secs)
}

/// `5/5m`: at least one event per a non-zero window.
pub fn parse_rate_limit(raw: &str) -> Result<RateLimit, String> {
    let bad = || format!("expected a limit like 5/5m (count/duration), got {raw:?}");
    let (max, window) = raw.trim().split_once('/').ok_or_else(bad)?;
    let max: u32 = max.trim().parse().map_err(|_| bad())?;
    let window = parse_duration(window).ok_or_else(bad)?;
    if max == 0 || window == 0 {
        return Err(bad());
    }
    Ok(RateLimit { max, window })
}

/// `https://a.example, http://localhost:8080`: each a scheme, a host and an optional port.
pub(super) fn parse_origins(raw: &str) -> Result<Vec<String>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let rest = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"));
            match rest {
                Some(host) if !host.is_empty() && !host.contains('/') && !host.contains(' ') => {
                    Ok(origin.to_owned())
                }
                _ => Err(format!(
                    "expected comma-separated origins like https://app.example.com, got {origin:?}"
                )),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_require_starttls_unless_they_say_otherwise() {
        let url = SmtpUrl::parse("smtp://mail.example:587").unwrap();
        assert_eq!(
            url.transport.expose(),
            "smtp://mail.example:587?tls=required"
        );
        assert_eq!(url.shown, "smtp://mail.example:587");
        let plain = SmtpUrl::parse("smtp://127.0.0.1:2525?tls=none").unwrap();
        assert_eq!(plain.transport.expose(), "smtp://127.0.0.1:2525");
        let wrapped = SmtpUrl::parse("smtps://me:secret@mail.example:465").unwrap();
        assert!(!wrapped.shown.contains("secret") && !format!("{wrapped:?}").contains("secret"));
        for bad in [
            "http://mail.example",
            "smtp://",
            "smtp://x?tls=maybe",
            "mail.example",
        ] {
            assert!(SmtpUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn token_sources_parse_in_any_order_and_refuse_unknown_names() {
        let s = TokenSources::parse("query, header").unwrap();
        assert!(s.contains(TokenSource::Query) && s.contains(TokenSource::Header));
        assert!(!s.contains(TokenSource::Bearer));
        assert!(TokenSources::parse("cookie").is_err());
        assert!(TokenSources::parse(",").is_err());
    }
}

/// No setting's text makes a parser panic, and the written forms round-trip.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn durations_parse_what_they_say(n in 0_i64..100_000, unit in "[smhd]") {
            let scale = match unit.as_str() { "s" => 1, "m" => 60, "h" => 3600, _ => 86_400 };
            let expected = Some(n * scale).filter(|s| *s <= 10 * 365 * 86_400);
            prop_assert_eq!(parse_duration(&format!("{n}{unit}")), expected);
        }

        #[test]
        fn no_text_makes_a_setting_parser_panic(raw in any::<String>()) {
            let _ = parse_duration(&raw);
            let _ = parse_rate_limit(&raw);
            let _ = TokenSources::parse(&raw);
            let _ = parse_origins(&raw);
        }

        #[test]
        fn rate_limits_round_trip(max in 1_u32..10_000, n in 1_i64..1000, unit in "[smhd]") {
            let limit = parse_rate_limit(&format!("{max}/{n}{unit}")).unwrap();
            prop_assert_eq!(limit.max, max);
            prop_assert_eq!(Some(limit.window), parse_duration(&format!("{n}{unit}")));
        }

        #[test]
        fn any_subset_of_sources_round_trips(mask in 1_u8..16) {
            let chosen: Vec<TokenSource> =
                TokenSource::ALL.into_iter().filter(|s| mask & s.bit() != 0).collect();
            let text = chosen.iter().map(|s| s.setting_name()).collect::<Vec<_>>().join(",");
            let parsed = TokenSources::parse(&text).unwrap();
            for source in TokenSource::ALL {
                prop_assert_eq!(parsed.contains(source), chosen.contains(&source));
            }
        }
    }
}
