//! The activity log (API.md, "Activity"): what happened to an account, with
//! address and user agent, newest first, paged; the admin's view; retention.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, TestUser, assert_error, eventually, spawn_app, spawn_app_with, totp_code,
};

async fn events(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let response = app.activity(token, query).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Logs in with a user agent and an address of our choosing (the server
/// trusts `X-Forwarded-For`).
async fn login_as(
    app: &TestApp,
    name: &str,
    password: &str,
    ua: &str,
    ip: &str,
) -> reqwest::Response {
    app.request(Method::POST, "/api/auth/token")
        .header("user-agent", ua)
        .header("x-forwarded-for", ip)
        .json(&json!({ "username": name, "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn logins_failures_and_changes_are_recorded_with_address_and_user_agent() {
    let app = spawn_app_with(&[("JOTPASS_TRUST_PROXY", "true")]).await;
    let user = app.new_user().await;
    let response = login_as(
        &app,
        &user.name,
        "not the password",
        "Firefox/133.0 (Linux)",
        "192.0.2.10",
    )
    .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let response = login_as(
        &app,
        &user.name,
        PASSWORD,
        "Firefox/133.0 (Linux)",
        "192.0.2.10",
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    let token = tokens["token"].as_str().unwrap().to_owned();
    let response = app
        .change_password(&token, PASSWORD, "a changed passphrase")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    let token = tokens["token"].as_str().unwrap().to_owned();

    let log = events(&app, &token, "").await;
    let kinds: Vec<&str> = log.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["password_changed", "login", "login_failed", "login"],
        "newest first"
    );
    let failed = &log[2];
    assert_eq!(failed["ip"], "192.0.2.10");
    assert_eq!(failed["user_agent"], "Firefox/133.0 (Linux)");
    assert_eq!(failed["session_id"], json!(null));
    let login = &log[1];
    let sid = crate::helpers::jwt_part(&token, 1)["sid"].clone();
    assert_eq!(login["session_id"], sid, "the session the login started");
    assert_eq!(log[0]["session_id"], sid);
    // Ids grow; times are RFC 3339.
    let ids: Vec<i64> = log.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    assert!(
        time::OffsetDateTime::parse(
            log[0]["at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok()
    );
    // Nothing secret is in the log.
    let text = serde_json::to_string(&log).unwrap();
    for secret in [
        PASSWORD,
        "not the password",
        "a changed passphrase",
        &token,
        user.refresh_token(),
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // Only the user's own: another user sees none of it.
    let other = app.new_user().await;
    let theirs = events(&app, other.token(), "").await;
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_error(
        app.activity("", "").await,
        StatusCode::UNAUTHORIZED,
        "missing_token",
    )
    .await;
}

#[tokio::test]
async fn sessions_factors_and_theft_are_recorded() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let second = app.login_again(&user).await;
    let third = app.login_again(&user).await;

    // Refresh-token theft: a spent token presented after the grace period.
    let response = app.refresh(third.refresh_token()).await;
    assert_eq!(response.status(), StatusCode::OK);
    app.clock.advance(11);
    assert_error(
        app.refresh(third.refresh_token()).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;

    assert_eq!(
        app.delete_session(user.token(), &second.sid())
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let (secret, _) = app.turn_on_totp(&user).await;
    let response = app
        .regenerate_recovery_codes(user.token(), PASSWORD, &totp_code(&secret, app.clock.now()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    app.clock.advance(30);
    let wrong = app.disable_totp(user.token(), PASSWORD, "000000").await;
    assert_error(wrong, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let code = totp_code(&secret, app.clock.now());
    assert_eq!(
        app.disable_totp(user.token(), PASSWORD, &code)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let (_, passkey_id) = app
        .register_passkey(&user, crate::helpers::Alg::Es256)
        .await;
    assert_eq!(
        app.remove_passkey(user.token(), &passkey_id, PASSWORD)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.logout(user.token()).await.status(),
        StatusCode::NO_CONTENT
    );

    let fresh = app.login_again(&user).await;
    let kinds = app.activity_kinds(fresh.token()).await;
    assert_eq!(
        kinds,
        [
            "login",
            "logout",
            "passkey_removed",
            "passkey_added",
            "totp_disabled",
            "mfa_failed",
            "recovery_codes_regenerated",
            "totp_enabled",
            "session_revoked",
            "refresh_reuse",
            "login",
            "login",
            "login",
        ]
    );
}

#[tokio::test]
async fn a_passkey_login_and_a_second_step_failure_are_recorded() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (mut passkey, _) = app
        .register_passkey(&user, crate::helpers::Alg::Es256)
        .await;
    let (ceremony, options) = app.passkey_login_options().await;
    let credential = passkey.get(&options, &crate::helpers::Answer::honest());
    let response = app.passkey_login(&ceremony, &credential).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (secret, _) = app.turn_on_totp(&user).await;
    let mfa_token = app.mfa_token(&user.name).await;
    let response = app
        .finish_mfa(&json!({ "mfa_token": mfa_token, "code": "000000" }))
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let response = app
        .finish_mfa(&json!({ "mfa_token": mfa_token, "code": totp_code(&secret, app.clock.now()) }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    let kinds = app.activity_kinds(tokens["token"].as_str().unwrap()).await;
    assert_eq!(
        kinds[..4],
        ["login", "mfa_failed", "totp_enabled", "passkey_login"],
        "{kinds:?}"
    );
}

#[tokio::test]
async fn the_log_is_paged_with_before_and_limit() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    for _ in 0..6 {
        app.login_again(&user).await;
    }
    let all = events(&app, user.token(), "").await;
    assert_eq!(all.len(), 7);
    let first = events(&app, user.token(), "?limit=3").await;
    assert_eq!(first, all[..3]);
    let before = first[2]["id"].as_i64().unwrap();
    let second = events(&app, user.token(), &format!("?before={before}&limit=3")).await;
    assert_eq!(second, all[3..6]);
    let before = second[2]["id"].as_i64().unwrap();
    let rest = events(&app, user.token(), &format!("?before={before}")).await;
    assert_eq!(rest, all[6..]);
    assert_eq!(events(&app, user.token(), "?limit=100").await.len(), 7);

    for bad in [
        "?limit=0",
        "?limit=101",
        "?limit=ten",
        "?before=x",
        "?limit=-1",
    ] {
        let response = app.activity(user.token(), bad).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    }
}

#[tokio::test]
async fn an_admin_sees_a_users_activity_even_after_the_account_is_deleted() {
    let app = spawn_app().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let admin_token = admin.token();

    let response = app.admin_activity(user.token(), user.id()).await;
    assert_error(response, StatusCode::FORBIDDEN, "insufficient_scope").await;

    assert_eq!(
        app.force_logout(admin_token, user.id()).await.status(),
        StatusCode::NO_CONTENT
    );
    let user = app.login_again(&user).await;
    let out = app.cli(&["user", "role", &user.name, "admin"], "");
    assert!(out.status.success());
    let user = app.login_again(&user).await;
    assert_eq!(
        app.delete_account(user.token(), PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );

    let response = app.admin_activity(admin_token, user.id()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let log: Vec<Value> = response.json().await.unwrap();
    let kinds: Vec<&str> = log.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "account_deleted",
            "login",
            "role_changed",
            "login",
            "force_logout",
            "login"
        ]
    );
    let response = app
        .call_authed(
            Method::GET,
            &format!("/api/admin/users/{}/activity?limit=2", user.id()),
            admin_token,
        )
        .await;
    let page: Vec<Value> = response.json().await.unwrap();
    assert_eq!(page, log[..2]);

    for unknown in ["00000000-0000-4000-8000-000000000000", "not-an-id"] {
        let response = app.admin_activity(admin_token, unknown).await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
}

#[tokio::test]
async fn events_older_than_the_retention_are_deleted() {
    let app = spawn_app_with(&[("JOTPASS_ACTIVITY_RETENTION", "1d")]).await;
    let user: TestUser = app.new_user().await;
    assert_eq!(app.activity_kinds(user.token()).await, ["login"]);
    // The clock moves two days on: the worker deletes the old event (it
    // prunes every minute of the clock; this clock jumps).
    app.clock.advance(2 * 86_400);
    let user = app.login_again(&user).await;
    let pruned = eventually(10, || async {
        app.activity_kinds(user.token()).await == ["login"]
    })
    .await;
    assert!(pruned, "{:?}", app.activity_kinds(user.token()).await);
}
