//! The pages: the Leptos app rendered on the server (and hydrated in the
//! browser), its static files, and the not-found answer for everything else.

use axum::{
    Router,
    extract::{Request, State},
    http::{Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use jotpass_client::{App, shell};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, ResponseOptions, generate_route_list};

use super::headers::content_security_policy;
use crate::{error::ApiError, state::AppState};

/// Adds the app's routes and the fallback to `routes`.
pub(super) fn with_pages(routes: Router<AppState>, state: &AppState) -> Router<AppState> {
    let paths = generate_route_list(App);
    let leptos = state.leptos.clone();
    routes
        .leptos_routes_with_context(state, paths, page_context(state.clone()), move || {
            shell(leptos.clone())
        })
        .fallback(fallback)
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
