//! `/api/sessions` and logout.

use reqwest::{Method, StatusCode};

use crate::helpers::{PASSWORD, TestUser, assert_error, jwt_part, spawn_app};

#[tokio::test]
async fn sessions_are_listed_newest_first_with_the_current_one_marked() {
    let app = spawn_app().await;
    let first = app.new_user().await;
    let second = app
        .request(Method::POST, "/api/auth/token")
        .header("user-agent", format!("TestBrowser/{}", "x".repeat(300)))
        .json(&serde_json::json!({ "username": first.name, "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json::<jotpass_shared::TokenResponse>()
        .await
        .unwrap();
    let list = app.sessions(first.token()).await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], jwt_part(second.token.expose(), 1)["sid"]);
    assert_eq!(list[0]["current"], false);
    assert_eq!(list[1]["current"], true);
    assert_eq!(list[0]["user_agent"].as_str().unwrap().chars().count(), 256);
    assert!(list[0]["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(list[0]["last_used_at"].is_string());
    assert_eq!(list[0]["expires"].as_u64().unwrap(), second.refresh_expires);
}

#[tokio::test]
async fn deleting_a_session_revokes_it_and_another_users_is_404() {
    let app = spawn_app().await;
    let first = app.new_user().await;
    let second = app.login_again(&first).await;
    let stranger = app.new_user().await;
    let sid = second.sid();

    let response = app.delete_session(stranger.token(), &sid).await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;

    let response = app.delete_session(first.token(), &sid).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_error(
        app.me(second.token()).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;
    assert_eq!(app.sessions(first.token()).await.len(), 1);

    // Revoked or unknown sessions are 404.
    for id in [sid.as_str(), "no-such-session"] {
        let response = app.delete_session(first.token(), id).await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
}

#[tokio::test]
async fn deleting_the_current_session_is_a_logout() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let response = app.delete_session(user.token(), &user.sid()).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_error(
        app.me(user.token()).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;
}

#[tokio::test]
async fn signing_out_other_sessions_keeps_only_this_one() {
    let app = spawn_app().await;
    let keep = app.new_user().await;
    let others: [TestUser; 2] = [app.login_again(&keep).await, app.login_again(&keep).await];
    let response = app.delete_other_sessions(keep.token()).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for other in &others {
        assert_error(
            app.me(other.token()).await,
            StatusCode::UNAUTHORIZED,
            "token_revoked",
        )
        .await;
    }
    assert_eq!(app.me(keep.token()).await.status(), StatusCode::OK);
    let list = app.sessions(keep.token()).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["current"], true);
}

#[tokio::test]
async fn logout_revokes_only_its_own_session_and_needs_a_token() {
    let app = spawn_app().await;
    let first = app.new_user().await;
    let second = app.login_again(&first).await;
    let response = app.logout(first.token()).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_error(
        app.me(first.token()).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;
    assert_eq!(app.me(second.token()).await.status(), StatusCode::OK);

    let response = app.call(Method::POST, "/api/auth/logout").await;
    assert_error(response, StatusCode::UNAUTHORIZED, "missing_token").await;
}
