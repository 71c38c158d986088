//! A sweep of hostile input through the real server: random bytes, broken
//! and absurd JSON, NUL and lone surrogates, invalid UTF-8 in headers,
//! absurd lengths, huge tokens. Never a 5xx, never a hang, and under `/api`
//! always our JSON error body.

use std::time::Duration;

use proptest::{
    strategy::{Strategy, ValueTree},
    test_runner::TestRunner,
};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{TestApp, spawn_app};

/// Every route that takes a body, and whether it needs a token.
const BODY_ROUTES: [(&str, &str, bool); 7] = [
    ("POST", "/api/users", false),
    ("POST", "/api/auth/token", false),
    ("POST", "/api/auth/refresh", false),
    ("POST", "/api/notes", true),
    ("PUT", "/api/me/password", true),
    ("DELETE", "/api/me", true),
    // A page: an early form post, answered with the page (never a 5xx).
    ("POST", "/login", false),
];

/// Sends `body` as `content_type` to every body route and checks the answer.
async fn sweep(app: &TestApp, token: &str, content_type: &str, body: Vec<u8>, what: &str) {
    for (method, path, authed) in BODY_ROUTES {
        let method: Method = method.parse().unwrap();
        let mut request = app
            .request(method.clone(), path)
            .header("content-type", content_type)
            .timeout(Duration::from_secs(10))
            .body(body.clone());
        if authed {
            request = request.header("x-access-token", token);
        }
        let response = request.send().await.expect("an answer, not a hang");
        assert_answered(response, &format!("{what}: {method} {path}")).await;
    }
}

/// Below 500, and a JSON error body for any error.
async fn assert_answered(response: reqwest::Response, what: &str) {
    let status = response.status();
    assert!(status.as_u16() < 500, "{what}: {status}");
    if !status.is_success() {
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(
            content_type.starts_with("application/json"),
            "{what}: {content_type}"
        );
        let body: Value = response.json().await.expect("a JSON error body");
        assert!(
            body["error"].is_string() && body["message"].is_string(),
            "{what}: {body}"
        );
    }
}

#[tokio::test]
async fn random_bytes_and_broken_json_are_answered_with_our_errors() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let mut runner = TestRunner::deterministic();
    let bytes = proptest::collection::vec(proptest::num::u8::ANY, 0..300);
    for case in 0..40 {
        let body = bytes.new_tree(&mut runner).unwrap().current();
        for content_type in ["application/json", "application/x-www-form-urlencoded"] {
            sweep(
                &app,
                user.token(),
                content_type,
                body.clone(),
                &format!("random {case}"),
            )
            .await;
        }
    }
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let cases: Vec<(&str, String)> = vec![
        ("10,000-deep array", deep),
        ("10,000-deep object", deep_object),
        (
            "a huge number",
            r#"{"username":1e999999,"password":"x"}"#.into(),
        ),
        (
            "a huge integer",
            format!(r#"{{"title":{}}}"#, "9".repeat(5000)),
        ),
        (
            "a NUL",
            r#"{"username":"a\u0000b","password":"a\u0000b","title":"\u0000","body":"\u0000"}"#
                .into(),
        ),
        (
            "a lone surrogate",
            r#"{"username":"\ud800","password":"\udfff x","title":"\ud800"}"#.into(),
        ),
        ("truncated", r#"{"username":"#.into()),
        (
            "the wrong types",
            r#"{"username":[],"password":{},"title":null,"refresh_token":7}"#.into(),
        ),
        (
            "duplicate keys",
            r#"{"username":"a","username":"b","password":"c"}"#.into(),
        ),
        ("not an object", r#""just a string""#.into()),
        (
            "invalid UTF-8",
            String::from_utf8_lossy(&[0x7b, 0xff, 0xfe, 0x7d]).into_owned(),
        ),
    ];
    for (what, body) in cases {
        sweep(
            &app,
            user.token(),
            "application/json",
            body.into_bytes(),
            what,
        )
        .await;
    }
    // Invalid UTF-8 as raw bytes (the case above was made valid by lossy).
    sweep(
        &app,
        user.token(),
        "application/json",
        vec![b'{', 0xff, 0xfe, b'}'],
        "raw invalid UTF-8",
    )
    .await;
    // The user survived all of it.
    assert_eq!(app.me(user.token()).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn hostile_headers_and_huge_tokens_are_answered_with_our_errors() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    for (name, value) in [
        ("x-access-token", vec![0xff, 0xfe, b'a']),
        ("authorization", b"Bearer \xff\xfe".to_vec()),
        ("authorization", b"Basic \xff\xfe".to_vec()),
        ("x-forwarded-for", vec![0xff; 20]),
        ("user-agent", vec![0xc3, 0x28]),
        ("x-device-token", vec![0xff]),
    ] {
        let value = reqwest::header::HeaderValue::from_bytes(&value).unwrap();
        for path in ["/api/me", "/api/auth/token", "/healthz"] {
            let response = app
                .request(Method::GET, path)
                .header(name, value.clone())
                .send()
                .await
                .unwrap();
            assert_answered(response, &format!("{name} on {path}")).await;
        }
    }
    for size in [4 * 1024, 60 * 1024] {
        let huge = format!(
            "{}.{}.{}",
            "a".repeat(size),
            "b".repeat(size),
            "c".repeat(10)
        );
        let response = app.me(&huge).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_answered(response, "a huge token").await;
        let response = app.refresh(&"r".repeat(size)).await;
        assert_answered(response, "a huge refresh token").await;
    }
    assert_eq!(app.me(user.token()).await.status(), StatusCode::OK);
}

/// Sends raw bytes on a fresh connection; the answer's status line, or
/// `None` if the server closed it without one. Never waits past 12 s.
async fn raw(app: &TestApp, request: &[u8]) -> Option<String> {
    let addr = app.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(12), stream.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "no hang: {}",
        String::from_utf8_lossy(request)
    );
    let answer = String::from_utf8_lossy(&answer).into_owned();
    answer
        .lines()
        .next()
        .map(str::to_owned)
        .filter(|l| !l.is_empty())
}

#[tokio::test]
async fn absurd_lengths_and_broken_request_lines_never_get_a_5xx_or_hang() {
    let app = spawn_app().await;
    for request in [
        &b"POST /api/notes HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\nConnection: close\r\n\r\n{}"[..],
        b"POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\nConnection: close\r\n\r\n{}",
        b"POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\nConnection: close\r\n\r\n",
        b"POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\nConnection: close\r\n\r\nabcde",
        b"GET /api/notes/\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /api/me?access_token=%ff%fe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"BREW /api/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage that is a TLS hello\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
    ] {
        if let Some(status_line) = raw(&app, request).await {
            let status: u16 = status_line
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            assert!(
                (100..500).contains(&status),
                "{status_line} for {}",
                String::from_utf8_lossy(request)
            );
        }
    }
    // Still serving.
    assert_eq!(
        app.call(Method::GET, "/livez").await.status(),
        StatusCode::OK
    );
}
