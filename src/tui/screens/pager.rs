//! A scrollable page of text (the raw JSON of a customization).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::keys::{Action, Context};
use crate::tui::screens::{Ctx, Env, Input, Screen};
use crate::tui::widgets::list::Scroll;
use crate::tui::widgets::theme;

/// Read-only text with a title.
pub struct Pager {
    title: String,
    lines: Vec<String>,
    /// What `Y` copies (the whole text) and how the confirmation names it.
    copy_what: String,
    scroll: Scroll,
}

impl Pager {
    pub fn new(title: impl Into<String>, text: &str, copy_what: impl Into<String>) -> Pager {
        Pager {
            title: title.into(),
            lines: text.lines().map(str::to_string).collect(),
            copy_what: copy_what.into(),
            scroll: Scroll::default(),
        }
    }

    fn height(area: Rect) -> usize {
        area.height.saturating_sub(2) as usize
    }
}

impl Screen for Pager {
    fn name(&self) -> &'static str {
        "pager"
    }

    fn context(&self) -> Context {
        Context::Pager
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        let len = self.lines.len();
        let h = Pager::height(ctx.area);
        match input {
            Input::Action(Action::Back) => ctx.close(),
            Input::Action(Action::Down) => self.scroll.scroll_by(1, len, h),
            Input::Action(Action::Up) => self.scroll.scroll_by(-1, len, h),
            Input::Action(Action::PageDown) => self.scroll.scroll_by(h as isize, len, h),
            Input::Action(Action::PageUp) => self.scroll.scroll_by(-(h as isize), len, h),
            Input::Action(Action::Top) => self.scroll.scroll_by(-(len as isize), len, h),
            Input::Action(Action::Bottom) => self.scroll.scroll_by(len as isize, len, h),
            Input::Action(Action::CopyJson) => ctx.copy(self.lines.join("\n"), &self.copy_what),
            _ => {}
        }
    }

    fn on_mouse(&mut self, ev: crossterm::event::MouseEvent, ctx: &mut Ctx) {
        use crossterm::event::MouseEventKind;
        let len = self.lines.len();
        let h = Pager::height(ctx.area);
        match ev.kind {
            MouseEventKind::ScrollDown => self.scroll.scroll_by(3, len, h),
            MouseEventKind::ScrollUp => self.scroll.scroll_by(-3, len, h),
            _ => {}
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let h = Pager::height(area);
        let range = self.scroll.visible(self.lines.len(), h);
        let position = format!(
            " {}-{} of {} ",
            (range.start + 1).min(self.lines.len()),
            range.end,
            self.lines.len()
        );
        let lines: Vec<Line> = self.lines[range]
            .iter()
            .map(|l| Line::raw(l.as_str()))
            .collect();
        let hint = env
            .keymap
            .hints(&[(Action::Back, "back"), (Action::CopyJson, "copy")]);
        let block = Block::bordered()
            .title(Span::styled(format!(" {} ", self.title), theme::title()))
            .title_bottom(Line::from(position).left_aligned())
            .title_bottom(Line::from(hint).right_aligned());
        frame.render_widget(Paragraph::new(lines).block(block), area);
    }
}
