//! The demo site's config (config/demo.json), which `npm start` serves, reads without a
//! single problem: a typo there would switch part of the demo off with only a console warning.

#[test]
fn the_demo_config_reads_without_problems() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.json"))
        .expect("config/demo.json");
    let sites: serde_json::Value = serde_json::from_str(&text).expect("config/demo.json is JSON");
    let sites = sites.as_object().expect("an object of sites by writeKey");
    assert!(!sites.is_empty());
    for (key, doc) in sites {
        let value: engagekit::json::Value = serde_json::from_value(doc.clone()).unwrap();
        let (_, problems) = engagekit::config::Config::from_value(
            &value,
            &engagekit::regex::RegressEngine::default(),
        );
        let texts: Vec<String> = problems.iter().map(|p| p.text()).collect();
        assert!(texts.is_empty(), "site {key}: {texts:?}");
    }
}
