//! `spawn_app()` and a small client for the API tests.

use std::sync::atomic::{AtomicU32, Ordering};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jotpass_server::{clock::Clock, config::Config, startup::Application};
use jotpass_shared::{ErrorBody, TokenResponse};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

/// The HS256 secret every test server uses, so tests can forge tokens.
pub const TEST_SECRET: &str = "test-secret-for-jotpass-api-tests-0123456789";

/// A password that passes every rule.
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: Clock,
    pub database_url: String,
    pub dir: tempfile::TempDir,
}

/// A server with the default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// A server with these settings on top of the test defaults.
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(&dir).await;
    let data_dir = dir.path().join("data").display().to_string();
    let mut all: Vec<(String, String)> = vec![
        ("LEPTOS_SITE_ADDR".into(), "127.0.0.1:0".into()),
        ("DATABASE_URL".into(), database_url.clone()),
        ("JOTPASS_DATA_DIR".into(), data_dir),
        ("JOTPASS_JWT_SECRET".into(), TEST_SECRET.into()),
    ];
    all.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let config = Config::from_lookup(|name| {
        all.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    })
    .expect("test config");
    let clock = Clock::default();
    let app = Application::build(config, clock.clone())
        .await
        .expect("app builds");
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        base,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        clock,
        database_url,
        dir,
    }
}

/// The admin URL of the throwaway PostgreSQL that `scripts/test` starts, when
/// the suite runs against PostgreSQL.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("JOTPASS_TEST_POSTGRES")
        .ok()
        .filter(|v| !v.is_empty())
}

/// A new, empty database: a SQLite file in `dir`, or with
/// `JOTPASS_TEST_POSTGRES` set, a new PostgreSQL database.
pub async fn fresh_database_url(dir: &tempfile::TempDir) -> String {
    let Some(admin) = postgres_admin_url() else {
        return format!("sqlite://{}/jotpass.db", dir.path().display());
    };
    use sqlx::Connection;
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("PostgreSQL answers");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').unwrap().0;
    format!("{base}/{name}")
}

/// A username no other test uses.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// Sends a request with no body and no token.
    pub async fn call(&self, method: Method, path: &str) -> Response {
        self.request(method, path).send().await.unwrap()
    }

    /// Sends a request with no body, carrying `token` in `x-access-token`.
    pub async fn call_authed(&self, method: Method, path: &str, token: &str) -> Response {
        self.authed(method, path, token).send().await.unwrap()
    }

    /// A request carrying `token` in `x-access-token`, as the jotpass client sends it.
    pub fn authed(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.request(method, path).header("x-access-token", token)
    }

    pub async fn register(&self, username: &str, password: &str) -> Response {
        self.request(Method::POST, "/api/users")
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap()
    }

    pub async fn login_response(&self, username: &str, password: &str) -> Response {
        self.request(Method::POST, "/api/auth/token")
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, username: &str, password: &str) -> TokenResponse {
        let response = self.login_response(username, password).await;
        assert_eq!(response.status(), StatusCode::OK, "login of {username}");
        response.json().await.unwrap()
    }

    /// Registers a fresh user and logs in once.
    pub async fn new_user(&self) -> (String, TokenResponse) {
        let name = unique_name("user");
        assert_eq!(
            self.register(&name, PASSWORD).await.status(),
            StatusCode::CREATED
        );
        let tokens = self.login(&name, PASSWORD).await;
        (name, tokens)
    }

    pub async fn me(&self, token: &str) -> Response {
        self.authed(Method::GET, "/api/me", token)
            .send()
            .await
            .unwrap()
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.request(Method::POST, "/api/auth/refresh")
            .json(&json!({ "refresh_token": refresh_token }))
            .send()
            .await
            .unwrap()
    }
}

/// The JWK Set a server at `base` publishes.
pub async fn fetch_jwks(client: &reqwest::Client, base: &str) -> Value {
    client
        .get(format!("{base}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Asserts the status and the error code of a JSON error response; returns
/// the response's `WWW-Authenticate` (if any) for further checks.
pub async fn assert_error(response: Response, status: StatusCode, code: &str) -> Option<String> {
    assert_eq!(response.status(), status, "status for expected {code}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: ErrorBody = response.json().await.expect("an error body");
    assert_eq!(
        serde_json::to_value(body.error).unwrap(),
        json!(code),
        "message: {}",
        body.message
    );
    assert!(!body.message.is_empty());
    challenge
}

/// Decodes a JWT part (header or claims) without checking anything.
pub fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// Signs `header` and `claims` with the test secret: a token the server's key
/// really signed, so that only the property under test is wrong.
pub fn forge(header: &Value, claims: &Value) -> String {
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let c = URL_SAFE_NO_PAD.encode(claims.to_string());
    let sig = jsonwebtoken::crypto::sign(
        format!("{h}.{c}").as_bytes(),
        &jsonwebtoken::EncodingKey::from_secret(TEST_SECRET.as_bytes()),
        jsonwebtoken::Algorithm::HS256,
    )
    .unwrap();
    format!("{h}.{c}.{sig}")
}

/// Starts the real `jotpass` binary in `dir` with `vars` (and nothing
/// inherited but PATH) on a free port; answers the child and its base URL
/// once it listens.
pub fn start_process(
    dir: &std::path::Path,
    vars: &[(&str, &str)],
) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jotpass"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .envs(vars.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the server printed a listening line")
            .unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

/// SIGTERM, then wait.
pub fn stop_process(child: &mut std::process::Child) -> std::process::ExitStatus {
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap()
}

/// Runs `jotpass` with `args` against `database_url`, `stdin` on its input.
pub fn run_cli(
    dir: &std::path::Path,
    vars: &[(&str, &str)],
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jotpass"))
        .args(args)
        .current_dir(dir)
        .envs(vars.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}
