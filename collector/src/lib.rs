//! engagekit's reference collector: receives Segment-compatible event batches into
//! SQLite, serves each site's widget config, serves the loader and wasm module, and
//! reports content and experiment results to product teams (JSON and a dashboard page).
//! The binary (`main.rs`) only parses flags and starts [`server::serve`] with
//! [`app::router`]; everything else lives here so the tests can drive the real router.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod config_api;
pub mod config_db;
pub mod cors;
pub mod early;
pub mod error;
pub mod http_util;
pub mod identity;
pub mod ingest;
pub mod iso8601;
pub mod json_text;
pub mod limits;
pub mod reports;
pub mod security;
pub mod segment;
pub mod server;
pub mod static_files;
pub mod stats;
pub mod store;
pub mod visitors;

pub use app::{router, AppState};
