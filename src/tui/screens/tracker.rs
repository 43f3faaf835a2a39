//! The whole tracker as the agenda and health screens read it: one request, and the pieces
//! both show (a customization in one line, ids to rows). Kept apart from either screen so
//! that neither imports the other.

use std::collections::HashMap;

use crate::api::text::strip_controls;
use crate::api::{Customization, TargetType};
use crate::tui::msg::{ApiRequest, ReqId};
use crate::tui::screens::Ctx;

/// Asks for every stored customization of the tracker (from the mirror when it was synced):
/// the one place the agenda and the health screen read the tracker from.
pub fn load(ctx: &mut Ctx) -> ReqId {
    ctx.request(ApiRequest::Tracker)
}

/// `model · target · title` of a customization, on one line, safe for a terminal.
pub fn describe(c: &Customization) -> String {
    let mut s = c.model().unwrap_or("?").to_string();
    match c.target_type() {
        Some(TargetType::All) => s.push_str(" · all"),
        Some(t) => {
            s.push_str(&format!(" · {t} {}", c.target_label()));
        }
        None => {}
    }
    if let Some(title) = c.title() {
        s.push_str(" · ");
        s.push_str(title);
    }
    strip_controls(&s).into_owned()
}

/// Ids to indexes, for screens that open a customization by id.
pub fn index_by_id(scopes: &[Customization]) -> HashMap<String, usize> {
    scopes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.id().map(|id| (id.to_string(), i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_is_one_safe_line_and_ids_find_their_rows() {
        let c = Customization::from_value(serde_json::json!({
            "id": "a", "model": "home", "target_type": "item",
            "target_identity": "/p/1",
            "target_metadata": {"title": "Amp\u{1b}]0;owned\u{7} 50W"}
        }))
        .expect("object");
        let d = describe(&c);
        assert!(d.starts_with("home · item /p/1 · Amp"), "{d}");
        assert!(!d.chars().any(char::is_control), "{d:?}");
        let all = Customization::from_value(serde_json::json!({"id": "b", "target_type": "all"}))
            .expect("object");
        assert_eq!(describe(&all), "? · all");
        let rows = [c, all];
        let by_id = index_by_id(&rows);
        assert_eq!((by_id["a"], by_id["b"]), (0, 1));
    }
}
