//! Field-level differences between two customizations (or any two JSON values), for
//! `pinscope update --diff` and the editor's review before saving.
//!
//! Paths read like the service's error paths: `model`, `target_criteria.brand`,
//! `pin_definitions[1].active_to`. Arrays are matched element by element with a sequence
//! diff, so a pin inserted at the front shows as one added pin, not as every pin changed.
//! Object key order is not a difference.

use std::fmt;

use serde_json::{Map, Value};

use crate::api::model::{canonical_json, is_server_field};

/// One difference.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Where: `pin_definitions[1].active_to`. An added element is named by its index in
    /// the new value, a removed one by its index in the old value.
    pub path: String,
    /// The value before; `None` when the field was added.
    pub old: Option<Value>,
    /// The value after; `None` when the field was removed.
    pub new: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

impl Change {
    pub fn kind(&self) -> ChangeKind {
        match (&self.old, &self.new) {
            (None, _) => ChangeKind::Added,
            (_, None) => ChangeKind::Removed,
            _ => ChangeKind::Changed,
        }
    }
}

impl fmt::Display for Change {
    /// `+ path: new`, `- path: old` or `~ path: old -> new`, values as compact JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "(whole)"
        } else {
            &self.path
        };
        match (&self.old, &self.new) {
            (None, Some(n)) => write!(f, "+ {path}: {n}"),
            (Some(o), None) => write!(f, "- {path}: {o}"),
            (Some(o), Some(n)) => write!(f, "~ {path}: {o} -> {n}"),
            (None, None) => write!(f, "  {path}"),
        }
    }
}

/// The differences between two customizations, leaving out the fields the server sets
/// (`id`, `created_at`, `creator`, `available`) at the top level.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => diff_maps(a, b),
        _ => diff_values(old, new),
    }
}

/// [`diff`] of two customizations given as objects, without copying them.
pub fn diff_maps(a: &Map<String, Value>, b: &Map<String, Value>) -> Vec<Change> {
    let mut out = Vec::new();
    for (k, va) in a {
        if is_server_field(k) {
            continue;
        }
        let p = join_key("", k);
        match b.get(k) {
            Some(vb) => walk(&p, va, vb, &mut out),
            None => out.push(Change {
                path: p,
                old: Some(va.clone()),
                new: None,
            }),
        }
    }
    for (k, vb) in b {
        if !is_server_field(k) && !a.contains_key(k) {
            out.push(Change {
                path: join_key("", k),
                old: None,
                new: Some(vb.clone()),
            });
        }
    }
    out
}

/// The differences between any two JSON values.
pub fn diff_values(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk("", old, new, &mut out);
    out
}

fn join_key(path: &str, key: &str) -> String {
    let simple = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (path.is_empty(), simple) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", Value::String(key.to_string())),
    }
}

fn join_index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

fn walk(path: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let p = join_key(path, k);
                match b.get(k) {
                    Some(vb) => walk(&p, va, vb, out),
                    None => out.push(Change {
                        path: p,
                        old: Some(va.clone()),
                        new: None,
                    }),
                }
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    out.push(Change {
                        path: join_key(path, k),
                        old: None,
                        new: Some(vb.clone()),
                    });
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => walk_array(path, a, b, out),
        _ => out.push(Change {
            path: path.to_string(),
            old: Some(old.clone()),
            new: Some(new.clone()),
        }),
    }
}

