//! The app: one owner of all UI state, changed only by [`App::update`], and the loop that
//! feeds it ([`run_tui`]).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::event::{KeyEvent, MouseEvent};
use futures::{Stream, StreamExt};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use ratatui::Frame;
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};

use crate::api::ApiError;
use crate::tui::keys::{Action, Context, Keymap, is_ctrl_c};
use crate::tui::msg::{ApiEvent, ApiReply, ApiRequest, CallInfo, Msg, ReqId, Trouble};
use crate::tui::screens::help::Help;
use crate::tui::screens::{Command, Ctx, Env, Input, ProfileInfo, Screen, Tone};
use crate::tui::widgets::status::{self, StatusLine};
use crate::tui::worker::WorkerHandle;

/// How long a toast stays.
const TOAST_FOR: SignedDuration = SignedDuration::from_secs(3);
/// The spinner's frame time, while a request is in flight.
const SPINNER_EVERY: Duration = Duration::from_millis(100);

/// Set by the panic hook: the terminal is already restored, the loop must stop drawing.
pub static PANICKED: AtomicBool = AtomicBool::new(false);
/// Wakes the loop after a panic in another task.
pub static PANIC_NOTICE: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// What the loop must do after an update: the only way state reaches the outside.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Hand a request to the worker.
    Send(ReqId, ApiRequest),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Persist the recent lookups.
    SaveRecent(Vec<String>),
    Quit,
    /// Write a draft file atomically.
    SaveDraft {
        path: PathBuf,
        contents: String,
    },
    /// Remove a draft file (no error when it is not there).
    RemoveDraft(PathBuf),
    /// Give the terminal to the user's editor on this text, then send
    /// [`Msg::ExternalEdited`].
    ExternalEdit(String),
}

/// A short message at the bottom of the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub tone: Tone,
    pub text: String,
    pub until: Timestamp,
}

/// Everything the app needs that does not come from the service.
#[derive(Debug, Clone)]
pub struct AppOptions {
    pub profile: ProfileInfo,
    pub keymap: Keymap,
    pub tz: TimeZone,
    pub recent: Vec<String>,
    /// The time to start with; the loop sends the real one before the first message.
    pub now: Timestamp,
    /// The terminal's size to start with; the loop sends the real one.
    pub size: (u16, u16),
}

/// All UI state.
pub struct App {
    stack: Vec<Box<dyn Screen>>,
    env: Env,
    next_id: u64,
    in_flight: HashSet<ReqId>,
    last_call: Option<CallInfo>,
    trouble: Option<Trouble>,
    toast: Option<Toast>,
    effects: Vec<Effect>,
    dirty: bool,
    quit: bool,
    /// The earliest time a screen asked to be woken at.
    wake_at: Option<Timestamp>,
    /// Draw without colours (`NO_COLOR`): emphasis stays, hues go.
    monochrome: bool,
    /// What to print on stderr after the terminal is restored, by key.
    exit_notes: Vec<(String, String)>,
}

impl App {
    pub fn new(opts: AppOptions) -> App {
        App {
            stack: Vec::new(),
            env: Env {
                now: opts.now,
                tz: opts.tz,
                keymap: opts.keymap,
                profile: opts.profile,
                recent: opts.recent,
                size: Rect::new(0, 0, opts.size.0, opts.size.1),
                spinner: 0,
                drafts_dir: None,
                mirror: None,
            },
            next_id: 0,
            in_flight: HashSet::new(),
            last_call: None,
            trouble: None,
            toast: None,
            effects: Vec::new(),
            dirty: true,
            quit: false,
            wake_at: None,
            monochrome: false,
            exit_notes: Vec::new(),
        }
    }

    /// Draws every frame without colours (for `NO_COLOR`); bold, underline and reverse
    /// video stay, so the selection and the headers still show.
    pub fn set_monochrome(&mut self, monochrome: bool) {
        self.monochrome = monochrome;
        self.dirty = true;
    }

    /// Where the editor keeps drafts (`None`, the default, keeps none).
    pub fn set_drafts_dir(&mut self, dir: Option<PathBuf>) {
        self.env.drafts_dir = dir;
    }

