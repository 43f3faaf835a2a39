//! `L`: the health screen. The lint findings over the whole tracker, grouped by rule (most
//! severe first) with counts; one row per customization a finding names. Enter opens it.

use std::collections::HashMap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use crate::api::Customization;
use crate::api::text::strip_controls;
use crate::health::lint::{Finding, Rule, Severity, lint};
use crate::tui::keys::{Action, Context};
use crate::tui::msg::{ApiEvent, ApiReply, Remote};
use crate::tui::screens::tracker::{self, describe, index_by_id};
use crate::tui::screens::{Ctx, Env, Input, Route, Screen};
use crate::tui::widgets::list::Scroll;
use crate::tui::widgets::{theme, truncate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    /// A rule's header, with how many findings it has.
    Rule(Rule, usize),
    /// The `id`-th customization of finding `finding`.
    Item { finding: usize, id: usize },
}

/// The health screen.
pub struct HealthScreen {
    load: Remote<()>,
    scopes: std::sync::Arc<Vec<Customization>>,
    by_id: HashMap<String, usize>,
    findings: Vec<Finding>,
    rows: Vec<Row>,
    scroll: Scroll,
}

impl Default for HealthScreen {
    fn default() -> Self {
        HealthScreen::new()
    }
}

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Error => theme::error().add_modifier(Modifier::BOLD),
        Severity::Warning => Style::new().fg(theme::WARN).add_modifier(Modifier::BOLD),
        Severity::Info => theme::muted().add_modifier(Modifier::BOLD),
    }
}

fn severity_mark(s: Severity) -> &'static str {
    match s {
        Severity::Error => "✗",
        Severity::Warning => "⚠",
        Severity::Info => "·",
    }
}

impl HealthScreen {
    pub const NAME: &'static str = "health";

    pub fn new() -> HealthScreen {
        HealthScreen {
            load: Remote::Idle,
            scopes: Default::default(),
            by_id: HashMap::new(),
            findings: Vec::new(),
            rows: Vec::new(),
            scroll: Scroll::default(),
        }
    }

    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    fn body_height(&self, ctx: &Ctx) -> usize {
        ctx.area.height.saturating_sub(3) as usize
    }

    fn reload(&mut self, ctx: &mut Ctx) {
        self.load = Remote::Loading(tracker::load(ctx));
    }

    fn set_findings(&mut self, findings: Vec<Finding>) {
        self.rows.clear();
        for rule in Rule::ALL {
            let of_rule: Vec<usize> = findings
                .iter()
                .enumerate()
                .filter(|(_, f)| f.rule == rule)
                .map(|(i, _)| i)
                .collect();
            if of_rule.is_empty() {
                continue;
            }
            self.rows.push(Row::Rule(rule, of_rule.len()));
            for i in of_rule {
                let n = findings[i].ids.len().max(1);
                self.rows
                    .extend((0..n).map(|id| Row::Item { finding: i, id }));
            }
        }
        self.findings = findings;
        self.scroll = Scroll {
            selected: usize::from(self.rows.len() > 1),
            offset: 0,
        };
    }

    fn open_selected(&mut self, ctx: &mut Ctx) {
        let Some(Row::Item { finding, id }) = self.rows.get(self.scroll.selected) else {
            return;
        };
        let Some(id) = self.findings.get(*finding).and_then(|f| f.ids.get(*id)) else {
            return;
        };
        match self.by_id.get(id).and_then(|&i| self.scopes.get(i)) {
            Some(c) => ctx.open(Route::Detail(c.clone())),
            None => ctx.open(Route::DetailById(id.clone())),
        }
    }

