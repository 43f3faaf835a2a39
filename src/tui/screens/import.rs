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

use crate::tui::widgets::dialog;
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

#[derive(Debug, Clone, Default)]
struct ScanProgress {
    lines: u64,
    bytes: u64,
    total_bytes: Option<u64>,
    rate: f64,
}

#[derive(Debug, Clone, Default)]
struct SendProgress {
    lines_total: u64,
    chunks_total: usize,
    chunks_done: usize,
    lines_done: u64,
    already_done: u64,
    rate: f64,
    eta: Option<std::time::Duration>,
    retries: u64,
    last_retry: Option<String>,
    counts: Counts,
    existing: Option<(ExistingMode, u64)>,
    /// Listing the stored targets before sending: read of total.
    listing: Option<(u64, u64)>,
    stopping: Option<String>,
    /// Chunks whose request went out and that are not settled yet.
    in_flight: std::collections::BTreeSet<usize>,
}

impl SendProgress {
    /// Still listing what is stored: nothing is sent yet.
    fn listing_now(&self) -> Option<(u64, u64)> {
        self.listing
            .filter(|(read, total)| read < total && self.existing.is_none())
    }
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

    // ----- file -----

    fn submit_file(&mut self, ctx: &mut Ctx) {
        let text = self.path.value().trim().to_string();
        if text.is_empty() {
            self.file_error = Some("Type the path of a file, or pick a recent one".into());
            return;
        }
        let path = self.path.path();
        self.input = std::path::absolute(&path).unwrap_or(path);
        let cancel = Shared::new(CancelToken::new());
        self.cancel = Some(cancel.clone());
        self.scanned = ScanProgress::default();
        self.invalid.clear();
        self.planned = None;
        self.file_error = None;
        let id = ctx.request(ApiRequest::ImportScan(ScanJob {
            path: self.input.clone(),
            cancel,
            remember_in: self.recent_list(),
        }));
        self.job = Remote::Loading(id);
        self.step = Step::Validating;
    }

    fn pick_recent(&mut self, delta: isize) {
        let n = self.recent.len();
        if n == 0 {
            return;
        }
        let next = match self.recent_sel {
            // Up or Down: the most recent first, as a shell's history.
            None => 0,
            Some(i) => {
                let j = i as isize + delta;
                if j < 0 {
                    self.recent_sel = None;
                    self.path.set_value("");
                    return;
                }
                (j as usize).min(n - 1)
            }
        };
        self.recent_sel = Some(next);
        if let Some(f) = self.recent.get(next) {
            self.path.set_value(f);
        }
        self.file_error = None;
    }

    fn on_file_input(&mut self, input: Input, ctx: &mut Ctx) {
        match input {
            Input::Action(Action::Back) => ctx.close(),
            Input::Action(Action::Confirm) => self.submit_file(ctx),
            Input::Action(Action::Complete) => {
                self.path.complete();
                self.recent_sel = None;
                self.file_error = None;
            }
            Input::Action(Action::Down) => self.pick_recent(1),
            Input::Action(Action::Up) => self.pick_recent(-1),
            Input::Key(k) => {
                if self.path.input(k) {
                    self.file_error = None;
                    self.recent_sel = None;
                }
            }
            Input::Action(_) => {}
        }
    }

    // ----- validation -----

    fn stop_validation(&mut self, ctx: &mut Ctx) {
        if let Some(c) = &self.cancel {
            c.cancel();
        }
        self.job = Remote::Idle;
        self.step = Step::File;
        ctx.toast("Validation stopped; nothing was sent");
    }

    fn on_planned(&mut self, planned: Box<Planned>) {
        let c = planned.counts;
        self.planned = Some(planned);
        if c.non_blank() == 0 {
            self.step = Step::File;
            self.file_error = Some(format!(
                "{} holds no customization (every line is blank)",
                self.input_name()
            ));
            return;
        }
        self.section = if c.invalid > 0 {
            Section::Invalid
        } else {
            Section::Duplicates
        };
        self.invalid_scroll = Scroll::default();
        self.dup_scroll = Scroll::default();
        self.step = if self.has_issues() {
            Step::Review
        } else {
            Step::Strategy
        };
    }

    // ----- review -----

    fn review_list_height(&self, area: Rect) -> usize {
        review_areas(area).list.height as usize
    }

    fn on_review_input(&mut self, input: Input, ctx: &mut Ctx) {
        let h = self.review_list_height(ctx.area);
        let sendable = self.to_send() > 0;
        let (scroll, len) = match self.section {
            Section::Invalid => (&mut self.invalid_scroll, self.invalid.len()),
            Section::Duplicates => (
                &mut self.dup_scroll,
                self.planned.as_ref().map_or(0, |p| p.duplicates.len()),
            ),
        };
        let page = h.max(1) as isize;
        match input {
            Input::Action(Action::Back) => self.step = Step::File,
            Input::Action(Action::Confirm) if sendable => self.step = Step::Strategy,
            Input::Action(Action::NextField | Action::PrevField) => {
                let p = self.planned.as_ref();
                let both =
                    p.is_some_and(|p| p.counts.invalid > 0 && p.counts.duplicate_targets > 0);
                if both {
                    self.section = match self.section {
                        Section::Invalid => Section::Duplicates,
                        Section::Duplicates => Section::Invalid,
                    };
                }
            }
            Input::Action(Action::Up) => scroll.move_by(-1, len, h),
            Input::Action(Action::Down) => scroll.move_by(1, len, h),
            Input::Action(Action::PageUp) => scroll.move_by(-page, len, h),
            Input::Action(Action::PageDown) => scroll.move_by(page, len, h),
            Input::Action(Action::Top) => scroll.select(0, len, h),
            Input::Action(Action::Bottom) => scroll.select(len.saturating_sub(1), len, h),
            _ => {}
        }
    }

