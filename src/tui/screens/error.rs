//! A failure in full: the error's whole text (for a 401, what was signed, both clocks and
//! the usual causes, as the CLI prints it) in a popup that scrolls, over the screen that
//! failed, which keeps what it showed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use crate::api::ApiError;
use crate::tui::keys::{Action, Context};
use crate::tui::screens::{Ctx, Env, Input, Screen};
use crate::tui::widgets::list::Scroll;
use crate::tui::widgets::wrap;
use crate::tui::widgets::{centered, theme};

/// The popup.
pub struct ErrorPopup {
    title: String,
    text: String,
    scroll: Scroll,
}

impl ErrorPopup {
    pub const NAME: &'static str = "error";

    /// `title` over the text given (shown as it is, wrapped).
    pub fn new(title: impl Into<String>, text: impl Into<String>) -> ErrorPopup {
        ErrorPopup {
            title: title.into(),
            text: text.into(),
            scroll: Scroll::default(),
        }
    }

    /// An API error explained as the CLI explains it.
    pub fn api(title: impl Into<String>, e: &ApiError) -> ErrorPopup {
        ErrorPopup::new(title, e.explain())
    }

    fn rect(area: Rect) -> Rect {
        centered(area, area.width.saturating_sub(4).min(100), area.height)
    }

    fn lines(&self, width: u16) -> Vec<String> {
        let w = (width as usize).saturating_sub(2).max(10);
        self.text
            .lines()
            .flat_map(|l| {
                // Keep a continuation's indent so the 401's blocks stay readable.
                let indent = l.len() - l.trim_start().len();
                let pad = " ".repeat(indent.min(w / 2));
                wrap(l.trim_start(), w - pad.len())
                    .into_iter()
                    .map(move |part| format!("{pad}{part}"))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

impl Screen for ErrorPopup {
    fn name(&self) -> &'static str {
        ErrorPopup::NAME
    }

    fn context(&self) -> Context {
        Context::ErrorPopup
    }

    fn is_overlay(&self) -> bool {
        true
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        let r = ErrorPopup::rect(ctx.area);
        let len = self.lines(r.width).len();
        let h = r.height.saturating_sub(2) as usize;
        match input {
            Input::Action(Action::Back | Action::Confirm) => ctx.close(),
            Input::Action(Action::Quit) => ctx.quit(),
            Input::Action(Action::Down) => self.scroll.scroll_by(1, len, h),
            Input::Action(Action::Up) => self.scroll.scroll_by(-1, len, h),
            Input::Action(Action::PageDown) => self.scroll.scroll_by(h as isize, len, h),
            Input::Action(Action::PageUp) => self.scroll.scroll_by(-(h as isize), len, h),
            Input::Action(Action::Top) => self.scroll.scroll_by(-(len as isize), len, h),
            Input::Action(Action::Bottom) => self.scroll.scroll_by(len as isize, len, h),
            _ => {}
        }
    }

    /// A retry sends again what failed: this popup has said its piece.
    fn on_retry(&mut self, ctx: &mut Ctx) {
        ctx.close();
    }

    fn render(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let full = ErrorPopup::rect(area);
        let lines = self.lines(full.width);
        let height = (lines.len() as u16 + 2).min(area.height);
        let rect = centered(area, full.width, height);
        let h = rect.height.saturating_sub(2) as usize;
        let range = self.scroll.visible(lines.len(), h);
        let more = if lines.len() > h {
            format!(" {}-{} of {} ", range.start + 1, range.end, lines.len())
        } else {
            String::new()
        };
        let shown: Vec<Line> = lines[range].iter().map(|l| Line::raw(l.clone())).collect();
        let hints = if lines.len() > h {
            env.keymap.hints(&[
                (Action::Down, "scroll"),
                (Action::Retry, "retry"),
                (Action::Back, "close"),
            ])
        } else {
            env.keymap
                .hints(&[(Action::Retry, "retry"), (Action::Back, "close")])
        };
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(Style::new().fg(theme::ERROR))
            .title(Span::styled(format!(" {} ", self.title), theme::title()))
            .title_bottom(Line::from(more).left_aligned())
            .title_bottom(Line::from(hints).right_aligned());
        frame.render_widget(Clear, rect);
        frame.render_widget(Paragraph::new(shown).block(block), rect);
    }
}
