//! `assets/demo.ndjson`: what the demo promises about its data.

use std::collections::{BTreeMap, HashSet};

use jiff::Timestamp;
use pinscope::api::model::PinState;
use pinscope::api::validate::validate;
use pinscope::api::{Customization, TargetType};
use pinscope::tui::demo::{DATA, DOCS_ID, data_at};

#[allow(dead_code)]
#[path = "../../examples/gen_demo.rs"]
mod gen_demo;

#[test]
fn the_file_is_what_the_generator_writes() {
    assert!(
        gen_demo::generate() == DATA,
        "assets/demo.ndjson is stale: run `cargo run --example gen_demo > assets/demo.ndjson`"
    );
}

#[test]
fn every_line_is_valid_with_a_unique_stable_id() {
    let mut ids = HashSet::new();
    let mut keys = HashSet::new();
    for (i, line) in DATA.lines().enumerate() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        let violations = validate(&v);
        assert!(violations.is_empty(), "line {}: {violations:?}", i + 1);
        let c = Customization::from_value(v).expect("object");
        let id = c.id().unwrap_or_else(|| panic!("line {} has no id", i + 1));
        assert!(uuid::Uuid::parse_str(id).is_ok(), "line {}: {id}", i + 1);
        assert!(
            ids.insert(id.to_string()),
            "line {}: duplicate id {id}",
            i + 1
        );
        assert!(c.created_at_ts().is_some(), "line {}: created_at", i + 1);
        let key = c.conflict_key().expect("conflict key");
        assert!(
            keys.insert(key.clone()),
            "line {}: duplicate target {key}",
            i + 1
        );
    }
}

#[test]
fn a_believable_shop() {
    let data = data_at(Timestamp::now()).expect("data");
    assert!(data.len() >= 300, "{} customizations", data.len());
    let mut models: BTreeMap<&str, usize> = BTreeMap::new();
    let mut types: BTreeMap<TargetType, usize> = BTreeMap::new();
    let (mut tagged, mut with_meta, mut unknown_fields, mut criteria_pins, mut blocks) =
        (0, 0, 0, 0, 0);
    for c in &data {
        *models.entry(c.model().expect("model")).or_default() += 1;
        *types.entry(c.target_type().expect("type")).or_default() += 1;
        tagged += usize::from(c.tags().next().is_some());
        with_meta += usize::from(c.title().is_some());
        unknown_fields += usize::from(c.get("x_merchandiser_note").is_some());
        criteria_pins += c.pins().filter(|p| p.criteria().is_some()).count();
        blocks += c.pins().filter(|p| p.is_block()).count();
    }
    assert!(models.len() >= 4, "{models:?}");
    assert!(models.values().all(|&n| n >= 20), "{models:?}");
    for t in TargetType::ALL {
        assert!(types.get(&t).copied().unwrap_or(0) >= 5, "{types:?}");
    }
    assert!(tagged >= 100, "{tagged} tagged");
    assert!(with_meta >= 200, "{with_meta} with a title");
    assert!(unknown_fields >= 3, "{unknown_fields} with unknown fields");
    assert!(
        criteria_pins >= 20 && blocks >= 20,
        "{criteria_pins} {blocks}"
    );
}

/// Pins are active, scheduled and expired whatever the year the demo runs in.
#[test]
fn pin_states_hold_in_any_year() {
    for now in [
        "2025-06-01T12:00:00Z",
        "2026-11-22T08:00:00Z",
        "2031-02-28T23:59:00Z",
        "2044-07-04T00:00:00Z",
    ] {
        let now: Timestamp = now.parse().expect("ts");
        let data = data_at(now).expect("data");
        let mut states: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &data {
            for p in c.pins() {
                *states.entry(p.state_at(now).as_str()).or_default() += 1;
            }
            // Nothing was created in the future.
            assert!(
                c.created_at_ts().expect("created") <= now,
                "{now}: {:?}",
                c.id()
            );
        }
        for s in [PinState::Active, PinState::Scheduled, PinState::Expired] {
            assert!(
                states.get(s.as_str()).copied().unwrap_or(0) >= 50,
                "{now}: {states:?}"
            );
        }
        let available = data.iter().filter(|c| c.is_available_at(now)).count();
        assert!(
            available >= 100 && available < data.len(),
            "{now}: {available}"
        );
    }
}

#[test]
fn the_docs_customization_is_verbatim() {
    let line = DATA
        .lines()
        .find(|l| l.contains(DOCS_ID))
        .expect("the docs customization");
    let v: serde_json::Value = serde_json::from_str(line).expect("json");
    assert_eq!(
        v,
        serde_json::json!({
            "id": "199620b4-df1a-46e8-ab59-9e9ed9af7106",
            "created_at": "2025-01-22T08:49:58Z",
            "model": "basket",
            "target_type": "item",
            "target_identity": "/p/123",
            "target_metadata": {"title": "Fender Telecaster", "image_link": "https://doe.com/123.jpg"},
            "pin_definitions": [
                {"position": 1, "pin_type": "item", "pin_identity": "/p/555",
                 "active_from": "2025-02-01T00:00:00Z"}
            ]
        })
    );
    // Never moved, and its pin is active from 2025 on.
    let now: Timestamp = "2033-01-01T00:00:00Z".parse().expect("ts");
    let data = data_at(now).expect("data");
    let docs = data.iter().find(|c| c.id() == Some(DOCS_ID)).expect("docs");
    assert_eq!(docs.created_at(), Some("2025-01-22T08:49:58Z"));
    let pin = docs.pins().next().expect("pin");
    assert_eq!(
        pin.active_from().map(|t| t.to_string()).as_deref(),
        Some("2025-02-01T00:00:00Z")
    );
    assert_eq!(pin.state_at(now), PinState::Active);
}
