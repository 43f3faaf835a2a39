//! Everything that flows into [`App::update`](crate::tui::app::App::update): terminal input,
//! the clock, and the worker's answers; and what flows out to the worker.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::mpsc;

use crossterm::event::{Event, KeyEvent, KeyEventKind, MouseEvent};
use jiff::Timestamp;

use crate::api::{
    ApiError, Client, ConflictStrategy, Customization, ExportQuery, ListQuery, Page, Summary,
};
pub use crate::tui::jobs::{ExportDone, ExportJob, ImportReply, ScanJob, SendJob};

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
    /// `POST /scopes/_bulk`: `ndjson` is the body as sent.
    BulkCreate {
        ndjson: Vec<u8>,
        strategy: ConflictStrategy,
    },
    /// `POST /scopes/export`.
    Export(ExportQuery),
    /// Work that needs the client for longer than one call (an import).
    Job(Job),
    /// Validates a file for import (nothing is sent). Steps come as [`ApiReply::Import`].
    ImportScan(ScanJob),
    /// Sends a validated file, chunk by chunk. Steps come as [`ApiReply::Import`].
    ImportSend(SendJob),
    /// Exports (one request per combination of filter values) into a file.
    ExportFile(ExportJob),
}

/// What a [`Job`] reports or returns: any value, shared. Screens downcast it to the type
/// their job sends (`data.get::<MyProgress>()`).
#[derive(Clone)]
pub struct JobData(Arc<dyn Any + Send + Sync>);

impl JobData {
    pub fn new<T: Any + Send + Sync>(value: T) -> JobData {
        JobData(Arc::new(value))
    }

    /// The value, when it is a `T`.
    pub fn get<T: Any>(&self) -> Option<&T> {
        self.0.downcast_ref::<T>()
    }
}

impl fmt::Debug for JobData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JobData(..)")
    }
}

impl PartialEq for JobData {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// How long work in the worker reports progress: each report reaches every screen as an
/// [`ApiEvent`] with the request's id, and the request stays in flight. A [`Job`]'s
/// reports are [`ApiReply::JobUpdate`]s; the import's are [`ApiReply::Import`] steps.
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

    /// Sends a progress report; returns `false` once the app is gone (the job may stop).
    pub fn report<T: Any + Send + Sync>(&self, update: T) -> bool {
        self.step(ApiReply::JobUpdate(JobData::new(update)))
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

type JobFn =
    Box<dyn FnOnce(Client, JobReporter) -> BoxFuture<'static, Result<JobData, ApiError>> + Send>;

/// Work that runs on the worker's task with a clone of the worker's client (the key stays
/// there), reports progress through a [`JobReporter`], and ends with a [`JobData`] in
/// [`ApiReply::JobDone`] (or an error): how a screen (one written outside the crate too)
/// runs long work while nothing but the worker ever holds the client.
#[derive(Clone)]
pub struct Job {
    label: &'static str,
    run: Arc<Mutex<Option<JobFn>>>,
}

impl Job {
    /// `label` names the job in the status bar (`import`).
    pub fn new<F, Fut, T>(label: &'static str, f: F) -> Job
    where
        F: FnOnce(Client, JobReporter) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
        T: Any + Send + Sync,
    {
        let run: JobFn = Box::new(move |client, reporter| {
            Box::pin(async move { f(client, reporter).await.map(JobData::new) })
        });
        Job {
            label,
            run: Arc::new(Mutex::new(Some(run))),
        }
    }

    pub fn label(&self) -> &'static str {
        self.label
    }

    /// Takes the work out (it runs once).
    pub(crate) fn take(&self) -> Option<JobFn> {
        self.run.lock().ok().and_then(|mut r| r.take())
    }
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Job({})", self.label)
    }
}

impl PartialEq for Job {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.run, &other.run)
    }
}

impl ApiRequest {
    /// The HTTP method, for the status bar.
    pub fn method(&self) -> &'static str {
        match self {
            ApiRequest::Get(_) | ApiRequest::Summary => "GET",
            ApiRequest::Update { .. } => "PUT",
            ApiRequest::Delete(_) => "DELETE",
            ApiRequest::List(_)
            | ApiRequest::Create(_)
            | ApiRequest::BulkCreate { .. }
            | ApiRequest::Export(_)
            | ApiRequest::ImportSend(_)
            | ApiRequest::ExportFile(_) => "POST",
            ApiRequest::ImportScan(_) => "READ",
            ApiRequest::Job(_) => "JOB",
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
            ApiRequest::BulkCreate { .. } => "/scopes/_bulk".into(),
            ApiRequest::Export(_) | ApiRequest::ExportFile(_) => "/scopes/export".into(),
            ApiRequest::ImportSend(_) => "/scopes/_bulk".into(),
            ApiRequest::ImportScan(_) => String::new(),
            ApiRequest::Job(j) => j.label().into(),
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
                | ApiRequest::BulkCreate { .. }
                | ApiRequest::Job(_)
                | ApiRequest::ImportSend(_)
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
    BulkDone,
    Exported(Vec<Customization>),
    /// A running job's progress report (the job is still in flight).
    JobUpdate(JobData),
    /// A job's result.
    JobDone(JobData),
    /// A step or the end of an import job ([`ApiRequest::ImportScan`],
    /// [`ApiRequest::ImportSend`]).
    Import(ImportReply),
    /// The end of an [`ApiRequest::ExportFile`].
    ExportFile(ExportDone),
}

impl ApiReply {
    /// A step of long work: more events with the same id follow, the request stays in
    /// flight.
    pub fn is_step(&self) -> bool {
        matches!(self, ApiReply::JobUpdate(_)) || matches!(self, ApiReply::Import(r) if r.is_step())
    }

    /// Work of the worker's own (an import) rather than one call: the screen that asked
    /// shows it; the status bar's last call stays as it is.
    pub fn is_local(&self) -> bool {
        matches!(self, ApiReply::Import(_) | ApiReply::JobUpdate(_))
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
