//! A [`Store`] kept in memory, natively: the collector's replay of early calls (a store per
//! request), the tests, the fuzz tests and the benches.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use super::Store;
use crate::json::Value;

/// localStorage in memory. Clones share one map, as a browser's tabs share localStorage;
/// [`MemoryStore::set_full`] makes writes fail, as a full quota does.
#[derive(Clone, Default)]
pub struct MemoryStore {
    map: Rc<RefCell<BTreeMap<String, String>>>,
    full: Rc<Cell<bool>>,
}

impl MemoryStore {
    /// Whether writes fail from now on.
    pub fn set_full(&self, full: bool) {
        self.full.set(full);
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &str) -> Option<String> {
        self.map.borrow().get(key).cloned()
    }
    fn set(&mut self, key: &str, value: &str) -> bool {
        if self.full.get() {
            return false;
        }
        self.map.borrow_mut().insert(key.into(), value.into());
        true
    }
    fn remove(&mut self, key: &str) {
        self.map.borrow_mut().remove(key);
    }
    fn keys(&self) -> Vec<String> {
        self.map.borrow().keys().cloned().collect()
    }
    fn parse_json(&self, text: &str) -> Option<Value> {
        serde_json::from_str(text).ok()
    }
}
