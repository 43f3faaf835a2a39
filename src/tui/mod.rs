//! The terminal UI.
//!
//! # Shape
//!
//! - [`msg`]: everything that flows in ([`Msg`]: keys, mouse, paste, resize, the clock,
//!   timer ticks, the worker's [`msg::ApiEvent`]s) and out to the worker
//!   ([`msg::ApiRequest`], tagged with a [`msg::ReqId`]). [`msg::Remote`] is the state of
//!   anything fetched.
//! - [`app`]: [`App`] owns all UI state; [`App::update`] is the only thing that changes it and
//!   returns [`app::Effect`]s for the loop to carry out. [`run`] is the loop: generic over the
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
//! 5. Tell the user with [`screens::Ctx::toast`] / [`screens::Ctx::toast_error`]; copy
//!    with [`screens::Ctx::copy`]. Render reads only: no IO, no clock (use `env.now`), no
//!    sends. Compute layouts with a function shared by `render` and `on_mouse`.
//! 6. Test it by feeding [`Msg`]s to an [`App`] and snapshotting the frame (see
//!    `tests/tui/`).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
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
pub mod demo;
pub mod fmt;
pub mod jobs;
pub mod keys;
pub mod msg;
pub mod recent;
pub mod screens;
pub mod widgets;
pub mod worker;

pub use app::{App, AppOptions, Effect, Exit, ExitReason, RunOptions, run};
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
        enable_raw_mode()?;
        TERMINAL_ACTIVE.store(true, Ordering::SeqCst);
        let guard = TerminalGuard;
        execute!(
            std::io::stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste
        )?;
        Ok(guard)
    }
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

/// Terminal events as [`Msg`]s, plus SIGTERM and SIGHUP as [`Msg::Terminate`].
fn terminal_input() -> impl Stream<Item = Msg> + Unpin {
    let events = EventStream::new().filter_map(|r| async move {
        match r {
            Ok(ev) => Msg::from_event(ev),
            // The terminal is gone: nothing more can be read or shown.
            Err(_) => Some(Msg::Terminate),
        }
    });
    Box::pin(futures::stream::select(events, signals()))
}

#[cfg(unix)]
fn signals() -> impl Stream<Item = Msg> {
    use tokio::signal::unix::{SignalKind, signal};
    let kinds = [SignalKind::terminate(), SignalKind::hangup()];
    let streams = kinds.into_iter().filter_map(|k| signal(k).ok()).map(|s| {
        futures::stream::unfold(s, |mut s| async move {
            s.recv().await.map(|()| (Msg::Terminate, s))
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
}

/// Runs the TUI on the current tokio runtime with `root` as the home screen, on the real
/// terminal. Returns how it ended; the terminal is restored before this returns.
pub async fn open(launch: Launch, root: Box<dyn Screen>) -> Result<Exit, String> {
    let Launch {
        session,
        recent_file,
    } = launch;
    let keymap = keys::Keymap::with_overrides(&session.keys).map_err(|e| e.to_string())?;
    let client = Client::new(session.client.clone()).map_err(|e| e.to_string())?;
    let profile = screens::Profile::from_session(&session);
    drop(session);
    let recent = recent_file.as_deref().map(recent::load).unwrap_or_default();
    let worker = worker::spawn(client);
    let guard = TerminalGuard::enter().map_err(|e| format!("cannot set up the terminal: {e}"))?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))
        .map_err(|e| format!("cannot set up the terminal: {e}"))?;
    let size = terminal.size().map_err(|e| e.to_string())?;
    let mut app = App::new(AppOptions {
        profile,
        keymap,
        tz: TimeZone::system(),
        recent,
        now: Timestamp::now(),
        size: (size.width, size.height),
    });
    app.open_boxed(root);
    let result = run(
        &mut terminal,
        &mut app,
        terminal_input(),
        worker,
        RunOptions {
            clock: Arc::new(Timestamp::now),
            clipboard: Box::new(osc52_clipboard),
            on_frame: None,
            recent_file,
        },
    )
    .await;
    drop(terminal);
    drop(guard);
    result.map_err(|e| format!("terminal error: {e}"))
}

/// A current-thread runtime: one thread is plenty for a UI and the worker, and it keeps
/// start-up fast and memory small.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Turns how the TUI ended into an exit code, printing any message (the terminal is
/// already restored).
pub fn finish(result: Result<Exit, String>) -> ExitCode {
    match result {
        Ok(Exit {
            reason: ExitReason::Quit | ExitReason::Terminated | ExitReason::InputClosed,
            ..
        }) => ExitCode::SUCCESS,
        Ok(Exit { message, .. }) => {
            if let Some(m) = message {
                eprintln!("error: {m}");
            }
            ExitCode::from(crate::cli::exit::API)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(crate::cli::exit::USAGE)
        }
    }
}

/// `pinscope` with a session: the TUI on browse.
pub fn launch(session: Session) -> ExitCode {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(crate::cli::exit::USAGE);
        }
    };
    let launch = Launch {
        session,
        recent_file: recent::default_path(),
    };
    finish(rt.block_on(open(launch, Box::new(Browse::new()))))
}

/// `pinscope` with no config: the first-run screen.
pub fn launch_first_run(config_path: String) -> ExitCode {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(crate::cli::exit::USAGE);
        }
    };
    // No service to talk to: a session that is never used for a request.
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
    };
    finish(rt.block_on(open(launch, Box::new(FirstRun::new(config_path)))))
}

/// Where the config file is looked for: `PINSCOPE_CONFIG`, else the platform config dir.
fn config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PINSCOPE_CONFIG") {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "pinscope").map(|d| d.config_dir().join("config.toml"))
}

/// The one place the TUI reads the config: the default profile's session, or `None` when
/// there is no config file.
fn load_default_session() -> Result<Option<Session>, String> {
    match config_path() {
        Some(path) if path.exists() => Err(format!(
            "{}: profiles cannot be read by this build yet; `pinscope demo` works without one",
            path.display()
        )),
        _ => Ok(None),
    }
}

/// `pinscope` with no subcommand: the TUI on the default profile, or the first-run screen
/// when there is no config.
pub fn launch_default() -> ExitCode {
    match load_default_session() {
        Ok(Some(session)) => launch(session),
        Ok(None) => launch_first_run(
            config_path().map_or_else(|| "config.toml".to_string(), |p| p.display().to_string()),
        ),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(crate::cli::exit::USAGE)
        }
    }
}
