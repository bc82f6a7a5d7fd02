//! The compile chunk (`engagekit_config`, feature `compiler`): what checks an inline config in
//! the browser. The module itself reads only the compiled form (config::compact); the
//! collector compiles each published config, and www/host.js loads this chunk only when the
//! page passes its config to `init` instead.

use crate::prelude::*;
use wasm_bindgen::prelude::*;

use super::interop::{self, warn};
use super::regex::JsRegexEngine;
use crate::config::Config;
use crate::json::Value;

/// Reads an inline config as the collector reads a published one (every check; each problem
/// one console warning naming its path and what happens) and returns what the collector
/// would serve for it: `{privacy, build, compiled}`.
#[wasm_bindgen]
pub fn compile(config: JsValue) -> JsValue {
    let value = interop::to_value(&config).unwrap_or_else(|e| {
        let mut m = String::from("config could not be read (");
        m.push_str(&e);
        m.push_str("); using the default configuration");
        warn(&m);
        Value::Null
    });
    let (config, problems) = Config::from_value(&value, &JsRegexEngine::default());
    for p in problems {
        warn(&p.text());
    }
    interop::to_js(&config.served())
}
