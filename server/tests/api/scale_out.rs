//! Several server processes on one PostgreSQL database (run by
//! `scripts/test`, which starts PostgreSQL; ignored by a plain `cargo test`).

use std::{
    process::Child,
    time::{Duration, Instant},
};

use jotpass_shared::TokenResponse;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TEST_SECRET, fetch_jwks, jwt_part, run_cli, start_process, stop_process, unique_name,
};

/// Three `jotpass` processes sharing one fresh PostgreSQL database.
struct Cluster {
    urls: Vec<String>,
    children: Vec<Child>,
    database_url: String,
    dir: tempfile::TempDir,
    client: reqwest::Client,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            stop_process(child);
        }
    }
}

const KEK: &str = "a-key-encryption-key-shared-by-the-cluster";

async fn cluster(vars: &[(&str, &str)]) -> Cluster {
    assert!(
        crate::helpers::postgres_admin_url().is_some(),
        "set JOTPASS_TEST_POSTGRES (scripts/test does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let database_url = crate::helpers::fresh_database_url(&dir).await;
    let mut all = vec![
        ("DATABASE_URL", database_url.as_str()),
        ("JOTPASS_JWT_SECRET", TEST_SECRET),
        ("JOTPASS_KEY_ENCRYPTION_KEY", KEK),
    ];
    all.extend_from_slice(vars);
    let mut urls = Vec::new();
    let mut children = Vec::new();
    for i in 0..3 {
        // Each process has a folder of its own: nothing is shared but the database
        // and the settings, as on separate machines.
        let own = dir.path().join(format!("node{i}"));
        std::fs::create_dir_all(&own).unwrap();
        let (child, url) = start_process(&own, &all);
        children.push(child);
        urls.push(url);
    }
    Cluster {
        urls,
        children,
        database_url,
        dir,
        client: reqwest::Client::new(),
    }
}

impl Cluster {
    async fn register(&self, node: usize, name: &str) {
        let response = self
            .client
            .post(format!("{}/api/users", self.urls[node]))
            .json(&json!({ "username": name, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    }

    async fn login(&self, node: usize, name: &str, password: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/api/auth/token", self.urls[node]))
            .json(&json!({ "username": name, "password": password }))
            .send()
            .await
            .unwrap()
    }

    async fn me(&self, node: usize, token: &str) -> StatusCode {
        self.client
            .get(format!("{}/api/me", self.urls[node]))
            .header("x-access-token", token)
            .send()
            .await
            .unwrap()
            .status()
    }

    async fn refresh(&self, node: usize, refresh_token: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/api/auth/refresh", self.urls[node]))
            .json(&json!({ "refresh_token": refresh_token }))
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL: scripts/test runs it with JOTPASS_TEST_POSTGRES"]
async fn a_logout_through_one_process_is_refused_by_the_others_within_a_second() {
    let c = cluster(&[]).await;
    let name = unique_name("cluster");
    c.register(0, &name).await;
    let tokens: TokenResponse = c.login(0, &name, PASSWORD).await.json().await.unwrap();
    for node in 0..3 {
        assert_eq!(
            c.me(node, tokens.token.expose()).await,
            StatusCode::OK,
            "node {node}"
        );
    }
    let logout = c
        .client
        .post(format!("{}/api/auth/logout", c.urls[2]))
        .header("x-access-token", tokens.token.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let logged_out = Instant::now();
    for node in [0, 1] {
        loop {
            let status = c.me(node, tokens.token.expose()).await;
            if status == StatusCode::UNAUTHORIZED {
                break;
            }
            assert!(
                logged_out.elapsed() < Duration::from_secs(1),
                "node {node} still accepts the token after a second"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL: scripts/test runs it with JOTPASS_TEST_POSTGRES"]
async fn two_processes_racing_one_refresh_token_both_answer_the_one_successor() {
    let c = cluster(&[]).await;
    let name = unique_name("race");
    c.register(0, &name).await;
    for _ in 0..5 {
        let tokens: TokenResponse = c.login(0, &name, PASSWORD).await.json().await.unwrap();
        let (a, b) = tokio::join!(
            c.refresh(0, tokens.refresh_token.expose()),
            c.refresh(1, tokens.refresh_token.expose())
        );
        assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
        let (a, b): (TokenResponse, TokenResponse) =
            (a.json().await.unwrap(), b.json().await.unwrap());
        assert_eq!(a.refresh_token, b.refresh_token, "one successor");
        assert_eq!(
            c.me(2, tokens.token.expose()).await,
            StatusCode::OK,
            "the session lives"
        );
        assert_eq!(c.me(2, b.token.expose()).await, StatusCode::OK);
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL: scripts/test runs it with JOTPASS_TEST_POSTGRES"]
async fn failed_logins_spread_over_processes_are_still_limited() {
    let c = cluster(&[("JOTPASS_LOGIN_LIMIT", "3/5m")]).await;
    let name = unique_name("spread");
    c.register(0, &name).await;
    for node in 0..3 {
        let response = c.login(node, &name, "not the password").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "node {node}");
    }
    for node in 0..3 {
        let response = c.login(node, &name, PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "node {node}"
        );
        assert!(response.headers().contains_key("retry-after"));
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL: scripts/test runs it with JOTPASS_TEST_POSTGRES"]
async fn after_a_key_rotation_every_process_and_the_example_verifier_accept_old_and_new_tokens() {
    let c = cluster(&[("JOTPASS_JWT_ALG", "EdDSA")]).await;
    let name = unique_name("rotate");
    c.register(0, &name).await;
    let before: TokenResponse = c.login(0, &name, PASSWORD).await.json().await.unwrap();
    let old_kid = jwt_part(before.token.expose(), 0)["kid"]
        .as_str()
        .unwrap()
        .to_owned();

    // Every process publishes the same set.
    let jwks = |node: usize| fetch_jwks(&c.client, &c.urls[node]);
    let first = jwks(0).await;
    assert_eq!(jwks(1).await, first);
    assert_eq!(jwks(2).await, first);

    let vars = [
        ("DATABASE_URL", c.database_url.as_str()),
        ("JOTPASS_JWT_ALG", "EdDSA"),
        ("JOTPASS_KEY_ENCRYPTION_KEY", KEK),
    ];
    let out = run_cli(c.dir.path(), &vars, &["keys", "rotate"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The new key is published by every process within a couple of reloads.
    let deadline = Instant::now() + Duration::from_secs(5);
    for node in 0..3 {
        while jwks(node).await["keys"].as_array().unwrap().len() != 2 {
            assert!(
                Instant::now() < deadline,
                "node {node} did not publish the new key"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // Once it signs (a few seconds after the rotation), new tokens carry it.
    let deadline = Instant::now() + Duration::from_secs(20);
    let after = loop {
        let t: TokenResponse = c.login(2, &name, PASSWORD).await.json().await.unwrap();
        if jwt_part(t.token.expose(), 0)["kid"] != old_kid.as_str() {
            break t;
        }
        assert!(
            Instant::now() < deadline,
            "the new key never started signing"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };

    for node in 0..3 {
        assert_eq!(
            c.me(node, before.token.expose()).await,
            StatusCode::OK,
            "old token on node {node}"
        );
        assert_eq!(
            c.me(node, after.token.expose()).await,
            StatusCode::OK,
            "new token on node {node}"
        );
    }
    let jwks_url = format!("{}/.well-known/jwks.json", c.urls[1]);
    for token in [before.token.expose(), after.token.expose()] {
        let out = verify_with_jwks(&jwks_url, token);
        assert!(
            out.status.success(),
            "verifier: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let claims: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(claims["name"], name.as_str());
    }
    // And the verifier refuses a token it cannot check.
    let out = verify_with_jwks(&jwks_url, &format!("{}x", after.token.expose()));
    assert!(!out.status.success());
}

/// Runs the example another service would copy: `examples/verify_with_jwks.rs`.
fn verify_with_jwks(jwks_url: &str, token: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO"))
        .args([
            "run",
            "-q",
            "-p",
            "jotpass-server",
            "--example",
            "verify_with_jwks",
            "--",
        ])
        .args([jwks_url, token])
        .output()
        .unwrap()
}
