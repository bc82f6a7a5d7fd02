//! A `static` for the wasm's one thread: std's `thread_local!`, which a `no_std` build lacks.

#![allow(unsafe_code)]

#[cfg(target_feature = "atomics")]
compile_error!("web::Local assumes one thread: a wasm built with atomics needs thread_local!");

/// A value shared by the exports, which all run on the page's one thread.
pub struct Local<T>(T);

// SAFETY: wasm32 without the `atomics` target feature (checked above) has exactly one thread,
// so a `Local` is never reached from two threads; the values inside (RefCell, Cell, OnceCell,
// JS handles) then need no synchronisation.
unsafe impl<T> Sync for Local<T> {}

impl<T> Local<T> {
    pub const fn new(value: T) -> Self {
        Local(value)
    }

    /// Runs `f` on the value (the shape of `LocalKey::with`).
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.0)
    }
}
