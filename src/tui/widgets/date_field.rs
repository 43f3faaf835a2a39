//! A date field: typed the way people write dates (see [`crate::when`]), read in the user's
//! time zone, with the instant it means shown beside it.

use crossterm::event::KeyEvent;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::layout::Rect;
use serde_json::Value;

use crate::api::time::parse_rfc3339;
use crate::tui::widgets::text_field::TextField;
use crate::when::{format_local, parse_input};

/// What the text means.
#[derive(Debug, Clone, PartialEq)]
pub enum DateState {
    /// Nothing typed: no bound.
    Empty,
    /// An instant, and the RFC 3339 text that is sent for it.
    Ok { at: Timestamp, send: String },
    /// Not a date: why.
    Invalid(String),
}

/// Reads what was typed. RFC 3339 with an offset is kept exactly as typed; anything else
/// (`2025-02-01`, `2025-02-01 14:00`, `now`, `+7d`, `tomorrow`) is read in `tz` at `now` and
/// sent as RFC 3339 with the zone's offset.
pub fn interpret(text: &str, now: Timestamp, tz: &TimeZone) -> DateState {
    let t = text.trim();
    if t.is_empty() {
        return DateState::Empty;
    }
    if let Some(at) = parse_rfc3339(t) {
        return DateState::Ok {
            at,
            send: t.to_string(),
        };
    }
    match parse_input(t, now, tz) {
        Ok(at) => {
            // `now` and `+7d` carry the clock's fraction of a second: not worth sending.
            let at = Timestamp::from_second(at.as_second()).unwrap_or(at);
            DateState::Ok {
                at,
                send: format_local(at, tz),
            }
        }
        Err(e) => DateState::Invalid(e),
    }
}

/// `Sat 1 Feb 2025 14:00 CET`: an instant in words, in `tz`.
pub fn describe(at: Timestamp, tz: &TimeZone) -> String {
    at.to_zoned_datetime(tz.clone())
        .strftime("%a %-d %b %Y %H:%M %Z")
        .to_string()
}

/// One line of text that is a date.
#[derive(Debug, Clone, Default)]
pub struct DateField {
    field: TextField,
    state: Option<DateState>,
}

impl DateField {
    pub fn new(placeholder: &str) -> Self {
        DateField {
            field: TextField::new(placeholder),
            state: None,
        }
    }

    /// After a resize: the text shows from its start again (see [`TextField::reset_view`]).
    pub fn reset_view(&mut self) {
        self.field.reset_view();
    }

    /// Shows a stored value: a string as it is, anything else as its JSON.
    pub fn set_stored(&mut self, stored: Option<&Value>, now: Timestamp, tz: &TimeZone) {
        let text = match stored {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        self.set_text(&text, now, tz);
    }

    pub fn set_text(&mut self, text: &str, now: Timestamp, tz: &TimeZone) {
        self.field.set_value(text);
        self.state = Some(interpret(self.field.value(), now, tz));
    }

    pub fn text(&self) -> &str {
        self.field.value()
    }

    pub fn state(&self) -> &DateState {
        self.state.as_ref().unwrap_or(&DateState::Empty)
    }

    /// Feeds a key; returns whether the text changed.
    pub fn input(&mut self, key: KeyEvent, now: Timestamp, tz: &TimeZone) -> bool {
        let changed = self.field.input(key);
        if changed {
            self.state = Some(interpret(self.field.value(), now, tz));
        }
        changed
    }

    pub fn paste(&mut self, text: &str, now: Timestamp, tz: &TimeZone) -> bool {
        let changed = self.field.paste(text);
        if changed {
            self.state = Some(interpret(self.field.value(), now, tz));
        }
        changed
    }

    pub fn set_focused(&mut self, focused: bool) {
        self.field.set_focused(focused);
    }

    pub fn render(&self, frame: &mut Frame, area: Rect) {
        self.field.render(frame, area, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("ts")
    }

    #[test]
    fn keeps_rfc3339_and_converts_the_rest() {
        let prague = TimeZone::get("Europe/Prague").expect("tz");
        let now = ts("2025-06-15T10:00:00Z");
        assert_eq!(
            interpret(" 2025-02-01T00:00:00Z ", now, &prague),
            DateState::Ok {
                at: ts("2025-02-01T00:00:00Z"),
                send: "2025-02-01T00:00:00Z".into()
            }
        );
        assert_eq!(
            interpret("2025-02-01 14:00", now, &prague),
            DateState::Ok {
                at: ts("2025-02-01T13:00:00Z"),
                send: "2025-02-01T14:00:00+01:00".into()
            }
        );
        assert_eq!(
            interpret("tomorrow", now, &prague),
            DateState::Ok {
                at: ts("2025-06-15T22:00:00Z"),
                send: "2025-06-16T00:00:00+02:00".into()
            }
        );
        assert_eq!(interpret("  ", now, &prague), DateState::Empty);
        let odd: Timestamp = "2025-06-15T10:00:00.123456789Z".parse().expect("ts");
        assert_eq!(
            interpret("+7d", odd, &prague),
            DateState::Ok {
                at: ts("2025-06-22T10:00:00Z"),
                send: "2025-06-22T12:00:00+02:00".into()
            }
        );
        assert!(matches!(
            interpret("soon", now, &prague),
            DateState::Invalid(m) if m.contains("expected a date")
        ));
        assert_eq!(
            describe(ts("2025-02-01T13:00:00Z"), &prague),
            "Sat 1 Feb 2025 14:00 CET"
        );
    }
}