    /// The local mirror's freshness (`None`, the default: no mirror, search and where are
    /// off).
    pub fn set_mirror(&mut self, status: Option<crate::tui::screens::MirrorStatus>) {
        self.env.mirror = status;
        self.dirty = true;
    }

    /// Syncs the mirror (on start, when it is older than `mirror.max_age`): the request
    /// goes out with the next effects.
    pub fn sync_mirror(&mut self) {
        let Some(status) = self.env.mirror.as_mut() else {
            return;
        };
        if status.syncing.is_some() {
            return;
        }
        self.next_id += 1;
        let id = ReqId(self.next_id);
        status.syncing = Some(id);
        status.progress = None;
        self.in_flight.insert(id);
        self.effects.push(Effect::Send(id, ApiRequest::MirrorSync));
        self.dirty = true;
    }

    /// Shows an error toast (for the loop, when something it did on the app's behalf failed).
    pub fn show_error(&mut self, text: impl Into<String>) {
        self.show_toast(Tone::Error, text.into());
        self.dirty = true;
    }

    /// Prints `text` on stderr once the app has ended and the terminal is restored (a
    /// later note with the same `key` replaces it).
    pub fn note_on_exit(&mut self, key: &str, text: impl Into<String>) {
        self.exit_notes.retain(|(k, _)| k != key);
        self.exit_notes.push((key.to_string(), text.into()));
    }

    pub fn env(&self) -> &Env {
        &self.env
    }

    /// The names of the screens on the stack, bottom first (for tests).
    pub fn screen_names(&self) -> Vec<&'static str> {
        self.stack.iter().map(|s| s.name()).collect()
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// What screens asked to print once the terminal is restored, one per line (`None`
    /// when nothing).
    pub fn exit_note(&self) -> Option<String> {
        if self.exit_notes.is_empty() {
            return None;
        }
        let texts: Vec<&str> = self.exit_notes.iter().map(|(_, t)| t.as_str()).collect();
        Some(texts.join("\n"))
    }

