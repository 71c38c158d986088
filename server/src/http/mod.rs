//! The HTTP surface: each API resource module (`users`, `auth`, `me`, `mfa`,
//! `passkeys`, `email`, `reset`, `activity`, `sessions`, `notes`, `admin`,
//! `meta`) owns its routes and imports no other
//! resource module; what they share is in `extract` (the extractors),
//! `views` (rows as the API shows them) and `body` (our body extractors).
//! This module merges the routes with the pages (`site`) and adds the layers
//! that hold for everything (`headers`, `middleware`).

mod activity;
mod admin;
mod auth;
mod body;
mod email;
pub mod extract;
mod headers;
mod me;
mod meta;
mod mfa;
mod middleware;
mod notes;
mod passkeys;
mod reset;
mod sessions;
mod site;
mod users;
mod views;

use std::any::Any;

use axum::{
    Router,
    http::HeaderValue,
    middleware::{from_fn, from_fn_with_state},
    response::IntoResponse,
};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
};

pub use body::{AppJson, JsonOrForm};
pub use middleware::{BODY_TIMEOUT, MAX_BODY};

use crate::{error::ApiError, state::AppState};

/// The whole application. Layers, outermost first: writes run to their end
/// (a client that leaves cannot cut them off), the request log, security
/// headers, CORS (only when `JOTPASS_CORS_ORIGINS` lists origins), the body
/// limit and token search, the panic catcher, then routing (and, for the
/// pages only, compression: `site`).
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(users::router())
        .merge(auth::router())
        .merge(me::router())
        .merge(mfa::router())
        .merge(passkeys::router())
        .merge(email::router())
        .merge(reset::router())
        .merge(activity::router())
        .merge(sessions::router())
        .merge(notes::router())
        .merge(admin::router())
        .merge(meta::router());
    with_layers(routes, state)
}

/// `routes` with the pages, the fallbacks and every layer.
fn with_layers(routes: Router<AppState>, state: AppState) -> Router {
    site::with_pages(routes, &state)
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        // One layer made of the six, outermost first: `Router::layer` boxes
        // each route once per layer it is given, and every request clones
        // and calls through each box (BENCHMARKS.md, "Third pass").
        .layer(
            ServiceBuilder::new()
                .layer(from_fn_with_state(
                    state.clone(),
                    middleware::run_to_completion,
                ))
                .layer(from_fn(middleware::log_request))
                .layer(from_fn_with_state(state.clone(), headers::security_headers))
                .option_layer(cors(&state))
                .layer(from_fn_with_state(
                    state.clone(),
                    middleware::body_and_token,
                ))
                // Innermost: a handler that panics answers our JSON 500,
                // which the request log then records; the server carries on.
                .layer(CatchPanicLayer::custom(|_: Box<dyn Any + Send>| {
                    ApiError::Internal(anyhow::anyhow!("a handler panicked")).into_response()
                })),
        )
        .with_state(state)
}

/// Same-origin only, unless `JOTPASS_CORS_ORIGINS` lists origins. With
/// none listed there is no CORS layer at all: a browser keeps a same-origin
/// app to itself without any header, and the layer's `Vary` and
/// `Access-Control-Expose-Headers` on every answer cost each page load about
/// 140 bytes per file (BENCHMARKS.md, "Page weight").
fn cors(state: &AppState) -> Option<CorsLayer> {
    use axum::http::{Method, header};
    let origins: Vec<HeaderValue> = state
        .config
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    let layer = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static(jotpass_shared::ACCESS_TOKEN_HEADER),
        ])
        .expose_headers([header::WWW_AUTHENTICATE, header::RETRY_AFTER]);
    Some(layer)
}

#[cfg(test)]
mod tests {
    use axum::{body::Body, http::Request, routing::get};
    use tower::ServiceExt;

    use super::*;
    use crate::{clock::Clock, config::Config, startup::build_state};

    #[tokio::test]
    async fn a_handler_that_panics_answers_a_json_500_and_the_server_carries_on() {
        let dir = tempfile::tempdir().unwrap();
        let vars = [
            (
                "DATABASE_URL".to_owned(),
                format!("sqlite://{}/t.db", dir.path().display()),
            ),
            (
                "JOTPASS_DATA_DIR".to_owned(),
                dir.path().join("data").display().to_string(),
            ),
        ];
        let config = Config::from_lookup(|name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
        .unwrap();
        let state = build_state(config, Clock::default()).await.unwrap();
        async fn boom() -> &'static str {
            panic!("a bug in a handler");
        }
        let boom = Router::new()
            .route("/api/boom", get(boom))
            .route("/api/fine", get(|| async { "fine" }));
        let app = with_layers(boom, state);

        let request = Request::get("/api/boom").body(Body::empty()).unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 500);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"], "internal");
        assert!(!body.to_string().contains("a bug in a handler"));

        let request = Request::get("/api/fine").body(Body::empty()).unwrap();
        assert_eq!(app.oneshot(request).await.unwrap().status(), 200);
    }
}
