//! The `jotpass` command: serving, and the administration that only the
//! command line may do (`jotpass --help` lists it).
//!
//! Passwords never come from the command line (argv is visible to every
//! user of the machine): `user add` prompts without echo on a terminal and
//! reads one line of standard input otherwise, for scripts.

use std::{
    ffi::OsString,
    io::{IsTerminal, Read},
    process::ExitCode,
    sync::Arc,
};

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use jotpass_shared::{ADMIN_ROLE, EmailAddress, Password, Username};
use tokio::sync::Notify;
use tracing_subscriber::EnvFilter;

use crate::{
    accounts::Accounts,
    auth::{Kek, SessionCache, rotate_signing_key},
    clock::Clock,
    config::{Config, JwtAlg},
    db::{Db, Roles},
    error::ApiError,
    mail::{Mailer, templates},
    startup::{self, Application},
};

/// Token authentication for web apps: the jotpass server and its administration.
#[derive(Debug, Parser)]
#[command(name = "jotpass", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API and the app (the default).
    Serve,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage the signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Check the mail settings.
    #[command(subcommand)]
    Mail(MailCommand),
}

#[derive(Debug, Subcommand)]
enum MailCommand {
    /// Send a test mail to ADDRESS now, through the configured transport
    /// (`JOTPASS_SMTP_URL`, or `.eml` files in `data/outbox/`), and say
    /// what happened.
    Test { address: String },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user. The password is prompted for (without echo) on a
    /// terminal, else read as one line from standard input.
    Add {
        /// The username (3–32 of A–Z a–z 0–9 _ . -).
        name: String,
        /// Give the user the admin role (nothing else grants it).
        #[arg(long)]
        admin: bool,
    },
    /// Set a user's role; this revokes all their sessions.
    Role {
        name: String,
        #[arg(value_enum)]
        role: RoleArg,
    },
    /// Turn a user's two-factor authentication (TOTP) off, for a person who
    /// lost both the phone and the recovery codes; this revokes all their
    /// sessions. Their password and passkeys stay.
    MfaReset { name: String },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    Admin,
    None,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// EdDSA: add a signing key, published at once and signing ten seconds
    /// later; tokens signed by the old one keep verifying until they expire.
    Rotate,
}

