//! `i` on browse: import an NDJSON file, step by step.
//!
//! 1. **File**: a path with Tab completion, or one of the recent import files.
//! 2. **Validate**: the engine reads every line once (lines so far, lines per second);
//!    nothing is sent.
//! 3. **Review**: the invalid lines (line number, the start of the line, the reasons) and
//!    the targets that appear on more than one line. Skipped when there are none.
//! 4. **Strategy**: what happens to a line whose target is already stored.
//! 5. **Confirm**: the count of lines to send; on a production profile it must be typed.
//! 6. **Send**: chunks, lines, rate, ETA, retries; `c` or Esc asks, then cancels: the
//!    requests in flight finish and are recorded in the journal, the rest is `not_sent`.
//! 7. **Done**: every line's outcome counted, the report's path (one JSON object per line),
//!    and on a cancel how to resume.
//!
//! The engine runs in the worker ([`crate::tui::jobs`]); this screen only shows its steps.

use std::path::PathBuf;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use crate::api::model::ConflictStrategy;
use crate::import::{CancelToken, Counts, Event, ExistingMode, MAX_CHUNK_LINES, Outcome};
use crate::tui::fmt::bytes;
use crate::tui::jobs::{
    Finished, InvalidLine, MAX_INVALID_KEPT, Planned, ScanJob, SendJob, Shared,
};
use crate::tui::keys::{Action, Context};
use crate::tui::msg::{ApiEvent, ApiReply, ApiRequest, ImportReply, Remote};
use crate::tui::recent;
use crate::tui::screens::shell_quote;
use crate::tui::screens::{Ctx, Env, Input, Screen};
use crate::tui::widgets::list::Scroll;
use crate::tui::widgets::path_field::PathField;
use crate::tui::widgets::text_field::TextField;
use crate::tui::widgets::{theme, truncate, wrap};

mod done;
mod file;
mod review;
mod send;
#[cfg(test)]
mod tests;

use crate::tui::widgets::dialog;
use done::Done;
use file::ScanProgress;
use review::{Confirming, ReviewView};
use send::{Sending, render_cancel_question};

/// The strategies, in the order they are offered, with what each does to a line whose
/// target is already stored.
pub const STRATEGIES: [(ConflictStrategy, &str); 3] = [
    (
        ConflictStrategy::Raise,
        "reject the line and keep the stored one (the safe choice)",
    ),
    (
        ConflictStrategy::Ignore,
        "skip the line and keep the stored one as it is",
    ),
    (
        ConflictStrategy::Override,
        "replace the stored one with the line (its id and created_at stay)",
    ),
];

/// Requests in flight at once while sending (as `pinscope import --jobs`).
const CONCURRENCY: usize = 2;

/// Where the screen is, each step with what belongs to it alone. What several steps share
/// (the file, the plan, the chosen strategy, the job in flight) stays on the screen.
pub enum Step {
    /// The path is typed or picked; `error` says why the last one was not taken.
    File {
        error: Option<String>,
    },
    Validating(ScanProgress),
    Review(ReviewView),
    Strategy,
    Confirm(Box<Confirming>),
    Sending(Box<Sending>),
    Done(Box<Done>),
}

impl Step {
    /// The steps as the title shows them, in order.
    const LABELS: [&'static str; 7] = [
        "file", "validate", "review", "strategy", "confirm", "send", "done",
    ];

    fn index(&self) -> usize {
        match self {
            Step::File { .. } => 0,
            Step::Validating(_) => 1,
            Step::Review(_) => 2,
            Step::Strategy => 3,
            Step::Confirm(_) => 4,
            Step::Sending(_) => 5,
            Step::Done(_) => 6,
        }
    }

    pub fn label(&self) -> &'static str {
        Step::LABELS[self.index()]
    }
}

/// Which list the review shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Invalid,
    Duplicates,
}

/// The import screen.
pub struct ImportScreen {
    data_dir: Option<PathBuf>,
    recent: Vec<String>,
    recent_sel: Option<usize>,
    path: PathField,
    step: Step,
    /// The file as submitted, absolute.
    input: PathBuf,
    /// The scan or the send in progress.
    job: Remote<()>,
    cancel: Option<Shared<CancelToken>>,
    /// Invalid lines as validation reports them (the first [`MAX_INVALID_KEPT`]).
    invalid: Vec<InvalidLine>,
    planned: Option<Box<Planned>>,
    /// The chosen strategy's index in [`STRATEGIES`], kept when going back.
    strategy: usize,
    chunk_size: usize,
    /// The profile is production: the count must be typed to send.
    production_confirm: bool,
}

