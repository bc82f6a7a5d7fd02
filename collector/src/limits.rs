//! How long a client may take over a request and how many may be connected at once, so a
//! client that trickles its headers or body a byte at a time cannot hold the server. The
//! header-read timeout and the connection limit are enforced by the server loop
//! (`server`), the body and request timeouts by the router layers here. This module
//! decides the bounds; it never accepts connections itself.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use http_body_util::BodyExt;
use serde_json::json;
use tower_http::timeout::{TimeoutBody, TimeoutError, TimeoutLayer};

/// Time to send a request's headers, from the connection's first byte (or the end of the
/// previous request on a kept-alive connection). Generous for a phone on a bad network,
/// short enough that a slow-headers client ties up a connection for seconds, not forever.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest pause between two pieces of a request body. A batch is at most 500 KB.
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time to answer a request once its headers are in, body included: what bounds a client
/// that trickles its body just fast enough never to pause for [`BODY_IDLE_TIMEOUT`].
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections served at once. Each holds a file descriptor and a task; more wait in the
/// listen backlog until one closes, so a flood queues instead of exhausting descriptors.
pub const MAX_CONNECTIONS: usize = 1024;

/// The bounds one server runs with; [`Limits::default`] is the constants above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub header_read: Duration,
    pub body_idle: Duration,
    pub request: Duration,
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read: HEADER_READ_TIMEOUT,
            body_idle: BODY_IDLE_TIMEOUT,
            request: REQUEST_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
        }
    }
}

/// Applies the body and request timeouts to every route.
pub fn timeouts<S>(router: Router<S>, limits: &Limits) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router
        .layer(from_fn_with_state(limits.body_idle, body_idle_timeout))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request,
        ))
}

/// Times out a body that pauses longer than `idle`, answering 408 instead of what the
/// handler made of the broken body. tower-http's `RequestBodyTimeoutLayer` alone would
/// leave that to the handler, and ours answer an unreadable body with 400, which tells
/// the loader its batch is bad and should be dropped; 408 tells it to send it again. The
/// handler's response headers (CORS among them) are kept so the page can read the status.
async fn body_idle_timeout(State(idle): State<Duration>, req: Request, next: Next) -> Response {
    let timed_out = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&timed_out);
    let req = req.map(|body| {
        Body::new(TimeoutBody::new(idle, body).map_err(move |e| {
            if e.is::<TimeoutError>() {
                flag.store(true, Ordering::Relaxed);
            }
            e
        }))
    });
    let res = next.run(req).await;
    if !timed_out.load(Ordering::Relaxed) {
        return res;
    }
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    let message = format!(
        "the request body paused for more than {} ms; send it again",
        idle.as_millis()
    );
    let mut out = (
        StatusCode::REQUEST_TIMEOUT,
        Json(json!({ "error": message })),
    )
        .into_response();
    for (name, value) in &parts.headers {
        out.headers_mut()
            .entry(name)
            .or_insert_with(|| value.clone());
    }
    out
}
