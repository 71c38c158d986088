//! `spawn_app()`: a real server on a free port with a fresh database, and
//! [`TestApp`], a client with one method per endpoint.

use std::sync::atomic::{AtomicU32, Ordering};

use jotpass_server::{clock::Clock, config::Config, startup::Application};
use jotpass_shared::TokenResponse;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

use super::tokens::{TEST_SECRET, jwt_part};

/// A password that passes every rule.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: Clock,
    pub database_url: String,
    pub dir: tempfile::TempDir,
}

/// A registered user and the tokens of one login.
#[derive(Debug, Clone)]
pub(crate) struct TestUser {
    pub name: String,
    pub tokens: TokenResponse,
}

impl TestUser {
    /// The access token.
    pub(crate) fn token(&self) -> &str {
        self.tokens.token.expose()
    }

    pub(crate) fn refresh_token(&self) -> &str {
        self.tokens.refresh_token.expose()
    }

    pub(crate) fn id(&self) -> &str {
        &self.tokens.user.id
    }

    /// The device token its login handed out.
    pub(crate) fn device_token(&self) -> &str {
        self.tokens
            .device_token
            .as_ref()
            .expect("a login hands out a device token")
            .expose()
    }

    /// The session id (`sid`) of the access token.
    pub(crate) fn sid(&self) -> String {
        jwt_part(self.token(), 1)["sid"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// A server with the default settings.
pub(crate) async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// A server with these settings on top of the test defaults.
pub(crate) async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(&dir).await;
    let data_dir = dir.path().join("data").display().to_string();
    let mut all: Vec<(String, String)> = vec![
        ("LEPTOS_SITE_ADDR".into(), "127.0.0.1:0".into()),
        ("DATABASE_URL".into(), database_url.clone()),
        ("JOTPASS_DATA_DIR".into(), data_dir),
        ("JOTPASS_JWT_SECRET".into(), TEST_SECRET.into()),
        // One connection: a flow that asks for a second one while it holds a
        // transaction deadlocks here at once (and answers 503), instead of
        // only when a login storm uses up a bigger pool.
        ("JOTPASS_DB_POOL_SIZE".into(), "1".into()),
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
pub(crate) fn postgres_admin_url() -> Option<String> {
    std::env::var("JOTPASS_TEST_POSTGRES")
        .ok()
        .filter(|v| !v.is_empty())
}

/// A new, empty database: a SQLite file in `dir`, or with
/// `JOTPASS_TEST_POSTGRES` set, a new PostgreSQL database.
pub(crate) async fn fresh_database_url(dir: &tempfile::TempDir) -> String {
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
pub(crate) fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The generic requests every endpoint method is made of.
impl TestApp {
    /// Runs the `jotpass` CLI on this server's database and data directory.
    pub(crate) fn cli(&self, args: &[&str], stdin: &str) -> std::process::Output {
        let data_dir = self.dir.path().join("data");
        let vars = [
            ("DATABASE_URL", self.database_url.as_str()),
            ("JOTPASS_DATA_DIR", data_dir.to_str().unwrap()),
        ];
        super::run_cli(self.dir.path(), &vars, args, stdin)
    }

    /// An admin made by the CLI, logged in.
    pub(crate) async fn new_admin(&self) -> TestUser {
        let name = unique_name("admin");
        let out = self.cli(&["user", "add", &name, "--admin"], &format!("{PASSWORD}\n"));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        TestUser {
            tokens: self.login(&name, PASSWORD).await,
            name,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// Sends a request with no body and no token.
    pub(crate) async fn call(&self, method: Method, path: &str) -> Response {
        self.request(method, path).send().await.unwrap()
    }

    /// A request carrying `token` in `x-access-token`, as the jotpass client sends it.
    pub(crate) fn authed(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.request(method, path).header("x-access-token", token)
    }

    /// Sends a request with no body, carrying `token` in `x-access-token`.
    pub(crate) async fn call_authed(&self, method: Method, path: &str, token: &str) -> Response {
        self.authed(method, path, token).send().await.unwrap()
    }

    /// Sends `body` as JSON with `token` in `x-access-token`.
    pub(crate) async fn send_authed(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> Response {
        self.authed(method, path, token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Sends `body` as JSON, with no token.
    pub(crate) async fn send(&self, method: Method, path: &str, body: &Value) -> Response {
        self.request(method, path).json(body).send().await.unwrap()
    }
}

/// One method per endpoint.
impl TestApp {
    /// `POST /api/users`.
    pub(crate) async fn register(&self, username: &str, password: &str) -> Response {
        let body = json!({ "username": username, "password": password });
        self.send(Method::POST, "/api/users", &body).await
    }

    /// `POST /api/auth/token`.
    pub(crate) async fn login_response(&self, username: &str, password: &str) -> Response {
        let body = json!({ "username": username, "password": password });
        self.send(Method::POST, "/api/auth/token", &body).await
    }

    /// `POST /api/auth/token` from the address `addr` (the server must trust
    /// `X-Forwarded-For`), presenting `device_token` when given.
    pub(crate) async fn login_from(
        &self,
        addr: &str,
        username: &str,
        password: &str,
        device_token: Option<&str>,
    ) -> Response {
        let mut body = json!({ "username": username, "password": password });
        if let Some(device_token) = device_token {
            body["device_token"] = json!(device_token);
        }
        self.request(Method::POST, "/api/auth/token")
            .header("x-forwarded-for", addr)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// A login that must succeed.
    pub(crate) async fn login(&self, username: &str, password: &str) -> TokenResponse {
        let response = self.login_response(username, password).await;
        assert_eq!(response.status(), StatusCode::OK, "login of {username}");
        response.json().await.unwrap()
    }

    /// A login of `user` that must succeed: the same user, a new session.
    pub(crate) async fn login_again(&self, user: &TestUser) -> TestUser {
        TestUser {
            name: user.name.clone(),
            tokens: self.login(&user.name, PASSWORD).await,
        }
    }

    /// `GET /api/auth/token` with `Authorization: Basic base64(username:password)`.
    pub(crate) async fn basic_login(&self, username: &str, password: &str) -> Response {
        use base64::{Engine, engine::general_purpose::STANDARD};
        let encoded = STANDARD.encode(format!("{username}:{password}"));
        self.request(Method::GET, "/api/auth/token")
            .header("authorization", format!("Basic {encoded}"))
            .send()
            .await
            .unwrap()
    }

    /// Registers a fresh user (with [`PASSWORD`]) and logs in once.
    pub(crate) async fn new_user(&self) -> TestUser {
        let name = unique_name("user");
        assert_eq!(
            self.register(&name, PASSWORD).await.status(),
            StatusCode::CREATED
        );
        let tokens = self.login(&name, PASSWORD).await;
        TestUser { name, tokens }
    }

    /// `GET /api/me`.
    pub(crate) async fn me(&self, token: &str) -> Response {
        self.call_authed(Method::GET, "/api/me", token).await
    }

    /// `POST /api/auth/refresh`.
    pub(crate) async fn refresh(&self, refresh_token: &str) -> Response {
        let body = json!({ "refresh_token": refresh_token });
        self.send(Method::POST, "/api/auth/refresh", &body).await
    }

    /// `POST /api/auth/logout`.
    pub(crate) async fn logout(&self, token: &str) -> Response {
        self.call_authed(Method::POST, "/api/auth/logout", token)
            .await
    }

    /// `PUT /api/me/password`.
    pub(crate) async fn change_password(&self, token: &str, current: &str, new: &str) -> Response {
        let body = json!({ "current_password": current, "new_password": new });
        self.send_authed(Method::PUT, "/api/me/password", token, &body)
            .await
    }

    /// `DELETE /api/me`.
    pub(crate) async fn delete_account(&self, token: &str, password: &str) -> Response {
        let body = json!({ "password": password });
        self.send_authed(Method::DELETE, "/api/me", token, &body)
            .await
    }

    /// `GET /api/sessions`, which must succeed.
    pub(crate) async fn sessions(&self, token: &str) -> Vec<Value> {
        let response = self.call_authed(Method::GET, "/api/sessions", token).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// `DELETE /api/sessions/{id}`.
    pub(crate) async fn delete_session(&self, token: &str, id: &str) -> Response {
        self.call_authed(Method::DELETE, &format!("/api/sessions/{id}"), token)
            .await
    }

    /// `DELETE /api/sessions`.
    pub(crate) async fn delete_other_sessions(&self, token: &str) -> Response {
        self.call_authed(Method::DELETE, "/api/sessions", token)
            .await
    }

    /// `POST /api/notes`.
    pub(crate) async fn create_note(&self, token: &str, title: &str, body: &str) -> Response {
        let note = json!({ "title": title, "body": body });
        self.send_authed(Method::POST, "/api/notes", token, &note)
            .await
    }

    /// `GET /api/notes`, which must succeed.
    pub(crate) async fn notes(&self, token: &str) -> Vec<Value> {
        let response = self.call_authed(Method::GET, "/api/notes", token).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// `GET /api/notes/{id}`.
    pub(crate) async fn note(&self, token: &str, id: &str) -> Response {
        self.call_authed(Method::GET, &format!("/api/notes/{id}"), token)
            .await
    }

    /// `PUT /api/notes/{id}`.
    pub(crate) async fn update_note(
        &self,
        token: &str,
        id: &str,
        title: &str,
        body: &str,
    ) -> Response {
        let note = json!({ "title": title, "body": body });
        self.send_authed(Method::PUT, &format!("/api/notes/{id}"), token, &note)
            .await
    }

    /// `DELETE /api/notes/{id}`.
    pub(crate) async fn delete_note(&self, token: &str, id: &str) -> Response {
        self.call_authed(Method::DELETE, &format!("/api/notes/{id}"), token)
            .await
    }

    /// `POST /api/me/totp`.
    pub(crate) async fn start_totp(&self, token: &str, password: &str) -> Response {
        let body = json!({ "password": password });
        self.send_authed(Method::POST, "/api/me/totp", token, &body)
            .await
    }

    /// `POST /api/me/totp/confirm`.
    pub(crate) async fn confirm_totp(&self, token: &str, code: &str) -> Response {
        let body = json!({ "code": code });
        self.send_authed(Method::POST, "/api/me/totp/confirm", token, &body)
            .await
    }

    /// `DELETE /api/me/totp`.
    pub(crate) async fn disable_totp(&self, token: &str, password: &str, code: &str) -> Response {
        let body = json!({ "password": password, "code": code });
        self.send_authed(Method::DELETE, "/api/me/totp", token, &body)
            .await
    }

    /// `POST /api/me/recovery-codes`.
    pub(crate) async fn regenerate_recovery_codes(
        &self,
        token: &str,
        password: &str,
        code: &str,
    ) -> Response {
        let body = json!({ "password": password, "code": code });
        self.send_authed(Method::POST, "/api/me/recovery-codes", token, &body)
            .await
    }

    /// `GET /api/me/mfa`, which must succeed.
    pub(crate) async fn mfa_status(&self, token: &str) -> Value {
        let response = self.call_authed(Method::GET, "/api/me/mfa", token).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// `POST /api/auth/mfa`.
    pub(crate) async fn finish_mfa(&self, body: &Value) -> Response {
        self.send(Method::POST, "/api/auth/mfa", body).await
    }

    /// The code an authenticator app with `secret` shows now (the server's clock).
    pub(crate) fn code_now(&self, secret: &str) -> String {
        super::totp_code(secret, self.clock.now())
    }

    /// Turns TOTP on for `user`: the secret (base32) and the recovery codes.
    /// The clock then moves past the step of the confirming code, so that
    /// the next code is not a replay.
    pub(crate) async fn turn_on_totp(&self, user: &TestUser) -> (String, Vec<String>) {
        let response = self.start_totp(user.token(), PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        let enrolment: Value = response.json().await.unwrap();
        let secret = enrolment["secret"].as_str().unwrap().to_owned();
        let response = self
            .confirm_totp(user.token(), &self.code_now(&secret))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let codes: Value = response.json().await.unwrap();
        self.clock.advance(30);
        let codes = codes["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        (secret, codes)
    }

    /// The `mfa_token` of a password login of `name` (TOTP on).
    pub(crate) async fn mfa_token(&self, name: &str) -> String {
        let response = self.login_response(name, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "mfa_required");
        body["mfa_token"].as_str().unwrap().to_owned()
    }

    /// `POST /api/me/passkeys/options`.
    pub(crate) async fn passkey_options(&self, token: &str, password: &str) -> Response {
        let body = json!({ "password": password });
        self.send_authed(Method::POST, "/api/me/passkeys/options", token, &body)
            .await
    }

    /// `POST /api/me/passkeys`.
    pub(crate) async fn add_passkey(
        &self,
        token: &str,
        ceremony: &str,
        name: &str,
        credential: &Value,
    ) -> Response {
        let body = json!({ "ceremony": ceremony, "name": name, "credential": credential });
        self.send_authed(Method::POST, "/api/me/passkeys", token, &body)
            .await
    }

    /// `GET /api/me/passkeys`, which must succeed.
    pub(crate) async fn passkeys(&self, token: &str) -> Vec<Value> {
        let response = self
            .call_authed(Method::GET, "/api/me/passkeys", token)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// `DELETE /api/me/passkeys/{id}`.
    pub(crate) async fn remove_passkey(&self, token: &str, id: &str, password: &str) -> Response {
        let body = json!({ "password": password });
        let path = format!("/api/me/passkeys/{id}");
        self.send_authed(Method::DELETE, &path, token, &body).await
    }

    /// `POST /api/auth/passkey/options`, which must succeed: (ceremony, options).
    pub(crate) async fn passkey_login_options(&self) -> (String, Value) {
        let response = self
            .send(Method::POST, "/api/auth/passkey/options", &json!({}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        (
            body["ceremony"].as_str().unwrap().to_owned(),
            body["options"].clone(),
        )
    }

    /// `POST /api/auth/passkey`.
    pub(crate) async fn passkey_login(&self, ceremony: &str, credential: &Value) -> Response {
        let body = json!({ "ceremony": ceremony, "credential": credential });
        self.send(Method::POST, "/api/auth/passkey", &body).await
    }

    /// Registers a new passkey of `alg` for `user`: the software passkey and its id.
    pub(crate) async fn register_passkey(
        &self,
        user: &TestUser,
        alg: super::Alg,
    ) -> (super::SoftPasskey, String) {
        let response = self.passkey_options(user.token(), PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        let options: Value = response.json().await.unwrap();
        let (passkey, credential) =
            super::SoftPasskey::create(&options["options"], alg, &super::Answer::honest());
        let ceremony = options["ceremony"].as_str().unwrap();
        let response = self
            .add_passkey(user.token(), ceremony, "My laptop", &credential)
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{alg:?}");
        let created: Value = response.json().await.unwrap();
        (passkey, created["id"].as_str().unwrap().to_owned())
    }

    /// `GET /api/admin/users`.
    pub(crate) async fn admin_users(&self, token: &str) -> Response {
        self.call_authed(Method::GET, "/api/admin/users", token)
            .await
    }

    /// `PUT /api/me/email`.
    pub(crate) async fn set_email(&self, token: &str, email: &str, password: &str) -> Response {
        let body = json!({ "email": email, "password": password });
        self.send_authed(Method::PUT, "/api/me/email", token, &body)
            .await
    }

    /// `POST /api/auth/verify-email`.
    pub(crate) async fn verify_email(&self, token: &str) -> Response {
        let body = json!({ "token": token });
        self.send(Method::POST, "/api/auth/verify-email", &body)
            .await
    }

    /// `POST /api/auth/password-reset`.
    pub(crate) async fn request_reset(&self, login: &str) -> Response {
        let body = json!({ "login": login });
        self.send(Method::POST, "/api/auth/password-reset", &body)
            .await
    }

    /// `POST /api/auth/password-reset/confirm`, `extra` merged into the body
    /// (`code`, `recovery_code`).
    pub(crate) async fn confirm_reset(
        &self,
        token: &str,
        new_password: &str,
        extra: &Value,
    ) -> Response {
        let mut body = json!({ "token": token, "new_password": new_password });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        self.send(Method::POST, "/api/auth/password-reset/confirm", &body)
            .await
    }

    /// `GET /api/me/activity` with `query` (`""` or `?limit=…`): the events.
    pub(crate) async fn activity(&self, token: &str, query: &str) -> Response {
        self.call_authed(Method::GET, &format!("/api/me/activity{query}"), token)
            .await
    }

    /// The kinds of the caller's newest events, newest first.
    pub(crate) async fn activity_kinds(&self, token: &str) -> Vec<String> {
        let response = self.activity(token, "").await;
        assert_eq!(response.status(), StatusCode::OK);
        let events: Vec<Value> = response.json().await.unwrap();
        events
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect()
    }

    /// `GET /api/admin/users/{id}/activity`.
    pub(crate) async fn admin_activity(&self, token: &str, user_id: &str) -> Response {
        let path = format!("/api/admin/users/{user_id}/activity");
        self.call_authed(Method::GET, &path, token).await
    }

    /// `DELETE /api/admin/users/{id}/sessions`.
    pub(crate) async fn force_logout(&self, token: &str, user_id: &str) -> Response {
        let path = format!("/api/admin/users/{user_id}/sessions");
        self.call_authed(Method::DELETE, &path, token).await
    }
}
