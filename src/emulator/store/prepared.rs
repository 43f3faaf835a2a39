//! Lines made ready to store: parsed, validated and serialized outside the store's lock,
//! with their conflict key hashed once.

use std::hash::BuildHasher;
use std::ops::Deref;
use std::sync::{Arc, LazyLock};

use jiff::Timestamp;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::api::json::{Json, JsonObject, to_map};
use crate::api::model::{
    ConflictKey, SERVER_FIELDS, TargetType, Window, conflict_key_of, pin_window,
};
use crate::api::time::parse_rfc3339;
use crate::api::validate::{Violation, validate_into_with_windows, validate_map};

/// A valid customization, parsed and serialized, ready to be stored. Built outside the
/// store's lock.
#[derive(Debug, Clone)]
pub struct PreparedLine {
    /// The object's fields without the server-set ones, as JSON without the outer braces.
    pub(super) inner: Arc<str>,
    pub(super) key: HashedKey,
    pub(super) target_identity: Option<String>,
    pub(super) tags: Vec<String>,
    pub(super) criteria: Option<Box<Map<String, Value>>>,
    pub(super) windows: Vec<Window>,
    /// Server-set fields kept from a loaded line or the data file (boxed: a bulk create
    /// holds thousands of `PreparedLine` and has none).
    pub(super) kept: Option<Box<Kept>>,
}

/// The server-set fields of a stored object.
#[derive(Debug, Clone, Default)]
pub(super) struct Kept {
    pub(super) id: Option<Uuid>,
    pub(super) created_at: Option<(Timestamp, String)>,
    pub(super) creator: Option<String>,
}

/// What [`PreparedLine`] reads of an object, in one pass: four fields, and the server-set
/// ones (present or not).
pub(super) const READ_FIELDS: [&str; 8] = [
    "target_identity",
    "tags",
    "pin_definitions",
    "target_criteria",
    SERVER_FIELDS[0],
    SERVER_FIELDS[1],
    SERVER_FIELDS[2],
    SERVER_FIELDS[3],
];

/// The inside of `{...}` when `text` is one JSON object on one line.
pub(super) fn raw_inner(text: &str) -> Option<&str> {
    let inner = text
        .trim_ascii()
        .strip_prefix('{')?
        .strip_suffix('}')?
        .trim_ascii();
    if inner.is_empty() || memchr::memchr2(b'\n', b'\r', inner.as_bytes()).is_some() {
        return None;
    }
    Some(inner)
}

pub(super) fn violation(path: &str, message: &str) -> Violation {
    Violation {
        path: path.to_string(),
        message: message.to_string(),
    }
}

impl PreparedLine {
    /// A body sent to create, update or bulk create: server-set fields in it are ignored.
    pub fn from_body<'a, O: JsonObject<'a>>(m: O) -> Result<PreparedLine, Vec<Violation>> {
        PreparedLine::from_body_text(m, None)
    }

    /// Like [`PreparedLine::from_body`], with the text `m` was parsed from: when it is one
    /// line holding no server-set field, it is stored as it came (same keys, order and
    /// values) instead of being serialized again.
    pub fn from_body_text<'a, O: JsonObject<'a>>(
        m: O,
        text: Option<&str>,
    ) -> Result<PreparedLine, Vec<Violation>> {
        let mut violations = Vec::new();
        let mut windows = Vec::new();
        validate_into_with_windows(m, &mut violations, &mut windows);
        if !violations.is_empty() {
            return Err(violations);
        }
        PreparedLine::build(m, text, Some(windows))
    }

