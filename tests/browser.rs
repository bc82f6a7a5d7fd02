//! Browser tests of the web shell (wasm-bindgen-test in headless Chromium): storage, the
//! JS ↔ Rust conversions, and the exported API, including the action contract the loader
//! relies on (what to send, when to wake) and calls with bad arguments never throwing.
#![cfg(target_arch = "wasm32")]

use engagekit::json::{Map, Value};
use engagekit::tracker::Store;
use engagekit::web::{self, interop, storage::LocalStore};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn local_storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

fn js(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap()
}

/// `init`'s options with the config `doc` as the collector serves it (read, checked and
/// compiled: config::compact), which is the only form the module reads.
fn served(doc: &str) -> JsValue {
    let doc = interop::from_js(&js(doc)).unwrap();
    let re = engagekit::web::regex::JsRegexEngine::default();
    // Problems (the fixture has a broken slot) are the collector's to report.
    let (config, _) = engagekit::config::Config::from_value(&doc, &re);
    let mut options = Map::new();
    options.insert("config".into(), config.served());
    interop::to_js(&Value::Object(options))
}

/// The actions an export returned, as `[code, ...]` arrays.
fn actions(v: JsValue) -> Vec<js_sys::Array> {
    if v.is_undefined() {
        return Vec::new();
    }
    js_sys::Array::from(&v)
        .iter()
        .map(|a| a.dyn_into::<js_sys::Array>().unwrap())
        .collect()
}

/// The actions of an export, then those of the timer it armed: a page call never sends by
/// itself; a batch that falls due goes out when the timer fires.
fn then_wake(v: JsValue) -> Vec<js_sys::Array> {
    let mut acts = actions(v);
    if timer(&acts) == Some(0.0) {
        acts.extend(actions(web::wake()));
    }
    acts
}

fn sends(acts: &[js_sys::Array]) -> Vec<(u32, String)> {
    acts.iter()
        .filter(|a| a.get(0).as_f64() == Some(0.0) || a.get(0).as_f64() == Some(1.0))
        .map(|a| {
            (
                a.get(1).as_f64().unwrap() as u32,
                a.get(2).as_string().unwrap(),
            )
        })
        .collect()
}

fn timer(acts: &[js_sys::Array]) -> Option<f64> {
    acts.iter()
        .rev()
        .find(|a| a.get(0).as_f64() == Some(2.0))
        .and_then(|a| a.get(1).as_f64())
}

/// Every stored chunk of tab `tab`'s queue, concatenated.
fn stored_queue(tab: &str) -> String {
    let s = local_storage();
    let prefix = format!("engagekit:queue:{tab}:");
    (0..s.length().unwrap())
        .filter_map(|i| s.key(i).unwrap())
        .filter(|k| k.starts_with(&prefix))
        .filter_map(|k| s.get_item(&k).unwrap())
        .collect()
}

fn debug(key: &str) -> JsValue {
    interop::get(&web::debug(), key)
}

#[wasm_bindgen_test]
fn local_store_round_trips_and_lists_keys() {
    local_storage().clear().unwrap();
    let mut s = LocalStore::open();
    assert!(s.set("engagekit:test", "héllo\n\t{}"));
    assert_eq!(s.get("engagekit:test").as_deref(), Some("héllo\n\t{}"));
    assert!(s.keys().contains(&"engagekit:test".to_string()));
    s.remove("engagekit:test");
    assert_eq!(s.get("engagekit:test"), None);
}

#[wasm_bindgen_test]
fn browser_json_round_trips_values_with_floats_and_unicode() {
    let s = LocalStore::open();
    let mut m = Map::new();
    m.insert("price".into(), Value::Number(9.99));
    m.insert("name".into(), Value::from("Zoë </script>"));
    m.insert(
        "list".into(),
        Value::Array(vec![Value::Bool(true), Value::Null]),
    );
    let v = Value::Object(m);
    let text = s.to_json(&v);
    assert_eq!(
        text,
        r#"{"price":9.99,"name":"Zoë </script>","list":[true,null]}"#
    );
    assert_eq!(s.parse_json(&text), Some(v));
    assert_eq!(s.parse_json("{not json"), None);
}

