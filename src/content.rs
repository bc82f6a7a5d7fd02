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
use crate::regex::RegexEngine;
#[cfg(feature = "content")]
use crate::{
    condition::validate_condition,
    config::{read::Obj, ConfigError},
};

/// The name of the page's own content in a slot.
pub const DEFAULT: &str = "default";

/// `content` in the config.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    /// Slots by name, in config order.
    pub slots: Vec<Slot>,
    /// Goal event for slots that name none.
    pub goal: Option<String>,
    /// How long the page may keep slots hidden waiting for a decision.
    pub hide_ms: f64,
}

impl Default for Content {
    fn default() -> Self {
        Content {
            slots: Vec::new(),
            goal: None,
            hide_ms: 300.0,
        }
    }
}

/// One slot's configuration.
#[derive(Debug, Clone, PartialEq)]
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
}

/// An audience rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Name for reports (default `rule N`).
    pub name: String,
    /// GrowthBook-style condition over visitor attributes.
    pub condition: Value,
    /// Variant shown when it matches.
    pub variant: String,
}

/// An A/B test inside a slot.
#[derive(Debug, Clone, PartialEq)]
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
}

/// A variant written in config: rendered as text nodes and a safe link, never as HTML.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Structured {
    /// Heading text.
    pub title: Option<String>,
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
}

impl Reason {
    /// The name reported in `Content Viewed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Rule => "rule",
            Reason::Experiment => "experiment",
            Reason::Default => "default",
            Reason::Fallback => "fallback",
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
    fn default_content(reason: Reason, warning: Option<String>) -> Decision {
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
    let exists = |v: &str| v == DEFAULT || defined(v) || slot.variants.iter().any(|(n, _)| n == v);
    for rule in &slot.rules {
        if !eval_condition(&rule.condition, attrs, saved_groups, re) {
            continue;
        }
        if !exists(&rule.variant) {
            return Decision::default_content(
                Reason::Fallback,
                Some(format!(
                    "slot \"{}\": {} shows variant \"{}\", which the page does not define; showing the default",
                    slot.name, rule.name, rule.variant
                )),
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
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        let assigned =
            unit.and_then(|u| bucket::assign(&exp.key, &u, &exp.weights, exp.coverage, sticky));
        if let Some(i) = assigned {
            let variant = exp
                .variations
                .get(i)
                .cloned()
                .unwrap_or_else(|| DEFAULT.into());
            if !exists(&variant) {
                return Decision::default_content(
                    Reason::Fallback,
                    Some(format!(
                        "slot \"{}\": experiment \"{}\" shows variant \"{variant}\", which the page does not define; showing the default",
                        slot.name, exp.key
                    )),
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
/// this site. `javascript:`, `data:` and the like never do.
pub fn safe_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || (lower.starts_with('/') && !lower.starts_with("//"))
}

#[cfg(feature = "content")]
/// Reads `content` from the config; `re` checks rule conditions. A rule whose condition is
/// malformed is an error naming its path (the shell then keeps the page's defaults).
pub(crate) fn parse(obj: &Obj, re: &dyn RegexEngine) -> Result<Content, ConfigError> {
    let mut content = Content {
        goal: obj.string("goal")?,
        hide_ms: obj.number("hideMs", 300.0, (0.0, 10_000.0), "from 0 to 10000")?,
        ..Content::default()
    };
    if let Some(slots) = obj.obj("slots")? {
        for (name, _) in slots.map {
            let s = slots
                .obj(name)?
                .ok_or_else(|| slots.error(name, "expected an object"))?;
            content.slots.push(parse_slot(name, &s, re)?);
        }
    }
    obj.no_other_keys(&["slots", "goal", "hideMs"])?;
    Ok(content)
}

#[cfg(feature = "content")]
fn parse_slot(name: &str, s: &Obj, re: &dyn RegexEngine) -> Result<Slot, ConfigError> {
    let mut slot = Slot {
        name: name.to_owned(),
        goal: s.string("goal")?,
        rules: Vec::new(),
        experiment: None,
        variants: Vec::new(),
    };
    for (i, rule) in s.array("rules")?.into_iter().flatten().enumerate() {
        let path = format!("{}[{i}]", s.path_of("rules"));
        let r = Obj::new(rule, &path)?;
        let condition = r
            .map
            .get("if")
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        validate_condition(&condition, re).map_err(|e| r.error("if", &e))?;
        let variant = r
            .string("variant")?
            .ok_or_else(|| r.error("variant", "required"))?;
        slot.rules.push(Rule {
            name: r
                .string("name")?
                .unwrap_or_else(|| format!("rule {}", i + 1)),
            condition,
            variant,
        });
        r.no_other_keys(&["name", "if", "variant"])?;
    }
    if let Some(e) = s.obj("experiment")? {
        let key = e.string("key")?.ok_or_else(|| e.error("key", "required"))?;
        let variations: Vec<String> = match e.array("variations")? {
            Some(v)
                if v.len() >= 2 && v.iter().all(|x| x.as_str().is_some_and(|s| !s.is_empty())) =>
            {
                v.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            }
            _ => return Err(e.error("variations", "expected at least two variant names")),
        };
        let weights = match e.array("weights")? {
            None => bucket::get_equal_weights(variations.len()),
            Some(w)
                if w.len() == variations.len()
                    && w.iter().all(|x| x.as_f64().is_some_and(|n| n >= 0.0)) =>
            {
                w.iter().filter_map(Value::as_f64).collect()
            }
            Some(_) => {
                return Err(e.error("weights", "expected one non-negative number per variation"))
            }
        };
        slot.experiment = Some(Experiment {
            key,
            variations,
            weights,
            coverage: e.number("coverage", 1.0, (0.0, 1.0), "from 0 to 1")?,
            hash_attribute: e.string("hashAttribute")?.unwrap_or_else(|| "id".into()),
        });
        e.no_other_keys(&["key", "variations", "weights", "coverage", "hashAttribute"])?;
    }
    if let Some(vs) = s.obj("variants")? {
        for (vname, _) in vs.map {
            let v = vs
                .obj(vname)?
                .ok_or_else(|| vs.error(vname, "expected an object"))?;
            let cta = v.obj("cta")?;
            let url = |o: &Obj, key: &str| -> Result<Option<String>, ConfigError> {
                match o.string(key)? {
                    Some(u) if !safe_url(&u) => {
                        Err(o.error(key, "expected an http(s) URL or a path on this site"))
                    }
                    other => Ok(other),
                }
            };
            let structured = Structured {
                title: v.string("title")?,
                body: v.string("body")?,
                cta_label: cta
                    .as_ref()
                    .map(|c| c.string("label"))
                    .transpose()?
                    .flatten(),
                cta_href: cta.as_ref().map(|c| url(c, "href")).transpose()?.flatten(),
                image: url(&v, "image")?,
                image_alt: v.string("imageAlt")?,
            };
            if let Some(c) = &cta {
                c.no_other_keys(&["label", "href"])?;
            }
            v.no_other_keys(&["title", "body", "cta", "image", "imageAlt"])?;
            slot.variants.push((vname.clone(), structured));
        }
    }
    s.no_other_keys(&["goal", "rules", "experiment", "variants"])?;
    Ok(slot)
}

#[cfg(test)]
mod tests;
