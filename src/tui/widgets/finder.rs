//! The panel the tracker search and where-is-it-pinned share: a bordered box with a query
//! field, one note line under it, and a list that keeps the cursor row in view.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::widgets::text_field::TextField;
use crate::tui::widgets::theme;

/// What one finder panel shows.
pub struct Finder<'a> {
    pub title: &'a str,
    /// The key hints on the bottom border.
    pub hints: String,
    pub field: &'a TextField,
    /// The field's own border.
    pub field_block: Block<'static>,
    pub note: Line<'a>,
    pub len: usize,
    pub cursor: usize,
}

impl Finder<'_> {
    /// Draws the panel in `area`; `line(i, width, selected)` draws the list's row `i`, and
    /// only the rows in view are asked for.
    pub fn render(
        self,
        frame: &mut Frame,
        area: Rect,
        mut line: impl FnMut(usize, usize, bool) -> Line<'static>,
    ) {
        let block = Block::bordered()
            .title(Span::styled(format!(" {} ", self.title), theme::title()))
            .title_bottom(self.hints);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [field, note, list] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(inner);
        self.field.render(frame, field, Some(self.field_block));
        frame.render_widget(Paragraph::new(self.note), note);
        let height = list.height as usize;
        let start = self.cursor.saturating_sub(height.saturating_sub(1));
        let end = self.len.min(start.saturating_add(height));
        let lines: Vec<Line> = (start..end)
            .map(|i| line(i, list.width as usize, i == self.cursor))
            .collect();
        frame.render_widget(Paragraph::new(lines), list);
    }
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;

    #[test]
    fn the_panel_frames_the_field_and_note_and_keeps_the_cursor_in_view() {
        let field = TextField::new("type here");
        let mut term = Terminal::new(TestBackend::new(30, 9)).expect("terminal");
        let mut asked = Vec::new();
        term.draw(|f| {
            Finder {
                title: "Find",
                hints: " Esc back ".into(),
                field: &field,
                field_block: Block::bordered(),
                note: Line::raw("5 found"),
                len: 5,
                cursor: 4,
            }
            .render(f, f.area(), |i, _, selected| {
                asked.push(i);
                Line::raw(format!("{}row {i}", if selected { ">" } else { " " }))
            });
        })
        .expect("draw");
        let text: Vec<String> = term
            .backend()
            .buffer()
            .content()
            .chunks(30)
            .map(|row| row.iter().map(|c| c.symbol()).collect())
            .collect();
        assert!(text[0].contains(" Find "), "{text:?}");
        assert!(text[4].contains("5 found"), "{text:?}");
        // Three list rows fit: the cursor's row is the last in view, and only the rows in
        // view are drawn.
        assert_eq!(asked, [2, 3, 4]);
        assert!(text[5].contains(" row 2"), "{text:?}");
        assert!(text[7].contains(">row 4"), "{text:?}");
        assert!(text[8].contains("Esc back"), "{text:?}");
    }
}
