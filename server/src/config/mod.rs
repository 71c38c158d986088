//! One typed [`Config`], read from the environment (and `.env`).
//!
//! Every setting has a working default, so the server starts with none set.
//! A bad value is a [`ConfigError`] whose one-line `Display` names the
//! variable and what it accepts; `main` prints it and exits non-zero.
//! Secret values are never part of an error message.

mod settings;

use std::{fmt, net::SocketAddr, path::PathBuf};

use settings::parse_origins;
pub use settings::{
    JwtAlg, PublicUrl, RateLimit, Secret, SmtpUrl, TokenSource, TokenSources, parse_duration,
    parse_rate_limit,
};

/// The server's settings. Each field names its variable and default.
#[derive(Clone, Debug)]
pub struct Config {
    /// `LEPTOS_SITE_ADDR`, default `127.0.0.1:3000`. Port 0 picks a free port (tests).
    pub addr: SocketAddr,
    /// `DATABASE_URL`, default `sqlite://data/jotpass.db` (created). `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// `JOTPASS_DB_POOL_SIZE`, default 4 on SQLite and 10 on PostgreSQL: the
    /// most database connections this process holds at once.
    pub db_pool_size: u32,
    /// `JOTPASS_DATA_DIR`, default `data`: where generated keys are kept (mode 0600).
    pub data_dir: PathBuf,
    /// `JOTPASS_JWT_ALG`, default `HS256`. `HS256` or `EdDSA`.
    pub jwt_alg: JwtAlg,
    /// `JOTPASS_JWT_SECRET`: the HS256 key's raw bytes, at least 32. Default: generated
    /// on first start and kept in `data_dir`.
    pub jwt_secret: Option<Secret>,
    /// `JOTPASS_KEY_ENCRYPTION_KEY`: encrypts the EdDSA private keys stored in
    /// the database, at least 32 bytes. Default: generated on first start and
    /// kept in `data_dir`. Every process of one database needs the same one.
    pub key_encryption_key: Option<Secret>,
    /// `JOTPASS_ACCESS_TTL`, default `15m`, in seconds.
    pub access_ttl: i64,
    /// `JOTPASS_SESSION_TTL`, default `7d`, in seconds; counted from login, never extended.
    pub session_ttl: i64,
    /// `JOTPASS_LEEWAY`, default `0s`, in seconds: clock leeway for `exp`, `nbf`, `iat`.
    pub leeway: i64,
    /// `JOTPASS_ISSUER`, default `jotpass`.
    pub issuer: String,
    /// `JOTPASS_AUDIENCE`, default `jotpass-api`.
    pub audience: String,
    /// `JOTPASS_TOKEN_SOURCES`, default `header,bearer,form`.
    pub token_sources: TokenSources,
    /// `JOTPASS_LOGIN_LIMIT`, default `5/5m`: failed logins per username and per address.
    pub login_limit: RateLimit,
    /// `JOTPASS_REGISTER_LIMIT`, default `10/1h`: registrations per address.
    pub register_limit: RateLimit,
    /// `JOTPASS_TRUST_PROXY`, default `false`: take the client address from `X-Forwarded-For`.
    pub trust_proxy: bool,
    /// `JOTPASS_CORS_ORIGINS`, default empty: comma-separated origins allowed to call the API.
    pub cors_origins: Vec<String>,
    /// `JOTPASS_PUBLIC_URL`, default `http://localhost:3000`: the origin people
    /// open; passkeys' relying party (its host), and the links in mails.
    pub public_url: PublicUrl,
    /// `JOTPASS_SMTP_URL`, default unset: mails are written as `.eml` files
    /// to `<JOTPASS_DATA_DIR>/outbox/` instead.
    pub smtp_url: Option<SmtpUrl>,
    /// `JOTPASS_MAIL_FROM`, default `jotpass <no-reply@localhost>`.
    pub mail_from: String,
    /// `JOTPASS_ACTIVITY_RETENTION`, default `90d`, in seconds.
    pub activity_retention: i64,
    /// `LEPTOS_SITE_ROOT` (default `target/site`), `LEPTOS_SITE_PKG_DIR` (default `pkg`),
    /// `LEPTOS_OUTPUT_NAME` (default `jotpass`), `LEPTOS_WATCH`: set by cargo-leptos;
    /// where the built client is served from, and whether `cargo leptos watch` runs it.
    pub site: SiteConfig,
}

/// Where cargo-leptos put the built site, and whether it is a dev build.
#[derive(Clone, Debug)]
pub struct SiteConfig {
    pub root: String,
    pub pkg_dir: String,
    pub output_name: String,
    pub dev: bool,
    pub reload_port: u32,
}

