//! Strict RFC 3339 date-times, as the API's `active_from` / `active_to` and `created_at`.
//!
//! Hand-written rather than jiff's Temporal parser because the contract asks for RFC 3339
//! *with offset* (jiff also accepts forms RFC 3339 does not, such as bracketed zone names or
//! missing seconds), and because validation runs on every line of an import: this parser
//! allocates nothing.

use jiff::Timestamp;

fn digits(b: &[u8]) -> Option<u32> {
    let mut n: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `T`/`Z` may be lower case and the
/// separator a space, as RFC 3339 allows. Anything else is `None`.
pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    if b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let year = i64::from(digits(&b[0..4])?);
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut i = 19;
    let mut nanos: i32 = 0;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = &b[start..i];
        if frac.is_empty() || frac.len() > 9 {
            return None;
        }
        let mut n = digits(frac)? as i32;
        for _ in frac.len()..9 {
            n *= 10;
        }
        nanos = n;
    }
    let rest = &b[i..];
    let offset_secs: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let oh = digits(&[*h1, *h2])?;
            let om = digits(&[*m1, *m2])?;
            if oh > 23 || om > 59 {
                return None;
            }
            let secs = i64::from(oh * 3600 + om * 60);
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_secs;
    Timestamp::new(secs, nanos).ok()
}

/// Formats an instant as RFC 3339 in UTC, whole seconds when there is no fraction
/// (`2025-02-01T00:00:00Z`), the form the server writes.
pub fn format_utc(ts: Timestamp) -> String {
    if ts.subsec_nanosecond() == 0 {
        ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        ts.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rfc3339() {
        let cases = [
            ("2025-02-01T00:00:00Z", "2025-02-01T00:00:00Z"),
            ("2025-02-01t00:00:00z", "2025-02-01T00:00:00Z"),
            ("2025-02-01 00:00:00Z", "2025-02-01T00:00:00Z"),
            ("2025-02-01T01:00:00+01:00", "2025-02-01T00:00:00Z"),
            ("2025-01-31T19:00:00-05:00", "2025-02-01T00:00:00Z"),
            ("2025-02-01T00:00:00.5Z", "2025-02-01T00:00:00.5Z"),
            (
                "2024-02-29T12:00:00.123456789Z",
                "2024-02-29T12:00:00.123456789Z",
            ),
            ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
        ];
        for (input, want) in cases {
            let ts = parse_rfc3339(input).unwrap_or_else(|| panic!("{input} should parse"));
            let want: Timestamp = want.parse().expect("reference parse");
            assert_eq!(ts, want, "{input}");
        }
    }

    #[test]
    fn rejects_what_is_not_rfc3339() {
        for input in [
            "",
            "2025-02-01",
            "2025-02-01T00:00:00",
            "2025-02-01T00:00Z",
            "2025-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-02-01T24:00:00Z",
            "2025-02-01T00:00:60Z",
            "2025-02-01T00:00:00+0100",
            "2025-02-01T00:00:00.Z",
            "2025-02-01T00:00:00Z[Europe/Prague]",
            "2025-02-01T00:00:00+24:00",
            "x025-02-01T00:00:00Z",
            "2025-02-01T00:00:00ZZ",
        ] {
            assert!(parse_rfc3339(input).is_none(), "{input} should be rejected");
        }
    }

    #[test]
    fn formats_utc() {
        let ts = parse_rfc3339("2025-02-01T01:00:00+01:00").expect("parse");
        assert_eq!(format_utc(ts), "2025-02-01T00:00:00Z");
    }
}
