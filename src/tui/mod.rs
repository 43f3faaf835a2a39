//! The terminal UI.
//!
//! # Shape
//!
//! - [`msg`]: everything that flows in ([`Msg`]: keys, mouse, paste, resize, the clock,
//!   timer ticks, the worker's [`msg::ApiEvent`]s) and out to the worker
//!   ([`msg::ApiRequest`], tagged with a [`msg::ReqId`]). [`msg::Remote`] is the state of
//!   anything fetched.
//! - [`app`]: [`App`] owns all UI state; [`App::update`] is the only thing that changes it and
//!   returns [`app::Effect`]s for the loop to carry out. [`run_tui`] is the loop: generic over the
//!   ratatui backend and the input stream, so tests drive the real loop with a `TestBackend`
//!   and a channel of [`Msg`]s. It draws only after a message changed something, and
//!   arms a timer only while a request is in flight or a toast is up: idle means no wake-ups.
//! - [`worker`]: the one task that owns the [`crate::api::Client`] (and so the private key).
//! - [`keys`]: keys become named [`keys::Action`]s before screens see them; `[keys]` in the
//!   config overrides them per action. Ctrl-C is handled by the app before any screen.
//! - [`screens`]: each screen owns its state, its key handling and its render.
//! - [`widgets`]: shared pieces (text field, scrolling, status line, theme).
//!
//! # Adding a screen
//!
//! 1. Write `screens/NAME.rs` with a struct that implements [`screens::Screen`]: `name`,
//!    `context`, `on_input` and `render` at least; `on_open` to send the first requests,
//!    `on_api` for the answers, `on_paste`, `on_mouse`, `on_retry`, `is_overlay` (a dialog
//!    drawn over the screen below) as needed. Declare it in `screens/mod.rs`.
//! 2. Give it a [`keys::Context`] in `keys.rs`, listing the actions it understands; add any
//!    new [`keys::Action`] to the `actions!` table there (name, description, default keys).
//!    Help and the `[keys]` config then know about them with no further work. A context
//!    with a focused text field is listed in `Context::is_text` so letters are typed.
//! 3. Open it from another screen with [`screens::Ctx::push`] (or
//!    [`screens::Ctx::replace`] to take the caller's place); close it with
//!    [`screens::Ctx::close`], which also closes anything opened above it.
//! 4. Talk to the service with [`screens::Ctx::request`]: it returns the [`msg::ReqId`]
//!    that the answer will carry. Keep it (a [`msg::Remote::Loading`] holds it) and act in
//!    `on_api` only on an event whose id it waits for ([`msg::Remote::waits_for`]); every
//!    screen sees every event, so a screen may also react to others' writes
//!    ([`msg::ApiReply::Deleted`], `Created`, `Updated`), as browse does.
//!    Work that needs the client for longer than one call is a typed request of its own
//!    ([`msg::ApiRequest::ImportScan`], `ImportSend`, `ExportFile`): add a variant, run it in
//!    `worker::call` (the code in `jobs.rs`), and report its steps through the one
//!    [`msg::JobReporter`]; the screen reads them in `on_api` like any answer.
//! 5. Tell the user with [`screens::Ctx::toast`] / [`screens::Ctx::toast_error`]; copy
//!    with [`screens::Ctx::copy`]. Render reads only: no IO, no clock (use `env.now`), no
//!    sends. Compute layouts with a function shared by `render` and `on_mouse`.
//! 6. Test it by feeding [`Msg`]s to an [`App`] and snapshotting the frame, and through
//!    the real loop with `tests/tui/harness.rs` (`tests/tui/custom_screen.rs` is a whole
//!    screen written outside the crate, request and job included).
//! 7. Need a timer (a debounce)? [`screens::Ctx::wake_at`], then [`screens::Screen::on_timer`].
//!    A file written safely? [`screens::Ctx::save_draft`]. The terminal for another program?
//!    [`screens::Ctx::external_edit`], answered in [`screens::Screen::on_external_edit`]. Work
//!    that must not be lost when the app ends goes in [`screens::Screen::on_quit`]. The
//!    editor (`screens/editor.rs`) uses all four.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    EventStream,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures::{Stream, StreamExt};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::api::Client;
use crate::config::Session;

