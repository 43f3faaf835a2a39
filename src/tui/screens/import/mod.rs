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
use ratatui::widgets::{Block, BorderType, Clear, Gauge, Paragraph};

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
use file::ScanProgress;
use send::{SendProgress, render_cancel_question};

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

/// Where the screen is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    File,
    Validating,
    Review,
    Strategy,
    Confirm,
    Sending,
    Done,
}

impl Step {
    const SHOWN: [(Step, &'static str); 7] = [
        (Step::File, "file"),
        (Step::Validating, "validate"),
        (Step::Review, "review"),
        (Step::Strategy, "strategy"),
        (Step::Confirm, "confirm"),
        (Step::Sending, "send"),
        (Step::Done, "done"),
    ];

    fn label(self) -> &'static str {
        Step::SHOWN
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("", |(_, l)| l)
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
    file_error: Option<String>,
    step: Step,
    /// The file as submitted, absolute.
    input: PathBuf,
    /// The scan or the send in progress.
    job: Remote<()>,
    cancel: Option<Shared<CancelToken>>,
    scanned: ScanProgress,
    invalid: Vec<InvalidLine>,
    planned: Option<Box<Planned>>,
    section: Section,
    invalid_scroll: Scroll,
    dup_scroll: Scroll,
    strategy: usize,
    typed: TextField,
    typed_wrong: bool,
    report: Option<PathBuf>,
    journal: Option<PathBuf>,
    sending: SendProgress,
    asking_cancel: bool,
    cancelling: bool,
    /// Ctrl-C confirmed the cancel: quit once the requests in flight have finished.
    quit_when_done: bool,
    finished: Option<Box<Finished>>,
    failed: Option<String>,
    done_offset: usize,
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
            file_error: None,
            step: Step::File,
            input: PathBuf::new(),
            job: Remote::Idle,
            cancel: None,
            scanned: ScanProgress::default(),
            invalid: Vec::new(),
            planned: None,
            section: Section::Invalid,
            invalid_scroll: Scroll::default(),
            dup_scroll: Scroll::default(),
            strategy: 0,
            typed: TextField::new(""),
            typed_wrong: false,
            report: None,
            journal: None,
            sending: SendProgress::default(),
            asking_cancel: false,
            cancelling: false,
            quit_when_done: false,
            finished: None,
            failed: None,
            done_offset: 0,
            chunk_size: MAX_CHUNK_LINES,
            production_confirm: false,
        }
    }

    /// Sends at most `n` lines a request instead of 5000.
    pub fn with_chunk_size(mut self, n: usize) -> ImportScreen {
        self.chunk_size = n.clamp(1, MAX_CHUNK_LINES);
        self
    }

    pub fn step(&self) -> Step {
        self.step
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
                if self.step == Step::Validating {
                    self.on_planned(p.clone());
                }
            }
            ImportReply::Finished(f) => {
                self.job = Remote::Ready(());
                self.finished = Some(f.clone());
                self.asking_cancel = false;
                self.done_offset = 0;
                self.step = Step::Done;
            }
            ImportReply::Failed(why) => {
                self.job = Remote::Idle;
                match self.step {
                    Step::Validating => {
                        self.step = Step::File;
                        self.file_error = Some(why.clone());
                    }
                    _ => {
                        self.failed = Some(why.clone());
                        self.asking_cancel = false;
                        self.step = Step::Done;
                    }
                }
            }
        }
    }

    fn title(&self, width: u16) -> Line<'static> {
        let mut spans = vec![Span::styled(" Import ", theme::title())];
        if width >= 70 {
            for (i, (s, label)) in Step::SHOWN.iter().enumerate() {
                if i > 0 {
                    spans.push(Span::styled("› ", theme::muted()));
                }
                if *s == self.step {
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
        let items: Vec<(String, &str)> = match self.step {
            Step::File => {
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
            Step::Validating => vec![(k.hint(Action::Back), "stop")],
            Step::Review => {
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
            Step::Confirm => vec![
                (k.hint(Action::Confirm), "send"),
                (k.hint(Action::Back), "back"),
            ],
            Step::Sending if self.cancelling => Vec::new(),
            // The question is open: its keys, not the ones that open it.
            Step::Sending if self.asking_cancel => vec![
                (k.hint(Action::Confirm), "cancel it"),
                (k.hint(Action::Back), "keep going"),
            ],
            Step::Sending => vec![(pair(Action::Cancel, Action::Back), "cancel")],
            Step::Done => vec![(k.hint(Action::Back), "close")],
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
        match self.step {
            Step::File => Context::ImportFile,
            Step::Validating => Context::ImportRunning,
            Step::Review => Context::ImportReview,
            Step::Strategy => Context::ImportStrategy,
            Step::Confirm if self.production_confirm => Context::ImportTyped,
            Step::Confirm => Context::ImportAsk,
            Step::Sending if self.asking_cancel => Context::ImportAsk,
            Step::Sending => Context::ImportRunning,
            Step::Done => Context::ImportDone,
        }
    }

    fn on_open(&mut self, ctx: &mut Ctx) {
        self.production_confirm = ctx.env.profile.production;
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        match self.step {
            Step::File => self.on_file_input(input, ctx),
            Step::Validating => {
                if matches!(input, Input::Action(Action::Back | Action::Cancel)) {
                    self.stop_validation(ctx);
                }
            }
            Step::Review => self.on_review_input(input, ctx),
            Step::Strategy => self.on_strategy_input(input, ctx),
            Step::Confirm => self.on_confirm_input(input, ctx),
            Step::Sending => self.on_sending_input(input),
            Step::Done => self.on_done_input(input, ctx),
        }
    }

    /// Ctrl-C while sending asks as `c` does; a second one cancels, and pinscope quits
    /// once the requests in flight have finished and the report is written. Later ones
    /// say what is being waited for: quitting sooner would lose the outcomes of requests
    /// the service may already have applied, and the journal and report with them.
    fn on_interrupt(&mut self, ctx: &mut Ctx) -> bool {
        if self.step != Step::Sending {
            return false;
        }
        if self.cancelling {
            self.quit_when_done = true;
            ctx.toast(format!(
                "{}; pinscope quits when they end, with the journal and the report written",
                self.finishing()
            ));
        } else if self.asking_cancel {
            self.cancel_send();
            self.quit_when_done = true;
        } else {
            self.asking_cancel = true;
        }
        true
    }

    fn on_paste(&mut self, text: &str, _ctx: &mut Ctx) {
        match self.step {
            Step::File => {
                self.path.set_value("");
                self.path.paste(text);
                self.file_error = None;
                self.recent_sel = None;
            }
            Step::Confirm => {
                self.typed.paste(text);
                self.typed_wrong = false;
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
        if self.step == Step::Done {
            if let Some(cmd) = self.resume_command(ctx.env) {
                ctx.note_on_exit(
                    "import-resume",
                    format!(
                        "The import of {} was not finished; to continue it, run:\n  {cmd}",
                        self.input_name()
                    ),
                );
            }
            if self.quit_when_done {
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
        match self.step {
            Step::File => self.render_file(frame, inner, env),
            Step::Validating => self.render_validating(frame, inner),
            Step::Review => self.render_review(frame, area, env),
            Step::Strategy => self.render_strategy(frame, inner),
            Step::Confirm => self.render_confirm(frame, inner, env),
            Step::Sending => self.render_sending(frame, inner, env),
            Step::Done => {
                let lines = self.done_lines(env, area.width);
                let max = lines.len().saturating_sub(inner.height as usize);
                let start = self.done_offset.min(max);
                let visible: Vec<Line> = lines.into_iter().skip(start).collect();
                frame.render_widget(Paragraph::new(visible), inner);
            }
        }
        if self.asking_cancel {
            render_cancel_question(frame, area, env);
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