    /// Whether anything changed since the last frame.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    pub fn toast(&self) -> Option<&Toast> {
        self.toast.as_ref()
    }

    pub fn trouble(&self) -> Option<&Trouble> {
        self.trouble.as_ref()
    }

    /// Effects produced outside [`App::update`] (by [`App::open`]).
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// The area screens are drawn in: everything but the status line.
    pub fn main_area(&self) -> Rect {
        let [main, _] = split(self.env.size);
        main
    }

    /// Opens a screen on top (the first one is the home screen).
    pub fn open(&mut self, screen: impl Screen + 'static) {
        self.open_boxed(Box::new(screen));
    }

    pub fn open_boxed(&mut self, screen: Box<dyn Screen>) {
        self.push_boxed(screen);
        self.dirty = true;
    }

    fn push_boxed(&mut self, mut screen: Box<dyn Screen>) {
        let index = self.stack.len();
        let mut commands = Vec::new();
        let area = self.main_area();
        let mut ctx = Ctx::new(&self.env, area, index, &mut self.next_id, &mut commands);
        screen.on_open(&mut ctx);
        self.stack.push(screen);
        self.apply(commands);
    }

    /// How long until the app wants a [`Msg::Tick`]: the spinner while a request is in
    /// flight, the toast's end. `None` when idle: no timer, no wake-ups.
    pub fn next_wake(&self) -> Option<Duration> {
        let until = |at: Timestamp| {
            let left = at.duration_since(self.env.now);
            Duration::try_from(left).unwrap_or(Duration::ZERO)
        };
        let spinner = (!self.in_flight.is_empty()).then_some(SPINNER_EVERY);
        let toast = self.toast.as_ref().map(|t| until(t.until));
        let screens = self.wake_at.map(until);
        [spinner, toast, screens].into_iter().flatten().min()
    }

    /// Handles one message; returns what the loop must do.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Clock(now) => {
                self.env.now = now;
            }
            Msg::Tick => {
                if !self.in_flight.is_empty() {
                    self.env.spinner = self.env.spinner.wrapping_add(1);
                    self.dirty = true;
                }
                if self.toast.as_ref().is_some_and(|t| t.until <= self.env.now) {
                    self.toast = None;
                    self.dirty = true;
                }
                if self.wake_at.is_some_and(|at| at <= self.env.now) {
                    self.wake_at = None;
                    self.dirty = true;
                    self.for_each_screen(|s, ctx| s.on_timer(ctx));
                }
            }
            Msg::Resize(w, h) => {
                self.env.size = Rect::new(0, 0, w, h);
                self.dirty = true;
                self.for_each_screen(|s, ctx| s.on_resize(ctx));
            }
            Msg::Key(key) => {
                self.dirty = true;
                self.on_key(key);
            }
            Msg::Mouse(ev) => {
                self.dirty = true;
                self.on_mouse(ev);
            }
            Msg::Paste(text) => {
                self.dirty = true;
                self.with_top(|s, ctx| s.on_paste(&text, ctx));
            }
            Msg::Api(ev) => {
                self.dirty = true;
                self.on_api(*ev);
            }
            Msg::Terminate | Msg::Signal(_) => self.begin_quit(),
            Msg::ExternalEdited(result) => {
                self.dirty = true;
                self.with_top(|s, ctx| s.on_external_edit(result, ctx));
            }
        }
        std::mem::take(&mut self.effects)
    }

    fn on_key(&mut self, key: KeyEvent) {
        if is_ctrl_c(&key) {
            if !self.interrupt() {
                self.begin_quit();
            }
            return;
        }
        let Some(top) = self.stack.last() else {
            return;
        };
        let context = top.context();
        let name = top.name();
        match self.env.keymap.resolve(context, &key) {
            Some(Action::Help) if name != Help::NAME => {
                let help = Help::new(name, context, &self.env.keymap);
                self.push_boxed(Box::new(help));
            }
            Some(Action::Retry) => self.retry(),
            Some(action) => self.with_top(|s, ctx| s.on_input(Input::Action(action), ctx)),
            None => self.with_top(|s, ctx| s.on_input(Input::Key(key), ctx)),
        }
    }

    /// Offers Ctrl-C to the screens, top first; `true` when one handled it.
    fn interrupt(&mut self) -> bool {
        let area = self.main_area();
        let mut commands = Vec::new();
        let mut handled = false;
        for index in (0..self.stack.len()).rev() {
            let mut ctx = Ctx::new(&self.env, area, index, &mut self.next_id, &mut commands);
            if self.stack[index].on_interrupt(&mut ctx) {
                handled = true;
                break;
            }
        }
        self.apply(commands);
        handled
    }

    fn on_mouse(&mut self, ev: MouseEvent) {
        self.with_top(|s, ctx| s.on_mouse(ev, ctx));
    }

    /// Every screen sends again what failed (a screen may still show a failure after a
    /// later request succeeded and cleared the status bar).
    fn retry(&mut self) {
        self.trouble = None;
        self.for_each_screen(|s, ctx| s.on_retry(ctx));
    }

    fn on_api(&mut self, ev: ApiEvent) {
        self.follow_mirror(&ev);
        // A step of long work (an import) keeps its request in flight; the work's own
        // events leave the status bar alone (the screen that asked shows them).
        let step = ev.result.as_ref().is_ok_and(ApiReply::is_step);
        // Reads of the mirror are local too: the last call stays the service's.
        let local = ev.result.as_ref().is_ok_and(ApiReply::is_local) || ev.call.method == "READ";
        if !step {
            self.in_flight.remove(&ev.id);
        }
        if !local {
            self.last_call = Some(ev.call.clone());
            match &ev.result {
                Ok(_) => self.trouble = None,
                Err(e) if is_trouble(e) => {
                    self.trouble = Some(Trouble {
                        call: ev.call.clone(),
                        error: e.clone(),
                    })
                }
                Err(_) => {}
            }
        }
        self.for_each_screen(|s, ctx| s.on_api(&ev, ctx));
    }

    /// Keeps the mirror's freshness: any screen may ask for a sync (browse on refresh).
    fn follow_mirror(&mut self, ev: &ApiEvent) {
        let Some(status) = self.env.mirror.as_mut() else {
            return;
        };
        let ours = status.syncing == Some(ev.id);
        match &ev.result {
            Ok(ApiReply::MirrorSynced { at, .. }) => {
                status.synced_at = Some(*at);
                status.syncing = None;
                status.progress = None;
            }
            Ok(ApiReply::MirrorProgress { count, elapsed }) if ours => {
                status.progress = Some((*count, *elapsed));
            }
            Err(e) if ours => {
                status.syncing = None;
                status.progress = None;
                let text = format!("sync failed: {e}");
                self.show_toast(Tone::Error, text);
            }
            _ if ours => status.syncing = None,
            _ => {}
        }
    }

    fn with_top(&mut self, f: impl FnOnce(&mut dyn Screen, &mut Ctx)) {
        let area = self.main_area();
        let index = self.stack.len().saturating_sub(1);
        let mut commands = Vec::new();
        if let Some(top) = self.stack.last_mut() {
            let mut ctx = Ctx::new(&self.env, area, index, &mut self.next_id, &mut commands);
            f(top.as_mut(), &mut ctx);
        }
        self.apply(commands);
    }

    fn for_each_screen(&mut self, mut f: impl FnMut(&mut dyn Screen, &mut Ctx)) {
        let area = self.main_area();
        let mut commands = Vec::new();
        for (index, s) in self.stack.iter_mut().enumerate() {
            let mut ctx = Ctx::new(&self.env, area, index, &mut self.next_id, &mut commands);
            f(s.as_mut(), &mut ctx);
        }
        self.apply(commands);
    }

    fn apply(&mut self, commands: Vec<Command>) {
        for c in commands {
            match c {
                Command::Send(id, req) => {
                    // A sync any screen asks for (browse's refresh) shows in the status
                    // bar as the one on start does.
                    if req == ApiRequest::MirrorSync
                        && let Some(status) = self.env.mirror.as_mut()
                    {
                        status.syncing = Some(id);
                        status.progress = None;
                    }
                    self.in_flight.insert(id);
                    self.effects.push(Effect::Send(id, req));
                }
                Command::Push(screen) => self.push_boxed(screen),
                Command::Close(index) => self.stack.truncate(index),
                Command::Toast(tone, text) => self.show_toast(tone, text),
                Command::Copy { text, what } => {
                    self.effects.push(Effect::Copy(text));
                    self.show_toast(Tone::Info, format!("Copied {what} to the clipboard"));
                }
                Command::RememberLookup(id) => {
                    crate::tui::recent::LOOKUPS.push(&mut self.env.recent, id);
                    self.effects
                        .push(Effect::SaveRecent(self.env.recent.clone()));
                }
                Command::Quit => self.begin_quit(),
                Command::WakeAt(at) => {
                    self.wake_at = Some(self.wake_at.map_or(at, |w| w.min(at)));
                }
                Command::SaveDraft { path, contents } => {
                    self.effects.push(Effect::SaveDraft { path, contents });
                }
                Command::RemoveDraft(path) => self.effects.push(Effect::RemoveDraft(path)),
                Command::ExternalEdit(text) => self.effects.push(Effect::ExternalEdit(text)),
                Command::NoteOnExit { key, text } => {
                    self.exit_notes.retain(|(k, _)| *k != key);
                    self.exit_notes.push((key, text));
                }
            }
        }
        if self.stack.is_empty() && !self.quit {
            self.quit = true;
            self.effects.push(Effect::Quit);
        }
    }

    /// Quits: every screen first saves what must not be lost ([`Screen::on_quit`]).
    fn begin_quit(&mut self) {
        if self.quit {
            return;
        }
        self.quit = true;
        self.for_each_screen(|s, ctx| s.on_quit(ctx));
        self.effects.push(Effect::Quit);
    }

    fn show_toast(&mut self, tone: Tone, text: String) {
        self.toast = Some(Toast {
            tone,
            text,
            until: self
                .env
                .now
                .saturating_add(TOAST_FOR)
                .unwrap_or(self.env.now),
        });
    }

    /// Draws everything. Reads only.
    pub fn render(&self, frame: &mut Frame) {
        let [main, bar] = split(frame.area());
        let base = self
            .stack
            .iter()
            .rposition(|s| !s.is_overlay())
            .unwrap_or(0);
        for s in self.stack.iter().skip(base) {
            s.render(frame, main, &self.env);
        }
        if let Some(t) = &self.toast {
            status::render_toast(frame, main, t.tone, &t.text);
        }
        let counts = self.stack.iter().rev().find_map(|s| s.counts());
        StatusLine {
            env: &self.env,
            counts: counts.as_deref(),
            busy: !self.in_flight.is_empty(),
            last_call: self.last_call.as_ref(),
            trouble: self.trouble.as_ref(),
            context: self.stack.last().map_or(Context::Global, |s| s.context()),
        }
        .render(frame, bar);
        if self.monochrome {
            crate::tui::widgets::theme::strip_colors(frame.buffer_mut());
        }
    }

    /// Called by the loop after a frame was drawn.
    pub fn mark_drawn(&mut self) {
        self.dirty = false;
    }
}

