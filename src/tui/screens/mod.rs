//! Screens: each owns its state, its key handling and its render.
//!
//! A screen implements [`Screen`] and lives on the app's stack; the top one gets the input,
//! every one gets every [`ApiEvent`]. Screens talk to the rest of the app only through the
//! [`Ctx`] they are handed: send requests, push and close screens, show toasts, copy text.

use std::path::PathBuf;

use crossterm::event::{KeyEvent, MouseEvent};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;

use crate::api::{Customization, ExportQuery};
use crate::config::Session;
use crate::tui::keys::{Action, Context, Keymap};
use crate::tui::msg::{ApiEvent, ApiRequest, ReqId};

pub mod agenda;
pub mod browse;
pub mod campaign;
pub mod detail;
pub mod editor;
pub mod error;
pub mod export;
pub mod first_run;
pub mod health;
pub mod help;
pub mod import;
pub mod lookup;
pub mod pager;
pub mod search;
pub mod tracker;
pub mod where_pinned;

/// The profile as the screens see it: no key, nothing secret.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileInfo {
    pub label: String,
    pub color: Option<Color>,
    pub production: bool,
    pub read_only: bool,
    pub tracker: String,
    pub host: String,
    /// The command-line options that choose this session again (`--profile NAME`, or
    /// `--host URL --tracker-id ID`), shell-quoted, for commands shown to be run by hand.
    pub session_args: String,
}

impl ProfileInfo {
    pub fn from_session(s: &Session) -> ProfileInfo {
        ProfileInfo {
            label: s.label.clone(),
            color: s.color.as_deref().and_then(|c| c.parse::<Color>().ok()),
            production: s.production,
            read_only: s.read_only,
            tracker: s.client.tracker_id.clone(),
            host: s.client.host.clone(),
            session_args: session_args(s),
        }
    }
}

/// `--profile NAME`, or for a session given on the command line `--host URL --tracker-id
/// ID` (its key comes from `PINSCOPE_PRIVATE_KEY`, as it did).
fn session_args(s: &Session) -> String {
    if s.profile_name == crate::config::ADHOC_PROFILE {
        format!(
            "--host {} --tracker-id {}",
            shell_quote(&s.client.host),
            shell_quote(&s.client.tracker_id)
        )
    } else {
        format!("--profile {}", shell_quote(&s.profile_name))
    }
}

/// `text` as one word for a POSIX shell: as it is when it holds only safe characters,
/// else in single quotes. Hand-written: one rule, not worth a crate.
pub fn shell_quote(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// What every screen may read: the clock (as last told), the time zone, the keymap, the
/// profile, recent lookups, the terminal's size and the spinner's frame.
#[derive(Debug, Clone)]
pub struct Env {
    /// The time, as the last [`crate::tui::msg::Msg::Clock`] said.
    pub now: Timestamp,
    /// The user's time zone: dates and pin states are shown in it.
    pub tz: TimeZone,
    pub keymap: Keymap,
    pub profile: ProfileInfo,
    /// Recently looked-up ids, newest first.
    pub recent: Vec<String>,
    /// The whole terminal.
    pub size: Rect,
    /// Advances while a request is in flight.
    pub spinner: usize,
    /// Where the editor keeps drafts; `None` keeps none.
    pub drafts_dir: Option<PathBuf>,
    /// The local mirror of the tracker, when there is one: search and where read it.
    pub mirror: Option<MirrorStatus>,
}

/// How fresh the local mirror is, as the status bar shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MirrorStatus {
    /// The last complete sync; `None` before the first.
    pub synced_at: Option<jiff::Timestamp>,
    /// Older than this, the TUI syncs on start (`mirror.max_age`).
    pub max_age: std::time::Duration,
    /// The sync in flight.
    pub syncing: Option<crate::tui::msg::ReqId>,
    /// How far the sync in flight is: customizations stored, and in what time.
    pub progress: Option<(u64, std::time::Duration)>,
}

impl MirrorStatus {
    /// Whether the mirror should be synced at `now`.
    pub fn is_stale(&self, now: jiff::Timestamp) -> bool {
        match self.synced_at {
            None => true,
            Some(t) => (now.as_second() - t.as_second()).max(0) as u64 > self.max_age.as_secs(),
        }
    }

