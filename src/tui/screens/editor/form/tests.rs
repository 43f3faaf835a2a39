//! Tests of the form: edits land in the object in place, everything else is kept.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

use super::*;

fn now() -> Timestamp {
    "2025-06-15T10:00:00Z".parse().expect("ts")
}

fn prague() -> TimeZone {
    TimeZone::get("Europe/Prague").expect("tz")
}

fn obj(v: Value) -> Customization {
    Customization::from_value(v).expect("object")
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn backspaces(n: usize) -> Vec<KeyEvent> {
    vec![KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE); n]
}

fn type_main(f: &mut Form, field: Field, text: &str) {
    for c in text.chars() {
        f.type_main(field, key(c));
    }
}

fn clear_main(f: &mut Form, field: Field) {
    for k in backspaces(200) {
        f.type_main(field, k);
    }
}

fn type_pin(f: &mut Form, i: usize, field: PinField, text: &str, tz: &TimeZone) {
    for k in backspaces(60) {
        f.type_pin(i, field, k, now(), tz);
    }
    for c in text.chars() {
        f.type_pin(i, field, key(c), now(), tz);
    }
}

fn text(c: &Customization) -> String {
    serde_json::to_string(c).expect("json")
}

fn rich() -> Customization {
    obj(json!({
        "id": "199620b4-df1a-46e8-ab59-9e9ed9af7106",
        "x_campaign": {"name": "summer", "budget": 3},
        "model": "basket",
        "target_type": "item",
        "target_identity": "/p/123",
        "target_metadata": {"image_link": "https://x/1.jpg", "price": 5, "title": "Old"},
        "tags": ["guitars"],
        "pin_definitions": [
            {"note": "keep me", "position": 1, "pin_type": "item", "pin_identity": "/p/555",
             "active_from": "2025-02-01T00:00:00Z"},
            {"position": 0, "pin_type": "criteria", "pin_criteria": {"z": 1, "a": 2},
             "is_block_pin": true}
        ],
        "created_at": "2025-01-22T08:49:58Z",
        "zz_last": true
    }))
}