/// A setting that could not be used. `Display` is the one line `main` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.var, self.message)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads `.env` (if present in the working directory) and then the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is reported like any bad setting.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => {
                return Err(ConfigError {
                    var: ".env",
                    message: format!("could not be read: {e}"),
                });
            }
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the config from any source of variables; empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let addr = parse_or(get("LEPTOS_SITE_ADDR"), "127.0.0.1:3000", |v| {
            v.trim().parse::<SocketAddr>().map_err(|_| {
                err(
                    "LEPTOS_SITE_ADDR",
                    format!("expected an address like 127.0.0.1:3000, got {v:?}"),
                )
            })
        })?;

        let database_url = get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/jotpass.db".into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            // The URL may hold a password: name the scheme only.
            return Err(err(
                "DATABASE_URL",
                "expected a sqlite://… or postgres://… URL".into(),
            ));
        }

        let default_pool = if database_url.starts_with("sqlite:") {
            "4"
        } else {
            "10"
        };
        let db_pool_size = parse_or(get("JOTPASS_DB_POOL_SIZE"), default_pool, |v| {
            match v.trim().parse::<u32>() {
                Ok(n) if (1..=1000).contains(&n) => Ok(n),
                _ => Err(err(
                    "JOTPASS_DB_POOL_SIZE",
                    format!("expected a number of connections from 1 to 1000, got {v:?}"),
                )),
            }
        })?;

        let data_dir = PathBuf::from(get("JOTPASS_DATA_DIR").unwrap_or_else(|| "data".into()));

        let jwt_alg = parse_or(get("JOTPASS_JWT_ALG"), "HS256", |v| match v.trim() {
            "HS256" => Ok(JwtAlg::Hs256),
            "EdDSA" => Ok(JwtAlg::EdDsa),
            other => Err(err(
                "JOTPASS_JWT_ALG",
                format!("expected HS256 or EdDSA, got {other:?}"),
            )),
        })?;

        let jwt_secret = secret_var(lookup("JOTPASS_JWT_SECRET"), "JOTPASS_JWT_SECRET")?;
        let key_encryption_key = secret_var(
            lookup("JOTPASS_KEY_ENCRYPTION_KEY"),
            "JOTPASS_KEY_ENCRYPTION_KEY",
        )?;

        let access_ttl = duration_var(
            get("JOTPASS_ACCESS_TTL"),
            "JOTPASS_ACCESS_TTL",
            "15m",
            false,
        )?;
        let session_ttl = duration_var(
            get("JOTPASS_SESSION_TTL"),
            "JOTPASS_SESSION_TTL",
            "7d",
            false,
        )?;
        let leeway = duration_var(get("JOTPASS_LEEWAY"), "JOTPASS_LEEWAY", "0s", true)?;

        let issuer = get("JOTPASS_ISSUER").unwrap_or_else(|| "jotpass".into());
        let audience = get("JOTPASS_AUDIENCE").unwrap_or_else(|| "jotpass-api".into());

        let token_sources = parse_or(get("JOTPASS_TOKEN_SOURCES"), "header,bearer,form", |v| {
            TokenSources::parse(&v).map_err(|m| err("JOTPASS_TOKEN_SOURCES", m))
        })?;

        let login_limit = parse_or(get("JOTPASS_LOGIN_LIMIT"), "5/5m", |v| {
            parse_rate_limit(&v).map_err(|m| err("JOTPASS_LOGIN_LIMIT", m))
        })?;
        let register_limit = parse_or(get("JOTPASS_REGISTER_LIMIT"), "10/1h", |v| {
            parse_rate_limit(&v).map_err(|m| err("JOTPASS_REGISTER_LIMIT", m))
        })?;

        let trust_proxy = parse_or(get("JOTPASS_TRUST_PROXY"), "false", |v| {
            match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(err(
                    "JOTPASS_TRUST_PROXY",
                    format!("expected true or false, got {v:?}"),
                )),
            }
        })?;

        let cors_origins = match get("JOTPASS_CORS_ORIGINS") {
            None => Vec::new(),
            Some(v) => parse_origins(&v).map_err(|m| err("JOTPASS_CORS_ORIGINS", m))?,
        };

        let public_url = parse_or(get("JOTPASS_PUBLIC_URL"), "http://localhost:3000", |v| {
            PublicUrl::parse(&v).map_err(|m| err("JOTPASS_PUBLIC_URL", m))
        })?;

        let smtp_url = match get("JOTPASS_SMTP_URL") {
            None => None,
            Some(v) => Some(SmtpUrl::parse(&v).map_err(|m| err("JOTPASS_SMTP_URL", m))?),
        };
        let mail_from = parse_or(
            get("JOTPASS_MAIL_FROM"),
            "jotpass <no-reply@localhost>",
            |v| {
                v.trim()
                    .parse::<lettre::message::Mailbox>()
                    .map(|mailbox| mailbox.to_string())
                    .map_err(|_| {
                        err(
                            "JOTPASS_MAIL_FROM",
                            format!(
                                "expected a mailbox like jotpass <no-reply@example.com>, got {v:?}"
                            ),
                        )
                    })
            },
        )?;
        let activity_retention = duration_var(
            get("JOTPASS_ACTIVITY_RETENTION"),
            "JOTPASS_ACTIVITY_RETENTION",
            "90d",
            false,
        )?;

        let site = SiteConfig {
            root: get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            pkg_dir: get("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|| "pkg".into()),
            output_name: get("LEPTOS_OUTPUT_NAME").unwrap_or_else(|| "jotpass".into()),
            // Leptos renders its reload script when LEPTOS_WATCH is set (cargo leptos watch).
            dev: lookup("LEPTOS_WATCH").is_some(),
            reload_port: parse_or(get("LEPTOS_RELOAD_PORT"), "3001", |v| {
                v.trim().parse::<u32>().map_err(|_| {
                    err(
                        "LEPTOS_RELOAD_PORT",
                        format!("expected a port number, got {v:?}"),
                    )
                })
            })?,
        };

        Ok(Self {
            addr,
            database_url,
            db_pool_size,
            data_dir,
            jwt_alg,
            jwt_secret,
            key_encryption_key,
            access_ttl,
            session_ttl,
            leeway,
            issuer,
            audience,
            token_sources,
            login_limit,
            register_limit,
            trust_proxy,
            cors_origins,
            public_url,
            smtp_url,
            mail_from,
            activity_retention,
            site,
        })
    }
}

