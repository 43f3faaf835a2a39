//! The vocabulary of batch changes, applied to one customization's exact JSON.
//!
//! Every operation edits the object in place through `serde_json`'s ordered map: fields
//! pinscope does not know, and the order of every key, are kept; a field that is added goes
//! at the end of its object.

use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use serde_json::{Map, Value};

use crate::api::model::{Customization, PinState, pin_window};
use crate::when;

/// What happens to the pins an operation applies to.
#[derive(Debug, Clone)]
pub enum PinOp {
    /// Sets `active_from`.
    SetFrom(Timestamp),
    /// Sets `active_to`.
    SetTo(Timestamp),
    /// Moves `active_from` by a duration (pins without one are left alone).
    ShiftFrom(Span),
    /// Moves `active_to` by a duration (pins without one are left alone).
    ShiftTo(Span),
    /// Sets `active_to` to now.
    EndNow,
    /// Sets `active_from` to now.
    StartNow,
    /// Sets `widget_id`.
    SetWidget(String),
    /// Removes `widget_id`.
    ClearWidget,
}

/// One operation of a change.
#[derive(Debug, Clone)]
pub enum Op {
    AddTag(String),
    RemoveTag(String),
    /// An edit of each matching pin.
    Pin(PinOp),
    /// Removes the matching pins whose window has ended.
    RemoveExpiredPins,
    /// Deletes the customization (combined with nothing else).
    Delete,
}

/// Which pins the pin operations touch: all of them when nothing is set, otherwise the
/// pins that match every criterion given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PinMatcher {
    /// An item pin with this `pin_identity`.
    pub item: Option<String>,
    /// A pin with this `widget_id`.
    pub widget: Option<String>,
    /// A pin at this `position`.
    pub position: Option<i64>,
}

impl PinMatcher {
    pub fn is_all(&self) -> bool {
        self.item.is_none() && self.widget.is_none() && self.position.is_none()
    }

    pub fn matches(&self, pin: &Map<String, Value>) -> bool {
        let s = |k: &str| pin.get(k).and_then(Value::as_str);
        if let Some(item) = &self.item
            && (s("pin_type") != Some("item") || s("pin_identity") != Some(item.as_str()))
        {
            return false;
        }
        if let Some(w) = &self.widget
            && s("widget_id") != Some(w.as_str())
        {
            return false;
        }
        if let Some(p) = self.position
            && pin.get("position").and_then(Value::as_i64) != Some(p)
        {
            return false;
        }
        true
    }
}

/// A change to apply to each selected customization: its operations, in order, the pins
/// they touch, and the clock and time zone dates are written in.
#[derive(Debug, Clone)]
pub struct ChangeSpec {
    pub ops: Vec<Op>,
    pub pins: PinMatcher,
    pub now: Timestamp,
    pub tz: TimeZone,
}

/// What a change does to one customization.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// The new object (possibly equal to the old one).
    Replace {
        after: Customization,
        /// How many pins were edited or removed.
        pins_changed: usize,
    },
    Delete,
}

/// Why a change cannot be made at all (as opposed to a result that breaks a rule).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("no operation given")]
    Empty,
    #[error("--delete cannot be combined with other operations")]
    DeleteWithOthers,
    #[error("{0}")]
    Date(String),
}

impl ChangeSpec {
    /// Checks that the operations make sense together.
    pub fn check(&self) -> Result<(), SpecError> {
        if self.ops.is_empty() {
            return Err(SpecError::Empty);
        }
        if self.is_delete() && self.ops.len() > 1 {
            return Err(SpecError::DeleteWithOthers);
        }
        Ok(())
    }

    pub fn is_delete(&self) -> bool {
        self.ops.iter().any(|o| matches!(o, Op::Delete))
    }

