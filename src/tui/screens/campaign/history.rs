//! `H`: the history of writes, newest first (time, kind, count, summary). Enter shows an
//! operation's customizations and their diffs (before → after); `u` plans its undo.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use crate::api::Customization;
use crate::api::text::strip_controls;
use crate::diff::{Change, diff_maps};
use crate::mirror::history::{Item, OpRow};
use crate::tui::fmt::{self, plural};
use crate::tui::keys::{Action, Context};
use crate::tui::msg::{ApiEvent, ApiReply, ApiRequest, BatchReply, Remote};
use crate::tui::screens::tracker::describe;
use crate::tui::screens::{Ctx, Env, Input, Route, Screen};
use crate::tui::widgets::list::Scroll;
use crate::tui::widgets::{theme, truncate, wrap};

/// How many operations the list shows.
const LIST_LIMIT: u64 = 1000;

/// `30 Nov 2026 14:05` in the user's zone, or the stored text when it does not parse.
fn when(at: &str, env: &Env) -> String {
    match crate::api::time::parse_rfc3339(at) {
        Some(ts) => fmt::date_time(ts, &env.tz),
        None => at.to_string(),
    }
}

/// The history list.
pub struct HistoryList {
    load: Remote<()>,
    ops: Vec<OpRow>,
    scroll: Scroll,
}

impl Default for HistoryList {
    fn default() -> Self {
        HistoryList::new()
    }
}

impl HistoryList {
    pub const NAME: &'static str = "history";

    pub fn new() -> HistoryList {
        HistoryList {
            load: Remote::Idle,
            ops: Vec::new(),
            scroll: Scroll::default(),
        }
    }

    fn reload(&mut self, ctx: &mut Ctx) {
        self.load = Remote::Loading(ctx.request(ApiRequest::History {
            limit: Some(LIST_LIMIT),
        }));
    }

    fn body_height(area: Rect) -> usize {
        area.height.saturating_sub(4) as usize
    }

    fn selected(&self) -> Option<&OpRow> {
        self.ops.get(self.scroll.selected)
    }
}

impl Screen for HistoryList {
    fn name(&self) -> &'static str {
        HistoryList::NAME
    }

    fn context(&self) -> Context {
        Context::History
    }

    fn on_open(&mut self, ctx: &mut Ctx) {
        self.reload(ctx);
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        let h = HistoryList::body_height(ctx.area);
        let n = self.ops.len();
        let page = h.max(1) as isize;
        match input {
            Input::Action(Action::Back) => ctx.close(),
            Input::Action(Action::Up) => self.scroll.move_by(-1, n, h),
            Input::Action(Action::Down) => self.scroll.move_by(1, n, h),
            Input::Action(Action::PageUp) => self.scroll.move_by(-page, n, h),
            Input::Action(Action::PageDown) => self.scroll.move_by(page, n, h),
            Input::Action(Action::Top) => self.scroll.select(0, n, h),
            Input::Action(Action::Bottom) => self.scroll.select(n.saturating_sub(1), n, h),
            Input::Action(Action::Open) => {
                if let Some(op) = self.selected() {
                    ctx.open(Route::Operation(op.id));
                }
            }
            Input::Action(Action::Undo) => {
                if let Some(op) = self.selected() {
                    ctx.open(Route::Undo(op.id));
                }
            }
            Input::Action(Action::Refresh) => self.reload(ctx),
            _ => {}
        }
    }

    fn on_api(&mut self, ev: &ApiEvent, ctx: &mut Ctx) {
        if self.load.waits_for(ev.id) {
            match &ev.result {
                Ok(ApiReply::Batch(BatchReply::History(ops))) => {
                    self.ops = ops.clone();
                    self.load = Remote::Ready(());
                    let h = HistoryList::body_height(ctx.area);
                    self.scroll.fit(self.ops.len(), h);
                }
                Ok(_) => self.load = Remote::Idle,
                Err(e) => self.load = Remote::Failed(e.clone()),
            }
            return;
        }
        // A write made meanwhile is a new operation.
        if matches!(
            &ev.result,
            Ok(ApiReply::Batch(BatchReply::Applied(_))
                | ApiReply::Created(_)
                | ApiReply::Updated(_)
                | ApiReply::Deleted(_)
                | ApiReply::Import(crate::tui::msg::ImportReply::Finished(_)))
        ) {
            self.reload(ctx);
        }
    }

    fn on_retry(&mut self, ctx: &mut Ctx) {
        if matches!(self.load, Remote::Failed(_)) {
            self.reload(ctx);
        }
    }

    fn counts(&self) -> Option<String> {
        matches!(self.load, Remote::Ready(()))
            .then(|| plural(self.ops.len(), "operation", "operations"))
    }

    fn render(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let ctx = self.context();
        let mut items = Vec::new();
        if !self.ops.is_empty() {
            items.push((Action::Open, "diffs"));
            items.push((Action::Undo, "undo"));
        }
        items.push((Action::Refresh, "refresh"));
        items.push((Action::Back, "back"));
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .title(Span::styled(" History · newest first ", theme::title()))
            .title_bottom(Line::from(env.keymap.hints_in(ctx, &items)).right_aligned());
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [head, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        let w = inner.width as usize;
        let wide = w >= 80;
        let head_line = match &self.load {
            Remote::Loading(_) if self.ops.is_empty() => {
                Line::raw(format!("{} reading the history…", env.spinner_glyph()))
            }
            Remote::Failed(e) => Line::styled(
                truncate(&format!("✗ cannot read the history: {e}"), w),
                theme::error(),
            ),
            Remote::Ready(()) if self.ops.is_empty() => Line::styled(
                "Nothing yet: every write made from pinscope is recorded here.",
                theme::muted(),
            ),
            _ if wide => Line::styled(
                format!(
                    "{:<6} {:<20} {:<7} {:>6}  {}",
                    "OP", "TIME", "KIND", "COUNT", "SUMMARY"
                ),
                theme::header(),
            ),
            _ => Line::styled(
                format!("{:<5} {:<7} {:>5}  {}", "OP", "KIND", "COUNT", "SUMMARY"),
                theme::header(),
            ),
        };
        frame.render_widget(Paragraph::new(head_line), head);
        let height = body.height as usize;
        let mut scroll = self.scroll;
        scroll.fit(self.ops.len(), height);
        let lines: Vec<Line> = scroll
            .visible(self.ops.len(), height)
            .map(|i| {
                let o = &self.ops[i];
                let summary = strip_controls(&o.summary).into_owned();
                let text = if wide {
                    format!(
                        "{:<6} {:<20} {:<7} {:>6}  {summary}",
                        o.id,
                        when(&o.at, env),
                        o.kind.as_str(),
                        o.count
                    )
                } else {
                    format!(
                        "{:<5} {:<7} {:>5}  {summary}",
                        o.id,
                        o.kind.as_str(),
                        o.count
                    )
                };
                let line = Line::raw(truncate(&text, w));
                if i == scroll.selected {
                    line.style(theme::selected())
                } else {
                    line
                }
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), body);
    }
}

