//! `/api/notes`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, spawn_app};

/// A note that must be created.
async fn create(app: &TestApp, token: &str, title: &str, body: &str) -> Value {
    let response = app.create_note(token, title, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

#[tokio::test]
async fn notes_can_be_created_listed_read_updated_and_deleted() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let t = user.token();
    let first = create(&app, t, "First", "one").await;
    let second = create(&app, t, "Second", "").await;
    assert!(first["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(first["created_at"], first["updated_at"]);

    let list = app.notes(t).await;
    let titles: Vec<&str> = list.iter().map(|n| n["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Second", "First"], "newest first");

    let id = first["id"].as_str().unwrap();
    let got: Value = app.note(t, id).await.json().await.unwrap();
    assert_eq!(got, first);

    app.clock.advance(5);
    let response = app.update_note(t, id, "First, edited", "two").await;
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["title"], "First, edited");
    assert_eq!(updated["created_at"], first["created_at"]);
    assert_ne!(updated["updated_at"], first["updated_at"]);

    let response = app.delete_note(t, id).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.note(t, id).await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(app.notes(t).await, [second]);
}

#[tokio::test]
async fn another_users_note_is_404_for_every_method() {
    let app = spawn_app().await;
    let owner = app.new_user().await;
    let other = app.new_user().await;
    let note = create(&app, owner.token(), "Mine", "secret").await;
    let path = format!("/api/notes/{}", note["id"].as_str().unwrap());
    for method in [Method::GET, Method::PUT, Method::DELETE] {
        let response = app
            .authed(method.clone(), &path, other.token())
            .json(&json!({ "title": "stolen", "body": "" }))
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    assert!(app.notes(other.token()).await.is_empty());
    // Untouched for its owner.
    let mine: Value = app
        .call_authed(Method::GET, &path, owner.token())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["title"], "Mine");
}

#[tokio::test]
async fn note_lengths_count_code_points() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let t = user.token();
    create(&app, t, &"é".repeat(200), &"é".repeat(20_000)).await;
    for (title, body, field) in [
        (String::new(), String::new(), "title"),
        ("é".repeat(201), String::new(), "title"),
        ("ok".to_owned(), "é".repeat(20_001), "body"),
    ] {
        let response = app.create_note(t, &title, &body).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let error: Value = response.json().await.unwrap();
        assert!(error["fields"][field].is_string(), "{error}");
    }
}

#[tokio::test]
async fn notes_need_a_token() {
    let app = spawn_app().await;
    let response = app.call(Method::GET, "/api/notes").await;
    assert_error(response, StatusCode::UNAUTHORIZED, "missing_token").await;
}
