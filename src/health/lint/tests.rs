use super::*;
use serde_json::json;

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

const NOW: &str = "2025-06-10T12:00:00Z";

fn now() -> Timestamp {
    ts(NOW)
}

fn scope(id: &str, model: &str, pins: Value) -> Customization {
    Customization::from_value(json!({
        "id": id, "model": model, "target_type": "item", "target_identity": format!("/t/{id}"),
        "pin_definitions": pins
    }))
    .expect("object")
}

fn pin(position: i64, item: &str) -> Value {
    json!({"position": position, "pin_type": "item", "pin_identity": item})
}

fn windowed(position: i64, item: &str, from: Option<&str>, to: Option<&str>) -> Value {
    let mut p = pin(position, item);
    if let Some(f) = from {
        p["active_from"] = json!(f);
    }
    if let Some(t) = to {
        p["active_to"] = json!(t);
    }
    p
}

fn rules(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.rule.id()).collect()
}

fn only(findings: &[Finding], rule: Rule) -> Vec<&Finding> {
    findings.iter().filter(|f| f.rule == rule).collect()
}

#[test]
fn rule_ids_and_severities_are_stable() {
    let got: Vec<(&str, &str)> = Rule::ALL
        .iter()
        .map(|r| (r.id(), r.severity().as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("duplicate-target", "error"),
            ("pinned-and-blocked", "error"),
            ("slot-overlap", "warning"),
            ("item-twice", "warning"),
            ("dead", "warning"),
            ("unknown-model", "warning"),
            ("expired", "info"),
        ]
    );
    for r in Rule::ALL {
        assert_eq!(Rule::parse(r.id()), Some(r));
    }
    assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Info);
    assert_eq!(Severity::parse("warning"), Some(Severity::Warning));
    assert_eq!(Severity::parse("fatal"), None);
}

#[test]
fn overlap_of_windows_touching_overlapping_and_open() {
    let t = |s: &str| Some(ts(s));
    let n = ts("2025-01-01T00:00:00Z");
    // Touching: [a, b) and [b, c) share nothing.
    assert!(!overlap_after(
        (t("2025-02-01T00:00:00Z"), t("2025-03-01T00:00:00Z")),
        (t("2025-03-01T00:00:00Z"), t("2025-04-01T00:00:00Z")),
        n
    ));
    // One second of overlap is an overlap.
    assert!(overlap_after(
        (t("2025-02-01T00:00:00Z"), t("2025-03-01T00:00:01Z")),
        (t("2025-03-01T00:00:00Z"), t("2025-04-01T00:00:00Z")),
        n
    ));
    // Open bounds reach forever.
    assert!(overlap_after(
        (None, None),
        (t("2030-01-01T00:00:00Z"), None),
        n
    ));
    assert!(overlap_after(
        (None, t("2025-03-01T00:00:00Z")),
        (t("2025-02-01T00:00:00Z"), None),
        n
    ));
    assert!(!overlap_after(
        (None, t("2025-02-01T00:00:00Z")),
        (t("2025-02-01T00:00:00Z"), None),
        n
    ));
    // An overlap wholly in the past does not count.
    assert!(!overlap_after(
        (None, t("2024-12-01T00:00:00Z")),
        (None, None),
        n
    ));
    // Same offsets written differently are the same instant.
    assert!(!overlap_after(
        (None, t("2025-03-01T01:00:00+01:00")),
        (t("2025-03-01T00:00:00Z"), None),
        n
    ));
}

#[test]
fn duplicate_target_uses_the_conflict_key() {
    let crit = |id: &str, criteria: Value| {
        Customization::from_value(json!({"id": id, "model": "home", "target_type": "criteria",
            "target_criteria": criteria, "pin_definitions": [pin(1, "x")]}))
        .expect("object")
    };
    let all = |id: &str, model: &str| {
        Customization::from_value(json!({"id": id, "model": model, "target_type": "all",
            "pin_definitions": [pin(1, "x")]}))
        .expect("object")
    };
    let scopes = vec![
        crit("c1", json!({"a": 1, "b": 2})),
        crit("c2", json!({"b": 2, "a": 1})), // same criteria, other key order
        crit("c3", json!({"a": 1})),
        all("a1", "home"),
        all("a2", "basket"),
        scope("i1", "home", json!([pin(1, "x")])),
    ];
    let found = lint(&scopes, now());
    let dups = only(&found, Rule::DuplicateTarget);
    assert_eq!(dups.len(), 1, "{found:?}");
    assert_eq!(dups[0].ids, ["c1", "c2"]);
    assert_eq!(dups[0].severity(), Severity::Error);
    assert!(
        dups[0].message.contains("home criteria"),
        "{}",
        dups[0].message
    );
}

