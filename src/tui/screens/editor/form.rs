//! The editor's form: the customization being edited (a JSON object, changed in place) and
//! the inputs that edit it.
//!
//! The object is the truth. Each input writes into it when its text changes (`set` keeps a
//! field's place, `remove` takes out what no longer applies), so fields the form does not
//! know, key order and untouched values stay exactly as they came. An input whose text does
//! not parse (a half-typed date, broken JSON) keeps its own error and leaves the object as
//! it was; saving is refused while any such error is left.

use std::collections::HashMap;

use crossterm::event::KeyEvent;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Map, Value};

use crate::api::Customization;
use crate::api::model::{FIELDS, PIN_FIELDS, PinType, Position, TargetType, is_server_field};
use crate::api::validate::{Violation, validate_map};
use crate::tui::widgets::date_field::{DateField, DateState};
use crate::tui::widgets::json_field::{JsonField, JsonState};
use crate::tui::widgets::text_field::TextField;

/// A field of the main form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Model,
    TargetType,
    Identity,
    Criteria,
    Tags,
    Title,
    Image,
    MetaOther,
    Pins,
}

impl Field {
    /// Whether typing goes into it.
    pub fn is_text(self) -> bool {
        !matches!(self, Field::TargetType | Field::Pins)
    }
}

/// A field of the pin form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PinField {
    Position,
    Slot,
    Type,
    Identity,
    Criteria,
    Widget,
    Bundle,
    From,
    To,
}

impl PinField {
    pub fn is_text(self) -> bool {
        !matches!(self, PinField::Position | PinField::Type | PinField::Bundle)
    }

    /// The pin's key this field writes (for error paths and drafts).
    pub fn key(self) -> &'static str {
        match self {
            PinField::Position | PinField::Slot => "position",
            PinField::Type => "pin_type",
            PinField::Identity => "pin_identity",
            PinField::Criteria => "pin_criteria",
            PinField::Widget => "widget_id",
            PinField::Bundle => "is_bundle_pin",
            PinField::From => "active_from",
            PinField::To => "active_to",
        }
    }
}

/// Where an error is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Place {
    /// Not a field of the form: listed at the top.
    General,
    Field(Field),
    /// A pin; `None` for the pin as a whole.
    Pin(usize, Option<PinField>),
}

/// A JSON path as the screens say it: pins counted from 1, as the form's "Pin 2 of 2"
/// (`pin_definitions[1].position` is `pin 2, position`). JSON output keeps the API's paths.
pub fn path_for_people(path: &str) -> String {
    if let Some(rest) = path.strip_prefix("pin_definitions[")
        && let Some((n, tail)) = rest.split_once(']')
        && let Ok(i) = n.parse::<usize>()
    {
        let tail = tail.trim_start_matches('.');
        return if tail.is_empty() {
            format!("pin {}", i + 1)
        } else {
            format!("pin {}, {tail}", i + 1)
        };
    }
    path.to_string()
}

/// Maps a field path (the validator's, or a 422's `exception_details` key) to its place.
pub fn place_of(path: &str) -> Place {
    let head = path.split(['.', '[']).next().unwrap_or("");
    match head {
        "model" => Place::Field(Field::Model),
        "target_type" => Place::Field(Field::TargetType),
        "target_identity" => Place::Field(Field::Identity),
        "target_criteria" => Place::Field(Field::Criteria),
        "tags" => Place::Field(Field::Tags),
        "target_metadata" => match path.strip_prefix("target_metadata.") {
            Some("title") => Place::Field(Field::Title),
            Some("image_link") => Place::Field(Field::Image),
            _ => Place::Field(Field::MetaOther),
        },
        "pin_definitions" => {
            let Some(rest) = path.strip_prefix("pin_definitions[") else {
                return Place::Field(Field::Pins);
            };
            let Some((index, rest)) = rest.split_once(']') else {
                return Place::Field(Field::Pins);
            };
            let Ok(i) = index.trim().parse::<usize>() else {
                return Place::Field(Field::Pins);
            };
            let key = rest
                .strip_prefix('.')
                .map(|k| k.split(['.', '[']).next().unwrap_or(""));
            let field = match key {
                Some("position" | "is_block_pin") => Some(PinField::Position),
                Some("pin_type") => Some(PinField::Type),
                Some("pin_identity") => Some(PinField::Identity),
                Some("pin_criteria") => Some(PinField::Criteria),
                Some("widget_id") => Some(PinField::Widget),
                Some("is_bundle_pin") => Some(PinField::Bundle),
                Some("active_from") => Some(PinField::From),
                Some("active_to") => Some(PinField::To),
                _ => None,
            };
            Place::Pin(i, field)
        }
        _ => Place::General,
    }
}

/// A pin's position, as the form offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PosKind {
    Slot,
    Global,
    Block,
}

impl PosKind {
    pub const ALL: [PosKind; 3] = [PosKind::Slot, PosKind::Global, PosKind::Block];

