//! The customization ("pin scope") and its pins.
//!
//! A customization is kept as the JSON object it arrived as: unknown fields, key order and
//! criteria objects survive every read-modify-write round trip byte for byte (up to JSON
//! formatting). Typed access goes through accessor methods and small view types, so code
//! that only understands some fields never drops the rest.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::api::json::{Json, JsonObject, field};
use crate::api::time::parse_rfc3339;

/// Where a customization applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetType {
    Item,
    Criteria,
    All,
}

impl TargetType {
    pub const ALL: [TargetType; 3] = [TargetType::Item, TargetType::Criteria, TargetType::All];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetType::Item => "item",
            TargetType::Criteria => "criteria",
            TargetType::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "item" => Some(TargetType::Item),
            "criteria" => Some(TargetType::Criteria),
            "all" => Some(TargetType::All),
            _ => None,
        }
    }
}

impl fmt::Display for TargetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a pin selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PinType {
    Item,
    Criteria,
}

impl PinType {
    pub fn as_str(self) -> &'static str {
        match self {
            PinType::Item => "item",
            PinType::Criteria => "criteria",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "item" => Some(PinType::Item),
            "criteria" => Some(PinType::Criteria),
            _ => None,
        }
    }
}

impl fmt::Display for PinType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A pin's `position`: `-1` global, `0` block, `>= 1` a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Position {
    Global,
    Block,
    Slot(u32),
}

impl Position {
    pub fn from_i64(n: i64) -> Option<Self> {
        match n {
            -1 => Some(Position::Global),
            0 => Some(Position::Block),
            n if n >= 1 && n <= u32::MAX as i64 => Some(Position::Slot(n as u32)),
            _ => None,
        }
    }

    pub fn to_i64(self) -> i64 {
        match self {
            Position::Global => -1,
            Position::Block => 0,
            Position::Slot(n) => n as i64,
        }
    }

    /// Sort key: slots in order, then global, then block.
    pub fn sort_key(self) -> (u8, u32) {
        match self {
            Position::Slot(n) => (0, n),
            Position::Global => (1, 0),
            Position::Block => (2, 0),
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Global => f.write_str("global"),
            Position::Block => f.write_str("block"),
            Position::Slot(n) => write!(f, "slot {n}"),
        }
    }
}

/// Where a pin's window stands relative to an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PinState {
    /// Inside its window (a missing bound is open).
    Active,
    /// Its window starts later.
    Scheduled,
    /// Its window has ended.
    Expired,
}

impl PinState {
    pub fn as_str(self) -> &'static str {
        match self {
            PinState::Active => "active",
            PinState::Scheduled => "scheduled",
            PinState::Expired => "expired",
        }
    }

    /// The state of a window `[from, to)` at `now`; a missing bound is open.
    pub fn of_window(from: Option<Timestamp>, to: Option<Timestamp>, now: Timestamp) -> Self {
        if let Some(from) = from
            && now < from
        {
            return PinState::Scheduled;
        }
        if let Some(to) = to
            && now >= to
        {
            return PinState::Expired;
        }
        PinState::Active
    }
}

impl fmt::Display for PinState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The bulk endpoint's `conflict_strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConflictStrategy {
    #[default]
    Raise,
    Ignore,
    Override,
}

impl ConflictStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictStrategy::Raise => "raise",
            ConflictStrategy::Ignore => "ignore",
            ConflictStrategy::Override => "override",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "raise" => Some(ConflictStrategy::Raise),
            "ignore" => Some(ConflictStrategy::Ignore),
            "override" => Some(ConflictStrategy::Override),
            _ => None,
        }
    }
}

impl fmt::Display for ConflictStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identity two customizations clash on in a bulk create:
/// (`model`, `target_type`, identity | canonical criteria | nothing).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConflictKey {
    pub model: String,
    pub target_type: TargetType,
    /// The target identity for `item`, the canonical JSON of the criteria for `criteria`,
    /// empty for `all`.
    pub target: String,
}

impl fmt::Display for ConflictKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.target_type {
            TargetType::All => write!(f, "{} all", self.model),
            _ => write!(f, "{} {} {}", self.model, self.target_type, self.target),
        }
    }
}