pub mod app;
pub mod batch_jobs;
pub mod demo;
pub mod drafts;
pub mod external;
pub mod fmt;
pub mod jobs;
pub mod keys;
pub mod msg;
pub mod recent;
pub mod screens;
pub mod widgets;
pub mod worker;

pub use app::{App, AppOptions, Effect, Exit, ExitReason, TuiOptions, run_tui};
pub use msg::Msg;

use screens::Screen;
use screens::browse::Browse;
use screens::first_run::FirstRun;

/// Whether this process has the terminal in raw mode / the alternate screen.
static TERMINAL_ACTIVE: AtomicBool = AtomicBool::new(false);

/// Puts the terminal back as it was. Safe to call more than once and from a panic hook.
pub fn restore_terminal() {
    if TERMINAL_ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = std::io::stdout();
        let _ = execute!(
            out,
            DisableBracketedPaste,
            DisableMouseCapture,
            LeaveAlternateScreen,
            crossterm::cursor::Show
        );
        let _ = disable_raw_mode();
        let _ = out.flush();
    }
}

/// Restores the terminal on drop, whatever path leaves the function.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> std::io::Result<TerminalGuard> {
        install_panic_hook();
        let guard = TerminalGuard;
        take_terminal()?;
        Ok(guard)
    }
}

/// Raw mode, the alternate screen, mouse and bracketed paste; [`restore_terminal`] undoes it.
fn take_terminal() -> std::io::Result<()> {
    enable_raw_mode()?;
    TERMINAL_ACTIVE.store(true, Ordering::SeqCst);
    execute!(
        std::io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste
    )
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// A panic anywhere (any task, any thread) first gives the terminal back, then prints as
/// usual, then stops the loop.
fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
        app::PANICKED.store(true, Ordering::SeqCst);
        app::PANIC_NOTICE.notify_one();
    }));
}

/// The terminal's events, with a switch to let go of the terminal's input while another
/// program (the user's editor) reads it: crossterm reads the terminal on a thread of its
/// own while a stream is alive, so the stream itself is dropped, then made anew.
#[derive(Clone, Default)]
struct InputSwitch {
    events: Arc<std::sync::Mutex<Option<EventStream>>>,
    waker: Arc<std::sync::Mutex<Option<std::task::Waker>>>,
}

impl InputSwitch {
    fn new() -> Self {
        let s = InputSwitch::default();
        s.resume();
        s
    }

    fn pause(&self) {
        let stream = self.events.lock().map(|mut e| e.take());
        drop(stream);
    }

    fn resume(&self) {
        if let Ok(mut e) = self.events.lock() {
            *e = Some(EventStream::new());
        }
        if let Some(w) = self.waker.lock().ok().and_then(|mut w| w.take()) {
            w.wake();
        }
    }
}

impl Stream for InputSwitch {
    type Item = std::io::Result<crossterm::event::Event>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let Ok(mut events) = self.events.lock() else {
            return std::task::Poll::Ready(None);
        };
        match events.as_mut() {
            Some(s) => s.poll_next_unpin(cx),
            None => {
                if let Ok(mut w) = self.waker.lock() {
                    *w = Some(cx.waker().clone());
                }
                std::task::Poll::Pending
            }
        }
    }
}

/// Gives the terminal to the user's editor on `text` and takes it back: the input is let
/// go, raw mode and the alternate screen are left; afterwards both are set up again and
/// whatever was typed meanwhile is dropped, so no stray key reaches the app.
fn hand_over(input: &InputSwitch, text: &str) -> Result<String, String> {
    input.pause();
    restore_terminal();
    let result = external::edit_with(&external::editor_command(), text);
    // Keys typed while the editor ran and that it did not read are still queued in the
    // terminal: drop them, then anything crossterm had buffered before the hand-over.
    flush_terminal_input();
    let back = take_terminal();
    flush_terminal_input();
    while crossterm::event::poll(std::time::Duration::ZERO).unwrap_or(false) {
        if crossterm::event::read().is_err() {
            break;
        }
    }
    input.resume();
    back.map_err(|e| format!("cannot take the terminal back: {e}"))?;
    result
}

