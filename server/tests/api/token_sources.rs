//! Where the access token may be sent, which places are on, and conflicts.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{assert_error, spawn_app, spawn_app_with};

#[tokio::test]
async fn header_bearer_and_form_work_by_default() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let t = user.token();

    assert_eq!(app.me(t).await.status(), StatusCode::OK);
    let response = app
        .request(Method::GET, "/api/me")
        .header("authorization", format!("Bearer {t}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .request(Method::GET, "/api/me")
        .header("authorization", format!("bearer {t}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the scheme is case-insensitive"
    );

    // The form source, on a route that takes no body of its own.
    let response = app
        .request(Method::POST, "/api/auth/logout")
        .form(&[("access_token", t)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_error(app.me(t).await, StatusCode::UNAUTHORIZED, "token_revoked").await;
}

#[tokio::test]
async fn a_query_token_is_refused_by_default_naming_the_source_on_every_route() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    for path in ["/api/me", "/healthz", "/api/nope"] {
        let response = app
            .call(
                Method::GET,
                &format!("{path}?access_token={}", user.token()),
            )
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("query parameter access_token")
        );
        assert!(!body.to_string().contains(user.token()));
    }
}

#[tokio::test]
async fn the_query_source_works_when_enabled() {
    let app = spawn_app_with(&[("JOTPASS_TOKEN_SOURCES", "header,bearer,form,query")]).await;
    let user = app.new_user().await;
    let response = app
        .call(
            Method::GET,
            &format!("/api/me?access_token={}", user.token()),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn each_disabled_source_is_400() {
    let app = spawn_app_with(&[("JOTPASS_TOKEN_SOURCES", "query")]).await;
    let user = app.new_user().await;
    let t = user.token();
    let header = app.me(t).await;
    assert_error(header, StatusCode::BAD_REQUEST, "invalid_request").await;
    let bearer = app
        .request(Method::GET, "/api/me")
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    assert_error(bearer, StatusCode::BAD_REQUEST, "invalid_request").await;
    let form = app
        .request(Method::POST, "/api/auth/logout")
        .form(&[("access_token", t)])
        .send()
        .await
        .unwrap();
    assert_error(form, StatusCode::BAD_REQUEST, "invalid_request").await;
    let query = app
        .call(Method::GET, &format!("/api/me?access_token={t}"))
        .await;
    assert_eq!(query.status(), StatusCode::OK);
}

#[tokio::test]
async fn two_tokens_in_one_request_are_400_even_when_equal() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let t = user.token();
    let response = app
        .authed(Method::GET, "/api/me", t)
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = app
        .authed(Method::GET, "/api/me", t)
        .header("x-access-token", t)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = app
        .authed(Method::POST, "/api/auth/logout", t)
        .form(&[("access_token", t)])
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn empty_values_count_as_absent() {
    let app = spawn_app().await;
    let response = app.call_authed(Method::GET, "/api/me", "").await;
    let challenge = assert_error(response, StatusCode::UNAUTHORIZED, "missing_token").await;
    assert_eq!(challenge.as_deref(), Some(r#"Bearer realm="jotpass""#));
    // An empty query value is absent, not a disabled source.
    let response = app.call(Method::GET, "/api/me?access_token=").await;
    assert_error(response, StatusCode::UNAUTHORIZED, "missing_token").await;
    let response = app
        .request(Method::GET, "/api/me")
        .header("authorization", "Bearer ")
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "missing_token").await;
}

#[tokio::test]
async fn a_public_route_ignores_a_bad_token() {
    let app = spawn_app().await;
    let response = app.call_authed(Method::GET, "/healthz", "garbage").await;
    assert_eq!(response.status(), StatusCode::OK);
    let name = crate::helpers::unique_name("pub");
    let response = app
        .authed(Method::POST, "/api/users", "garbage.token.here")
        .json(&serde_json::json!({ "username": name, "password": crate::helpers::PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}
