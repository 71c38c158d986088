//! Administrators: made only by the `jotpass` command, checked on every call.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, assert_error, jwt_part, run_cli, spawn_app};

/// Runs the real `jotpass` binary against the test server's database.
fn jotpass(app: &TestApp, args: &[&str], stdin: &str) -> std::process::Output {
    let data_dir = app.dir.path().join("data");
    let vars = [
        ("DATABASE_URL", app.database_url.as_str()),
        ("JOTPASS_DATA_DIR", data_dir.to_str().unwrap()),
    ];
    run_cli(app.dir.path(), &vars, args, stdin)
}

#[tokio::test]
async fn a_plain_user_gets_403_insufficient_scope() {
    let app = spawn_app().await;
    let (_, tokens) = app.new_user().await;
    let response = app
        .call_authed(Method::GET, "/api/admin/users", &tokens.token)
        .await;
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
    assert_eq!(
        jwt_part(&admin.token, 1)["roles"],
        serde_json::json!(["admin"])
    );
    let (name, victim) = app.new_user().await;
    app.login(&name, PASSWORD).await;

    let response = app
        .call_authed(Method::GET, "/api/admin/users", &admin.token)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let users: Vec<Value> = response.json().await.unwrap();
    let row = users
        .iter()
        .find(|u| u["username"] == name.as_str())
        .unwrap();
    assert_eq!(row["active_sessions"], 2);
    assert!(row.get("password_hash").is_none());

    let path = format!("/api/admin/users/{}/sessions", victim.user.id);
    let response = app.call_authed(Method::DELETE, &path, &admin.token).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_error(
        app.me(&victim.token).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;
    let users: Vec<Value> = app
        .call_authed(Method::GET, "/api/admin/users", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    let row = users
        .iter()
        .find(|u| u["username"] == name.as_str())
        .unwrap();
    assert_eq!(row["active_sessions"], 0);

    let response = app
        .call_authed(
            Method::DELETE,
            "/api/admin/users/no-such-user/sessions",
            &admin.token,
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn a_role_change_revokes_the_users_sessions_and_takes_effect() {
    let app = spawn_app().await;
    let (name, before) = app.new_user().await;
    let out = jotpass(&app, &["user", "role", &name, "admin"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Revocation by another process reaches this server within a second.
    let mut revoked = false;
    for _ in 0..30 {
        if app.me(&before.token).await.status() == StatusCode::UNAUTHORIZED {
            revoked = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(revoked, "the role change revoked the session");
    assert_error(
        app.me(&before.token).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;

    let admin = app.login(&name, PASSWORD).await;
    let response = app
        .call_authed(Method::GET, "/api/admin/users", &admin.token)
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let out = jotpass(&app, &["user", "role", &name, "none"], "");
    assert!(out.status.success());
    let again = app.login(&name, PASSWORD).await;
    let response = app
        .call_authed(Method::GET, "/api/admin/users", &again.token)
        .await;
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
