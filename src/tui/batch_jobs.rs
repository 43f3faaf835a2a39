//! Campaign work the worker runs for the TUI: planning a change over a selection (from the
//! mirror, else from the service), applying a plan with progress and a cancel, and reading
//! the history and planning an undo. The engine is [`crate::batch`]; this file only feeds
//! it what the worker owns (the client, the mirror, the history) and reports back.

use std::sync::Arc;

use futures::StreamExt;

use crate::api::{ApiError, Client, Customization};
use crate::batch::apply::{self, ApplyOptions, Cancel, Recorder, Report, Tick};
use crate::batch::{ChangeSpec, Outcome, Plan, PlanItem, undo};
use crate::mirror::history::{Item, OpKind, OpRow};
use crate::tui::jobs::Shared;
use crate::tui::worker::{Recording, SharedMirror, on_synced_mirror};

/// Plan `spec` over the customizations with these ids.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanJob {
    pub ids: Vec<String>,
    pub spec: Shared<ChangeSpec>,
}

/// Apply plan items (a batch's or an undo's).
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyJob {
    pub items: Shared<Vec<PlanItem>>,
    pub kind: OpKind,
    /// The history's summary of the operation.
    pub summary: String,
    pub concurrency: usize,
    /// Write over what changed on the service since the plan (an undo told so).
    pub overwrite: bool,
    pub cancel: Shared<Cancel>,
}

/// A plan made in the worker.
#[derive(Debug, Clone)]
pub struct Planned {
    pub plan: Plan,
    /// Selected ids that neither the mirror nor the service holds.
    pub missing: Vec<String>,
    /// Where the selection was read: `mirror` or `service`.
    pub source: &'static str,
}

/// An undo plan: per item, why it will be skipped (changed on the service since), if so.
#[derive(Debug, Clone)]
pub struct UndoPlanned {
    pub op: OpRow,
    pub items: Vec<PlanItem>,
    pub conflicts: Vec<Option<String>>,
}

/// What campaign work tells the screen that asked.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchReply {
    /// The plan of a [`PlanJob`].
    Planned(Shared<Planned>),
    /// Step: one more customization done.
    Tick(Tick),
    /// The end of an [`ApplyJob`]: every customization's outcome.
    Applied(Shared<Report>),
    /// The history, newest first.
    History(Vec<OpRow>),
    /// One operation and what it wrote.
    Operation { op: OpRow, items: Shared<Vec<Item>> },
    /// The undo plan of an operation.
    UndoPlanned(Shared<UndoPlanned>),
}

impl BatchReply {
    /// More replies follow.
    pub fn is_step(&self) -> bool {
        matches!(self, BatchReply::Tick(_))
    }
}

fn no_history() -> ApiError {
    ApiError::Config(
        "no history is kept for this session (the mirror's database cannot be opened)".into(),
    )
}

fn local(e: impl std::fmt::Display) -> ApiError {
    ApiError::Config(e.to_string())
}

/// The selection as the mirror holds it (when it was synced), else as the service does.
pub async fn plan(
    client: &Client,
    mirror: &SharedMirror,
    job: PlanJob,
) -> Result<BatchReply, ApiError> {
    let ids = job.ids;
    let from_mirror = {
        let ids = ids.clone();
        on_synced_mirror(mirror, move |m| {
            let stored = m.get_many(&ids).ok()?;
            let mut found = Vec::with_capacity(ids.len());
            let mut missing = Vec::new();
            for (id, s) in ids.into_iter().zip(stored) {
                match s.and_then(|s| s.customization()) {
                    Some(c) => found.push(c),
                    None => missing.push(id),
                }
            }
            Some((found, missing))
        })
        .await
    };
    let (selection, missing, source) = match from_mirror {
        Some((found, missing)) => (found, missing, "mirror"),
        None => {
            let client = client.clone();
            let fetched: Vec<(String, Result<Customization, ApiError>)> =
                on_runtime_thread(move || async move {
                    futures::stream::iter(ids)
                        .map(|id| {
                            let client = &client;
                            async move {
                                let r = client.get(&id).await;
                                (id, r)
                            }
                        })
                        .buffered(crate::batch::DEFAULT_CONCURRENCY)
                        .collect()
                        .await
                })
                .await?;
            let mut found = Vec::new();
            let mut missing = Vec::new();
            for (id, r) in fetched {
                match r {
                    Ok(c) => found.push(c),
                    Err(e) if e.status() == Some(404) => missing.push(id),
                    Err(e) => return Err(e),
                }
            }
            (found, missing, "service")
        }
    };
    let spec = (*job.spec).clone();
    let plan = tokio::task::spawn_blocking(move || Plan::make(spec, selection))
        .await
        .map_err(local)?
        .map_err(local)?;
    Ok(BatchReply::Planned(Shared::new(Planned {
        plan,
        missing,
        source,
    })))
}