/// Discards input the terminal has received but nobody has read.
#[cfg(unix)]
fn flush_terminal_input() {
    if let Ok(tty) = std::fs::File::open("/dev/tty") {
        let _ = rustix::termios::tcflush(&tty, rustix::termios::QueueSelector::IFlush);
    }
}

#[cfg(not(unix))]
fn flush_terminal_input() {}

/// Terminal events as [`Msg`]s, plus SIGINT, SIGTERM and SIGHUP as [`Msg::Signal`]: a
/// SIGINT sent to the process (`kill -INT`) does what a Ctrl-C typed in the terminal does.
fn terminal_input() -> (impl Stream<Item = Msg> + Unpin, InputSwitch) {
    let switch = InputSwitch::new();
    let events = switch.clone().filter_map(|r| async move {
        match r {
            Ok(ev) => Msg::from_event(ev),
            // The terminal is gone: nothing more can be read or shown.
            Err(_) => Some(Msg::Terminate),
        }
    });
    (Box::pin(futures::stream::select(events, signals())), switch)
}

#[cfg(unix)]
fn signals() -> impl Stream<Item = Msg> {
    use tokio::signal::unix::{SignalKind, signal};
    let kinds = [
        SignalKind::interrupt(),
        SignalKind::terminate(),
        SignalKind::hangup(),
    ];
    let streams = kinds
        .into_iter()
        .filter_map(|k| signal(k).ok().map(|s| (k, s)))
        .map(|(k, s)| {
            let n = k.as_raw_value();
            futures::stream::unfold(s, move |mut s| async move {
                s.recv().await.map(|()| (Msg::Signal(n), s))
            })
            .boxed()
        });
    futures::stream::select_all(streams)
}

#[cfg(not(unix))]
fn signals() -> impl Stream<Item = Msg> {
    futures::stream::pending()
}

/// Writes `text` to the terminal's clipboard with OSC 52.
fn osc52_clipboard(text: &str) {
    let mut out = std::io::stdout();
    let _ = out.write_all(widgets::osc52(text).as_bytes());
    let _ = out.flush();
}

/// What the TUI needs to start on a session, minus the home screen.
pub struct Launch {
    pub session: Session,
    /// `None` keeps recent lookups in memory only.
    pub recent_file: Option<PathBuf>,
    /// The user's time zone, being worked out (see [`system_time_zone`]).
    pub tz: std::thread::JoinHandle<TimeZone>,
    /// The tracker's local mirror (`None`: search and where are off) and how old it may be
    /// before it is synced on start (`mirror.max_age`).
    pub mirror: Option<(crate::mirror::Mirror, std::time::Duration)>,
    /// Where the writes made from the TUI are recorded; `None` records nothing.
    pub recording: Option<worker::Recording>,
    /// The config file named on the command line (or in `PINSCOPE_CONFIG`), for commands
    /// shown to be run by hand.
    pub config: Option<PathBuf>,
    /// Warnings about the config or the key: shown in the UI, printed again after it ends
    /// (the alternate screen would hide them if printed before).
    pub warnings: Vec<String>,
}

/// Starts working out the system's time zone on a thread of its own: finding its name
/// can mean listing the whole zoneinfo directory, which need not hold up start-up.
pub fn system_time_zone() -> std::thread::JoinHandle<TimeZone> {
    std::thread::spawn(TimeZone::system)
}

