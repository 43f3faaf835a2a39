//! The lint rules, each with a stable id and a severity.
//!
//! | rule | severity | finds |
//! |---|---|---|
//! | `duplicate-target` | error | two customizations with the same conflict key |
//! | `pinned-and-blocked` | error | an item both pinned and blocked in one customization |
//! | `slot-overlap` | warning | two pins at the same slot and widget, with overlapping windows |
//! | `item-twice` | warning | the same item pinned twice in one customization |
//! | `dead` | warning | a customization with no pin active now or scheduled |
//! | `unknown-model` | warning | a model used once, one or two edits from a common one |
//! | `expired` | info | pins whose `active_to` is past, counted per customization |
//!
//! Two pins collide only when they could apply at once from now on: their windows
//! `[active_from, active_to)` overlap (windows that merely touch do not; a missing bound is
//! open) and the overlap has not ended, and their widgets are the same or one of them has
//! none (a pin without `widget_id` applies to every widget). The conflict key is the bulk
//! create's ([`crate::api::model::conflict_key_parts_of`]).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::api::json::JsonObject;
use crate::api::model::{ConflictKey, PinState, PinType, Position, TargetType};
use crate::api::time::parse_rfc3339;
use crate::api::{Customization, Pin};

/// How bad a finding is; ordered `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A lint rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    DuplicateTarget,
    PinnedAndBlocked,
    SlotOverlap,
    ItemTwice,
    Dead,
    UnknownModel,
    Expired,
}

impl Rule {
    /// Every rule, most severe first.
    pub const ALL: [Rule; 7] = [
        Rule::DuplicateTarget,
        Rule::PinnedAndBlocked,
        Rule::SlotOverlap,
        Rule::ItemTwice,
        Rule::Dead,
        Rule::UnknownModel,
        Rule::Expired,
    ];

    /// The stable id printed and matched on.
    pub fn id(self) -> &'static str {
        match self {
            Rule::DuplicateTarget => "duplicate-target",
            Rule::PinnedAndBlocked => "pinned-and-blocked",
            Rule::SlotOverlap => "slot-overlap",
            Rule::ItemTwice => "item-twice",
            Rule::Dead => "dead",
            Rule::UnknownModel => "unknown-model",
            Rule::Expired => "expired",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Rule::DuplicateTarget | Rule::PinnedAndBlocked => Severity::Error,
            Rule::SlotOverlap | Rule::ItemTwice | Rule::Dead | Rule::UnknownModel => {
                Severity::Warning
            }
            Rule::Expired => Severity::Info,
        }
    }

    pub fn parse(id: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.id() == id)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One thing a rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    /// The customizations concerned (one, or the group that shares a target).
    pub ids: Vec<String>,
    /// The pins concerned (indexes into `pin_definitions`), for rules about pins.
    pub pins: Vec<usize>,
    pub message: String,
}

impl Finding {
    pub fn severity(&self) -> Severity {
        self.rule.severity()
    }

    /// The finding as `pinscope lint` prints it: `rule`, `severity`, `ids`, `message`.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("rule".into(), Value::String(self.rule.id().into()));
        m.insert(
            "severity".into(),
            Value::String(self.severity().as_str().into()),
        );
        m.insert(
            "ids".into(),
            Value::Array(self.ids.iter().cloned().map(Value::String).collect()),
        );
        m.insert("message".into(), Value::String(self.message.clone()));
        m
    }

    fn order(&self, other: &Finding) -> std::cmp::Ordering {
        other.severity().cmp(&self.severity()).then_with(|| {
            (self.rule, &self.ids, &self.pins).cmp(&(other.rule, &other.ids, &other.pins))
        })
    }
}

/// What the pin rules need of one pin.
#[derive(Debug, Clone, Copy)]
struct Facts<'a> {
    index: usize,
    block: bool,
    position: Option<Position>,
    item: Option<&'a str>,
    widget: Option<&'a str>,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
}

