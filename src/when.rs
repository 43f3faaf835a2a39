//! Dates as people type them, for `active_from` / `active_to`.
//!
//! Accepted, read in the user's time zone: RFC 3339 (`2025-02-01T00:00:00Z`, taken as is),
//! `2025-02-01` (midnight), `2025-02-01 14:00`, `2025-02-01T14:00:30`, `now`, `today`,
//! `tomorrow`, `yesterday`, and offsets from now such as `+7d`, `-2h`, `+30m`, `+1w`, `+90s`.
//! Day and week offsets keep the wall-clock time across a DST change; hours, minutes and
//! seconds are exact durations. A local time that falls in a DST gap moves forward, one
//! that occurs twice takes the earlier instant (the "compatible" rule of RFC 5545 and
//! Temporal). What is sent is RFC 3339 with the zone's offset ([`format_local`]).

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, ToSpan, Zoned};

use crate::api::time::parse_rfc3339;

/// Why an input is not a date.
pub const HELP: &str = "expected a date such as 2025-02-01, 2025-02-01 14:00, \
                        2025-02-01T14:00:00+01:00, now, today, tomorrow, +7d, -2h";

/// Parses what a person typed into an instant.
pub fn parse_input(input: &str, now: Timestamp, tz: &TimeZone) -> Result<Timestamp, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("empty date".to_string());
    }
    if let Some(ts) = parse_rfc3339(s) {
        return Ok(ts);
    }
    let today = now.to_zoned(tz.clone()).date();
    match s.to_ascii_lowercase().as_str() {
        "now" => return Ok(now),
        "today" => return midnight(today, tz),
        "tomorrow" => return midnight(shift_date(today, 1)?, tz),
        "yesterday" => return midnight(shift_date(today, -1)?, tz),
        _ => {}
    }
    if let Some(rest) = s.strip_prefix('+') {
        return relative(rest, 1, now, tz);
    }
    if let Some(rest) = s.strip_prefix('-') {
        return relative(rest, -1, now, tz);
    }
    local_datetime(s, tz).ok_or_else(|| format!("cannot read {s:?}: {HELP}"))
}

fn shift_date(d: Date, days: i64) -> Result<Date, String> {
    d.checked_add(days.days())
        .map_err(|_| "date out of range".to_string())
}

fn midnight(d: Date, tz: &TimeZone) -> Result<Timestamp, String> {
    local_to_instant(d.to_datetime(Time::midnight()), tz)
}

fn local_to_instant(dt: DateTime, tz: &TimeZone) -> Result<Timestamp, String> {
    tz.to_ambiguous_zoned(dt)
        .compatible()
        .map(|z| z.timestamp())
        .map_err(|e| format!("{dt} has no instant in this time zone: {e}"))
}

fn relative(rest: &str, sign: i64, now: Timestamp, tz: &TimeZone) -> Result<Timestamp, String> {
    let span = span_of(rest, sign)?;
    shift(now, span, tz)
}

fn span_of(rest: &str, sign: i64) -> Result<Span, String> {
    let rest = rest.trim();
    let split = rest
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("missing unit in {rest:?}: use s, m, h, d or w (e.g. +7d)"))?;
    let (num, unit) = rest.split_at(split);
    let n: i64 = num
        .parse()
        .map_err(|_| format!("missing number in {rest:?} (e.g. +7d)"))?;
    let n = n * sign;
    let span: Span = match unit.trim() {
        "s" | "sec" | "secs" | "second" | "seconds" => Span::new().try_seconds(n),
        "m" | "min" | "mins" | "minute" | "minutes" => Span::new().try_minutes(n),
        "h" | "hour" | "hours" => Span::new().try_hours(n),
        "d" | "day" | "days" => Span::new().try_days(n),
        "w" | "week" | "weeks" => Span::new().try_weeks(n),
        other => return Err(format!("unknown unit {other:?}: use s, m, h, d or w")),
    }
    .map_err(|_| format!("{rest:?} is too large"))?;
    Ok(span)
}

