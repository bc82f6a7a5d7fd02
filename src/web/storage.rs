//! localStorage as the tracker's [`Store`].
//!
//! localStorage may be missing (sandboxed iframes, some privacy modes), throw on access, or
//! be full. Every call here swallows those failures: the tracker then simply works in memory.

use super::interop::{from_js, stringify};
use crate::json::Value;
use crate::prelude::*;
use crate::tracker::Store;

/// The page's localStorage, if it can be had.
pub struct LocalStore {
    storage: Option<web_sys::Storage>,
}

impl LocalStore {
    /// Opens localStorage; works without it when it is unavailable.
    pub fn open() -> LocalStore {
        let storage = super::page::storage();
        LocalStore { storage }
    }
}

impl Store for LocalStore {
    fn get(&self, key: &str) -> Option<String> {
        self.storage.as_ref()?.get_item(key).ok().flatten()
    }

    fn set(&mut self, key: &str, value: &str) -> bool {
        self.storage
            .as_ref()
            .is_some_and(|s| s.set_item(key, value).is_ok())
    }

    fn remove(&mut self, key: &str) {
        if let Some(s) = &self.storage {
            let _ = s.remove_item(key);
        }
    }

    fn keys(&self) -> Vec<String> {
        self.storage
            .as_ref()
            .map(super::page::storage_keys)
            .unwrap_or_default()
    }

    fn parse_json(&self, text: &str) -> Option<Value> {
        js_sys::JSON::parse(text)
            .ok()
            .and_then(|v| from_js(&v).ok())
    }

    fn to_json(&self, v: &Value) -> String {
        stringify(v)
    }

    fn iso8601(&self, ms: f64) -> String {
        super::page::iso8601(ms)
    }

    fn query_pairs(&self, search: &str) -> Vec<(String, String)> {
        super::page::query_pairs(search)
    }
}
