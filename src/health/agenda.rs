//! The agenda: every pin that starts or ends in a window, in time order, grouped by day in
//! the user's time zone, with counts for a header.
//!
//! A pin's window is `[active_from, active_to)`; a missing bound is open and makes no event.
//! Events are ordered by instant (never by local wall clock, which repeats an hour when DST
//! ends), then `ends` before `starts` at the same instant (a hand-over reads in order), then
//! by customization and pin.

use std::cmp::Ordering;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde_json::{Map, Value};

use crate::api::model::{PinState, pin_window};
use crate::api::{Customization, Pin};
use crate::when::format_local;

/// Whether a pin's window opens or closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    // Declared first so that it sorts first at an equal instant.
    Ends,
    Starts,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Starts => "starts",
            EventKind::Ends => "ends",
        }
    }
}

/// A half-open window of time `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Timestamp,
    pub to: Timestamp,
}

impl Period {
    /// `[from, to)`; refuses an empty or reversed window.
    pub fn new(from: Timestamp, to: Timestamp) -> Result<Period, String> {
        if from >= to {
            return Err(format!(
                "the window is empty: {from} is not before {to} (--from must be before --to)"
            ));
        }
        Ok(Period { from, to })
    }

    /// From `now` to the same wall-clock time `days` days later in `tz` (23 or 25 hours for
    /// a day across a DST change, as the editor's `+7d`).
    pub fn next_days(now: Timestamp, tz: &TimeZone, days: u32) -> Result<Period, String> {
        if days == 0 {
            return Err("the window needs at least one day".to_string());
        }
        let to = now
            .to_zoned(tz.clone())
            .checked_add(i64::from(days).days())
            .map_err(|_| "the window ends out of range".to_string())?
            .timestamp();
        Period::new(now, to)
    }

    /// From `now` to the next local midnight.
    pub fn rest_of_today(now: Timestamp, tz: &TimeZone) -> Result<Period, String> {
        let today = tz.to_datetime(now).date();
        Period::new(now, next_midnight(today, tz)?)
    }

    pub fn contains(&self, t: Timestamp) -> bool {
        self.from <= t && t < self.to
    }
}

/// The first instant of the day after `date` in `tz` (DST-gap safe).
fn next_midnight(date: Date, tz: &TimeZone) -> Result<Timestamp, String> {
    let next = date
        .tomorrow()
        .map_err(|_| "date out of range".to_string())?;
    tz.to_ambiguous_zoned(next.to_datetime(Time::midnight()))
        .compatible()
        .map(|z| z.timestamp())
        .map_err(|e| format!("no midnight after {date}: {e}"))
}

/// One pin starting or ending: `scope` and `pin` index the customizations the index was
/// built from and that customization's `pin_definitions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub at: Timestamp,
    pub kind: EventKind,
    pub scope: usize,
    pub pin: usize,
}

impl Event {
    fn order(&self, other: &Event) -> Ordering {
        (self.at, self.kind, self.scope, self.pin).cmp(&(
            other.at,
            other.kind,
            other.scope,
            other.pin,
        ))
    }
}

/// The counts an agenda's header shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AgendaCounts {
    /// Pins active at `now`.
    pub active_now: usize,
    /// Pins whose window starts in the period.
    pub starting: usize,
    /// Pins whose window ends in the period.
    pub ending: usize,
    /// Pins whose window ended at or before `now`.
    pub expired: usize,
}

/// The events of one local day: `agenda.events[start..end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub date: Date,
    pub start: usize,
    pub end: usize,
}

/// The agenda of a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Agenda {
    pub period: Period,
    pub counts: AgendaCounts,
    /// In time order.
    pub events: Vec<Event>,
    /// The local days that have events, in order.
    pub days: Vec<Day>,
}

