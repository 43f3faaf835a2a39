//! A plan: what a change would do to each selected customization, made before anything is
//! sent.

use serde_json::{Map, Value, json};

use crate::api::model::Customization;
use crate::api::validate;
use crate::diff::{self, Change};

use super::ops::{ChangeSpec, Edit};

/// What the plan will do with one customization.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Replace it with this object (PUT).
    Update(Customization),
    /// Delete it.
    Delete,
    /// Create this object again (an undo of a delete); the service gives it a new id.
    Create(Customization),
    /// Nothing: the change leaves it as it is.
    Unchanged,
    /// Nothing: the result would break the API's rules (the reason says which).
    Invalid {
        after: Customization,
        reason: String,
    },
}

impl Action {
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Update(_) => "update",
            Action::Delete => "delete",
            Action::Create(_) => "create",
            Action::Unchanged => "unchanged",
            Action::Invalid { .. } => "invalid",
        }
    }

    /// Whether applying the plan sends a request for it.
    pub fn is_write(&self) -> bool {
        matches!(self, Action::Update(_) | Action::Delete | Action::Create(_))
    }
}

/// One customization in a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanItem {
    pub id: String,
    /// The version the plan was made from.
    pub before: Customization,
    pub action: Action,
    /// The field-level differences (empty for a delete: the whole object goes).
    pub changes: Vec<Change>,
    /// Pins edited or removed.
    pub pins_changed: usize,
}

impl PlanItem {
    /// The plan line of `--dry-run`: `{"id", "action", "changes": [{"path", "old", "new"}],
    /// "reason"?}`.
    pub fn to_json(&self) -> Value {
        let changes: Vec<Value> = self
            .changes
            .iter()
            .map(|c| {
                let mut m = Map::new();
                m.insert("path".into(), Value::String(c.path.clone()));
                if let Some(o) = &c.old {
                    m.insert("old".into(), o.clone());
                }
                if let Some(n) = &c.new {
                    m.insert("new".into(), n.clone());
                }
                Value::Object(m)
            })
            .collect();
        let mut v = json!({
            "id": self.id,
            "action": self.action.as_str(),
            "changes": changes,
        });
        if self.pins_changed > 0
            && let Some(m) = v.as_object_mut()
        {
            m.insert("pins_changed".into(), json!(self.pins_changed));
        }
        if let (Action::Invalid { reason, .. }, Some(m)) = (&self.action, v.as_object_mut()) {
            m.insert("reason".into(), Value::String(reason.clone()));
        }
        v
    }
}

/// The counts of a plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub customizations: usize,
    pub update: usize,
    pub delete: usize,
    pub create: usize,
    pub unchanged: usize,
    pub invalid: usize,
    /// Pins edited or removed, over the customizations to update.
    pub pins_changed: usize,
}

impl Totals {
    /// How many requests applying the plan sends (besides the fetches).
    pub fn writes(&self) -> usize {
        self.update + self.delete + self.create
    }

    /// One line: `42 customizations: 39 to update (97 pins), 3 unchanged`.
    pub fn sentence(&self) -> String {
        self.sentence_with(format!(
            "{} to update ({} pin{} changed)",
            self.update,
            self.pins_changed,
            if self.pins_changed == 1 { "" } else { "s" }
        ))
    }

    /// The line of an undo, which puts customizations back, deletes what was created and
    /// creates what was deleted: `3 customizations: 2 to put back, 1 to delete`.
    pub fn undo_sentence(&self) -> String {
        self.sentence_with(format!("{} to put back", self.update))
    }

    /// The line, with `update` saying what happens to the customizations to update.
    fn sentence_with(&self, update: String) -> String {
        let mut parts = Vec::new();
        if self.update > 0 {
            parts.push(update);
        }
        if self.delete > 0 {
            parts.push(format!("{} to delete", self.delete));
        }
        if self.create > 0 {
            parts.push(format!("{} to create again (new ids)", self.create));
        }
        if self.unchanged > 0 {
            parts.push(format!("{} unchanged", self.unchanged));
        }
        if self.invalid > 0 {
            parts.push(format!("{} invalid (not sent)", self.invalid));
        }
        let n = self.customizations;
        let head = format!("{n} customization{}", if n == 1 { "" } else { "s" });
        if parts.is_empty() {
            head
        } else {
            format!("{head}: {}", parts.join(", "))
        }
    }
}

