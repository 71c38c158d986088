//! The pages: the Leptos app rendered on the server (and hydrated in the
//! browser), its static files, and the not-found answer for everything else.
//!
//! Every form of the app is `method="post"` to its own page, so a form
//! submitted before the app has hydrated arrives here as a `POST` to a page.
//! The server does not act on it (the tokens live only in the browser, by
//! design): it answers the same page with a notice and the username kept,
//! never another field, with `no-store`. Like every body, it is read by the
//! body limit's middleware and never logged.

use axum::{
    Router,
    body::Body,
    extract::{Request, State},
    http::{Extensions, HeaderMap, HeaderValue, Method, StatusCode, Version, header},
    response::{IntoResponse, Response},
    routing::post,
};
use jotpass_client::{App, PostedForm, shell};
use jotpass_shared::Username;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, ResponseOptions, generate_route_list};
use tower_http::compression::{
    CompressionLayer,
    predicate::{Predicate, SizeAbove},
};

use super::{MAX_BODY, body::is_form, headers::content_security_policy};
use crate::{error::ApiError, state::AppState};

/// Adds the app's routes (`GET`, and the `POST` of a form sent before
/// hydration) and the fallback to `routes`.
///
/// The pages are a router of their own, so that only they pass through the
/// compression layer: the API routes, where every microsecond counts
/// (BENCHMARKS.md), never do.
pub(super) fn with_pages(routes: Router<AppState>, state: &AppState) -> Router<AppState> {
    let paths = generate_route_list(App);
    let page_paths: Vec<String> = paths.iter().map(|l| l.path().to_owned()).collect();
    let leptos = state.leptos.clone();
    let pages = Router::new().leptos_routes_with_context(
        state,
        paths,
        page_context(state.clone()),
        move || shell(leptos.clone()),
    );
    let pages = page_paths
        .iter()
        .fold(pages, |router, path| router.route(path, post(posted_page)))
        .fallback(fallback)
        .layer(CompressionLayer::new().compress_when(SizeAbove::default().and(is_page)));
    routes.merge(pages)
}

/// What the server compresses as it answers: the rendered pages (brotli or
/// gzip, as the browser accepts). Static files are precompressed at build
/// time and already carry their encoding. API answers are never compressed:
/// a token answer holds a secret beside what the request sent (the username),
/// the pattern that BREACH reads through compression; the pages hold none
/// (tokens live in the browser; the CSP nonce is new for every answer).
fn is_page(_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
}

/// A form posted to a page before the app had hydrated: the page again,
/// with the notice and the username (if it is a valid one), and nothing
/// else of the body.
async fn posted_page(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    // Already read and limited by the body middleware; this only collects it.
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .unwrap_or_default();
    let username = is_form(&parts.headers)
        .then(|| serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes).ok())
        .flatten()
        .and_then(|fields| fields.into_iter().find(|(name, _)| name == "username"))
        .and_then(|(_, value)| Username::parse(&value).ok().map(|_| value));
    let posted = PostedForm { username };
    let context = page_context(state.clone());
    let leptos = state.leptos.clone();
    let render = leptos_axum::render_app_to_stream_with_context(
        move || {
            context();
            provide_context(posted.clone());
        },
        move || shell(leptos.clone()),
    );
    let mut response = render(Request::from_parts(parts, Body::empty())).await;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Runs before each page renders: sends the CSP that allows exactly the
/// hydration script's nonce.
fn page_context(state: AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    move || {
        if let (Some(nonce), Some(response)) =
            (leptos::nonce::use_nonce(), use_context::<ResponseOptions>())
        {
            response.insert_header(
                header::CONTENT_SECURITY_POLICY,
                content_security_policy(Some(&nonce), &state),
            );
        }
    }
}

/// A static file of the built site if there is one; else `404`: the app's
/// not-found page for a browser, the JSON error for anyone else and for every
/// path under `/api` and `/.well-known`.
async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    let path = req.uri().path();
    let api_like = path == "/api" || path.starts_with("/api/") || path.starts_with("/.well-known/");
    if api_like || !matches!(*req.method(), Method::GET | Method::HEAD) {
        return ApiError::NotFound.into_response();
    }
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let uri = req.uri().clone();
    let leptos = state.leptos.clone();
    let handler =
        leptos_axum::file_and_error_handler_with_context(page_context(state.clone()), move |_| {
            shell(leptos.clone())
        });
    let mut response = handler(uri, State(state), req).await;
    let rendered_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !rendered_page && response.status().is_success() {
        return response; // a static file
    }
    if wants_html {
        *response.status_mut() = StatusCode::NOT_FOUND;
        return response;
    }
    ApiError::NotFound.into_response()
}
