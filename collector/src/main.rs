//! The `engagekit-collector` binary: flags, startup and clean shutdown. Tests learn the
//! port from the single line printed to stdout, so nothing else is printed there; logs
//! go to stderr.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use engagekit_collector::auth::{SecretSource, SECRET_ENV};
use engagekit_collector::limits::{self, Limits};
use engagekit_collector::{router, server, AppState};

/// engagekit's reference collector: event ingest, site config, loader and wasm.
#[derive(Debug, Parser)]
#[command(version)]
struct Flags {
    /// Port to listen on; 0 picks a free one (printed on start).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// SQLite database file, created if missing.
    #[arg(long, default_value = "engagekit.db")]
    db: PathBuf,
    /// Site config file: a JSON object mapping writeKey to site config. Seeds a fresh
    /// database; with --config-from-file, the configs are read from it instead.
    #[arg(long, default_value = "config/demo.json")]
    config: PathBuf,
    /// Root of the demo site served at /.
    #[arg(long, default_value = "www/demo")]
    www: PathBuf,
    /// Directory holding the built engagekit.js, engagekit_core.js and engagekit_core_bg.wasm.
    #[arg(long, default_value = "dist")]
    dist: PathBuf,
    /// Directory holding the product-team dashboard served at /dashboard.
    #[arg(long, default_value = engagekit_collector::app::DEFAULT_DASHBOARD)]
    dashboard: PathBuf,
    /// Replace the admin secret with a new random one, shown once (signs everyone out).
    /// ENGAGEKIT_ADMIN_SECRET, when set, sets the secret instead.
    #[arg(long)]
    reset_admin_secret: bool,
    /// Serve the site configs from the --config file (re-read when it changes) instead of
    /// the database; the config API is then read-only.
    #[arg(long)]
    config_from_file: bool,
    /// Most connections served at once; more wait until one closes.
    #[arg(long, default_value_t = limits::MAX_CONNECTIONS)]
    max_connections: usize,
    // Hidden: the defaults suit production; tests shorten them to stay fast.
    /// Time a client has to send a request's headers, in ms.
    #[arg(long, hide = true)]
    header_timeout_ms: Option<u64>,
    /// Longest pause in a request body, in ms.
    #[arg(long, hide = true)]
    body_timeout_ms: Option<u64>,
    /// Time to answer a request once its headers are in, in ms.
    #[arg(long, hide = true)]
    request_timeout_ms: Option<u64>,
}

impl Flags {
    fn limits(&self) -> Result<Limits, String> {
        if self.max_connections == 0 {
            return Err("--max-connections must be at least 1".into());
        }
        let ms = |flag: Option<u64>, default: Duration| flag.map_or(default, Duration::from_millis);
        Ok(Limits {
            header_read: ms(self.header_timeout_ms, limits::HEADER_READ_TIMEOUT),
            body_idle: ms(self.body_timeout_ms, limits::BODY_IDLE_TIMEOUT),
            request: ms(self.request_timeout_ms, limits::REQUEST_TIMEOUT),
            max_connections: self.max_connections,
        })
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let flags = Flags::parse();
    match run(flags).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("engagekit collector: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(flags: Flags) -> Result<(), String> {
    let limits = flags.limits()?;
    let from_env = std::env::var(SECRET_ENV).ok().filter(|s| !s.is_empty());
    let source = match (&from_env, flags.reset_admin_secret) {
        (Some(secret), _) => SecretSource::Given(secret),
        (None, true) => SecretSource::Reset,
        (None, false) => SecretSource::Stored,
    };
    let state = AppState::open_with_secret(
        &flags.db,
        flags.config,
        flags.www,
        flags.dist,
        source,
        flags.config_from_file,
    )?
    .with_dashboard(flags.dashboard)
    .with_limits(limits);
    // Identified visitors' own state (checklist progress, survey history) on every device:
    // only with the site's identity secret, which never leaves the server side.
    let state = match std::env::var(engagekit_collector::visitors::IDENTITY_ENV) {
        Ok(secret) if !secret.is_empty() => state.with_identity_secret(&secret)?,
        _ => state,
    };
    let generated = state.admin.generated.clone();
    let addr = SocketAddr::new(flags.bind, flags.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "engagekit collector listening on http://{local}")
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write to stdout: {e}"))?;
    }
    // Logs go to stderr: the listening line above is all tests read from stdout.
    eprintln!("engagekit collector: dashboard: sign in at http://{local}/dashboard/signin.html");
    match generated {
        Some(secret) => eprintln!(
            "engagekit collector: admin secret (shown once; only its hash is stored): {secret}\n\
             engagekit collector: lost it? restart with --reset-admin-secret, or set {SECRET_ENV}"
        ),
        None if from_env.is_some() => {
            eprintln!("engagekit collector: admin secret: the one in {SECRET_ENV}");
        }
        None => eprintln!(
            "engagekit collector: admin secret: the one shown at first start (lost it? \
             restart with --reset-admin-secret, or set {SECRET_ENV})"
        ),
    }
    server::serve(listener, router(state), &limits, shutdown_signal()).await;
    eprintln!("engagekit collector: stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM, so `npm start`'s Ctrl-C and a test's kill both let
/// in-flight batches finish and SQLite checkpoint cleanly.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("engagekit collector: cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                eprintln!("engagekit collector: cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
