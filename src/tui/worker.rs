//! The one task that owns the [`Client`] (and so the private key). The app sends it
//! `(ReqId, ApiRequest)` pairs; it runs them concurrently on its own task and sends back one
//! [`ApiEvent`] each. It never touches UI state.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::mpsc;

use crate::api::{ApiError, Client, Customization};
use crate::mirror::history::{History, OpKind, Origin};
use crate::mirror::{Mirror, MirrorError};
use crate::tui::batch_jobs;
use crate::tui::jobs::{self, ImportReply};
use crate::tui::msg::{ApiEvent, ApiReply, ApiRequest, BatchReply, CallInfo, JobReporter, ReqId};

/// The app's end of the worker: requests out, events in.
#[derive(Debug)]
pub struct WorkerHandle {
    pub requests: mpsc::UnboundedSender<(ReqId, ApiRequest)>,
    pub events: mpsc::UnboundedReceiver<ApiEvent>,
}

/// The worker's mirror, shared with the blocking threads that query it. `None` inside
/// while an in-memory mirror is being synced, or when there is none.
pub type SharedMirror = Arc<std::sync::Mutex<Option<Mirror>>>;

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
    spawn_full(client, None, recording)
}

/// [`spawn`], with the tracker's local mirror: the worker answers the mirror requests
/// from it and keeps its rows true after every write and every fresh read.
pub fn spawn_with_mirror(client: Client, mirror: Option<Mirror>) -> WorkerHandle {
    spawn_full(client, mirror, None)
}