impl ImportScreen {
    pub const NAME: &'static str = "import";

    /// An import screen keeping its recent files and reports under `data_dir` (reports go
    /// next to the input when there is none). Reads the recent files' list.
    pub fn new(data_dir: Option<PathBuf>) -> ImportScreen {
        let recent = data_dir
            .as_deref()
            .map(|d| recent::IMPORTS.load(&d.join(recent::IMPORTS.file_name)))
            .unwrap_or_default();
        ImportScreen {
            data_dir,
            recent,
            recent_sel: None,
            path: PathField::new("path of an NDJSON file (Tab completes)"),
            step: Step::File { error: None },
            input: PathBuf::new(),
            job: Remote::Idle,
            cancel: None,
            invalid: Vec::new(),
            planned: None,
            strategy: 0,
            chunk_size: MAX_CHUNK_LINES,
            production_confirm: false,
        }
    }

    /// Sends at most `n` lines a request instead of 5000.
    pub fn with_chunk_size(mut self, n: usize) -> ImportScreen {
        self.chunk_size = n.clamp(1, MAX_CHUNK_LINES);
        self
    }

    pub fn step(&self) -> &Step {
        &self.step
    }

    fn strategy(&self) -> ConflictStrategy {
        STRATEGIES[self.strategy].0
    }

    fn recent_list(&self) -> Option<PathBuf> {
        self.data_dir
            .as_deref()
            .map(|d| d.join(recent::IMPORTS.file_name))
    }

    /// The file's name as shown.
    fn input_name(&self) -> String {
        self.input.display().to_string()
    }

    fn to_send(&self) -> u64 {
        self.planned.as_ref().map_or(0, |p| p.counts.to_send())
    }

    fn has_issues(&self) -> bool {
        self.planned
            .as_ref()
            .is_some_and(|p| p.counts.invalid > 0 || p.counts.duplicate_targets > 0)
    }

    fn on_reply(&mut self, r: &ImportReply) {
        match r {
            ImportReply::Event(e) => self.on_event(e),
            ImportReply::Invalid(lines) => {
                let room = MAX_INVALID_KEPT.saturating_sub(self.invalid.len());
                self.invalid.extend(lines.iter().take(room).cloned());
            }
            ImportReply::Planned(p) => {
                self.job = Remote::Ready(());
                if matches!(self.step, Step::Validating(_)) {
                    self.on_planned(p.clone());
                }
            }
            ImportReply::Finished(f) => {
                self.job = Remote::Ready(());
                self.step = Step::Done(Box::new(Done {
                    input: self.input.clone(),
                    finished: Some(f.clone()),
                    failed: None,
                    offset: 0,
                    quit_when_done: self.quit_when_done(),
                }));
            }
            ImportReply::Failed(why) => {
                self.job = Remote::Idle;
                self.step = match self.step {
                    Step::Validating(_) => Step::File {
                        error: Some(why.clone()),
                    },
                    _ => Step::Done(Box::new(Done {
                        input: self.input.clone(),
                        finished: None,
                        failed: Some(why.clone()),
                        offset: 0,
                        quit_when_done: self.quit_when_done(),
                    })),
                };
            }
        }
    }

    /// Ctrl-C confirmed a cancel of the send in progress: quit once it has ended.
    fn quit_when_done(&self) -> bool {
        match &self.step {
            Step::Sending(s) => s.quit_when_done,
            Step::Done(d) => d.quit_when_done,
            _ => false,
        }
    }

