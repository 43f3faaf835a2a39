//! Everything that flows into [`App::update`](crate::tui::app::App::update): terminal input,
//! the clock, and the worker's answers; and what flows out to the worker.

use std::fmt;

use std::time::Duration;

use tokio::sync::mpsc;

use crossterm::event::{Event, KeyEvent, KeyEventKind, MouseEvent};
use jiff::Timestamp;

use crate::api::{ApiError, Customization, ListQuery, Page, Summary};
pub use crate::tui::batch_jobs::{ApplyJob, BatchReply, PlanJob};
pub use crate::tui::jobs::{ExportDone, ExportJob, ImportReply, ScanJob, SendJob, Shared};

/// Identifies one request. Every request gets a fresh one; a screen remembers the id of its
/// latest request and ignores any reply that carries another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReqId(pub u64);

impl fmt::Display for ReqId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// One call to the service, as data. The worker turns it into a [`crate::api::Client`] call.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiRequest {
    /// `POST /scopes`: one page.
    List(ListQuery),
    /// `GET /scope/{id}`.
    Get(String),
    /// `GET /summary`.
    Summary,
    /// `POST /scope`.
    Create(Customization),
    /// `PUT /scope/{id}`: replaces the whole definition.
    Update { id: String, body: Customization },
    /// `DELETE /scope/{id}`.
    Delete(String),
    /// Validates a file for import (nothing is sent). Steps come as [`ApiReply::Import`].
    ImportScan(ScanJob),
    /// Sends a validated file, chunk by chunk. Steps come as [`ApiReply::Import`].
    ImportSend(SendJob),
    /// Exports (one request per combination of filter values) into a file.
    ExportFile(ExportJob),
    /// Refreshes the local mirror from one export ([`crate::mirror`]).
    MirrorSync,
    /// Searches the whole tracker in the mirror (no request to the service).
    MirrorSearch { query: String, limit: usize },
    /// Every id the tracker search for `query` finds, for browse's selection (`*` on the
    /// search screen). Answered with [`ApiReply::SearchSelection`].
    SearchIds { query: String },
    /// Every pin of an item across the tracker, from the mirror.
    MirrorWhere(String),
    /// One customization as the mirror holds it (the detail, when the service cannot be
    /// reached). Answered with [`ApiReply::MirrorRow`].
    MirrorGet(String),
    /// The models (with their counts) and tags in the mirror, as [`ApiReply::Summary`]
    /// (the filter panel's choices, offline too).
    MirrorSummary,
    /// One window of browse's view of the mirror: the rows from `offset` (at most
    /// `limit`) and how many match. Answered with [`ApiReply::MirrorWindow`].
    MirrorBrowse {
        query: crate::mirror::browse::BrowseQuery,
        offset: u64,
        limit: u64,
    },
    /// The ids of what a browse view matches, from `offset` (at most `limit`): from the
    /// mirror when it was synced, else from the `exports` (the same filters, as export
    /// calls). Answered with [`ApiReply::Ids`].
    MatchingIds {
        query: crate::mirror::browse::BrowseQuery,
        exports: Vec<crate::api::ExportQuery>,
        offset: u64,
        limit: Option<u64>,
    },
    /// Every customization of the tracker, for the agenda and the health screen: from the
    /// mirror when it was synced, else one export call. Answered with [`ApiReply::Tracker`].
    Tracker,
    /// Plans a change over a selection (from the mirror, else the service); sends nothing.
    /// Answered with [`BatchReply::Planned`].
    BatchPlan(PlanJob),
    /// Applies a plan's items; [`BatchReply::Tick`] steps, then [`BatchReply::Applied`].
    BatchApply(ApplyJob),
    /// The history of writes, newest first ([`BatchReply::History`]).
    History { limit: Option<u64> },
    /// One operation of the history and what it wrote ([`BatchReply::Operation`]).
    HistoryOp(i64),
    /// The undo plan of an operation, checked against the service
    /// ([`BatchReply::UndoPlanned`]); nothing is written.
    UndoPlan(i64),
}

/// How long work in the worker (an import, an export into a file) reports progress: each
/// step reaches every screen as an [`ApiEvent`] with the request's id, and the request stays
/// in flight. Long work is always a typed request ([`ApiRequest::ImportScan`], ...), so tests
/// and screens can read what was asked.
#[derive(Clone, Debug)]
pub struct JobReporter {
    id: ReqId,
    call: CallInfo,
    events: mpsc::UnboundedSender<ApiEvent>,
}

impl JobReporter {
    /// Reports under `id`, each with `call` for the status bar.
    pub(crate) fn new(id: ReqId, call: CallInfo, events: mpsc::UnboundedSender<ApiEvent>) -> Self {
        JobReporter { id, call, events }
    }

    /// Sends one step; `false` once the app is gone.
    pub(crate) fn step(&self, reply: ApiReply) -> bool {
        self.events
            .send(ApiEvent {
                id: self.id,
                call: self.call.clone(),
                result: Ok(reply),
            })
            .is_ok()
    }
}

