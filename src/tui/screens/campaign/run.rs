//! A plan, then its apply: the plan of a batch (from the change form) or of an undo (from
//! the history). The plan sends nothing: per customization the field-level diff, totals,
//! invalid ones with their reason. Enter asks (a production profile types the count, a
//! read-only one refuses), then applies with a progress view (done, rate, ETA, failures;
//! `c` / Esc / Ctrl-C cancel after asking, the requests in flight finish) and ends with
//! one outcome per customization.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use crate::api::ApiError;
use crate::batch::apply::{Cancel, Outcome, Report, Tick};
use crate::batch::{Action as PlanAction, ChangeSpec, PlanItem};
use crate::mirror::history::{OpKind, OpRow};
use crate::tui::batch_jobs::new_cancel;
use crate::tui::fmt::plural;
use crate::tui::keys::{Action, Context};
use crate::tui::msg::{
    ApiEvent, ApiReply, ApiRequest, ApplyJob, BatchReply, PlanJob, ReqId, Shared,
};
use crate::tui::screens::tracker::describe;
use crate::tui::screens::{Ctx, Env, Input, Route, Screen};
use crate::tui::widgets::text_field::TextField;
use crate::tui::widgets::{dialog, theme, truncate, wrap};

use super::form::BatchDraft;

/// Where the plan comes from.
enum Source {
    Batch {
        ids: Vec<String>,
        spec: Shared<ChangeSpec>,
        draft: BatchDraft,
    },
    Undo {
        op: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The plan is being made.
    Planning,
    /// The plan could not be made.
    Failed,
    /// The plan, nothing sent.
    Plan,
    /// Asking before writing.
    Ask,
    /// Typing the count (production).
    Typed,
    /// Applying.
    Running,
    /// The report.
    Done,
}

/// One line of the plan (or the report), by what it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    /// A note above the items (missing ids).
    Missing(usize),
    /// Item `i`'s header.
    Head(usize),
    /// Change `j` of item `i`.
    Change(usize, usize),
    /// Why item `i` is invalid, or changed on the service.
    Why(usize),
}

/// The plan and apply screen.
pub struct PlanRun {
    source: Source,
    stage: Stage,
    request: Option<ReqId>,
    error: Option<ApiError>,
    items: Shared<Vec<PlanItem>>,
    missing: Vec<String>,
    /// Undo: per item, why the service's version is not the one recorded.
    conflicts: Vec<Option<String>>,
    op: Option<OpRow>,
    include_changed: bool,
    rows: Vec<Row>,
    offset: usize,
    typed: TextField,
    typed_wrong: bool,
    tick: Option<Tick>,
    cancel: Option<Shared<Cancel>>,
    asking_cancel: bool,
    cancelling: bool,
    quit_when_done: bool,
    report: Option<Shared<Report>>,
}

