//! engagekit: customer-engagement widgets for any web page.
//!
//! The crate is a pure core (every decision, natively tested, no browser APIs) and, on
//! wasm32 only, a thin web shell in [`web`] that reads the world, asks the core, and acts.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
#![deny(unsafe_code)]

pub mod bucket;
pub mod condition;
pub mod json;
pub mod regex;

#[cfg(target_arch = "wasm32")]
pub mod web;
