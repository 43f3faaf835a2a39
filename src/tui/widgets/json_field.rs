//! A multi-line JSON editor on ratatui-textarea that says where the JSON breaks (line and
//! column) as it is typed.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui_textarea::TextArea;
use serde_json::{Map, Value};

use crate::tui::widgets::theme;

/// Why a text is not the JSON wanted, and where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl JsonError {
    /// From serde_json's error, without its own " at line L column C" tail.
    pub fn from_serde(e: &serde_json::Error) -> JsonError {
        let text = e.to_string();
        let message = match text.rfind(" at line ") {
            Some(i) => text[..i].to_string(),
            None => text,
        };
        JsonError {
            line: e.line().max(1),
            column: e.column().max(1),
            message,
        }
    }
}

/// Parses a JSON object, keeping key order; errors say where.
pub fn parse_object(text: &str) -> Result<Map<String, Value>, JsonError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => {
            let (line, column) = first_non_blank(text);
            Err(JsonError {
                line,
                column,
                message: format!("must be a JSON object {{...}}, not {}", kind(&other)),
            })
        }
        Err(e) => Err(JsonError::from_serde(&e)),
    }
}

/// `an array`, `a string`... for messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn first_non_blank(text: &str) -> (usize, usize) {
    for (i, line) in text.lines().enumerate() {
        if let Some(col) = line.find(|c: char| !c.is_whitespace()) {
            return (i + 1, line[..col].chars().count() + 1);
        }
    }
    (1, 1)
}

/// A JSON object being typed: empty, an object, or an error with its place.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonState {
    Empty,
    Object(Map<String, Value>),
    Invalid(JsonError),
}

/// A multi-line text area for a JSON object.
#[derive(Debug, Clone)]
pub struct JsonField {
    area: TextArea<'static>,
    state: JsonState,
}

impl Default for JsonField {
    fn default() -> Self {
        JsonField::new("")
    }
}

impl JsonField {
    pub fn new(placeholder: &str) -> Self {
        let mut area = TextArea::default();
        area.set_cursor_line_style(Style::new());
        area.set_placeholder_text(placeholder);
        area.set_placeholder_style(theme::muted());
        area.set_cursor_style(Style::new());
        area.set_tab_length(2);
        JsonField {
            area,
            state: JsonState::Empty,
        }
    }

    /// Shows `value` pretty-printed (key order kept).
    pub fn set_value(&mut self, value: Option<&Value>) {
        let text = value
            .and_then(|v| serde_json::to_string_pretty(v).ok())
            .unwrap_or_default();
        self.set_text(&text);
    }

    /// Replaces the text (the cursor goes to the start).
    pub fn set_text(&mut self, text: &str) {
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        let cursor = self.area.cursor_style();
        let placeholder = self.area.placeholder_text().to_string();
        let mut area = TextArea::new(if lines.is_empty() {
            vec![String::new()]
        } else {
            lines
        });
        area.set_cursor_line_style(Style::new());
        area.set_placeholder_text(placeholder);
        area.set_placeholder_style(theme::muted());
        area.set_cursor_style(cursor);
        area.set_tab_length(2);
        self.area = area;
        self.reparse();
    }

    /// The text, lines joined with `\n`.
    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    pub fn state(&self) -> &JsonState {
        &self.state
    }

    /// The parse error, if any.
    pub fn error(&self) -> Option<&JsonError> {
        match &self.state {
            JsonState::Invalid(e) => Some(e),
            _ => None,
        }
    }

    fn reparse(&mut self) {
        let text = self.text();
        self.state = if text.trim().is_empty() {
            JsonState::Empty
        } else {
            match parse_object(&text) {
                Ok(m) => JsonState::Object(m),
                Err(e) => JsonState::Invalid(e),
            }
        };
    }

    /// After a resize: the text shows from its first line and column again, the cursor
    /// where it was (the view follows it only as far as it must).
    pub fn reset_view(&mut self) {
        let ratatui_textarea::DataCursor(row, col) = self.area.cursor();
        self.area.scroll((i16::MIN + 1, i16::MIN + 1));
        self.area.move_cursor(ratatui_textarea::CursorMove::Jump(
            u16::try_from(row).unwrap_or(u16::MAX),
            u16::try_from(col).unwrap_or(u16::MAX),
        ));
    }