impl ApiRequest {
    /// The HTTP method, for the status bar.
    pub fn method(&self) -> &'static str {
        match self {
            ApiRequest::Get(_) | ApiRequest::Summary | ApiRequest::UndoPlan(_) => "GET",
            ApiRequest::BatchApply(_) => "PUT",
            ApiRequest::Update { .. } => "PUT",
            ApiRequest::Delete(_) => "DELETE",
            ApiRequest::List(_)
            | ApiRequest::Create(_)
            | ApiRequest::ImportSend(_)
            | ApiRequest::ExportFile(_)
            | ApiRequest::MirrorSync
            | ApiRequest::Tracker => "POST",
            ApiRequest::ImportScan(_)
            | ApiRequest::MirrorSearch { .. }
            | ApiRequest::SearchIds { .. }
            | ApiRequest::MirrorWhere(_)
            | ApiRequest::MirrorBrowse { .. }
            | ApiRequest::MirrorSummary
            | ApiRequest::MirrorGet(_)
            | ApiRequest::MatchingIds { .. }
            | ApiRequest::BatchPlan(_)
            | ApiRequest::History { .. }
            | ApiRequest::HistoryOp(_) => "READ",
        }
    }

    /// The path below the tracker base (`/scope/ID`), for the status bar.
    pub fn sub_path(&self) -> String {
        match self {
            ApiRequest::List(_) => "/scopes".into(),
            ApiRequest::Get(id) | ApiRequest::Delete(id) | ApiRequest::Update { id, .. } => {
                format!("/scope/{id}")
            }
            ApiRequest::Summary => "/summary".into(),
            ApiRequest::Create(_) => "/scope".into(),
            ApiRequest::ExportFile(_) | ApiRequest::Tracker | ApiRequest::MirrorSync => {
                "/scopes/export".into()
            }
            ApiRequest::ImportSend(_) => "/scopes/_bulk".into(),
            ApiRequest::BatchApply(_) | ApiRequest::UndoPlan(_) => "/scope".into(),
            ApiRequest::ImportScan(_)
            | ApiRequest::MirrorSearch { .. }
            | ApiRequest::SearchIds { .. }
            | ApiRequest::MirrorWhere(_)
            | ApiRequest::MirrorBrowse { .. }
            | ApiRequest::MirrorSummary
            | ApiRequest::MirrorGet(_)
            | ApiRequest::MatchingIds { .. }
            | ApiRequest::BatchPlan(_)
            | ApiRequest::History { .. }
            | ApiRequest::HistoryOp(_) => String::new(),
        }
    }

    /// The status a success answers with.
    pub fn success_status(&self) -> u16 {
        match self {
            ApiRequest::Create(_) => 201,
            ApiRequest::Update { .. } | ApiRequest::Delete(_) => 204,
            _ => 200,
        }
    }

    /// Whether the call changes data on the server.
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            ApiRequest::Create(_)
                | ApiRequest::Update { .. }
                | ApiRequest::Delete(_)
                | ApiRequest::ImportSend(_)
                | ApiRequest::BatchApply(_)
        )
    }
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiReply {
    Page(Page),
    Customization(Customization),
    Summary(Summary),
    Created(Customization),
    /// The customization with this id was replaced.
    Updated(String),
    /// The customization with this id was deleted.
    Deleted(String),
    /// A step or the end of an import job ([`ApiRequest::ImportScan`],
    /// [`ApiRequest::ImportSend`]).
    Import(ImportReply),
    /// The end of an [`ApiRequest::ExportFile`].
    ExportFile(ExportDone),
    /// The mirror was synced ([`ApiRequest::MirrorSync`]); it was synced at `at`.
    MirrorSynced {
        stats: crate::mirror::SyncStats,
        at: jiff::Timestamp,
    },
    /// A step of an [`ApiRequest::MirrorSync`]: this many customizations stored so far,
    /// in this time.
    MirrorProgress {
        count: u64,
        elapsed: std::time::Duration,
    },
    /// The answer to an [`ApiRequest::MirrorSearch`], best first.
    MirrorHits {
        query: String,
        hits: Vec<crate::mirror::Stored>,
    },
    /// The answer to an [`ApiRequest::MirrorWhere`].
    MirrorPins {
        item: String,
        pins: Vec<crate::mirror::StoredPin>,
    },
    /// The answer to an [`ApiRequest::MirrorBrowse`].
    MirrorWindow {
        total: u64,
        offset: u64,
        rows: Vec<crate::mirror::Stored>,
    },
    /// The answer to an [`ApiRequest::MirrorGet`]: `None` when the mirror has no such row.
    MirrorRow(Option<Box<Customization>>),
    /// The answer to an [`ApiRequest::MatchingIds`]: the ids, kept as compactly as the
    /// selection keeps them (100k ids are about 2 MB, not 6).
    Ids(crate::tui::screens::browse::Selection),
    /// The answer to an [`ApiRequest::SearchIds`]. Browse adds these ids to its selection
    /// whoever asked: the search screen asks on its behalf.
    SearchSelection {
        query: String,
        ids: crate::tui::screens::browse::Selection,
    },
    /// The answer to [`ApiRequest::Tracker`], shared by every screen that sees it.
    Tracker(Shared<Vec<Customization>>),
    /// A step or the end of campaign work ([`ApiRequest::BatchPlan`], ...).
    Batch(BatchReply),
}

