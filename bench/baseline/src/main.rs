//! The floor jotpass is measured against (issue 13, BENCHMARKS.md): a bare
//! Axum 0.8 server with no database, no middleware and no state but one key.
//!
//! - `GET /hello`: a fixed JSON body.
//! - `GET /api/me`: reads `x-access-token`, verifies it as an HS256 JWT with
//!   jsonwebtoken (signature, `exp`, `nbf`, `iss`, `aud`, into jotpass's own
//!   `Claims`), answers a fixed user.
//!
//! It listens on `BARE_ADDR` (default 127.0.0.1:3300) and prints one line,
//! `token <jwt>`, valid for an hour, for the load generator to send.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::get,
};
use jotpass_shared::{ACCESS_TOKEN_HEADER, Claims};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};

const SECRET: &[u8] = b"a bench-only secret of thirty-two+ bytes";
const ISSUER: &str = "bare";
const AUDIENCE: &str = "bare";

struct Keys {
    decoding: DecodingKey,
    validation: Validation,
}

async fn hello() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn me(State(keys): State<Arc<Keys>>, headers: HeaderMap) -> Result<Json<Value>, StatusCode> {
    let token = headers
        .get(ACCESS_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let claims = jsonwebtoken::decode::<Claims>(token, &keys.decoding, &keys.validation)
        .map_err(|_| StatusCode::UNAUTHORIZED)?
        .claims;
    Ok(Json(json!({
        "id": claims.sub,
        "username": claims.name,
        "roles": ["user"],
        "created_at": 0,
    })))
}

fn token() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs();
    let claims = Claims {
        iss: ISSUER.to_owned(),
        sub: "00000000-0000-4000-8000-000000000000".to_owned(),
        aud: AUDIENCE.to_owned(),
        iat: now,
        nbf: now,
        exp: now + 3600,
        jti: "bench".to_owned(),
        sid: "bench".to_owned(),
        roles: vec!["user".to_owned()],
        name: "bench".to_owned(),
        amr: vec!["pwd".to_owned()],
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET),
    )
    .expect("signing with HS256 cannot fail")
}

#[tokio::main]
async fn main() {
    let addr: SocketAddr = std::env::var("BARE_ADDR")
        .unwrap_or_else(|_| "127.0.0.1:3300".to_owned())
        .parse()
        .expect("BARE_ADDR is an address such as 127.0.0.1:3300");
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud"]);
    validation.validate_nbf = true;
    let keys = Arc::new(Keys {
        decoding: DecodingKey::from_secret(SECRET),
        validation,
    });
    let app = Router::new()
        .route("/hello", get(hello))
        .route("/api/me", get(me))
        .with_state(keys);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .expect("binding BARE_ADDR");
    println!("token {}", token());
    axum::serve(listener, app).await.expect("serving");
}