    fn title(&self, width: u16) -> Line<'static> {
        let mut spans = vec![Span::styled(" Import ", theme::title())];
        if width >= 70 {
            for (i, label) in Step::LABELS.iter().enumerate() {
                if i > 0 {
                    spans.push(Span::styled("› ", theme::muted()));
                }
                if i == self.step.index() {
                    spans.push(Span::styled(format!("[{label}] "), theme::key()));
                } else {
                    spans.push(Span::styled(format!("{label} "), theme::muted()));
                }
            }
        } else {
            spans.push(Span::styled(
                format!("· {} ", self.step.label()),
                theme::key(),
            ));
        }
        Line::from(spans)
    }

    /// The keys of the step, most important first; as many as fit in `width`.
    fn hints(&self, env: &Env, width: u16) -> String {
        let k = &env.keymap;
        let pair = |a: Action, b: Action| format!("{}/{}", k.hint(a), k.hint(b));
        let both_lists = self
            .planned
            .as_ref()
            .is_some_and(|p| p.counts.invalid > 0 && p.counts.duplicate_targets > 0);
        let items: Vec<(String, &str)> = match &self.step {
            Step::File { .. } => {
                let mut v = vec![
                    (k.hint(Action::Confirm), "validate"),
                    (k.hint(Action::Back), "close"),
                    (k.hint(Action::Complete), "complete"),
                ];
                // Up and Down walk the recent files: only when there are some.
                if !self.recent.is_empty() {
                    v.push((pair(Action::Up, Action::Down), "recent"));
                }
                v
            }
            Step::Validating(_) => vec![(k.hint(Action::Back), "stop")],
            Step::Review(_) => {
                let mut v = Vec::new();
                // With nothing to send, Enter goes nowhere.
                if self.to_send() > 0 {
                    v.push((k.hint(Action::Confirm), "continue"));
                }
                v.push((k.hint(Action::Back), "back"));
                // Tab switches only between two lists.
                if both_lists {
                    v.push((k.hint(Action::NextField), "switch list"));
                }
                v
            }
            Step::Strategy => vec![
                (k.hint(Action::Confirm), "continue"),
                (k.hint(Action::Back), "back"),
                (pair(Action::Up, Action::Down), "choose"),
            ],
            Step::Confirm(_) => vec![
                (k.hint(Action::Confirm), "send"),
                (k.hint(Action::Back), "back"),
            ],
            Step::Sending(s) if s.cancelling => Vec::new(),
            // The question is open: its keys, not the ones that open it.
            Step::Sending(s) if s.asking_cancel => vec![
                (k.hint(Action::Confirm), "cancel it"),
                (k.hint(Action::Back), "keep going"),
            ],
            Step::Sending(_) => vec![(pair(Action::Cancel, Action::Back), "cancel")],
            Step::Done(_) => vec![(k.hint(Action::Back), "close")],
        };
        let room = (width as usize).saturating_sub(4);
        let mut out = String::new();
        for (key, what) in items {
            let piece = if out.is_empty() {
                format!(" {key} {what} ")
            } else {
                format!("· {key} {what} ")
            };
            if unicode_width::UnicodeWidthStr::width(format!("{out}{piece}").as_str()) > room {
                break;
            }
            out.push_str(&piece);
        }
        out
    }
}

