//! Dates and pins in words, in the user's time zone; sizes and counts for people.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::api::model::{Pin, PinType, Position};

/// `2025-01-22`, in `tz`.
pub fn date(ts: Timestamp, tz: &TimeZone) -> String {
    ts.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%d")
        .to_string()
}

/// `2025-01-22 09:49 CET`, in `tz`.
pub fn date_time(ts: Timestamp, tz: &TimeZone) -> String {
    ts.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// `1 Feb 2025`, or `1 Feb 2025 14:30` when the time is not midnight, in `tz`.
pub fn human(ts: Timestamp, tz: &TimeZone) -> String {
    let z = ts.to_zoned_datetime(tz.clone());
    if z.hour() == 0 && z.minute() == 0 && z.second() == 0 {
        z.strftime("%-d %b %Y").to_string()
    } else {
        z.strftime("%-d %b %Y %H:%M").to_string()
    }
}

/// `1 Feb`, for the timeline's axis.
pub fn short(ts: Timestamp, tz: &TimeZone) -> String {
    ts.to_zoned_datetime(tz.clone())
        .strftime("%-d %b %Y")
        .to_string()
}

/// What a pin selects: `/p/555`, or `items matching {"brand":"Fender"}`.
pub fn pin_what(pin: &Pin) -> String {
    match pin.pin_type() {
        Some(PinType::Criteria) => format!("items matching {}", pin.what()),
        _ => pin.what(),
    }
}

/// A pin as a sentence: `/p/555 pinned at slot 1 from 1 Feb 2025, no end`.
pub fn pin_sentence(pin: &Pin, tz: &TimeZone) -> String {
    let mut s = pin_what(pin);
    match pin.position() {
        Some(Position::Slot(n)) => s.push_str(&format!(" pinned at slot {n}")),
        Some(Position::Global) => s.push_str(" pinned at every position"),
        Some(Position::Block) => s.push_str(" blocked"),
        None => s.push_str(" at an unknown position"),
    }
    if let Some(w) = pin.widget_id() {
        s.push_str(&format!(" in widget {w}"));
    }
    if pin.is_bundle() {
        s.push_str(" as a bundle");
    }
    match (pin.active_from(), pin.active_to()) {
        (Some(from), Some(to)) => s.push_str(&format!(
            " from {} until {}",
            human(from, tz),
            human(to, tz)
        )),
        (Some(from), None) => s.push_str(&format!(" from {}, no end", human(from, tz))),
        (None, Some(to)) => s.push_str(&format!(" until {}", human(to, tz))),
        (None, None) => s.push_str(", always"),
    }
    s
}

/// `1 line`, `3 lines`: a count and its noun.
pub fn plural<N: std::fmt::Display + PartialEq + From<u8>>(n: N, one: &str, many: &str) -> String {
    let noun = if n == N::from(1) { one } else { many };
    format!("{n} {noun}")
}

/// `12.3 MB`: a size in bytes for people (powers of 1000).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "kB", "MB", "GB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plurals() {
        assert_eq!(plural(1u64, "line", "lines"), "1 line");
        assert_eq!(plural(2usize, "line", "lines"), "2 lines");
        assert_eq!(plural(0u64, "retry", "retries"), "0 retries");
    }

    fn pin(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn sentences() {
        let utc = TimeZone::UTC;
        let p = pin(
            json!({"position":1,"pin_type":"item","pin_identity":"/p/555","active_from":"2025-02-01T00:00:00Z"}),
        );
        assert_eq!(
            pin_sentence(&Pin(&p), &utc),
            "/p/555 pinned at slot 1 from 1 Feb 2025, no end"
        );
        let prague = TimeZone::get("Europe/Prague").expect("tz");
        assert_eq!(
            pin_sentence(&Pin(&p), &prague),
            "/p/555 pinned at slot 1 from 1 Feb 2025 01:00, no end"
        );
        let p = pin(
            json!({"position":0,"pin_type":"criteria","pin_criteria":{"brand":"X"},"active_to":"2025-03-01T12:30:00Z","widget_id":"w1"}),
        );
        assert_eq!(
            pin_sentence(&Pin(&p), &utc),
            r#"items matching {"brand":"X"} blocked in widget w1 until 1 Mar 2025 12:30"#
        );
        let p = pin(
            json!({"position":-1,"pin_type":"item","pin_identity":"a","is_bundle_pin":true,
            "active_from":"2025-01-01T00:00:00Z","active_to":"2025-02-01T00:00:00Z"}),
        );
        assert_eq!(
            pin_sentence(&Pin(&p), &utc),
            "a pinned at every position as a bundle from 1 Jan 2025 until 1 Feb 2025"
        );
        let p = pin(json!({"position":2,"pin_type":"item","pin_identity":"b"}));
        assert_eq!(pin_sentence(&Pin(&p), &utc), "b pinned at slot 2, always");
    }

    #[test]
    fn dates_follow_the_zone() {
        let ts: Timestamp = "2025-01-22T08:49:58Z".parse().expect("ts");
        let prague = TimeZone::get("Europe/Prague").expect("tz");
        assert_eq!(date_time(ts, &prague), "2025-01-22 09:49 CET");
        assert_eq!(date(ts, &TimeZone::UTC), "2025-01-22");
        let late: Timestamp = "2025-01-22T23:30:00Z".parse().expect("ts");
        assert_eq!(date(late, &prague), "2025-01-23");
    }
}
