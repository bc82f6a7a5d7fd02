//! The accept loop: hyper's HTTP/1 server with a header-read timeout, a limit on
//! connections served at once, and graceful shutdown. It replaces `axum::serve`, which
//! sets no header-read timeout, so a client trickling its headers held a connection (and
//! its task) for as long as it liked. What the router does with a request is not decided
//! here.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::limits::Limits;

/// How long to wait before accepting again after an error that is not one connection's
/// fault (out of file descriptors, say), so the loop does not spin while it lasts.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting, lets
/// in-flight requests finish (idle connections close at once) and returns.
///
/// At most `limits.max_connections` connections are served at once. Over that, the loop
/// stops accepting: new connections wait in the kernel's listen backlog (and are refused
/// by the kernel once it is full) until a served one closes. Waiting rather than closing
/// them keeps a burst of honest clients working, and every served connection is bounded
/// in time by the header-read and request timeouts, so the wait is bounded too.
///
/// HTTP/1 only: HTTP/2 reaches a plain-HTTP server only from clients that assume it
/// (browsers never do), and hyper has no header-read timeout for it.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    let builder = builder.http1_only();
    let permits = Arc::new(Semaphore::new(
        limits.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                // Never closed; stop serving rather than loop if it somehow were.
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    eprintln!("engagekit collector: cannot accept connections: {e}");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let conn = builder
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()))
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // Errors here are one client's: it went away, or timed out sending headers.
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);

    // Requests cannot outlast the request timeout, nor headers the header timeout; past
    // both, whatever is left is a client that stopped reading, not work to wait for.
    let grace = limits.request.max(limits.header_read);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!(
            "engagekit collector: connections still open {} ms after shutdown; closing them",
            grace.as_millis()
        );
    }
}

/// Errors that concern only the connection being accepted; the next accept may succeed.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
