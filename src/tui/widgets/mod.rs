//! Pieces shared by screens.

use base64::Engine as _;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear};

pub mod date_field;
pub mod finder;
pub mod json_field;
pub mod list;
pub mod path_field;
pub mod status;
pub mod text_field;
pub mod theme;

/// A rectangle of at most `width` x `height` centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

/// Draws a popup: clears a `width` x `height` box centred in `area`, frames it with a rounded
/// border in `border` style, `title` on top and `hints` right-aligned at the bottom, and
/// returns the area inside the frame.
pub fn dialog(
    frame: &mut Frame,
    area: Rect,
    (width, height): (u16, u16),
    title: Span<'_>,
    hints: String,
    border: Style,
) -> Rect {
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(border)
        .title(title)
        .title_bottom(Line::from(hints).right_aligned());
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard.
pub fn osc52(text: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{b64}\x07")
}

/// Splits `text` into lines of at most `width` terminal columns (display width: a CJK
/// character takes two), between words where it can; a word longer than a line (a path, an
/// id) is cut. Empty text is one empty line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let opts = textwrap::Options::new(width.max(1))
        .break_words(true)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit);
    textwrap::wrap(text, opts)
        .into_iter()
        .map(std::borrow::Cow::into_owned)
        .collect()
}

/// Cuts `s` to at most `width` columns, ending with `…` when cut.
pub fn truncate(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return s.to_string();
    }
    if width == 0 {
        return out;
    }
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_between_words_and_cuts_long_ones() {
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("aaa bbb ccc", 8), ["aaa bbb", "ccc"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(
            wrap("3 invalid, 2 repeated", 11),
            ["3 invalid,", "2 repeated"]
        );
        assert_eq!(wrap("/a/very/long/path", 6), ["/a/ver", "y/long", "/path"]);
        assert_eq!(wrap("go /a/very/long", 6), ["go", "/a/ver", "y/long"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("short", 40), ["short"]);
    }

    #[test]
    fn wraps_by_display_width_not_chars() {
        // Each of these characters takes two columns: three fill a line of six.
        assert_eq!(wrap("日本語 テキスト", 6), ["日本語", "テキス", "ト"]);
        for line in wrap("Größe ändern 日本語のテキスト and more", 7) {
            assert!(
                unicode_width::UnicodeWidthStr::width(line.as_str()) <= 7,
                "{line:?}"
            );
        }
    }

    #[test]
    fn osc52_encodes() {
        assert_eq!(osc52("abc"), "\x1b]52;c;YWJj\x07");
    }

    #[test]
    fn truncates_by_width() {
        assert_eq!(truncate("abcdef", 10), "abcdef");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abcdef", 0), "");
    }
}