/// Every start and end, sorted once; an agenda of any period is then a binary search and a
/// copy. The header counts come from the sorted bounds too: how many pins are scheduled
/// (start after now) or expired (ended by now) is a binary search each.
#[derive(Debug, Clone, Default)]
pub struct PinIndex {
    pins: usize,
    events: Vec<Event>,
    /// The starts and the ends of the pins whose window is not reversed, sorted.
    starts: Vec<Timestamp>,
    ends: Vec<Timestamp>,
    /// Pins whose start is not before their end (the service refuses them, but a mirror
    /// may hold anything): counted one by one, as [`PinState::of_window`] says.
    reversed: Vec<(Option<Timestamp>, Option<Timestamp>)>,
}

impl PinIndex {
    /// Indexes every pin of `scopes`.
    pub fn build(scopes: &[Customization]) -> PinIndex {
        PinIndex::build_where(scopes, |_| true)
    }

    /// Indexes the pins of the customizations `keep` accepts (indexes still refer to
    /// `scopes`).
    pub fn build_where(
        scopes: &[Customization],
        mut keep: impl FnMut(&Customization) -> bool,
    ) -> PinIndex {
        let mut index = PinIndex::default();
        for (scope, c) in scopes.iter().enumerate() {
            if !keep(c) {
                continue;
            }
            for (pin, p) in c.pins().enumerate() {
                index.add(scope, pin, p);
            }
        }
        index.events.sort_unstable_by(Event::order);
        index.starts.sort_unstable();
        index.ends.sort_unstable();
        index
    }

    fn add(&mut self, scope: usize, pin: usize, p: Pin<'_>) {
        let (from, to) = pin_window(p.raw());
        self.pins += 1;
        match (from, to) {
            (Some(f), Some(t)) if f >= t => self.reversed.push((from, to)),
            _ => {
                self.starts.extend(from);
                self.ends.extend(to);
            }
        }
        if let Some(at) = from {
            self.events.push(Event {
                at,
                kind: EventKind::Starts,
                scope,
                pin,
            });
        }
        if let Some(at) = to {
            self.events.push(Event {
                at,
                kind: EventKind::Ends,
                scope,
                pin,
            });
        }
    }

    /// How many pins are indexed.
    pub fn pin_count(&self) -> usize {
        self.pins
    }

    /// The events in `period`, grouped by local day in `tz`, and the header counts at `now`.
    pub fn agenda(&self, period: Period, now: Timestamp, tz: &TimeZone) -> Agenda {
        let start = self.events.partition_point(|e| e.at < period.from);
        let end = start + self.events[start..].partition_point(|e| e.at < period.to);
        let events = self.events[start..end].to_vec();
        let mut counts = AgendaCounts::default();
        for e in &events {
            match e.kind {
                EventKind::Starts => counts.starting += 1,
                EventKind::Ends => counts.ending += 1,
            }
        }
        // A window that is not reversed cannot be both scheduled and expired.
        let scheduled = self.starts.len() - self.starts.partition_point(|s| *s <= now);
        counts.expired = self.ends.partition_point(|e| *e <= now);
        counts.active_now = self.pins - self.reversed.len() - scheduled - counts.expired;
        for (from, to) in &self.reversed {
            match PinState::of_window(*from, *to, now) {
                PinState::Active => counts.active_now += 1,
                PinState::Expired => counts.expired += 1,
                PinState::Scheduled => {}
            }
        }
        let days = group_by_day(&events, tz);
        Agenda {
            period,
            counts,
            events,
            days,
        }
    }
}

/// Splits sorted events at local midnights: one time-zone lookup per day, not per event.
fn group_by_day(events: &[Event], tz: &TimeZone) -> Vec<Day> {
    let mut days = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let date = tz.to_datetime(events[i].at).date();
        let end = match next_midnight(date, tz) {
            Ok(boundary) => i + events[i..].partition_point(|e| e.at < boundary),
            Err(_) => events.len(),
        };
        days.push(Day {
            date,
            start: i,
            end,
        });
        i = end;
    }
    days
}