#[test]
fn duplicate_target_item_identity_and_model_both_count() {
    let mk = |id: &str, model: &str, target: &str| {
        Customization::from_value(json!({"id": id, "model": model, "target_type": "item",
            "target_identity": target, "pin_definitions": [pin(1, "x")]}))
        .expect("object")
    };
    let scopes = vec![
        mk("a", "basket", "/p/1"),
        mk("b", "basket", "/p/1"),
        mk("c", "home", "/p/1"),
        mk("d", "basket", "/p/2"),
    ];
    let dups: Vec<Vec<String>> = only(&lint(&scopes, now()), Rule::DuplicateTarget)
        .iter()
        .map(|f| f.ids.clone())
        .collect();
    assert_eq!(dups, [vec!["a".to_string(), "b".to_string()]]);
}

#[test]
fn pinned_and_blocked() {
    // Positive: pinned and blocked, both open.
    let c = scope("a", "m", json!([pin(1, "x"), pin(0, "x"), pin(2, "y")]));
    let f = check_pins(&c, now());
    let hits = only(&f, Rule::PinnedAndBlocked);
    assert_eq!(hits.len(), 1, "{f:?}");
    assert_eq!(hits[0].pins, [0, 1]);
    assert!(hits[0].message.contains("item x"));
    // is_block_pin counts as a block too.
    let c = scope(
        "a",
        "m",
        json!([pin(1, "x"), {"position": 0, "is_block_pin": true, "pin_type": "item", "pin_identity": "x"}]),
    );
    assert_eq!(
        only(&check_pins(&c, now()), Rule::PinnedAndBlocked).len(),
        1
    );
    // Negative: the block follows the pin (windows touch).
    let c = scope(
        "a",
        "m",
        json!([
            windowed(1, "x", None, Some("2025-07-01T00:00:00Z")),
            windowed(0, "x", Some("2025-07-01T00:00:00Z"), None),
        ]),
    );
    assert!(only(&check_pins(&c, now()), Rule::PinnedAndBlocked).is_empty());
    // Negative: other widgets.
    let c = scope(
        "a",
        "m",
        json!([
            {"position": 1, "pin_type": "item", "pin_identity": "x", "widget_id": "w1"},
            {"position": 0, "pin_type": "item", "pin_identity": "x", "widget_id": "w2"},
        ]),
    );
    assert!(only(&check_pins(&c, now()), Rule::PinnedAndBlocked).is_empty());
    // Negative: different items.
    let c = scope("a", "m", json!([pin(1, "x"), pin(0, "y")]));
    assert!(only(&check_pins(&c, now()), Rule::PinnedAndBlocked).is_empty());
}

#[test]
fn slot_overlap_touching_versus_overlapping() {
    // Touching windows: a hand-over, not an overlap.
    let c = scope(
        "a",
        "m",
        json!([
            windowed(
                1,
                "x",
                Some("2025-06-01T00:00:00Z"),
                Some("2025-07-01T00:00:00Z")
            ),
            windowed(
                1,
                "y",
                Some("2025-07-01T00:00:00Z"),
                Some("2025-08-01T00:00:00Z")
            ),
        ]),
    );
    assert!(only(&check_pins(&c, now()), Rule::SlotOverlap).is_empty());
    // Overlapping by a day.
    let c = scope(
        "a",
        "m",
        json!([
            windowed(
                1,
                "x",
                Some("2025-06-01T00:00:00Z"),
                Some("2025-07-02T00:00:00Z")
            ),
            windowed(
                1,
                "y",
                Some("2025-07-01T00:00:00Z"),
                Some("2025-08-01T00:00:00Z")
            ),
        ]),
    );
    let f = check_pins(&c, now());
    let hits = only(&f, Rule::SlotOverlap);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].pins, [0, 1]);
    assert_eq!(hits[0].severity(), Severity::Warning);
    assert!(hits[0].message.contains("slot 1"), "{}", hits[0].message);
    // Open bounds: an open-ended pin overlaps a later one.
    let c = scope(
        "a",
        "m",
        json!([
            pin(2, "x"),
            windowed(2, "y", Some("2026-01-01T00:00:00Z"), None)
        ]),
    );
    assert_eq!(only(&check_pins(&c, now()), Rule::SlotOverlap).len(), 1);
    // Open start against a window that begins after the open pin ends: none.
    let c = scope(
        "a",
        "m",
        json!([
            windowed(2, "x", None, Some("2025-09-01T00:00:00Z")),
            windowed(2, "y", Some("2025-09-01T00:00:00Z"), None)
        ]),
    );
    assert!(only(&check_pins(&c, now()), Rule::SlotOverlap).is_empty());
    // Other slots, other widgets, or an overlap that is over: none.
    let c = scope(
        "a",
        "m",
        json!([
            pin(1, "x"),
            pin(2, "y"),
            {"position": 3, "pin_type": "item", "pin_identity": "z", "widget_id": "w1"},
            {"position": 3, "pin_type": "item", "pin_identity": "v", "widget_id": "w2"},
            windowed(4, "p", None, Some("2025-01-01T00:00:00Z")),
            windowed(4, "q", None, Some("2025-02-01T00:00:00Z")),
        ]),
    );
    assert!(only(&check_pins(&c, now()), Rule::SlotOverlap).is_empty());
    // A pin for every widget collides with one for a single widget.
    let c = scope(
        "a",
        "m",
        json!([pin(5, "x"), {"position": 5, "pin_type": "item", "pin_identity": "y", "widget_id": "w1"}]),
    );
    assert_eq!(only(&check_pins(&c, now()), Rule::SlotOverlap).len(), 1);
}