    // ----- strategy and confirm -----

    fn on_strategy_input(&mut self, input: Input, ctx: &mut Ctx) {
        let n = STRATEGIES.len();
        match input {
            Input::Action(Action::Back) => {
                self.step = if self.has_issues() {
                    Step::Review
                } else {
                    Step::File
                };
            }
            Input::Action(Action::Up) => self.strategy = (self.strategy + n - 1) % n,
            Input::Action(Action::Down) => self.strategy = (self.strategy + 1) % n,
            Input::Action(Action::Confirm) => {
                let report = self.report_path(ctx.env.now, &ctx.env.tz);
                self.journal = crate::import::journal::default_path(&self.input, Some(&report));
                self.report = Some(report);
                self.typed.clear();
                self.typed_wrong = false;
                self.step = Step::Confirm;
            }
            _ => {}
        }
    }

    /// `DATA_DIR/imports/NAME-YYYYMMDD-HHMMSS.report.ndjson`, or beside the input when
    /// there is no data dir. A report (or its journal) that exists belongs to another import:
    /// a new run takes the next free name, `NAME-YYYYMMDD-HHMMSS-2.report.ndjson`...
    fn report_path(&self, now: Timestamp, tz: &TimeZone) -> PathBuf {
        let stamp = now.to_zoned_datetime(tz.clone()).strftime("%Y%m%d-%H%M%S");
        let stem = self.input.file_stem().map_or_else(
            || "import".to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        let at = |name: String| match &self.data_dir {
            Some(d) => d.join("imports").join(name),
            None => self.input.with_file_name(name),
        };
        let taken = |p: &PathBuf| {
            std::fs::symlink_metadata(p).is_ok()
                || crate::import::journal::default_path(&self.input, Some(p))
                    .is_some_and(|j| std::fs::symlink_metadata(j).is_ok())
        };
        let first = at(format!("{stem}-{stamp}.report.ndjson"));
        if !taken(&first) {
            return first;
        }
        (2..10_000)
            .map(|n| at(format!("{stem}-{stamp}-{n}.report.ndjson")))
            .find(|p| !taken(p))
            .unwrap_or(first)
    }

    fn on_confirm_input(&mut self, input: Input, ctx: &mut Ctx) {
        match input {
            Input::Action(Action::Back) => self.step = Step::Strategy,
            Input::Action(Action::Confirm) => {
                if ctx.env.profile.production {
                    let digits: String = self
                        .typed
                        .value()
                        .chars()
                        .filter(|c| !matches!(c, ',' | '_' | ' '))
                        .collect();
                    if digits != self.to_send().to_string() {
                        self.typed_wrong = true;
                        return;
                    }
                }
                self.start_send(ctx);
            }
            Input::Key(k) if self.typed.input(k) => self.typed_wrong = false,
            _ => {}
        }
    }

    fn start_send(&mut self, ctx: &mut Ctx) {
        let (Some(planned), Some(report)) = (&self.planned, &self.report) else {
            return;
        };
        let cancel = Shared::new(CancelToken::new());
        self.cancel = Some(cancel.clone());
        self.sending = SendProgress {
            chunks_total: planned.chunks_for(self.strategy()),
            lines_total: planned.counts.to_send(),
            ..SendProgress::default()
        };
        self.asking_cancel = false;
        self.cancelling = false;
        let id = ctx.request(ApiRequest::ImportSend(SendJob {
            plan: planned.plan.clone(),
            strategy: self.strategy(),
            chunk_size: self.chunk_size,
            concurrency: CONCURRENCY,
            report: report.clone(),
            journal: self.journal.clone(),
            cancel,
        }));
        self.job = Remote::Loading(id);
        self.step = Step::Sending;
    }

    // ----- sending -----

    fn cancel_send(&mut self) {
        if let Some(c) = &self.cancel {
            c.cancel();
        }
        self.cancelling = true;
        self.asking_cancel = false;
    }

    fn on_sending_input(&mut self, input: Input) {
        if self.asking_cancel {
            match input {
                Input::Action(Action::Confirm) => self.cancel_send(),
                Input::Action(Action::Back) => self.asking_cancel = false,
                _ => {}
            }
            return;
        }
        if matches!(input, Input::Action(Action::Cancel | Action::Back)) && !self.cancelling {
            self.asking_cancel = true;
        }
    }

    fn on_event(&mut self, e: &Event) {
        match (self.step, e) {
            (
                Step::Validating,
                Event::Validating {
                    lines,
                    bytes,
                    total_bytes,
                    lines_per_sec,
                },
            ) => {
                self.scanned = ScanProgress {
                    lines: *lines,
                    bytes: *bytes,
                    total_bytes: *total_bytes,
                    rate: *lines_per_sec,
                };
            }
            (
                Step::Sending,
                Event::Sending {
                    lines,
                    chunks,
                    already_done,
                },
            ) => {
                let s = &mut self.sending;
                s.lines_total = *lines;
                s.chunks_total = *chunks;
                s.already_done = *already_done;
                s.lines_done = *already_done;
            }
            (Step::Sending, Event::ChunkSent { chunk, .. }) => {
                self.sending.in_flight.insert(*chunk);
            }
            (Step::Sending, Event::ListingStored { read, total }) => {
                self.sending.listing = Some((*read, *total));
            }
            (Step::Sending, Event::CheckingTargets { mode, stored }) => {
                self.sending.existing = Some((*mode, *stored));
            }
            (
                Step::Sending,
                Event::Retry {
                    chunk,
                    attempt,
                    delay,
                    error,
                },
            ) => {
                // A retried chunk is still in flight.
                self.sending.in_flight.insert(*chunk);
                self.sending.retries += 1;
                self.sending.last_retry = Some(format!(
                    "chunk {}: {error}; try {} in {:.1}s",
                    chunk + 1,
                    attempt + 1,
                    delay.as_secs_f64()
                ));
            }
            (
                Step::Sending,
                Event::ChunkDone {
                    chunk,
                    counts,
                    lines_done,
                    lines_total,
                    lines_per_sec,
                    eta,
                },
            ) => {
                let s = &mut self.sending;
                s.in_flight.remove(chunk);
                s.chunks_done += 1;
                s.lines_done = *lines_done;
                s.lines_total = *lines_total;
                s.rate = *lines_per_sec;
                s.eta = *eta;
                s.counts.created += counts.created;
                s.counts.replaced += counts.replaced;
                s.counts.skipped += counts.skipped;
                s.counts.rejected += counts.rejected;
                s.counts.not_sent += counts.not_sent;
            }
            (Step::Sending, Event::Stopping { reason }) => {
                self.sending.stopping = Some(reason.clone());
            }
            _ => {}
        }
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

    // ----- done -----

    fn done_height(area: Rect) -> usize {
        frame_block().inner(area).height as usize
    }

    fn on_done_input(&mut self, input: Input, ctx: &mut Ctx) {
        let h = Self::done_height(ctx.area);
        let len = self.done_lines(ctx.env, ctx.area.width).len();
        let max = len.saturating_sub(h);
        let page = h.max(1);
        match input {
            Input::Action(Action::Back | Action::Confirm) => ctx.close(),
            Input::Action(Action::Up) => self.done_offset = self.done_offset.saturating_sub(1),
            Input::Action(Action::Down) => self.done_offset = (self.done_offset + 1).min(max),
            Input::Action(Action::PageUp) => {
                self.done_offset = self.done_offset.saturating_sub(page)
            }
            Input::Action(Action::PageDown) => {
                self.done_offset = (self.done_offset + page).min(max)
            }
            Input::Action(Action::Top) => self.done_offset = 0,
            Input::Action(Action::Bottom) => self.done_offset = max,
            _ => {}
        }
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

/// The areas of the review step, for drawing and for paging.
struct ReviewAreas {
    summary: Rect,
    tabs: Rect,
    header: Rect,
    list: Rect,
    detail: Rect,
}

fn review_areas(area: Rect) -> ReviewAreas {
    let inner = frame_block().inner(area);
    // The selected line's reasons stay in view on small terminals too (a shorter pane).
    let detail = if inner.height >= 16 {
        5
    } else if inner.height >= 8 {
        3
    } else {
        0
    };
    let [summary, tabs, header, list, detail] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(detail),
    ])
    .areas(inner);
    ReviewAreas {
        summary,
        tabs,
        header,
        list,
        detail,
    }
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

fn render_cancel_question(frame: &mut Frame, area: Rect, env: &Env) {
    let k = &env.keymap;
    let inner = dialog(
        frame,
        area,
        (62, 7),
        Span::styled(" Cancel the import? ", theme::title()),
        k.hints(&[(Action::Confirm, "cancel it"), (Action::Back, "keep going")]),
        Style::new().fg(theme::WARN),
    );
    let text = "The requests in flight finish and are recorded in the journal; \
                the lines not sent yet end as not_sent, and the import can be resumed.";
    frame.render_widget(
        Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }),
        inner,
    );
}

impl ImportScreen {
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