/// The wasm's timestamps come from `Date.prototype.toISOString`; they must be the text the
/// native `event::iso8601` writes (the collector builds events with that one) for every
/// time up to the last a JS `Date` holds, including those both clamp.
#[wasm_bindgen_test]
fn browser_timestamps_are_the_native_ones() {
    let s = LocalStore::open();
    for ms in [
        0.0,
        -0.0,
        1.0,
        999.9,
        1_000_000_007.0,
        951_782_400_000.0,       // 2000-02-29, a leap day
        4_107_456_000_000.0,     // 2100-02-28, no leap day in 2100
        1_795_425_450_123.0,     // 2026-11-23T09:17:30.123Z
        1_795_425_450_123.7,     // a fraction of a ms is cut, not rounded
        253_402_300_799_999.0,   // 9999-12-31T23:59:59.999Z
        253_402_300_800_000.0,   // 10000-01-01: five digits, no `+0`
        3_155_760_000_000_000.0, // year 101972
        8.64e15,                 // the last time a Date holds, year 275760
        -5.0,
        -8.64e15,
        f64::MIN,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ] {
        assert_eq!(s.iso8601(ms), engagekit::event::iso8601(ms), "{ms}");
    }
}

/// The wasm reads query strings with the browser's `URLSearchParams`; the pairs must be the
/// ones the native `context::query_pairs` reads (the collector builds the events of early
/// calls with that one), escapes that are not UTF-8 and malformed ones included.
#[wasm_bindgen_test]
fn browser_query_pairs_are_the_native_ones() {
    let s = LocalStore::open();
    for search in [
        "",
        "?",
        "??a=1",
        "?a=1&b=2",
        "a=1",
        "?a",
        "?a=",
        "?=b",
        "?a=1&a=2",
        "?&&a=1&&b",
        "?k%20ey=v%3Dw=x",
        "?utm_campaign=spring%20sale&utm_term=a+b&utm_source=news",
        "?q=caf%C3%A9",
        "?q=100%",
        "?q=%zz&r=%4",
        "?q=%41",
        "?q=a+%2B%",
        "?q=%ff",
        "?q=caf%C3",
        "?q=%E2%82x",
        "?q=%ED%A0%80",
        "?q=%F0%9F%98%80%F0%9F",
        "?q=\u{e9}t\u{e9}&\u{1F600}=1",
        "?q=a#b&c=d",
    ] {
        assert_eq!(
            s.query_pairs(search),
            engagekit::context::query_pairs(search),
            "{search}"
        );
    }
}

#[wasm_bindgen_test]
fn page_values_go_through_json_like_segment_does() {
    let date = js_sys::Date::new(&JsValue::from_f64(0.0));
    let obj = js_sys::Object::new();
    js_sys::Reflect::set(&obj, &"when".into(), &date).unwrap();
    js_sys::Reflect::set(
        &obj,
        &"fn".into(),
        &js_sys::Function::new_no_args("return 1"),
    )
    .unwrap();
    let v = interop::to_value(&obj).unwrap();
    assert_eq!(
        v.get("when"),
        Some(&Value::from("1970-01-01T00:00:00.000Z"))
    );
    assert_eq!(v.get("fn"), None, "functions vanish as in JSON.stringify");

    let cyclic = js_sys::Object::new();
    js_sys::Reflect::set(&cyclic, &"me".into(), &cyclic).unwrap();
    let err = interop::object(&cyclic, "track(\"x\"): properties").unwrap_err();
    assert!(err.contains("properties could not be serialised"), "{err}");

    let err = interop::object(&JsValue::from_f64(3.0), "identify: traits").unwrap_err();
    assert_eq!(err, "identify: traits must be an object, got a number");
}