#[test]
fn item_twice() {
    let c = scope("a", "m", json!([pin(1, "x"), pin(3, "x"), pin(2, "y")]));
    let f = check_pins(&c, now());
    let hits = only(&f, Rule::ItemTwice);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].pins, [0, 1]);
    // Scheduled one after the other (touching): not twice.
    let c = scope(
        "a",
        "m",
        json!([
            windowed(1, "x", None, Some("2025-07-01T00:00:00Z")),
            windowed(3, "x", Some("2025-07-01T00:00:00Z"), None),
        ]),
    );
    assert!(only(&check_pins(&c, now()), Rule::ItemTwice).is_empty());
    // Overlapping windows: twice.
    let c = scope(
        "a",
        "m",
        json!([
            windowed(1, "x", None, Some("2025-07-01T00:00:01Z")),
            windowed(3, "x", Some("2025-07-01T00:00:00Z"), None),
        ]),
    );
    assert_eq!(only(&check_pins(&c, now()), Rule::ItemTwice).len(), 1);
    // Criteria pins are not items.
    let c = scope(
        "a",
        "m",
        json!([
            {"position": 1, "pin_type": "criteria", "pin_criteria": {"a": 1}},
            {"position": 2, "pin_type": "criteria", "pin_criteria": {"a": 1}},
        ]),
    );
    assert!(only(&check_pins(&c, now()), Rule::ItemTwice).is_empty());
}

#[test]
fn dead_and_expired() {
    // All expired: dead, and 2 expired.
    let c = scope(
        "a",
        "m",
        json!([
            windowed(1, "x", None, Some("2025-06-01T00:00:00Z")),
            windowed(2, "y", None, Some(NOW)), // ends exactly now: expired
        ]),
    );
    let f = check_pins(&c, now());
    assert_eq!(rules(&f), ["dead", "expired"]);
    assert_eq!(f[1].pins, [0, 1]);
    assert!(
        f[1].message.starts_with("2 expired pins"),
        "{}",
        f[1].message
    );
    assert_eq!(f[1].severity(), Severity::Info);
    // No pins: dead.
    let c = scope("a", "m", json!([]));
    assert_eq!(rules(&check_pins(&c, now())), ["dead"]);
    // One scheduled pin keeps it alive; one expired pin is still counted.
    let c = scope(
        "a",
        "m",
        json!([
            windowed(1, "x", None, Some("2025-06-01T00:00:00Z")),
            windowed(2, "y", Some("2025-07-01T00:00:00Z"), None),
        ]),
    );
    assert_eq!(rules(&check_pins(&c, now())), ["expired"]);
    // Starting exactly now is active.
    let c = scope("a", "m", json!([windowed(1, "x", Some(NOW), None)]));
    assert!(check_pins(&c, now()).is_empty());
}

