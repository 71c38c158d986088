//! Refresh tokens: rotation, the grace period, theft, one winner, endings.

use jotpass_shared::TokenResponse;
use reqwest::{Method, StatusCode};

use crate::helpers::{
    PASSWORD, TestApp, TestUser, assert_error, jwt_part, spawn_app, spawn_app_with,
};

#[tokio::test]
async fn a_refresh_rotates_the_token_and_keeps_the_session() {
    let app = spawn_app().await;
    let first = app.new_user().await;
    app.clock.advance(5);
    let response = app.refresh(first.refresh_token()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second: TokenResponse = response.json().await.unwrap();
    assert_ne!(second.refresh_token.expose(), first.refresh_token());
    assert_ne!(second.token.expose(), first.token());
    assert_eq!(jwt_part(second.token.expose(), 1)["sid"], first.sid());
    // The session's end is fixed at login: refreshing does not extend it.
    assert_eq!(second.refresh_expires, first.tokens.refresh_expires);
    // Both access tokens work: earlier ones live until they expire.
    assert_eq!(app.me(first.token()).await.status(), StatusCode::OK);
    assert_eq!(app.me(second.token.expose()).await.status(), StatusCode::OK);
    // And the new refresh token works in turn.
    assert_eq!(
        app.refresh(second.refresh_token.expose()).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_unknown_refresh_token_is_invalid_token_without_a_challenge() {
    let app = spawn_app().await;
    for token in ["not-a-refresh-token", ""] {
        let response = app.refresh(token).await;
        let challenge = assert_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
        assert_eq!(challenge, None, "{token:?}");
    }
}

/// A user whose first refresh token was spent just now (on a frozen clock,
/// for tests that stand on exact second boundaries), and the refresh's answer.
async fn spent_once(app: &TestApp) -> (TestUser, TokenResponse) {
    app.clock.freeze();
    let first = app.new_user().await;
    let response = app.refresh(first.refresh_token()).await;
    assert_eq!(response.status(), StatusCode::OK);
    (first, response.json().await.unwrap())
}

#[tokio::test]
async fn a_token_presented_again_within_10_seconds_answers_the_same_successor_while_it_is_unspent()
{
    let app = spawn_app().await;
    let (first, second) = spent_once(&app).await;
    app.clock.advance(10);
    // A retry (the answer was lost): the same successor, a fresh access token.
    let response = app.refresh(first.refresh_token()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let retried: TokenResponse = response.json().await.unwrap();
    assert_eq!(retried.refresh_token, second.refresh_token);
    assert_eq!(retried.refresh_expires, second.refresh_expires);
    assert_ne!(retried.token, second.token);
    assert_eq!(
        retried.device_token, None,
        "a refresh hands out no device token"
    );
    assert_eq!(
        app.me(retried.token.expose()).await.status(),
        StatusCode::OK
    );

    // Once the successor is spent, the old token is refused, and the session lives.
    let third: TokenResponse = app
        .refresh(second.refresh_token.expose())
        .await
        .json()
        .await
        .unwrap();
    let response = app.refresh(first.refresh_token()).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    assert_eq!(app.me(third.token.expose()).await.status(), StatusCode::OK);
    assert_eq!(
        app.refresh(third.refresh_token.expose()).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_token_spent_longer_ago_is_theft_and_revokes_the_session() {
    let app = spawn_app().await;
    let (first, second) = spent_once(&app).await;
    app.clock.advance(11);
    let response = app.refresh(first.refresh_token()).await;
    let challenge = assert_error(response, StatusCode::UNAUTHORIZED, "token_revoked").await;
    assert_eq!(challenge, None);
    // The whole session is gone: its access tokens and its newest refresh token.
    assert_error(
        app.me(second.token.expose()).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;
    let response = app.refresh(second.refresh_token.expose()).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "token_revoked").await;
}

#[tokio::test]
async fn of_concurrent_refreshes_with_one_token_every_answer_carries_the_one_successor() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let mut refresh_token = user.refresh_token().to_owned();
    for round in 0..5 {
        let attempts = (0..32).map(|_| app.refresh(&refresh_token));
        let responses = futures::future::join_all(attempts).await;
        let mut successors = std::collections::BTreeSet::new();
        for response in responses {
            assert_eq!(response.status(), StatusCode::OK, "round {round}");
            let tokens: TokenResponse = response.json().await.unwrap();
            assert_eq!(app.me(tokens.token.expose()).await.status(), StatusCode::OK);
            successors.insert(tokens.refresh_token.into_inner());
        }
        assert_eq!(successors.len(), 1, "round {round}: one successor");
        refresh_token = successors.pop_first().unwrap();
    }
    // The session lives, and the last successor refreshes in turn.
    assert_eq!(app.me(user.token()).await.status(), StatusCode::OK);
    assert_eq!(app.refresh(&refresh_token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_database_holds_no_usable_refresh_token() {
    let app = spawn_app().await;
    let (first, second) = spent_once(&app).await;
    let tokens = [
        first.refresh_token(),
        second.refresh_token.expose().as_str(),
    ];
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let rows: Vec<(String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT token_hash, successor_hash, successor_sealed FROM refresh_tokens")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 2);
    for (hash, successor_hash, sealed) in &rows {
        for token in tokens {
            for column in [Some(hash), successor_hash.as_ref(), sealed.as_ref()]
                .into_iter()
                .flatten()
            {
                assert!(!column.contains(token), "a token in the database");
            }
        }
    }
    // The spent token's row holds its successor only sealed.
    let spent = rows.iter().find(|r| r.2.is_some()).expect("a spent row");
    assert_ne!(spent.2.as_deref(), Some(tokens[1]));
    pool.close().await;
}

#[tokio::test]
async fn a_refresh_token_of_an_ended_session_is_token_expired() {
    let app = spawn_app_with(&[("JOTPASS_SESSION_TTL", "1h"), ("JOTPASS_ACCESS_TTL", "2h")]).await;
    // The test stands on exact second boundaries.
    app.clock.freeze();
    let user = app.new_user().await;
    // The access token never outlives its session.
    assert_eq!(user.tokens.expires, user.tokens.refresh_expires);
    app.clock.advance(3600);
    let response = app.refresh(user.refresh_token()).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "token_expired").await;
    assert_error(
        app.me(user.token()).await,
        StatusCode::UNAUTHORIZED,
        "token_expired",
    )
    .await;
}

#[tokio::test]
async fn a_refresh_token_of_a_revoked_session_is_token_revoked() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    app.logout(user.token()).await;
    let response = app.refresh(user.refresh_token()).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "token_revoked").await;

    // Revoked by a password change elsewhere.
    let other = app.login_again(&user).await;
    let here = app.login_again(&user).await;
    let response = app
        .change_password(here.token(), PASSWORD, "a brand new passphrase")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app.refresh(other.refresh_token()).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "token_revoked").await;
}

#[tokio::test]
async fn refresh_accepts_a_form_body() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let response = app
        .request(Method::POST, "/api/auth/refresh")
        .form(&[("refresh_token", user.refresh_token())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