/// JSON with object keys sorted at every level and no whitespace: equal objects give
/// equal strings whatever their key order (a key written twice counts once, with its last
/// value, as when the text is parsed into a `Value`).
pub fn canonical_json<'a, J: Json<'a>>(v: J) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn push_json_string(s: &str, out: &mut String) {
    out.push_str(&Value::String(s.to_string()).to_string());
}

fn write_canonical<'a, J: Json<'a>>(v: J, out: &mut String) {
    if let Some(o) = v.as_object() {
        let mut entries: Vec<(&str, J)> = o.entries().collect();
        // Stable: of a repeated key, the last written stays last.
        entries.sort_by(|a, b| a.0.cmp(b.0));
        out.push('{');
        let mut first = true;
        for (i, (k, v)) in entries.iter().enumerate() {
            if entries.get(i + 1).is_some_and(|next| next.0 == *k) {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            push_json_string(k, out);
            out.push(':');
            write_canonical(*v, out);
        }
        out.push('}');
    } else if let Some(items) = v.as_array() {
        out.push('[');
        for (i, x) in items.enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_canonical(x, out);
        }
        out.push(']');
    } else if let Some(s) = v.as_str() {
        push_json_string(s, out);
    } else if let Some(b) = v.as_bool() {
        out.push_str(if b { "true" } else { "false" });
    } else if let Some(n) = v.as_number() {
        out.push_str(&n.to_string());
    } else {
        out.push_str("null");
    }
}

/// The bulk conflict key of any readable object; `None` when the fields it needs are
/// missing or malformed.
pub fn conflict_key_of<'a, O: JsonObject<'a>>(m: O) -> Option<ConflictKey> {
    let (model, target_type, target) = conflict_key_parts_of(m)?;
    Some(ConflictKey {
        model: model.to_string(),
        target_type,
        target: target.into_owned(),
    })
}

/// The parts of the bulk conflict key of any readable object: (`model`, `target_type`,
/// identity | canonical criteria | nothing), borrowed where they can be (only criteria are
/// built). `None` when the fields it needs are missing or malformed.
pub fn conflict_key_parts_of<'a, O: JsonObject<'a>>(
    m: O,
) -> Option<(&'a str, TargetType, std::borrow::Cow<'a, str>)> {
    let [model, target_type, identity, criteria] =
        m.pick(&["model", "target_type", "target_identity", "target_criteria"]);
    let model = model.and_then(Json::as_str)?;
    let target_type = target_type
        .and_then(Json::as_str)
        .and_then(TargetType::parse)?;
    let target = match target_type {
        TargetType::Item => std::borrow::Cow::Borrowed(identity.and_then(Json::as_str)?),
        TargetType::Criteria => std::borrow::Cow::Owned(canonical_json(criteria?)),
        TargetType::All => std::borrow::Cow::Borrowed(""),
    };
    Some((model, target_type, target))
}

/// The canonical form of a UUID typed or pasted in any usual shape (quotes, braces,
/// upper case, no hyphens), or `None`.
pub fn normalize_uuid(text: &str) -> Option<String> {
    let t = text.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    uuid::Uuid::parse_str(t)
        .ok()
        .map(|u| u.hyphenated().to_string())
}

/// A customization, kept as the JSON object it is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Customization(pub Map<String, Value>);

/// The fields of a customization that `shared/API.md` defines, server-set ones aside.
pub const FIELDS: [&str; 7] = [
    "model",
    "target_type",
    "target_identity",
    "target_criteria",
    "tags",
    "target_metadata",
    "pin_definitions",
];

/// The fields of a pin that `shared/API.md` defines.
pub const PIN_FIELDS: [&str; 9] = [
    "position",
    "pin_type",
    "pin_identity",
    "pin_criteria",
    "widget_id",
    "is_block_pin",
    "is_bundle_pin",
    "active_from",
    "active_to",
];

/// Fields the server sets; a body for create or update leaves them out.
pub const SERVER_FIELDS: [&str; 4] = ["id", "created_at", "creator", "available"];

/// Whether `k` is one of [`SERVER_FIELDS`] (a match, not a scan of the list: it is asked
/// of every key of every line a bulk create reads).
pub fn is_server_field(k: &str) -> bool {
    matches!(k, "id" | "created_at" | "creator" | "available")
}

