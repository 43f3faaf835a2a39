//! Time and health across a tracker: the agenda of pin changes and the lint rules.
//!
//! Pure functions over customizations (the service's JSON, [`Customization`]) and a clock
//! and time zone passed in: no IO, no terminal, no clock reads. The CLI, the TUI and the
//! editor's live warnings all call the same functions, so a rule is written once.
//!
//! - [`agenda`]: every pin that starts or ends in a window, in time order, grouped by local
//!   day, with header counts; [`agenda::PinIndex`] sorts the events once so a window is a
//!   binary search.
//! - [`lint`]: the rules (`duplicate-target`, `pinned-and-blocked`, `slot-overlap`,
//!   `item-twice`, `dead`, `unknown-model`, `expired`), each with a stable id and a
//!   severity, over a whole tracker or one customization being edited.

use crate::api::Customization;
use crate::api::model::TargetType;

pub mod agenda;
pub mod lint;

pub use agenda::{Agenda, AgendaCounts, Event, EventKind, Period, PinIndex};
pub use lint::{Finding, Neighbours, Rule, Severity};

/// Which customizations a command looks at, as `pinscope list` spells its filters: OR within
/// one kind, AND across kinds; an empty kind lets everything through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub models: Vec<String>,
    pub tags: Vec<String>,
    pub target_types: Vec<TargetType>,
    pub target_identities: Vec<String>,
    /// Customizations with at least one pin limited to one of these widgets.
    pub widgets: Vec<String>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
            && self.tags.is_empty()
            && self.target_types.is_empty()
            && self.target_identities.is_empty()
            && self.widgets.is_empty()
    }

    /// Whether `c` passes every kind of filter.
    pub fn matches(&self, c: &Customization) -> bool {
        let any = |list: &[String], v: Option<&str>| {
            list.is_empty() || v.is_some_and(|v| list.iter().any(|x| x == v))
        };
        any(&self.models, c.model())
            && (self.tags.is_empty() || c.tags().any(|t| self.tags.iter().any(|x| x == t)))
            && (self.target_types.is_empty()
                || c.target_type()
                    .is_some_and(|t| self.target_types.contains(&t)))
            && any(&self.target_identities, c.target_identity())
            && (self.widgets.is_empty()
                || c.pins().any(|p| {
                    p.widget_id()
                        .is_some_and(|w| self.widgets.iter().any(|x| x == w))
                }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_are_or_within_and_across() {
        let c = Customization::from_value(json!({
            "model": "basket", "target_type": "item", "target_identity": "/p/1",
            "tags": ["x", "y"],
            "pin_definitions": [{"position": 1, "pin_type": "item", "pin_identity": "a", "widget_id": "w1"}]
        }))
        .expect("object");
        assert!(Filter::default().matches(&c));
        let f = Filter {
            models: vec!["home".into(), "basket".into()],
            tags: vec!["y".into()],
            ..Filter::default()
        };
        assert!(f.matches(&c));
        let f = Filter {
            models: vec!["basket".into()],
            target_types: vec![TargetType::Criteria],
            ..Filter::default()
        };
        assert!(!f.matches(&c));
        let f = Filter {
            widgets: vec!["w2".into()],
            ..Filter::default()
        };
        assert!(!f.matches(&c));
        let f = Filter {
            widgets: vec!["w1".into()],
            target_identities: vec!["/p/1".into()],
            ..Filter::default()
        };
        assert!(f.matches(&c));
    }
}