/// Errors the status bar keeps until the next success, with a retry key: the network or
/// the service having trouble, not an answer about the request itself.
fn is_trouble(e: &ApiError) -> bool {
    match e {
        ApiError::Connect { .. } | ApiError::Timeout { .. } | ApiError::Network { .. } => true,
        ApiError::Status(s) => s.status == 429 || s.status >= 500,
        _ => false,
    }
}

fn split(area: Rect) -> [Rect; 2] {
    Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area)
}

/// Why [`run_tui`] returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitReason {
    /// The user quit.
    Quit,
    /// [`Msg::Terminate`]: the terminal went away.
    Terminated,
    /// Signal `n` ([`Msg::Signal`]); the process exits with 128 + n.
    Signal(i32),
    /// The worker stopped (a panic in it, say).
    WorkerGone,
    /// The input stream ended.
    InputClosed,
    /// A task panicked; the panic hook already restored the terminal.
    Panicked,
}

/// How [`run_tui`] ended; `message` is for stderr after the terminal is restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    pub reason: ExitReason,
    pub message: Option<String>,
}

/// Sees each frame once drawn.
pub type FrameHook = Box<dyn FnMut(&Buffer) + Send>;

/// Gives the terminal to the user's editor on a text and returns the text it saved (or
/// why it could not run); takes the terminal back before returning.
pub type ExternalEditor = Box<dyn FnMut(&str) -> Result<String, String> + Send>;