/// Runs the command given by `args` (the program name first).
pub async fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    crate::allocator::return_large_blocks();
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            if e.use_stderr() {
                eprintln!("jotpass: see 'jotpass --help' for the usage");
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("jotpass: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::User(UserCommand::Add { name, admin }) => add_user(config, &name, admin).await,
        Command::User(UserCommand::Role { name, role }) => set_role(config, &name, role).await,
        Command::User(UserCommand::MfaReset { name }) => reset_mfa(config, &name).await,
        Command::Keys(KeysCommand::Rotate) => rotate_keys(config).await,
        Command::Mail(MailCommand::Test { address }) => test_mail(config, &address).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jotpass: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => {
            EnvFilter::try_new(&value).map_err(|e| anyhow::anyhow!("invalid RUST_LOG: {e}"))?
        }
        _ => EnvFilter::new("info"),
    };
    // Lines are written by a thread of their own: a request formats its log
    // line and queues it, and never waits on the terminal or the pipe
    // (blocking when the queue is full rather than dropping lines). The
    // guard flushes what is queued when `serve` returns.
    let (writer, _flush_on_exit) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("log-writer")
        .finish(std::io::stdout());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_writer(writer)
        .init();

    let app = Application::build(config, Clock::default()).await?;
    tracing::info!(addr = %app.local_addr(), "jotpass listening on http://{}", app.local_addr());
    app.run_until(shutdown_signal()).await?;
    tracing::info!("jotpass stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn test_mail(config: Config, address: &str) -> anyhow::Result<()> {
    let to = EmailAddress::parse(address).map_err(|e| anyhow::anyhow!("{address:?}: {e}"))?;
    let mailer = Mailer::from_config(&config)?;
    println!(
        "sending a test mail to {} through {}",
        to.as_str(),
        mailer.describe()
    );
    let place = mailer
        .send(&templates::test_mail(to.as_str()))
        .await
        .with_context(|| format!("sending through {}", mailer.describe()))?;
    println!("sent: {place}");
    Ok(())
}

/// The account flows on the configured database.
async fn accounts(config: &Config) -> anyhow::Result<Accounts> {
    let db = Db::connect(&config.database_url, config.db_pool_size).await?;
    // Mail the CLI queues (an alert) is sealed under the server's key and
    // sent by the server's worker; without a key yet, there is nothing to
    // alert about (no account has enrolled TOTP or a verified address).
    let kek = Kek::load_existing(config)?.map(Arc::new);
    let mail_wake = Arc::new(Notify::new());
    startup::accounts(
        config,
        db,
        SessionCache::default(),
        Clock::default(),
        kek,
        mail_wake,
    )
    .await
}

async fn add_user(config: Config, name: &str, admin: bool) -> anyhow::Result<()> {
    let username = Username::parse(name).map_err(|e| anyhow::anyhow!("{e}"))?;
    let password = read_new_password(&username)?;
    let roles = Roles::new(if admin {
        vec![ADMIN_ROLE.to_owned()]
    } else {
        Vec::new()
    });
    let user = match accounts(&config)
        .await?
        .create_user(username, password, roles)
        .await
    {
        Ok(user) => user,
        Err(ApiError::UsernameTaken) => anyhow::bail!("the username {name} is taken"),
        Err(e) => return Err(e.into()),
    };
    println!(
        "created user {} ({}){}",
        user.username,
        user.id,
        if admin { " with role admin" } else { "" }
    );
    Ok(())
}

/// On a terminal, a prompt without echo (twice, to catch a typo); otherwise
/// the first line of standard input. The line ending is not part of the
/// password; everything else is.
fn read_new_password(username: &Username) -> anyhow::Result<Password> {
    let raw = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {}: ", username.as_str()))?;
        let again = rpassword::prompt_password("Again: ")?;
        anyhow::ensure!(first == again, "the two passwords differ");
        first
    } else {
        let mut input = String::new();
        std::io::stdin().read_to_string(&mut input)?;
        input.lines().next().unwrap_or_default().to_owned()
    };
    Password::parse(raw, username.as_str()).map_err(|e| anyhow::anyhow!("{e}"))
}

async fn set_role(config: Config, name: &str, role: RoleArg) -> anyhow::Result<()> {
    let (roles, label) = match role {
        RoleArg::Admin => (vec![ADMIN_ROLE.to_owned()], "admin"),
        RoleArg::None => (Vec::new(), "none"),
    };
    let username = Username::parse(name).map_err(|e| anyhow::anyhow!("{e}"))?;
    let user = match accounts(&config)
        .await?
        .set_roles(username.as_str(), Roles::new(roles))
        .await
    {
        Ok(user) => user,
        Err(ApiError::NotFound) => anyhow::bail!("no user called {}", username.as_str()),
        Err(e) => return Err(e.into()),
    };
    println!(
        "set the role of {} to {label}; their sessions were revoked",
        user.username
    );
    Ok(())
}

async fn reset_mfa(config: Config, name: &str) -> anyhow::Result<()> {
    let username = Username::parse(name).map_err(|e| anyhow::anyhow!("{e}"))?;
    let user = match accounts(&config)
        .await?
        .reset_second_factor(username.as_str())
        .await
    {
        Ok(user) => user,
        Err(ApiError::NotFound) => anyhow::bail!("no user called {}", username.as_str()),
        Err(e) => return Err(e.into()),
    };
    println!(
        "two-factor authentication of {} is off; their sessions were revoked",
        user.username
    );
    Ok(())
}

async fn rotate_keys(config: Config) -> anyhow::Result<()> {
    if config.jwt_alg != JwtAlg::EdDsa {
        anyhow::bail!(
            "keys rotate applies to JOTPASS_JWT_ALG=EdDSA; an HS256 key is JOTPASS_JWT_SECRET itself"
        );
    }
    let db = Db::connect(&config.database_url, config.db_pool_size).await?;
    let kek = Kek::load(&config)?;
    let kid = rotate_signing_key(&db, &kek, Clock::default().now()).await?;
    println!("new signing key {kid}: published now, signing within a few seconds");
    Ok(())
}