    /// A few words for the history: `add tag sale, shift active_to +7d (pins at item /p/1)`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .ops
            .iter()
            .map(|op| match op {
                Op::AddTag(t) => format!("add tag {t}"),
                Op::RemoveTag(t) => format!("remove tag {t}"),
                Op::RemoveExpiredPins => "remove expired pins".into(),
                Op::Delete => "delete".into(),
                Op::Pin(p) => match p {
                    PinOp::SetFrom(t) => {
                        format!("set active_from {}", when::format_local(*t, &self.tz))
                    }
                    PinOp::SetTo(t) => {
                        format!("set active_to {}", when::format_local(*t, &self.tz))
                    }
                    PinOp::ShiftFrom(s) => format!("shift active_from {}", signed(s)),
                    PinOp::ShiftTo(s) => format!("shift active_to {}", signed(s)),
                    PinOp::EndNow => "end now".into(),
                    PinOp::StartNow => "start now".into(),
                    PinOp::SetWidget(w) => format!("set widget {w}"),
                    PinOp::ClearWidget => "clear widget".into(),
                },
            })
            .collect();
        let pin_ops = self
            .ops
            .iter()
            .any(|o| matches!(o, Op::Pin(_) | Op::RemoveExpiredPins));
        if pin_ops && !self.pins.is_all() {
            let mut m = Vec::new();
            if let Some(i) = &self.pins.item {
                m.push(format!("item {i}"));
            }
            if let Some(w) = &self.pins.widget {
                m.push(format!("widget {w}"));
            }
            if let Some(p) = self.pins.position {
                m.push(format!("position {p}"));
            }
            parts.push(format!("(pins at {})", m.join(", ")));
        }
        parts.join(", ")
    }

    /// Applies the change to one customization. Never fails: a result that breaks the
    /// API's rules is found by validating it.
    pub fn apply(&self, before: &Customization) -> Edit {
        if self.is_delete() {
            return Edit::Delete;
        }
        let mut after = before.clone();
        let map = after.as_map_mut();
        // For each pin of the result, the index it had in `before`.
        let mut origin: Vec<usize> = match map.get("pin_definitions") {
            Some(Value::Array(pins)) => (0..pins.len()).collect(),
            _ => Vec::new(),
        };
        for op in &self.ops {
            match op {
                Op::AddTag(t) => add_tag(map, t),
                Op::RemoveTag(t) => remove_tag(map, t),
                Op::Delete => {}
                Op::RemoveExpiredPins => {
                    if let Some(Value::Array(pins)) = map.get_mut("pin_definitions") {
                        let mut keep = Vec::with_capacity(pins.len());
                        let mut kept_origin = Vec::with_capacity(pins.len());
                        for (p, o) in std::mem::take(pins).into_iter().zip(origin) {
                            let expired = match &p {
                                Value::Object(pm) => {
                                    let (from, to) = pin_window(pm);
                                    self.pins.matches(pm)
                                        && PinState::of_window(from, to, self.now)
                                            == PinState::Expired
                                }
                                _ => false,
                            };
                            if !expired {
                                keep.push(p);
                                kept_origin.push(o);
                            }
                        }
                        *pins = keep;
                        origin = kept_origin;
                    }
                }
                Op::Pin(pin_op) => {
                    if let Some(Value::Array(pins)) = map.get_mut("pin_definitions") {
                        for p in pins.iter_mut() {
                            if let Value::Object(pm) = p
                                && self.pins.matches(pm)
                            {
                                self.edit_pin(pm, pin_op);
                            }
                        }
                    }
                }
            }
        }
        // A pin counts once when it was removed or differs from where it started.
        let pins_changed = match (before.get("pin_definitions"), after.get("pin_definitions")) {
            (Some(Value::Array(a)), Some(Value::Array(b))) => {
                let removed = a.len() - b.len();
                removed
                    + b.iter()
                        .zip(&origin)
                        .filter(|(p, o)| a.get(**o) != Some(*p))
                        .count()
            }
            _ => 0,
        };
        Edit::Replace {
            after,
            pins_changed,
        }
    }

    /// Edits one pin.
    fn edit_pin(&self, pin: &mut Map<String, Value>, op: &PinOp) {
        let date = |t: Timestamp| Value::String(when::format_local(t, &self.tz));
        match op {
            PinOp::SetFrom(t) => set(pin, "active_from", date(*t)),
            PinOp::SetTo(t) => set(pin, "active_to", date(*t)),
            PinOp::EndNow => set(pin, "active_to", date(self.now)),
            PinOp::StartNow => set(pin, "active_from", date(self.now)),
            PinOp::ShiftFrom(s) | PinOp::ShiftTo(s) => {
                let (key, bound) = {
                    let (from, to) = pin_window(&*pin);
                    if matches!(op, PinOp::ShiftFrom(_)) {
                        ("active_from", from)
                    } else {
                        ("active_to", to)
                    }
                };
                if let Some(t) = bound
                    && let Ok(moved) = when::shift(t, *s, &self.tz)
                {
                    set(pin, key, date(moved));
                }
            }
            PinOp::SetWidget(w) => set(pin, "widget_id", Value::String(w.clone())),
            PinOp::ClearWidget => {
                pin.shift_remove("widget_id");
            }
        }
    }
}

