//! Personalised content blocks: which variant of a slot this visitor sees, and why.
//!
//! A slot has an ordered list of rules (audience condition → variant) and optionally an
//! experiment. The first matching rule wins; otherwise the experiment assigns a variation
//! (sticky: a visitor keeps the variation first assigned even if weights change later);
//! otherwise the page's default content stays. Anything wrong (a variant the page does not
//! define, a rule that cannot be parsed) falls back to the default with one warning. This
//! module reads no DOM: the shell says which variants the page defines.

use crate::bucket;
use crate::condition::eval_condition;
use crate::json::{Map, Value};
use crate::prelude::*;
use crate::regex::RegexEngine;
use crate::text::cat;

const NOT_DEFINED: &str = "\", which the page does not define; showing the default";

/// The name of the page's own content in a slot.
pub const DEFAULT: &str = "default";

/// `content` in the config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Content {
    /// Slots by name, in config order.
    pub slots: Vec<Slot>,
    /// Goal event for slots that name none.
    pub goal: Option<String>,
}

/// One slot's configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Slot {
    /// `data-engagekit-slot` name.
    pub name: String,
    /// Conversion event for reports.
    pub goal: Option<String>,
    /// Audience rules, first match wins.
    pub rules: Vec<Rule>,
    /// Optional experiment when no rule matches.
    pub experiment: Option<Experiment>,
    /// Variants written in the config rather than in the page.
    pub variants: Vec<(String, Structured)>,
    /// The slot's config could not be read (reported at load): it shows the default.
    pub broken: bool,
}

/// An audience rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rule {
    /// Name for reports (default `rule N`).
    pub name: String,
    /// GrowthBook-style condition over visitor attributes; None when it could not be parsed
    /// (reported at load), and then the rule never matches.
    pub condition: Option<Value>,
    /// Variant shown when it matches.
    pub variant: String,
}

/// An A/B test inside a slot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Experiment {
    /// Experiment key: the hash seed and the reported `experiment_id`.
    pub key: String,
    /// Variation names; `default` means the page's own content (the usual control).
    pub variations: Vec<String>,
    /// Weights (equal when absent or invalid).
    pub weights: Vec<f64>,
    /// Share of visitors in the experiment, 0-1.
    pub coverage: f64,
    /// Attribute whose value is hashed (default `id`).
    pub hash_attribute: String,
    /// GrowthBook namespace `(name, start, end)`: only visitors in this slice of the
    /// namespace enter, so experiments with disjoint slices never share a visitor.
    pub namespace: Option<(String, f64, f64)>,
}

/// A variant written in config: rendered as text nodes and a safe link, never as HTML.
#[derive(Debug, Clone, PartialEq)]
pub struct Structured {
    /// Heading text.
    pub title: Option<String>,
    /// Level of the title's heading element, 1-6 (default 2).
    pub heading: u8,
    /// Paragraph text.
    pub body: Option<String>,
    /// Call-to-action label.
    pub cta_label: Option<String>,
    /// Call-to-action link (http(s) or same-site path only).
    pub cta_href: Option<String>,
    /// Image URL (http(s) or same-site path only).
    pub image: Option<String>,
    /// Alternative text of the image.
    pub image_alt: Option<String>,
}

impl Default for Structured {
    fn default() -> Self {
        Structured {
            title: None,
            heading: 2,
            body: None,
            cta_label: None,
            cta_href: None,
            image: None,
            image_alt: None,
        }
    }
}

/// Why a variant was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A rule matched.
    Rule,
    /// The experiment assigned it.
    Experiment,
    /// Nothing applied.
    Default,
    /// Something was wrong; the default is shown.
    Fallback,
    /// The decision came after the page had already shown the slot's default, which then
    /// stays (no flicker): no rule, no experiment exposure.
    Timeout,
}

impl Reason {
    /// The name reported in `Content Viewed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Rule => "rule",
            Reason::Experiment => "experiment",
            Reason::Default => "default",
            Reason::Fallback => "fallback",
            Reason::Timeout => "timeout",
        }
    }
}

/// What a slot shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Variant name (`default` for the page's content).
    pub variant: String,
    /// Why.
    pub reason: Reason,
    /// The rule that matched.
    pub rule: Option<String>,
    /// The experiment and the index of the assigned variation.
    pub experiment: Option<(String, usize)>,
    /// A problem to report once.
    pub warning: Option<String>,
}