    fn render_file(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let [intro, field, feedback, list] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(3),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(Line::raw(truncate(
                " An NDJSON file: one customization a line. Nothing is sent before you confirm.",
                intro.width as usize,
            ))),
            intro,
        );
        let border = if self.file_error.is_some() {
            Style::new().fg(theme::ERROR)
        } else {
            Style::new()
        };
        let field = Rect {
            x: field.x + 1,
            width: field.width.saturating_sub(2),
            ..field
        };
        self.path.render(
            frame,
            field,
            Some(Block::bordered().border_style(border).title(" File ")),
        );
        let line = if let Some(e) = &self.file_error {
            Line::styled(
                truncate(&format!(" ✗ {e}"), feedback.width as usize),
                theme::error(),
            )
        } else if self.path.no_match() {
            Line::styled(" no file matches", theme::muted())
        } else {
            Line::raw("")
        };
        frame.render_widget(Paragraph::new(line), feedback);
        let width = list.width as usize;
        let mut lines = Vec::new();
        if !self.path.candidates().is_empty() {
            lines.push(Line::styled(
                format!(
                    " Matches ({}; type more and press {} again)",
                    self.path.candidates().len(),
                    env.keymap.hint(Action::Complete)
                ),
                theme::label(),
            ));
            for c in self.path.candidates() {
                lines.push(Line::raw(truncate(&format!("   {c}"), width)));
            }
        } else if !self.recent.is_empty() {
            lines.push(Line::styled(" Recent files", theme::label()));
            for (i, f) in self.recent.iter().enumerate() {
                let mut line = Line::raw(truncate(&format!("   {f}"), width));
                if self.recent_sel == Some(i) {
                    line = line.style(theme::selected());
                }
                lines.push(line);
            }
        }
        frame.render_widget(Paragraph::new(lines), list);
    }

