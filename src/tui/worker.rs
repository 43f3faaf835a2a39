//! The one task that owns the [`Client`] (and so the private key). The app sends it
//! `(ReqId, ApiRequest)` pairs; it runs them concurrently on its own task and sends back one
//! [`ApiEvent`] each. It never touches UI state.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::mpsc;

use crate::api::{Client, Customization};
use crate::mirror::history::{History, OpKind, Origin};
use crate::tui::jobs::{self, ImportReply};
use crate::tui::msg::{ApiEvent, ApiReply, ApiRequest, CallInfo, JobReporter, ReqId};

/// The app's end of the worker: requests out, events in.
#[derive(Debug)]
pub struct WorkerHandle {
    pub requests: mpsc::UnboundedSender<(ReqId, ApiRequest)>,
    pub events: mpsc::UnboundedReceiver<ApiEvent>,
}

/// Where the worker records the writes it makes (the editor's create, save and delete).
#[derive(Clone)]
pub struct Recording {
    pub history: Arc<History>,
    pub origin: Origin,
}

impl Recording {
    /// Records one write; a history that cannot be written is logged, never a reason to
    /// report the write as failed (it happened).
    fn record(
        &self,
        kind: OpKind,
        id: &str,
        before: Option<&Customization>,
        after: Option<&Customization>,
    ) {
        let summary = format!("{} {id} (editor)", kind.as_str());
        if let Err(e) = self.history.record_all(
            &self.origin,
            kind,
            &summary,
            jiff::Timestamp::now(),
            &[(id, before, after)],
        ) {
            tracing::warn!(error = %e, "the write is not in the history");
        }
    }
}

/// Starts the worker on the current tokio runtime. It ends when the app drops its
/// [`WorkerHandle`] and the requests in flight are done. Writes are not recorded.
pub fn spawn(client: Client) -> WorkerHandle {
    spawn_recording(client, None)
}

/// [`spawn`], recording every create, update and delete in `recording`'s history.
pub fn spawn_recording(client: Client, recording: Option<Recording>) -> WorkerHandle {
    let (req_tx, req_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    tokio::spawn(work(client, recording, req_rx, ev_tx));
    WorkerHandle {
        requests: req_tx,
        events: ev_rx,
    }
}

async fn work(
    client: Client,
    recording: Option<Recording>,
    mut requests: mpsc::UnboundedReceiver<(ReqId, ApiRequest)>,
    events: mpsc::UnboundedSender<ApiEvent>,
) {
    let mut in_flight = FuturesUnordered::new();
    let mut open = true;
    loop {
        tokio::select! {
            next = requests.recv(), if open => match next {
                Some((id, req)) => in_flight.push(call_recording(&client, recording.as_ref(), id, req, &events)),
                None => open = false,
            },
            Some(ev) = in_flight.next(), if !in_flight.is_empty() => {
                if events.send(ev).is_err() {
                    return;
                }
            }
            else => return,
        }
    }
}

/// Runs one request; long work (an import, an export into a file) also reports
/// its steps to `events` under the request's id, through one [`JobReporter`], as it goes.
pub async fn call(
    client: &Client,
    id: ReqId,
    req: ApiRequest,
    events: &mpsc::UnboundedSender<ApiEvent>,
) -> ApiEvent {
    call_recording(client, None, id, req, events).await
}

/// [`call`], recording a successful create, update or delete. The version an update or a
/// delete replaces is fetched first for the history's before image.
pub async fn call_recording(
    client: &Client,
    recording: Option<&Recording>,
    id: ReqId,
    req: ApiRequest,
    events: &mpsc::UnboundedSender<ApiEvent>,
) -> ApiEvent {
    let method = req.method();
    let path = client.path(&req.sub_path());
    let ok_status = req.success_status();
    let started = Instant::now();
    let reporter = |call| JobReporter::new(id, call, events.clone());
    // The import's steps, as the engine hands them over.
    let import_steps = || -> Arc<dyn Fn(ImportReply) + Send + Sync> {
        let reporter = reporter(CallInfo {
            method,
            path: path.clone(),
            status: None,
            latency: Duration::ZERO,
        });
        // A closed channel means the app is gone; the work ends with the runtime.
        Arc::new(move |r| {
            reporter.step(ApiReply::Import(r));
        })
    };
    let result = match req {
        ApiRequest::List(q) => client.list(&q).await.map(ApiReply::Page),
        ApiRequest::Get(id) => client.get(&id).await.map(ApiReply::Customization),
        ApiRequest::Summary => client.summary().await.map(ApiReply::Summary),
        ApiRequest::Create(c) => {
            let r = client.create(&c).await;
            if let (Some(rec), Ok(created)) = (recording, &r)
                && let Some(new_id) = created.id()
            {
                rec.record(OpKind::Create, new_id, None, Some(created));
            }
            r.map(ApiReply::Created)
        }
        ApiRequest::Update { id, body } => {
            let before = match recording {
                Some(_) => client.get(&id).await.ok(),
                None => None,
            };
            let r = client.update(&id, &body).await;
            if let (Some(rec), Ok(())) = (recording, &r) {
                let mut after = body.clone();
                if let Some(b) = &before {
                    for k in ["id", "created_at", "creator"] {
                        if let Some(v) = b.get(k) {
                            after.set(k, v.clone());
                        }
                    }
                }
                rec.record(OpKind::Update, &id, before.as_ref(), Some(&after));
            }
            r.map(|()| ApiReply::Updated(id))
        }
        ApiRequest::Delete(id) => {
            let before = match recording {
                Some(_) => client.get(&id).await.ok(),
                None => None,
            };
            let r = client.delete(&id).await;
            if let (Some(rec), Ok(())) = (recording, &r) {
                rec.record(OpKind::Delete, &id, before.as_ref(), None);
            }
            r.map(|()| ApiReply::Deleted(id))
        }
        ApiRequest::ImportScan(job) => Ok(ApiReply::Import(jobs::scan(job, import_steps()).await)),
        ApiRequest::ImportSend(job) => Ok(ApiReply::Import(
            jobs::send(
                client,
                recording.map(|r| crate::import::ImportHistory {
                    history: r.history.clone(),
                    origin: r.origin.clone(),
                    summary: String::new(),
                }),
                job,
                import_steps(),
            )
            .await,
        )),
        ApiRequest::ExportFile(job) => jobs::export(client, job).await.map(ApiReply::ExportFile),
        ApiRequest::Tracker => client
            .export(&crate::api::ExportQuery::default())
            .await
            .map(|all| ApiReply::Tracker(jobs::Shared::new(all))),
    };
    let status = match &result {
        Ok(_) => Some(ok_status),
        Err(e) => e.status(),
    };
    ApiEvent {
        id,
        call: CallInfo {
            method,
            path,
            status,
            latency: started.elapsed(),
        },
        result,
    }
}