impl Decision {
    /// The page's own content, for `reason`.
    pub fn default_content(reason: Reason, warning: Option<String>) -> Decision {
        Decision {
            variant: DEFAULT.into(),
            reason,
            rule: None,
            experiment: None,
            warning,
        }
    }
}

/// Chooses the variant of `slot` for a visitor with `attrs`. `defined` says whether the page
/// (or the config) defines a variant; `sticky` is the variation this visitor was assigned
/// before in the slot's experiment, if any.
pub fn decide(
    slot: &Slot,
    attrs: &Value,
    saved_groups: &Map,
    re: &dyn RegexEngine,
    defined: &dyn Fn(&str) -> bool,
    sticky: Option<usize>,
) -> Decision {
    if slot.broken {
        return Decision::default_content(Reason::Fallback, None);
    }
    let exists = |v: &str| v == DEFAULT || defined(v) || slot.variants.iter().any(|(n, _)| n == v);
    for rule in &slot.rules {
        let matches = rule
            .condition
            .as_ref()
            .is_some_and(|c| eval_condition(c, attrs, saved_groups, re));
        if !matches {
            continue;
        }
        if !exists(&rule.variant) {
            return Decision::default_content(
                Reason::Fallback,
                Some(cat(&[
                    "slot \"",
                    &slot.name,
                    "\": ",
                    &rule.name,
                    " shows variant \"",
                    &rule.variant,
                    NOT_DEFINED,
                ])),
            );
        }
        return Decision {
            variant: rule.variant.clone(),
            reason: Reason::Rule,
            rule: Some(rule.name.clone()),
            experiment: None,
            warning: None,
        };
    }
    if let Some(exp) = &slot.experiment {
        let unit = match crate::condition::lookup(attrs, &exp.hash_attribute) {
            Value::String(s) if !s.is_empty() => Some(s),
            _ => None,
        };
        // A visitor already assigned stays; anyone else enters only inside the namespace.
        let enters = |u: &str| {
            sticky.is_some()
                || exp
                    .namespace
                    .as_ref()
                    .is_none_or(|(name, start, end)| bucket::in_namespace(u, (name, *start, *end)))
        };
        let assigned = unit
            .filter(|u| enters(u))
            .and_then(|u| bucket::assign(&exp.key, u, &exp.weights, exp.coverage, sticky));
        if let Some(i) = assigned {
            let variant = exp
                .variations
                .get(i)
                .cloned()
                .unwrap_or_else(|| DEFAULT.into());
            if !exists(&variant) {
                return Decision::default_content(
                    Reason::Fallback,
                    Some(cat(&[
                        "slot \"",
                        &slot.name,
                        "\": experiment \"",
                        &exp.key,
                        "\" shows variant \"",
                        &variant,
                        NOT_DEFINED,
                    ])),
                );
            }
            return Decision {
                variant,
                reason: Reason::Experiment,
                rule: None,
                experiment: Some((exp.key.clone(), i)),
                warning: None,
            };
        }
    }
    Decision::default_content(Reason::Default, None)
}

/// The structured variant `name` of `slot`, if the config defines one.
pub fn structured<'a>(slot: &'a Slot, name: &str) -> Option<&'a Structured> {
    slot.variants
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, s)| s)
}

/// Whether a URL from config may become a link or an image source: http(s) or a path on
/// this site. `javascript:`, `data:` and the like never do, nor anything a browser's URL
/// parser would read differently from how it looks: control characters and whitespace
/// (which it strips, so `java\tscript:` is `javascript:`) and `/\host` (which it reads as
/// `//host`, another site).
pub fn safe_url(url: &str) -> bool {
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    let lower = url.to_ascii_lowercase();
    let path_here =
        lower.starts_with('/') && !matches!(lower.as_bytes().get(1), Some(b'/' | b'\\'));
    lower.starts_with("https://") || lower.starts_with("http://") || path_here
}

#[cfg(feature = "widgets")]
mod parse;
#[cfg(feature = "widgets")]
pub(crate) use parse::parse;

#[cfg(test)]
mod tests;
