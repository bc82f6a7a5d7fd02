//! engagekit: customer-engagement widgets for any web page.
//!
//! The crate is a pure core (every decision, natively tested, no browser APIs) and, on
//! wasm32 only, a thin web shell in [`web`] that reads the world, asks the core, and acts.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
#![deny(unsafe_code)]
// The wasm links no std: std's panic machinery keeps `core::fmt` (and every panic message
// and source path) in the module even with `panic = "abort"`, about 2.5 KB gzipped. Native
// builds (tests, benches, the collector) use std as usual; the code uses `alloc` and `core`
// paths, which name the same items in both.
#![cfg_attr(all(target_arch = "wasm32", not(feature = "std")), no_std)]

extern crate alloc;

pub mod attributes;
pub mod batch;
pub mod bucket;
#[cfg(any(feature = "surveys", feature = "checklists"))]
pub mod card;
#[cfg(feature = "checklists")]
pub mod checklist;
pub mod condition;
pub mod config;
pub mod consent;
pub mod content;
pub mod context;
pub mod early;
pub mod event;
pub mod json;
pub mod num;
pub mod prelude;
pub mod regex;
pub mod score;
pub mod session;
#[cfg(feature = "surveys")]
pub mod survey;
pub mod text;
pub mod tracker;

#[cfg(target_arch = "wasm32")]
pub mod web;
