//! Middleware that holds for every request: the body limit and the search
//! for the access token (both before any handler or extractor), security
//! headers, and the one request-log line.

use std::time::Instant;

use axum::{
    body::Body,
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::body::is_form;
use crate::{
    auth::{PresentedToken, find_token},
    error::{ApiError, InternalDetail},
    state::AppState,
};

/// The largest request body accepted, in bytes (API.md: 64 KiB).
pub const MAX_BODY: usize = 64 * 1024;

/// Reads the whole body (refusing more than [`MAX_BODY`] with `413`), then
/// finds the request's one access token (refusing disabled sources and
/// duplicates with `400`). Both happen before authentication, on every route.
pub async fn body_and_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return ApiError::PayloadTooLarge.into_response();
    }
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            return if too_large {
                ApiError::PayloadTooLarge.into_response()
            } else {
                ApiError::InvalidRequest("The request body could not be read.".into())
                    .into_response()
            };
        }
    };

    let form_tokens = if parts.method != Method::GET && is_form(&parts.headers) {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .map(|pairs| {
                pairs
                    .into_iter()
                    .filter(|(k, _)| k == "access_token")
                    .map(|(_, v)| v)
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    match find_token(
        state.config.token_sources,
        &parts.headers,
        &parts.uri,
        form_tokens,
    ) {
        Ok(token) => {
            parts.extensions.insert(PresentedToken(token));
        }
        Err(e) => return e.into_response(),
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// `nosniff` and `no-referrer` everywhere, `no-store` on the API, and a
/// Content-Security-Policy on every HTML response that has none yet (pages
/// rendered by Leptos set their own, with the hydration script's nonce).
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_api = req.uri().path() == "/api" || req.uri().path().starts_with("/api/");
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if is_api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            content_security_policy(None, &state),
        );
    }
    response
}

/// The pages' CSP: scripts only from this server (and the hydration script
/// that carries `nonce`), WASM compilation, no framing.
pub fn content_security_policy(nonce: Option<&str>, state: &AppState) -> HeaderValue {
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    // `cargo leptos watch` reloads the page over a websocket on its own port.
    let reload = if state.config.site.dev {
        format!(
            " ws://127.0.0.1:{0} ws://localhost:{0}",
            state.config.site.reload_port
        )
    } else {
        String::new()
    };
    let policy = format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; \
         style-src 'self'{nonce}; img-src 'self' data:; connect-src 'self'{reload}; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}

/// One line per request: method, matched route (or the path, with any
/// `access_token` in the query redacted), status, latency. Internal error
/// details attached by `ApiError` are logged here, once.
pub async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| redacted_path(req.uri()));
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match response.extensions().get::<InternalDetail>() {
        Some(detail) => {
            tracing::error!(%method, path, status, latency_ms, error = %detail.0, "request failed")
        }
        None => tracing::info!(%method, path, status, latency_ms, "request"),
    }
    response
}

/// The path and query, with the value of every `access_token` replaced.
fn redacted_path(uri: &axum::http::Uri) -> String {
    let Some(query) = uri.query() else {
        return uri.path().to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key == "access_token" => format!("{key}=[redacted]"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{}?{}", uri.path(), query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_tokens_are_redacted_in_logged_paths() {
        let uri = "/nope?a=1&access_token=eyJsecret.x.y&b=2".parse().unwrap();
        assert_eq!(redacted_path(&uri), "/nope?a=1&access_token=[redacted]&b=2");
        let uri = "/plain".parse().unwrap();
        assert_eq!(redacted_path(&uri), "/plain");
    }
}
