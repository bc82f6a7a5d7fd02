//! One reusable wake-up timer: a single callback created once, re-armed with `setTimeout`.
//!
//! Re-arming clears the previous timeout first, so there is never more than one pending, and
//! the callback is never dropped while it runs (a new `Closure` per timeout would be).

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// A timer that calls the same function each time it fires.
pub struct Wake {
    id: Option<i32>,
    callback: Closure<dyn FnMut()>,
}

impl Wake {
    /// A timer that will call `f`; not armed yet.
    pub fn new(f: impl FnMut() + 'static) -> Wake {
        Wake {
            id: None,
            callback: Closure::<dyn FnMut()>::new(f),
        }
    }

    /// Fires in `ms` (replacing any earlier arming).
    pub fn arm(&mut self, ms: f64) {
        self.cancel();
        let delay = ms.clamp(0.0, 2_147_483_647.0) as i32;
        self.id = web_sys::window().and_then(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(
                self.callback.as_ref().unchecked_ref(),
                delay,
            )
            .ok()
        });
    }

    /// Disarms it.
    pub fn cancel(&mut self) {
        if let (Some(id), Some(w)) = (self.id.take(), web_sys::window()) {
            w.clear_timeout_with_handle(id);
        }
    }
}
