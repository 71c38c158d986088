//! The headers that hold for every response: `nosniff` and `no-referrer`
//! everywhere, `no-store` on the API, `Vary: accept-encoding` on the built
//! site's files, and the pages' Content-Security-Policy.

use axum::{
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};

use crate::state::AppState;

/// `nosniff` and `no-referrer` everywhere, `no-store` on the API, and a
/// Content-Security-Policy on every HTML response that has none yet (pages
/// rendered by Leptos set their own, with the hydration script's nonce).
pub(super) async fn security_headers(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let is_api = req.uri().path() == "/api" || req.uri().path().starts_with("/api/");
    // The built site's files are sent brotli- or gzip-encoded when the
    // browser accepts it (precompressed copies): caches must key on that.
    let is_asset = req
        .uri()
        .path()
        .strip_prefix('/')
        .and_then(|p| p.strip_prefix(state.config.site.pkg_dir.as_str()))
        .is_some_and(|rest| rest.starts_with('/'));
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
    if is_asset {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
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
pub(super) fn content_security_policy(nonce: Option<&str>, state: &AppState) -> HeaderValue {
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
