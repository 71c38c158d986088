//! The `jotpass` command.
//!
//! - `jotpass` (or `jotpass serve`): run the server.
//! - `jotpass user add NAME [--admin]`: create a user; the password is read
//!   from standard input (one line), never from the command line.
//! - `jotpass user role NAME admin|none`: set the user's role; revokes their
//!   sessions. Nothing else grants `admin`.
//! - `jotpass keys rotate`: with EdDSA, a new signing key for every process;
//!   tokens signed by the old one keep verifying until they expire.

use std::{io::Read, process::ExitCode};

use jotpass_shared::{ADMIN_ROLE, Password, Username};
use tracing_subscriber::EnvFilter;

use crate::{
    auth::{Kek, PasswordHasherPool, rotate_signing_key},
    clock::Clock,
    config::{Config, JwtAlg},
    db::{Db, UserRow},
    startup::Application,
};

const USAGE: &str = "usage: jotpass [serve]
       jotpass user add NAME [--admin]     (password on standard input)
       jotpass user role NAME admin|none
       jotpass keys rotate                 (EdDSA: a new signing key)";

/// Runs the command given by `args` (without the program name).
pub async fn run(args: Vec<String>) -> ExitCode {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    if matches!(args.as_slice(), ["--help" | "-h" | "help"]) {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("jotpass: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match args.as_slice() {
        [] | ["serve"] => serve(config).await,
        ["user", "add", name] => add_user(config, name, false).await,
        ["user", "add", name, "--admin"] | ["user", "add", "--admin", name] => {
            add_user(config, name, true).await
        }
        ["user", "role", name, role] => set_role(config, name, role).await,
        ["keys", "rotate"] => rotate_keys(config).await,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
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
    tracing_subscriber::fmt().with_env_filter(filter).init();

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

async fn add_user(config: Config, name: &str, admin: bool) -> anyhow::Result<()> {
    let username = Username::parse(name).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    // One line: the line ending is not part of the password; everything else is.
    let line = input.lines().next().unwrap_or_default().to_owned();
    let password = Password::parse(line, username.as_str()).map_err(|e| anyhow::anyhow!("{e}"))?;

    let db = Db::connect(&config.database_url).await?;
    let hasher = PasswordHasherPool::new(1).await?;
    let user = UserRow {
        id: uuid::Uuid::new_v4().to_string(),
        username: username.into_inner(),
        password_hash: hasher.hash(password.expose().to_owned()).await?,
        roles: if admin {
            vec![ADMIN_ROLE.to_owned()]
        } else {
            Vec::new()
        },
        created_at: Clock::default().now(),
    };
    if !db.create_user(&user).await? {
        anyhow::bail!("the username {} is taken", user.username);
    }
    println!(
        "created user {} ({}){}",
        user.username,
        user.id,
        if admin { " with role admin" } else { "" }
    );
    Ok(())
}

async fn set_role(config: Config, name: &str, role: &str) -> anyhow::Result<()> {
    let roles = match role {
        "admin" => vec![ADMIN_ROLE.to_owned()],
        "none" => Vec::new(),
        other => anyhow::bail!("unknown role {other:?}: expected admin or none"),
    };
    let username = Username::parse(name).map_err(|e| anyhow::anyhow!("{e}"))?;
    let db = Db::connect(&config.database_url).await?;
    let user = db
        .user_by_username(username.as_str())
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user called {}", username.as_str()))?;
    db.set_roles(&user.id, &roles, Clock::default().now())
        .await?;
    println!(
        "set the role of {} to {role}; their sessions were revoked",
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
    let db = Db::connect(&config.database_url).await?;
    let kek = Kek::load(&config)?;
    let kid = rotate_signing_key(&db, &kek, Clock::default().now()).await?;
    println!("new signing key {kid}: published now, signing within a few seconds");
    Ok(())
}