impl<'a> Facts<'a> {
    /// One pass over the pin's fields (lint reads every pin of a tracker).
    fn of(index: usize, p: Pin<'a>) -> Facts<'a> {
        let [position, pin_type, identity, widget, block, from, to] = p.raw().pick(&[
            "position",
            "pin_type",
            "pin_identity",
            "widget_id",
            "is_block_pin",
            "active_from",
            "active_to",
        ]);
        let position = position
            .and_then(Value::as_i64)
            .and_then(Position::from_i64);
        let date = |v: Option<&'a Value>| v.and_then(Value::as_str).and_then(parse_rfc3339);
        let is_item =
            pin_type.and_then(Value::as_str).and_then(PinType::parse) == Some(PinType::Item);
        Facts {
            index,
            block: position == Some(Position::Block)
                || block.and_then(Value::as_bool).unwrap_or(false),
            position,
            item: if is_item {
                identity.and_then(Value::as_str)
            } else {
                None
            },
            widget: widget.and_then(Value::as_str),
            from: date(from),
            to: date(to),
        }
    }

    /// Whether both could apply at the same moment, now or later.
    fn collides(&self, other: &Facts<'_>, now: Timestamp) -> bool {
        let widgets = match (self.widget, other.widget) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        widgets && overlap_after(self.window(), other.window(), now)
    }

    fn window(&self) -> (Option<Timestamp>, Option<Timestamp>) {
        (self.from, self.to)
    }
}

/// Whether two half-open windows `[from, to)` (a missing bound open) share an instant at or
/// after `now`. Windows that touch (`a.to == b.from`) share none.
pub fn overlap_after(
    a: (Option<Timestamp>, Option<Timestamp>),
    b: (Option<Timestamp>, Option<Timestamp>),
    now: Timestamp,
) -> bool {
    let start = match (a.0, b.0) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    };
    let end = match (a.1, b.1) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    };
    match end {
        None => true,
        Some(end) => end > now && start.is_none_or(|s| s < end),
    }
}

fn pin_list(pins: &[usize]) -> String {
    let numbers: Vec<String> = pins.iter().map(|i| (i + 1).to_string()).collect();
    match numbers.as_slice() {
        [] => String::new(),
        [one] => format!("pin {one}"),
        [init @ .., last] => format!("pins {} and {last}", init.join(", ")),
    }
}

/// The indexes of the pins that collide with at least one other pin of the same group.
fn colliding<'a>(group: &[Facts<'a>], now: Timestamp) -> Vec<usize> {
    let mut hit = vec![false; group.len()];
    for i in 0..group.len() {
        for j in i + 1..group.len() {
            if group[i].collides(&group[j], now) {
                hit[i] = true;
                hit[j] = true;
            }
        }
    }
    group
        .iter()
        .zip(hit)
        .filter(|(_, h)| *h)
        .map(|(f, _)| f.index)
        .collect()
}

/// `pinned-and-blocked`, `item-twice` and `slot-overlap`: pins grouped by item and by slot
/// (a sort of one small list, no maps: lint runs this on every customization).
fn check_pairs(
    facts: &[Facts<'_>],
    now: Timestamp,
    id: &dyn Fn() -> Vec<String>,
    out: &mut Vec<Finding>,
) {
    // Items, in order of identity, each group in pin order.
    let mut by_item: Vec<&Facts<'_>> = facts.iter().filter(|f| f.item.is_some()).collect();
    by_item.sort_by_key(|f| (f.item, f.index));
    for group in by_item.chunk_by(|a, b| a.item == b.item) {
        let Some(item) = group[0].item else {
            continue;
        };
        if group.len() < 2 {
            continue;
        }
        let pinned: Vec<Facts<'_>> = group.iter().filter(|f| !f.block).map(|f| **f).collect();
        let mut both: Vec<usize> = Vec::new();
        for p in &pinned {
            for b in group.iter().filter(|f| f.block) {
                if p.collides(b, now) {
                    both.push(p.index);
                    both.push(b.index);
                }
            }
        }
        both.sort_unstable();
        both.dedup();
        if !both.is_empty() {
            out.push(Finding {
                rule: Rule::PinnedAndBlocked,
                ids: id(),
                message: format!(
                    "item {item} is both pinned and blocked at the same time ({})",
                    pin_list(&both)
                ),
                pins: both,
            });
        }
        let twice = colliding(&pinned, now);
        if twice.len() >= 2 {
            out.push(Finding {
                rule: Rule::ItemTwice,
                ids: id(),
                message: format!(
                    "item {item} is pinned more than once at the same time ({})",
                    pin_list(&twice)
                ),
                pins: twice,
            });
        }
    }

    // Slots: pins at the same numbered slot, in slot order.
    let slot = |f: &Facts<'_>| match (f.position, f.block) {
        (Some(Position::Slot(n)), false) => Some(n),
        _ => None,
    };
    let mut by_slot: Vec<Facts<'_>> = facts
        .iter()
        .filter(|f| slot(f).is_some())
        .copied()
        .collect();
    by_slot.sort_by_key(|f| (slot(f), f.index));
    for group in by_slot.chunk_by(|a, b| slot(a) == slot(b)) {
        if group.len() < 2 {
            continue;
        }
        let hit = colliding(group, now);
        if hit.len() >= 2 {
            out.push(Finding {
                rule: Rule::SlotOverlap,
                ids: id(),
                message: format!(
                    "{} share slot {} for the same widget with overlapping windows",
                    pin_list(&hit),
                    slot(&group[0]).unwrap_or(0)
                ),
                pins: hit,
            });
        }
    }
}