/// [`spawn`] with a mirror and a history, either optional.
pub fn spawn_full(
    client: Client,
    mirror: Option<Mirror>,
    recording: Option<Recording>,
) -> WorkerHandle {
    let (req_tx, req_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    let mirror: SharedMirror = Arc::new(std::sync::Mutex::new(mirror));
    tokio::spawn(work(client, mirror, recording, req_rx, ev_tx));
    WorkerHandle {
        requests: req_tx,
        events: ev_rx,
    }
}

async fn work(
    client: Client,
    mirror: SharedMirror,
    recording: Option<Recording>,
    mut requests: mpsc::UnboundedReceiver<(ReqId, ApiRequest)>,
    events: mpsc::UnboundedSender<ApiEvent>,
) {
    let mut in_flight = FuturesUnordered::new();
    let mut open = true;
    loop {
        tokio::select! {
            next = requests.recv(), if open => match next {
                Some((id, req)) => in_flight.push(call_full(&client, &mirror, recording.as_ref(), id, req, &events)),
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
    let none: SharedMirror = Arc::new(std::sync::Mutex::new(None));
    call_full(client, &none, recording, id, req, events).await
}

/// [`call`] with a mirror to answer from and keep true.
pub async fn call_with(
    client: &Client,
    mirror: &SharedMirror,
    id: ReqId,
    req: ApiRequest,
    events: &mpsc::UnboundedSender<ApiEvent>,
) -> ApiEvent {
    call_full(client, mirror, None, id, req, events).await
}

/// [`call`] with a mirror (answered from and kept true) and a history (writes recorded).
pub async fn call_full(
    client: &Client,
    mirror: &SharedMirror,
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
    // A 404 for this id removes its row from the mirror.
    let not_found = match &req {
        ApiRequest::Get(id) | ApiRequest::Update { id, .. } | ApiRequest::Delete(id) => {
            Some(id.clone())
        }
        _ => None,
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
        ApiRequest::MirrorSync => {
            let steps = reporter(CallInfo {
                method,
                path: path.clone(),
                status: None,
                latency: Duration::ZERO,
            });
            sync_mirror(client, mirror, steps).await
        }
        ApiRequest::MirrorSearch { query, limit } => {
            with_mirror(mirror, move |m| {
                let hits = m.search(&query, limit)?;
                Ok(ApiReply::MirrorHits { query, hits })
            })
            .await
        }
        ApiRequest::SearchIds { query } => {
            with_mirror(mirror, move |m| {
                let found = m.search_ids(&query)?;
                let mut ids = crate::tui::screens::browse::Selection::default();
                ids.extend(found.iter().map(String::as_str));
                Ok(ApiReply::SearchSelection { query, ids })
            })
            .await
        }
        ApiRequest::MirrorWhere(item) => {
            with_mirror(mirror, move |m| {
                let pins = m.where_pinned(&item)?;
                Ok(ApiReply::MirrorPins { item, pins })
            })
            .await
        }
        ApiRequest::MirrorBrowse {
            query,
            offset,
            limit,
        } => {
            with_mirror(mirror, move |m| {
                let total = m.browse_count(&query)?;
                let rows = m.browse_window(&query, offset, limit)?;
                Ok(ApiReply::MirrorWindow {
                    total,
                    offset,
                    rows,
                })
            })
            .await
        }
        ApiRequest::MirrorGet(id) => {
            with_mirror(mirror, move |m| {
                let row = m.get(&id)?.and_then(|s| s.customization());
                Ok(ApiReply::MirrorRow(row.map(Box::new)))
            })
            .await
        }
        ApiRequest::MirrorSummary => {
            with_mirror(mirror, |m| m.summary().map(ApiReply::Summary)).await
        }
        ApiRequest::MatchingIds {
            query,
            exports,
            offset,
            limit,
        } => match ids_from_mirror(mirror, query, offset, limit).await {
            Some(answer) => answer,
            None => ids_from_export(client, &exports, offset, limit).await,
        },
        ApiRequest::BatchPlan(job) => batch_jobs::plan(client, mirror, job)
            .await
            .map(ApiReply::Batch),
        ApiRequest::BatchApply(job) => {
            let steps = reporter(CallInfo {
                method,
                path: path.clone(),
                status: None,
                latency: Duration::ZERO,
            });
            batch_jobs::run(client, mirror, recording, job, move |t| {
                steps.step(ApiReply::Batch(BatchReply::Tick(t)));
            })
            .await
            .map(ApiReply::Batch)
        }
        ApiRequest::History { limit } => batch_jobs::history(recording, limit)
            .await
            .map(ApiReply::Batch),
        ApiRequest::HistoryOp(op) => batch_jobs::operation(recording, op)
            .await
            .map(ApiReply::Batch),
        ApiRequest::UndoPlan(op) => batch_jobs::undo_plan(client, recording, op)
            .await
            .map(ApiReply::Batch),
        ApiRequest::Tracker => match tracker_from_mirror(mirror).await {
            Some(answer) => answer,
            None => client
                .export(&crate::api::ExportQuery::default())
                .await
                .map(|all| ApiReply::Tracker(jobs::Shared::new(all))),
        },
    };
    follow(client, mirror, &result, not_found).await;
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

/// Runs `f` on a blocking thread with the mirror, when there is one and it was synced at
/// least once; `None` otherwise (the caller then asks the service), or when `f` says so.
pub async fn on_synced_mirror<T: Send + 'static>(
    mirror: &SharedMirror,
    f: impl FnOnce(&Mirror) -> Option<T> + Send + 'static,
) -> Option<T> {
    let mirror = mirror.clone();
    tokio::task::spawn_blocking(move || {
        let guard = mirror
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let m = guard.as_ref()?;
        if !matches!(m.synced_at(), Ok(Some(_))) {
            return None;
        }
        f(m)
    })
    .await
    .ok()
    .flatten()
}

/// The whole tracker from the mirror, for the agenda and health screens; `None` when there
/// is no mirror or it was never synced (the tracker then comes from one export call).
async fn tracker_from_mirror(mirror: &SharedMirror) -> Option<Result<ApiReply, ApiError>> {
    on_synced_mirror(mirror, |m| {
        let mut all = Vec::new();
        let walked = m.for_each_customization(|stored| {
            if let Some(c) = stored.customization() {
                all.push(c);
            }
            Ok::<(), MirrorError>(())
        });
        Some(
            walked
                .map(|()| ApiReply::Tracker(jobs::Shared::new(all)))
                .map_err(local_error),
        )
    })
    .await
}

/// The ids a browse view matches, from the mirror; `None` when there is no mirror or it
/// was never synced.
async fn ids_from_mirror(
    mirror: &SharedMirror,
    query: crate::mirror::browse::BrowseQuery,
    offset: u64,
    limit: Option<u64>,
) -> Option<Result<ApiReply, ApiError>> {
    on_synced_mirror(mirror, move |m| {
        let mut ids = crate::tui::screens::browse::Selection::default();
        Some(
            m.for_each_browse_id(&query, offset, limit, |id| {
                ids.insert(id);
            })
            .map(|()| ApiReply::Ids(ids))
            .map_err(local_error),
        )
    })
    .await
}

/// The ids the export calls return (each id once, in the calls' order).
async fn ids_from_export(
    client: &Client,
    exports: &[crate::api::ExportQuery],
    offset: u64,
    limit: Option<u64>,
) -> Result<ApiReply, ApiError> {
    let mut seen = std::collections::HashSet::new();
    let mut ids = Vec::new();
    for q in exports {
        for c in client.export(q).await? {
            if let Some(id) = c.id()
                && seen.insert(id.to_string())
            {
                ids.push(id.to_string());
            }
        }
    }
    let from = usize::try_from(offset).unwrap_or(usize::MAX).min(ids.len());
    let mut ids = ids.split_off(from);
    if let Some(l) = limit {
        ids.truncate(usize::try_from(l).unwrap_or(usize::MAX));
    }
    let mut selection = crate::tui::screens::browse::Selection::default();
    selection.extend(ids.iter().map(String::as_str));
    Ok(ApiReply::Ids(selection))
}

fn local_error(e: MirrorError) -> ApiError {
    match e {
        MirrorError::Api(e) => e,
        other => ApiError::Config(other.to_string()),
    }
}

/// Runs `f` on the mirror on a blocking thread.
async fn with_mirror(
    mirror: &SharedMirror,
    f: impl FnOnce(&mut Mirror) -> Result<ApiReply, MirrorError> + Send + 'static,
) -> Result<ApiReply, ApiError> {
    let mirror = mirror.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = mirror
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match guard.as_mut() {
            Some(m) => f(m).map_err(local_error),
            None => Err(ApiError::Config(
                "the local mirror is not open (or is being synced)".into(),
            )),
        }
    })
    .await
    .unwrap_or_else(|e| Err(ApiError::Config(format!("the mirror task failed: {e}"))))
}

/// Syncs the mirror from one export. A mirror in a file is synced through a connection
/// of its own, so searches keep answering from the old rows meanwhile; one in memory is
/// taken out for the time of the sync.
async fn sync_mirror(
    client: &Client,
    mirror: &SharedMirror,
    steps: JobReporter,
) -> Result<ApiReply, ApiError> {
    // The count and the time so far, a few times a second at most.
    let started = Instant::now();
    let mut last = started;
    let progress = move |count: u64| {
        let now = Instant::now();
        if now.duration_since(last) >= Duration::from_millis(100) {
            last = now;
            steps.step(ApiReply::MirrorProgress {
                count,
                elapsed: now.duration_since(started),
            });
        }
    };
    let (path, scope) = {
        let guard = mirror
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match guard.as_ref() {
            Some(m) => (
                m.path().map(std::path::Path::to_path_buf),
                m.scope().clone(),
            ),
            None => {
                return Err(ApiError::Config(
                    "the local mirror is not open (or is being synced)".into(),
                ));
            }
        }
    };
    let (back, result) = match &path {
        Some(p) => {
            let own = Mirror::open(p, &scope).map_err(local_error)?;
            let (own, r) = crate::mirror::sync::sync_from_client(own, client, progress).await;
            drop(own);
            (None, r)
        }
        None => {
            let taken = mirror
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            let Some(m) = taken else {
                return Err(ApiError::Config("the local mirror is being synced".into()));
            };
            let (m, r) = crate::mirror::sync::sync_from_client(m, client, progress).await;
            (Some(m.or_else(|| Mirror::open_in_memory(&scope).ok())), r)
        }
    };
    if let Some(m) = back {
        *mirror
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = m;
    }
    let stats = result.map_err(local_error)?;
    let at = {
        let guard = mirror
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard
            .as_ref()
            .and_then(|m| m.synced_at().ok().flatten())
            .unwrap_or_else(jiff::Timestamp::now)
    };
    Ok(ApiReply::MirrorSynced { stats, at })
}

/// Keeps the mirror's rows true after a call: a fresh read or a write replaces or removes
/// its row; a 404 removes it. Mirror trouble is logged, never shown as the call's failure.
async fn follow(
    client: &Client,
    mirror: &SharedMirror,
    result: &Result<ApiReply, ApiError>,
    not_found: Option<String>,
) {
    if mirror
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .is_none()
    {
        return;
    }
    enum Change {
        Upsert(Customization),
        Remove(String),
    }
    let change = match result {
        Ok(ApiReply::Customization(c) | ApiReply::Created(c)) => Change::Upsert(c.clone()),
        Ok(ApiReply::Updated(id)) => match client.get(id).await {
            // The update's answer has no body: the service's version is read back.
            Ok(c) => Change::Upsert(c),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read back an update for the mirror");
                return;
            }
        },
        Ok(ApiReply::Deleted(id)) => Change::Remove(id.clone()),
        Err(e) if e.status() == Some(404) => match not_found {
            Some(id) => Change::Remove(id),
            None => return,
        },
        _ => return,
    };
    let r = with_mirror(mirror, move |m| {
        match change {
            Change::Upsert(c) => m.upsert(&c)?,
            Change::Remove(id) => {
                m.remove(&id)?;
            }
        }
        Ok(ApiReply::Updated(String::new()))
    })
    .await;
    if let Err(e) = r {
        tracing::warn!(error = %e, "the mirror did not follow a write");
    }
}
