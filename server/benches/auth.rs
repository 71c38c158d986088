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
use tower::ServiceExt;

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
    let json_post = |path: &str, body: &str| {
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let creds = r#"{"username":"bench","password":"correct horse battery staple"}"#;
    let token = rt.block_on(async {
        app.clone()
            .oneshot(json_post("/api/users", creds))
            .await
            .unwrap();
        let response = app
            .clone()
            .oneshot(json_post("/api/auth/token", creds))
            .await
            .unwrap();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        serde_json::from_slice::<TokenResponse>(&bytes)
            .unwrap()
            .token
            .into_inner()
    });

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

fn passwords(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pool = PasswordHasherPool::new(1).unwrap();
    let hash = rt
        .block_on(pool.hash("correct horse battery staple".into()))
        .unwrap();
    let mut group = c.benchmark_group("argon2id m=19MiB t=2 p=1");
    group.sample_size(10);
    group.bench_function("hash", |b| {
        b.to_async(&rt)
            .iter(|| pool.hash("correct horse battery staple".into()));
    });
    group.bench_function("verify", |b| {
        b.to_async(&rt)
            .iter(|| pool.verify("correct horse battery staple".into(), Some(hash.clone())));
    });
    group.finish();
}

criterion_group!(benches, tokens, requests, passwords);
criterion_main!(benches);