/// One line of the operation view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Head(usize),
    Change(usize, usize),
}

/// One operation: its customizations and their diffs (before → after).
pub struct OperationView {
    op_id: i64,
    load: Remote<()>,
    op: Option<OpRow>,
    items: Vec<Item>,
    changes: Vec<Vec<Change>>,
    rows: Vec<Row>,
    offset: usize,
}

impl OperationView {
    pub const NAME: &'static str = "operation";

    pub fn new(op_id: i64) -> OperationView {
        OperationView {
            op_id,
            load: Remote::Idle,
            op: None,
            items: Vec::new(),
            changes: Vec::new(),
            rows: Vec::new(),
            offset: 0,
        }
    }

    fn reload(&mut self, ctx: &mut Ctx) {
        self.load = Remote::Loading(ctx.request(ApiRequest::HistoryOp(self.op_id)));
    }

    fn set(&mut self, op: OpRow, items: Vec<Item>) {
        self.changes = items
            .iter()
            .map(|it| match (&it.before, &it.after) {
                (Some(b), Some(a)) => diff_maps(b.as_map(), a.as_map()),
                _ => Vec::new(),
            })
            .collect();
        self.rows.clear();
        for (i, ch) in self.changes.iter().enumerate() {
            self.rows.push(Row::Head(i));
            self.rows.extend((0..ch.len()).map(|j| Row::Change(i, j)));
        }
        self.op = Some(op);
        self.items = items;
        self.offset = 0;
    }

    fn body_height(area: Rect) -> usize {
        area.height.saturating_sub(4) as usize
    }

    fn head_line(&self, i: usize, width: usize) -> Line<'static> {
        let Some(it) = self.items.get(i) else {
            return Line::raw("");
        };
        let short: String = it.customization_id.chars().take(8).collect();
        let (mark, words, style, c): (&str, &str, Style, Option<&Customization>) =
            match (&it.before, &it.after) {
                (None, Some(a)) => ("+", "created", Style::new().fg(theme::OK), Some(a)),
                (Some(b), None) => ("-", "deleted", theme::error(), Some(b)),
                (Some(_), Some(a)) => ("~", "updated", theme::label(), Some(a)),
                (None, None) => ("?", "nothing recorded", theme::muted(), None),
            };
        let what = c.map(describe).unwrap_or_default();
        let room = width.saturating_sub(short.len() + words.len() + 6);
        Line::from(vec![
            Span::styled(format!("{mark} "), style),
            Span::styled(format!("{short} "), theme::key()),
            Span::styled(words.to_string(), style),
            Span::styled(" · ", theme::muted()),
            Span::raw(truncate(&what, room)),
        ])
    }
}

