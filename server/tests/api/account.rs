//! `/api/me`: reading the account, changing the password, deleting it.

use jotpass_shared::TokenResponse;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_error, jwt_part, spawn_app, spawn_app_with};

#[tokio::test]
async fn me_returns_the_user() {
    let app = spawn_app().await;
    let (name, tokens) = app.new_user().await;
    let response = app.me(&tokens.token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["username"], name);
    assert_eq!(user["id"], json!(tokens.user.id));
}

async fn change_password(
    app: &crate::helpers::TestApp,
    token: &str,
    current: &str,
    new: &str,
) -> reqwest::Response {
    app.authed(Method::PUT, "/api/me/password", token)
        .json(&json!({ "current_password": current, "new_password": new }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn changing_the_password_rotates_this_session_and_revokes_the_others() {
    let app = spawn_app().await;
    let (name, here) = app.new_user().await;
    let elsewhere = app.login(&name, PASSWORD).await;
    let new_password = "a different long passphrase";
    let response = change_password(&app, &here.token, PASSWORD, new_password).await;
    assert_eq!(response.status(), StatusCode::OK);
    let rotated: TokenResponse = response.json().await.unwrap();
    assert_eq!(
        jwt_part(&rotated.token, 1)["sid"],
        jwt_part(&here.token, 1)["sid"]
    );
    assert_ne!(rotated.refresh_token, here.refresh_token);

    // This session: the old access token keeps working, the new pair works.
    assert_eq!(app.me(&here.token).await.status(), StatusCode::OK);
    assert_eq!(app.me(&rotated.token).await.status(), StatusCode::OK);
    assert_eq!(
        app.refresh(&rotated.refresh_token).await.status(),
        StatusCode::OK
    );
    // The previous refresh token of this session is no longer known.
    assert_error(
        app.refresh(&here.refresh_token).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    // Other sessions are revoked.
    assert_error(
        app.me(&elsewhere.token).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;
    // Only the new password logs in.
    assert_error(
        app.login_response(&name, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    app.login(&name, new_password).await;
}

#[tokio::test]
async fn a_wrong_current_password_is_401_and_counts_as_a_failed_login() {
    let app = spawn_app_with(&[("JOTPASS_LOGIN_LIMIT", "2/5m")]).await;
    let (name, tokens) = app.new_user().await;
    for _ in 0..2 {
        let response = change_password(
            &app,
            &tokens.token,
            "not my password",
            "a new long passphrase",
        )
        .await;
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    let response = change_password(&app, &tokens.token, PASSWORD, "a new long passphrase").await;
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_error(
        app.login_response(&name, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn a_bad_new_password_is_422() {
    let app = spawn_app().await;
    let (name, tokens) = app.new_user().await;
    for bad in ["short", "password1", name.as_str()] {
        let response = change_password(&app, &tokens.token, PASSWORD, bad).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert!(body["fields"]["new_password"].is_string());
    }
}

#[tokio::test]
async fn deleting_the_account_needs_the_password_and_removes_everything() {
    let app = spawn_app().await;
    let (name, tokens) = app.new_user().await;
    let note = app
        .authed(Method::POST, "/api/notes", &tokens.token)
        .json(&json!({ "title": "t", "body": "b" }))
        .send()
        .await
        .unwrap();
    assert_eq!(note.status(), StatusCode::CREATED);

    let response = app
        .authed(Method::DELETE, "/api/me", &tokens.token)
        .json(&json!({ "password": "wrong password!" }))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

    let response = app
        .authed(Method::DELETE, "/api/me", &tokens.token)
        .json(&json!({ "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_error(
        app.me(&tokens.token).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    assert_error(
        app.login_response(&name, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    // The name is free again, and the new account sees no old notes.
    assert_eq!(
        app.register(&name, PASSWORD).await.status(),
        StatusCode::CREATED
    );
    let fresh = app.login(&name, PASSWORD).await;
    let notes: Vec<Value> = app
        .call_authed(Method::GET, "/api/notes", &fresh.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(notes.is_empty());
}