/// Hooks for the outside world, so tests can run the real loop without a terminal.
pub struct TuiOptions {
    /// Reads the clock; called once per message.
    pub clock: Arc<dyn Fn() -> Timestamp + Send + Sync>,
    /// Writes to the clipboard (OSC 52 on a real terminal).
    pub clipboard: Box<dyn FnMut(&str) + Send>,
    /// Sees every frame after it is drawn (tests read the screen from here).
    pub on_frame: Option<FrameHook>,
    /// Where the recent lookups are saved; `None` keeps them in memory.
    pub recent_file: Option<PathBuf>,
    /// Runs `$VISUAL` / `$EDITOR`; `None` (tests, no terminal) says it cannot.
    pub external_editor: Option<ExternalEditor>,
}

impl Default for TuiOptions {
    fn default() -> Self {
        TuiOptions {
            clock: Arc::new(Timestamp::now),
            clipboard: Box::new(|_| {}),
            on_frame: None,
            recent_file: None,
            external_editor: None,
        }
    }
}

/// Runs the app until it quits: draws when something changed, waits for the next input,
/// worker answer or timer, and hands it to [`App::update`]. No fixed tick: with nothing in
/// flight and no toast it sleeps until the next input.
pub async fn run_tui<B, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut input: S,
    worker: WorkerHandle,
    mut opts: TuiOptions,
) -> std::io::Result<Exit>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    S: Stream<Item = Msg> + Unpin,
{
    let WorkerHandle {
        requests,
        mut events,
    } = worker;
    let size = terminal.size().map_err(std::io::Error::other)?;
    let mut effects = app.take_effects();
    effects.extend(app.update(Msg::Clock((opts.clock)())));
    effects.extend(app.update(Msg::Resize(size.width, size.height)));
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        while !effects.is_empty() {
            let mut follow_up = Vec::new();
            for effect in effects.drain(..) {
                match effect {
                    Effect::Send(id, req) => {
                        if requests.send((id, req)).is_err() {
                            return Ok(worker_gone());
                        }
                    }
                    Effect::ExternalEdit(text) => {
                        let result = match opts.external_editor.as_mut() {
                            Some(edit) => edit(&text),
                            None => Err("no external editor can run here".to_string()),
                        };
                        // The screen was someone else's meanwhile: draw it all again.
                        terminal.clear().map_err(std::io::Error::other)?;
                        let size = terminal.size().map_err(std::io::Error::other)?;
                        follow_up.push(Msg::Resize(size.width, size.height));
                        follow_up.push(Msg::ExternalEdited(result));
                    }
                    other => carry_out(other, app, &mut opts),
                }
            }
            for msg in follow_up {
                effects.extend(app.update(Msg::Clock((opts.clock)())));
                effects.extend(app.update(msg));
            }
        }
        if PANICKED.load(Ordering::SeqCst) {
            return Ok(panicked());
        }
        if app.should_quit() {
            return Ok(Exit {
                reason: ExitReason::Quit,
                message: app.exit_note(),
            });
        }
        if app.is_dirty() {
            let frame = terminal
                .draw(|f| app.render(f))
                .map_err(std::io::Error::other)?;
            if let Some(hook) = opts.on_frame.as_mut() {
                hook(frame.buffer);
            }
            app.mark_drawn();
        }
        if let Some(wait) = app.next_wake() {
            let at = tokio::time::Instant::now() + wait;
            deadline = Some(deadline.map_or(at, |d| d.min(at)));
        }
        let msg = tokio::select! {
            m = input.next() => match m {
                Some(m) => m,
                None => return Ok(Exit { reason: ExitReason::InputClosed, message: None }),
            },
            ev = events.recv() => match ev {
                Some(ev) => Msg::Api(Box::new(ev)),
                None => return Ok(worker_gone()),
            },
            () = tokio::time::sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)),
                if deadline.is_some() =>
            {
                deadline = None;
                Msg::Tick
            }
            () = PANIC_NOTICE.notified() => {
                if PANICKED.load(Ordering::SeqCst) {
                    return Ok(panicked());
                }
                continue;
            }
        };
        let terminate = match msg {
            Msg::Terminate => Some(ExitReason::Terminated),
            Msg::Signal(n) => Some(ExitReason::Signal(n)),
            _ => None,
        };
        effects.extend(app.update(Msg::Clock((opts.clock)())));
        effects.extend(app.update(msg));
        if let Some(reason) = terminate {
            // Drafts and the like still get written; nothing is sent any more.
            for effect in effects.drain(..) {
                carry_out(effect, app, &mut opts);
            }
            return Ok(Exit {
                reason,
                message: app.exit_note(),
            });
        }
    }
}