impl Screen for OperationView {
    fn name(&self) -> &'static str {
        OperationView::NAME
    }

    fn context(&self) -> Context {
        Context::HistoryOp
    }

    fn on_open(&mut self, ctx: &mut Ctx) {
        self.reload(ctx);
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        let h = OperationView::body_height(ctx.area);
        // Changes may wrap: it scrolls until its last row is the first shown.
        let max = self.rows.len().saturating_sub(1);
        let page = h.max(1) as isize;
        let mut by = |d: isize| self.offset = self.offset.saturating_add_signed(d).min(max);
        match input {
            Input::Action(Action::Back) => ctx.close(),
            Input::Action(Action::Up) => by(-1),
            Input::Action(Action::Down) => by(1),
            Input::Action(Action::PageUp) => by(-page),
            Input::Action(Action::PageDown) => by(page),
            Input::Action(Action::Top) => by(isize::MIN / 2),
            Input::Action(Action::Bottom) => by(isize::MAX / 2),
            Input::Action(Action::Undo) => ctx.open(Route::Undo(self.op_id)),
            _ => {}
        }
    }

    fn on_api(&mut self, ev: &ApiEvent, _ctx: &mut Ctx) {
        if !self.load.waits_for(ev.id) {
            return;
        }
        match &ev.result {
            Ok(ApiReply::Batch(BatchReply::Operation { op, items })) => {
                self.set(op.clone(), items.to_vec());
                self.load = Remote::Ready(());
            }
            Ok(_) => self.load = Remote::Idle,
            Err(e) => self.load = Remote::Failed(e.clone()),
        }
    }

    fn on_retry(&mut self, ctx: &mut Ctx) {
        if matches!(self.load, Remote::Failed(_)) {
            self.reload(ctx);
        }
    }

    fn counts(&self) -> Option<String> {
        self.op
            .as_ref()
            .map(|_| plural(self.items.len(), "customization", "customizations"))
    }

    fn render(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let ctx = self.context();
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .title(Span::styled(
                format!(" Operation {} ", self.op_id),
                theme::title(),
            ))
            .title_bottom(
                Line::from(env.keymap.hints_in(
                    ctx,
                    &[
                        (Action::Down, "scroll"),
                        (Action::Undo, "undo"),
                        (Action::Back, "back"),
                    ],
                ))
                .right_aligned(),
            );
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [head, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        let w = inner.width as usize;
        let head_line = match (&self.load, &self.op) {
            (Remote::Failed(e), _) => Line::styled(
                truncate(&format!("✗ cannot read operation {}: {e}", self.op_id), w),
                theme::error(),
            ),
            (_, Some(o)) => Line::styled(
                truncate(
                    &format!(
                        "{} · {} · {} · {}",
                        when(&o.at, env),
                        o.kind.as_str(),
                        o.profile,
                        strip_controls(&o.summary)
                    ),
                    w,
                ),
                theme::label(),
            ),
            _ => Line::raw(format!("{} reading…", env.spinner_glyph())),
        };
        frame.render_widget(Paragraph::new(head_line), head);
        // A change wraps (a value is never cut), its continuation indented.
        let height = body.height as usize;
        let offset = self.offset.min(self.rows.len().saturating_sub(1));
        let mut lines: Vec<Line> = Vec::with_capacity(height);
        for r in self.rows.iter().skip(offset) {
            if lines.len() >= height {
                break;
            }
            match *r {
                Row::Head(i) => lines.push(self.head_line(i, w)),
                Row::Change(i, j) => {
                    if let Some(c) = self.changes.get(i).and_then(|c| c.get(j)) {
                        let text = strip_controls(&c.to_string()).into_owned();
                        for (k, part) in wrap(&text, w.saturating_sub(6).max(8))
                            .into_iter()
                            .enumerate()
                        {
                            let indent = if k == 0 { "    " } else { "      " };
                            lines.push(Line::styled(format!("{indent}{part}"), theme::change(c)));
                        }
                    }
                }
            }
        }
        lines.truncate(height);
        frame.render_widget(Paragraph::new(lines), body);
    }
}
