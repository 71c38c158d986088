//! The pages as the server renders them, before any WASM has run: every
//! form posts (so nothing lands in a URL), and a form posted before the app
//! has hydrated gets its page again with a notice, the username kept and
//! nothing else of the body, in no log line either.

use std::io::Read;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app, start_process_logged, stop_process};

/// The pages with forms, and what a browser would post from them.
const FORM_PAGES: [&str; 4] = ["/login", "/register", "/account", "/notes"];

const POSTED_NOTICE: &str = "The page was still loading, so nothing was done. Please try again.";

#[tokio::test]
async fn every_form_posts_to_its_page_and_its_button_waits_for_the_app() {
    let app = spawn_app().await;
    for path in ["/login", "/register"] {
        let html = app
            .request(Method::GET, path)
            .header("accept", "text/html")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let forms: Vec<&str> = html.split("<form").skip(1).collect();
        assert_eq!(forms.len(), 1, "{path}: {html}");
        for form in forms {
            let open = form.split('>').next().unwrap();
            assert!(open.contains(r#"method="post""#), "{path}: <form{open}>");
            assert!(
                open.contains(&format!(r#"action="{path}""#)),
                "{path}: <form{open}>"
            );
            let button = form.split("<button").nth(1).unwrap();
            let button = button.split('>').next().unwrap();
            assert!(button.contains("disabled"), "{path}: <button{button}>");
        }
        assert!(html.contains("still loading"), "{path}: the explanation");
    }
}

#[tokio::test]
async fn a_form_posted_before_hydration_gets_its_page_again_with_only_the_username() {
    let app = spawn_app().await;
    let secret = "P0sted-before-hydration";
    for path in FORM_PAGES {
        let response = app
            .request(Method::POST, path)
            .header("accept", "text/html")
            .form(&[
                ("username", "alice_b"),
                ("password", secret),
                ("current-password", secret),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers().clone();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert!(headers.contains_key("content-security-policy"), "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains(POSTED_NOTICE), "{path}: {html}");
        assert!(html.contains(r#"data-username="alice_b""#), "{path}");
        assert!(!html.contains(secret), "{path}: a secret came back");
    }
    // Only a valid username is kept; anything else is dropped, not echoed.
    let html = app
        .request(Method::POST, "/login")
        .form(&[("username", "<b>not a name</b>"), ("password", secret)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(POSTED_NOTICE));
    assert!(!html.contains("data-username") && !html.contains("not a name"));
    // A GET page carries no notice.
    let html = app.call(Method::GET, "/login").await.text().await.unwrap();
    assert!(!html.contains(POSTED_NOTICE));
}

#[tokio::test]
async fn no_log_line_holds_a_posted_field() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, url, log) = start_process_logged(dir.path(), &[("RUST_LOG", "debug")]);
    let secret = "L0gged-never-hunter2";
    let client = reqwest::Client::new();
    for path in FORM_PAGES {
        let response = client
            .post(format!("{url}{path}"))
            .form(&[("username", "logcheck"), ("password", secret)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert!(stop_process(&mut server).success());
    let lines = log.lock().unwrap().clone();
    assert!(
        lines.iter().any(|l| l.contains("/login")),
        "the requests were logged"
    );
    for line in &lines {
        assert!(!line.contains(secret), "{line}");
        assert!(!line.contains("logcheck"), "{line}");
    }
}

#[tokio::test]
async fn pages_are_compressed_for_a_browser_that_accepts_it_and_api_answers_never() {
    let app = spawn_app().await;
    let response = app
        .request(Method::GET, "/login")
        .header("accept", "text/html")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-encoding"], "gzip");
    let vary: Vec<_> = headers.get_all("vary").iter().collect();
    assert!(
        vary.iter()
            .any(|v| v.to_str().unwrap().contains("accept-encoding")),
        "{vary:?}"
    );
    // The security headers are still there, and the body is the page.
    let csp = headers["content-security-policy"].to_str().unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    let compressed = response.bytes().await.unwrap();
    let mut html = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut html)
        .unwrap();
    assert!(compressed.len() < html.len());
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{html}");
    assert!(html.contains("<form"), "{html}");

    // A token answer holds secrets beside what the request sent: never
    // compressed (BREACH), whatever the client accepts.
    let user = app.new_user().await;
    let login = app
        .request(Method::POST, "/api/auth/token")
        .header("accept-encoding", "gzip, br")
        .json(&json!({ "username": user.name, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    assert!(login.headers().get("content-encoding").is_none());
    let body: serde_json::Value = login.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    let me = app
        .authed(Method::GET, "/api/me", token)
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert!(me.headers().get("content-encoding").is_none());
}
