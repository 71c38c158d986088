//! The HTTP surface: each API resource module (`users`, `auth`, `me`,
//! `sessions`, `notes`, `admin`, `meta`) owns its routes and imports no other
//! resource module; what they share is in `extract` (the extractors),
//! `views` (rows as the API shows them) and `body` (our body extractors).
//! This module merges the routes with the pages (`site`) and adds the layers
//! that hold for everything (`headers`, `middleware`).

mod admin;
mod auth;
mod body;
pub mod extract;
mod headers;
mod me;
mod meta;
mod middleware;
mod notes;
mod sessions;
mod site;
mod users;
mod views;

use axum::{Router, http::HeaderValue, middleware::from_fn, middleware::from_fn_with_state};
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use body::{AppJson, JsonOrForm};
pub use middleware::MAX_BODY;

use crate::{error::ApiError, state::AppState};

/// The whole application. Layers, outermost first: the request log, security
/// headers, CORS, then the body limit and token search, then routing.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(users::router())
        .merge(auth::router())
        .merge(me::router())
        .merge(sessions::router())
        .merge(notes::router())
        .merge(admin::router())
        .merge(meta::router());
    site::with_pages(routes, &state)
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(from_fn_with_state(
            state.clone(),
            middleware::body_and_token,
        ))
        .layer(cors(&state))
        .layer(from_fn_with_state(state.clone(), headers::security_headers))
        .layer(from_fn(middleware::log_request))
        .with_state(state)
}

/// Same-origin only, unless `JOTPASS_CORS_ORIGINS` lists origins.
fn cors(state: &AppState) -> CorsLayer {
    use axum::http::{Method, header};
    let origins: Vec<HeaderValue> = state
        .config
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static(jotpass_shared::ACCESS_TOKEN_HEADER),
        ])
        .expose_headers([header::WWW_AUTHENTICATE, header::RETRY_AFTER])
}