    /// A stored object (a `--load` line, the data file, a preloaded value): `id`,
    /// `created_at` and `creator` are kept when present; `available` is recomputed.
    pub fn from_stored(m: Map<String, Value>) -> Result<PreparedLine, Vec<Violation>> {
        let mut violations = validate_map(&m);
        let id = match m.get("id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => match Uuid::parse_str(s) {
                Ok(u) => Some(u),
                Err(_) => {
                    violations.push(violation("id", "Must be a UUID"));
                    None
                }
            },
            Some(_) => {
                violations.push(violation("id", "Must be a UUID"));
                None
            }
        };
        let created_at = match m.get("created_at") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => match parse_rfc3339(s) {
                Some(ts) => Some((ts, s.clone())),
                None => {
                    violations.push(violation("created_at", crate::api::validate::DATE_MSG));
                    None
                }
            },
            Some(_) => {
                violations.push(violation("created_at", crate::api::validate::DATE_MSG));
                None
            }
        };
        let creator = match m.get("creator") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                violations.push(violation("creator", "Must be a string"));
                None
            }
        };
        if !violations.is_empty() {
            return Err(violations);
        }
        let mut p = PreparedLine::build(&m, None, None)?;
        p.kept = Some(Box::new(Kept {
            id,
            created_at,
            creator,
        }));
        Ok(p)
    }

    /// Builds from an object that passed validation (with its pins' windows, when the
    /// validation collected them).
    pub(super) fn build<'a, O: JsonObject<'a>>(
        m: O,
        text: Option<&str>,
        windows: Option<Vec<Window>>,
    ) -> Result<PreparedLine, Vec<Violation>> {
        let [identity, tags, pins, criteria, server @ ..] = m.pick(&READ_FIELDS);
        let has_server_fields = server.iter().any(Option::is_some);
        let inner: Arc<str> = match text.and_then(raw_inner).filter(|_| !has_server_fields) {
            Some(raw) => Arc::from(raw),
            None => {
                let mut m = to_map(m);
                for k in SERVER_FIELDS {
                    m.shift_remove(k);
                }
                let text = serde_json::to_string(&m)
                    .map_err(|e| vec![violation("", &format!("Cannot be stored: {e}"))])?;
                // `{...}` -> `...`
                Arc::from(&text[1..text.len() - 1])
            }
        };
        let Some(key) = conflict_key_of(m).map(HashedKey::new) else {
            return Err(vec![violation("", "Must name a model and a target")]);
        };
        // For `item` targets it is the key's target; the row takes it from there.
        let target_identity = match key.target_type {
            TargetType::Item => None,
            _ => identity.and_then(Json::as_str).map(str::to_string),
        };
        let tags = tags
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .map(str::to_string)
            .collect();
        let windows = windows.unwrap_or_else(|| {
            pins.and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(Json::as_object)
                .map(pin_window)
                .collect()
        });
        let criteria = criteria
            .and_then(Json::as_object)
            .map(|c| Box::new(to_map(c)));
        Ok(PreparedLine {
            inner,
            key,
            target_identity,
            tags,
            criteria,
            windows,
            kept: None,
        })
    }

    pub fn key(&self) -> &HashedKey {
        &self.key
    }

    /// The id kept from a stored object, if any.
    pub fn id(&self) -> Option<Uuid> {
        self.kept.as_ref().and_then(|k| k.id)
    }
}

/// Hashes conflict keys: seeded at random once, so every key's hash is computed once.
pub(super) static KEY_HASHER: LazyLock<foldhash::fast::FixedState> =
    LazyLock::new(|| foldhash::fast::FixedState::with_seed(rand::random()));

/// A conflict key with its hash, computed once when a line is prepared (outside the
/// lock): the index compares hashes and never reads a key's strings to hash or rehash.
#[derive(Debug, Clone)]
pub struct HashedKey {
    pub(super) hash: u64,
    pub(super) key: Arc<ConflictKey>,
}

impl HashedKey {
    pub fn new(key: ConflictKey) -> HashedKey {
        HashedKey {
            hash: KEY_HASHER.hash_one(&key),
            key: Arc::new(key),
        }
    }

    /// The same conflict key.
    pub fn same(&self, other: &HashedKey) -> bool {
        self.hash == other.hash && (Arc::ptr_eq(&self.key, &other.key) || self.key == other.key)
    }
}

impl Deref for HashedKey {
    type Target = ConflictKey;

    fn deref(&self) -> &ConflictKey {
        &self.key
    }
}