#[wasm_bindgen_test]
fn a_proto_key_reaches_the_page_as_data_not_as_the_objects_prototype() {
    // A checklist step may be called "__proto__" (an id is letters, digits, - and _), and its
    // texts reach the card under text.<locale>.steps by id.
    let text = r#"{"__proto__":{"title":"Set up"},"a":1}"#;
    let v = interop::to_value(&js(text)).unwrap();
    let obj = interop::to_js(&v);
    assert_eq!(
        js_sys::Object::get_prototype_of(&obj),
        js_sys::Object::get_prototype_of(&js_sys::Object::new()),
        "still a plain object"
    );
    let own = js_sys::Object::get_own_property_descriptor(&obj.clone().into(), &"__proto__".into());
    assert!(own.is_object(), "an own property");
    assert_eq!(
        js_sys::JSON::stringify(&obj).unwrap().as_string().unwrap(),
        text
    );
    assert_eq!(interop::to_value(&obj).unwrap(), v);
}

/// `{"a":{"a":...{"a":1}}}` nested `depth` levels, as JSON text (JSON.parse builds it without
/// recursion limits, as a hostile page or tampered storage can).
fn nested(depth: usize) -> String {
    format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth))
}

#[wasm_bindgen_test]
fn data_nested_past_the_bound_is_refused_never_a_stack_overflow() {
    // Within the bound: read whole.
    let ok = interop::to_value(&js(&nested(128))).unwrap();
    assert!(ok.get("a").is_some());
    // Past it, from the page, at any depth the browser can build: one error saying so.
    for depth in [129, 5_000] {
        let err = interop::to_value(&js(&nested(depth))).unwrap_err();
        assert_eq!(err, "nested deeper than 128 levels");
    }
    // Deeper than JSON.stringify goes (a RangeError, also refused): read straight.
    for depth in [129, 100_000] {
        assert!(interop::from_js(&js(&nested(depth))).is_err());
    }
    let arrays = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(interop::to_value(&js(&format!(r#"{{"list":{arrays}}}"#))).is_err());
    let err = interop::object(&js(&nested(10_000)), "track(\"x\"): properties").unwrap_err();
    assert!(err.contains("nested deeper than 128 levels"), "{err}");
    // Tampered storage reads as unreadable.
    assert_eq!(LocalStore::open().parse_json(&nested(10_000)), None);
}

#[wasm_bindgen_test]
fn page_info_reads_the_real_page() {
    let info = web::page::page_info(&JsValue::UNDEFINED);
    assert_eq!(
        web::page::page_info(&JsValue::UNDEFINED).timezone,
        info.timezone
    );
    let loc = web_sys::window().unwrap().location();
    assert_eq!(info.url, loc.href().unwrap());
    assert_eq!(info.path, loc.pathname().unwrap());
    assert_eq!(info.search, loc.search().unwrap());
    let nav = web_sys::window().unwrap().navigator();
    assert_eq!(info.user_agent, nav.user_agent().unwrap());
    assert_eq!(Some(info.locale.clone()), nav.language());
    let document = web_sys::window().unwrap().document().unwrap();
    document.set_title("Retitled – ünïcode");
    assert_eq!(web::page::title(), "Retitled – ünïcode");
    assert!(!info.user_agent.is_empty());
    assert!(!info.timezone.is_empty());
    // The zone comes from Temporal where the browser has it (Intl's first use costs ~20 ms);
    // it must be the name Intl gives, and Intl's when Temporal is missing.
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    let intl = js_sys::Reflect::get(&options, &"timeZone".into()).unwrap();
    assert_eq!(Some(info.timezone.clone()), intl.as_string());
    let global = js_sys::global();
    let temporal = js_sys::Reflect::get(&global, &"Temporal".into()).unwrap();
    assert!(
        !temporal.is_undefined(),
        "this Chromium has Temporal: the fast path is tested"
    );
    // With Temporal, Intl is not even touched: a stand-in for Intl.DateTimeFormat that
    // names another zone changes nothing; without Temporal, the stand-in is what is read.
    let intl_ns = js_sys::Reflect::get(&global, &"Intl".into()).unwrap();
    let real = js_sys::Reflect::get(&intl_ns, &"DateTimeFormat".into()).unwrap();
    let stand_in = js_sys::Function::new_no_args(
        "return { resolvedOptions: function () { return { timeZone: 'Not/Read' }; } };",
    );
    js_sys::Reflect::set(&intl_ns, &"DateTimeFormat".into(), &stand_in).unwrap();
    let fast = web::page::time_zone();
    js_sys::Reflect::delete_property(&global, &"Temporal".into()).unwrap();
    let stand_in_read = web::page::time_zone();
    js_sys::Reflect::set(&intl_ns, &"DateTimeFormat".into(), &real).unwrap();
    let without = web::page::time_zone();
    js_sys::Reflect::set(&global, &"Temporal".into(), &temporal).unwrap();
    assert_eq!(Some(fast), intl.as_string());
    assert_eq!(stand_in_read, "Not/Read");
    assert_eq!(Some(without), intl.as_string());
    assert!(info.screen.0 > 0.0);
    assert_eq!(
        info.screen.2,
        web_sys::window().unwrap().device_pixel_ratio()
    );
    // Ids are version-4 UUIDs, each new.
    let v4 = |u: &str| {
        u.len() == 36
            && u.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                14 => c == '4',
                19 => "89ab".contains(c),
                _ => c.is_ascii_hexdigit() && !c.is_ascii_uppercase(),
            })
    };
    let ids: Vec<String> = (0..100).map(|_| web::page::uuid()).collect();
    assert!(ids.iter().all(|u| v4(u)), "{ids:?}");
    assert!(ids.iter().enumerate().all(|(i, u)| !ids[..i].contains(u)));
}

/// Content slots for the API test: rules on traits, a config-written variant carrying markup
/// in its text, a rule naming a variant the page lacks, a broken slot.
const CONTENT: &str = r#""content":{"slots":{
    "hero":{"rules":[{"name":"pro","if":{"traits.plan":"pro"},"variant":"pro"}]},
    "promo":{"rules":[{"if":{},"variant":"offer"}],"variants":{"offer":{
        "title":"<img src=x onerror=\"window.__xss=1\">","body":"50% <b>off</b>",
        "cta":{"label":"<script>alert(1)</script>","href":"/pricing?plan=pro"}}}},
    "missing":{"rules":[{"if":{},"variant":"nope"}]},
    "broken":{"experiment":{"key":"e","variations":["only"]}}}}"#;