    /// `synced 3 min ago`, `syncing…`, `syncing 12000 (24000/s)`, `never synced`.
    pub fn words(&self, now: jiff::Timestamp) -> String {
        if self.syncing.is_some() {
            return match self.progress {
                Some((n, took)) if !took.is_zero() => {
                    let rate = n as f64 / took.as_secs_f64();
                    format!("syncing {n} ({rate:.0}/s)")
                }
                Some((n, _)) => format!("syncing {n}"),
                None => "syncing…".into(),
            };
        }
        match self.synced_at {
            None => "never synced".into(),
            Some(t) => {
                let age = (now.as_second() - t.as_second()).max(0) as u64;
                if age < 60 {
                    "synced just now".into()
                } else {
                    format!(
                        "synced {} ago",
                        crate::mirror::age_words(std::time::Duration::from_secs(age))
                    )
                }
            }
        }
    }
}

/// Whether `e` says the service cannot be reached (as opposed to an answer it gave): the
/// screens then show the mirror's data under [`offline_banner`].
pub fn service_unreachable(e: &crate::api::ApiError) -> bool {
    use crate::api::ApiError;
    match e {
        ApiError::Connect { .. } | ApiError::Timeout { .. } | ApiError::Network { .. } => true,
        ApiError::Status(s) => matches!(s.status, 502..=504),
        _ => false,
    }
}

/// `offline, data from 14:05` (with the date when the sync was on another day), or `None`
/// without a synced mirror.
pub fn offline_banner(env: &Env) -> Option<String> {
    let at = env.mirror.as_ref()?.synced_at?;
    let then = at.to_zoned_datetime(env.tz.clone());
    let today = env.now.to_zoned_datetime(env.tz.clone()).date();
    let format = if then.date() == today {
        "%H:%M"
    } else {
        "%Y-%m-%d %H:%M"
    };
    Some(format!("offline, data from {}", then.strftime(format)))
}

impl Env {
    /// The spinner's current glyph.
    pub fn spinner_glyph(&self) -> &'static str {
        const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
        FRAMES[self.spinner % FRAMES.len()]
    }
}

/// A key, as a screen receives it: a named action, or the raw key when it means no action
/// there (typed into a focused text field, or ignored).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Input {
    Action(Action),
    Key(KeyEvent),
}

/// Info or error, for toasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Error,
}

/// A screen that one screen asks for, by what it shows. Screens never construct each other:
/// they name the screen they want ([`Ctx::open`], [`Ctx::replace`]) and [`Route::build`], the
/// one place that knows every screen, makes it. So `detail` does not import `editor`, nor
/// `editor` `detail`.
#[derive(Debug, Clone)]
pub enum Route {
    /// A customization as a list showed it; the detail fetches the current version.
    Detail(Customization),
    /// A customization just read from (or written to) the service.
    DetailLoaded(Customization),
    /// The customization with this id, fetched from the service.
    DetailById(String),
    /// Look a customization up by id.
    Lookup,
    /// Pin changes across the tracker, by day (`A`).
    Agenda,
    /// The lint findings across the tracker, by rule (`L`).
    Health,
    /// A new customization, in the editor.
    Create,
    /// Edit this customization.
    Edit(Customization),
    /// A new customization, starting from a copy of this one.
    Duplicate(Customization),
    /// Import a file; reports and the journal go under this data dir.
    Import(Option<PathBuf>),
    /// Export what these queries select (one export call each); `about` says what in words.
    Export {
        queries: Vec<ExportQuery>,
        about: String,
    },
    /// A failure in full, over the screen that failed.
    Error {
        title: String,
        error: crate::api::ApiError,
    },
    /// Search the whole tracker in the mirror.
    Search,
    /// Where an item is pinned, across the tracker.
    WherePinned,
    /// Where this item is pinned (asked from a pin in the detail).
    WherePinnedItem(String),
    /// The change form over these customizations (`b`), with what was typed before.
    Batch {
        ids: Vec<String>,
        draft: Option<campaign::BatchDraft>,
    },
    /// The plan of a change over these customizations (nothing sent), then its apply.
    BatchPlan {
        ids: Vec<String>,
        spec: crate::tui::msg::Shared<crate::batch::ChangeSpec>,
        draft: campaign::BatchDraft,
    },
    /// The history of writes (`H`).
    History,
    /// One operation of the history and its diffs.
    Operation(i64),
    /// The plan of the undo of an operation, then its apply.
    Undo(i64),
}