/// What a change would do to a selection.
#[derive(Debug, Clone)]
pub struct Plan {
    pub spec: ChangeSpec,
    pub items: Vec<PlanItem>,
}

/// Below this many customizations a thread is not worth starting.
const PER_THREAD_MIN: usize = 256;

/// Why a selection cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the customization at position {0} of the selection has no id")]
    NoId(usize),
}

impl Plan {
    /// Plans `spec` over `selection` (each customization as the service holds it, with its
    /// `id`). A customization listed twice is planned once.
    pub fn make(spec: ChangeSpec, selection: Vec<Customization>) -> Result<Plan, PlanError> {
        let mut seen = std::collections::HashSet::with_capacity(selection.len());
        let mut todo: Vec<(String, Customization)> = Vec::with_capacity(selection.len());
        for (i, before) in selection.into_iter().enumerate() {
            let id = before.id().ok_or(PlanError::NoId(i + 1))?.to_string();
            if seen.insert(id.clone()) {
                todo.push((id, before));
            }
        }
        // Each customization is planned on its own (apply, diff, validate), so the work
        // is split over the cores: a plan of 10 000 stays well under a second.
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(todo.len().div_ceil(PER_THREAD_MIN))
            .max(1);
        let items = if threads == 1 {
            todo.into_iter()
                .map(|(id, before)| plan_one(&spec, id, before))
                .collect()
        } else {
            let per = todo.len().div_ceil(threads);
            let mut parts: Vec<Vec<(String, Customization)>> = Vec::with_capacity(threads);
            let mut rest = todo;
            while rest.len() > per {
                let tail = rest.split_off(per);
                parts.push(rest);
                rest = tail;
            }
            parts.push(rest);
            let spec_ref = &spec;
            std::thread::scope(|s| {
                let handles: Vec<_> = parts
                    .into_iter()
                    .map(|part| {
                        s.spawn(move || {
                            part.into_iter()
                                .map(|(id, before)| plan_one(spec_ref, id, before))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                // A panic in a planning thread is a bug; it is passed on as it is.
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            })
        };
        Ok(Plan { spec, items })
    }

    pub fn totals(&self) -> Totals {
        Totals::of(&self.items)
    }
}

impl Totals {
    /// The counts of plan items (a batch's or an undo's).
    pub fn of(items: &[PlanItem]) -> Totals {
        let mut t = Totals {
            customizations: items.len(),
            ..Totals::default()
        };
        for it in items {
            match it.action {
                Action::Update(_) => {
                    t.update += 1;
                    t.pins_changed += it.pins_changed;
                }
                Action::Delete => t.delete += 1,
                Action::Create(_) => t.create += 1,
                Action::Unchanged => t.unchanged += 1,
                Action::Invalid { .. } => t.invalid += 1,
            }
        }
        t
    }
}

fn plan_one(spec: &ChangeSpec, id: String, before: Customization) -> PlanItem {
    match spec.apply(&before) {
        Edit::Delete => PlanItem {
            id,
            before,
            action: Action::Delete,
            changes: Vec::new(),
            pins_changed: 0,
        },
        Edit::Replace {
            after,
            pins_changed,
        } => {
            let changes = diff::diff_maps(before.as_map(), after.as_map());
            let action = if changes.is_empty() {
                Action::Unchanged
            } else {
                let violations = validate::validate_map(after.as_map());
                if violations.is_empty() {
                    Action::Update(after)
                } else {
                    Action::Invalid {
                        after,
                        reason: validate::describe(&violations),
                    }
                }
            };
            PlanItem {
                id,
                before,
                pins_changed: if changes.is_empty() { 0 } else { pins_changed },
                action,
                changes,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::ops::{Op, PinMatcher, PinOp};
    use jiff::Timestamp;
    use jiff::tz::TimeZone;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn spec(ops: Vec<Op>) -> ChangeSpec {
        ChangeSpec {
            ops,
            pins: PinMatcher::default(),
            now: ts("2025-06-15T12:00:00Z"),
            tz: TimeZone::UTC,
        }
    }

    fn c(id: u32, tags: &[&str], pins: Vec<Value>) -> Customization {
        Customization::from_value(json!({
            "id": format!("00000000-0000-4000-8000-{id:012}"),
            "model": "basket",
            "target_type": "all",
            "tags": tags,
            "pin_definitions": pins,
        }))
        .expect("object")
    }

    fn pin(from: Option<&str>, to: Option<&str>) -> Value {
        let mut p = json!({"position": 1, "pin_type": "item", "pin_identity": "/p/1"});
        if let Some(f) = from {
            p["active_from"] = json!(f);
        }
        if let Some(t) = to {
            p["active_to"] = json!(t);
        }
        p
    }

    #[test]
    fn totals_count_every_kind() {
        let s = spec(vec![Op::Pin(PinOp::SetTo(ts("2025-07-01T00:00:00Z")))]);
        let selection = vec![
            // Two pins changed.
            c(
                1,
                &[],
                vec![pin(None, None), pin(None, Some("2025-06-20T00:00:00Z"))],
            ),
            // Already ends then: unchanged.
            c(2, &[], vec![pin(None, Some("2025-07-01T00:00:00Z"))]),
            // Starts after the new end: invalid.
            c(3, &[], vec![pin(Some("2025-08-01T00:00:00Z"), None)]),
            // No pins: unchanged.
            c(4, &[], vec![]),
            // Listed twice: planned once.
            c(1, &[], vec![]),
        ];
        let plan = Plan::make(s, selection).expect("plan");
        let t = plan.totals();
        assert_eq!(
            t,
            Totals {
                customizations: 4,
                update: 1,
                delete: 0,
                create: 0,
                unchanged: 2,
                invalid: 1,
                pins_changed: 2,
            }
        );
        assert_eq!(t.writes(), 1);
        assert_eq!(
            t.sentence(),
            "4 customizations: 1 to update (2 pins changed), 2 unchanged, 1 invalid (not sent)"
        );
        let Action::Invalid { reason, .. } = &plan.items[2].action else {
            panic!("not invalid: {:?}", plan.items[2].action);
        };
        assert!(reason.contains("pin_definitions[0]"), "{reason}");
        let line = plan.items[0].to_json();
        assert_eq!(line["action"], "update");
        assert_eq!(line["pins_changed"], 2);
        assert_eq!(
            line["changes"][0],
            json!({"path": "pin_definitions[0].active_to", "new": "2025-07-01T00:00:00Z"})
        );
        assert_eq!(
            plan.items[2].to_json()["reason"].as_str(),
            Some(reason.as_str())
        );
    }

    #[test]
    fn a_large_selection_keeps_its_order_and_drops_repeats() {
        let s = spec(vec![Op::AddTag("x".into())]);
        let mut selection: Vec<Customization> = (0..2000).map(|i| c(i, &[], vec![])).collect();
        selection.push(c(5, &[], vec![]));
        let plan = Plan::make(s, selection).expect("plan");
        assert_eq!(plan.items.len(), 2000);
        for (i, it) in plan.items.iter().enumerate() {
            assert_eq!(it.id, format!("00000000-0000-4000-8000-{i:012}"));
            assert_eq!(it.action.as_str(), "update");
        }
        assert_eq!(plan.totals().update, 2000);
    }

    #[test]
    fn delete_plans_every_row() {
        let plan = Plan::make(
            spec(vec![Op::Delete]),
            vec![c(1, &["a"], vec![]), c(2, &[], vec![])],
        )
        .expect("plan");
        let t = plan.totals();
        assert_eq!((t.customizations, t.delete, t.writes()), (2, 2, 2));
        assert_eq!(t.sentence(), "2 customizations: 2 to delete");
    }

    #[test]
    fn a_row_without_id_is_refused() {
        let no_id = Customization::from_value(json!({"model": "m"})).expect("object");
        let err = Plan::make(spec(vec![Op::AddTag("x".into())]), vec![no_id]).expect_err("no id");
        assert_eq!(err, PlanError::NoId(1));
    }
}
