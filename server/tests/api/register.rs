//! `POST /api/users` and the input rules.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_error, spawn_app, spawn_app_with, unique_name};

#[tokio::test]
async fn registering_answers_201_with_the_user_lower_cased() {
    let app = spawn_app().await;
    let response = app.register("New_User.1", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["username"], "new_user.1");
    assert_eq!(user["roles"], json!([]));
    assert!(user["id"].is_string());
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());
}

#[tokio::test]
async fn a_username_taken_in_any_case_is_409() {
    let app = spawn_app().await;
    assert_eq!(
        app.register("alice", PASSWORD).await.status(),
        StatusCode::CREATED
    );
    assert_error(
        app.register("ALICE", PASSWORD).await,
        StatusCode::CONFLICT,
        "username_taken",
    )
    .await;
}

#[tokio::test]
async fn bad_input_is_422_naming_each_field() {
    let app = spawn_app().await;
    let cases: [(&str, &str, &str); 7] = [
        ("ab", PASSWORD, "username"),
        ("has space", PASSWORD, "username"),
        ("good_name", "short", "password"),
        ("good_name", "password", "password"), // among the most common
        ("good_name", "12345678", "password"), // among the most common
        ("samename1", "SameName1", "password"), // equals the username, ignoring case
        ("good_name", &"x".repeat(129), "password"),
    ];
    for (username, password, field) in cases {
        let response = app.register(username, password).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{username}/{password}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_input");
        assert!(body["fields"][field].is_string(), "{body}");
        // The password is never echoed back ("password" is also the field's name).
        if password != "password" {
            assert!(!body.to_string().contains(password), "{body}");
        }
    }
}

#[tokio::test]
async fn password_length_counts_code_points() {
    let app = spawn_app().await;
    // 7 characters, 21 bytes: too short.
    let response = app.register(&unique_name("cp"), &"☃".repeat(7)).await;
    assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    // 128 characters, 384 bytes: fine, and used exactly (log in with it).
    let name = unique_name("cp");
    let long = "☃".repeat(128);
    assert_eq!(
        app.register(&name, &long).await.status(),
        StatusCode::CREATED
    );
    app.login(&name, &long).await;
}

#[tokio::test]
async fn passwords_are_not_trimmed() {
    let app = spawn_app().await;
    let name = unique_name("trim");
    let padded = "  spaces around me  ";
    assert_eq!(
        app.register(&name, padded).await.status(),
        StatusCode::CREATED
    );
    app.login(&name, padded).await;
    let response = app.login_response(&name, padded.trim()).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
}

#[tokio::test]
async fn missing_fields_are_422_and_broken_json_is_400() {
    let app = spawn_app().await;
    let response = app
        .request(Method::POST, "/api/users")
        .json(&json!({ "username": "someone" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert!(body["fields"]["password"].is_string());

    let response = app
        .request(Method::POST, "/api/users")
        .header("content-type", "application/json")
        .body("{\"username\":")
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn registrations_past_the_limit_are_429_until_the_window_passes() {
    let app = spawn_app_with(&[("JOTPASS_REGISTER_LIMIT", "3/1h")]).await;
    // Every attempt counts, failed ones included.
    assert_eq!(
        app.register("x", PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    for _ in 0..2 {
        assert_eq!(
            app.register(&unique_name("r"), PASSWORD).await.status(),
            StatusCode::CREATED
        );
    }
    let response = app.register(&unique_name("r"), PASSWORD).await;
    let retry_after: i64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;

    app.clock.advance(3600);
    assert_eq!(
        app.register(&unique_name("r"), PASSWORD).await.status(),
        StatusCode::CREATED
    );
}