impl Route {
    /// The screen for this route.
    pub fn build(self, env: &Env) -> Box<dyn Screen> {
        match self {
            Route::Detail(c) => Box::new(detail::Detail::from_list(c)),
            Route::DetailLoaded(c) => Box::new(detail::Detail::loaded(c)),
            Route::DetailById(id) => Box::new(detail::Detail::fetch(id)),
            Route::WherePinnedItem(item) => Box::new(where_pinned::WherePinned::with_item(&item)),
            Route::Lookup => Box::new(lookup::Lookup::new()),
            Route::Agenda => Box::new(agenda::AgendaScreen::new()),
            Route::Health => Box::new(health::HealthScreen::new()),
            Route::Create => Box::new(editor::Editor::create()),
            Route::Edit(c) => Box::new(editor::Editor::edit(c)),
            Route::Duplicate(c) => Box::new(editor::Editor::duplicate(&c)),
            Route::Import(data_dir) => Box::new(import::ImportScreen::new(data_dir)),
            Route::Export { queries, about } => {
                Box::new(export::ExportDialog::new(queries, about, env.now, &env.tz))
            }
            Route::Error { title, error } => Box::new(error::ErrorPopup::api(title, &error)),
            Route::Search => Box::new(search::Search::new()),
            Route::WherePinned => Box::new(where_pinned::WherePinned::new()),
            Route::Batch { ids, draft } => Box::new(campaign::ChangeForm::new(ids, draft)),
            Route::BatchPlan { ids, spec, draft } => {
                Box::new(campaign::PlanRun::batch(ids, spec, draft))
            }
            Route::History => Box::new(campaign::HistoryList::new()),
            Route::Operation(op) => Box::new(campaign::OperationView::new(op)),
            Route::Undo(op) => Box::new(campaign::PlanRun::undo(op)),
        }
    }
}

/// What a screen asks the app to do.
pub enum Command {
    Send(ReqId, ApiRequest),
    Push(Box<dyn Screen>),
    /// Closes the screen at this stack index and every screen above it.
    Close(usize),
    Toast(Tone, String),
    /// Puts text on the clipboard (OSC 52); `what` names it in the confirmation.
    Copy {
        text: String,
        what: String,
    },
    RememberLookup(String),
    Quit,
    /// Wake the screens ([`Screen::on_timer`]) once this time has come.
    WakeAt(Timestamp),
    /// Write this file (atomically): a draft.
    SaveDraft {
        path: PathBuf,
        contents: String,
    },
    /// Remove this draft file, if it exists.
    RemoveDraft(PathBuf),
    /// Hand the terminal to `$VISUAL` / `$EDITOR` on this text; the answer comes back in
    /// [`Screen::on_external_edit`].
    ExternalEdit(String),
    /// Print this on stderr once the terminal is restored (the last one per key wins).
    NoteOnExit {
        key: String,
        text: String,
    },
}