/// Reads a signed duration such as `+7d`, `-2h`, `+30m`, `+1w` or `-90s` (the sign is
/// required), for shifting dates that are already set.
pub fn parse_offset(input: &str) -> Result<Span, String> {
    let s = input.trim();
    if let Some(rest) = s.strip_prefix('+') {
        span_of(rest, 1)
    } else if let Some(rest) = s.strip_prefix('-') {
        span_of(rest, -1)
    } else {
        Err(format!(
            "cannot read {s:?}: expected a signed duration such as +7d, -2h, +30m, +1w"
        ))
    }
}

/// `ts` moved by `span` in `tz`: days and weeks keep the wall-clock time across a DST
/// change, hours, minutes and seconds are exact.
pub fn shift(ts: Timestamp, span: Span, tz: &TimeZone) -> Result<Timestamp, String> {
    let zoned: Zoned = ts.to_zoned(tz.clone());
    zoned
        .checked_add(span)
        .map(|z| z.timestamp())
        .map_err(|_| "date out of range".to_string())
}

fn local_datetime(s: &str, tz: &TimeZone) -> Option<Timestamp> {
    let (date_part, time_part) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], Some(s[i + 1..].trim())),
        None => (s, None),
    };
    let date: Date = date_part.parse().ok()?;
    if date_part.len() != 10 {
        return None;
    }
    let time = match time_part {
        None => Time::midnight(),
        Some(t) => {
            let parts: Vec<&str> = t.split(':').collect();
            let num = |p: &str| -> Option<i8> {
                if p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()) {
                    p.parse().ok()
                } else {
                    None
                }
            };
            match parts.as_slice() {
                [h, m] => Time::new(num(h)?, num(m)?, 0, 0).ok()?,
                [h, m, sec] => Time::new(num(h)?, num(m)?, num(sec)?, 0).ok()?,
                _ => return None,
            }
        }
    };
    local_to_instant(date.to_datetime(time), tz).ok()
}