impl Customization {
    pub fn new() -> Self {
        Customization(Map::new())
    }

    /// Wraps a JSON value; `None` when it is not an object.
    pub fn from_value(v: Value) -> Option<Self> {
        match v {
            Value::Object(m) => Some(Customization(m)),
            _ => None,
        }
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    pub fn as_map_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.0
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        field(&self.0, key)
    }

    /// Sets a field, keeping its place when it exists.
    pub fn set(&mut self, key: &str, value: Value) {
        if let Some(slot) = self.0.get_mut(key) {
            *slot = value;
        } else {
            self.0.insert(key.to_string(), value);
        }
    }

    /// Removes a field, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.0.shift_remove(key)
    }

    fn str_field(&self, key: &str) -> Option<&str> {
        field(&self.0, key).and_then(Value::as_str)
    }

    pub fn id(&self) -> Option<&str> {
        self.str_field("id")
    }

    pub fn created_at(&self) -> Option<&str> {
        self.str_field("created_at")
    }

    pub fn created_at_ts(&self) -> Option<Timestamp> {
        self.created_at().and_then(parse_rfc3339)
    }

    pub fn model(&self) -> Option<&str> {
        self.str_field("model")
    }

    pub fn creator(&self) -> Option<&str> {
        self.str_field("creator")
    }

    pub fn available(&self) -> Option<bool> {
        self.0.get("available").and_then(Value::as_bool)
    }

    pub fn target_type(&self) -> Option<TargetType> {
        self.str_field("target_type").and_then(TargetType::parse)
    }

    pub fn target_identity(&self) -> Option<&str> {
        self.str_field("target_identity")
    }

    pub fn target_criteria(&self) -> Option<&Map<String, Value>> {
        self.0.get("target_criteria").and_then(Value::as_object)
    }

    pub fn target_metadata(&self) -> Option<&Map<String, Value>> {
        self.0.get("target_metadata").and_then(Value::as_object)
    }

    /// `target_metadata.title`, when it is a string.
    pub fn title(&self) -> Option<&str> {
        self.target_metadata()
            .and_then(|m| m.get("title"))
            .and_then(Value::as_str)
    }

    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.0
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
    }

    /// The pins as views; entries that are not objects are skipped.
    pub fn pins(&self) -> impl Iterator<Item = Pin<'_>> {
        self.0
            .get("pin_definitions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_object().map(Pin))
    }

    pub fn pin_count(&self) -> usize {
        self.0
            .get("pin_definitions")
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    }

    /// How many pins are active at `now`.
    pub fn active_pins_at(&self, now: Timestamp) -> usize {
        self.pins()
            .filter(|p| p.state_at(now) == PinState::Active)
            .count()
    }

    /// A one-line description of the target: the identity, the criteria as compact JSON, or `all`.
    pub fn target_label(&self) -> String {
        match self.target_type() {
            Some(TargetType::Item) => self.target_identity().unwrap_or("").to_string(),
            Some(TargetType::Criteria) => self
                .0
                .get("target_criteria")
                .map(|v| v.to_string())
                .unwrap_or_default(),
            Some(TargetType::All) => "all".to_string(),
            None => String::new(),
        }
    }

    /// The bulk conflict key; `None` when the fields it needs are missing or malformed.
    pub fn conflict_key(&self) -> Option<ConflictKey> {
        conflict_key_of(&self.0)
    }

    /// The parts of [`conflict_key`](Self::conflict_key), borrowed where they can be (only
    /// criteria are built, in canonical form), for code that hashes millions of them.
    pub fn conflict_key_parts(&self) -> Option<(&str, TargetType, std::borrow::Cow<'_, str>)> {
        conflict_key_parts_of(&self.0)
    }

    /// The body for create or update: this object without the server-set fields.
    pub fn without_server_fields(&self) -> Customization {
        let mut m = self.0.clone();
        for k in SERVER_FIELDS {
            m.shift_remove(k);
        }
        Customization(m)
    }

    /// Whether at least one pin is active at `now` (the emulator's `available`).
    pub fn is_available_at(&self, now: Timestamp) -> bool {
        self.pins().any(|p| p.state_at(now) == PinState::Active)
    }
}