    fn title(&self) -> Line<'static> {
        let mut spans = vec![Span::styled(" Health ", theme::title())];
        if matches!(self.load, Remote::Ready(())) {
            for s in [Severity::Error, Severity::Warning, Severity::Info] {
                let n = self.findings.iter().filter(|f| f.severity() == s).count();
                spans.push(Span::styled(
                    format!("· {n} {}{} ", s.as_str(), if n == 1 { "" } else { "s" }),
                    if n > 0 {
                        severity_style(s)
                    } else {
                        theme::muted()
                    },
                ));
            }
        }
        Line::from(spans)
    }

    fn row_line(&self, row: Row, width: usize) -> Line<'static> {
        match row {
            Row::Rule(rule, n) => {
                let s = rule.severity();
                Line::from(vec![
                    Span::styled(
                        format!("{} {} ", severity_mark(s), rule.id()),
                        severity_style(s),
                    ),
                    Span::styled(format!("{} · {n}", s.as_str()), theme::muted()),
                ])
            }
            Row::Item { finding, id } => {
                let Some(f) = self.findings.get(finding) else {
                    return Line::raw("");
                };
                let id_text = f.ids.get(id).map_or("(not saved)", String::as_str);
                let short: String = id_text.chars().take(8).collect();
                let scope = self
                    .by_id
                    .get(id_text)
                    .and_then(|&i| self.scopes.get(i))
                    .map(describe)
                    .unwrap_or_default();
                let scope_w = (width.saturating_sub(14) / 2).clamp(10, 50);
                let msg_w = width.saturating_sub(14 + scope_w + 1);
                let message = if id == 0 {
                    strip_controls(&f.message).into_owned()
                } else {
                    "↳ same finding".to_string()
                };
                Line::from(vec![
                    Span::styled(format!("  {short:<9} "), theme::key()),
                    Span::raw(format!("{:<scope_w$} ", truncate(&scope, scope_w))),
                    Span::styled(truncate(&message, msg_w), theme::muted()),
                ])
            }
        }
    }
}

impl Screen for HealthScreen {
    fn name(&self) -> &'static str {
        HealthScreen::NAME
    }

    fn context(&self) -> Context {
        Context::Health
    }

    fn on_open(&mut self, ctx: &mut Ctx) {
        self.reload(ctx);
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        let h = self.body_height(ctx);
        let n = self.rows.len();
        match input {
            Input::Action(Action::Back) => ctx.close(),
            Input::Action(Action::Up) => self.scroll.move_by(-1, n, h),
            Input::Action(Action::Down) => self.scroll.move_by(1, n, h),
            Input::Action(Action::PageUp) => self.scroll.move_by(-(h.max(1) as isize), n, h),
            Input::Action(Action::PageDown) => self.scroll.move_by(h.max(1) as isize, n, h),
            Input::Action(Action::Top) => self.scroll.select(0, n, h),
            Input::Action(Action::Bottom) => self.scroll.select(n.saturating_sub(1), n, h),
            Input::Action(Action::Open) => self.open_selected(ctx),
            Input::Action(Action::Refresh) => self.reload(ctx),
            _ => {}
        }
    }

    fn on_api(&mut self, ev: &ApiEvent, ctx: &mut Ctx) {
        if !self.load.waits_for(ev.id) {
            return;
        }
        match &ev.result {
            Ok(ApiReply::Tracker(scopes)) => {
                self.load = Remote::Ready(());
                self.scopes = scopes.0.clone();
                self.by_id = index_by_id(&self.scopes);
                let findings = lint(&self.scopes, ctx.env.now);
                self.set_findings(findings);
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
        matches!(self.load, Remote::Ready(()))
            .then(|| crate::tui::fmt::plural(self.findings.len(), "finding", "findings"))
    }

    fn render(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let k = &env.keymap;
        let hints = if area.width >= 60 {
            // Enter opens a customization's row, not a rule's heading or an empty list.
            let on_item = matches!(self.rows.get(self.scroll.selected), Some(Row::Item { .. }));
            let mut items = vec![(Action::Refresh, "refresh"), (Action::Back, "back")];
            if on_item {
                items.insert(0, (Action::Open, "open"));
            }
            k.hints(&items)
        } else {
            String::new()
        };
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .title(self.title())
            .title_bottom(Line::from(hints).right_aligned());
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [head, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        let head_line = match &self.load {
            Remote::Loading(_) => {
                Line::raw(format!("{} loading the tracker…", env.spinner_glyph()))
            }
            Remote::Failed(e) => Line::styled(
                truncate(&format!("✗ cannot load the tracker: {e}"), 200),
                theme::error(),
            ),
            _ => Line::raw(""),
        };
        frame.render_widget(Paragraph::new(head_line), head);
        let height = body.height as usize;
        let lines: Vec<Line> = if matches!(self.load, Remote::Ready(())) && self.findings.is_empty()
        {
            vec![Line::styled(
                "✓ Nothing found: no rule has anything to say about this tracker.",
                Style::new().fg(theme::OK),
            )]
        } else {
            let mut scroll = self.scroll;
            scroll.fit(self.rows.len(), height);
            scroll
                .visible(self.rows.len(), height)
                .map(|i| {
                    let line = self.row_line(self.rows[i], body.width as usize);
                    if i == scroll.selected {
                        line.style(theme::selected())
                    } else {
                        line
                    }
                })
                .collect()
        };
        frame.render_widget(Paragraph::new(lines), body);
    }
}
