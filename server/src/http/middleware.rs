//! Middleware that holds for every request: writes that finish although
//! their client left, the body limit and the search for the access token
//! (both before any handler or extractor), and the request's tracing span
//! with its one log line. The security headers are
//! in `headers`.

use std::time::{Duration, Instant};

use axum::{
    body::{Body, Bytes, HttpBody},
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tracing::Instrument;

use super::{body::is_form, extract::PresentedToken};
use crate::{
    auth::find_token,
    error::{ApiError, InternalDetail},
    state::AppState,
};

/// The largest request body accepted, in bytes (API.md: 64 KiB).
pub const MAX_BODY: usize = 64 * 1024;

/// A request's body must have arrived this long after its headers (API.md,
/// "Timeouts and limits of the transport"); the headers' own limit is
/// `startup::HEADER_TIMEOUT`.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads the whole body (refusing more than [`MAX_BODY`] with `413`), then
/// finds the request's one access token (refusing disabled sources and
/// duplicates with `400`). Both happen before authentication, on every route.
pub(super) async fn body_and_token(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return ApiError::PayloadTooLarge.into_response();
    }
    // Most requests (every GET) have no body at all: nothing to wait for,
    // so no timer and no buffering.
    let bytes = if body.is_end_stream() {
        Bytes::new()
    } else {
        match read_whole(body).await {
            Ok(bytes) => bytes,
            Err(response) => return response,
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

/// The whole body, within [`BODY_TIMEOUT`] and [`MAX_BODY`]; else the answer.
async fn read_whole(body: Body) -> Result<Bytes, Response> {
    let Ok(read) = tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY)).await
    else {
        // A body trickling in: answer and close, so the connection is freed.
        let mut response =
            ApiError::InvalidRequest("The request body did not arrive in time.".into())
                .into_response();
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return Err(response);
    };
    match read {
        Ok(bytes) => Ok(bytes),
        Err(e) => {
            let too_large = std::error::Error::source(&e).is_some_and(
                <dyn std::error::Error + 'static>::is::<http_body_util::LengthLimitError>,
            );
            Err(if too_large {
                ApiError::PayloadTooLarge.into_response()
            } else {
                ApiError::InvalidRequest("The request body could not be read.".into())
                    .into_response()
            })
        }
    }
}

/// A request that may change state (any method but GET, HEAD, OPTIONS and
/// TRACE) runs to its end in a task of its own, even if its client leaves:
/// hyper drops a request's future when the connection closes, and a flow
/// stopped between two awaits would leave half its work done (a logout cut
/// off by the page navigating away leaves the session alive on the server).
/// Reads lose nothing when they stop, so they are not worth a task each
/// (`GET /api/me` is the hot path). The task is tracked (`AppState::writes`),
/// so a shutdown waits for it too.
pub(super) async fn run_to_completion(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if req.method().is_safe() {
        return next.run(req).await;
    }
    match state.writes.spawn(next.run(req)).await {
        Ok(response) => response,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // The runtime is shutting down.
        Err(_) => ApiError::Unavailable("The server is shutting down.".into()).into_response(),
    }
}

/// Every request runs in a span with its method, its route (the matched
/// route, or the path with any `access_token` in the query redacted) and a
/// request id, so a handler's own log lines say which request they belong
/// to. Then one line per request: status and latency. Internal error
/// details attached by `ApiError` are logged here, once. Headers and bodies
/// are never logged.
pub(super) async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| redacted_path(req.uri()));
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        route,
        id = %uuid::Uuid::new_v4().simple(),
    );
    async move {
        let response = next.run(req).await;
        let status = response.status().as_u16();
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        match response.extensions().get::<InternalDetail>() {
            Some(detail) => {
                tracing::error!(status, latency_ms, error = %detail.0, "request failed");
            }
            None => tracing::info!(status, latency_ms, "request"),
        }
        response
    }
    .instrument(span)
    .await
}

/// The query parameters whose values are secrets: an access token, and the
/// token of a mailed link.
const SECRET_PARAMS: [&str; 2] = ["access_token", "token"];

/// The path and query, with the value of every secret parameter replaced.
fn redacted_path(uri: &axum::http::Uri) -> String {
    let Some(query) = uri.query() else {
        return uri.path().to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if SECRET_PARAMS.contains(&key) => format!("{key}=[redacted]"),
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
        let uri = "/nope?token=link-secret".parse().unwrap();
        assert_eq!(redacted_path(&uri), "/nope?token=[redacted]");
        let uri = "/plain".parse().unwrap();
        assert_eq!(redacted_path(&uri), "/plain");
    }
}
