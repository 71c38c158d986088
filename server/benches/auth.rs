//! Micro-benchmarks of what token authentication costs per request.
//!
//! `cargo bench -p jotpass-server --bench auth`. Figures and what they are
//! compared against: BENCHMARKS.md.

use axum::{
    body::Body,
    http::{Request, header},
};
use criterion::{Criterion, criterion_group, criterion_main};
use jotpass_server::{
    auth::{Keys, PasswordHasherPool, token},
    clock::Clock,
    config::Config,
    db::Db,
    http::router,
    startup::build_state,
};
use jotpass_shared::{Claims, TokenResponse};
use serde_json::{Value, json};
use tower::ServiceExt;

// The API tests' own TOTP function and software WebAuthn authenticator,
// written independently of the server's code.
#[path = "../tests/api/helpers/second_factors.rs"]
#[allow(dead_code, reason = "the tests use more of it than the benchmarks")]
mod second_factors;

/// What `second_factors` takes from the test helpers.
mod helpers {
    pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; n];
        getrandom::fill(&mut bytes).unwrap();
        bytes
    }
}

fn config(dir: &tempfile::TempDir, alg: &str) -> Config {
    let vars = [
        (
            "DATABASE_URL".to_owned(),
            format!("sqlite://{}/bench.db", dir.path().display()),
        ),
        (
            "JOTPASS_DATA_DIR".to_owned(),
            dir.path().join("data").display().to_string(),
        ),
        ("JOTPASS_JWT_ALG".to_owned(), alg.to_owned()),
    ];
    Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
        .unwrap()
}

fn claims(now: i64) -> Claims {
    Claims {
        iss: "jotpass".into(),
        sub: "0b9f7d4e-5f0c-4a57-9a43-3f1c2a1d2e3f".into(),
        aud: "jotpass-api".into(),
        iat: token::unix(now),
        nbf: token::unix(now),
        exp: token::unix(now + 900),
        jti: "5d0b3b8e-1a0e-4c6e-8f7e-0d9c3b2a1f00".into(),
        sid: "a3c2e1f0-9b8a-4d7c-8e6f-5a4b3c2d1e0f".into(),
        roles: vec![],
        name: "alice".into(),
        amr: vec!["pwd".into()],
    }
}

fn tokens(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for alg in ["HS256", "EdDSA"] {
        let dir = tempfile::tempdir().unwrap();
        let config = config(&dir, alg);
        let now = Clock::default().now();
        let keys = rt.block_on(async {
            let db = Db::connect(&config.database_url, config.db_pool_size)
                .await
                .unwrap();
            Keys::load(&config, &db, now).await.unwrap()
        });
        let claims = claims(now);
        c.bench_function(&format!("token issue {alg}"), |b| {
            b.iter(|| token::issue(&keys, &claims).unwrap());
        });
        let signed = token::issue(&keys, &claims).unwrap();
        c.bench_function(&format!("token verify {alg} (signature and claims)"), |b| {
            b.iter(|| token::verify_fresh(&keys, &signed, now).unwrap());
        });
        c.bench_function(&format!("token verify {alg} (verified before)"), |b| {
            b.iter(|| token::verify(&keys, &signed, now).unwrap());
        });
    }
}

/// The whole request path in-process: middleware, token found, verified,
/// session checked, user answered; against the cheapest JSON route.
fn requests(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = rt
        .block_on(build_state(config(&dir, "HS256"), Clock::default()))
        .unwrap();
    let app = router(state);
    let token = rt.block_on(sign_up(&app, "bench"));

    c.bench_function("GET /livez in-process (baseline)", |b| {
        b.to_async(&rt).iter(|| async {
            let request = Request::get("/livez").body(Body::empty()).unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            assert!(response.status().is_success());
        });
    });
    c.bench_function(
        "GET /api/me in-process (token checked, session checked)",
        |b| {
            b.to_async(&rt).iter(|| async {
                let request = Request::get("/api/me")
                    .header("x-access-token", &token)
                    .body(Body::empty())
                    .unwrap();
                let response = app.clone().oneshot(request).await.unwrap();
                assert!(response.status().is_success());
            });
        },
    );
}