    pub fn label(self) -> &'static str {
        match self {
            PosKind::Slot => "slot N",
            PosKind::Global => "global",
            PosKind::Block => "block",
        }
    }
}

/// The inputs of one pin.
#[derive(Debug, Clone)]
pub struct PinEdit {
    /// `None` when the stored position is not one the form knows (shown as an error).
    pub kind: Option<PosKind>,
    pub slot: TextField,
    pub slot_error: Option<String>,
    pub pin_type: Option<PinType>,
    pub identity: TextField,
    pub criteria: JsonField,
    pub widget: TextField,
    pub from: DateField,
    pub to: DateField,
}

impl PinEdit {
    fn from_pin(p: Option<&Map<String, Value>>, now: Timestamp, tz: &TimeZone) -> PinEdit {
        let empty = Map::new();
        let p = p.unwrap_or(&empty);
        let position = p
            .get("position")
            .and_then(Value::as_i64)
            .and_then(Position::from_i64);
        let (kind, slot_text) = match position {
            Some(Position::Slot(n)) => (Some(PosKind::Slot), n.to_string()),
            Some(Position::Global) => (Some(PosKind::Global), String::new()),
            Some(Position::Block) => (Some(PosKind::Block), String::new()),
            None => (None, p.get("position").map(show_value).unwrap_or_default()),
        };
        let mut slot = TextField::new("1");
        slot.set_value(&slot_text);
        slot.set_focused(false);
        let pin_type = p
            .get("pin_type")
            .and_then(Value::as_str)
            .and_then(PinType::parse);
        let mut identity = TextField::new("/p/123 (the item's identity)");
        identity.set_value(&p.get("pin_identity").map(show_value).unwrap_or_default());
        identity.set_focused(false);
        let mut criteria = JsonField::new(r#"{"brand": "Fender"}"#);
        criteria.set_value(p.get("pin_criteria").filter(|v| !v.is_null()));
        let mut widget = TextField::new("any widget");
        widget.set_value(&p.get("widget_id").map(show_value).unwrap_or_default());
        widget.set_focused(false);
        let mut from = DateField::new("open; e.g. 2025-02-01, now");
        from.set_stored(p.get("active_from"), now, tz);
        from.set_focused(false);
        let mut to = DateField::new("open; e.g. +7d, tomorrow");
        to.set_stored(p.get("active_to"), now, tz);
        to.set_focused(false);
        PinEdit {
            kind,
            slot,
            slot_error: None,
            pin_type,
            identity,
            criteria,
            widget,
            from,
            to,
        }
    }

    /// The pin fields shown for this pin, in order.
    pub fn fields(&self) -> Vec<PinField> {
        let mut out = vec![PinField::Position];
        if self.kind == Some(PosKind::Slot) || self.kind.is_none() {
            out.push(PinField::Slot);
        }
        out.push(PinField::Type);
        match self.pin_type {
            Some(PinType::Criteria) => out.push(PinField::Criteria),
            _ => out.push(PinField::Identity),
        }
        out.extend([
            PinField::Widget,
            PinField::Bundle,
            PinField::From,
            PinField::To,
        ]);
        out
    }

    /// The error of the field's own text, if it does not parse.
    pub fn local_error(&self, f: PinField) -> Option<String> {
        match f {
            PinField::Slot => self.slot_error.clone(),
            PinField::Criteria if self.pin_type == Some(PinType::Criteria) => {
                self.criteria.error().map(ToString::to_string)
            }
            PinField::From => date_error(&self.from),
            PinField::To => date_error(&self.to),
            _ => None,
        }
    }

    /// The raw text of a text field.
    pub fn text(&self, f: PinField) -> Option<String> {
        match f {
            PinField::Slot => Some(self.slot.value().to_string()),
            PinField::Identity => Some(self.identity.value().to_string()),
            PinField::Criteria => Some(self.criteria.text()),
            PinField::Widget => Some(self.widget.value().to_string()),
            PinField::From => Some(self.from.text().to_string()),
            PinField::To => Some(self.to.text().to_string()),
            _ => None,
        }
    }

    pub fn set_focus(&mut self, f: PinField, on: bool) {
        match f {
            PinField::Slot => self.slot.set_focused(on),
            PinField::Identity => self.identity.set_focused(on),
            PinField::Criteria => self.criteria.set_focused(on),
            PinField::Widget => self.widget.set_focused(on),
            PinField::From => self.from.set_focused(on),
            PinField::To => self.to.set_focused(on),
            _ => {}
        }
    }
}

fn date_error(d: &DateField) -> Option<String> {
    match d.state() {
        DateState::Invalid(e) => Some(e.clone()),
        _ => None,
    }
}

/// A stored value as text: strings as they are, anything else as JSON.
fn show_value(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The form: the object and its inputs.
#[derive(Debug, Clone)]
pub struct Form {
    obj: Customization,
    /// Whether the object the form started from had these optional fields.
    had_tags: bool,
    had_metadata: bool,
    pub model: TextField,
    pub target: Option<TargetType>,
    pub identity: TextField,
    pub criteria: JsonField,
    pub tags: TextField,
    pub title: TextField,
    pub image: TextField,
    pub meta_other: JsonField,
    pub pins: Vec<PinEdit>,
    violations: Vec<Violation>,
    /// `(path, message)` from the service's last 422, until the field is edited.
    server: Vec<(String, String)>,
    errors: HashMap<Place, Vec<String>>,
    /// Hide "missing" and "empty" errors (a new form the user has not tried to save yet).
    pub quiet_missing: bool,
}

/// One change to a text field: a key, a paste, or a whole new text (a completion, a draft).
#[derive(Clone, Copy)]
enum Edit<'a> {
    Key(KeyEvent),
    Paste(&'a str),
    Set(&'a str),
}

/// A borrowed text field of the form, whichever kind it is (a date field with the clock and zone
/// its text is read in).
enum FieldRef<'f> {
    Text(&'f mut TextField),
    Json(&'f mut JsonField),
    Date(&'f mut DateField, Timestamp, &'f TimeZone),
}

impl FieldRef<'_> {
    /// Applies `e`; whether the text changed (a new text always counts).
    fn apply(self, e: Edit<'_>) -> bool {
        match (self, e) {
            (FieldRef::Text(t), Edit::Key(k)) => t.input(k),
            (FieldRef::Text(t), Edit::Paste(s)) => t.paste(s),
            (FieldRef::Text(t), Edit::Set(s)) => {
                t.set_value(s);
                true
            }
            (FieldRef::Json(j), Edit::Key(k)) => j.input(k),
            (FieldRef::Json(j), Edit::Paste(s)) => j.paste(s),
            (FieldRef::Json(j), Edit::Set(s)) => {
                j.set_text(s);
                true
            }
            (FieldRef::Date(d, now, tz), Edit::Key(k)) => d.input(k, now, tz),
            (FieldRef::Date(d, now, tz), Edit::Paste(s)) => d.paste(s, now, tz),
            (FieldRef::Date(d, now, tz), Edit::Set(s)) => {
                d.set_text(s, now, tz);
                true
            }
        }
    }
}

impl Form {
    /// A form on `obj`, which is kept and edited in place.
    pub fn new(obj: Customization, now: Timestamp, tz: &TimeZone) -> Form {
        let get = |k: &str| obj.get(k).map(show_value).unwrap_or_default();
        let mut model = TextField::new("basket, home, product_detail…");
        model.set_value(&get("model"));
        let mut identity = TextField::new("/p/123 (the page's item identity)");
        identity.set_value(&get("target_identity"));
        let mut criteria = JsonField::new(r#"{"category": "Guitars"}"#);
        criteria.set_value(obj.get("target_criteria").filter(|v| !v.is_null()));
        let mut tags = TextField::new("comma-separated, e.g. summer, clearance");
        let tag_text = match obj.get("tags") {
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => a
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            Some(other) => show_value(other),
            None => String::new(),
        };
        tags.set_value(&tag_text);
        let meta = obj.target_metadata().cloned().unwrap_or_default();
        let meta_str = |k: &str| meta.get(k).and_then(Value::as_str).unwrap_or("");
        let mut title = TextField::new("shown in lists");
        title.set_value(meta_str("title"));
        let mut image = TextField::new("https://…");
        image.set_value(meta_str("image_link"));
        let others: Map<String, Value> = meta
            .iter()
            .filter(|(k, v)| !(matches!(k.as_str(), "title" | "image_link") && v.is_string()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut meta_other = JsonField::new(r#"{"any other key": "value"}"#);
        meta_other.set_value((!others.is_empty()).then(|| Value::Object(others)).as_ref());
        let pins = match obj.get("pin_definitions") {
            Some(Value::Array(a)) => a
                .iter()
                .map(|p| PinEdit::from_pin(p.as_object(), now, tz))
                .collect(),
            _ => Vec::new(),
        };
        for f in [&mut model, &mut identity, &mut tags, &mut title, &mut image] {
            f.set_focused(false);
        }
        let mut form = Form {
            had_tags: obj.get("tags").is_some(),
            had_metadata: obj.get("target_metadata").is_some(),
            target: obj.target_type(),
            obj,
            model,
            identity,
            criteria,
            tags,
            title,
            image,
            meta_other,
            pins,
            violations: Vec::new(),
            server: Vec::new(),
            errors: HashMap::new(),
            quiet_missing: false,
        };
        form.revalidate();
        form
    }

    pub fn object(&self) -> &Customization {
        &self.obj
    }

    /// Whether `pin_definitions` is a list the pin table can edit.
    pub fn pins_editable(&self) -> bool {
        matches!(
            self.obj.get("pin_definitions"),
            None | Some(Value::Array(_))
        )
    }

    fn pin_obj(&self, i: usize) -> Option<&Map<String, Value>> {
        self.obj
            .get("pin_definitions")
            .and_then(Value::as_array)
            .and_then(|a| a.get(i))
            .and_then(Value::as_object)
    }

    /// The stored pin `i`, if it is an object.
    pub fn pin(&self, i: usize) -> Option<&Map<String, Value>> {
        self.pin_obj(i)
    }

    fn pins_mut(&mut self) -> &mut Vec<Value> {
        if !matches!(self.obj.get("pin_definitions"), Some(Value::Array(_))) {
            self.obj.set("pin_definitions", Value::Array(Vec::new()));
        }
        match self.obj.as_map_mut().get_mut("pin_definitions") {
            Some(Value::Array(a)) => a,
            _ => unreachable!("pin_definitions was just made an array"),
        }
    }

    fn pin_mut(&mut self, i: usize) -> Option<&mut Map<String, Value>> {
        let pins = self.pins_mut();
        let v = pins.get_mut(i)?;
        if !v.is_object() {
            *v = Value::Object(Map::new());
        }
        v.as_object_mut()
    }

    /// The fields of the main form, in order, for the current target type.
    pub fn fields(&self) -> Vec<Field> {
        let mut out = vec![Field::Model, Field::TargetType];
        match self.target {
            Some(TargetType::Item) | None => out.push(Field::Identity),
            Some(TargetType::Criteria) => out.push(Field::Criteria),
            Some(TargetType::All) => {}
        }
        out.extend([
            Field::Tags,
            Field::Title,
            Field::Image,
            Field::MetaOther,
            Field::Pins,
        ]);
        out
    }

    /// Top-level fields the form does not edit, kept as they are (server-set ones aside).
    pub fn kept_fields(&self) -> Vec<&str> {
        self.obj
            .as_map()
            .keys()
            .map(String::as_str)
            .filter(|k| !FIELDS.contains(k) && !is_server_field(k))
            .collect()
    }

    /// Pin fields the pin form does not edit.
    pub fn kept_pin_fields(&self, i: usize) -> Vec<&str> {
        self.pin_obj(i)
            .map(|p| {
                p.keys()
                    .map(String::as_str)
                    .filter(|k| !PIN_FIELDS.contains(k))
                    .collect()
            })
            .unwrap_or_default()
    }

    // ---- writing into the object ------------------------------------------------------

    /// Feeds a key to a text field of the main form; returns whether anything changed.
    pub fn type_main(&mut self, f: Field, key: KeyEvent) -> bool {
        self.edit_main(f, Edit::Key(key))
    }

    pub fn paste_main(&mut self, f: Field, text: &str) -> bool {
        self.edit_main(f, Edit::Paste(text))
    }

    /// Replaces a text field's text (a completion).
    pub fn set_main_text(&mut self, f: Field, text: &str) {
        self.edit_main(f, Edit::Set(text));
    }

    fn edit_main(&mut self, f: Field, e: Edit<'_>) -> bool {
        let input = match f {
            Field::Model => FieldRef::Text(&mut self.model),
            Field::Identity => FieldRef::Text(&mut self.identity),
            Field::Tags => FieldRef::Text(&mut self.tags),
            Field::Title => FieldRef::Text(&mut self.title),
            Field::Image => FieldRef::Text(&mut self.image),
            Field::Criteria => FieldRef::Json(&mut self.criteria),
            Field::MetaOther => FieldRef::Json(&mut self.meta_other),
            Field::TargetType | Field::Pins => return false,
        };
        let changed = input.apply(e);
        if changed {
            self.sync_main(f);
        }
        changed
    }

    /// Writes a main field's text into the object.
    fn sync_main(&mut self, f: Field) {
        self.clear_server(Place::Field(f));
        match f {
            Field::Model => {
                let v = Value::String(self.model.value().to_string());
                self.obj.set("model", v);
            }
            Field::Identity => {
                let v = Value::String(self.identity.value().to_string());
                self.obj.set("target_identity", v);
            }
            Field::Criteria => self.sync_target_criteria(),
            Field::Tags => {
                let tags: Vec<Value> = self
                    .tags
                    .value()
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(|t| Value::String(t.to_string()))
                    .collect();
                if tags.is_empty() && !self.had_tags {
                    self.obj.remove("tags");
                } else {
                    self.obj.set("tags", Value::Array(tags));
                }
            }
            Field::Title | Field::Image | Field::MetaOther => self.sync_metadata(),
            Field::TargetType | Field::Pins => {}
        }
        self.revalidate();
    }

    fn sync_target_criteria(&mut self) {
        match self.criteria.state() {
            JsonState::Object(m) => {
                let v = Value::Object(m.clone());
                self.obj.set("target_criteria", v);
            }
            JsonState::Empty => {
                self.obj.remove("target_criteria");
            }
            // The object keeps its last good value; the error stays on the field.
            JsonState::Invalid(_) => {}
        }
    }

    /// Rebuilds `target_metadata` from title, image link and the other keys, keeping the
    /// order of the keys that stay.
    fn sync_metadata(&mut self) {
        let title = self.title.value().to_string();
        let image = self.image.value().to_string();
        let others: Option<Map<String, Value>> = match self.meta_other.state() {
            JsonState::Object(m) => Some(m.clone()),
            JsonState::Empty => Some(Map::new()),
            JsonState::Invalid(_) => None,
        };
        let old = self.obj.target_metadata().cloned().unwrap_or_default();
        let pick = |k: &str,
                    typed: &str,
                    others: &Option<Map<String, Value>>,
                    old: &Map<String, Value>| {
            if !typed.is_empty() {
                return Some(Value::String(typed.to_string()));
            }
            match others {
                Some(o) => o.get(k).cloned(),
                None => old.get(k).filter(|v| !v.is_string()).cloned(),
            }
        };
        let mut new = Map::new();
        for (k, v) in &old {
            let kept = match k.as_str() {
                "title" => pick("title", &title, &others, &old),
                "image_link" => pick("image_link", &image, &others, &old),
                _ => match &others {
                    Some(o) => o.get(k).cloned(),
                    None => Some(v.clone()),
                },
            };
            if let Some(v) = kept {
                new.insert(k.clone(), v);
            }
        }
        for (k, typed) in [("title", &title), ("image_link", &image)] {
            if !new.contains_key(k)
                && let Some(v) = pick(k, typed, &others, &old)
            {
                new.insert(k.to_string(), v);
            }
        }
        if let Some(o) = &others {
            for (k, v) in o {
                if !new.contains_key(k) {
                    new.insert(k.clone(), v.clone());
                }
            }
        }
        if new.is_empty() && !self.had_metadata {
            self.obj.remove("target_metadata");
        } else {
            self.obj.set("target_metadata", Value::Object(new));
        }
    }

    /// Changes the target type: the fields that no longer apply leave the object (their
    /// text stays in the form, so switching back brings them back).
    pub fn set_target(&mut self, t: TargetType) {
        if self.target == Some(t) {
            return;
        }
        self.target = Some(t);
        self.obj
            .set("target_type", Value::String(t.as_str().to_string()));
        match t {
            TargetType::Item => {
                self.obj.remove("target_criteria");
                let v = Value::String(self.identity.value().to_string());
                self.obj.set("target_identity", v);
            }
            TargetType::Criteria => {
                self.obj.remove("target_identity");
                self.sync_target_criteria();
            }
            TargetType::All => {
                self.obj.remove("target_identity");
                self.obj.remove("target_criteria");
            }
        }
        self.clear_server(Place::Field(Field::TargetType));
        self.revalidate();
    }

    /// Feeds a key to a text field of pin `i`.
    pub fn type_pin(
        &mut self,
        i: usize,
        f: PinField,
        key: KeyEvent,
        now: Timestamp,
        tz: &TimeZone,
    ) -> bool {
        self.edit_pin(i, f, Edit::Key(key), now, tz)
    }

    pub fn paste_pin(
        &mut self,
        i: usize,
        f: PinField,
        text: &str,
        now: Timestamp,
        tz: &TimeZone,
    ) -> bool {
        self.edit_pin(i, f, Edit::Paste(text), now, tz)
    }

    /// Sets a text field of pin `i` (a restored draft).
    pub fn set_pin_text(
        &mut self,
        i: usize,
        f: PinField,
        text: &str,
        now: Timestamp,
        tz: &TimeZone,
    ) {
        self.edit_pin(i, f, Edit::Set(text), now, tz);
    }

    fn edit_pin(
        &mut self,
        i: usize,
        f: PinField,
        e: Edit<'_>,
        now: Timestamp,
        tz: &TimeZone,
    ) -> bool {
        let Some(p) = self.pins.get_mut(i) else {
            return false;
        };
        let input = match f {
            PinField::Slot => FieldRef::Text(&mut p.slot),
            PinField::Identity => FieldRef::Text(&mut p.identity),
            PinField::Widget => FieldRef::Text(&mut p.widget),
            PinField::Criteria => FieldRef::Json(&mut p.criteria),
            PinField::From => FieldRef::Date(&mut p.from, now, tz),
            PinField::To => FieldRef::Date(&mut p.to, now, tz),
            _ => return false,
        };
        let changed = input.apply(e);
        if changed {
            self.sync_pin(i, f);
        }
        changed
    }

    /// Chooses a pin's position kind.
    pub fn set_pin_kind(&mut self, i: usize, kind: PosKind) {
        let Some(p) = self.pins.get_mut(i) else {
            return;
        };
        p.kind = Some(kind);
        if kind == PosKind::Slot && p.slot.value().trim().is_empty() {
            p.slot.set_value("1");
        }
        self.sync_pin(i, PinField::Position);
    }

    pub fn set_pin_type(&mut self, i: usize, t: PinType) {
        let Some(p) = self.pins.get_mut(i) else {
            return;
        };
        p.pin_type = Some(t);
        self.sync_pin(i, PinField::Type);
    }

    pub fn toggle_bundle(&mut self, i: usize) {
        let Some(pin) = self.pin_mut(i) else {
            return;
        };
        let now = pin
            .get("is_bundle_pin")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if pin.contains_key("is_bundle_pin") || !now {
            set_in(pin, "is_bundle_pin", Value::Bool(!now));
        }
        self.clear_server(Place::Pin(i, Some(PinField::Bundle)));
        self.revalidate();
    }

    /// Writes a pin field's input into pin `i`.
    fn sync_pin(&mut self, i: usize, f: PinField) {
        let shown_at = if f == PinField::Slot {
            PinField::Position
        } else {
            f
        };
        self.clear_server(Place::Pin(i, Some(shown_at)));
        let Some(edit) = self.pins.get_mut(i) else {
            return;
        };
        // What to write is worked out before the pin's object is borrowed.
        let writes = pin_writes(edit, f);
        if let Some(pin) = self.pin_mut(i) {
            apply_pin_writes(pin, writes);
        }
        self.revalidate();
    }

    // ---- the pin table ---------------------------------------------------------------

    /// Adds a pin at the end (the next free slot, an item); returns its index.
    pub fn add_pin(&mut self, now: Timestamp, tz: &TimeZone) -> usize {
        let next = self
            .obj
            .pins()
            .filter_map(|p| match p.position() {
                Some(Position::Slot(n)) => Some(n as i64),
                _ => None,
            })
            .max()
            .unwrap_or(0)
            + 1;
        let mut pin = Map::new();
        pin.insert("position".into(), Value::from(next));
        pin.insert("pin_type".into(), Value::from("item"));
        pin.insert("pin_identity".into(), Value::from(""));
        let edit = PinEdit::from_pin(Some(&pin), now, tz);
        self.pins_mut().push(Value::Object(pin));
        self.pins.push(edit);
        self.after_pin_shuffle();
        self.pins.len() - 1
    }

    /// Duplicates pin `i` right after it; returns the copy's index.
    pub fn duplicate_pin(&mut self, i: usize) -> Option<usize> {
        let copy = self.pins_mut().get(i)?.clone();
        let edit = self.pins.get(i)?.clone();
        self.pins_mut().insert(i + 1, copy);
        self.pins.insert(i + 1, edit);
        self.after_pin_shuffle();
        Some(i + 1)
    }

    pub fn delete_pin(&mut self, i: usize) -> bool {
        if i >= self.pins.len() {
            return false;
        }
        self.pins_mut().remove(i);
        self.pins.remove(i);
        self.after_pin_shuffle();
        true
    }

    /// Swaps pins `i` and `j`.
    pub fn swap_pins(&mut self, i: usize, j: usize) -> bool {
        if i >= self.pins.len() || j >= self.pins.len() || i == j {
            return false;
        }
        self.pins_mut().swap(i, j);
        self.pins.swap(i, j);
        self.after_pin_shuffle();
        true
    }

    fn after_pin_shuffle(&mut self) {
        // The service's errors name pins by index; after a shuffle they would point at the
        // wrong ones.
        self.server
            .retain(|(p, _)| !p.starts_with("pin_definitions"));
        self.revalidate();
    }

    // ---- errors ------------------------------------------------------------------------

    /// Runs the shared rules again and places every error.
    pub fn revalidate(&mut self) {
        self.violations = validate_map(self.obj.as_map());
        let mut errors: HashMap<Place, Vec<String>> = HashMap::new();
        let local = self.local_errors();
        let has_local = |place: &Place| local.iter().any(|(p, _)| place_of(p) == *place);
        for (path, msg) in &local {
            errors.entry(place_of(path)).or_default().push(msg.clone());
        }
        for v in &self.violations {
            let place = place_of(&v.path);
            // A field whose text does not parse shows that first; the object still holds
            // its last good value.
            if has_local(&place) || (self.quiet_missing && is_missing(&v.message)) {
                continue;
            }
            let msg = match place {
                Place::General => v.to_string(),
                _ => v.message.clone(),
            };
            errors.entry(place).or_default().push(msg);
        }
        for (path, msg) in &self.server {
            let place = place_of(path);
            let msg = match place {
                Place::General => format!("service: {path}: {msg}"),
                _ => format!("service: {msg}"),
            };
            errors.entry(place).or_default().push(msg);
        }
        self.errors = errors;
    }

    /// Errors of inputs whose text does not parse, as `(path, message)`, for the fields
    /// that apply.
    pub fn local_errors(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.target == Some(TargetType::Criteria)
            && let Some(e) = self.criteria.error()
        {
            out.push(("target_criteria".to_string(), format!("JSON {e}")));
        }
        if let Some(e) = self.meta_other.error() {
            out.push(("target_metadata".to_string(), format!("JSON {e}")));
        }
        for (i, p) in self.pins.iter().enumerate() {
            for f in p.fields() {
                if let Some(e) = p.local_error(f) {
                    let msg = if f == PinField::Criteria {
                        format!("JSON {e}")
                    } else {
                        e
                    };
                    out.push((format!("pin_definitions[{i}].{}", f.key()), msg));
                }
            }
        }
        out
    }

    /// After a resize: every field, of the main form and of each pin, shows its text from
    /// the start again.
    pub fn reset_views(&mut self) {
        for f in [
            &mut self.model,
            &mut self.identity,
            &mut self.tags,
            &mut self.title,
            &mut self.image,
        ] {
            f.reset_view();
        }
        self.criteria.reset_view();
        self.meta_other.reset_view();
        for p in &mut self.pins {
            p.slot.reset_view();
            p.identity.reset_view();
            p.widget.reset_view();
            p.criteria.reset_view();
            p.from.reset_view();
            p.to.reset_view();
        }
    }

    /// Everything that stops a save, one line each (`path: message`).
    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .local_errors()
            .into_iter()
            .map(|(p, m)| format!("{}: {m}", path_for_people(&p)))
            .collect();
        let local = self.local_errors();
        for v in &self.violations {
            let place = place_of(&v.path);
            if local.iter().any(|(p, _)| place_of(p) == place) {
                continue;
            }
            let line = if v.path.is_empty() {
                v.message.clone()
            } else {
                format!("{}: {}", path_for_people(&v.path), v.message)
            };
            if !out.contains(&line) {
                out.push(line);
            }
        }
        out
    }

    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// The errors shown at a place.
    pub fn errors_at(&self, place: Place) -> &[String] {
        self.errors.get(&place).map_or(&[], Vec::as_slice)
    }

    /// Whether pin `i` has an error anywhere.
    pub fn pin_has_errors(&self, i: usize) -> bool {
        self.errors
            .iter()
            .any(|(p, e)| matches!(p, Place::Pin(j, _) if *j == i) && !e.is_empty())
    }

    /// Errors at places the form does not show: pins past the end, unknown paths.
    pub fn stray_errors(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for (place, msgs) in &self.errors {
            let shown = match place {
                Place::General => false,
                Place::Field(f) => self.fields().contains(f),
                Place::Pin(i, _) => *i < self.pins.len(),
            };
            if !shown {
                out.extend(msgs.iter().map(String::as_str));
            }
        }
        out.sort_unstable();
        out
    }

    /// Shows a 422's `exception_details` on the fields they name.
    pub fn set_server_errors(&mut self, details: Vec<(String, String)>) {
        self.server = details;
        self.revalidate();
    }

    pub fn server_errors(&self) -> &[(String, String)] {
        &self.server
    }

    fn clear_server(&mut self, place: Place) {
        self.server.retain(|(p, _)| {
            let at = place_of(p);
            // Editing a pin field clears the pin's whole-pin errors too.
            !(at == place
                || matches!((at, place), (Place::Pin(i, None), Place::Pin(j, _)) if i == j))
        });
    }

    // ---- drafts ------------------------------------------------------------------------

    /// The raw text of every input that does not parse, by path, so a draft keeps it.
    pub fn unparsed_texts(&self) -> Map<String, Value> {
        let mut out = Map::new();
        if self.criteria.error().is_some() {
            out.insert(
                "target_criteria".into(),
                Value::String(self.criteria.text()),
            );
        }
        if self.meta_other.error().is_some() {
            out.insert(
                "target_metadata".into(),
                Value::String(self.meta_other.text()),
            );
        }
        for (i, p) in self.pins.iter().enumerate() {
            for f in [
                PinField::Slot,
                PinField::Criteria,
                PinField::From,
                PinField::To,
            ] {
                let bad = match f {
                    PinField::Slot => p.slot_error.is_some(),
                    PinField::Criteria => p.criteria.error().is_some(),
                    PinField::From => date_error(&p.from).is_some(),
                    _ => date_error(&p.to).is_some(),
                };
                if bad && let Some(t) = p.text(f) {
                    let key = if f == PinField::Slot { "slot" } else { f.key() };
                    out.insert(format!("pin_definitions[{i}].{key}"), Value::String(t));
                }
            }
        }
        out
    }

    /// Puts back texts kept by [`Form::unparsed_texts`].
    pub fn restore_texts(&mut self, texts: &Map<String, Value>, now: Timestamp, tz: &TimeZone) {
        for (path, text) in texts {
            let Some(text) = text.as_str() else { continue };
            match path.as_str() {
                "target_criteria" => self.set_main_text(Field::Criteria, text),
                "target_metadata" => self.set_main_text(Field::MetaOther, text),
                _ => {
                    if path.ends_with(".slot")
                        && let Place::Pin(i, _) = place_of(path)
                    {
                        if let Some(p) = self.pins.get_mut(i) {
                            p.kind = Some(PosKind::Slot);
                        }
                        self.set_pin_text(i, PinField::Slot, text, now, tz);
                    } else if let Place::Pin(i, Some(f)) = place_of(path) {
                        self.set_pin_text(i, f, text, now, tz);
                    }
                }
            }
        }
    }
}

fn set_in(m: &mut Map<String, Value>, key: &str, v: Value) {
    if let Some(slot) = m.get_mut(key) {
        *slot = v;
    } else {
        m.insert(key.to_string(), v);
    }
}

/// Whether a message says only that something is missing or empty (not shown on a new
/// form before its first save).
pub fn is_missing(msg: &str) -> bool {
    msg.starts_with("Missing required field") || msg == "Must not be empty"
}

/// A change to one key of a pin's JSON, from its form.
enum PinWrite {
    Set(&'static str, Value),
    /// Set only when the pin already has the key.
    Update(&'static str, Value),
    Remove(&'static str),
}

/// What field `f` of the pin form writes into the pin (a slot number is checked here, and
/// its error kept on the form).
fn pin_writes(edit: &mut PinEdit, f: PinField) -> Vec<PinWrite> {
    match f {
        PinField::Position | PinField::Slot => position_writes(edit),
        PinField::Type => type_writes(edit),
        PinField::Identity => vec![PinWrite::Set(
            "pin_identity",
            Value::String(edit.identity.value().to_string()),
        )],
        PinField::Criteria => criteria_writes(&edit.criteria).into_iter().collect(),
        PinField::Widget => {
            let w = edit.widget.value().trim().to_string();
            if w.is_empty() {
                vec![PinWrite::Remove("widget_id")]
            } else {
                vec![PinWrite::Set("widget_id", Value::String(w))]
            }
        }
        PinField::Bundle => Vec::new(),
        PinField::From => date_writes("active_from", &edit.from).into_iter().collect(),
        PinField::To => date_writes("active_to", &edit.to).into_iter().collect(),
    }
}

/// The position the kind and the slot field say (a block pin says so too); a slot number
/// that is not one leaves the position as it was and says why.
fn position_writes(edit: &mut PinEdit) -> Vec<PinWrite> {
    let pos = match edit.kind {
        Some(PosKind::Global) => Some(-1),
        Some(PosKind::Block) => Some(0),
        Some(PosKind::Slot) | None => {
            let t = edit.slot.value().trim();
            match t.parse::<i64>() {
                Ok(n) if n >= 1 => {
                    edit.slot_error = None;
                    edit.kind = Some(PosKind::Slot);
                    Some(n)
                }
                _ => {
                    edit.slot_error = Some(if t.is_empty() {
                        "type the slot number (1 is the first)".to_string()
                    } else {
                        format!("{t:?} is not a slot number (1, 2, 3…)")
                    });
                    None
                }
            }
        }
    };
    if edit.kind != Some(PosKind::Slot) {
        edit.slot_error = None;
    }
    let Some(n) = pos else {
        return Vec::new();
    };
    vec![
        PinWrite::Set("position", Value::from(n)),
        if n == 0 {
            PinWrite::Set("is_block_pin", Value::Bool(true))
        } else {
            // `false` is written back only where the pin already says it.
            PinWrite::Update("is_block_pin", Value::Bool(false))
        },
    ]
}

/// The pin's type, with the target that goes with it (the other one removed).
fn type_writes(edit: &PinEdit) -> Vec<PinWrite> {
    match edit.pin_type {
        Some(PinType::Item) => vec![
            PinWrite::Set("pin_type", Value::from("item")),
            PinWrite::Remove("pin_criteria"),
            PinWrite::Set(
                "pin_identity",
                Value::String(edit.identity.value().to_string()),
            ),
        ],
        Some(PinType::Criteria) => {
            let mut w = vec![
                PinWrite::Set("pin_type", Value::from("criteria")),
                PinWrite::Remove("pin_identity"),
            ];
            w.extend(criteria_writes(&edit.criteria));
            w
        }
        None => Vec::new(),
    }
}

/// The criteria as typed; JSON that does not parse yet leaves the pin as it was.
fn criteria_writes(field: &JsonField) -> Option<PinWrite> {
    match field.state() {
        JsonState::Object(m) => Some(PinWrite::Set("pin_criteria", Value::Object(m.clone()))),
        JsonState::Empty => Some(PinWrite::Remove("pin_criteria")),
        JsonState::Invalid(_) => None,
    }
}

/// A date as it will be sent; one that does not read as a date leaves the pin as it was.
fn date_writes(key: &'static str, field: &DateField) -> Option<PinWrite> {
    match field.state() {
        DateState::Empty => Some(PinWrite::Remove(key)),
        DateState::Ok { send, .. } => Some(PinWrite::Set(key, Value::String(send.clone()))),
        DateState::Invalid(_) => None,
    }
}

fn apply_pin_writes(pin: &mut Map<String, Value>, writes: Vec<PinWrite>) {
    for w in writes {
        match w {
            PinWrite::Update(k, v) => {
                if pin.contains_key(k) {
                    set_in(pin, k, v);
                }
            }
            PinWrite::Set(k, v) => set_in(pin, k, v),
            PinWrite::Remove(k) => {
                pin.shift_remove(k);
            }
        }
    }
}

#[cfg(test)]
mod tests;
