//! `/api/me`: reading the account, changing the password, deleting it.

use jotpass_shared::TokenResponse;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_error, jwt_part, spawn_app, spawn_app_with};

#[tokio::test]
async fn me_returns_the_user() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let response = app.me(user.token()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["username"], user.name);
    assert_eq!(body["id"], json!(user.id()));
}

#[tokio::test]
async fn changing_the_password_rotates_this_session_and_revokes_the_others() {
    let app = spawn_app().await;
    let here = app.new_user().await;
    let elsewhere = app.login_again(&here).await;
    let new_password = "a different long passphrase";
    let response = app
        .change_password(here.token(), PASSWORD, new_password)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let rotated: TokenResponse = response.json().await.unwrap();
    assert_eq!(jwt_part(rotated.token.expose(), 1)["sid"], here.sid());
    assert_ne!(rotated.refresh_token.expose(), here.refresh_token());

    // This session: the old access token keeps working, the new pair works.
    assert_eq!(app.me(here.token()).await.status(), StatusCode::OK);
    assert_eq!(
        app.me(rotated.token.expose()).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.refresh(rotated.refresh_token.expose()).await.status(),
        StatusCode::OK
    );
    // The previous refresh token of this session is no longer known.
    assert_error(
        app.refresh(here.refresh_token()).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    // Other sessions are revoked.
    assert_error(
        app.me(elsewhere.token()).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;
    // Only the new password logs in.
    assert_error(
        app.login_response(&here.name, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    app.login(&here.name, new_password).await;
}

#[tokio::test]
async fn a_wrong_current_password_is_401_and_counts_as_a_failed_login() {
    let app = spawn_app_with(&[("JOTPASS_LOGIN_LIMIT", "2/5m")]).await;
    let user = app.new_user().await;
    for _ in 0..2 {
        let response = app
            .change_password(user.token(), "not my password", "a new long passphrase")
            .await;
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    let response = app
        .change_password(user.token(), PASSWORD, "a new long passphrase")
        .await;
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_error(
        app.login_response(&user.name, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn a_bad_new_password_is_422() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    for bad in ["short", "password1", user.name.as_str()] {
        let response = app.change_password(user.token(), PASSWORD, bad).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert!(body["fields"]["new_password"].is_string());
    }
}

#[tokio::test]
async fn deleting_the_account_needs_the_password_and_removes_everything() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let note = app.create_note(user.token(), "t", "b").await;
    assert_eq!(note.status(), StatusCode::CREATED);

    let response = app.delete_account(user.token(), "wrong password!").await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

    let response = app.delete_account(user.token(), PASSWORD).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_error(
        app.me(user.token()).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    assert_error(
        app.login_response(&user.name, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    // The name is free again, and the new account sees no old notes.
    assert_eq!(
        app.register(&user.name, PASSWORD).await.status(),
        StatusCode::CREATED
    );
    let fresh = app.login(&user.name, PASSWORD).await;
    assert!(app.notes(fresh.token.expose()).await.is_empty());
}