/// A pin's date field, when it is a valid RFC 3339 date-time.
fn pin_date<'a, O: JsonObject<'a>>(pin: O, key: &str) -> Option<Timestamp> {
    pin.get(key).and_then(Json::as_str).and_then(parse_rfc3339)
}

/// A pin's active window (`active_from`, `active_to`); a missing or unreadable bound is
/// `None` (open).
pub type Window = (Option<Timestamp>, Option<Timestamp>);

/// The [`Window`] of any readable pin object.
pub fn pin_window<'a, O: JsonObject<'a>>(pin: O) -> Window {
    // One pass over the pin's fields (the last of a key written twice counts).
    let (mut from, mut to) = (None, None);
    for (k, v) in pin.entries() {
        match k {
            "active_from" => from = Some(v),
            "active_to" => to = Some(v),
            _ => {}
        }
    }
    let date = |v: Option<O::Value>| v.and_then(Json::as_str).and_then(parse_rfc3339);
    (date(from), date(to))
}

/// A read-only view of one pin object.
#[derive(Debug, Clone, Copy)]
pub struct Pin<'a>(pub &'a Map<String, Value>);

impl<'a> Pin<'a> {
    pub fn raw(&self) -> &'a Map<String, Value> {
        self.0
    }

    pub fn position(&self) -> Option<Position> {
        self.0
            .get("position")
            .and_then(Value::as_i64)
            .and_then(Position::from_i64)
    }

    pub fn pin_type(&self) -> Option<PinType> {
        self.0
            .get("pin_type")
            .and_then(Value::as_str)
            .and_then(PinType::parse)
    }

    pub fn identity(&self) -> Option<&'a str> {
        self.0.get("pin_identity").and_then(Value::as_str)
    }

    pub fn criteria(&self) -> Option<&'a Map<String, Value>> {
        self.0.get("pin_criteria").and_then(Value::as_object)
    }

    pub fn widget_id(&self) -> Option<&'a str> {
        self.0.get("widget_id").and_then(Value::as_str)
    }

    pub fn is_block(&self) -> bool {
        self.0
            .get("is_block_pin")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    pub fn is_bundle(&self) -> bool {
        self.0
            .get("is_bundle_pin")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    pub fn active_from(&self) -> Option<Timestamp> {
        pin_date(self.0, "active_from")
    }

    pub fn active_to(&self) -> Option<Timestamp> {
        pin_date(self.0, "active_to")
    }

    pub fn state_at(&self, now: Timestamp) -> PinState {
        PinState::of_window(self.active_from(), self.active_to(), now)
    }

    /// What the pin selects: the identity, or the criteria as compact JSON.
    pub fn what(&self) -> String {
        match self.pin_type() {
            Some(PinType::Criteria) => self
                .0
                .get("pin_criteria")
                .map(|v| v.to_string())
                .unwrap_or_default(),
            _ => self.identity().unwrap_or("").to_string(),
        }
    }
}

/// One page of the list endpoint.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    pub total: u64,
    pub results: Vec<Customization>,
}

