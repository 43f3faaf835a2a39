//! A one-line text field on ratatui-textarea.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::Block;
use ratatui_textarea::TextArea;

/// One line of editable text.
#[derive(Debug, Clone)]
pub struct TextField {
    area: TextArea<'static>,
}

impl Default for TextField {
    fn default() -> Self {
        TextField::new("")
    }
}

impl TextField {
    pub fn new(placeholder: &str) -> Self {
        let mut area = TextArea::default();
        area.set_cursor_line_style(Style::new());
        area.set_placeholder_text(placeholder);
        area.set_cursor_style(Style::new().add_modifier(Modifier::REVERSED));
        TextField { area }
    }

    /// The text.
    pub fn value(&self) -> &str {
        self.area.lines().first().map_or("", String::as_str)
    }

    pub fn set_value(&mut self, text: &str) {
        self.area.select_all();
        self.area.cut();
        self.area.insert_str(one_line(text));
    }

    pub fn clear(&mut self) {
        self.set_value("");
    }

    /// Whether the cursor is after the last character.
    pub fn cursor_at_end(&self) -> bool {
        self.area.cursor().1 >= self.value().chars().count()
    }

    /// Feeds a key; returns whether the text changed. Enter and Tab are not typed.
    pub fn input(&mut self, key: KeyEvent) -> bool {
        if matches!(key.code, KeyCode::Enter | KeyCode::Tab | KeyCode::BackTab)
            || (key.code == KeyCode::Char('m') && key.modifiers.contains(KeyModifiers::CONTROL))
        {
            return false;
        }
        // Readline's Ctrl-U and Ctrl-W (the text area would undo).
        if key.modifiers == KeyModifiers::CONTROL {
            match key.code {
                KeyCode::Char('u') => return self.area.delete_line_by_head(),
                KeyCode::Char('w') => return rubout_word(&mut self.area),
                _ => {}
            }
        }
        self.area.input(key)
    }

    /// Inserts pasted text (line breaks become spaces, surrounding blanks go).
    pub fn paste(&mut self, text: &str) -> bool {
        self.area.insert_str(one_line(text))
    }

    /// Scrolls the text back to its start (the cursor stays where it was): after the
    /// terminal grew, a long value is shown from its start again, not only its tail.
    pub fn reset_view(&mut self) {
        let ratatui_textarea::DataCursor(row, col) = self.area.cursor();
        self.area.scroll((0, i16::MIN + 1));
        self.area.move_cursor(ratatui_textarea::CursorMove::Jump(
            u16::try_from(row).unwrap_or(0),
            u16::try_from(col).unwrap_or(u16::MAX),
        ));
    }

    /// Hides the cursor (the field is not focused).
    pub fn set_focused(&mut self, focused: bool) {
        let style = if focused {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new()
        };
        self.area.set_cursor_style(style);
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, block: Option<Block<'static>>) {
        match block {
            Some(b) => {
                let inner = b.inner(area);
                frame.render_widget(b, area);
                frame.render_widget(&self.area, inner);
            }
            None => frame.render_widget(&self.area, area),
        }
    }
}

fn one_line(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect()
}

/// Readline's Ctrl-W (unix-word-rubout): deletes the blanks before the cursor, then back to
/// the previous blank. Punctuation is part of a word, so `"Fender` goes at once. At the start
/// of a line the line break goes, as the text area does. Hand-written: the text area's own
/// `delete_word` stops at punctuation, and no crate offers readline's rule for it.
pub(crate) fn rubout_word(area: &mut TextArea<'_>) -> bool {
    let ratatui_textarea::DataCursor(row, col) = area.cursor();
    let Some(line) = area.lines().get(row) else {
        return false;
    };
    let before: Vec<char> = line.chars().take(col).collect();
    let mut start = before.len();
    while start > 0 && before[start - 1].is_whitespace() {
        start -= 1;
    }
    while start > 0 && !before[start - 1].is_whitespace() {
        start -= 1;
    }
    if start == col {
        return col == 0 && row > 0 && area.delete_newline();
    }
    area.move_cursor(ratatui_textarea::CursorMove::Jump(
        u16::try_from(row).unwrap_or(u16::MAX),
        u16::try_from(start).unwrap_or(u16::MAX),
    ));
    area.delete_str(col - start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_pastes_one_line() {
        let mut f = TextField::new("id");
        for c in "abc".chars() {
            f.input(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        assert!(!f.input(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        f.input(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
        assert_eq!(f.value(), "ab");
        f.paste("  x\ny \n");
        assert_eq!(f.value(), "abx y");
        f.set_value("new");
        assert_eq!(f.value(), "new");
    }

    #[test]
    fn ctrl_u_and_ctrl_w_edit_as_in_readline() {
        let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
        let mut f = TextField::new("");
        f.set_value("one two three");
        assert!(f.input(ctrl('w')));
        assert_eq!(f.value(), "one two ");
        assert!(f.input(ctrl('u')));
        assert_eq!(f.value(), "");
        // Punctuation belongs to the word, as in readline; blanks before the cursor go too.
        f.set_value(r#"title "Fender Jazz""#);
        assert!(f.input(ctrl('w')));
        assert_eq!(f.value(), r#"title "Fender "#);
        assert!(f.input(ctrl('w')));
        assert_eq!(f.value(), "title ");
        f.set_value("a.b/c-d  ");
        assert!(f.input(ctrl('w')));
        assert_eq!(f.value(), "");
        assert!(!f.input(ctrl('w')));
        // In the middle, only the word before the cursor goes (with the blank after it).
        f.set_value("one two three");
        for _ in 0..5 {
            f.input(KeyEvent::new(KeyCode::Left, KeyModifiers::NONE));
        }
        assert!(f.input(ctrl('w')));
        assert_eq!(f.value(), "one three");
        f.set_value("abc def");
        f.input(KeyEvent::new(KeyCode::Left, KeyModifiers::NONE));
        f.input(KeyEvent::new(KeyCode::Left, KeyModifiers::NONE));
        f.input(ctrl('u'));
        assert_eq!(f.value(), "ef");
    }
}