/// Carries out the effects that touch only local things (files, the clipboard).
fn carry_out(effect: Effect, app: &mut App, opts: &mut TuiOptions) {
    match effect {
        Effect::Copy(text) => (opts.clipboard)(&text),
        Effect::SaveRecent(list) => {
            if let Some(path) = &opts.recent_file
                && let Err(e) = crate::tui::recent::save(path, &list)
            {
                tracing::warn!(path = %path.display(), error = %e, "cannot save recent lookups");
            }
        }
        Effect::SaveDraft { path, contents } => {
            if let Err(e) = crate::tui::drafts::write(&path, &contents) {
                tracing::warn!(path = %path.display(), error = %e, "cannot save a draft");
                app.show_error(format!("Cannot save the draft to {}: {e}", path.display()));
            }
        }
        Effect::RemoveDraft(path) => {
            if let Err(e) = crate::tui::drafts::remove(&path) {
                tracing::warn!(path = %path.display(), error = %e, "cannot remove a draft");
            }
        }
        Effect::Send(..) | Effect::ExternalEdit(_) | Effect::Quit => {}
    }
}

fn panicked() -> Exit {
    Exit {
        reason: ExitReason::Panicked,
        message: Some("pinscope stopped after an internal error (reported above)".to_string()),
    }
}

fn worker_gone() -> Exit {
    Exit {
        reason: ExitReason::WorkerGone,
        message: Some(
            "the task that talks to the service stopped unexpectedly; pinscope has ended"
                .to_string(),
        ),
    }
}
