//! The std prelude's allocating items, for modules that must also build without std (the
//! wasm is `no_std`, see lib.rs). `use crate::prelude::*;` at the top of a module.

pub use alloc::borrow::ToOwned;
pub use alloc::boxed::Box;
pub use alloc::string::{String, ToString};
pub use alloc::vec;
pub use alloc::vec::Vec;