/// Applies a plan, a [`BatchReply::Tick`] after each customization, and keeps the mirror's
/// rows true for what was written.
pub async fn run(
    client: &Client,
    mirror: &SharedMirror,
    recording: Option<&Recording>,
    job: ApplyJob,
    tick: impl Fn(Tick) + Send + Sync + 'static,
) -> Result<BatchReply, ApiError> {
    let (c, rec, items) = (client.clone(), recording.cloned(), job.items.clone());
    let report = on_runtime_thread(move || async move {
        apply::run(
            &c,
            &items,
            ApplyOptions {
                concurrency: job.concurrency.max(1),
                recorder: rec.as_ref().map(|r| Recorder {
                    history: &r.history,
                    origin: r.origin.clone(),
                    kind: job.kind,
                    summary: job.summary.clone(),
                    at: jiff::Timestamp::now(),
                }),
                progress: Some(&tick),
                cancel: (*job.cancel).clone(),
                overwrite: job.overwrite,
            },
        )
        .await
    })
    .await?;
    follow(client, mirror, &job.items, &report).await;
    Ok(BatchReply::Applied(Shared::new(report)))
}

/// Runs engine work (streams of borrowing futures, whose `Send` the compiler cannot see
/// through) on a blocking thread of the runtime, driven there by the runtime's handle.
async fn on_runtime_thread<T, F>(f: impl FnOnce() -> F + Send + 'static) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: std::future::Future<Output = T>,
{
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(f()))
        .await
        .map_err(local)
}

/// Brings the mirror's rows up to date with what an apply wrote: an updated row is read
/// back, a deleted one removed, a created one read by its new id.
async fn follow(client: &Client, mirror: &SharedMirror, items: &[PlanItem], report: &Report) {
    let has_mirror = mirror
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .is_some();
    if !has_mirror {
        return;
    }
    enum Change {
        Upsert(Customization),
        Remove(String),
    }
    let mut reads = Vec::new();
    let mut changes = Vec::new();
    for (it, r) in items.iter().zip(&report.items) {
        match r.outcome {
            Outcome::Updated => reads.push(it.id.clone()),
            Outcome::Created => reads.extend(r.new_id.clone()),
            Outcome::Deleted => changes.push(Change::Remove(it.id.clone())),
            _ => {}
        }
    }
    let c = client.clone();
    let read: Vec<Result<Customization, ApiError>> = on_runtime_thread(move || async move {
        futures::stream::iter(reads)
            .map(|id| {
                let c = &c;
                async move { c.get(&id).await }
            })
            .buffered(crate::batch::DEFAULT_CONCURRENCY)
            .collect()
            .await
    })
    .await
    .unwrap_or_default();
    changes.extend(read.into_iter().filter_map(Result::ok).map(Change::Upsert));
    let mirror = mirror.clone();
    let done = tokio::task::spawn_blocking(move || {
        let mut guard = mirror
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(m) = guard.as_mut() else {
            return;
        };
        for c in changes {
            let r = match c {
                Change::Upsert(c) => m.upsert(&c),
                Change::Remove(id) => m.remove(&id).map(|_| ()),
            };
            if let Err(e) = r {
                tracing::warn!(error = %e, "the mirror did not follow a batch write");
            }
        }
    })
    .await;
    if let Err(e) = done {
        tracing::warn!(error = %e, "the mirror did not follow a batch");
    }
}

/// Runs `f` on the history on a blocking thread.
async fn with_history<T: Send + 'static>(
    recording: Option<&Recording>,
    f: impl FnOnce(&Recording) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let rec = recording.cloned().ok_or_else(no_history)?;
    tokio::task::spawn_blocking(move || f(&rec))
        .await
        .map_err(local)?
}

/// The history, newest first.
pub async fn history(
    recording: Option<&Recording>,
    limit: Option<u64>,
) -> Result<BatchReply, ApiError> {
    with_history(recording, move |r| {
        r.history
            .list(limit)
            .map(BatchReply::History)
            .map_err(local)
    })
    .await
}

/// One operation with what it wrote.
pub async fn operation(recording: Option<&Recording>, op: i64) -> Result<BatchReply, ApiError> {
    with_history(recording, move |r| {
        let row = r.history.op(op).map_err(local)?;
        let items = r.history.items(op).map_err(local)?;
        Ok(BatchReply::Operation {
            op: row,
            items: Shared::new(items),
        })
    })
    .await
}

/// The undo plan of an operation, with what changed on the service since (nothing is
/// written).
pub async fn undo_plan(
    client: &Client,
    recording: Option<&Recording>,
    op: i64,
) -> Result<BatchReply, ApiError> {
    let (row, items) = with_history(recording, move |r| {
        let row = r.history.op(op).map_err(local)?;
        if row.host != r.origin.host || row.tracker != r.origin.tracker {
            return Err(ApiError::Config(format!(
                "operation {} was made on tracker {} at {}, not on this session's tracker {} at {}",
                row.id, row.tracker, row.host, r.origin.tracker, r.origin.host
            )));
        }
        let items = r.history.items(op).map_err(local)?;
        Ok((row, items))
    })
    .await?;
    let c = client.clone();
    let (items, conflicts) = on_runtime_thread(move || async move {
        let items = undo::plan(items);
        let conflicts = apply::preflight(&c, &items, crate::batch::DEFAULT_CONCURRENCY).await;
        (items, conflicts)
    })
    .await?;
    Ok(BatchReply::UndoPlanned(Shared::new(UndoPlanned {
        op: row,
        items,
        conflicts,
    })))
}

/// A cancel shared between the screen and the worker.
pub fn new_cancel() -> Shared<Cancel> {
    Shared(Arc::new(Cancel::new()))
}