impl ApiReply {
    /// A step of long work: more events with the same id follow, the request stays in
    /// flight.
    pub fn is_step(&self) -> bool {
        match self {
            ApiReply::Import(r) => r.is_step(),
            ApiReply::Batch(r) => r.is_step(),
            ApiReply::MirrorProgress { .. } => true,
            _ => false,
        }
    }

    /// Work of the worker's own (an import) rather than one call: the screen that asked
    /// shows it; the status bar's last call stays as it is.
    pub fn is_local(&self) -> bool {
        matches!(
            self,
            ApiReply::Import(_)
                | ApiReply::MirrorHits { .. }
                | ApiReply::MirrorPins { .. }
                | ApiReply::MirrorWindow { .. }
                | ApiReply::MirrorRow(_)
                | ApiReply::MirrorProgress { .. }
                | ApiReply::Ids(_)
                | ApiReply::SearchSelection { .. }
                | ApiReply::Batch(_)
        )
    }
}

/// What the status bar says about a finished request.
#[derive(Debug, Clone, PartialEq)]
pub struct CallInfo {
    pub method: &'static str,
    /// The full request path, without the query string (a job's label for a job).
    pub path: String,
    /// The HTTP status, when an answer came back.
    pub status: Option<u16>,
    pub latency: Duration,
}

impl CallInfo {
    /// A job has no HTTP status of its own.
    pub fn job(label: &str, latency: Duration) -> CallInfo {
        CallInfo {
            method: "JOB",
            path: label.to_string(),
            status: None,
            latency,
        }
    }
}

/// The worker's answer to one request. Every screen sees every event: it acts on those with
/// the id of its latest request, and may also react to other screens' successful writes
/// (a [`ApiReply::Deleted`] removes the row from browse, say).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiEvent {
    pub id: ReqId,
    pub call: CallInfo,
    pub result: Result<ApiReply, ApiError>,
}

/// The state of something fetched from the service.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Remote<T> {
    /// Not asked for.
    #[default]
    Idle,
    /// Asked for by this request; an answer to any other is stale.
    Loading(ReqId),
    Ready(T),
    Failed(ApiError),
}

impl<T> Remote<T> {
    pub fn is_loading(&self) -> bool {
        matches!(self, Remote::Loading(_))
    }

    /// Whether `id` is the request this value waits for.
    pub fn waits_for(&self, id: ReqId) -> bool {
        matches!(self, Remote::Loading(r) if *r == id)
    }

    pub fn ready(&self) -> Option<&T> {
        match self {
            Remote::Ready(t) => Some(t),
            _ => None,
        }
    }

    pub fn error(&self) -> Option<&ApiError> {
        match self {
            Remote::Failed(e) => Some(e),
            _ => None,
        }
    }
}

/// Everything that can happen to the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// Text pasted into the terminal (bracketed paste).
    Paste(String),
    /// The terminal's new size (columns, rows).
    Resize(u16, u16),
    /// The current time. The loop sends it before every other message, so nothing else
    /// reads the clock.
    Clock(Timestamp),
    /// A timer fired: the spinner, a toast's end, or a time a screen asked to be woken at
    /// ([`crate::tui::screens::Ctx::wake_at`]).
    Tick,
    Api(Box<ApiEvent>),
    /// A request to end that is not a signal (the terminal went away).
    Terminate,
    /// The process got signal `n` (SIGINT, SIGTERM, SIGHUP): the app quits as for Ctrl-C,
    /// and the process exits with 128 + n.
    Signal(i32),
    /// The external editor asked for by [`crate::tui::app::Effect::ExternalEdit`] closed:
    /// the text as saved, or why it could not run.
    ExternalEdited(Result<String, String>),
}

impl Msg {
    /// Maps a terminal event; `None` for events the app does not use (key releases, focus).
    pub fn from_event(ev: Event) -> Option<Msg> {
        match ev {
            Event::Key(k) if k.kind != KeyEventKind::Release => Some(Msg::Key(k)),
            Event::Key(_) => None,
            Event::Mouse(m) => Some(Msg::Mouse(m)),
            Event::Paste(s) => Some(Msg::Paste(s)),
            Event::Resize(w, h) => Some(Msg::Resize(w, h)),
            Event::FocusGained | Event::FocusLost => None,
        }
    }
}

/// A failure the status bar shows until the next success (network, 5xx, 429).
#[derive(Debug, Clone, PartialEq)]
pub struct Trouble {
    pub call: CallInfo,
    pub error: ApiError,
}