/// The summary endpoint's answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Customizations per model, in the server's order.
    pub scope_counts: Map<String, Value>,
    #[serde(default)]
    pub user_tags: Vec<String>,
    /// Anything else the server sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Summary {
    /// `(model, count)` pairs.
    pub fn counts(&self) -> Vec<(String, u64)> {
        self.scope_counts
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_server_field_is_the_list() {
        for k in SERVER_FIELDS {
            assert!(is_server_field(k), "{k}");
        }
        for k in ["", "model", "ID", "created", "creator ", "tags"] {
            assert!(!is_server_field(k), "{k}");
        }
    }
    use crate::api::json::Doc;
    use serde_json::json;

    #[test]
    fn conflict_keys_agree_whatever_holds_the_json() {
        for text in [
            r#"{"model":"m","target_type":"criteria","target_criteria":{"b":[1.5,-2,{"z":null,"y":"\u00e9\n"}],"a":true,"b":{"x":1}}}"#,
            r#"{"model":"m","target_type":"criteria","target_criteria":{"k":18446744073709551615,"e":1e-7,"s":"\"q\""}}"#,
            r#"{"model":"m\u0041","target_type":"item","target_identity":"/p/\u00fc","model":"n"}"#,
            r#"{"model":"m","target_type":"all","target_identity":"ignored"}"#,
            r#"{"model":"m","target_type":"item"}"#,
        ] {
            let value: Value = serde_json::from_str(text).expect("parses");
            let doc = Doc::parse(text).expect("parses");
            let from_value = conflict_key_parts_of(value.as_object().expect("object"));
            let from_doc = conflict_key_parts_of(doc.root().as_object().expect("object"));
            assert_eq!(from_value, from_doc, "{text}");
        }
        let doc = Doc::parse(r#"{"b":{"x":1},"a":[3],"b":{"y":2}}"#).expect("parses");
        assert_eq!(canonical_json(doc.root()), r#"{"a":[3],"b":{"y":2}}"#);
    }

    #[test]
    fn round_trip_keeps_unknown_fields_and_order() {
        let text = r#"{"zeta":1,"model":"basket","target_type":"criteria","target_criteria":{"b":1,"a":[{"y":2,"x":1}]},"pin_definitions":[{"position":1,"pin_type":"item","pin_identity":"/p/1","future":true}],"alpha":{"k":null}}"#;
        let mut c: Customization = serde_json::from_str(text).expect("parse");
        c.set("model", json!("home"));
        let out = serde_json::to_string(&c).expect("serialize");
        assert_eq!(out, text.replace("\"basket\"", "\"home\""));
    }

    #[test]
    fn conflict_key_ignores_criteria_key_order() {
        let a = Customization::from_value(json!({"model":"m","target_type":"criteria","target_criteria":{"a":1,"b":{"c":2,"d":3}}})).expect("object");
        let b = Customization::from_value(json!({"model":"m","target_type":"criteria","target_criteria":{"b":{"d":3,"c":2},"a":1}})).expect("object");
        assert_eq!(a.conflict_key(), b.conflict_key());
        let c = Customization::from_value(
            json!({"model":"m","target_type":"item","target_identity":"x"}),
        )
        .expect("object");
        let d = Customization::from_value(
            json!({"model":"m","target_type":"item","target_identity":"y"}),
        )
        .expect("object");
        assert_ne!(c.conflict_key(), d.conflict_key());
        let e = Customization::from_value(
            json!({"model":"m","target_type":"all","target_identity":"ignored"}),
        )
        .expect("object");
        assert_eq!(e.conflict_key().map(|k| k.target), Some(String::new()));
    }

    #[test]
    fn pin_states() {
        let now: Timestamp = "2025-06-01T00:00:00Z".parse().expect("ts");
        let c = Customization::from_value(json!({"pin_definitions":[
            {"position":1,"pin_type":"item","pin_identity":"a"},
            {"position":2,"pin_type":"item","pin_identity":"b","active_from":"2025-07-01T00:00:00Z"},
            {"position":3,"pin_type":"item","pin_identity":"c","active_to":"2025-05-01T00:00:00+02:00"},
            {"position":4,"pin_type":"item","pin_identity":"d","active_from":"2025-05-01T00:00:00Z","active_to":"2025-06-01T00:00:00Z"}
        ]})).expect("object");
        let states: Vec<PinState> = c.pins().map(|p| p.state_at(now)).collect();
        assert_eq!(
            states,
            [
                PinState::Active,
                PinState::Scheduled,
                PinState::Expired,
                PinState::Expired
            ]
        );
        assert_eq!(c.active_pins_at(now), 1);
        assert!(c.is_available_at(now));
    }

    #[test]
    fn positions() {
        assert_eq!(Position::from_i64(-1), Some(Position::Global));
        assert_eq!(Position::from_i64(0), Some(Position::Block));
        assert_eq!(Position::from_i64(7), Some(Position::Slot(7)));
        assert_eq!(Position::from_i64(-2), None);
        assert_eq!(Position::Slot(3).to_string(), "slot 3");
    }

    #[test]
    fn without_server_fields_keeps_the_rest_in_order() {
        let c = Customization::from_value(json!({"id":"x","model":"m","created_at":"t","extra":1,"available":true,"creator":"api"})).expect("object");
        let body = c.without_server_fields();
        assert_eq!(
            serde_json::to_string(&body).expect("json"),
            r#"{"model":"m","extra":1}"#
        );
    }
}
