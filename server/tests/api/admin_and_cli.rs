//! Administrators: made only by the `jotpass` command, checked on every call.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, assert_error, jwt_part, run_cli, spawn_app};

/// Runs the real `jotpass` binary against the test server's database.
fn jotpass(app: &TestApp, args: &[&str], stdin: &str) -> std::process::Output {
    app.cli(args, stdin)
}

#[tokio::test]
async fn a_plain_user_gets_403_insufficient_scope() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let response = app.admin_users(user.token()).await;
    let challenge = assert_error(response, StatusCode::FORBIDDEN, "insufficient_scope").await;
    assert_eq!(
        challenge.as_deref(),
        Some(r#"Bearer realm="jotpass", error="insufficient_scope""#)
    );
    let response = app.call(Method::GET, "/api/admin/users").await;
    assert_error(response, StatusCode::UNAUTHORIZED, "missing_token").await;
}

#[tokio::test]
async fn an_admin_made_by_the_cli_lists_users_and_forces_logouts() {
    let app = spawn_app().await;
    let out = jotpass(
        &app,
        &["user", "add", "Root_Admin", "--admin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!printed.contains(PASSWORD), "the password is never echoed");

    let admin = app.login("root_admin", PASSWORD).await;
    assert_eq!(admin.user.roles, ["admin"]);
    let admin_token = admin.token.expose();
    assert_eq!(
        jwt_part(admin_token, 1)["roles"],
        serde_json::json!(["admin"])
    );
    let victim = app.new_user().await;
    let name = victim.name.clone();
    app.login_again(&victim).await;

    let response = app.admin_users(admin_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let users: Vec<Value> = response.json().await.unwrap();
    let row = users
        .iter()
        .find(|u| u["username"] == name.as_str())
        .unwrap();
    assert_eq!(row["active_sessions"], 2);
    assert!(row.get("password_hash").is_none());

    let response = app.force_logout(admin_token, victim.id()).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_error(
        app.me(victim.token()).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;
    let users: Vec<Value> = app.admin_users(admin_token).await.json().await.unwrap();
    let row = users
        .iter()
        .find(|u| u["username"] == name.as_str())
        .unwrap();
    assert_eq!(row["active_sessions"], 0);

    let response = app.force_logout(admin_token, "no-such-user").await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn a_role_change_revokes_the_users_sessions_and_takes_effect() {
    let app = spawn_app().await;
    let before = app.new_user().await;
    let name = before.name.clone();
    let out = jotpass(&app, &["user", "role", &name, "admin"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Revocation by another process reaches this server within a second.
    let mut revoked = false;
    for _ in 0..30 {
        if app.me(before.token()).await.status() == StatusCode::UNAUTHORIZED {
            revoked = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(revoked, "the role change revoked the session");
    assert_error(
        app.me(before.token()).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;

    let admin = app.login_again(&before).await;
    let response = app.admin_users(admin.token()).await;
    assert_eq!(response.status(), StatusCode::OK);

    let out = jotpass(&app, &["user", "role", &name, "none"], "");
    assert!(out.status.success());
    let again = app.login_again(&before).await;
    let response = app.admin_users(again.token()).await;
    assert_error(response, StatusCode::FORBIDDEN, "insufficient_scope").await;
}

#[tokio::test]
async fn the_cli_refuses_bad_input_with_a_clear_error() {
    let app = spawn_app().await;
    let out = jotpass(&app, &["user", "add", "weak_one"], "password\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("common"));
    let out = jotpass(&app, &["user", "role", "nobody_here", "admin"], "");
    assert!(!out.status.success());
    let out = jotpass(&app, &["user", "role", "nobody_here", "superuser"], "");
    assert!(!out.status.success());
    let out = jotpass(&app, &["frobnicate"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
}

#[tokio::test]
async fn the_cli_explains_itself_without_a_database() {
    let dir = tempfile::tempdir().unwrap();
    for (args, expected) in [
        (&["--help"][..], "user"),
        (&["user", "add", "--help"][..], "--admin"),
        (&["user", "role", "--help"][..], "none"),
        (&["--version"][..], env!("CARGO_PKG_VERSION")),
    ] {
        // An empty stdin: `user add --help` must not take --help for a name
        // and wait for a password.
        let out = run_cli(dir.path(), &[], args, "");
        assert!(out.status.success(), "{args:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains(expected), "{args:?}: {stdout}");
    }
    // Nothing was created: help needs no database.
    assert!(!dir.path().join("data").exists());
}