    /// Feeds a key; returns whether the text changed. Tab indents.
    pub fn input(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers == crossterm::event::KeyModifiers::CONTROL;
        let changed = match key.code {
            KeyCode::Tab => self.area.insert_tab(),
            // Readline's Ctrl-U and Ctrl-W, as in every text field (the text area would undo).
            KeyCode::Char('u') if ctrl => self.area.delete_line_by_head(),
            KeyCode::Char('w') if ctrl => super::text_field::rubout_word(&mut self.area),
            _ => self.area.input(key),
        };
        if changed {
            self.reparse();
        }
        changed
    }

    /// Inserts pasted text, line breaks included.
    pub fn paste(&mut self, text: &str) -> bool {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let changed = self.area.insert_str(text);
        if changed {
            self.reparse();
        }
        changed
    }

    pub fn set_focused(&mut self, focused: bool) {
        self.area.set_cursor_style(if focused {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new()
        });
    }

    pub fn line_count(&self) -> usize {
        self.area.lines().len()
    }

    /// The cursor's line (0-based).
    pub fn cursor_line(&self) -> usize {
        self.area.cursor().0
    }

    pub fn render(&self, frame: &mut Frame, area: Rect) {
        frame.render_widget(&self.area, area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn typed(f: &mut JsonField, s: &str) {
        for c in s.chars() {
            let code = if c == '\n' {
                KeyCode::Enter
            } else {
                KeyCode::Char(c)
            };
            f.input(KeyEvent::new(code, KeyModifiers::NONE));
        }
    }

    #[test]
    fn ctrl_u_and_ctrl_w_edit_as_in_readline() {
        let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
        let mut f = JsonField::new("{}");
        typed(&mut f, "{\"brand\": \"Fender Jazz");
        assert!(f.input(ctrl('w')));
        assert_eq!(f.text(), "{\"brand\": \"Fender ");
        // Punctuation is part of the word: the quote goes with it.
        assert!(f.input(ctrl('w')));
        assert_eq!(f.text(), "{\"brand\": ");
        // At the start of a line, the line break goes.
        typed(&mut f, "1,\n");
        assert!(f.input(ctrl('w')));
        assert_eq!(f.text(), "{\"brand\": 1,");
        assert!(f.input(ctrl('u')));
        assert_eq!(f.text(), "");
    }

    #[test]
    fn reports_line_and_column_as_typed() {
        let mut f = JsonField::new("{}");
        assert_eq!(f.state(), &JsonState::Empty);
        typed(&mut f, "{\n\"brand\": \"Fender\",\n\"x\" 1\n}");
        let e = f.error().expect("error").clone();
        assert_eq!((e.line, e.column), (3, 5), "{e}");
        assert_eq!(e.to_string(), "line 3, column 5: expected `:`");
        // Fix it: go to the end of line 3 and retype.
        f.set_text("{\n\"brand\": \"Fender\",\n\"x\": 1\n}");
        match f.state() {
            JsonState::Object(m) => {
                assert_eq!(
                    serde_json::to_string(m).expect("json"),
                    r#"{"brand":"Fender","x":1}"#
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn wants_an_object() {
        let mut f = JsonField::default();
        f.set_text("\n  [1, 2]");
        assert_eq!(
            f.error().map(ToString::to_string).as_deref(),
            Some("line 2, column 3: must be a JSON object {...}, not an array")
        );
        f.paste("\r\n");
        assert!(f.error().is_some());
    }

    #[test]
    fn keeps_key_order_when_shown() {
        let mut f = JsonField::default();
        let v: Value = serde_json::from_str(r#"{"z":1,"a":{"y":2,"b":3}}"#).expect("json");
        f.set_value(Some(&v));
        assert_eq!(
            f.text(),
            "{\n  \"z\": 1,\n  \"a\": {\n    \"y\": 2,\n    \"b\": 3\n  }\n}"
        );
        assert_eq!(f.line_count(), 7);
    }
}
