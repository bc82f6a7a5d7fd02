//! What a widget's card shows (a survey's, a checklist's): its texts by locale, its
//! placement and theme, as written in the config.
//!
//! The core passes them on as they are; the card (a UI chunk) chooses the locale for the
//! visitor's language, renders every value as text and ignores what it cannot use. The full check of these fields, with messages that name the
//! field, runs with the `validate` feature, where configs are published (the collector);
//! the browser's build checks only that the texts are objects by locale.

use crate::config::{read::Obj, Bad};
use crate::json::Map;

/// The config keys a card reads.
pub const KEYS: [&str; 4] = ["text", "defaultLocale", "placement", "theme"];

/// Reads a widget's card fields from `s` into `ui`: `text` (required: an object of locale
/// objects, each checked by `texts` with `validate`), `defaultLocale`, `placement` (one of
/// `placements`), `theme`.
pub(crate) fn read(
    s: &Obj,
    ui: &mut Map,
    placements: &[&str],
    texts: fn(&Obj) -> Result<(), Bad>,
) -> Result<(), Bad> {
    let text = s
        .obj("text")?
        .ok_or_else(|| s.error("text", "required: the texts by locale"))?;
    for (locale, value) in text.map {
        let _t = text.child(locale, value)?;
        #[cfg(feature = "validate")]
        texts(&_t)?;
    }
    if text.map.is_empty() {
        return Err(s.error("text", "expected at least one locale, e.g. \"en\""));
    }
    #[cfg(feature = "validate")]
    check::presentation(s, &text, placements)?;
    #[cfg(not(feature = "validate"))]
    let _ = (placements, texts);
    for key in KEYS {
        if let Some(v) = s.map.get(key) {
            ui.set(key, v.clone());
        }
    }
    Ok(())
}

/// What the card of widget `id` needs: `{id, text, defaultLocale, placement, theme}`, its
/// fields as the config has them. The card (a UI chunk, www/card.js) chooses the locale of
/// the texts for the visitor's language: presentation, so no code for it in the wasm.
pub fn card(id: &str, ui: &Map) -> Map {
    let mut m = ui.clone();
    m.set("id", id.into());
    m
}

/// The full check of a card's fields, where configs are published.
#[cfg(feature = "validate")]
mod check {
    use crate::config::{read::Obj, Bad};
    #[allow(unused_imports)]
    use crate::prelude::*;

    /// The theme's custom properties (`--ek-<name>` on the card).
    const THEME_KEYS: [&str; 5] = ["accent", "background", "text", "radius", "font"];
    /// Longest theme value.
    const MAX_THEME_CHARS: usize = 120;

    /// `defaultLocale`, `placement` and `theme`; `text` is the object of texts by locale.
    pub(super) fn presentation(s: &Obj, text: &Obj, placements: &[&str]) -> Result<(), Bad> {
        if let Some(default) = s.string("defaultLocale")? {
            if !text.map.contains_key(&default) {
                return Err(s.error("defaultLocale", "expected one of the locales under text"));
            }
        }
        if let Some(p) = s.string("placement")? {
            if !placements.contains(&p.as_str()) {
                let mut m = String::from("expected one of:");
                for p in placements {
                    m.push(' ');
                    m.push_str(p);
                }
                return Err(s.error("placement", &m));
            }
        }
        if let Some(theme) = s.obj("theme")? {
            theme.no_other_keys(&THEME_KEYS)?;
            for key in THEME_KEYS {
                if let Some(v) = theme.string(key)? {
                    if !plain_css_value(&v) {
                        return Err(theme
                            .error(key, "expected a plain CSS value (no ; { } < > \\ or url())"));
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether `v` is a plain CSS value that cannot end its declaration, open a block or a
    /// tag, escape, or load anything (`url()`, `image-set()`, `@import`).
    fn plain_css_value(v: &str) -> bool {
        let lower = v.to_ascii_lowercase();
        !v.is_empty()
            && v.chars().count() <= MAX_THEME_CHARS
            && !v.contains([';', '{', '}', '<', '>', '\\', '@'])
            && !["url(", "image(", "image-set(", "expression("]
                .iter()
                .any(|f| lower.contains(f))
    }
}
