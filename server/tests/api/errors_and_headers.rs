//! Statuses outside the handlers (404, 405, 413, 415), health, and the
//! headers every response carries.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, spawn_app, spawn_app_with};

#[tokio::test]
async fn health_is_ok_and_jwks_is_404_under_hs256() {
    let app = spawn_app().await;
    let response = app.call(Method::GET, "/livez").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "status": "ok" })
    );
    let response = app.call(Method::GET, "/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "status": "ok" })
    );
    let response = app.call(Method::GET, "/.well-known/jwks.json").await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_answer_json() {
    let app = spawn_app().await;
    for path in ["/api/nope", "/api", "/.well-known/nope"] {
        let response = app.call(Method::GET, path).await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    // A non-browser client gets JSON for an unknown page path too.
    let response = app.call(Method::GET, "/no/such/page").await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app.call(Method::DELETE, "/api/users").await;
    assert_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    let response = app.call(Method::PATCH, "/api/notes").await;
    assert_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}

#[tokio::test]
async fn a_browser_gets_the_apps_not_found_page_with_a_csp() {
    let app = spawn_app().await;
    let response = app
        .request(Method::GET, "/no/such/page")
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(response.headers().contains_key("content-security-policy"));
}

#[tokio::test]
async fn a_body_over_64_kib_is_413_before_authentication() {
    let app = spawn_app().await;
    let big = "x".repeat(64 * 1024 + 1);
    let response = app
        .request(Method::POST, "/api/notes")
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    // Without a Content-Length (chunked), the limit holds while reading.
    let chunks: Vec<Result<String, std::io::Error>> = vec![Ok(big.clone())];
    let response = app
        .request(Method::POST, "/api/users")
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    // Exactly 64 KiB is read (and then judged on its content).
    let response = app
        .request(Method::POST, "/api/users")
        .header("content-type", "application/json")
        .body(" ".repeat(64 * 1024))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn a_route_that_takes_a_body_answers_415_to_other_types() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    // (path, Content-Type or none, body, with the access token)
    let cases = [
        ("/api/notes", Some("text/plain"), r#"{"title":"t"}"#, true),
        ("/api/notes", None, r#"{"title":"t"}"#, true),
        // Registration takes JSON only, not a form.
        (
            "/api/users",
            Some("application/x-www-form-urlencoded"),
            "username=x",
            false,
        ),
        // Login and refresh take JSON or a form, nothing else.
        (
            "/api/auth/token",
            Some("text/plain"),
            "username=a&password=b",
            false,
        ),
        ("/api/auth/token", None, "", false),
        ("/api/auth/refresh", Some("text/plain"), "x", false),
    ];
    for (path, content_type, body, authed) in cases {
        let mut request = if authed {
            app.authed(Method::POST, path, user.token())
        } else {
            app.request(Method::POST, path)
        };
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.body(body).send().await.unwrap();
        assert_error(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
    }
}

#[tokio::test]
async fn api_responses_carry_no_store_and_every_response_the_security_headers() {
    let app = spawn_app().await;
    for (path, api) in [
        ("/api/me", true),
        ("/api/nope", true),
        ("/healthz", false),
        ("/", false),
    ] {
        let response = app.call(Method::GET, path).await;
        let h = response.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        if api {
            assert_eq!(h["cache-control"], "no-store", "{path}");
        }
    }
}

#[tokio::test]
async fn pages_carry_a_csp_whose_nonce_matches_the_inline_scripts() {
    let app = spawn_app().await;
    let response = app
        .request(Method::GET, "/")
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = response.text().await.unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the CSP");
    // Every inline script in the page carries that nonce.
    let inline_scripts = html.matches("<script").count();
    assert!(inline_scripts > 0);
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{html}");
    for tag in html.split("<script").skip(1) {
        let open = tag.split('>').next().unwrap();
        assert!(
            open.contains("src=") || open.contains(nonce),
            "script without nonce: <script{open}>"
        );
    }
}

/// The `Access-Control-Allow-Origin` answered to a `GET /healthz` from `origin`.
async fn allowed_origin(app: &TestApp, origin: &str) -> Option<String> {
    let response = app
        .request(Method::GET, "/healthz")
        .header("origin", origin)
        .send()
        .await
        .unwrap();
    response
        .headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn cors_is_same_origin_unless_origins_are_listed() {
    let app = spawn_app().await;
    assert_eq!(allowed_origin(&app, "https://evil.example").await, None);
    // With no origin listed there is no CORS layer: no header of it on any
    // answer (pages and static files included), and a preflight is refused.
    for path in ["/login", "/pkg/jotpass.css", "/api/me", "/healthz"] {
        let response = app.request(Method::GET, path).send().await.unwrap();
        let headers = response.headers();
        assert!(
            headers
                .keys()
                .all(|name| !name.as_str().starts_with("access-control-")),
            "{path}: {headers:?}"
        );
        assert!(
            headers
                .get_all("vary")
                .iter()
                .all(|v| !v.to_str().unwrap().contains("origin")),
            "{path}: {headers:?}"
        );
    }
    let preflight = app
        .request(Method::OPTIONS, "/api/me")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(!preflight.status().is_success(), "{}", preflight.status());
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    let app = spawn_app_with(&[("JOTPASS_CORS_ORIGINS", "https://app.example")]).await;
    let response = app
        .request(Method::OPTIONS, "/api/me")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "x-access-token")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    assert_eq!(allowed_origin(&app, "https://evil.example").await, None);
}

#[tokio::test]
async fn every_page_renders_on_the_server() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/login",
        "/register",
        "/notes",
        "/notes/some-id",
        "/sessions",
        "/account",
        "/admin",
        "/activity",
        "/forgot",
        "/reset",
        "/verify-email",
    ] {
        let response = app
            .request(Method::GET, path)
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            response.headers().contains_key("content-security-policy"),
            "{path}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains("<main>"), "{path}: {html}");
        // So that browsers do not ask for /favicon.ico (a 404 page).
        assert!(
            html.contains(r#"<link rel="icon" href="data:,">"#),
            "{path}: {html}"
        );
    }
}

#[tokio::test]
async fn an_id_that_is_not_an_id_is_the_same_404_as_an_unknown_one() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    // Not UTF-8 once percent-decoded, a NUL, or simply not an id.
    for id in ["%ff%fe", "%00", "a%00b", "..", "no-such-thing"] {
        for (method, path) in [
            (Method::GET, format!("/api/notes/{id}")),
            (Method::PUT, format!("/api/notes/{id}")),
            (Method::DELETE, format!("/api/notes/{id}")),
            (Method::DELETE, format!("/api/sessions/{id}")),
        ] {
            let response = app
                .authed(method.clone(), &path, user.token())
                .json(&json!({ "title": "t", "body": "b" }))
                .send()
                .await
                .unwrap();
            assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
        }
    }
}

#[tokio::test]
async fn text_a_database_would_refuse_is_422_on_every_backend() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    for (title, body, field) in [("a\u{0}b", "", "title"), ("ok", "x\u{0}", "body")] {
        let response = app.create_note(user.token(), title, body).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let error: Value = response.json().await.unwrap();
        assert!(error["fields"][field].is_string(), "{error}");
    }
    // A NUL in a login name is an unknown user, not a database error.
    let response = app.login_response("ali\u{0}ce", "whatever password").await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let response = app.register("ali\u{0}ce", "whatever password").await;
    assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
}