/// A screen's handle on the app, for one call.
pub struct Ctx<'a> {
    pub env: &'a Env,
    /// The area the screen is drawn in.
    pub area: Rect,
    index: usize,
    next_id: &'a mut u64,
    commands: &'a mut Vec<Command>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        env: &'a Env,
        area: Rect,
        index: usize,
        next_id: &'a mut u64,
        commands: &'a mut Vec<Command>,
    ) -> Self {
        Ctx {
            env,
            area,
            index,
            next_id,
            commands,
        }
    }

    /// Sends a request to the worker; its [`ApiEvent`] will carry the returned id.
    pub fn request(&mut self, req: ApiRequest) -> ReqId {
        *self.next_id += 1;
        let id = ReqId(*self.next_id);
        self.commands.push(Command::Send(id, req));
        id
    }

    /// Opens a screen on top of the stack.
    pub fn push(&mut self, screen: impl Screen + 'static) {
        self.commands.push(Command::Push(Box::new(screen)));
    }

    /// Closes this screen (and anything opened above it).
    pub fn close(&mut self) {
        self.commands.push(Command::Close(self.index));
    }

    /// Opens the screen `route` names on top of the stack.
    pub fn open(&mut self, route: Route) {
        let screen = route.build(self.env);
        self.commands.push(Command::Push(screen));
    }

    /// Closes this screen and opens the one `route` names in its place.
    pub fn replace(&mut self, route: Route) {
        self.close();
        self.open(route);
    }

    /// A short message at the bottom that goes away by itself.
    pub fn toast(&mut self, text: impl Into<String>) {
        self.commands.push(Command::Toast(Tone::Info, text.into()));
    }

    pub fn toast_error(&mut self, text: impl Into<String>) {
        self.commands.push(Command::Toast(Tone::Error, text.into()));
    }

    /// Copies to the clipboard and says so.
    pub fn copy(&mut self, text: impl Into<String>, what: impl Into<String>) {
        self.commands.push(Command::Copy {
            text: text.into(),
            what: what.into(),
        });
    }

    /// Adds an id to the recent lookups (kept between runs).
    pub fn remember_lookup(&mut self, id: impl Into<String>) {
        self.commands.push(Command::RememberLookup(id.into()));
    }

    pub fn quit(&mut self) {
        self.commands.push(Command::Quit);
    }

    /// Asks for a call to [`Screen::on_timer`] once `at` has come (a debounce, say). The
    /// app keeps the earliest time asked for; a screen woken early asks again.
    pub fn wake_at(&mut self, at: Timestamp) {
        self.commands.push(Command::WakeAt(at));
    }

    /// Writes a draft file (atomically, by the loop).
    pub fn save_draft(&mut self, path: PathBuf, contents: String) {
        self.commands.push(Command::SaveDraft { path, contents });
    }

    /// Removes a draft file.
    pub fn remove_draft(&mut self, path: PathBuf) {
        self.commands.push(Command::RemoveDraft(path));
    }

    /// Prints `text` on stderr after the app ends and the terminal is restored; a later
    /// note with the same `key` replaces it.
    pub fn note_on_exit(&mut self, key: impl Into<String>, text: impl Into<String>) {
        self.commands.push(Command::NoteOnExit {
            key: key.into(),
            text: text.into(),
        });
    }

    /// Opens `text` in the user's editor; the loop gives the terminal away and takes it
    /// back, then calls [`Screen::on_external_edit`] on the top screen.
    pub fn external_edit(&mut self, text: String) {
        self.commands.push(Command::ExternalEdit(text));
    }
}

/// One screen of the app.
pub trait Screen: Send {
    /// A short name for help's title and for tests (`browse`, `detail`).
    fn name(&self) -> &'static str;

    /// The actions it understands right now (a screen may change mode).
    fn context(&self) -> Context;

    /// Drawn over the screen below it instead of replacing it (dialogs).
    fn is_overlay(&self) -> bool {
        false
    }

    /// Called once, when the screen is pushed: send the first requests here.
    fn on_open(&mut self, _ctx: &mut Ctx) {}

    /// A key, already resolved against the keymap with [`Screen::context`].
    fn on_input(&mut self, input: Input, ctx: &mut Ctx);

    /// The user asked to retry after a network error: send again what failed.
    fn on_retry(&mut self, _ctx: &mut Ctx) {}

    /// Pasted text.
    fn on_paste(&mut self, _text: &str, _ctx: &mut Ctx) {}

    /// A mouse event; `ctx.area` is where the screen is drawn.
    fn on_mouse(&mut self, _ev: MouseEvent, _ctx: &mut Ctx) {}

    /// Every answer from the worker, whoever asked.
    fn on_api(&mut self, _ev: &ApiEvent, _ctx: &mut Ctx) {}

    /// Called after the terminal changed size (`ctx.area` is the new area).
    fn on_resize(&mut self, _ctx: &mut Ctx) {}

    /// A time asked for with [`Ctx::wake_at`] has come (for one screen or another).
    fn on_timer(&mut self, _ctx: &mut Ctx) {}

    /// The external editor closed: the text it saved, or why it could not run.
    fn on_external_edit(&mut self, _result: Result<String, String>, _ctx: &mut Ctx) {}

    /// The app is about to quit (or was told to end): save what must not be lost.
    fn on_quit(&mut self, _ctx: &mut Ctx) {}

    /// Ctrl-C was pressed while this screen is on the stack (asked from the top down).
    /// Return `true` to handle it here instead of quitting (an import in progress asks
    /// first).
    fn on_interrupt(&mut self, _ctx: &mut Ctx) -> bool {
        false
    }

    /// Counts for the status bar (`312 of 312`), from the topmost screen that has some.
    fn counts(&self) -> Option<String> {
        None
    }

    /// Draws the screen. Reads only: no IO, no clock, no sends.
    fn render(&self, frame: &mut Frame, area: Rect, env: &Env);
}