fn signed(s: &Span) -> String {
    // `+P7D` reads worse than `+7d`; jiff's friendly format prints `7d`.
    let text = format!("{:#}", s.abs());
    if s.is_negative() {
        format!("-{text}")
    } else {
        format!("+{text}")
    }
}

/// Sets a field in place when it exists, at the end when it does not.
fn set(m: &mut Map<String, Value>, key: &str, value: Value) {
    if let Some(slot) = m.get_mut(key) {
        *slot = value;
    } else {
        m.insert(key.to_string(), value);
    }
}

fn add_tag(m: &mut Map<String, Value>, tag: &str) {
    match m.get_mut("tags") {
        Some(Value::Array(tags)) => {
            if !tags.iter().any(|t| t.as_str() == Some(tag)) {
                tags.push(Value::String(tag.to_string()));
            }
        }
        // A missing or null `tags` becomes a list; anything else is left for validation
        // to name.
        Some(v @ Value::Null) => *v = Value::Array(vec![Value::String(tag.to_string())]),
        Some(_) => {}
        None => {
            m.insert(
                "tags".to_string(),
                Value::Array(vec![Value::String(tag.to_string())]),
            );
        }
    }
}

fn remove_tag(m: &mut Map<String, Value>, tag: &str) {
    if let Some(Value::Array(tags)) = m.get_mut("tags") {
        tags.retain(|t| t.as_str() != Some(tag));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    const NOW: &str = "2025-06-15T12:00:00Z";

    fn spec(ops: Vec<Op>) -> ChangeSpec {
        ChangeSpec {
            ops,
            pins: PinMatcher::default(),
            now: ts(NOW),
            tz: TimeZone::UTC,
        }
    }

    fn cust(v: Value) -> Customization {
        Customization::from_value(v).expect("object")
    }

    /// Applies `s` and returns the JSON text of the result (so key order is compared too).
    fn run(s: &ChangeSpec, before: Value) -> (String, usize) {
        match s.apply(&cust(before)) {
            Edit::Replace {
                after,
                pins_changed,
            } => (serde_json::to_string(&after).expect("json"), pins_changed),
            Edit::Delete => ("DELETE".into(), 0),
        }
    }

    fn text(v: Value) -> String {
        serde_json::to_string(&v).expect("json")
    }

    /// A customization with an unknown field before, between and after the known ones.
    fn sample() -> Value {
        json!({
            "id": "9f0c5d8e-0000-4000-8000-000000000001",
            "x_first": 1,
            "model": "basket",
            "target_type": "item",
            "target_identity": "/p/1",
            "tags": ["summer"],
            "x_mid": {"b": 2, "a": 1},
            "pin_definitions": [
                {"position": 1, "pin_type": "item", "pin_identity": "/p/10", "x_pin": true,
                 "active_from": "2025-06-01T00:00:00Z", "active_to": "2025-06-30T00:00:00Z"},
                {"position": 2, "pin_type": "item", "pin_identity": "/p/20", "widget_id": "w1",
                 "active_to": "2025-06-10T00:00:00Z"},
                {"position": -1, "pin_type": "criteria", "pin_criteria": {"z": 1, "a": 2}}
            ],
            "x_last": "keep"
        })
    }

    fn with(mut base: Value, f: impl FnOnce(&mut Value)) -> Value {
        f(&mut base);
        base
    }

    #[test]
    fn add_tag_appends_once_and_keeps_everything_else() {
        let s = spec(vec![Op::AddTag("sale".into()), Op::AddTag("summer".into())]);
        let want = with(sample(), |v| v["tags"] = json!(["summer", "sale"]));
        assert_eq!(run(&s, sample()), (text(want), 0));
    }

    #[test]
    fn add_tag_creates_the_list_at_the_end() {
        let s = spec(vec![Op::AddTag("sale".into())]);
        let before = json!({"model": "m", "x": 1, "pin_definitions": []});
        let want = json!({"model": "m", "x": 1, "pin_definitions": [], "tags": ["sale"]});
        assert_eq!(run(&s, before).0, text(want));
    }

    #[test]
    fn remove_tag_keeps_an_empty_list() {
        let s = spec(vec![Op::RemoveTag("summer".into())]);
        let want = with(sample(), |v| v["tags"] = json!([]));
        assert_eq!(run(&s, sample()), (text(want), 0));
        // Removing a tag that is not there changes nothing.
        let s = spec(vec![Op::RemoveTag("none".into())]);
        assert_eq!(run(&s, sample()), (text(sample()), 0));
    }

    #[test]
    fn set_active_from_and_to_on_every_pin() {
        let s = spec(vec![
            Op::Pin(PinOp::SetFrom(ts("2025-07-01T00:00:00Z"))),
            Op::Pin(PinOp::SetTo(ts("2025-08-01T00:00:00Z"))),
        ]);
        let want = with(sample(), |v| {
            let pins = &mut v["pin_definitions"];
            pins[0]["active_from"] = json!("2025-07-01T00:00:00Z");
            pins[0]["active_to"] = json!("2025-08-01T00:00:00Z");
            // Added fields go at the end of the pin, existing ones stay in place.
            pins[1]["active_to"] = json!("2025-08-01T00:00:00Z");
            pins[1]["active_from"] = json!("2025-07-01T00:00:00Z");
            pins[2]["active_from"] = json!("2025-07-01T00:00:00Z");
            pins[2]["active_to"] = json!("2025-08-01T00:00:00Z");
        });
        assert_eq!(run(&s, sample()), (text(want), 3));
    }

    #[test]
    fn dates_are_written_in_the_time_zone() {
        let mut s = spec(vec![Op::Pin(PinOp::SetTo(ts("2025-08-01T00:00:00Z")))]);
        s.tz = TimeZone::get("Europe/Prague").expect("tz");
        s.pins.position = Some(-1);
        let want = with(sample(), |v| {
            v["pin_definitions"][2]["active_to"] = json!("2025-08-01T02:00:00+02:00");
        });
        assert_eq!(run(&s, sample()), (text(want), 1));
    }

    #[test]
    fn shifts_move_only_set_bounds() {
        let s = spec(vec![
            Op::Pin(PinOp::ShiftTo(when::parse_offset("+7d").expect("span"))),
            Op::Pin(PinOp::ShiftFrom(when::parse_offset("-2h").expect("span"))),
        ]);
        let want = with(sample(), |v| {
            let pins = &mut v["pin_definitions"];
            pins[0]["active_from"] = json!("2025-05-31T22:00:00Z");
            pins[0]["active_to"] = json!("2025-07-07T00:00:00Z");
            pins[1]["active_to"] = json!("2025-06-17T00:00:00Z");
        });
        assert_eq!(run(&s, sample()), (text(want), 2));
    }

    #[test]
    fn end_now_and_start_now() {
        let mut s = spec(vec![Op::Pin(PinOp::EndNow)]);
        s.pins.item = Some("/p/10".into());
        let want = with(sample(), |v| {
            v["pin_definitions"][0]["active_to"] = json!(NOW);
        });
        assert_eq!(run(&s, sample()), (text(want), 1));

        let mut s = spec(vec![Op::Pin(PinOp::StartNow)]);
        s.pins.position = Some(-1);
        let want = with(sample(), |v| {
            v["pin_definitions"][2]["active_from"] = json!(NOW);
        });
        assert_eq!(run(&s, sample()), (text(want), 1));
    }

    #[test]
    fn remove_expired_pins_only() {
        let s = spec(vec![Op::RemoveExpiredPins]);
        let want = with(sample(), |v| {
            let pins = v["pin_definitions"].as_array_mut().expect("pins");
            pins.remove(1);
        });
        assert_eq!(run(&s, sample()), (text(want), 1));
        // With a matcher that the expired pin does not meet, nothing goes.
        let mut s = spec(vec![Op::RemoveExpiredPins]);
        s.pins.widget = Some("other".into());
        assert_eq!(run(&s, sample()), (text(sample()), 0));
    }

    #[test]
    fn set_and_clear_widget() {
        let mut s = spec(vec![Op::Pin(PinOp::SetWidget("w2".into()))]);
        s.pins.widget = Some("w1".into());
        let want = with(sample(), |v| {
            v["pin_definitions"][1]["widget_id"] = json!("w2")
        });
        assert_eq!(run(&s, sample()), (text(want), 1));

        let s = spec(vec![Op::Pin(PinOp::ClearWidget)]);
        let want = with(sample(), |v| {
            v["pin_definitions"][1]
                .as_object_mut()
                .expect("pin")
                .shift_remove("widget_id");
        });
        assert_eq!(run(&s, sample()), (text(want), 1));
    }

    #[test]
    fn matchers_combine() {
        let m = PinMatcher {
            item: Some("/p/20".into()),
            widget: Some("w1".into()),
            position: Some(2),
        };
        let pin = sample()["pin_definitions"][1].clone();
        assert!(m.matches(pin.as_object().expect("pin")));
        let m = PinMatcher {
            position: Some(3),
            ..m
        };
        assert!(!m.matches(pin.as_object().expect("pin")));
        // A criteria pin never matches an item id.
        let m = PinMatcher {
            item: Some("/p/20".into()),
            ..PinMatcher::default()
        };
        assert!(!m.matches(sample()["pin_definitions"][2].as_object().expect("pin")));
    }

    #[test]
    fn delete_is_alone() {
        let s = spec(vec![Op::Delete]);
        assert_eq!(s.apply(&cust(sample())), Edit::Delete);
        assert_eq!(s.check(), Ok(()));
        let s = spec(vec![Op::Delete, Op::AddTag("x".into())]);
        assert_eq!(s.check(), Err(SpecError::DeleteWithOthers));
        assert_eq!(spec(vec![]).check(), Err(SpecError::Empty));
    }

    #[test]
    fn describe_reads_like_the_command() {
        let mut s = spec(vec![
            Op::AddTag("sale".into()),
            Op::Pin(PinOp::ShiftTo(when::parse_offset("+7d").expect("span"))),
        ]);
        s.pins.item = Some("/p/1".into());
        assert_eq!(
            s.describe(),
            "add tag sale, shift active_to +7d, (pins at item /p/1)"
        );
    }
}