fn err(var: &'static str, message: String) -> ConfigError {
    ConfigError { var, message }
}

fn parse_or<T>(
    value: Option<String>,
    default: &str,
    parse: impl Fn(String) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    parse(value.unwrap_or_else(|| default.to_owned()))
}

/// A secret of at least 32 bytes, its raw bytes (spaces included); unset or
/// empty is `None`. The error tells the length, never the value.
fn secret_var(value: Option<String>, var: &'static str) -> Result<Option<Secret>, ConfigError> {
    match value.filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.len() < 32 => Err(err(
            var,
            format!(
                "must be at least 32 bytes, got {} (value not shown)",
                v.len()
            ),
        )),
        Some(v) => Ok(Some(Secret::new(v.into_bytes()))),
    }
}

fn duration_var(
    value: Option<String>,
    var: &'static str,
    default: &str,
    zero_ok: bool,
) -> Result<i64, ConfigError> {
    let raw = value.unwrap_or_else(|| default.to_owned());
    match parse_duration(&raw) {
        Some(0) if !zero_ok => Err(err(var, format!("must be longer than zero, got {raw:?}"))),
        Some(secs) => Ok(secs),
        None => Err(err(
            var,
            format!("expected a duration like 90s, 15m, 12h or 7d, got {raw:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn every_setting_has_a_working_default() {
        let c = config(&[]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.database_url, "sqlite://data/jotpass.db");
        assert_eq!(c.jwt_alg, JwtAlg::Hs256);
        assert!(c.jwt_secret.is_none());
        assert_eq!(c.access_ttl, 15 * 60);
        assert_eq!(c.session_ttl, 7 * 86_400);
        assert_eq!(c.leeway, 0);
        assert_eq!(
            (c.issuer.as_str(), c.audience.as_str()),
            ("jotpass", "jotpass-api")
        );
        assert_eq!(
            c.login_limit,
            RateLimit {
                max: 5,
                window: 300
            }
        );
        assert_eq!(
            c.register_limit,
            RateLimit {
                max: 10,
                window: 3600
            }
        );
        assert!(!c.trust_proxy);
        assert!(c.cors_origins.is_empty());
        assert_eq!(c.public_url.origin, "http://localhost:3000");
        assert_eq!(c.public_url.host, "localhost");
        assert!(c.smtp_url.is_none());
        assert_eq!(c.mail_from, "jotpass <no-reply@localhost>");
        assert_eq!(c.activity_retention, 90 * 86_400);
        assert_eq!(c.db_pool_size, 4);
        let postgres = config(&[("DATABASE_URL", "postgres://localhost/jotpass")]).unwrap();
        assert_eq!(postgres.db_pool_size, 10);
    }

    #[test]
    fn durations_take_one_number_and_one_unit() {
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("15m"), Some(900));
        assert_eq!(parse_duration("12h"), Some(43_200));
        assert_eq!(parse_duration("7d"), Some(604_800));
        for bad in ["", "s", "15", "1.5m", "-1s", "10w", "1m30s", "99999999999d"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let cases = [
            ("JOTPASS_ACCESS_TTL", "soon"),
            ("JOTPASS_SESSION_TTL", "0s"),
            ("JOTPASS_JWT_ALG", "none"),
            ("JOTPASS_LOGIN_LIMIT", "5"),
            ("JOTPASS_REGISTER_LIMIT", "0/1h"),
            ("JOTPASS_TRUST_PROXY", "maybe"),
            ("JOTPASS_TOKEN_SOURCES", "header,cookie"),
            ("JOTPASS_CORS_ORIGINS", "not an origin"),
            ("LEPTOS_SITE_ADDR", "localhost"),
            ("DATABASE_URL", "mysql://x"),
            ("JOTPASS_PUBLIC_URL", "localhost:3000"),
            ("JOTPASS_PUBLIC_URL", "https://app.example/path"),
            ("JOTPASS_PUBLIC_URL", "ftp://app.example"),
            ("JOTPASS_SMTP_URL", "mail.example:25"),
            ("JOTPASS_MAIL_FROM", "not a mailbox"),
            ("JOTPASS_ACTIVITY_RETENTION", "forever"),
            ("JOTPASS_DB_POOL_SIZE", "0"),
            ("JOTPASS_DB_POOL_SIZE", "many"),
        ];
        for (var, value) in cases {
            let e = config(&[(var, value)]).unwrap_err();
            assert_eq!(e.var, var);
            assert!(
                e.to_string().starts_with(&format!("invalid {var}: ")),
                "{e}"
            );
            assert!(!e.to_string().contains('\n'));
        }
    }

    #[test]
    fn a_short_secret_is_refused_without_echoing_it() {
        let e = config(&[("JOTPASS_JWT_SECRET", "too-short-secret")]).unwrap_err();
        assert_eq!(e.var, "JOTPASS_JWT_SECRET");
        assert!(!e.to_string().contains("too-short-secret"));
        let ok = config(&[("JOTPASS_JWT_SECRET", &"k".repeat(32))]).unwrap();
        assert_eq!(ok.jwt_secret.unwrap().expose().len(), 32);
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new(b"super secret bytes".to_vec());
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
    }

    #[test]
    fn rate_limits_and_origins_parse() {
        assert_eq!(
            parse_rate_limit("3/10s"),
            Ok(RateLimit { max: 3, window: 10 })
        );
        let c = config(&[(
            "JOTPASS_CORS_ORIGINS",
            "https://a.example, http://localhost:8080",
        )])
        .unwrap();
        assert_eq!(
            c.cors_origins,
            ["https://a.example", "http://localhost:8080"]
        );
    }
}

/// Whatever the environment holds, start-up either works or stops with one
/// line naming a variable; it never panics, and never shows a secret.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    const VARS: [&str; 19] = [
        "LEPTOS_SITE_ADDR",
        "DATABASE_URL",
        "JOTPASS_JWT_ALG",
        "JOTPASS_JWT_SECRET",
        "JOTPASS_KEY_ENCRYPTION_KEY",
        "JOTPASS_ACCESS_TTL",
        "JOTPASS_SESSION_TTL",
        "JOTPASS_LEEWAY",
        "JOTPASS_TOKEN_SOURCES",
        "JOTPASS_LOGIN_LIMIT",
        "JOTPASS_REGISTER_LIMIT",
        "JOTPASS_TRUST_PROXY",
        "JOTPASS_CORS_ORIGINS",
        "LEPTOS_RELOAD_PORT",
        "JOTPASS_DATA_DIR",
        "JOTPASS_PUBLIC_URL",
        "JOTPASS_SMTP_URL",
        "JOTPASS_MAIL_FROM",
        "JOTPASS_ACTIVITY_RETENTION",
    ];

    proptest! {
        #[test]
        fn any_value_of_any_variable_is_accepted_or_named(index in 0..VARS.len(), value in any::<String>()) {
            let var = VARS[index];
            match Config::from_lookup(|name| (name == var).then(|| value.clone())) {
                Ok(_) => {}
                Err(e) => {
                    prop_assert_eq!(e.var, var);
                    let line = e.to_string();
                    prop_assert!(!line.contains('\n'));
                    if var.ends_with("SECRET") || var.ends_with("KEY") {
                        prop_assert!(value.len() < 4 || !line.contains(&value));
                    }
                }
            }
        }
    }
}
