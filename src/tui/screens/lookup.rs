//! `g`: go to a customization by UUID. Flags a malformed UUID while typing, offers recent
//! lookups, shows a 404 in the box.

use crate::tui::widgets::dialog;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::api::model::normalize_uuid;
use crate::tui::keys::{Action, Context};
use crate::tui::msg::{ApiEvent, ApiReply, ApiRequest, Remote};
use crate::tui::screens::{Ctx, Env, Input, Route, Screen};
use crate::tui::widgets::text_field::TextField;
use crate::tui::widgets::{theme, truncate};

/// The lookup dialog.
pub struct Lookup {
    field: TextField,
    /// Highlighted recent lookup, if any.
    recent: Option<usize>,
    fetch: Remote<()>,
    /// The id being fetched.
    asked: String,
}

impl Default for Lookup {
    fn default() -> Self {
        Lookup::new()
    }
}

impl Lookup {
    pub const NAME: &'static str = "lookup";

    pub fn new() -> Lookup {
        Lookup {
            field: TextField::new("paste or type a customization id"),
            recent: None,
            fetch: Remote::Idle,
            asked: String::new(),
        }
    }

    fn submit(&mut self, ctx: &mut Ctx) {
        let Some(id) = normalize_uuid(self.field.value()) else {
            return;
        };
        self.asked = id.clone();
        let req = ctx.request(ApiRequest::Get(id));
        self.fetch = Remote::Loading(req);
    }

    fn pick_recent(&mut self, delta: isize, ctx: &Ctx) {
        let n = ctx.env.recent.len();
        if n == 0 {
            return;
        }
        let next = match self.recent {
            // Up or Down: the most recent first, as a shell's history.
            None => 0,
            Some(i) => {
                let j = i as isize + delta;
                if j < 0 {
                    self.recent = None;
                    self.field.clear();
                    return;
                }
                (j as usize).min(n - 1)
            }
        };
        self.recent = Some(next);
        if let Some(id) = ctx.env.recent.get(next) {
            self.field.set_value(id);
        }
        self.fetch = Remote::Idle;
    }

    /// The line under the field: what is wrong, or what happens next.
    fn feedback(&self, env: &Env) -> Line<'static> {
        match &self.fetch {
            Remote::Loading(_) => {
                return Line::raw(format!("{} fetching {}…", env.spinner_glyph(), self.asked));
            }
            Remote::Failed(e) if e.status() == Some(404) => {
                return Line::styled("✗ No customization has this id (404)", theme::error());
            }
            Remote::Failed(e) => {
                return Line::styled(truncate(&e.to_string(), 120), theme::error());
            }
            _ => {}
        }
        let text = self.field.value().trim();
        if text.is_empty() {
            Line::styled(
                "36 characters like 199620b4-df1a-46e8-ab59-9e9ed9af7106",
                theme::muted(),
            )
        } else if normalize_uuid(text).is_some() {
            Line::styled("✓ Enter opens it", Style::new().fg(theme::OK))
        } else {
            Line::styled("✗ not a UUID", theme::error())
        }
    }
}

impl Screen for Lookup {
    fn name(&self) -> &'static str {
        Lookup::NAME
    }

    fn context(&self) -> Context {
        Context::Lookup
    }

    fn is_overlay(&self) -> bool {
        true
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        match input {
            Input::Action(Action::Back) => ctx.close(),
            Input::Action(Action::Confirm) => self.submit(ctx),
            Input::Action(Action::Down) => self.pick_recent(1, ctx),
            Input::Action(Action::Up) => self.pick_recent(-1, ctx),
            Input::Key(k) => {
                if self.field.input(k) {
                    self.fetch = Remote::Idle;
                    self.recent = None;
                }
            }
            Input::Action(_) => {}
        }
    }

    fn on_paste(&mut self, text: &str, _ctx: &mut Ctx) {
        self.field.clear();
        self.field.paste(text);
        self.fetch = Remote::Idle;
        self.recent = None;
    }

    fn on_api(&mut self, ev: &ApiEvent, ctx: &mut Ctx) {
        if !self.fetch.waits_for(ev.id) {
            return;
        }
        match &ev.result {
            Ok(ApiReply::Customization(c)) => {
                self.fetch = Remote::Ready(());
                ctx.remember_lookup(self.asked.clone());
                ctx.replace(Route::DetailLoaded(c.clone()));
            }
            Ok(_) => self.fetch = Remote::Idle,
            Err(e) => self.fetch = Remote::Failed(e.clone()),
        }
    }

    fn on_retry(&mut self, ctx: &mut Ctx) {
        if matches!(self.fetch, Remote::Failed(_)) {
            self.submit(ctx);
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let recent_rows = env.recent.len().min(8) as u16;
        let height = 6 + if recent_rows > 0 { recent_rows + 1 } else { 0 };
        let k = &env.keymap;
        let inner = dialog(
            frame,
            area,
            (60, height),
            Span::styled(" Go to customization ", theme::title()),
            // Up and Down walk the recent lookups: offered only when there are some.
            if env.recent.is_empty() {
                format!(
                    " {} open · {} close ",
                    k.hint(Action::Confirm),
                    k.hint(Action::Back)
                )
            } else {
                format!(
                    " {} open · {}/{} recent · {} close ",
                    k.hint(Action::Confirm),
                    k.hint(Action::Up),
                    k.hint(Action::Down),
                    k.hint(Action::Back)
                )
            },
            Style::new(),
        );
        let [field, feedback, recent] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(inner);
        let style = if normalize_uuid(self.field.value()).is_none()
            && !self.field.value().trim().is_empty()
        {
            Style::new().fg(theme::ERROR)
        } else {
            Style::new()
        };
        self.field.render(
            frame,
            field,
            Some(Block::bordered().border_style(style).title(" UUID ")),
        );
        frame.render_widget(Paragraph::new(self.feedback(env)), feedback);
        if recent_rows > 0 && recent.height > 1 {
            let mut lines = vec![Line::styled("Recent", theme::label())];
            for (i, id) in env.recent.iter().take(recent_rows as usize).enumerate() {
                let mut line = Line::raw(format!("  {id}"));
                if self.recent == Some(i) {
                    line = line.style(theme::selected());
                }
                lines.push(line);
            }
            frame.render_widget(Paragraph::new(lines), recent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_in_usual_shapes() {
        let want = Some("199620b4-df1a-46e8-ab59-9e9ed9af7106".to_string());
        assert_eq!(
            normalize_uuid(" 199620b4-df1a-46e8-ab59-9e9ed9af7106\n"),
            want
        );
        assert_eq!(
            normalize_uuid("\"199620B4-DF1A-46E8-AB59-9E9ED9AF7106\""),
            want
        );
        assert_eq!(normalize_uuid("199620b4df1a46e8ab599e9ed9af7106"), want);
        assert_eq!(normalize_uuid("199620b4-df1a-46e8-ab59"), None);
        assert_eq!(normalize_uuid(""), None);
    }
}