/// Runs the TUI on the current tokio runtime with `root` as the home screen, on the real
/// terminal. Returns how it ended; the terminal is restored before this returns.
pub async fn open(launch: Launch, root: Box<dyn Screen>) -> Result<Exit, String> {
    let Launch {
        session,
        recent_file,
        tz,
        mirror,
        recording,
        config,
        warnings,
    } = launch;
    let keymap = keys::Keymap::with_overrides(&session.keys).map_err(|e| e.to_string())?;
    let client = Client::new(session.client.clone()).map_err(|e| e.to_string())?;
    let mut profile = screens::ProfileInfo::from_session(&session);
    if let Some(c) = config {
        profile.session_args = format!(
            "--config {} {}",
            screens::shell_quote(&c.display().to_string()),
            profile.session_args
        );
    }
    drop(session);
    let recent = recent_file
        .as_deref()
        .map(|p| recent::LOOKUPS.load(p))
        .unwrap_or_default();
    let mirror_status = mirror.as_ref().map(|(m, max_age)| screens::MirrorStatus {
        synced_at: m.synced_at().ok().flatten(),
        max_age: *max_age,
        syncing: None,
        progress: None,
    });
    let worker = worker::spawn_full(client, mirror.map(|(m, _)| m), recording);
    let tz = tz.join().unwrap_or(TimeZone::UTC);
    let guard = TerminalGuard::enter().map_err(|e| format!("cannot set up the terminal: {e}"))?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))
        .map_err(|e| format!("cannot set up the terminal: {e}"))?;
    let size = terminal.size().map_err(|e| e.to_string())?;
    let mut app = App::new(AppOptions {
        profile,
        keymap,
        tz,
        recent,
        now: Timestamp::now(),
        size: (size.width, size.height),
    });
    app.set_drafts_dir(crate::config::data_dir().map(|d| d.join("drafts")));
    app.set_monochrome(widgets::theme::no_color_requested());
    app.set_mirror(mirror_status);
    app.open_boxed(root);
    if app
        .env()
        .mirror
        .as_ref()
        .is_some_and(|m| m.is_stale(Timestamp::now()))
    {
        app.sync_mirror();
    }
    if !warnings.is_empty() {
        app.show_error(format!("warning: {}", warnings.join("; ")));
        let lines: Vec<String> = warnings.iter().map(|w| format!("warning: {w}")).collect();
        app.note_on_exit("config-warnings", lines.join("\n"));
    }
    let (input, switch) = terminal_input();
    let result = run_tui(
        &mut terminal,
        &mut app,
        input,
        worker,
        TuiOptions {
            clock: Arc::new(Timestamp::now),
            clipboard: Box::new(osc52_clipboard),
            on_frame: None,
            recent_file,
            external_editor: Some(Box::new(move |text| hand_over(&switch, text))),
        },
    )
    .await;
    drop(terminal);
    drop(guard);
    result.map_err(|e| format!("terminal error: {e}"))
}

/// The TUI on `launch`'s session, home on browse.
pub async fn browse(launch: Launch) -> Result<Exit, String> {
    open(launch, Box::new(Browse::new())).await
}

/// The first-run screen, for a user without a config: it says where the file goes and what
/// to put in it. There is no service to talk to, so the session is never used for a request.
pub async fn first_run(config_path: String) -> Result<Exit, String> {
    let session = Session {
        profile_name: "none".into(),
        label: "no config".into(),
        color: None,
        production: false,
        read_only: false,
        client: crate::api::ClientConfig::new(
            "http://127.0.0.1:9",
            "-",
            crate::api::Secret::new(""),
        ),
        keys: Default::default(),
    };
    let launch = Launch {
        session,
        recent_file: None,
        tz: system_time_zone(),
        mirror: None,
        recording: None,
        config: None,
        warnings: Vec::new(),
    };
    open(launch, Box::new(FirstRun::new(config_path))).await
}

/// The history of `session`'s tracker in the mirror's database, pruned to `keep_days`;
/// `None` (and a note in the log) when it cannot be opened.
pub fn open_recording(session: &Session, keep_days: u32) -> Option<worker::Recording> {
    use crate::mirror::{Scope, default_path, history::History};
    let path = default_path()?;
    let scope = Scope::new(&session.client.host, &session.client.tracker_id);
    match History::open(&path, &scope) {
        Ok(h) => {
            if let Err(e) = h.prune(keep_days, Timestamp::now()) {
                tracing::warn!(error = %e, "history not pruned");
            }
            Some(worker::Recording {
                history: Arc::new(h),
                origin: crate::mirror::history::Origin {
                    profile: session.profile_name.clone(),
                    host: scope.host,
                    tracker: scope.tracker,
                },
            })
        }
        Err(e) => {
            tracing::warn!(error = %e, "no history: writes will not be recorded");
            None
        }
    }
}