fn field(v: &JsValue, key: &str) -> Option<String> {
    interop::get(v, key).as_string()
}

/// `decide` and `viewed` as the widgets code calls them (the API test runs this after init).
fn content_slots_are_decided_and_reported() {
    // What the loader does with sends: here every request is answered 200.
    let deliver = |acts: Vec<js_sys::Array>| -> Vec<serde_json::Value> {
        let mut events = Vec::new();
        for (id, body) in sends(&acts) {
            let batch: serde_json::Value = serde_json::from_str(&body).unwrap();
            events.extend(batch["batch"].as_array().unwrap().iter().cloned());
            web::settle(id, JsValue::from_f64(200.0), JsValue::NULL);
        }
        events
    };
    let d = web::content::decide("hero".into(), js(r#"["pro"]"#), JsValue::FALSE);
    assert_eq!(field(&d, "variant").as_deref(), Some("default"));
    assert_eq!(field(&d, "reason").as_deref(), Some("default"));
    // Traits arrive; the next page view decides with them (one decision per page view).
    deliver(then_wake(web::identify(
        "u-pro".into(),
        js(r#"{"plan":"pro"}"#),
        JsValue::UNDEFINED,
    )));
    let same = web::content::decide("hero".into(), js(r#"["pro"]"#), JsValue::FALSE);
    assert_eq!(field(&same, "variant").as_deref(), Some("default"));
    let history = web_sys::window().unwrap().history().unwrap();
    history
        .push_state_with_url(&JsValue::NULL, "", Some("?page=2"))
        .unwrap();
    deliver(then_wake(web::navigated()));
    let d = web::content::decide("hero".into(), js(r#"["pro"]"#), JsValue::FALSE);
    assert_eq!(field(&d, "variant").as_deref(), Some("pro"));
    assert_eq!(field(&d, "reason").as_deref(), Some("rule"));

    // A config variant comes back as plain strings, for text nodes: nothing parsed, nothing
    // escaped twice.
    let d = web::content::decide("promo".into(), js("[]"), JsValue::FALSE);
    let content = interop::get(&d, "content");
    assert_eq!(
        field(&content, "title").as_deref(),
        Some(r#"<img src=x onerror="window.__xss=1">"#)
    );
    assert_eq!(
        field(&content, "ctaLabel").as_deref(),
        Some("<script>alert(1)</script>")
    );
    assert_eq!(
        field(&content, "ctaHref").as_deref(),
        Some("/pricing?plan=pro")
    );
    assert_eq!(interop::get(&content, "heading").as_f64(), Some(2.0));

    // Anything wrong: the default, never a throw.
    let d = web::content::decide("missing".into(), js("[]"), JsValue::FALSE);
    assert_eq!(field(&d, "reason").as_deref(), Some("fallback"));
    let d = web::content::decide("broken".into(), js(r#"["only"]"#), JsValue::FALSE);
    assert_eq!(field(&d, "variant").as_deref(), Some("default"));
    assert!(web::content::decide("nowhere".into(), js("[]"), JsValue::FALSE).is_undefined());
    assert!(
        web::content::decide(JsValue::from_f64(4.0), JsValue::NULL, JsValue::NULL).is_undefined()
    );
    let d = web::content::decide("missing".into(), "not an array".into(), JsValue::TRUE);
    assert_eq!(
        field(&d, "reason").as_deref(),
        Some("fallback"),
        "decided once per page view"
    );

    // Seen: Content Viewed goes out once per slot per page view.
    let events = deliver(then_wake(web::content::viewed("hero".into())));
    let viewed: Vec<_> = events
        .iter()
        .filter(|e| e["event"] == "Content Viewed")
        .collect();
    assert_eq!(viewed.len(), 1, "{events:?}");
    assert_eq!(viewed[0]["properties"]["slot"], "hero");
    assert_eq!(viewed[0]["properties"]["variant"], "pro");
    assert_eq!(viewed[0]["properties"]["rule"], "pro");
    assert_eq!(viewed[0]["properties"]["reason"], "rule");
    assert!(
        web::content::viewed("hero".into()).is_undefined(),
        "once per page view"
    );
    assert!(web::content::viewed(JsValue::NULL).is_undefined());
}

/// The exported API end to end, in order (the module has one global tracker).
#[wasm_bindgen_test]
fn exported_api_follows_the_action_contract_and_never_throws() {
    local_storage().clear().unwrap();

    // Before init: ignored with a warning, no throw, no actions.
    assert!(web::track("early".into(), JsValue::UNDEFINED).is_undefined());
    assert_eq!(web::score(), 0.0);

    // Bad init arguments are refused without starting anything.
    assert!(web::init(JsValue::from_f64(42.0), JsValue::UNDEFINED).is_undefined());
    assert!(debug("anonymousId").is_undefined());

    // The config as the collector serves it, compiled: send at every event.
    let options = served(&format!(
        r#"{{"tracking":{{"flushAt":1,"flushIntervalMs":1000}},"score":{{"weights":{{"Signed Up":50}}}},{CONTENT}}}"#
    ));
    let init = actions(web::init("key".into(), options));
    assert!(sends(&init).is_empty(), "a page call never sends by itself");
    assert_eq!(
        timer(&init),
        Some(0.0),
        "the due batch goes out from the timer at once"
    );
    let first = actions(web::wake());
    let sent = sends(&first);
    assert_eq!(sent.len(), 1, "the automatic page view is sent at once");
    let (page_id, body) = &sent[0];
    let batch: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(batch["writeKey"], "key");
    assert_eq!(batch["batch"][0]["type"], "page");
    assert_eq!(batch["batch"][0]["context"]["library"]["name"], "engagekit");
    assert!(
        matches!(timer(&first), None | Some(-1.0)),
        "no timer while a request is in flight: {:?}",
        timer(&first)
    );

    // Persisted before it is sent (in a chunk of this tab's queue).
    let tab = debug("tab").as_string().unwrap();
    let queued = stored_queue(&tab);
    assert!(queued.contains(batch["batch"][0]["messageId"].as_str().unwrap()));

    // Delivered: the queue empties.
    web::settle(*page_id, JsValue::from_f64(200.0), JsValue::NULL);
    assert_eq!(debug("queued").as_f64(), Some(0.0));

    // A network error keeps the event and backs off (≥ 500 ms), honouring Retry-After.
    let acts = then_wake(web::track("Signed Up".into(), js(r#"{"plan":"pro"}"#)));
    let (id, _) = sends(&acts)[0].clone();
    let after = actions(web::settle(id, JsValue::UNDEFINED, JsValue::UNDEFINED));
    assert!(sends(&after).is_empty());
    assert!(timer(&after).unwrap() >= 499.0, "{:?}", timer(&after));
    assert_eq!(debug("queued").as_f64(), Some(1.0));
    let retry = actions(web::wake());
    assert!(sends(&retry).is_empty(), "still inside the backoff");
    let again = actions(web::online());
    let (id2, _) = sends(&again)[0].clone();
    let after = actions(web::settle(id2, JsValue::from_f64(503.0), "120".into()));
    assert!(timer(&after).unwrap() >= 119_000.0, "Retry-After: 120 s");
    assert!(
        web::score() > 60.0,
        "score counts the tracked event: {}",
        web::score()
    );

    // The page goes away: everything goes out as beacon-sized unload sends.
    let leave = actions(web::hide(JsValue::TRUE));
    assert!(!leave.is_empty());
    for a in &leave {
        assert_eq!(a.get(0).as_f64(), Some(1.0));
        assert!(a.get(2).as_string().unwrap().len() <= 60_000);
    }
    assert_eq!(
        local_storage()
            .get_item(&format!("engagekit:alive:{tab}"))
            .unwrap()
            .as_deref(),
        Some("gone")
    );
    // Back from the bfcache: storage is the truth again, and a merely hidden page sends with
    // keepalive fetches whose answers still count.
    web::show(JsValue::TRUE);
    let hidden = actions(web::hide(JsValue::FALSE));
    assert!(!hidden.is_empty());
    for a in &hidden {
        assert_eq!(a.get(0).as_f64(), Some(0.0));
        assert_eq!(a.get(3).as_bool(), Some(true), "keepalive");
    }
    for (id, _) in sends(&hidden) {
        web::settle(id, JsValue::from_f64(200.0), JsValue::NULL);
    }

    content_slots_are_decided_and_reported();

    // Bad arguments from the page: warnings, never a throw or a panic.
    let _ = web::track(JsValue::from_f64(42.0), JsValue::UNDEFINED);
    let _ = web::track("x".into(), "notanobject".into());
    let _ = web::track("".into(), JsValue::NULL);
    let _ = web::page(JsValue::from_f64(1.0), JsValue::TRUE);
    let _ = web::identify(js("{}"), JsValue::UNDEFINED, JsValue::UNDEFINED);
    let _ = web::identify(js("[1]"), JsValue::UNDEFINED, JsValue::UNDEFINED);
    let _ = web::identify(
        JsValue::from_f64(7.0),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    );
    assert_eq!(debug("userId").as_string().as_deref(), Some("7"));
    let _ = web::consent("maybe".into());
    let _ = web::settle(999_999, "x".into(), JsValue::from_f64(1.0));
    let _ = web::hide(JsValue::UNDEFINED);
    let huge = "x".repeat(40_000);
    let props = js_sys::Object::new();
    js_sys::Reflect::set(&props, &"blob".into(), &huge.into()).unwrap();
    let before = debug("queued").as_f64();
    let _ = web::track("Huge".into(), props.into());
    assert_eq!(
        debug("queued").as_f64(),
        before,
        "an oversized event is refused, nothing else lost"
    );

    // Second init is ignored.
    assert!(web::init("other".into(), JsValue::UNDEFINED).is_undefined());

    // Consent denied: local data erased, nothing further recorded.
    web::consent("denied".into());
    assert_eq!(debug("consent").as_string().as_deref(), Some("denied"));
    let keys: Vec<String> = (0..local_storage().length().unwrap())
        .filter_map(|i| local_storage().key(i).unwrap())
        .collect();
    assert_eq!(keys, ["engagekit:consent"]);
    assert!(sends(&actions(web::track("after".into(), JsValue::UNDEFINED))).is_empty());

    // forget() erases everything, the choice included.
    let old = debug("anonymousId").as_string();
    web::forget();
    assert_eq!(local_storage().length().unwrap(), 0);
    assert_ne!(debug("anonymousId").as_string(), old);
}