/// The rules about one customization's own pins: `pinned-and-blocked`, `slot-overlap`,
/// `item-twice`, `dead`, `expired`.
pub fn check_pins(c: &Customization, now: Timestamp) -> Vec<Finding> {
    let mut out = Vec::new();
    check_pins_into(c, now, &mut out);
    out
}

fn check_pins_into(c: &Customization, now: Timestamp, out: &mut Vec<Finding>) {
    // A draft that was never saved has no id yet.
    let id = || c.id().map(str::to_string).into_iter().collect::<Vec<_>>();
    let facts: Vec<Facts<'_>> = c.pins().enumerate().map(|(i, p)| Facts::of(i, p)).collect();

    // Two pins or more are needed for any of the pair rules.
    if facts.len() >= 2 {
        check_pairs(&facts, now, &id, out);
    }

    // Time: nothing left to show; pins past their end.
    let mut expired = Vec::new();
    let mut live = false;
    for f in &facts {
        match PinState::of_window(f.from, f.to, now) {
            PinState::Expired => expired.push(f.index),
            PinState::Active | PinState::Scheduled => live = true,
        }
    }
    if !live {
        out.push(Finding {
            rule: Rule::Dead,
            ids: id(),
            message: if facts.is_empty() {
                "no pins: this customization changes nothing".to_string()
            } else {
                "no pin is active now or scheduled: every pin has expired".to_string()
            },
            pins: Vec::new(),
        });
    }
    if !expired.is_empty() {
        let n = expired.len();
        out.push(Finding {
            rule: Rule::Expired,
            ids: id(),
            message: format!(
                "{n} expired pin{} ({})",
                if n == 1 { "" } else { "s" },
                pin_list(&expired)
            ),
            pins: expired,
        });
    }
}

/// How many edits apart `model` may be from a common model to look like a typo of it:
/// short names are too close to each other to guess.
fn typo_distance(common: &str) -> usize {
    match common.chars().count() {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    }
}

/// The common model (used by at least two customizations) that `model` looks like a typo
/// of: the closest, then the most used, then the first by name.
fn typo_of<'m>(
    model: &str,
    common: impl Iterator<Item = (&'m str, usize)>,
) -> Option<(&'m str, usize)> {
    let mut best: Option<(usize, usize, &str)> = None;
    for (m, count) in common {
        if count < 2 || m == model {
            continue;
        }
        let d = strsim::damerau_levenshtein(model, m);
        if d == 0 || d > typo_distance(m) {
            continue;
        }
        let cand = (d, usize::MAX - count, m);
        if best.is_none_or(|b| cand < b) {
            best = Some(cand);
        }
    }
    best.map(|(_, inv, m)| (m, usize::MAX - inv))
}

fn typo_message(model: &str, common: &str, count: usize) -> String {
    format!(
        "model {model:?} is used by no other customization; did you mean {common:?} (used by {count})?"
    )
}

/// Every rule over a whole tracker, most severe first.
pub fn lint(scopes: &[Customization], now: Timestamp) -> Vec<Finding> {
    let mut out = Vec::new();
    // duplicate-target
    type Key<'a> = (&'a str, TargetType, Cow<'a, str>);
    let mut by_key: HashMap<Key<'_>, Vec<usize>> = HashMap::with_capacity(scopes.len());
    let mut models: HashMap<&str, usize> = HashMap::new();
    for (i, c) in scopes.iter().enumerate() {
        if let Some(parts) = c.conflict_key_parts() {
            by_key.entry(parts).or_default().push(i);
        }
        if let Some(m) = c.model() {
            *models.entry(m).or_default() += 1;
        }
    }
    for ((model, target_type, target), group) in by_key {
        if group.len() < 2 {
            continue;
        }
        let key = ConflictKey {
            model: model.to_string(),
            target_type,
            target: target.into_owned(),
        };
        out.push(Finding {
            rule: Rule::DuplicateTarget,
            ids: group
                .iter()
                .map(|&i| scopes[i].id().unwrap_or("").to_string())
                .collect(),
            pins: Vec::new(),
            message: format!("{} customizations share the target {key}", group.len()),
        });
    }
    // unknown-model
    let mut common: Vec<(&str, usize)> = models
        .iter()
        .filter(|(_, n)| **n >= 2)
        .map(|(m, n)| (*m, *n))
        .collect();
    common.sort_unstable();
    let lonely: HashMap<&str, (&str, usize)> = models
        .iter()
        .filter(|(_, n)| **n == 1)
        .filter_map(|(m, _)| typo_of(m, common.iter().copied()).map(|t| (*m, t)))
        .collect();
    for c in scopes {
        if let Some(model) = c.model()
            && let Some((common, count)) = lonely.get(model)
        {
            out.push(Finding {
                rule: Rule::UnknownModel,
                ids: vec![c.id().unwrap_or("").to_string()],
                pins: Vec::new(),
                message: typo_message(model, common, *count),
            });
        }
        check_pins_into(c, now, &mut out);
    }
    out.sort_by(Finding::order);
    out
}

