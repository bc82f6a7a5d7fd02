//! The router and the state every handler shares. Routing is kept in one place so the
//! whole HTTP surface of the collector reads at a glance.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{delete, get, post};
use axum::Router;
use tower_http::compression::CompressionLayer;

use crate::auth::{Admin, SecretSource};
use crate::config::ConfigStore;
use crate::identity::IdentitySecrets;
use crate::limits::Limits;
use crate::store::Store;
use crate::visitors;
use crate::{
    api, config_api, cors, early, identity, ingest, limits, reports, security, static_files,
};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<ConfigStore>,
    /// The config file's path, which `static_files` refuses to serve wherever it is.
    pub config_file: Arc<Path>,
    pub store: Store,
    /// The admin secret and dashboard sessions (see [`crate::auth`]).
    pub admin: Arc<Admin>,
    pub www: Arc<Path>,
    pub dist: Arc<Path>,
    /// The product-team dashboard's files, served at `/dashboard`.
    pub dashboard: Arc<Path>,
    /// Timeouts the router applies (and the server loop's, kept together).
    pub limits: Limits,
    /// The identity secrets that verify an identified visitor's hash, each site's own or
    /// the collector-wide one (see [`crate::identity`], [`crate::visitors`]).
    pub identity: Arc<IdentitySecrets>,
}

/// Where the built dashboard is in a checkout (scripts/build.sh bundles www/dashboard into
/// it), relative to the repository root, where `npm start` runs the collector.
pub const DEFAULT_DASHBOARD: &str = "dist/dashboard";

impl AppState {
    /// Serves identified visitors of every site without an identity secret of its own
    /// their own state, verified with `secret` (at least [`visitors::MIN_SECRET_CHARS`]
    /// characters; a shorter one is refused).
    pub fn with_identity_secret(self, secret: &str) -> Result<Self, String> {
        self.identity.set_fallback(secret)?;
        Ok(self)
    }

    /// Opens the database (creating it if needed), with the site configs in it (seeded from
    /// the `config` file when it has none) and the admin secret's hash (a new random secret
    /// on first start; see [`Admin::open`]).
    pub fn open(
        db: &Path,
        config: impl Into<PathBuf>,
        www: impl Into<PathBuf>,
        dist: impl Into<PathBuf>,
    ) -> Result<Self, String> {
        Self::open_with_secret(db, config, www, dist, SecretSource::Stored, false)
    }

    /// [`AppState::open`] with the admin secret chosen by `secret`, and the site configs read
    /// from the `config` file (re-read when it changes) when `config_from_file`.
    pub fn open_with_secret(
        db: &Path,
        config: impl Into<PathBuf>,
        www: impl Into<PathBuf>,
        dist: impl Into<PathBuf>,
        secret: SecretSource<'_>,
        config_from_file: bool,
    ) -> Result<Self, String> {
        let store =
            Store::open(db).map_err(|e| format!("cannot open database {}: {e}", db.display()))?;
        let admin = Admin::open(db, secret)
            .map_err(|e| format!("admin secret in {}: {e}", db.display()))?;
        let identity = IdentitySecrets::open(db)
            .map_err(|e| format!("identity secrets in {}: {e}", db.display()))?;
        let config_file: PathBuf = config.into();
        let config = if config_from_file {
            ConfigStore::open(config_file.clone())
        } else {
            ConfigStore::open_db(db, &config_file)
                .map_err(|e| format!("site configs in {}: {e}", db.display()))?
        };
        Ok(AppState {
            config_file: Arc::from(config_file.as_path()),
            config: Arc::new(config),
            store,
            admin: Arc::new(admin),
            www: Arc::from(www.into()),
            dist: Arc::from(dist.into()),
            dashboard: Arc::from(Path::new(DEFAULT_DASHBOARD)),
            limits: Limits::default(),
            identity: Arc::new(identity),
        })
    }

    /// Serves the dashboard from `dir` instead of [`DEFAULT_DASHBOARD`].
    #[must_use]
    pub fn with_dashboard(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dashboard = Arc::from(dir.into());
        self
    }

    /// Applies `limits` instead of [`Limits::default`].
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route(
            "/batch",
            post(ingest::post_batch).layer(DefaultBodyLimit::max(ingest::MAX_BODY_BYTES)),
        )
        .route(
            "/calls",
            post(early::post_calls).layer(DefaultBodyLimit::max(ingest::MAX_BODY_BYTES)),
        )
        .route("/config/schema.json", get(api::config_schema))
        .route("/config/{write_key}", get(api::get_config))
        .route(
            "/visitors/{write_key}/{user_id}",
            get(visitors::get_visitor),
        )
        .route("/health", get(api::health))
        .fallback(api::no_endpoint)
        .layer(from_fn_with_state(state.clone(), cors::cors));

    let mut app = Router::new()
        .nest("/v1", v1)
        .route(
            "/api/session",
            get(api::session).post(api::sign_in).delete(api::sign_out),
        )
        .route("/api/visitors/{anonymous_id}", delete(api::delete_visitor))
        .route("/api/config", get(config_api::get).put(config_api::put))
        .route("/api/config/versions", get(config_api::versions))
        .route("/api/config/diff", get(config_api::diff_versions))
        .route("/api/config/rollback", post(config_api::rollback))
        .route(
            "/api/identity-secret",
            get(identity::get)
                .post(identity::post)
                .delete(identity::delete),
        )
        .route("/api/events", get(api::events))
        .route("/api/stats", get(api::stats))
        .route("/api/reports/content", get(reports::content))
        .route("/api/reports/experiments", get(reports::experiments))
        .route("/api/reports/nps", get(reports::nps))
        .route("/api/reports/checklists", get(reports::checklists))
        .route("/dashboard", get(static_files::dashboard))
        .route("/dashboard/", get(static_files::dashboard))
        .route("/dashboard/{*file}", get(static_files::dashboard));
    for name in static_files::DIST_FILES {
        app = app.route(&format!("/{name}"), get(static_files::dist_file));
    }
    // The default predicate compresses application/wasm too: it skips only tiny bodies,
    // images, gRPC and event streams.
    let app = app
        .fallback(static_files::www)
        .layer(CompressionLayer::new());
    // Security headers outermost, so the timeouts' 408s carry them too.
    let app = security::headers(limits::timeouts(app, &state.limits));
    app.with_state(state)
}
