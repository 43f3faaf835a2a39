//! Undo: the plan that puts back what one recorded operation changed.
//!
//! For each customization the operation wrote (its first before image and last after
//! image): an update is undone by putting the before image back (PUT), a create by deleting
//! what was created, a delete by creating the before image again (the service gives it a
//! new id). Each is planned against the after image: when the service holds something else
//! now, applying skips it as `changed_on_server`. The undo is applied and recorded like any
//! other write, so it can be undone in turn.

use crate::api::model::Customization;
use crate::diff;
use crate::mirror::history::Item;

use super::apply::same_definition;
use super::plan::{Action, PlanItem};

/// Plans the undo of an operation's items.
pub fn plan(items: Vec<Item>) -> Vec<PlanItem> {
    // First before and last after per customization, in the order first written.
    let mut order: Vec<String> = Vec::new();
    let mut images: std::collections::HashMap<
        String,
        (Option<Customization>, Option<Customization>),
    > = std::collections::HashMap::new();
    for it in items {
        match images.get_mut(&it.customization_id) {
            Some(slot) => slot.1 = it.after,
            None => {
                order.push(it.customization_id.clone());
                images.insert(it.customization_id, (it.before, it.after));
            }
        }
    }
    let mut out = Vec::with_capacity(order.len());
    for id in order {
        let Some((before, after)) = images.remove(&id) else {
            continue;
        };
        let item = match (before, after) {
            (Some(b), Some(a)) => {
                let changes = diff::diff_maps(a.as_map(), b.as_map());
                let action = if same_definition(&a, &b) {
                    Action::Unchanged
                } else {
                    Action::Update(b)
                };
                PlanItem {
                    id,
                    before: a,
                    action,
                    changes,
                    pins_changed: 0,
                }
            }
            (None, Some(a)) => PlanItem {
                id,
                before: a,
                action: Action::Delete,
                changes: Vec::new(),
                pins_changed: 0,
            },
            (Some(b), None) => PlanItem {
                id,
                before: b.clone(),
                action: Action::Create(b),
                changes: Vec::new(),
                pins_changed: 0,
            },
            (None, None) => continue,
        };
        out.push(item);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(v: serde_json::Value) -> Option<Customization> {
        Customization::from_value(v)
    }

    fn item(
        seq: i64,
        id: &str,
        before: Option<Customization>,
        after: Option<Customization>,
    ) -> Item {
        Item {
            seq,
            customization_id: id.into(),
            before,
            after,
        }
    }

    #[test]
    fn each_kind_of_write_has_its_inverse() {
        let old = c(json!({"id": "u", "model": "a"}));
        let new = c(json!({"id": "u", "model": "b"}));
        let newer = c(json!({"id": "u", "model": "c"}));
        let items = vec![
            item(1, "u", old.clone(), new.clone()),
            item(2, "n", None, c(json!({"id": "n", "model": "x"}))),
            item(3, "d", c(json!({"id": "d", "model": "y"})), None),
            // Written twice: the first before goes back, planned against the last after.
            item(4, "u", new, newer.clone()),
        ];
        let p = plan(items);
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].id, "u");
        assert_eq!(Some(&p[0].before), newer.as_ref());
        assert_eq!(p[0].action, Action::Update(old.expect("old")));
        assert_eq!(p[0].changes.len(), 1);
        assert_eq!(p[1].action, Action::Delete);
        assert_eq!(p[2].action.as_str(), "create");
    }
}