    fn render_validating(&self, frame: &mut Frame, area: Rect) {
        let s = &self.scanned;
        let [head, gauge, rest] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(vec![
                Line::raw(truncate(
                    &format!(" Validating {}", self.input_name()),
                    head.width as usize,
                )),
                Line::styled(" Nothing is sent while the file is read.", theme::muted()),
            ]),
            head,
        );
        let gauge_area = Rect {
            x: gauge.x + 1,
            width: gauge.width.saturating_sub(2),
            ..gauge
        };
        if let Some(total) = s.total_bytes.filter(|t| *t > 0) {
            let ratio = (s.bytes as f64 / total as f64).clamp(0.0, 1.0);
            frame.render_widget(
                Gauge::default()
                    .gauge_style(Style::new().fg(theme::ACCENT))
                    .ratio(ratio)
                    .label(format!("{} of {}", bytes(s.bytes), bytes(total))),
                gauge_area,
            );
        }
        let lines = vec![
            Line::raw(""),
            field_line("lines", &thousands(s.lines)),
            field_line("rate", &format!("{} lines/s", thousands(s.rate as u64))),
            field_line(
                "invalid",
                &format!("{} so far", thousands(self.invalid.len() as u64)),
            ),
        ];
        frame.render_widget(Paragraph::new(lines), rest);
    }

    fn summary_line(&self, width: u16) -> Line<'static> {
        let Some(p) = &self.planned else {
            return Line::raw("");
        };
        let c = &p.counts;
        let mut parts = vec![
            plural(c.non_blank(), "line", "lines"),
            format!("{} valid", thousands(c.valid)),
            format!("{} invalid", thousands(c.invalid)),
        ];
        if c.duplicate_targets > 0 {
            parts.push(plural(
                c.duplicate_targets,
                "repeated target",
                "repeated targets",
            ));
        }
        let name = self
            .input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Line::raw(truncate(
            &format!(" {name}: {}", parts.join(" · ")),
            width as usize,
        ))
    }

    fn render_review(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let a = review_areas(area);
        let Some(p) = &self.planned else { return };
        frame.render_widget(
            Paragraph::new(self.summary_line(a.summary.width)),
            a.summary,
        );
        let tab = |label: String, on: bool| {
            if on {
                Span::styled(format!(" {label} "), theme::selected())
            } else {
                Span::styled(format!(" {label} "), theme::muted())
            }
        };
        let mut tabs = Vec::new();
        if p.counts.invalid > 0 {
            tabs.push(tab(
                format!("Invalid lines {}", thousands(p.counts.invalid)),
                self.section == Section::Invalid,
            ));
            tabs.push(Span::raw(" "));
        }
        if p.counts.duplicate_targets > 0 {
            tabs.push(tab(
                format!("Repeated targets {}", thousands(p.counts.duplicate_targets)),
                self.section == Section::Duplicates,
            ));
        }
        frame.render_widget(Paragraph::new(Line::from(tabs)), a.tabs);
        match self.section {
            Section::Invalid => self.render_invalid(frame, &a),
            Section::Duplicates => self.render_duplicates(frame, &a),
        }
        if self.to_send() == 0 && a.detail.height > 0 {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    " No line can be sent: fix the file and import it again",
                    theme::error(),
                )),
                Rect {
                    height: 1,
                    ..a.detail
                },
            );
        }
        let _ = env;
    }

    fn render_invalid(&self, frame: &mut Frame, a: &ReviewAreas) {
        let total = self.planned.as_ref().map_or(0, |p| p.counts.invalid);
        let w = a.list.width as usize;
        let line_w = self
            .invalid
            .last()
            .map_or(4, |l| l.line.to_string().len())
            .max(4);
        let text_w = if w >= 80 { w * 2 / 5 } else { w / 2 };
        let header = format!(
            " {:<line_w$}  {:<text_w$}  REASON",
            "LINE",
            "TEXT",
            text_w = text_w.saturating_sub(2)
        );
        frame.render_widget(
            Paragraph::new(Line::styled(truncate(&header, w), theme::header())),
            a.header,
        );
        let mut h = a.list.height as usize;
        let mut lines = Vec::new();
        // A JSON array is the usual mistake: say what is expected above the lines.
        if self
            .planned
            .as_ref()
            .is_some_and(|p| p.counts.looks_like_json_array)
            && h > 1
        {
            lines.push(Line::styled(
                truncate(
                    " The file looks like a JSON array: one customization a line (NDJSON) \
                     is expected; jq -c '.[]' converts it",
                    w,
                ),
                theme::error(),
            ));
            h -= 1;
        }
        let mut scroll = self.invalid_scroll;
        scroll.fit(self.invalid.len(), h);
        for i in scroll.visible(self.invalid.len(), h) {
            let l = &self.invalid[i];
            let text = truncate(&l.text, text_w.saturating_sub(2));
            let reason = l.reasons.join("; ");
            let mark = if i == scroll.selected { "›" } else { " " };
            let row = format!(
                "{mark}{:<line_w$}  {:<text_w$}  {reason}",
                l.line,
                text,
                text_w = text_w.saturating_sub(2)
            );
            let mut line = Line::raw(truncate(&row, w));
            if i == scroll.selected {
                line = line.style(theme::selected());
            }
            lines.push(line);
        }
        if (self.invalid.len() as u64) < total && lines.len() < a.list.height as usize {
            lines.push(Line::styled(
                format!(
                    " … {} more (the report lists every line)",
                    thousands(total - self.invalid.len() as u64)
                ),
                theme::muted(),
            ));
        }
        frame.render_widget(Paragraph::new(lines), a.list);
        if a.detail.height > 0
            && let Some(l) = self.invalid.get(scroll.selected)
        {
            let mut lines = vec![Line::styled(
                format!(
                    " line {} · {}",
                    l.line,
                    plural(l.reasons.len() as u64, "reason", "reasons")
                ),
                theme::label(),
            )];
            // The reasons first: on a short pane they are what must stay.
            for r in &l.reasons {
                lines.push(Line::styled(
                    truncate(&format!(" • {r}"), a.detail.width as usize),
                    Style::new().fg(theme::ERROR),
                ));
            }
            let room = (a.detail.width as usize).saturating_sub(2).max(1);
            let chars: Vec<char> = l.text.chars().collect();
            for piece in chars.chunks(room).take(2) {
                lines.push(Line::styled(
                    format!(" {}", piece.iter().collect::<String>()),
                    theme::muted(),
                ));
            }
            frame.render_widget(Paragraph::new(lines), a.detail);
        }
    }

    fn render_duplicates(&self, frame: &mut Frame, a: &ReviewAreas) {
        let Some(p) = &self.planned else { return };
        let w = a.list.width as usize;
        let target_w = (w / 2).max(10);
        frame.render_widget(
            Paragraph::new(Line::styled(
                truncate(&format!(" {:<target_w$}  LINES", "TARGET"), w),
                theme::header(),
            )),
            a.header,
        );
        let h = a.list.height as usize;
        let mut scroll = self.dup_scroll;
        scroll.fit(p.duplicates.len(), h);
        let mut lines = Vec::new();
        for i in scroll.visible(p.duplicates.len(), h) {
            let g = &p.duplicates[i];
            let mut list: Vec<String> = g.lines.iter().map(u32::to_string).collect();
            if g.total > g.lines.len() {
                list.push(format!("… {} in all", g.total));
            }
            let mark = if i == scroll.selected { "›" } else { " " };
            let row = format!(
                "{mark}{:<target_w$}  {}",
                truncate(&g.target, target_w),
                list.join(", ")
            );
            let mut line = Line::raw(truncate(&row, w));
            if i == scroll.selected {
                line = line.style(theme::selected());
            }
            lines.push(line);
        }
        frame.render_widget(Paragraph::new(lines), a.list);
        if a.detail.height > 0 {
            let text = vec![
                Line::styled(" Only one line per target is sent:", theme::label()),
                Line::raw(truncate(
                    " raise and ignore send the first; override sends the last.",
                    w,
                )),
                Line::raw(truncate(
                    " The others are rejected under raise, skipped otherwise.",
                    w,
                )),
            ];
            frame.render_widget(Paragraph::new(text), a.detail);
        }
    }

    fn render_strategy(&self, frame: &mut Frame, area: Rect) {
        let w = area.width as usize;
        let mut lines = vec![self.summary_line(area.width), Line::raw("")];
        lines.push(Line::styled(
            truncate(" When a line's target is already stored:", w),
            theme::label(),
        ));
        for (i, (s, what)) in STRATEGIES.iter().enumerate() {
            let on = i == self.strategy;
            let row = format!(" {} {:<9} {what}", if on { "›" } else { " " }, s.as_str());
            let style = if on { theme::selected() } else { Style::new() };
            lines.push(Line::styled(truncate(&row, w), style));
        }
        if let Some(p) = &self.planned
            && p.counts.duplicate_lines > 0
        {
            let c = p.counts;
            let (which, fate) = match self.strategy() {
                ConflictStrategy::Raise => ("first", "rejected"),
                ConflictStrategy::Ignore => ("first", "skipped"),
                ConflictStrategy::Override => ("last", "skipped"),
            };
            lines.push(Line::raw(""));
            lines.push(Line::raw(truncate(
                &format!(
                    " Repeated targets ({}): the {which} line of each is sent, {} {fate}.",
                    thousands(c.duplicate_targets),
                    plural(c.duplicate_lines, "other is", "others are")
                ),
                w,
            )));
        }
        frame.render_widget(Paragraph::new(lines), area);
    }

    fn render_confirm(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let Some(p) = &self.planned else { return };
        let c = p.counts;
        let s = self.strategy();
        let p_env = &env.profile;
        let w = area.width;
        let mut lines = vec![
            Line::from(vec![
                Span::raw(" Send "),
                Span::styled(plural(c.to_send(), "line", "lines"), theme::label()),
                Span::raw(format!(" to tracker {} ({})", p_env.tracker, p_env.label)),
            ]),
            Line::raw(""),
        ];
        lines.extend(field_lines("strategy", s.as_str(), w, Style::new()));
        lines.extend(field_lines(
            "requests",
            &format!(
                "{} of up to {} lines",
                thousands(p.chunks_for(s) as u64),
                thousands(self.chunk_size as u64)
            ),
            w,
            Style::new(),
        ));
        // Held back, in the words of the summary and the report: an invalid line ends as
        // rejected; a repeated target as rejected under raise, else skipped. "not sent"
        // is kept for lines a cancel or a stop leaves unsent.
        let mut rejected = Vec::new();
        let mut skipped = Vec::new();
        if c.invalid > 0 {
            rejected.push(format!("{} invalid", thousands(c.invalid)));
        }
        if c.duplicate_lines > 0 {
            let what = format!("{} with a repeated target", thousands(c.duplicate_lines));
            if s == ConflictStrategy::Raise {
                rejected.push(what);
            } else {
                skipped.push(what);
            }
        }
        for (label, held) in [("rejected", rejected), ("skipped", skipped)] {
            if !held.is_empty() {
                lines.extend(field_lines(
                    label,
                    &format!("{} (held back, in the report)", held.join(", ")),
                    w,
                    Style::new().fg(theme::WARN),
                ));
            }
        }
        if let Some(r) = &self.report {
            lines.extend(field_lines(
                "report",
                &r.display().to_string(),
                w,
                Style::new(),
            ));
        }
        if !p_env.production {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!(
                    " {} sends, {} goes back",
                    env.keymap.hint(Action::Confirm),
                    env.keymap.hint(Action::Back)
                ),
                theme::muted(),
            ));
            frame.render_widget(Paragraph::new(lines), area);
            return;
        }
        let needed = lines.len() as u16 + 1;
        let [text, question, field, feedback] = Layout::vertical([
            Constraint::Length(needed.min(area.height.saturating_sub(5))),
            Constraint::Length(1),
            Constraint::Length(3),
            Constraint::Length(1),
        ])
        .areas(area);
        frame.render_widget(Paragraph::new(lines), text);
        frame.render_widget(
            Paragraph::new(Line::styled(
                truncate(
                    &format!(
                        " ⚠ {} is production: type {} to send",
                        p_env.label,
                        c.to_send()
                    ),
                    question.width as usize,
                ),
                Style::new().fg(theme::ERROR).add_modifier(Modifier::BOLD),
            )),
            question,
        );
        let field = Rect {
            x: field.x + 1,
            width: field.width.saturating_sub(2).min(24),
            ..field
        };
        self.typed.render(frame, field, Some(Block::bordered()));
        if self.typed_wrong {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!(" That is not {}", c.to_send()),
                    theme::error(),
                )),
                feedback,
            );
        }
    }

    /// `finishing 2 requests in flight…`, as far as the events have told.
    fn finishing(&self) -> String {
        match self.sending.in_flight.len() {
            0 => "finishing the requests in flight…".to_string(),
            1 => "finishing 1 request in flight…".to_string(),
            n => format!("finishing {n} requests in flight…"),
        }
    }

    fn render_sending(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let s = &self.sending;
        let [head, gauge, rest] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(area);
        let w = area.width as usize;
        let head_text = if self.cancelling {
            Line::styled(
                truncate(
                    &format!(
                        " {} Cancelling: {} nothing more is sent{}",
                        env.spinner_glyph(),
                        self.finishing(),
                        if self.quit_when_done {
                            "; then pinscope quits"
                        } else {
                            ""
                        }
                    ),
                    w,
                ),
                Style::new().fg(theme::WARN),
            )
        } else if let Some((read, total)) = s.listing_now() {
            Line::raw(truncate(
                &format!(
                    " {} Checking stored targets: {} of {} (nothing is sent before this ends)",
                    env.spinner_glyph(),
                    thousands(read),
                    thousands(total)
                ),
                w,
            ))
        } else {
            Line::raw(truncate(
                &format!(
                    " {} Sending {} · {}",
                    env.spinner_glyph(),
                    self.input
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    self.strategy().as_str()
                ),
                w,
            ))
        };
        frame.render_widget(Paragraph::new(vec![head_text]), head);
        let ratio = if s.lines_total > 0 {
            (s.lines_done as f64 / s.lines_total as f64).clamp(0.0, 1.0)
        } else {
            0.0
        };
        frame.render_widget(
            Gauge::default()
                .gauge_style(Style::new().fg(theme::ACCENT))
                .ratio(ratio)
                .label(format!("{:.0}%", ratio * 100.0)),
            Rect {
                x: gauge.x + 1,
                width: gauge.width.saturating_sub(2),
                ..gauge
            },
        );
        let eta = match s.eta {
            Some(d) if s.lines_done < s.lines_total => format!(" · ETA {}", duration(d)),
            _ => String::new(),
        };
        let mut lines = vec![
            Line::raw(""),
            field_line(
                "chunks",
                &format!(
                    "{} of {} done",
                    thousands(s.chunks_done as u64),
                    thousands(s.chunks_total as u64)
                ),
            ),
            field_line(
                "lines",
                &format!(
                    "{} of {}",
                    thousands(s.lines_done),
                    thousands(s.lines_total)
                ),
            ),
            field_line(
                "rate",
                &if s.chunks_done == 0 {
                    "measured after the first chunk".to_string()
                } else {
                    format!("{} lines/s{eta}", thousands(s.rate as u64))
                },
            ),
            field_line("retries", &thousands(s.retries)),
            field_line(
                "so far",
                &format!(
                    "{} created · {} replaced · {} skipped · {} rejected",
                    thousands(s.counts.created),
                    thousands(s.counts.replaced),
                    thousands(s.counts.skipped),
                    thousands(s.counts.rejected)
                ),
            ),
        ];
        if let Some((read, total)) = s.listing_now() {
            lines.push(field_line(
                "targets",
                &format!(
                    "checking stored targets: {} of {}",
                    thousands(read),
                    thousands(total)
                ),
            ));
        }
        if let Some((mode, stored)) = s.existing {
            let how = match mode {
                ExistingMode::Empty => "none stored for these models".to_string(),
                ExistingMode::Snapshot => format!("{} stored, listed once", thousands(stored)),
                ExistingMode::PerChunk => {
                    format!("{} stored, looked up per chunk", thousands(stored))
                }
            };
            lines.push(field_line("targets", &how));
        }
        if let Some(r) = &s.last_retry {
            lines.push(Line::styled(
                truncate(&format!(" ⚠ {r}"), w),
                Style::new().fg(theme::WARN),
            ));
        }
        if let Some(r) = &s.stopping {
            lines.push(Line::styled(
                truncate(&format!(" stopping: {r}"), w),
                Style::new().fg(theme::WARN),
            ));
        }
        let lines: Vec<Line> = lines.into_iter().map(|l| truncate_line(l, w)).collect();
        frame.render_widget(Paragraph::new(lines), rest);
    }

    /// The summary, as lines (scrolled by the caller).
    fn done_lines(&self, env: &Env, width: u16) -> Vec<Line<'static>> {
        let w = frame_block().inner(Rect::new(0, 0, width, 3)).width;
        let mut out = Vec::new();
        if let Some(why) = &self.failed {
            out.push(Line::styled(" Import failed", theme::error()));
            for l in field_lines("why", why, w, Style::new()) {
                out.push(l);
            }
            out.push(Line::raw(""));
            out.push(Line::styled(
                " The import did not start: nothing was sent.".to_string(),
                theme::muted(),
            ));
            return out;
        }
        let Some(f) = &self.finished else {
            return out;
        };
        let s = &f.summary;
        let c = &s.counts;
        let (title, style) = if s.cancelled {
            ("Import cancelled", Style::new().fg(theme::WARN))
        } else if s.stopped.is_some() {
            ("Import stopped", theme::error())
        } else if c.all_ok() {
            ("Import done", Style::new().fg(theme::OK))
        } else {
            (
                "Import done, with lines rejected",
                Style::new().fg(theme::WARN),
            )
        };
        out.push(Line::styled(
            format!(" {title}"),
            style.add_modifier(Modifier::BOLD),
        ));
        out.push(Line::raw(truncate(
            &format!(
                " {} · {} · {} · {} · {}",
                plural(s.lines, "line", "lines"),
                s.strategy.as_str(),
                duration(s.elapsed),
                plural(s.requests, "request", "requests"),
                plural(s.retries, "retry", "retries")
            ),
            w as usize,
        )));
        out.push(Line::raw(""));
        let rows: [(&str, u64, Style); 5] = [
            ("created", c.created, Style::new().fg(theme::OK)),
            ("replaced", c.replaced, Style::new().fg(theme::OK)),
            ("skipped", c.skipped, Style::new()),
            ("rejected", c.rejected, Style::new().fg(theme::ERROR)),
            ("not sent", c.not_sent, Style::new().fg(theme::WARN)),
        ];
        let num_w = rows.iter().map(|r| thousands(r.1).len()).max().unwrap_or(1);
        for (label, n, st) in rows {
            let st = if n == 0 { theme::muted() } else { st };
            out.push(Line::from(vec![
                Span::styled(format!(" {label:<9}"), theme::label()),
                Span::styled(format!("{:>num_w$}", thousands(n)), st),
            ]));
        }
        out.push(Line::raw(""));
        if let Some(stopped) = &s.stopped
            && !s.cancelled
        {
            out.extend(field_lines("stopped", stopped, w, theme::error()));
        }
        match (&s.report, &f.report_error) {
            (Some(r), _) => {
                out.extend(field_lines(
                    "report",
                    &r.display().to_string(),
                    w,
                    Style::new(),
                ));
                out.push(Line::styled(
                    truncate(
                        " (one JSON object per line: line, outcome, target, reason)",
                        w as usize,
                    ),
                    theme::muted(),
                ));
            }
            (None, Some(e)) => out.extend(field_lines("report", e, w, theme::error())),
            (None, None) => {}
        }
        if let Some(j) = &s.journal
            && !c.all_ok()
            && (s.cancelled || s.stopped.is_some())
            && c.not_sent > 0
        {
            out.extend(field_lines(
                "journal",
                &j.display().to_string(),
                w,
                Style::new(),
            ));
            let resume = self.resume_command(env).unwrap_or_default();
            out.extend(field_lines(
                "resume",
                &resume,
                w,
                Style::new().fg(theme::ACCENT),
            ));
        }
        if !f.notable.is_empty() {
            out.push(Line::raw(""));
            let shown = f.notable.len() as u64;
            let all = c.rejected + c.not_sent;
            let head = if all > shown {
                format!(" Lines rejected or not sent (first {})", thousands(shown))
            } else {
                " Lines rejected or not sent".to_string()
            };
            out.push(Line::styled(head, theme::label()));
            let line_w = f.notable.last().map_or(1, |n| n.line.to_string().len());
            for n in &f.notable {
                let what = match n.outcome {
                    Outcome::Rejected => "rejected",
                    _ => "not sent",
                };
                out.push(Line::raw(truncate(
                    &format!(" {:>line_w$}  {what:<8}  {}", n.line, n.reason),
                    w as usize,
                )));
            }
        }
        out
    }

    /// The command that continues an import that did not finish, as it can be run: with
    /// the options that choose this profile, the paths quoted for the shell.
    fn resume_command(&self, env: &Env) -> Option<String> {
        let f = self.finished.as_ref()?;
        let s = &f.summary;
        let c = &s.counts;
        let j = s.journal.as_ref()?;
        if c.all_ok() || !(s.cancelled || s.stopped.is_some()) || c.not_sent == 0 {
            return None;
        }
        let quote = |p: &std::path::Path| shell_quote(&p.display().to_string());
        let tail = match &s.report {
            Some(r) => format!("--report {}", quote(r)),
            None => format!("--journal {}", quote(j)),
        };
        let mut cmd = String::from("pinscope ");
        if !env.profile.session_args.is_empty() {
            cmd.push_str(&env.profile.session_args);
            cmd.push(' ');
        }
        cmd.push_str(&format!("import {} --resume {tail}", quote(&self.input)));
        Some(cmd)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn numbers_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(12_345_678), "12.3 MB");
        assert_eq!(duration(std::time::Duration::from_millis(1500)), "1.5s");
        assert_eq!(duration(std::time::Duration::from_secs(185)), "3m 05s");
        assert_eq!(duration(std::time::Duration::from_secs(3720)), "1h 02m");
    }

    #[test]
    fn report_goes_to_the_data_dir_or_beside_the_input() {
        let now: Timestamp = "2025-06-15T10:00:00Z".parse().expect("ts");
        let tz = TimeZone::UTC;
        let mut s = ImportScreen::new(Some(PathBuf::from("/data")));
        s.input = PathBuf::from("/in/catalog.ndjson");
        assert_eq!(
            s.report_path(now, &tz),
            Path::new("/data/imports/catalog-20250615-100000.report.ndjson")
        );
        s.data_dir = None;
        assert_eq!(
            s.report_path(now, &tz),
            Path::new("/in/catalog-20250615-100000.report.ndjson")
        );
    }

    #[test]
    fn a_new_import_never_takes_an_existing_report_name() {
        let now: Timestamp = "2025-06-15T10:00:00Z".parse().expect("ts");
        let tz = TimeZone::UTC;
        let dir = tempfile::tempdir().expect("tempdir");
        let imports = dir.path().join("imports");
        std::fs::create_dir_all(&imports).expect("mkdir");
        let mut s = ImportScreen::new(Some(dir.path().to_path_buf()));
        s.input = PathBuf::from("/in/catalog.ndjson");
        let first = imports.join("catalog-20250615-100000.report.ndjson");
        std::fs::write(&first, "{}\n").expect("write");
        let second = imports.join("catalog-20250615-100000-2.report.ndjson");
        assert_eq!(s.report_path(now, &tz), second);
        // A journal alone (a run cut before its report) also holds the name.
        std::fs::write(
            imports.join("catalog-20250615-100000-2.report.ndjson.journal"),
            "",
        )
        .expect("write");
        assert_eq!(
            s.report_path(now, &tz),
            imports.join("catalog-20250615-100000-3.report.ndjson")
        );
    }
}