/// [`lint`], keeping only the findings that concern a customization `keep` accepts (the
/// rules still look at every customization: a duplicate outside the filter still counts).
pub fn lint_where(
    scopes: &[Customization],
    now: Timestamp,
    keep: impl Fn(&Customization) -> bool,
) -> Vec<Finding> {
    let kept: HashSet<&str> = scopes
        .iter()
        .filter(|c| keep(c))
        .filter_map(Customization::id)
        .collect();
    let mut all = lint(scopes, now);
    all.retain(|f| f.ids.iter().any(|id| kept.contains(id.as_str())));
    all
}

/// What the editor needs to know of the other customizations: who holds each target, and
/// how often each model is used. Built once from the tracker; a check is then a few lookups.
#[derive(Debug, Clone, Default)]
pub struct Neighbours {
    by_key: HashMap<ConflictKey, Vec<String>>,
    models: HashMap<String, (usize, Option<String>)>,
}

impl Neighbours {
    pub fn build(scopes: &[Customization]) -> Neighbours {
        let mut n = Neighbours::default();
        for c in scopes {
            n.add(c);
        }
        n
    }

    /// Counts one more stored customization.
    pub fn add(&mut self, c: &Customization) {
        let id = c.id().unwrap_or("").to_string();
        if let Some(k) = c.conflict_key() {
            self.by_key.entry(k).or_default().push(id.clone());
        }
        if let Some(m) = c.model() {
            let e = self.models.entry(m.to_string()).or_insert((0, None));
            e.0 += 1;
            e.1 = (e.0 == 1).then_some(id);
        }
    }

    /// Takes the number of customizations per model (the summary's `scope_counts`) in place
    /// of what was counted. `own` is the id and stored model of the customization being
    /// edited, so that a model only it uses is not taken for another's.
    pub fn set_model_counts(
        &mut self,
        counts: impl IntoIterator<Item = (String, usize)>,
        own: Option<(&str, &str)>,
    ) {
        self.models = counts
            .into_iter()
            .map(|(m, n)| {
                let sole = match own {
                    Some((id, model)) if n == 1 && model == m => Some(id.to_string()),
                    _ => None,
                };
                (m, (n, sole))
            })
            .collect();
    }

    /// Records who holds `key` (as looked up on the service), replacing what was known of
    /// every target.
    pub fn set_holders(&mut self, key: ConflictKey, ids: Vec<String>) {
        self.by_key.clear();
        self.by_key.insert(key, ids);
    }

    /// The ids of the stored customizations with this conflict key.
    pub fn holders(&self, key: &ConflictKey) -> &[String] {
        self.by_key.get(key).map_or(&[], Vec::as_slice)
    }

    /// How many customizations other than `id` use `model`.
    fn model_users_besides(&self, model: &str, id: Option<&str>) -> usize {
        match self.models.get(model) {
            None => 0,
            Some((1, Some(only))) if Some(only.as_str()) == id => 0,
            Some((n, _)) => *n,
        }
    }

    /// The rules as they apply to `draft`, one customization being edited (its `id`, if it
    /// has one, is not counted as another customization): its own pins, a target another
    /// customization already holds, and a model that looks like a typo.
    pub fn check(&self, draft: &Customization, now: Timestamp) -> Vec<Finding> {
        let mut out = Vec::new();
        let own = draft.id();
        if let Some(key) = draft.conflict_key() {
            let others: Vec<String> = self
                .holders(&key)
                .iter()
                .filter(|h| Some(h.as_str()) != own)
                .cloned()
                .collect();
            if !others.is_empty() {
                let message = format!("the target {key} is already used by {}", others.join(", "));
                out.push(Finding {
                    rule: Rule::DuplicateTarget,
                    ids: others,
                    pins: Vec::new(),
                    message,
                });
            }
        }
        if let Some(model) = draft.model().filter(|m| !m.is_empty())
            && self.model_users_besides(model, own) == 0
            && let Some((common, count)) = typo_of(
                model,
                self.models.iter().map(|(m, (n, _))| (m.as_str(), *n)),
            )
        {
            out.push(Finding {
                rule: Rule::UnknownModel,
                ids: own.map(str::to_string).into_iter().collect(),
                pins: Vec::new(),
                message: typo_message(model, common, count),
            });
        }
        check_pins_into(draft, now, &mut out);
        // A form without pins is still being written; `dead` speaks of stored ones.
        if draft.pin_count() == 0 {
            out.retain(|f| f.rule != Rule::Dead);
        }
        out.sort_by(Finding::order);
        out
    }
}

#[cfg(test)]
mod tests;
