//! What a site's config says its reports hold: the goal event of each slot and
//! experiment, and the slot, experiment and variant names the browser module can report.
//! Both are read from the config on every request, never baked in at ingest.

use std::collections::BTreeSet;

use engagekit::content::Content;
use serde_json::{Map, Value};

use super::DEFAULT_VARIANT;

/// The `(name, variant)` pairs the config defines, as `Content Viewed` and `Experiment
/// Viewed` report them: per slot, `default` and every variant a rule, the experiment or
/// the slot's own `variants` can show; per experiment, its variations. The module sends no
/// other name, so anything else did not come from it.
#[derive(Debug, Default)]
pub(super) struct Defined {
    pub(super) slots: BTreeSet<(String, String)>,
    pub(super) experiments: BTreeSet<(String, String)>,
}

impl Defined {
    pub(super) fn of(content: &Content) -> Self {
        let mut defined = Defined::default();
        for slot in &content.slots {
            let variations = slot.experiment.iter().flat_map(|e| &e.variations);
            let shown = [DEFAULT_VARIANT]
                .into_iter()
                .chain(slot.rules.iter().map(|r| r.variant.as_str()))
                .chain(variations.map(String::as_str))
                .chain(slot.variants.iter().map(|(name, _)| name.as_str()));
            for variant in shown {
                defined
                    .slots
                    .insert((slot.name.clone(), variant.to_owned()));
            }
            if let Some(e) = &slot.experiment {
                for variation in &e.variations {
                    defined
                        .experiments
                        .insert((e.key.clone(), variation.clone()));
                }
            }
        }
        defined
    }
}

/// The goal events a site's config names: `content.goal` for everything, overridden per
/// slot by `content.slots.<slot>.goal`; an experiment takes the goal of the slot whose
/// `experiment.key` names it. Anything that is not a non-empty string is ignored, as the
/// browser module would reject it anyway.
#[derive(Debug, Default)]
pub(super) struct Goals {
    pub(super) default: Option<String>,
    pub(super) by_slot: Map<String, Value>,
    pub(super) by_experiment: Map<String, Value>,
}

impl Goals {
    pub(super) fn of(config: &Value) -> Self {
        let content = &config["content"];
        let default = goal_of(content);
        let mut goals = Goals {
            default: default.clone(),
            ..Goals::default()
        };
        let Some(slots) = content["slots"].as_object() else {
            return goals;
        };
        for (name, slot) in slots {
            let goal = goal_of(slot).or_else(|| default.clone());
            let Some(goal) = goal else { continue };
            goals.by_slot.insert(name.clone(), goal.clone().into());
            if let Some(experiment) = slot["experiment"]["key"].as_str() {
                goals
                    .by_experiment
                    .entry(experiment.to_owned())
                    .or_insert_with(|| goal.into());
            }
        }
        goals
    }

    pub(super) fn for_key(&self, map: &Map<String, Value>, key: &str) -> Option<String> {
        map.get(key)
            .and_then(Value::as_str)
            .map(String::from)
            .or_else(|| self.default.clone())
    }
}

fn goal_of(v: &Value) -> Option<String> {
    v["goal"]
        .as_str()
        .filter(|g| !g.is_empty())
        .map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use engagekit::config::Config;
    use engagekit::regex::RegressEngine;
    use serde_json::json;

    #[test]
    fn slot_goal_overrides_the_content_goal_and_experiments_follow_their_slot() {
        let config = json!({"content": {"goal": "Signed Up", "slots": {
            "hero": {"goal": "Trial Started", "experiment": {"key": "hero-cta"}},
            "footer": {"rules": []},
            "side": {"goal": 3},
        }}});
        let g = Goals::of(&config);
        assert_eq!(
            g.for_key(&g.by_slot, "hero").as_deref(),
            Some("Trial Started")
        );
        assert_eq!(
            g.for_key(&g.by_slot, "footer").as_deref(),
            Some("Signed Up")
        );
        assert_eq!(g.for_key(&g.by_slot, "side").as_deref(), Some("Signed Up"));
        assert_eq!(
            g.for_key(&g.by_slot, "unknown").as_deref(),
            Some("Signed Up")
        );
        assert_eq!(
            g.for_key(&g.by_experiment, "hero-cta").as_deref(),
            Some("Trial Started")
        );
        assert_eq!(
            g.for_key(&g.by_experiment, "other").as_deref(),
            Some("Signed Up")
        );
    }

    #[test]
    fn defined_names_are_the_ones_the_module_can_report() {
        let config: engagekit::json::Value = serde_json::from_str(
            r#"{"content": {"slots": {
                "hero": {"rules": [{"variant": "promo"}],
                         "experiment": {"key": "hero-cta", "variations": ["default", "bold"]},
                         "variants": {"plain": {"title": "Hi"}}},
                "footer": {}
            }}}"#,
        )
        .unwrap();
        let content = Config::from_value(&config, &RegressEngine::default())
            .0
            .content;
        let d = Defined::of(&content);
        let pairs = |set: &BTreeSet<(String, String)>| {
            set.iter()
                .map(|(k, v)| format!("{k}/{v}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            pairs(&d.slots),
            [
                "footer/default",
                "hero/bold",
                "hero/default",
                "hero/plain",
                "hero/promo"
            ]
        );
        assert_eq!(pairs(&d.experiments), ["hero-cta/bold", "hero-cta/default"]);
    }

    #[test]
    fn no_goal_anywhere_means_no_goal() {
        let g = Goals::of(&json!({"content": {"slots": {"hero": {}}}}));
        assert_eq!(g.for_key(&g.by_slot, "hero"), None);
        let g = Goals::of(&json!({"tracking": {}}));
        assert_eq!(g.for_key(&g.by_experiment, "x"), None);
    }
}
