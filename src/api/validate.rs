//! The rules of `shared/API.md`, written once: the editor, the import, the CLI and the
//! emulator all call [`validate`].
//!
//! Paths and messages follow the service's documented style: the path of the field
//! (`pin_definitions[0].position`) and a message such as `Missing required field: position`
//! or `Must be one of: item, criteria, all`. Nothing is allocated for a valid object.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api::json::{Json, JsonObject};
use crate::api::model::{FIELDS, PIN_FIELDS, Window};
use crate::api::time::parse_rfc3339;

/// One broken rule: the field's path and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// The `reason` of a 422 for a customization that breaks a rule.
/// Violations as one message: `path: message; path: message`.
pub fn describe(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

pub const INVALID_REASON: &str = "Invalid pin definition provided";

pub const TARGET_TYPES_MSG: &str = "Must be one of: item, criteria, all";
pub const PIN_TYPES_MSG: &str = "Must be one of: item, criteria";
pub const POSITION_MSG: &str = "Must be -1 (global), 0 (block) or a slot number >= 1";
pub const DATE_MSG: &str = "Must be an RFC 3339 date-time with offset, e.g. 2025-02-01T00:00:00Z";

/// Groups violations as the service's `exception_details`: path -> messages, in order.
pub fn to_details(violations: &[Violation]) -> Map<String, Value> {
    let mut out = Map::new();
    for v in violations {
        let entry = out
            .entry(v.path.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(a) = entry {
            a.push(Value::String(v.message.clone()));
        }
    }
    out
}

struct Sink<'a> {
    out: &'a mut Vec<Violation>,
    /// Where each object pin's active window goes, for callers that index them.
    windows: Option<&'a mut Vec<Window>>,
}

impl Sink<'_> {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.out.push(Violation {
            path: path.into(),
            message: message.into(),
        });
    }
}

fn missing(field: &str) -> String {
    format!("Missing required field: {field}")
}

/// The values of `keys` in `m` ([`JsonObject::pick`]); null counts as absent for every
/// field.
fn pick<'a, O: JsonObject<'a>, const N: usize>(m: O, keys: &[&str; N]) -> [Option<O::Value>; N] {
    let mut out = m.pick(keys);
    for v in &mut out {
        if v.is_some_and(Json::is_null) {
            *v = None;
        }
    }
    out
}

/// What a field holds, for the rules below.
enum Field<'a, J: Json<'a>> {
    Absent,
    Str(&'a str),
    Other(J),
}

fn field<'a, J: Json<'a>>(v: Option<J>) -> Field<'a, J> {
    match v {
        None => Field::Absent,
        Some(v) => match v.as_str() {
            Some(s) => Field::Str(s),
            None => Field::Other(v),
        },
    }
}

/// Validates one customization; an empty result means it is valid.
///
/// Generic over what holds the JSON (a `serde_json::Value` or a parsed
/// [`Doc`](crate::api::json::Doc)), so every caller applies the same rules.
pub fn validate<'a, J: Json<'a>>(value: J) -> Vec<Violation> {
    let mut out = Vec::new();
    match value.as_object() {
        Some(m) => validate_into(m, &mut out),
        None => out.push(Violation {
            path: String::new(),
            message: "Must be a JSON object".to_string(),
        }),
    }
    out
}

/// Validates one customization given as an object.
pub fn validate_map<'a, O: JsonObject<'a>>(m: O) -> Vec<Violation> {
    let mut out = Vec::new();
    validate_into(m, &mut out);
    out
}

/// Appends the violations of `m` to `out`.
pub fn validate_into<'a, O: JsonObject<'a>>(m: O, out: &mut Vec<Violation>) {
    let mut sink = Sink { out, windows: None };
    check_object(&mut sink, m);
}

/// Like [`validate_into`], also appending the window of each pin that is an object to
/// `windows` (in order), as [`crate::api::model::pin_window`] reads it: the dates are
/// parsed once for both.
pub fn validate_into_with_windows<'a, O: JsonObject<'a>>(
    m: O,
    out: &mut Vec<Violation>,
    windows: &mut Vec<Window>,
) {
    let mut sink = Sink {
        out,
        windows: Some(windows),
    };
    check_object(&mut sink, m);
}

/// Empty or only whitespace (as `x.trim().is_empty()`, stopping at the first other char).
fn blank(x: &str) -> bool {
    x.chars().all(char::is_whitespace)
}