impl Screen for ImportScreen {
    fn name(&self) -> &'static str {
        ImportScreen::NAME
    }

    fn context(&self) -> Context {
        match &self.step {
            Step::File { .. } => Context::ImportFile,
            Step::Validating(_) => Context::ImportRunning,
            Step::Review(_) => Context::ImportReview,
            Step::Strategy => Context::ImportStrategy,
            Step::Confirm(_) if self.production_confirm => Context::ImportTyped,
            Step::Confirm(_) => Context::ImportAsk,
            Step::Sending(s) if s.asking_cancel => Context::ImportAsk,
            Step::Sending(_) => Context::ImportRunning,
            Step::Done(_) => Context::ImportDone,
        }
    }

    fn on_open(&mut self, ctx: &mut Ctx) {
        self.production_confirm = ctx.env.profile.production;
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        match &self.step {
            Step::File { .. } => self.on_file_input(input, ctx),
            Step::Validating(_) => {
                if matches!(input, Input::Action(Action::Back | Action::Cancel)) {
                    self.stop_validation(ctx);
                }
            }
            Step::Review(_) => self.on_review_input(input, ctx),
            Step::Strategy => self.on_strategy_input(input, ctx),
            Step::Confirm(_) => self.on_confirm_input(input, ctx),
            Step::Sending(_) => self.on_sending_input(input),
            Step::Done(_) => self.on_done_input(input, ctx),
        }
    }

    /// Ctrl-C while sending asks as `c` does; a second one cancels, and pinscope quits
    /// once the requests in flight have finished and the report is written. Later ones
    /// say what is being waited for: quitting sooner would lose the outcomes of requests
    /// the service may already have applied, and the journal and report with them.
    fn on_interrupt(&mut self, ctx: &mut Ctx) -> bool {
        let Step::Sending(s) = &mut self.step else {
            return false;
        };
        if s.cancelling {
            s.quit_when_done = true;
            ctx.toast(format!(
                "{}; pinscope quits when they end, with the journal and the report written",
                s.finishing()
            ));
        } else if s.asking_cancel {
            s.quit_when_done = true;
            self.cancel_send();
        } else {
            s.asking_cancel = true;
        }
        true
    }

    fn on_paste(&mut self, text: &str, _ctx: &mut Ctx) {
        match &mut self.step {
            Step::File { error } => {
                self.path.set_value("");
                self.path.paste(text);
                *error = None;
                self.recent_sel = None;
            }
            Step::Confirm(c) => {
                c.typed.paste(text);
                c.typed_wrong = false;
            }
            _ => {}
        }
    }

    fn on_api(&mut self, ev: &ApiEvent, ctx: &mut Ctx) {
        if !self.job.waits_for(ev.id) {
            return;
        }
        match &ev.result {
            Ok(ApiReply::Import(r)) => self.on_reply(r),
            Ok(_) => {}
            Err(e) => self.on_reply(&ImportReply::Failed(e.to_string())),
        }
        if let Step::Done(done) = &self.step {
            if let Some(cmd) = done.resume_command(ctx.env) {
                ctx.note_on_exit(
                    "import-resume",
                    format!(
                        "The import of {} was not finished; to continue it, run:\n  {cmd}",
                        self.input_name()
                    ),
                );
            }
            if done.quit_when_done {
                ctx.quit();
            }
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, env: &Env) {
        frame.render_widget(Clear, area);
        let block = frame_block()
            .title(self.title(area.width))
            .title_bottom(Line::from(self.hints(env, area.width)).right_aligned());
        let inner = block.inner(area);
        frame.render_widget(block, area);
        match &self.step {
            Step::File { error } => self.render_file(frame, inner, env, error.as_deref()),
            Step::Validating(scanned) => self.render_validating(frame, inner, scanned),
            Step::Review(view) => self.render_review(frame, area, env, view),
            Step::Strategy => self.render_strategy(frame, inner),
            Step::Confirm(c) => self.render_confirm(frame, inner, env, c),
            Step::Sending(s) => {
                s.render(frame, inner, env);
                if s.asking_cancel {
                    render_cancel_question(frame, area, env);
                }
            }
            Step::Done(done) => done.render(frame, inner, env, area.width),
        }
    }
}

fn frame_block() -> Block<'static> {
    Block::bordered().border_type(BorderType::Rounded)
}

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// `1h 02m`, `3m 05s`, `12s`.
fn duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h {:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// A label and a value, the value cut into lines of the width left.
fn field_lines(label: &str, value: &str, width: u16, style: Style) -> Vec<Line<'static>> {
    let pad = 10;
    let room = (width as usize).saturating_sub(pad + 1).max(8);
    let mut out = Vec::new();
    for (i, piece) in wrap(value, room).into_iter().enumerate() {
        let head = if i == 0 { label } else { "" };
        out.push(Line::from(vec![
            Span::styled(format!(" {head:<w$}", w = pad - 1), theme::label()),
            Span::styled(piece, style),
        ]));
    }
    if out.is_empty() {
        out.push(Line::styled(format!(" {label}"), theme::label()));
    }
    out
}

fn field_line(label: &str, value: &str) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!(" {label:<9}"), theme::label()),
        Span::raw(value.to_string()),
    ])
}

/// Cuts a line of spans to `width` columns.
fn truncate_line(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    let mut left = width;
    let mut spans = Vec::new();
    for s in line.spans {
        if left == 0 {
            break;
        }
        let w = s.width();
        if w <= left {
            left -= w;
            spans.push(s);
        } else {
            spans.push(Span::styled(truncate(&s.content, left), s.style));
            left = 0;
        }
    }
    Line::from(spans)
}
