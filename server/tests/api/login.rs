//! Logging in: `POST` (JSON and form) and `GET` with Basic, and the limits.

use jotpass_shared::TokenResponse;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{PASSWORD, assert_error, jwt_part, spawn_app, spawn_app_with, unique_name};

#[tokio::test]
async fn a_login_answers_a_token_response_with_every_claim() {
    let app = spawn_app().await;
    let name = unique_name("Login");
    assert_eq!(
        app.register(&name, PASSWORD).await.status(),
        StatusCode::CREATED
    );
    // Usernames are case-insensitive at login too.
    let response = app.login_response(&name.to_uppercase(), PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["refresh_token"].as_str().unwrap().len() >= 43);
    assert_eq!(body["user"]["username"], name.to_lowercase());

    let token = body["token"].as_str().unwrap();
    let header = jwt_part(token, 0);
    assert_eq!(header["alg"], "HS256");
    assert_eq!(header["typ"], "JWT");
    assert!(header["kid"].is_string());
    let claims = jwt_part(token, 1);
    assert_eq!(claims["iss"], "jotpass");
    assert_eq!(claims["aud"], "jotpass-api");
    assert_eq!(claims["sub"], body["user"]["id"]);
    assert_eq!(claims["name"], name.to_lowercase());
    assert_eq!(claims["roles"], serde_json::json!([]));
    assert!(claims["jti"].is_string() && claims["sid"].is_string());
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(claims["nbf"].as_i64().unwrap(), iat);
    // Seconds, not milliseconds; the default lifetime is 15 minutes.
    assert_eq!(exp - iat, 900);
    assert_eq!(body["expires"].as_i64().unwrap(), exp);
    assert_eq!(body["refresh_expires"].as_i64().unwrap() - iat, 7 * 86_400);
}

#[tokio::test]
async fn a_form_encoded_login_works() {
    let app = spawn_app().await;
    let name = unique_name("form");
    app.register(&name, PASSWORD).await;
    let response = app
        .request(Method::POST, "/api/auth/token")
        .form(&[("username", name.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: TokenResponse = response.json().await.unwrap();
    assert_eq!(app.me(tokens.token.expose()).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    let name = unique_name("same");
    app.register(&name, PASSWORD).await;
    let wrong = app.login_response(&name, "not the password").await;
    let unknown = app.login_response("nobody-here", "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get("www-authenticate").is_none());
    let (wrong, unknown): (Value, Value) =
        (wrong.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["error"], "invalid_credentials");
}

#[tokio::test]
async fn basic_auth_on_get_logs_in_and_challenges_on_failure() {
    let app = spawn_app().await;
    let name = unique_name("basic");
    // A colon in the password is fine: only the first one separates.
    let password = "pass:word:with colons";
    app.register(&name, password).await;
    let response = app.basic_login(&name, password).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: TokenResponse = response.json().await.unwrap();
    assert_eq!(app.me(tokens.token.expose()).await.status(), StatusCode::OK);

    let response = app.basic_login(&name, "wrong password").await;
    let challenge = assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    assert_eq!(
        challenge.as_deref(),
        Some(r#"Basic realm="jotpass", charset="UTF-8""#)
    );

    let response = app.call(Method::GET, "/api/auth/token").await;
    let challenge = assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    assert!(challenge.unwrap().starts_with("Basic "));
}

#[tokio::test]
async fn the_sixth_attempt_is_429_even_with_the_right_password_until_the_window_passes() {
    let app = spawn_app().await;
    let name = unique_name("limited");
    app.register(&name, PASSWORD).await;
    for _ in 0..5 {
        let response = app.login_response(&name, "wrong password!").await;
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    let response = app.login_response(&name, PASSWORD).await;
    let retry_after: i64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&retry_after), "{retry_after}");
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;

    app.clock.advance(301);
    app.login(&name, PASSWORD).await;
}

#[tokio::test]
async fn a_success_does_not_reset_the_count() {
    let app = spawn_app_with(&[("JOTPASS_LOGIN_LIMIT", "3/5m")]).await;
    let name = unique_name("noreset");
    app.register(&name, PASSWORD).await;
    app.login_response(&name, "wrong password!").await;
    app.login_response(&name, "wrong password!").await;
    app.login(&name, PASSWORD).await;
    app.login_response(&name, "wrong password!").await;
    let response = app.login_response(&name, PASSWORD).await;
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn failures_count_per_address_across_usernames() {
    let app = spawn_app_with(&[("JOTPASS_LOGIN_LIMIT", "3/5m")]).await;
    let name = unique_name("victim");
    app.register(&name, PASSWORD).await;
    for i in 0..3 {
        app.login_response(&format!("someone{i}"), "wrong password!")
            .await;
    }
    // Same address, a username with no failures of its own.
    let response = app.login_response(&name, PASSWORD).await;
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn the_address_comes_from_x_forwarded_for_only_when_trusted() {
    let app = spawn_app_with(&[
        ("JOTPASS_LOGIN_LIMIT", "2/5m"),
        ("JOTPASS_TRUST_PROXY", "true"),
    ])
    .await;
    let name = unique_name("proxied");
    app.register(&name, PASSWORD).await;
    for i in 0..2 {
        app.request(Method::POST, "/api/auth/token")
            .header("x-forwarded-for", "203.0.113.7")
            .json(
                &serde_json::json!({ "username": format!("x{i}"), "password": "wrong password!" }),
            )
            .send()
            .await
            .unwrap();
    }
    let from = |addr: &'static str| {
        app.request(Method::POST, "/api/auth/token")
            .header("x-forwarded-for", addr)
            .json(&serde_json::json!({ "username": name, "password": PASSWORD }))
            .send()
    };
    assert_eq!(
        from("203.0.113.7").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(from("198.51.100.1").await.unwrap().status(), StatusCode::OK);

    // Untrusted: the header is ignored and the socket address counts.
    let app = spawn_app_with(&[("JOTPASS_LOGIN_LIMIT", "2/5m")]).await;
    for i in 0..2 {
        app.request(Method::POST, "/api/auth/token")
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .json(
                &serde_json::json!({ "username": format!("y{i}"), "password": "wrong password!" }),
            )
            .send()
            .await
            .unwrap();
    }
    let response = app.login_response("whoever", "wrong password!").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}