fn check_object<'a, O: JsonObject<'a>>(s: &mut Sink<'_>, m: O) {
    let [
        model,
        target_type,
        target_identity,
        target_criteria,
        tags,
        metadata,
        pins,
    ] = pick(m, &FIELDS);

    match field(model) {
        Field::Absent => s.push("model", missing("model")),
        Field::Str(x) if blank(x) => s.push("model", "Must not be empty"),
        Field::Str(_) => {}
        Field::Other(_) => s.push("model", "Must be a string"),
    }

    let target_type = match field(target_type) {
        Field::Absent => {
            s.push("target_type", missing("target_type"));
            None
        }
        Field::Str(t @ ("item" | "criteria" | "all")) => Some(t),
        Field::Str(_) | Field::Other(_) => {
            s.push("target_type", TARGET_TYPES_MSG);
            None
        }
    };

    match field(target_identity) {
        Field::Absent if target_type == Some("item") => {
            s.push("target_identity", missing("target_identity"))
        }
        Field::Str(x) if blank(x) && target_type == Some("item") => {
            s.push("target_identity", "Must not be empty")
        }
        Field::Absent | Field::Str(_) => {}
        Field::Other(_) => s.push("target_identity", "Must be a string"),
    }

    check_criteria(
        s,
        target_criteria,
        target_type == Some("criteria"),
        "target_criteria",
        || "target_criteria".to_string(),
    );

    match tags {
        None => {}
        Some(tags) => match tags.as_array() {
            Some(tags) => {
                for (i, t) in tags.enumerate() {
                    if !t.is_string() {
                        s.push(format!("tags[{i}]"), "Must be a string");
                    }
                }
            }
            None => s.push("tags", "Must be an array of strings"),
        },
    }

    if let Some(meta) = metadata
        && meta.as_object().is_none()
    {
        s.push("target_metadata", "Must be an object");
    }

    match pins {
        None => s.push("pin_definitions", missing("pin_definitions")),
        Some(pins) => match pins.as_array() {
            Some(pins) => {
                for (i, pin) in pins.enumerate() {
                    match pin.as_object() {
                        Some(p) => validate_pin(s, i, p),
                        None => s.push(format!("pin_definitions[{i}]"), "Must be an object"),
                    }
                }
            }
            None => s.push("pin_definitions", "Must be an array"),
        },
    }
}

fn check_criteria<'a, J: Json<'a>>(
    s: &mut Sink<'_>,
    value: Option<J>,
    required: bool,
    field: &str,
    path: impl Fn() -> String,
) {
    match value.map(|v| v.as_object()) {
        None if required => s.push(path(), missing(field)),
        None => {}
        Some(Some(o)) if o.is_empty() && required => s.push(path(), "Must be a non-empty object"),
        Some(Some(_)) => {}
        Some(None) => s.push(path(), "Must be a non-empty object"),
    }
}

