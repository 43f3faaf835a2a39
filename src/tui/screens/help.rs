//! `?`: every binding of the screen below, generated from the keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use crate::tui::keys::{Action, Context, Keymap};
use crate::tui::screens::{Ctx, Env, Input, Screen};
use crate::tui::widgets::list::Scroll;
use crate::tui::widgets::{centered, theme};

/// The help overlay.
pub struct Help {
    of: &'static str,
    lines: Vec<(String, &'static str)>,
    scroll: Scroll,
}

impl Help {
    pub const NAME: &'static str = "help";

    /// Help for the screen called `of`, in `context`.
    pub fn new(of: &'static str, context: Context, keymap: &Keymap) -> Help {
        let mut lines = keymap.help_lines(context);
        lines.push(("Ctrl-c".to_string(), "quit, from anywhere"));
        Help {
            of: context.title().unwrap_or(of),
            lines,
            scroll: Scroll::default(),
        }
    }

    fn box_area(&self, area: Rect) -> Rect {
        let keys = self.lines.iter().map(|(k, _)| k.chars().count()).max();
        let descs = self.lines.iter().map(|(_, d)| d.chars().count()).max();
        // " keys " + " description" + borders.
        let width = (keys.unwrap_or(0) + descs.unwrap_or(0) + 5).max(30) as u16;
        centered(area, width, self.lines.len() as u16 + 2)
    }

    fn height(&self, ctx: &Ctx) -> usize {
        self.box_area(ctx.area).height.saturating_sub(2) as usize
    }
}

impl Screen for Help {
    fn name(&self) -> &'static str {
        Help::NAME
    }

    fn context(&self) -> Context {
        Context::Help
    }

    fn is_overlay(&self) -> bool {
        true
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        let len = self.lines.len();
        let h = self.height(ctx);
        // Scrolling moves the view, not a selection.
        match input {
            Input::Action(Action::Back | Action::Help) => ctx.close(),
            Input::Action(Action::Down) => self.scroll.scroll_by(1, len, h),
            Input::Action(Action::Up) => self.scroll.scroll_by(-1, len, h),
            Input::Action(Action::PageDown) => self.scroll.scroll_by(h as isize, len, h),
            Input::Action(Action::PageUp) => self.scroll.scroll_by(-(h as isize), len, h),
            Input::Action(Action::Top) => self.scroll.scroll_by(-(len as isize), len, h),
            Input::Action(Action::Bottom) => self.scroll.scroll_by(len as isize, len, h),
            _ => {}
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, _env: &Env) {
        let rect = self.box_area(area);
        let key_width = self
            .lines
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        let height = rect.height.saturating_sub(2) as usize;
        let lines: Vec<Line> = self.lines[self.scroll.visible(self.lines.len(), height)]
            .iter()
            .map(|(k, d)| {
                Line::from(vec![
                    Span::styled(format!(" {k:>key_width$} "), theme::key()),
                    Span::raw(format!(" {d}")),
                ])
            })
            .collect();
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .title(Span::styled(format!(" Keys: {} ", self.of), theme::title()))
            .title_bottom(Line::from(" Esc close ").right_aligned());
        frame.render_widget(Clear, rect);
        frame.render_widget(Paragraph::new(lines).block(block), rect);
    }
}