#[test]
fn an_edit_changes_only_its_field_in_place() {
    let mut f = Form::new(rich(), now(), &prague());
    let before = text(f.object());
    clear_main(&mut f, Field::Model);
    type_main(&mut f, Field::Model, "home");
    let expected = before.replace(r#""model":"basket""#, r#""model":"home""#);
    assert_eq!(text(f.object()), expected);
    assert!(f.violations().is_empty(), "{:?}", f.violations());
    assert_eq!(f.kept_fields(), ["x_campaign", "zz_last"]);
    assert_eq!(f.kept_pin_fields(0), ["note"]);
}

#[test]
fn target_type_keeps_only_what_applies_and_remembers_the_rest() {
    let mut f = Form::new(rich(), now(), &prague());
    f.set_target(TargetType::Criteria);
    assert!(f.object().get("target_identity").is_none());
    assert_eq!(
        f.errors_at(Place::Field(Field::Criteria)),
        ["Missing required field: target_criteria"]
    );
    assert_eq!(
        f.fields(),
        [
            Field::Model,
            Field::TargetType,
            Field::Criteria,
            Field::Tags,
            Field::Title,
            Field::Image,
            Field::MetaOther,
            Field::Pins
        ]
    );
    f.set_main_text(Field::Criteria, "{\"category\": \"Drums\",\n\"x\" 1}");
    let e = f.errors_at(Place::Field(Field::Criteria));
    assert_eq!(e, ["JSON line 2, column 5: expected `:`"], "{e:?}");
    // The object did not take the broken text.
    assert!(f.object().get("target_criteria").is_none());
    f.set_main_text(Field::Criteria, "{\"category\": \"Drums\", \"x\": 1}");
    assert_eq!(
        text(&obj(f
            .object()
            .get("target_criteria")
            .cloned()
            .expect("set"))),
        r#"{"category":"Drums","x":1}"#
    );
    assert!(f.errors_at(Place::Field(Field::Criteria)).is_empty());
    f.set_target(TargetType::All);
    assert!(f.object().get("target_criteria").is_none());
    assert!(!f.fields().contains(&Field::Identity));
    f.set_target(TargetType::Item);
    assert_eq!(f.object().target_identity(), Some("/p/123"));
    assert!(f.violations().is_empty(), "{:?}", f.violations());
}

#[test]
fn metadata_keeps_other_keys_and_their_order() {
    let mut f = Form::new(rich(), now(), &prague());
    assert_eq!(f.title.value(), "Old");
    assert_eq!(f.meta_other.text(), "{\n  \"price\": 5\n}");
    clear_main(&mut f, Field::Title);
    type_main(&mut f, Field::Title, "New");
    assert_eq!(
        text(&obj(f
            .object()
            .get("target_metadata")
            .cloned()
            .expect("meta"))),
        r#"{"image_link":"https://x/1.jpg","price":5,"title":"New"}"#
    );
    clear_main(&mut f, Field::Image);
    f.set_main_text(Field::MetaOther, "{\"price\": 6, \"brand\": \"Fender\"}");
    assert_eq!(
        text(&obj(f
            .object()
            .get("target_metadata")
            .cloned()
            .expect("meta"))),
        r#"{"price":6,"title":"New","brand":"Fender"}"#
    );
    // Broken JSON: the other keys stay as they were, the error is on the field.
    f.set_main_text(Field::MetaOther, "{\"price\": ");
    assert_eq!(
        text(&obj(f
            .object()
            .get("target_metadata")
            .cloned()
            .expect("meta"))),
        r#"{"price":6,"title":"New","brand":"Fender"}"#
    );
    assert_eq!(f.errors_at(Place::Field(Field::MetaOther)).len(), 1);
    assert_eq!(f.problems().len(), 1, "{:?}", f.problems());
}

#[test]
fn metadata_and_tags_appear_only_when_given() {
    let mut f = Form::new(
        obj(json!({"model": "m", "target_type": "all", "pin_definitions": []})),
        now(),
        &prague(),
    );
    type_main(&mut f, Field::Tags, "summer,  clearance ,");
    assert_eq!(
        f.object().get("tags"),
        Some(&json!(["summer", "clearance"]))
    );
    clear_main(&mut f, Field::Tags);
    assert!(f.object().get("tags").is_none());
    type_main(&mut f, Field::Title, "T");
    assert_eq!(
        f.object().get("target_metadata"),
        Some(&json!({"title": "T"}))
    );
    clear_main(&mut f, Field::Title);
    assert!(f.object().get("target_metadata").is_none());
    // A customization that had tags keeps an empty list when they are all removed.
    let mut f = Form::new(rich(), now(), &prague());
    clear_main(&mut f, Field::Tags);
    assert_eq!(f.object().get("tags"), Some(&json!([])));
}

#[test]
fn position_block_and_is_block_pin_go_together() {
    let mut f = Form::new(rich(), now(), &prague());
    // Pin 0: slot 1 without is_block_pin.
    f.set_pin_kind(0, PosKind::Block);
    assert_eq!(f.pin(0).expect("pin")["position"], json!(0));
    assert_eq!(f.pin(0).expect("pin")["is_block_pin"], json!(true));
    f.set_pin_kind(0, PosKind::Global);
    assert_eq!(f.pin(0).expect("pin")["position"], json!(-1));
    assert_eq!(f.pin(0).expect("pin")["is_block_pin"], json!(false));
    // Pin 1: block -> slot 3.
    f.set_pin_kind(1, PosKind::Slot);
    type_pin(&mut f, 1, PinField::Slot, "3", &prague());
    assert_eq!(f.pin(1).expect("pin")["position"], json!(3));
    assert_eq!(f.pin(1).expect("pin")["is_block_pin"], json!(false));
    type_pin(&mut f, 1, PinField::Slot, "x", &prague());
    assert_eq!(f.pin(1).expect("pin")["position"], json!(3), "kept");
    assert_eq!(
        f.errors_at(Place::Pin(1, Some(PinField::Position))),
        ["\"x\" is not a slot number (1, 2, 3…)"]
    );
    assert!(f.violations().is_empty());
    assert_eq!(
        f.problems(),
        ["pin 2, position: \"x\" is not a slot number (1, 2, 3…)"]
    );
}

#[test]
fn pin_type_swaps_identity_and_criteria() {
    let mut f = Form::new(rich(), now(), &prague());
    f.set_pin_type(1, PinType::Item);
    assert!(f.pin(1).expect("pin").get("pin_criteria").is_none());
    assert_eq!(
        f.errors_at(Place::Pin(1, Some(PinField::Identity))),
        ["Must not be empty"]
    );
    type_pin(&mut f, 1, PinField::Identity, "/p/9", &prague());
    f.set_pin_type(1, PinType::Criteria);
    assert!(f.pin(1).expect("pin").get("pin_identity").is_none());
    assert_eq!(
        text(&obj(f.pin(1).expect("pin")["pin_criteria"].clone())),
        r#"{"z":1,"a":2}"#,
        "criteria key order kept"
    );
}

#[test]
fn dates_are_read_in_the_zone_and_sent_with_offset() {
    let tz = prague();
    let mut f = Form::new(rich(), now(), &tz);
    // As stored: untouched.
    assert_eq!(f.pins[0].from.text(), "2025-02-01T00:00:00Z");
    type_pin(&mut f, 0, PinField::From, "2025-02-01 14:00", &tz);
    assert_eq!(
        f.pin(0).expect("pin")["active_from"],
        json!("2025-02-01T14:00:00+01:00")
    );
    // Summer time.
    type_pin(&mut f, 0, PinField::To, "2025-07-01", &tz);
    assert_eq!(
        f.pin(0).expect("pin")["active_to"],
        json!("2025-07-01T00:00:00+02:00")
    );
    // A local time in the spring-forward gap moves forward.
    type_pin(&mut f, 0, PinField::From, "2025-03-30 02:30", &tz);
    assert_eq!(
        f.pin(0).expect("pin")["active_from"],
        json!("2025-03-30T03:30:00+02:00")
    );
    // RFC 3339 with an offset is kept exactly as typed.
    type_pin(&mut f, 0, PinField::From, "2025-03-01T00:00:00-05:00", &tz);
    assert_eq!(
        f.pin(0).expect("pin")["active_from"],
        json!("2025-03-01T00:00:00-05:00")
    );
    // The end before the start: the shared rule names active_to.
    type_pin(&mut f, 0, PinField::To, "2025-02-01", &tz);
    assert_eq!(
        f.errors_at(Place::Pin(0, Some(PinField::To))),
        ["Must be later than active_from"]
    );
    // Garbage: the field says why, the object keeps the last good value (here none: the
    // field was cleared before the garbage was typed).
    type_pin(&mut f, 0, PinField::To, "next tuesday", &tz);
    assert!(f.pin(0).expect("pin").get("active_to").is_none());
    f.type_pin(0, PinField::To, key('!'), now(), &tz);
    assert!(f.pin(0).expect("pin").get("active_to").is_none());
    let e = f.errors_at(Place::Pin(0, Some(PinField::To)));
    assert!(e.len() == 1 && e[0].contains("expected a date"), "{e:?}");
    // Cleared: no bound.
    type_pin(&mut f, 0, PinField::To, "", &tz);
    assert!(f.pin(0).expect("pin").get("active_to").is_none());
    assert!(f.problems().is_empty(), "{:?}", f.problems());
}

#[test]
fn relative_dates_across_dst_in_several_zones() {
    // now = 2025-03-29 11:00 UTC; Prague springs forward the next night.
    let at: Timestamp = "2025-03-29T11:00:00Z".parse().expect("ts");
    let cases = [
        ("Europe/Prague", "+1d", "2025-03-30T12:00:00+02:00"),
        ("Europe/Prague", "+24h", "2025-03-30T13:00:00+02:00"),
        ("Europe/Prague", "tomorrow", "2025-03-30T00:00:00+01:00"),
        ("America/New_York", "+1w", "2025-04-05T07:00:00-04:00"),
        (
            "America/New_York",
            "2025-11-02 01:30",
            "2025-11-02T01:30:00-04:00",
        ),
        ("Asia/Kolkata", "today", "2025-03-29T00:00:00+05:30"),
        (
            "Australia/Lord_Howe",
            "2025-04-06 01:45",
            "2025-04-06T01:45:00+11:00",
        ),
        ("UTC", "now", "2025-03-29T11:00:00Z"),
    ];
    for (zone, typed, sent) in cases {
        let tz = TimeZone::get(zone).expect("zone");
        let mut f = Form::new(rich(), at, &tz);
        for k in backspaces(60) {
            f.type_pin(0, PinField::To, k, at, &tz);
        }
        for c in typed.chars() {
            f.type_pin(0, PinField::To, key(c), at, &tz);
        }
        assert_eq!(
            f.pin(0).expect("pin")["active_to"],
            json!(sent),
            "{typed} in {zone}"
        );
    }
}

#[test]
fn pin_table_operations_keep_inputs_with_their_pins() {
    let tz = prague();
    let mut f = Form::new(rich(), now(), &tz);
    let i = f.add_pin(now(), &tz);
    assert_eq!(i, 2);
    assert_eq!(
        f.pin(2).map(|p| Value::Object(p.clone())),
        Some(json!({"position": 2, "pin_type": "item", "pin_identity": ""}))
    );
    type_pin(&mut f, 2, PinField::Identity, "/p/777", &tz);
    let j = f.duplicate_pin(0).expect("dup");
    assert_eq!(j, 1);
    assert_eq!(f.pins.len(), 4);
    assert_eq!(f.pin(1), f.pin(0));
    assert_eq!(f.pins[1].identity.value(), "/p/555");
    assert!(f.swap_pins(3, 2));
    assert_eq!(f.pins[2].identity.value(), "/p/777");
    assert_eq!(f.pin(2).expect("pin")["pin_identity"], json!("/p/777"));
    assert!(f.delete_pin(0));
    assert_eq!(f.pins.len(), 3);
    assert_eq!(f.pin(0).expect("pin")["note"], json!("keep me"));
    assert!(!f.swap_pins(0, 9));
}

#[test]
fn paths_find_their_places() {
    assert_eq!(place_of("model"), Place::Field(Field::Model));
    assert_eq!(place_of("tags[3]"), Place::Field(Field::Tags));
    assert_eq!(
        place_of("target_criteria.brand"),
        Place::Field(Field::Criteria)
    );
    assert_eq!(
        place_of("target_metadata.title"),
        Place::Field(Field::Title)
    );
    assert_eq!(
        place_of("target_metadata.image_link"),
        Place::Field(Field::Image)
    );
    assert_eq!(place_of("target_metadata"), Place::Field(Field::MetaOther));
    assert_eq!(place_of("pin_definitions"), Place::Field(Field::Pins));
    assert_eq!(place_of("pin_definitions[2]"), Place::Pin(2, None));
    assert_eq!(
        place_of("pin_definitions[2].is_block_pin"),
        Place::Pin(2, Some(PinField::Position))
    );
    assert_eq!(
        place_of("pin_definitions[10].active_to"),
        Place::Pin(10, Some(PinField::To))
    );
    assert_eq!(
        place_of("pin_definitions[0].pin_criteria.brand"),
        Place::Pin(0, Some(PinField::Criteria))
    );
    assert_eq!(place_of("pin_definitions[0].note"), Place::Pin(0, None));
    assert_eq!(place_of("pin_definitions[x]"), Place::Field(Field::Pins));
    assert_eq!(place_of("something_else"), Place::General);
    assert_eq!(place_of(""), Place::General);
}

#[test]
fn service_errors_sit_on_fields_until_edited() {
    let tz = prague();
    let mut f = Form::new(rich(), now(), &tz);
    f.set_server_errors(vec![
        (
            "pin_definitions[0].pin_identity".into(),
            "Unknown item".into(),
        ),
        ("model".into(), "Unknown model".into()),
        ("weird".into(), "Something".into()),
    ]);
    assert_eq!(
        f.errors_at(Place::Pin(0, Some(PinField::Identity))),
        ["service: Unknown item"]
    );
    assert!(f.pin_has_errors(0));
    assert_eq!(f.stray_errors(), ["service: weird: Something"]);
    type_main(&mut f, Field::Model, "s");
    assert!(f.errors_at(Place::Field(Field::Model)).is_empty());
    type_pin(&mut f, 0, PinField::Identity, "/p/556", &tz);
    assert!(!f.pin_has_errors(0));
    assert_eq!(f.server_errors().len(), 1);
}

#[test]
fn a_new_form_is_quiet_about_missing_fields_until_saved() {
    let mut f = Form::new(crate::tui::screens::editor::template(), now(), &prague());
    f.quiet_missing = true;
    f.revalidate();
    assert!(f.errors_at(Place::Field(Field::Model)).is_empty());
    assert_eq!(
        f.problems(),
        [
            "model: Must not be empty",
            "target_identity: Must not be empty"
        ]
    );
    f.quiet_missing = false;
    f.revalidate();
    assert_eq!(
        f.errors_at(Place::Field(Field::Model)),
        ["Must not be empty"]
    );
}

#[test]
fn unparsed_texts_survive_a_draft() {
    let tz = prague();
    let mut f = Form::new(rich(), now(), &tz);
    f.set_target(TargetType::Criteria);
    f.set_main_text(Field::Criteria, "{\"half\": ");
    type_pin(&mut f, 0, PinField::From, "2025-13-01", &tz);
    type_pin(&mut f, 1, PinField::Slot, "", &tz);
    f.set_pin_kind(1, PosKind::Slot);
    type_pin(&mut f, 1, PinField::Slot, "x1", &tz);
    let texts = f.unparsed_texts();
    assert_eq!(
        Value::Object(texts.clone()),
        json!({
            "target_criteria": "{\"half\": ",
            "pin_definitions[0].active_from": "2025-13-01",
            "pin_definitions[1].slot": "x1",
        })
    );
    let mut g = Form::new(f.object().clone(), now(), &tz);
    g.restore_texts(&texts, now(), &tz);
    assert_eq!(g.criteria.text(), "{\"half\": ");
    assert_eq!(g.pins[0].from.text(), "2025-13-01");
    assert_eq!(g.pins[1].slot.value(), "x1");
    assert_eq!(g.problems(), f.problems());
    assert_eq!(text(g.object()), text(f.object()));
}