/// `1h 02m`, `3m 05s`, `12s`.
fn seconds(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}h {:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

impl PlanRun {
    pub const NAME: &'static str = "plan";

    /// The plan of a batch over `ids`.
    pub fn batch(ids: Vec<String>, spec: Shared<ChangeSpec>, draft: BatchDraft) -> PlanRun {
        PlanRun::new(Source::Batch { ids, spec, draft })
    }

    /// The plan of the undo of operation `op`.
    pub fn undo(op: i64) -> PlanRun {
        PlanRun::new(Source::Undo { op })
    }

    fn new(source: Source) -> PlanRun {
        PlanRun {
            source,
            stage: Stage::Planning,
            request: None,
            error: None,
            items: Shared::new(Vec::new()),
            missing: Vec::new(),
            conflicts: Vec::new(),
            op: None,
            include_changed: false,
            rows: Vec::new(),
            offset: 0,
            typed: TextField::new("the count"),
            typed_wrong: false,
            tick: None,
            cancel: None,
            asking_cancel: false,
            cancelling: false,
            quit_when_done: false,
            report: None,
        }
    }

    fn is_undo(&self) -> bool {
        matches!(self.source, Source::Undo { .. })
    }

    fn ask_for_plan(&mut self, ctx: &mut Ctx) {
        self.stage = Stage::Planning;
        self.error = None;
        let req = match &self.source {
            Source::Batch { ids, spec, .. } => ApiRequest::BatchPlan(PlanJob {
                ids: ids.clone(),
                spec: spec.clone(),
            }),
            Source::Undo { op } => ApiRequest::UndoPlan(*op),
        };
        self.request = Some(ctx.request(req));
    }

    fn set_items(&mut self, items: Shared<Vec<PlanItem>>) {
        self.items = items;
        self.rows.clear();
        self.rows
            .extend((0..self.missing.len().min(20)).map(Row::Missing));
        for (i, it) in self.items.iter().enumerate() {
            self.rows.push(Row::Head(i));
            if matches!(it.action, PlanAction::Invalid { .. })
                || self.conflicts.get(i).is_some_and(Option::is_some)
            {
                self.rows.push(Row::Why(i));
            }
            if !matches!(it.action, PlanAction::Unchanged) {
                self.rows
                    .extend((0..it.changes.len()).map(|j| Row::Change(i, j)));
            }
        }
        self.offset = 0;
        self.stage = Stage::Plan;
    }

    fn changed_since(&self, i: usize) -> bool {
        self.conflicts.get(i).is_some_and(Option::is_some)
    }

    /// How many requests (besides the fetches) applying sends.
    fn writes(&self) -> usize {
        self.items
            .iter()
            .enumerate()
            .filter(|(i, it)| {
                it.action.is_write() && (self.include_changed || !self.changed_since(*i))
            })
            .count()
    }

    fn totals_line(&self) -> String {
        let t = crate::batch::Totals::of(&self.items);
        let mut s = if self.is_undo() {
            t.undo_sentence()
        } else {
            t.sentence()
        };
        if self.is_undo() {
            let changed = self.conflicts.iter().filter(|c| c.is_some()).count();
            if changed > 0 {
                s.push_str(&format!(
                    "; {} changed on the service since ({})",
                    changed,
                    if self.include_changed {
                        "overwritten"
                    } else {
                        "skipped"
                    }
                ));
            }
        }
        if !self.missing.is_empty() {
            s.push_str(&format!(
                "; {} not found",
                plural(self.missing.len(), "id", "ids")
            ));
        }
        s
    }

    fn body_height(area: Rect) -> usize {
        area.height.saturating_sub(5) as usize
    }

    fn scroll(&mut self, delta: isize) {
        let len = match self.stage {
            Stage::Done => self.report.as_ref().map_or(0, |r| r.items.len()),
            _ => self.rows.len(),
        };
        // Rows may wrap: it scrolls until the last one is the first shown.
        let max = len.saturating_sub(1);
        self.offset = self.offset.saturating_add_signed(delta).min(max);
    }

    fn start(&mut self, ctx: &mut Ctx) {
        let (kind, summary) = match &self.source {
            Source::Batch { spec, .. } => (OpKind::Batch, spec.describe()),
            Source::Undo { op } => {
                let about = self
                    .op
                    .as_ref()
                    .map(|o| format!(" ({} {})", o.kind.as_str(), o.summary))
                    .unwrap_or_default();
                (OpKind::Undo, format!("undo of {op}{about}"))
            }
        };
        let cancel = new_cancel();
        self.cancel = Some(cancel.clone());
        self.tick = None;
        self.asking_cancel = false;
        self.cancelling = false;
        self.offset = 0;
        self.stage = Stage::Running;
        self.request = Some(ctx.request(ApiRequest::BatchApply(ApplyJob {
            items: self.items.clone(),
            kind,
            summary,
            concurrency: crate::batch::DEFAULT_CONCURRENCY,
            overwrite: self.include_changed,
            cancel,
        })));
    }

    fn confirm_plan(&mut self, ctx: &mut Ctx) {
        if ctx.env.profile.read_only {
            ctx.toast_error(format!(
                "Profile {} is read-only: nothing is sent",
                ctx.env.profile.label
            ));
            return;
        }
        if self.writes() == 0 {
            ctx.toast_error("Nothing to send: the plan writes nothing");
            return;
        }
        if ctx.env.profile.production {
            self.typed.clear();
            self.typed.set_focused(true);
            self.typed_wrong = false;
            self.stage = Stage::Typed;
        } else {
            self.stage = Stage::Ask;
        }
    }

    fn ask_cancel(&mut self) {
        if !self.cancelling {
            self.asking_cancel = true;
        }
    }

    fn do_cancel(&mut self) {
        if let Some(c) = &self.cancel {
            c.cancel();
        }
        self.asking_cancel = false;
        self.cancelling = true;
    }

    fn back_from_plan(&mut self, ctx: &mut Ctx) {
        match &self.source {
            Source::Batch { ids, draft, .. } => ctx.replace(Route::Batch {
                ids: ids.clone(),
                draft: Some(draft.clone()),
            }),
            Source::Undo { .. } => ctx.close(),
        }
    }

    fn item_head(&self, i: usize, width: usize) -> Line<'static> {
        let Some(it) = self.items.get(i) else {
            return Line::raw("");
        };
        let undo = self.is_undo();
        let (mark, words, style) = match &it.action {
            PlanAction::Update(_) if undo => ("~", "put back".to_string(), theme::label()),
            PlanAction::Update(_) if it.pins_changed > 0 => (
                "~",
                format!("update ({})", plural(it.pins_changed, "pin", "pins")),
                theme::label(),
            ),
            PlanAction::Update(_) => ("~", "update".to_string(), theme::label()),
            PlanAction::Delete if undo => (
                "-",
                "delete (the operation created it)".to_string(),
                theme::error(),
            ),
            PlanAction::Delete => ("-", "delete".to_string(), theme::error()),
            PlanAction::Create(_) => (
                "+",
                "create again (the id will be new)".to_string(),
                Style::new().fg(theme::OK),
            ),
            PlanAction::Unchanged => ("=", "unchanged".to_string(), theme::muted()),
            PlanAction::Invalid { .. } => ("✗", "invalid, not sent".to_string(), theme::error()),
        };
        let (mark, style) = if self.changed_since(i) && !self.include_changed {
            ("⚠", Style::new().fg(theme::WARN))
        } else {
            (mark, style)
        };
        let short: String = it.id.chars().take(8).collect();
        let what = describe(&it.before);
        let head = format!("{mark} {short} {words} · ");
        let room = width.saturating_sub(head.chars().count());
        Line::from(vec![
            Span::styled(format!("{mark} "), style),
            Span::styled(format!("{short} "), theme::key()),
            Span::styled(words, style),
            Span::styled(" · ", theme::muted()),
            Span::raw(truncate(&what, room)),
        ])
    }

    /// The lines of one plan row: a change or a reason wraps (a value is never cut), its
    /// continuation indented.
    fn row_lines(&self, row: Row, width: usize) -> Vec<Line<'static>> {
        let wrapped = |text: &str, style: Style| -> Vec<Line<'static>> {
            let text = crate::api::text::strip_controls(text).into_owned();
            wrap(&text, width.saturating_sub(6).max(8))
                .into_iter()
                .enumerate()
                .map(|(k, part)| {
                    let indent = if k == 0 { "    " } else { "      " };
                    Line::styled(format!("{indent}{part}"), style)
                })
                .collect()
        };
        match row {
            Row::Missing(i) => vec![Line::styled(
                truncate(
                    &format!(
                        "? {} not found (neither in the mirror nor on the service)",
                        self.missing.get(i).map_or("", String::as_str)
                    ),
                    width,
                ),
                Style::new().fg(theme::WARN),
            )],
            Row::Head(i) => vec![self.item_head(i, width)],
            Row::Change(i, j) => match self.items.get(i).and_then(|it| it.changes.get(j)) {
                Some(c) => wrapped(&c.to_string(), theme::change(c)),
                None => Vec::new(),
            },
            Row::Why(i) => {
                let why = match (
                    self.items.get(i).map(|it| &it.action),
                    self.conflicts.get(i),
                ) {
                    (Some(PlanAction::Invalid { reason, .. }), _) => reason.clone(),
                    (_, Some(Some(r))) if self.include_changed => {
                        format!("{r}: will be overwritten")
                    }
                    (_, Some(Some(r))) => format!("{r}: skipped (f includes it)"),
                    _ => String::new(),
                };
                wrapped(&why, Style::new().fg(theme::WARN))
            }
        }
    }

    fn render_plan(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let w = area.width as usize;
        let mut lines = Vec::new();
        match self.stage {
            Stage::Planning => lines.push(Line::raw(format!(
                "{} planning… (nothing is sent)",
                env.spinner_glyph()
            ))),
            Stage::Failed => {
                let e = self
                    .error
                    .as_ref()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                lines.extend(
                    wrap(&format!("✗ cannot plan: {e}"), w)
                        .into_iter()
                        .take(4)
                        .map(|l| Line::styled(l, theme::error())),
                );
                lines.push(Line::styled(
                    format!("{} retries", env.keymap.hint(Action::Retry)),
                    theme::muted(),
                ));
            }
            _ => {
                lines.extend(
                    wrap(&self.totals_line(), w)
                        .into_iter()
                        .take(3)
                        .map(|l| Line::styled(l, theme::label())),
                );
                let (second, style) = if env.profile.read_only {
                    (
                        format!(
                            "Profile {} is read-only: this plan cannot be applied",
                            env.profile.label
                        ),
                        theme::error(),
                    )
                } else {
                    let text = if w >= 80 {
                        "Nothing has been sent; each one is checked against the service before \
                         it is written."
                    } else {
                        "Nothing has been sent yet."
                    };
                    (text.to_string(), theme::muted())
                };
                lines.extend(
                    wrap(&second, w)
                        .into_iter()
                        .take(2)
                        .map(|l| Line::styled(l, style)),
                );
            }
        }
        let [head, body] =
            Layout::vertical([Constraint::Length(lines.len() as u16), Constraint::Min(0)])
                .areas(area);
        frame.render_widget(Paragraph::new(lines), head);
        if matches!(self.stage, Stage::Planning | Stage::Failed) {
            return;
        }
        let height = body.height as usize;
        let offset = self.offset.min(self.rows.len().saturating_sub(1));
        let mut lines: Vec<Line> = Vec::with_capacity(height);
        for r in self.rows.iter().skip(offset) {
            if lines.len() >= height {
                break;
            }
            lines.extend(self.row_lines(*r, w));
        }
        lines.truncate(height);
        frame.render_widget(Paragraph::new(lines), body);
    }

    fn render_running(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let [head, gauge, rest] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(area);
        let w = area.width as usize;
        let total = self.items.len();
        let what = if self.is_undo() {
            "Undoing"
        } else {
            "Applying"
        };
        let head_text = if self.cancelling {
            format!(
                "{} cancelling: finishing the requests in flight…",
                env.spinner_glyph()
            )
        } else {
            format!(
                "{} {what} {}",
                env.spinner_glyph(),
                plural(total, "customization", "customizations")
            )
        };
        frame.render_widget(Paragraph::new(Line::raw(truncate(&head_text, w))), head);
        let t = self.tick.unwrap_or(Tick {
            done: 0,
            total,
            failed: 0,
            elapsed: 0.0,
        });
        frame.render_widget(theme::gauge(t.done as u64, t.total as u64), gauge);
        let eta = match t.eta() {
            Some(s) if t.done < t.total => format!(" · ETA {}", seconds(s)),
            _ => String::new(),
        };
        let field = |label: &str, value: String| {
            Line::from(vec![
                Span::styled(format!("{label:<9}"), theme::label()),
                Span::raw(truncate(&value, w.saturating_sub(9))),
            ])
        };
        let lines = vec![
            Line::raw(""),
            field("done", format!("{} of {}", t.done, t.total)),
            field(
                "rate",
                if t.done == 0 {
                    "measured after the first one".to_string()
                } else {
                    format!("{:.1}/s{eta}", t.rate())
                },
            ),
            Line::from(vec![
                Span::styled(format!("{:<9}", "failures"), theme::label()),
                Span::styled(
                    format!("{} (skipped or failed so far)", t.failed),
                    if t.failed > 0 {
                        Style::new().fg(theme::WARN)
                    } else {
                        Style::new()
                    },
                ),
            ]),
        ];
        frame.render_widget(Paragraph::new(lines), rest);
    }

    fn render_done(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let Some(report) = &self.report else {
            return;
        };
        let w = area.width as usize;
        let tone = if report.all_ok() {
            Style::new().fg(theme::OK)
        } else {
            Style::new().fg(theme::WARN)
        };
        let mark = if report.all_ok() { "✓" } else { "⚠" };
        let second = match report.op_id {
            Some(op) => format!(
                "Recorded as operation {op}: {} in browse opens the history, {} there undoes it.",
                env.keymap.hint(Action::History),
                env.keymap.hint(Action::Undo)
            ),
            None => match report.warnings.first() {
                Some(w) => format!("Not recorded: {w}"),
                None if report.items.iter().any(|i| {
                    matches!(
                        i.outcome,
                        Outcome::Updated | Outcome::Deleted | Outcome::Created
                    )
                }) =>
                {
                    "Not recorded: this session keeps no history.".to_string()
                }
                None => "Nothing was written, so nothing was recorded.".to_string(),
            },
        };
        let mut head_lines: Vec<Line> = wrap(&format!("{mark} {}", report.sentence()), w)
            .into_iter()
            .take(2)
            .map(|l| Line::styled(l, tone))
            .collect();
        head_lines.extend(
            wrap(&second, w)
                .into_iter()
                .take(2)
                .map(|l| Line::styled(l, theme::muted())),
        );
        let [head, body] = Layout::vertical([
            Constraint::Length(head_lines.len() as u16),
            Constraint::Min(0),
        ])
        .areas(area);
        frame.render_widget(Paragraph::new(head_lines), head);
        // One line an outcome; a reason or a new id follows on lines of its own, wrapped.
        let height = body.height as usize;
        let offset = self.offset.min(report.items.len().saturating_sub(1));
        let mut lines: Vec<Line> = Vec::with_capacity(height);
        for (i, r) in report.items.iter().enumerate().skip(offset) {
            if lines.len() >= height {
                break;
            }
            let style = match r.outcome {
                Outcome::Updated | Outcome::Deleted | Outcome::Created => {
                    Style::new().fg(theme::OK)
                }
                Outcome::Unchanged | Outcome::NotSent => theme::muted(),
                Outcome::ChangedOnServer => Style::new().fg(theme::WARN),
                Outcome::Failed => theme::error(),
            };
            let short: String = r.id.chars().take(8).collect();
            let what = self
                .items
                .get(i)
                .map(|it| describe(&it.before))
                .unwrap_or_default();
            let room = w.saturating_sub(27);
            lines.push(Line::from(vec![
                Span::styled(format!("{:<17} ", r.outcome.as_str()), style),
                Span::styled(format!("{short} "), theme::key()),
                Span::raw(truncate(&what, room)),
            ]));
            let mut notes = Vec::new();
            if let Some(n) = &r.new_id {
                notes.push(format!("new id {n}"));
            }
            if let Some(reason) = &r.reason {
                notes.push(crate::api::text::strip_controls(reason).into_owned());
            }
            for note in notes {
                for (k, part) in wrap(&note, w.saturating_sub(6).max(8))
                    .into_iter()
                    .enumerate()
                {
                    let indent = if k == 0 { "    " } else { "      " };
                    lines.push(Line::styled(format!("{indent}{part}"), theme::muted()));
                }
            }
        }
        lines.truncate(height);
        frame.render_widget(Paragraph::new(lines), body);
    }

    fn hints(&self, env: &Env) -> String {
        let k = &env.keymap;
        let ctx = self.context();
        let items: Vec<(Action, &str)> = match self.stage {
            Stage::Planning | Stage::Failed => vec![(Action::Back, "back")],
            Stage::Plan => {
                let mut v = Vec::new();
                if !env.profile.read_only && self.writes() > 0 {
                    v.push((Action::Confirm, "apply"));
                }
                if self.is_undo() && self.conflicts.iter().any(Option::is_some) {
                    v.push((
                        Action::IncludeChanged,
                        if self.include_changed {
                            "skip changed"
                        } else {
                            "include changed"
                        },
                    ));
                }
                v.push((Action::Down, "scroll"));
                v.push((Action::Back, "back"));
                v
            }
            Stage::Ask | Stage::Typed => vec![(Action::Confirm, "yes"), (Action::Back, "no")],
            Stage::Running if self.asking_cancel => {
                vec![(Action::Confirm, "cancel it"), (Action::Back, "keep going")]
            }
            Stage::Running if self.cancelling => Vec::new(),
            Stage::Running => vec![(Action::Cancel, "cancel")],
            Stage::Done => vec![(Action::Down, "scroll"), (Action::Back, "close")],
        };
        k.hints_in(ctx, &items)
    }

    fn render_dialog(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let (title, lines, border): (&str, Vec<Line>, Style) = match self.stage {
            Stage::Ask => {
                let n = self.writes();
                (
                    " Apply? ",
                    vec![
                        Line::raw(format!(
                            "Write {} on profile {}?",
                            plural(n, "customization", "customizations"),
                            env.profile.label
                        )),
                        Line::styled("Each is checked against the service first.", theme::muted()),
                    ],
                    Style::new().fg(theme::ACCENT),
                )
            }
            Stage::Typed => {
                let n = self.writes();
                let mut v = vec![
                    Line::styled(
                        format!("Profile {} is production.", env.profile.label),
                        theme::error(),
                    ),
                    Line::raw(format!("Type {n} to write {n}:")),
                    Line::raw(""),
                ];
                if self.typed_wrong {
                    v.push(Line::styled("That is not the count.", theme::error()));
                }
                (" Production ", v, theme::error())
            }
            Stage::Running if self.asking_cancel => (
                " Cancel? ",
                vec![
                    Line::raw("Stop after the requests in flight?"),
                    Line::styled("What is not sent yet ends not_sent.", theme::muted()),
                ],
                Style::new().fg(theme::WARN),
            ),
            _ => return,
        };
        let width = 52.min(area.width);
        let inner = dialog(
            frame,
            area,
            (width, lines.len() as u16 + 2),
            Span::styled(title, theme::title()),
            self.hints(env),
            border,
        );
        let w = inner.width as usize;
        let lines: Vec<Line> = lines
            .into_iter()
            .map(|l| {
                let style = l.style;
                Line::styled(truncate(&l.to_string(), w), style)
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
        if self.stage == Stage::Typed && inner.height >= 3 {
            self.typed.render(
                frame,
                Rect::new(inner.x, inner.y + 2, inner.width.min(20), 1),
                None,
            );
        }
    }
}

impl Screen for PlanRun {
    fn name(&self) -> &'static str {
        PlanRun::NAME
    }

    fn context(&self) -> Context {
        match self.stage {
            Stage::Planning | Stage::Failed | Stage::Plan if self.is_undo() => Context::UndoPlan,
            Stage::Planning | Stage::Failed | Stage::Plan => Context::BatchPlan,
            Stage::Ask => Context::BatchAsk,
            Stage::Typed => Context::BatchTyped,
            Stage::Running if self.asking_cancel => Context::BatchAsk,
            Stage::Running => Context::BatchRunning,
            Stage::Done => Context::BatchDone,
        }
    }

    fn on_open(&mut self, ctx: &mut Ctx) {
        self.ask_for_plan(ctx);
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        let h = PlanRun::body_height(ctx.area);
        let page = h.max(1) as isize;
        match (self.stage, input) {
            (Stage::Planning | Stage::Failed | Stage::Plan, Input::Action(Action::Back)) => {
                self.back_from_plan(ctx)
            }
            (Stage::Plan | Stage::Done, Input::Action(a)) if scrolls(a) => {
                let d = match a {
                    Action::Up => -1,
                    Action::Down => 1,
                    Action::PageUp => -page,
                    Action::PageDown => page,
                    Action::Top => isize::MIN / 2,
                    _ => isize::MAX / 2,
                };
                self.scroll(d);
            }
            (Stage::Plan, Input::Action(Action::Confirm)) => self.confirm_plan(ctx),
            (Stage::Plan, Input::Action(Action::IncludeChanged)) if self.is_undo() => {
                self.include_changed = !self.include_changed;
            }
            (Stage::Ask, Input::Action(Action::Confirm)) => self.start(ctx),
            (Stage::Ask | Stage::Typed, Input::Action(Action::Back)) => self.stage = Stage::Plan,
            (Stage::Typed, Input::Action(Action::Confirm)) => {
                if self.typed.value().trim() == self.writes().to_string() {
                    self.start(ctx);
                } else {
                    self.typed_wrong = true;
                }
            }
            (Stage::Typed, Input::Key(k)) => {
                self.typed.input(k);
                self.typed_wrong = false;
            }
            (Stage::Running, Input::Action(Action::Confirm)) if self.asking_cancel => {
                self.do_cancel()
            }
            (Stage::Running, Input::Action(Action::Back)) if self.asking_cancel => {
                self.asking_cancel = false
            }
            (Stage::Running, Input::Action(Action::Cancel | Action::Back)) => self.ask_cancel(),
            (Stage::Done, Input::Action(Action::Back)) => ctx.close(),
            _ => {}
        }
    }

    fn on_paste(&mut self, text: &str, _ctx: &mut Ctx) {
        if self.stage == Stage::Typed {
            self.typed.paste(text);
            self.typed_wrong = false;
        }
    }

    fn on_interrupt(&mut self, _ctx: &mut Ctx) -> bool {
        if self.stage != Stage::Running {
            return false;
        }
        if self.cancelling {
            self.quit_when_done = true;
        } else if self.asking_cancel {
            self.do_cancel();
            self.quit_when_done = true;
        } else {
            self.asking_cancel = true;
        }
        true
    }

    fn on_retry(&mut self, ctx: &mut Ctx) {
        if self.stage == Stage::Failed {
            self.ask_for_plan(ctx);
        }
    }

    fn on_api(&mut self, ev: &ApiEvent, ctx: &mut Ctx) {
        if self.request != Some(ev.id) {
            return;
        }
        match &ev.result {
            Ok(ApiReply::Batch(BatchReply::Planned(p))) => {
                self.missing = p.missing.clone();
                self.conflicts = Vec::new();
                self.set_items(Shared::new(p.plan.items.clone()));
            }
            Ok(ApiReply::Batch(BatchReply::UndoPlanned(u))) => {
                self.missing = Vec::new();
                self.conflicts = u.conflicts.clone();
                self.op = Some(u.op.clone());
                self.set_items(Shared::new(u.items.clone()));
            }
            Ok(ApiReply::Batch(BatchReply::Tick(t))) => self.tick = Some(*t),
            Ok(ApiReply::Batch(BatchReply::Applied(r))) => {
                self.report = Some(r.clone());
                self.stage = Stage::Done;
                self.asking_cancel = false;
                self.offset = 0;
                if self.quit_when_done {
                    ctx.quit();
                }
            }
            Ok(_) => {}
            Err(e) => {
                self.error = Some(e.clone());
                match self.stage {
                    Stage::Running => {
                        ctx.toast_error(format!("The apply stopped: {e}"));
                        self.stage = Stage::Plan;
                    }
                    _ => self.stage = Stage::Failed,
                }
            }
        }
    }

    fn counts(&self) -> Option<String> {
        match self.stage {
            Stage::Plan | Stage::Ask | Stage::Typed => Some(format!("{} to write", self.writes())),
            Stage::Running => self.tick.map(|t| format!("{} of {}", t.done, t.total)),
            _ => None,
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let title = match (&self.source, self.stage) {
            (Source::Undo { op }, Stage::Done) => format!(" Undo of operation {op}: report "),
            (Source::Undo { op }, Stage::Running) => format!(" Undo of operation {op} "),
            (Source::Undo { op }, _) => format!(" Undo of operation {op}: plan "),
            (Source::Batch { .. }, Stage::Done) => " Batch: report ".to_string(),
            (Source::Batch { .. }, Stage::Running) => " Batch: applying ".to_string(),
            (Source::Batch { .. }, _) => " Batch: plan ".to_string(),
        };
        let hints = if matches!(self.stage, Stage::Ask | Stage::Typed)
            || (self.stage == Stage::Running && self.asking_cancel)
        {
            String::new()
        } else {
            self.hints(env)
        };
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .title(Span::styled(title, theme::title()))
            .title_bottom(Line::from(hints).right_aligned());
        let inner = block.inner(area);
        frame.render_widget(block, area);
        match self.stage {
            Stage::Running => self.render_running(frame, inner, env),
            Stage::Done => self.render_done(frame, inner, env),
            _ => self.render_plan(frame, inner, env),
        }
        self.render_dialog(frame, area, env);
    }
}

fn scrolls(a: Action) -> bool {
    matches!(
        a,
        Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
    )
}