#[test]
fn unknown_model_flags_a_lonely_near_miss() {
    let scopes = vec![
        scope("h1", "homepage", json!([pin(1, "x")])),
        scope("h2", "homepage", json!([pin(1, "x")])),
        scope("h3", "homepage", json!([pin(1, "x")])),
        scope("typo", "homepageX", json!([pin(1, "x")])),
        scope("swap", "hoemapge", json!([pin(1, "x")])), // 2 transpositions
        scope("far", "homepageXYZ", json!([pin(1, "x")])), // 3 edits
        scope("b1", "tv", json!([pin(1, "x")])),
        scope("b2", "tv", json!([pin(1, "x")])),
        scope("short", "pc", json!([pin(1, "x")])), // 2 chars: too short to guess
        scope("n1", "basket", json!([pin(1, "x")])),
        scope("n2", "baskets", json!([pin(1, "x")])), // used once, but basket is too
    ];
    let found = lint(&scopes, now());
    let mut hits: Vec<(String, String)> = only(&found, Rule::UnknownModel)
        .iter()
        .map(|f| (f.ids[0].clone(), f.message.clone()))
        .collect();
    hits.sort();
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert_eq!(hits[0].0, "swap");
    assert_eq!(hits[1].0, "typo");
    assert!(
        hits[1].1.contains("\"homepage\" (used by 3)"),
        "{}",
        hits[1].1
    );
}

#[test]
fn findings_come_most_severe_first_and_filter_keeps_the_whole_group() {
    let mk = |id: &str, model: &str, target: &str, pins: Value| {
        Customization::from_value(json!({"id": id, "model": model, "target_type": "item",
            "target_identity": target, "pin_definitions": pins}))
        .expect("object")
    };
    let scopes = vec![
        mk(
            "a",
            "m",
            "/p/1",
            json!([
                windowed(1, "x", None, Some("2025-01-01T00:00:00Z")),
                pin(2, "y")
            ]),
        ),
        mk("b", "m", "/p/1", json!([pin(1, "x"), pin(1, "y")])),
        mk("c", "other", "/p/1", json!([pin(1, "x"), pin(1, "y")])),
    ];
    let all = lint(&scopes, now());
    let sev: Vec<Severity> = all.iter().map(Finding::severity).collect();
    let mut sorted = sev.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(sev, sorted);
    assert_eq!(all[0].rule, Rule::DuplicateTarget);
    // Filtering on "b" keeps the duplicate (it names b) and b's own findings only.
    let kept = lint_where(&scopes, now(), |c| c.id() == Some("b"));
    assert_eq!(rules(&kept), ["duplicate-target", "slot-overlap"]);
    assert_eq!(kept[0].ids, ["a", "b"]);
    let json = Value::Object(kept[0].to_json()).to_string();
    assert_eq!(
        json,
        r#"{"rule":"duplicate-target","severity":"error","ids":["a","b"],"message":"2 customizations share the target m item /p/1"}"#
    );
}

#[test]
fn the_editor_sees_the_same_rules_for_one_draft() {
    let stored = vec![
        scope("h1", "homepage", json!([pin(1, "x")])),
        scope("h2", "homepage", json!([pin(1, "x")])),
        scope("solo", "rare", json!([pin(1, "x")])),
    ];
    let n = Neighbours::build(&stored);
    // A new draft (no id) copying h1's target, with a typo'd model and a doubled slot.
    let mut draft = stored[0].without_server_fields();
    let found = n.check(&draft, now());
    assert_eq!(rules(&found), ["duplicate-target"]);
    assert_eq!(found[0].ids, ["h1"]);
    assert!(
        found[0].message.contains("already used by h1"),
        "{}",
        found[0].message
    );
    draft.set("model", json!("homepageX"));
    draft.set(
        "pin_definitions",
        json!([pin(1, "x"), pin(1, "y"), pin(0, "x")]),
    );
    let found = n.check(&draft, now());
    assert_eq!(
        rules(&found),
        ["pinned-and-blocked", "slot-overlap", "unknown-model"]
    );
    assert!(found.iter().all(|f| f.rule != Rule::DuplicateTarget));
    // Editing a stored customization: its own target and its own lonely model are fine.
    let found = n.check(&stored[2], now());
    assert!(found.is_empty(), "{found:?}");
    let found = n.check(&stored[0], now());
    assert!(found.is_empty(), "{found:?}");
    // Editing h2 into h1's target: the duplicate names h1 only.
    let mut h2 = stored[1].clone();
    h2.set("target_identity", json!("/t/h1"));
    let found = n.check(&h2, now());
    assert_eq!(rules(&found), ["duplicate-target"]);
    assert_eq!(found[0].ids, ["h1"]);
}
