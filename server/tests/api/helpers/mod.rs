//! What the API tests share: a real server per test ([`spawn_app`]) and a
//! client with a method per endpoint ([`TestApp`], [`TestUser`]); tokens to
//! read and forge (`tokens`); the real binary as a process (`processes`).

mod app;
mod processes;
mod second_factors;
mod smtp;
mod tokens;

pub(crate) use app::{
    PASSWORD, TestApp, TestUser, fresh_database_url, postgres_admin_url, spawn_app, spawn_app_with,
    unique_name,
};
pub(crate) use processes::{
    login_at, run_cli, start_process, start_process_logged, stop_process, user_at,
};
pub(crate) use second_factors::{Alg, Answer, SoftPasskey, totp_code};
pub(crate) use smtp::{SmtpSink, parse_mail};
pub(crate) use tokens::{TEST_SECRET, fetch_jwks, forge, jwt_part};

use jotpass_shared::ErrorBody;
use reqwest::{Response, StatusCode};
use serde_json::json;

/// Asserts the status and the error code of a JSON error response; returns
/// the response's `WWW-Authenticate` (if any) for further checks.
pub(crate) async fn assert_error(
    response: Response,
    status: StatusCode,
    code: &str,
) -> Option<String> {
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

/// `n` random bytes (from the operating system).
pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).unwrap();
    bytes
}

/// Polls `check` every 100 ms for up to `secs` seconds.
pub(crate) async fn eventually<F, Fut>(secs: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..secs * 10 {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}
