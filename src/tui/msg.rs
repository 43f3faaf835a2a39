//! Everything that flows into [`App::update`](crate::tui::app::App::update): terminal input,
//! the clock, and the worker's answers; and what flows out to the worker.

use std::fmt;
use std::time::Duration;

use crossterm::event::{Event, KeyEvent, KeyEventKind, MouseEvent};
use jiff::Timestamp;

use crate::api::{
    ApiError, ConflictStrategy, Customization, ExportQuery, ListQuery, Page, Summary,
};

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
            | ApiRequest::Export(_) => "POST",
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
            ApiRequest::Export(_) => "/scopes/export".into(),
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
}

/// What the status bar says about a finished request.
#[derive(Debug, Clone, PartialEq)]
pub struct CallInfo {
    pub method: &'static str,
    /// The full request path, without the query string.
    pub path: String,
    /// The HTTP status, when an answer came back.
    pub status: Option<u16>,
    pub latency: Duration,
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
    /// A timer asked for by [`crate::tui::app::Effect::WakeAfter`] fired (spinner, toasts).
    Tick,
    Api(Box<ApiEvent>),
    /// SIGTERM or a similar request to end.
    Terminate,
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