/// RFC 3339 with the zone's offset at that instant, whole seconds when possible
/// (`2025-02-01T00:00:00+01:00`).
pub fn format_local(ts: Timestamp, tz: &TimeZone) -> String {
    let z = ts.to_zoned(tz.clone());
    let offset = z.offset();
    let secs = offset.seconds();
    let body = if ts.subsec_nanosecond() == 0 {
        z.strftime("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        z.strftime("%Y-%m-%dT%H:%M:%S%.f").to_string()
    };
    if secs == 0 {
        format!("{body}Z")
    } else {
        let sign = if secs < 0 { '-' } else { '+' };
        let a = secs.unsigned_abs();
        format!("{body}{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz(name: &str) -> TimeZone {
        TimeZone::get(name).expect("bundled tz")
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn parse(input: &str, now: &str, zone: &str) -> String {
        let t = parse_input(input, ts(now), &tz(zone)).expect(input);
        format_local(t, &tz(zone))
    }

    #[test]
    fn absolute_forms() {
        let now = "2025-01-15T10:00:00Z";
        assert_eq!(
            parse("2025-02-01T00:00:00Z", now, "Europe/Prague"),
            "2025-02-01T01:00:00+01:00"
        );
        assert_eq!(
            parse("2025-02-01", now, "Europe/Prague"),
            "2025-02-01T00:00:00+01:00"
        );
        assert_eq!(
            parse("2025-02-01 14:00", now, "Europe/Prague"),
            "2025-02-01T14:00:00+01:00"
        );
        assert_eq!(
            parse("2025-07-01T14:00:30", now, "Europe/Prague"),
            "2025-07-01T14:00:30+02:00"
        );
        assert_eq!(
            parse("2025-02-01", now, "America/New_York"),
            "2025-02-01T00:00:00-05:00"
        );
        assert_eq!(parse("2025-02-01", now, "UTC"), "2025-02-01T00:00:00Z");
        assert_eq!(
            parse("2025-02-01", now, "Asia/Kolkata"),
            "2025-02-01T00:00:00+05:30"
        );
    }

    #[test]
    fn words_and_offsets() {
        let now = "2025-01-15T22:30:00Z";
        // 23:30 in Prague, still the 15th there.
        assert_eq!(
            parse("now", now, "Europe/Prague"),
            "2025-01-15T23:30:00+01:00"
        );
        assert_eq!(
            parse("today", now, "Europe/Prague"),
            "2025-01-15T00:00:00+01:00"
        );
        assert_eq!(
            parse("tomorrow", now, "Europe/Prague"),
            "2025-01-16T00:00:00+01:00"
        );
        // Already the 16th in Tokyo.
        assert_eq!(
            parse("tomorrow", now, "Asia/Tokyo"),
            "2025-01-17T00:00:00+09:00"
        );
        assert_eq!(parse("yesterday", now, "UTC"), "2025-01-14T00:00:00Z");
        assert_eq!(parse("+7d", now, "UTC"), "2025-01-22T22:30:00Z");
        assert_eq!(parse("-2h", now, "UTC"), "2025-01-15T20:30:00Z");
        assert_eq!(parse("+30m", now, "UTC"), "2025-01-15T23:00:00Z");
        assert_eq!(parse("+1w", now, "UTC"), "2025-01-22T22:30:00Z");
        assert_eq!(parse(" +90s ", now, "UTC"), "2025-01-15T22:31:30Z");
    }

    #[test]
    fn dst_changes() {
        // Prague springs forward on 2025-03-30 at 02:00 -> 03:00.
        let now = "2025-03-29T11:00:00Z"; // 12:00 +01:00
        // +1d keeps the wall clock (12:00), so only 23 hours pass.
        assert_eq!(
            parse("+1d", now, "Europe/Prague"),
            "2025-03-30T12:00:00+02:00"
        );
        // +24h is exact.
        assert_eq!(
            parse("+24h", now, "Europe/Prague"),
            "2025-03-30T13:00:00+02:00"
        );
        // A time in the gap moves forward.
        assert_eq!(
            parse("2025-03-30 02:30", now, "Europe/Prague"),
            "2025-03-30T03:30:00+02:00"
        );
        // Falls back on 2025-10-26 at 03:00 -> 02:00: 02:30 happens twice, the earlier is taken.
        assert_eq!(
            parse("2025-10-26 02:30", now, "Europe/Prague"),
            "2025-10-26T02:30:00+02:00"
        );
        assert_eq!(
            parse("2025-10-26", now, "Europe/Prague"),
            "2025-10-26T00:00:00+02:00"
        );
        assert_eq!(
            parse("2025-10-27", now, "Europe/Prague"),
            "2025-10-27T00:00:00+01:00"
        );
        // New York: 2025-03-09 02:00 -> 03:00.
        assert_eq!(
            parse("2025-03-09 02:15", now, "America/New_York"),
            "2025-03-09T03:15:00-04:00"
        );
        // Lord Howe shifts by 30 minutes.
        assert_eq!(
            parse("2025-04-06 01:45", now, "Australia/Lord_Howe"),
            "2025-04-06T01:45:00+11:00"
        );
    }

    #[test]
    fn rejects_garbage() {
        let now = ts("2025-01-15T10:00:00Z");
        let utc = tz("UTC");
        for bad in [
            "",
            "soon",
            "2025-02-30",
            "2025-2-1",
            "2025-02-01 25:00",
            "2025-02-01 1:00",
            "+7",
            "+d",
            "+7y",
        ] {
            let err = parse_input(bad, now, &utc).expect_err(bad);
            assert!(!err.is_empty());
        }
        // A local date-time with seconds but no offset is read in the zone.
        assert_eq!(
            parse_input("2025-02-01T00:00:00", now, &utc),
            Ok(ts("2025-02-01T00:00:00Z"))
        );
    }

    #[test]
    fn output_round_trips_through_the_strict_parser() {
        let t = parse_input(
            "2025-06-01 08:15",
            ts("2025-01-01T00:00:00Z"),
            &tz("America/Los_Angeles"),
        )
        .expect("parse");
        let text = format_local(t, &tz("America/Los_Angeles"));
        assert_eq!(text, "2025-06-01T08:15:00-07:00");
        assert_eq!(parse_rfc3339(&text), Some(t));
    }
}