fn validate_pin<'a, O: JsonObject<'a>>(s: &mut Sink<'_>, i: usize, p: O) {
    let path = |field: &str| format!("pin_definitions[{i}].{field}");
    let [
        position,
        pin_type,
        identity,
        criteria,
        widget,
        block,
        bundle,
        from,
        to,
    ] = pick(p, &PIN_FIELDS);

    let position = match position {
        None => {
            s.push(path("position"), missing("position"));
            None
        }
        Some(v) if v.is_number() => match v.as_i64() {
            Some(v) if v >= -1 => Some(v),
            Some(_) => {
                s.push(path("position"), POSITION_MSG);
                None
            }
            None => {
                s.push(path("position"), "Must be an integer");
                None
            }
        },
        Some(_) => {
            s.push(path("position"), "Must be an integer");
            None
        }
    };

    let pin_type = match field(pin_type) {
        Field::Absent => {
            s.push(path("pin_type"), missing("pin_type"));
            None
        }
        Field::Str(t @ ("item" | "criteria")) => Some(t),
        Field::Str(_) | Field::Other(_) => {
            s.push(path("pin_type"), PIN_TYPES_MSG);
            None
        }
    };

    match field(identity) {
        Field::Absent if pin_type == Some("item") => {
            s.push(path("pin_identity"), missing("pin_identity"))
        }
        Field::Str(x) if blank(x) && pin_type == Some("item") => {
            s.push(path("pin_identity"), "Must not be empty")
        }
        Field::Absent | Field::Str(_) => {}
        Field::Other(_) => s.push(path("pin_identity"), "Must be a string"),
    }

    check_criteria(
        s,
        criteria,
        pin_type == Some("criteria"),
        "pin_criteria",
        || path("pin_criteria"),
    );

    if let Field::Other(_) = field(widget) {
        s.push(path("widget_id"), "Must be a string");
    }

    let is_block = match block {
        None => Some(false),
        Some(v) => match v.as_bool() {
            Some(b) => Some(b),
            None => {
                s.push(path("is_block_pin"), "Must be a boolean");
                None
            }
        },
    };
    if let (Some(pos), Some(block)) = (position, is_block) {
        if pos == 0 && !block {
            s.push(
                path("is_block_pin"),
                "Must be true when position is 0 (block)",
            );
        } else if pos != 0 && block {
            s.push(
                path("is_block_pin"),
                "Must be false unless position is 0 (block)",
            );
        }
    }

    if let Some(v) = bundle
        && v.as_bool().is_none()
    {
        s.push(path("is_bundle_pin"), "Must be a boolean");
    }

    let mut date = |name: &str, value| match field(value) {
        Field::Absent => Ok(None),
        Field::Str(x) => match parse_rfc3339(x) {
            Some(ts) => Ok(Some(ts)),
            None => {
                s.push(path(name), DATE_MSG);
                Err(())
            }
        },
        Field::Other(_) => {
            s.push(path(name), DATE_MSG);
            Err(())
        }
    };
    let from = date("active_from", from);
    let to = date("active_to", to);
    if let Some(w) = s.windows.as_deref_mut() {
        w.push((from.ok().flatten(), to.ok().flatten()));
    }
    if let (Ok(Some(from)), Ok(Some(to))) = (from, to)
        && from >= to
    {
        s.push(path("active_to"), "Must be later than active_from");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The violations of `v`, checked the same when read from a parsed `Doc`.
    fn errors(v: Value) -> Vec<String> {
        let from_value: Vec<String> = validate(&v).iter().map(ToString::to_string).collect();
        let text = v.to_string();
        let doc = crate::api::json::Doc::parse(&text).expect("parses");
        let from_doc: Vec<String> = validate(doc.root())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(from_value, from_doc, "{text}");
        from_value
    }

    fn base() -> Value {
        json!({
            "model": "basket",
            "target_type": "item",
            "target_identity": "/p/123",
            "tags": ["summer"],
            "target_metadata": {"title": "Fender Telecaster"},
            "pin_definitions": [
                {"position": 1, "pin_type": "item", "pin_identity": "/p/555", "active_from": "2025-02-01T00:00:00Z"},
                {"position": -1, "pin_type": "criteria", "pin_criteria": {"brand": "Fender"}, "widget_id": "w1", "is_bundle_pin": true},
                {"position": 0, "pin_type": "item", "pin_identity": "/p/9", "is_block_pin": true,
                 "active_from": "2025-02-01T00:00:00+01:00", "active_to": "2025-03-01T00:00:00Z"}
            ]
        })
    }

    #[test]
    fn valid_objects_pass() {
        assert!(errors(base()).is_empty());
        assert!(errors(json!({"model":"m","target_type":"all","pin_definitions":[]})).is_empty());
        assert!(
            errors(json!({"model":"m","target_type":"criteria","target_criteria":{"a":1},"pin_definitions":[],"unknown":{"x":1}}))
                .is_empty()
        );
    }

    #[test]
    fn the_documented_example() {
        let v = json!({"model":"basket","target_type":"bogus","pin_definitions":[{"pin_type":"item","pin_identity":"1"}]});
        assert_eq!(
            errors(v),
            [
                "target_type: Must be one of: item, criteria, all",
                "pin_definitions[0].position: Missing required field: position",
            ]
        );
    }

    #[test]
    fn required_fields() {
        assert_eq!(
            errors(json!({})),
            [
                "model: Missing required field: model",
                "target_type: Missing required field: target_type",
                "pin_definitions: Missing required field: pin_definitions",
            ]
        );
        assert_eq!(
            errors(json!({"model":"m","target_type":"item","pin_definitions":[]})),
            ["target_identity: Missing required field: target_identity"]
        );
        assert_eq!(
            errors(
                json!({"model":"m","target_type":"criteria","target_criteria":{},"pin_definitions":[]})
            ),
            ["target_criteria: Must be a non-empty object"]
        );
        assert_eq!(
            errors(json!({"model":"","target_type":"criteria","pin_definitions":{}})),
            [
                "model: Must not be empty",
                "target_criteria: Missing required field: target_criteria",
                "pin_definitions: Must be an array",
            ]
        );
        assert_eq!(errors(json!([1])), ["Must be a JSON object"]);
    }

    #[test]
    fn pin_rules() {
        let v = json!({"model":"m","target_type":"all","pin_definitions":[
            {"position": -2, "pin_type": "item", "pin_identity": ""},
            {"position": 1.5, "pin_type": "thing"},
            {"position": 0, "pin_type": "criteria"},
            {"position": 2, "pin_type": "item", "pin_identity": "x", "is_block_pin": true, "is_bundle_pin": "yes", "widget_id": 3},
            {"position": 3, "pin_type": "item", "pin_identity": "x", "active_from": "2025-03-01T00:00:00Z", "active_to": "2025-03-01T00:00:00Z"},
            {"position": 4, "pin_type": "item", "pin_identity": "x", "active_from": "2025-03-01", "active_to": 5},
            7
        ]});
        assert_eq!(
            errors(v),
            [
                "pin_definitions[0].position: Must be -1 (global), 0 (block) or a slot number >= 1",
                "pin_definitions[0].pin_identity: Must not be empty",
                "pin_definitions[1].position: Must be an integer",
                "pin_definitions[1].pin_type: Must be one of: item, criteria",
                "pin_definitions[2].pin_criteria: Missing required field: pin_criteria",
                "pin_definitions[2].is_block_pin: Must be true when position is 0 (block)",
                "pin_definitions[3].widget_id: Must be a string",
                "pin_definitions[3].is_block_pin: Must be false unless position is 0 (block)",
                "pin_definitions[3].is_bundle_pin: Must be a boolean",
                "pin_definitions[4].active_to: Must be later than active_from",
                "pin_definitions[5].active_from: Must be an RFC 3339 date-time with offset, e.g. 2025-02-01T00:00:00Z",
                "pin_definitions[5].active_to: Must be an RFC 3339 date-time with offset, e.g. 2025-02-01T00:00:00Z",
                "pin_definitions[6]: Must be an object",
            ]
        );
    }

    #[test]
    fn tags_and_metadata_types() {
        let v = json!({"model":"m","target_type":"all","pin_definitions":[],"tags":["a",1],"target_metadata":[]});
        assert_eq!(
            errors(v),
            [
                "tags[1]: Must be a string",
                "target_metadata: Must be an object"
            ]
        );
        let v = json!({"model":"m","target_type":"all","pin_definitions":[],"tags":"a"});
        assert_eq!(errors(v), ["tags: Must be an array of strings"]);
    }

    #[test]
    fn nulls_are_absent() {
        let v = json!({"model":"m","target_type":"all","pin_definitions":[{"position":1,"pin_type":"item","pin_identity":"x","widget_id":null,"active_to":null}],"tags":null});
        assert!(errors(v).is_empty());
        let v = json!({"model":null,"target_type":"all","pin_definitions":[]});
        assert_eq!(errors(v), ["model: Missing required field: model"]);
    }

    #[test]
    fn windows_are_those_the_model_reads() {
        let v = json!({"model":"m","target_type":"all","pin_definitions":[
            {"position": 1, "pin_type": "item", "pin_identity": "x", "active_from": "2025-03-01T00:00:00Z"},
            7,
            {"position": 2, "pin_type": "item", "pin_identity": "x", "active_from": "bad", "active_to": "2025-03-01T00:00:00+01:00"},
            {"position": 3, "pin_type": "item", "pin_identity": "x", "active_to": null, "active_from": 5}
        ]});
        let m = v.as_object().expect("object");
        let mut out = Vec::new();
        let mut windows = Vec::new();
        validate_into_with_windows(m, &mut out, &mut windows);
        let expected: Vec<Window> = v["pin_definitions"]
            .as_array()
            .expect("pins")
            .iter()
            .filter_map(Value::as_object)
            .map(crate::api::model::pin_window)
            .collect();
        assert_eq!(windows, expected);
        assert_eq!(windows.len(), 3);
        assert!(windows[0].0.is_some() && windows[1].0.is_none() && windows[1].1.is_some());
        assert_eq!(out.len(), 3, "{out:?}");
    }

    #[test]
    fn details_group_by_path() {
        let v = vec![
            Violation {
                path: "a".into(),
                message: "x".into(),
            },
            Violation {
                path: "b".into(),
                message: "y".into(),
            },
            Violation {
                path: "a".into(),
                message: "z".into(),
            },
        ];
        assert_eq!(
            Value::Object(to_details(&v)),
            json!({"a":["x","z"],"b":["y"]})
        );
    }
}