/// One JSON call in-process: the status and the body (`null` when empty).
async fn call(
    app: &axum::Router,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> (axum::http::StatusCode, Value) {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header("x-access-token", token);
    }
    let request = request.body(Body::from(body.to_string())).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The password of every account the benchmarks make.
const PASSWORD: &str = "correct horse battery staple";

/// Registers `name` and logs in: the access token.
async fn sign_up(app: &axum::Router, name: &str) -> String {
    let creds = json!({ "username": name, "password": PASSWORD });
    let (status, _) = call(app, "/api/users", None, &creds).await;
    assert!(status.is_success(), "{status}");
    let (status, tokens) = call(app, "/api/auth/token", None, &creds).await;
    assert!(status.is_success(), "{status}");
    serde_json::from_value::<TokenResponse>(tokens)
        .unwrap()
        .token
        .into_inner()
}

/// Logins end to end, in-process, as a browser makes them: the password
/// step and then the TOTP step; and a passkey login (options, then the
/// signed assertion). The clock stands still and moves 30 s before each
/// TOTP login, so that every login has a code of its own (a code works once).
fn logins(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::default();
    clock.freeze();
    let state = rt
        .block_on(build_state(config(&dir, "HS256"), clock.clone()))
        .unwrap();
    let app = router(state);

    let secret = rt.block_on(async {
        let token = sign_up(&app, "totp").await;
        let body = json!({ "password": PASSWORD });
        let (_, enrolment) = call(&app, "/api/me/totp", Some(&token), &body).await;
        let secret = enrolment["secret"].as_str().unwrap().to_owned();
        let code = second_factors::totp_code(&secret, clock.now());
        let (status, _) = call(
            &app,
            "/api/me/totp/confirm",
            Some(&token),
            &json!({ "code": code }),
        )
        .await;
        assert!(status.is_success(), "{status}");
        secret
    });
    let passkey = rt.block_on(async {
        let token = sign_up(&app, "passkey").await;
        let body = json!({ "password": PASSWORD });
        let (_, options) = call(&app, "/api/me/passkeys/options", Some(&token), &body).await;
        let (passkey, credential) = second_factors::SoftPasskey::create(
            &options["options"],
            second_factors::Alg::Es256,
            &second_factors::Answer::honest(),
        );
        let body =
            json!({ "ceremony": options["ceremony"], "name": "bench", "credential": credential });
        let (status, _) = call(&app, "/api/me/passkeys", Some(&token), &body).await;
        assert!(status.is_success(), "{status}");
        std::sync::Mutex::new(passkey)
    });

    let mut group = c.benchmark_group("login end to end");
    group.sample_size(10);
    group.bench_function("password + TOTP step", |b| {
        b.to_async(&rt).iter(|| async {
            clock.advance(30);
            let creds = json!({ "username": "totp", "password": PASSWORD });
            let (status, refused) = call(&app, "/api/auth/token", None, &creds).await;
            assert_eq!(refused["error"], "mfa_required", "{status}");
            let code = second_factors::totp_code(&secret, clock.now());
            let body = json!({ "mfa_token": refused["mfa_token"], "code": code });
            let (status, _) = call(&app, "/api/auth/mfa", None, &body).await;
            assert!(status.is_success(), "{status}");
        });
    });
    group.bench_function("passkey (ES256)", |b| {
        b.to_async(&rt).iter(|| async {
            let (_, options) = call(&app, "/api/auth/passkey/options", None, &json!({})).await;
            let credential = passkey
                .lock()
                .unwrap()
                .get(&options["options"], &second_factors::Answer::honest());
            let body = json!({ "ceremony": options["ceremony"], "credential": credential });
            let (status, _) = call(&app, "/api/auth/passkey", None, &body).await;
            assert!(status.is_success(), "{status}");
        });
    });
    group.finish();
}

fn passwords(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pool = PasswordHasherPool::new(1).unwrap();
    let hash = rt.block_on(pool.hash(PASSWORD.into())).unwrap();
    let mut group = c.benchmark_group("argon2id m=19MiB t=2 p=1");
    group.sample_size(10);
    group.bench_function("hash", |b| {
        b.to_async(&rt).iter(|| pool.hash(PASSWORD.into()));
    });
    group.bench_function("verify", |b| {
        b.to_async(&rt)
            .iter(|| pool.verify(PASSWORD.into(), Some(hash.clone())));
    });
    group.finish();
}

criterion_group!(benches, tokens, requests, logins, passwords);
criterion_main!(benches);