/// An event as `pinscope agenda` prints it: `at` (RFC 3339 in `tz`), `event`, `id`,
/// `model`, `target_type`, `target_identity` or `target_criteria`, `position`, `pin_type`,
/// `pin_identity` or `pin_criteria`, `widget_id`. Values are copied as stored.
pub fn event_json(e: &Event, c: &Customization, tz: &TimeZone) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("at".into(), Value::String(format_local(e.at, tz)));
    m.insert("event".into(), Value::String(e.kind.as_str().into()));
    let copy = |m: &mut Map<String, Value>, key: &str, v: Option<&Value>| {
        m.insert(key.to_string(), v.cloned().unwrap_or(Value::Null));
    };
    copy(&mut m, "id", c.get("id"));
    copy(&mut m, "model", c.get("model"));
    copy(&mut m, "target_type", c.get("target_type"));
    match c.target_type() {
        Some(crate::api::TargetType::Criteria) => {
            copy(&mut m, "target_criteria", c.get("target_criteria"))
        }
        Some(crate::api::TargetType::All) => {}
        _ => copy(&mut m, "target_identity", c.get("target_identity")),
    }
    if let Some(p) = c.pins().nth(e.pin) {
        let raw = p.raw();
        copy(&mut m, "position", raw.get("position"));
        copy(&mut m, "pin_type", raw.get("pin_type"));
        match p.pin_type() {
            Some(crate::api::PinType::Criteria) => {
                copy(&mut m, "pin_criteria", raw.get("pin_criteria"))
            }
            _ => copy(&mut m, "pin_identity", raw.get("pin_identity")),
        }
        copy(&mut m, "widget_id", raw.get("widget_id"));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn tz(name: &str) -> TimeZone {
        TimeZone::get(name).expect("bundled tz")
    }

    fn scope(id: &str, pins: Value) -> Customization {
        Customization::from_value(json!({
            "id": id, "model": "basket", "target_type": "item", "target_identity": format!("/t/{id}"),
            "pin_definitions": pins
        }))
        .expect("object")
    }

    #[test]
    fn window_keeps_events_in_the_half_open_period_and_counts() {
        let now = ts("2025-06-10T12:00:00Z");
        let scopes = vec![
            scope(
                "a",
                json!([
                    // starts inside, ends after
                    {"position": 1, "pin_type": "item", "pin_identity": "x", "active_from": "2025-06-11T00:00:00Z", "active_to": "2025-07-30T00:00:00Z"},
                    // open on both sides: active, no events
                    {"position": 2, "pin_type": "item", "pin_identity": "y"},
                    // expired
                    {"position": 3, "pin_type": "item", "pin_identity": "z", "active_to": "2025-06-01T00:00:00Z"},
                ]),
            ),
            scope(
                "b",
                json!([
                    // ends exactly at the period's end: outside
                    {"position": 1, "pin_type": "item", "pin_identity": "x", "active_to": "2025-06-17T12:00:00Z"},
                    // starts exactly at the period's start: inside
                    {"position": 2, "pin_type": "item", "pin_identity": "w", "active_from": "2025-06-10T12:00:00Z"},
                ]),
            ),
        ];
        let index = PinIndex::build(&scopes);
        assert_eq!(index.pin_count(), 5);
        let utc = tz("UTC");
        let period = Period::next_days(now, &utc, 7).expect("period");
        assert_eq!(period.to, ts("2025-06-17T12:00:00Z"));
        let agenda = index.agenda(period, now, &utc);
        let got: Vec<(usize, usize, EventKind)> = agenda
            .events
            .iter()
            .map(|e| (e.scope, e.pin, e.kind))
            .collect();
        assert_eq!(got, [(1, 1, EventKind::Starts), (0, 0, EventKind::Starts)]);
        assert_eq!(
            agenda.counts,
            AgendaCounts {
                // y (open), b.x (ends later), b.w (starts at now)
                active_now: 3,
                starting: 2,
                ending: 0,
                expired: 1,
            }
        );
        assert_eq!(agenda.days.len(), 2);
        assert_eq!(agenda.days[0].date.to_string(), "2025-06-10");
    }

    #[test]
    fn ends_come_before_starts_at_the_same_instant() {
        let scopes = vec![scope(
            "a",
            json!([
                {"position": 1, "pin_type": "item", "pin_identity": "new", "active_from": "2025-06-11T00:00:00Z"},
                {"position": 1, "pin_type": "item", "pin_identity": "old", "active_to": "2025-06-11T00:00:00Z"},
            ]),
        )];
        let index = PinIndex::build(&scopes);
        let now = ts("2025-06-10T00:00:00Z");
        let agenda = index.agenda(
            Period::next_days(now, &tz("UTC"), 3).expect("period"),
            now,
            &tz("UTC"),
        );
        let kinds: Vec<(usize, EventKind)> =
            agenda.events.iter().map(|e| (e.pin, e.kind)).collect();
        assert_eq!(kinds, [(1, EventKind::Ends), (0, EventKind::Starts)]);
    }

    #[test]
    fn ordering_and_days_across_the_end_of_dst() {
        // Prague falls back on 2025-10-26 at 03:00 +02:00 -> 02:00 +01:00: 02:00-03:00
        // happens twice. By wall clock 02:15 (second time) sorts before 02:45 (first time);
        // by instant it is the other way round.
        let scopes = vec![
            scope(
                "late",
                json!([{"position": 1, "pin_type": "item", "pin_identity": "x", "active_from": "2025-10-26T02:15:00+01:00"}]),
            ),
            scope(
                "early",
                json!([{"position": 1, "pin_type": "item", "pin_identity": "y", "active_from": "2025-10-26T02:45:00+02:00"}]),
            ),
            scope(
                // 23:30 UTC on the 26th is already the 27th in Prague
                "next-day",
                json!([{"position": 1, "pin_type": "item", "pin_identity": "z", "active_to": "2025-10-26T23:30:00Z"}]),
            ),
            scope(
                // 22:30 UTC on the 25th is 00:30 on the 26th in Prague (+02:00)
                "first",
                json!([{"position": 1, "pin_type": "item", "pin_identity": "w", "active_from": "2025-10-25T22:30:00Z"}]),
            ),
        ];
        let prague = tz("Europe/Prague");
        let now = ts("2025-10-25T12:00:00Z");
        let index = PinIndex::build(&scopes);
        let agenda = index.agenda(
            Period::next_days(now, &prague, 7).expect("period"),
            now,
            &prague,
        );
        let order: Vec<&str> = agenda
            .events
            .iter()
            .map(|e| scopes[e.scope].id().expect("id"))
            .collect();
        assert_eq!(order, ["first", "early", "late", "next-day"]);
        let days: Vec<(String, usize)> = agenda
            .days
            .iter()
            .map(|d| (d.date.to_string(), d.end - d.start))
            .collect();
        assert_eq!(
            days,
            [("2025-10-26".to_string(), 3), ("2025-10-27".to_string(), 1)]
        );
        // The day of the change has 25 hours; a 1-day window from its midnight covers it.
        let midnight = ts("2025-10-25T22:00:00Z");
        let one = Period::next_days(midnight, &prague, 1).expect("period");
        assert_eq!(one.to, ts("2025-10-26T23:00:00Z"));
        assert_eq!(index.agenda(one, now, &prague).events.len(), 3);
    }

    #[test]
    fn ordering_across_the_start_of_dst() {
        // New York springs forward on 2025-03-09 at 02:00 -05:00 -> 03:00 -04:00.
        let scopes = vec![
            scope(
                "after",
                json!([{"position": 1, "pin_type": "item", "pin_identity": "x", "active_from": "2025-03-09T03:10:00-04:00"}]),
            ),
            scope(
                "before",
                json!([{"position": 1, "pin_type": "item", "pin_identity": "y", "active_from": "2025-03-09T01:50:00-05:00"}]),
            ),
        ];
        let ny = tz("America/New_York");
        let now = ts("2025-03-08T12:00:00Z");
        let agenda = PinIndex::build(&scopes).agenda(
            Period::next_days(now, &ny, 2).expect("period"),
            now,
            &ny,
        );
        let order: Vec<&str> = agenda
            .events
            .iter()
            .map(|e| scopes[e.scope].id().expect("id"))
            .collect();
        assert_eq!(order, ["before", "after"]);
        assert_eq!(agenda.days.len(), 1);
    }

    #[test]
    fn header_counts_agree_with_each_pins_state() {
        // Every combination of open, past, now and future bounds, reversed windows included.
        let now = ts("2025-06-10T12:00:00Z");
        let bounds = [
            None,
            Some("2025-06-01T00:00:00Z"),
            Some("2025-06-10T12:00:00Z"),
            Some("2025-06-20T00:00:00Z"),
            Some("2025-07-01T00:00:00Z"),
        ];
        let mut pins = Vec::new();
        for from in bounds {
            for to in bounds {
                let mut p = json!({"position": 1, "pin_type": "item", "pin_identity": "x"});
                if let Some(f) = from {
                    p["active_from"] = json!(f);
                }
                if let Some(t) = to {
                    p["active_to"] = json!(t);
                }
                pins.push(p);
            }
        }
        let scopes = vec![scope("a", Value::Array(pins))];
        let utc = tz("UTC");
        let agenda = PinIndex::build(&scopes).agenda(
            Period::next_days(now, &utc, 7).expect("period"),
            now,
            &utc,
        );
        let states: Vec<PinState> = scopes[0].pins().map(|p| p.state_at(now)).collect();
        let count = |s: PinState| states.iter().filter(|x| **x == s).count();
        assert_eq!(agenda.counts.active_now, count(PinState::Active));
        assert_eq!(agenda.counts.expired, count(PinState::Expired));
        assert_eq!(states.len(), 25);
    }

    #[test]
    fn periods() {
        let utc = tz("UTC");
        let now = ts("2025-06-10T12:00:00Z");
        assert!(Period::new(now, now).is_err());
        assert!(Period::next_days(now, &utc, 0).is_err());
        let today = Period::rest_of_today(now, &utc).expect("today");
        assert_eq!(today.to, ts("2025-06-11T00:00:00Z"));
        assert!(today.contains(now));
        assert!(!today.contains(today.to));
    }

    #[test]
    fn filtered_index_skips_other_scopes() {
        let scopes = vec![
            scope(
                "a",
                json!([{"position": 1, "pin_type": "item", "pin_identity": "x", "active_to": "2025-06-11T00:00:00Z"}]),
            ),
            scope(
                "b",
                json!([{"position": 1, "pin_type": "item", "pin_identity": "x", "active_to": "2025-06-11T00:00:00Z"}]),
            ),
        ];
        let index = PinIndex::build_where(&scopes, |c| c.id() == Some("b"));
        let now = ts("2025-06-10T00:00:00Z");
        let agenda = index.agenda(
            Period::next_days(now, &tz("UTC"), 7).expect("p"),
            now,
            &tz("UTC"),
        );
        assert_eq!(agenda.events.len(), 1);
        assert_eq!(agenda.events[0].scope, 1);
    }

    #[test]
    fn event_json_has_the_fields_of_the_contract() {
        let c = Customization::from_value(json!({
            "id": "id-1", "model": "basket", "target_type": "criteria", "target_criteria": {"b": 1, "a": 2},
            "pin_definitions": [
                {"position": 2, "pin_type": "criteria", "pin_criteria": {"brand": "X"}, "widget_id": "w",
                 "active_from": "2025-06-11T00:00:00Z"}
            ]
        }))
        .expect("object");
        let e = Event {
            at: ts("2025-06-11T00:00:00Z"),
            kind: EventKind::Starts,
            scope: 0,
            pin: 0,
        };
        let m = event_json(&e, &c, &tz("Europe/Prague"));
        assert_eq!(
            Value::Object(m).to_string(),
            r#"{"at":"2025-06-11T02:00:00+02:00","event":"starts","id":"id-1","model":"basket","target_type":"criteria","target_criteria":{"b":1,"a":2},"position":2,"pin_type":"criteria","pin_criteria":{"brand":"X"},"widget_id":"w"}"#
        );
    }
}