fn walk_array(path: &str, a: &[Value], b: &[Value], out: &mut Vec<Change>) {
    use similar::{Algorithm, DiffOp, capture_diff_slices};
    let ka: Vec<String> = a.iter().map(canonical_json).collect();
    let kb: Vec<String> = b.iter().map(canonical_json).collect();
    let removed = |out: &mut Vec<Change>, i: usize| {
        out.push(Change {
            path: join_index(path, i),
            old: Some(a[i].clone()),
            new: None,
        })
    };
    let added = |out: &mut Vec<Change>, j: usize| {
        out.push(Change {
            path: join_index(path, j),
            old: None,
            new: Some(b[j].clone()),
        })
    };
    for op in capture_diff_slices(Algorithm::Myers, &ka, &kb) {
        match op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete {
                old_index, old_len, ..
            } => (old_index..old_index + old_len).for_each(|i| removed(out, i)),
            DiffOp::Insert {
                new_index, new_len, ..
            } => (new_index..new_index + new_len).for_each(|j| added(out, j)),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                let paired = old_len.min(new_len);
                for k in 0..paired {
                    walk(
                        &join_index(path, new_index + k),
                        &a[old_index + k],
                        &b[new_index + k],
                        out,
                    );
                }
                (old_index + paired..old_index + old_len).for_each(|i| removed(out, i));
                (new_index + paired..new_index + new_len).for_each(|j| added(out, j));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shown(old: Value, new: Value) -> Vec<String> {
        diff(&old, &new).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn equal_values_have_no_changes_whatever_the_key_order() {
        let a = json!({"model": "basket", "target_criteria": {"a": 1, "b": [1, 2]}});
        let b = json!({"target_criteria": {"b": [1, 2], "a": 1}, "model": "basket"});
        assert!(diff(&a, &b).is_empty());
    }

    #[test]
    fn server_fields_are_left_out() {
        let a = json!({"id": "x", "created_at": "2025", "creator": "api", "available": true, "model": "m"});
        let b = json!({"model": "m"});
        assert!(diff(&a, &b).is_empty());
        // ...but only at the top level.
        let a = json!({"target_metadata": {"id": 1}});
        let b = json!({"target_metadata": {"id": 2}});
        assert_eq!(shown(a, b), ["~ target_metadata.id: 1 -> 2"]);
    }

    #[test]
    fn fields_added_removed_changed() {
        let a = json!({"model": "basket", "tags": ["a"], "target_metadata": {"title": "Old"}});
        let b = json!({"model": "home", "tags": ["a"], "target_identity": "/p/1"});
        assert_eq!(
            shown(a, b),
            [
                "~ model: \"basket\" -> \"home\"",
                "- target_metadata: {\"title\":\"Old\"}",
                "+ target_identity: \"/p/1\"",
            ]
        );
    }

    #[test]
    fn pins_are_compared_field_by_field() {
        let pin = |pos: i64, id: &str, to: &str| json!({"position": pos, "pin_type": "item", "pin_identity": id, "active_to": to});
        let a = json!({"pin_definitions": [pin(1, "/p/1", "2025-03-01T00:00:00Z"), pin(2, "/p/2", "2025-03-01T00:00:00Z")]});
        let b = json!({"pin_definitions": [pin(1, "/p/1", "2025-03-01T00:00:00Z"), pin(2, "/p/2", "2025-04-01T00:00:00Z")]});
        let d = diff(&a, &b);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path, "pin_definitions[1].active_to");
        assert_eq!(d[0].kind(), ChangeKind::Changed);
        assert_eq!(d[0].old, Some(json!("2025-03-01T00:00:00Z")));
        assert_eq!(d[0].new, Some(json!("2025-04-01T00:00:00Z")));
    }

    #[test]
    fn an_inserted_pin_is_one_addition() {
        let a = json!({"pin_definitions": [{"position": 1}, {"position": 2}]});
        let b = json!({"pin_definitions": [{"position": 5}, {"position": 1}, {"position": 2}]});
        let d = diff(&a, &b);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].path, "pin_definitions[0]");
        assert_eq!(d[0].kind(), ChangeKind::Added);

        let d = diff(&b, &a);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].path, "pin_definitions[0]");
        assert_eq!(d[0].kind(), ChangeKind::Removed);
    }

    #[test]
    fn odd_keys_are_quoted() {
        let a = json!({"target_criteria": {"brand name": "x", "a.b": 1}});
        let b = json!({"target_criteria": {"brand name": "y", "a.b": 2}});
        assert_eq!(
            shown(a, b),
            [
                "~ target_criteria[\"brand name\"]: \"x\" -> \"y\"",
                "~ target_criteria[\"a.b\"]: 1 -> 2",
            ]
        );
    }

    #[test]
    fn different_shapes_are_one_change() {
        assert_eq!(shown(json!(1), json!("1")), ["~ (whole): 1 -> \"1\""]);
        assert_eq!(
            shown(json!({"tags": "a"}), json!({"tags": ["a"]})),
            ["~ tags: \"a\" -> [\"a\"]"]
        );
    }
}
