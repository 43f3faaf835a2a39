//! Applying a plan: for each customization, fetch the service's current version, skip it
//! when it is not the one the plan was made from, else write; a bounded number of
//! customizations at a time, every write recorded in the history as it succeeds.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use futures::StreamExt;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Value, json};

use crate::api::model::{Customization, is_server_field};
use crate::api::{ApiError, Client};
use crate::mirror::history::{History, OpKind, Origin};

use super::plan::{Action, Plan, PlanItem};

/// How many customizations are worked on at once unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// The end of one customization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Updated,
    Deleted,
    /// Created (an undo re-creating what was deleted).
    Created,
    Unchanged,
    /// The service's version differs from the plan's: nothing was written.
    ChangedOnServer,
    Failed,
    /// Cancelled before its turn: nothing was sent.
    NotSent,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Updated => "updated",
            Outcome::Deleted => "deleted",
            Outcome::Created => "created",
            Outcome::Unchanged => "unchanged",
            Outcome::ChangedOnServer => "changed_on_server",
            Outcome::Failed => "failed",
            Outcome::NotSent => "not_sent",
        }
    }

    /// Whether the customization ended as asked.
    pub fn is_ok(self) -> bool {
        matches!(
            self,
            Outcome::Updated | Outcome::Deleted | Outcome::Created | Outcome::Unchanged
        )
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemReport {
    pub id: String,
    pub outcome: Outcome,
    pub reason: Option<String>,
    /// The id the service gave a customization that was created again.
    pub new_id: Option<String>,
}

impl ItemReport {
    pub fn to_json(&self) -> Value {
        let mut v = json!({"id": self.id, "outcome": self.outcome.as_str()});
        if let Some(m) = v.as_object_mut() {
            if let Some(n) = &self.new_id {
                m.insert("new_id".into(), json!(n));
            }
            if let Some(r) = &self.reason {
                m.insert("reason".into(), json!(r));
            }
        }
        v
    }
}

/// Every customization's outcome, in plan order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub items: Vec<ItemReport>,
    /// The history operation the writes were recorded under (none when nothing was written
    /// or no history was kept).
    pub op_id: Option<i64>,
    /// Problems recording the history (the writes themselves happened).
    pub warnings: Vec<String>,
}

impl Report {
    pub fn count(&self, o: Outcome) -> usize {
        self.items.iter().filter(|i| i.outcome == o).count()
    }

    /// Whether every customization ended as asked.
    pub fn all_ok(&self) -> bool {
        self.items.iter().all(|i| i.outcome.is_ok())
    }

    /// `40 updated, 1 changed_on_server, 1 failed`.
    pub fn sentence(&self) -> String {
        let mut parts = Vec::new();
        for o in [
            Outcome::Updated,
            Outcome::Deleted,
            Outcome::Created,
            Outcome::Unchanged,
            Outcome::ChangedOnServer,
            Outcome::Failed,
            Outcome::NotSent,
        ] {
            let n = self.count(o);
            if n > 0 {
                parts.push(format!("{n} {}", o.as_str()));
            }
        }
        if parts.is_empty() {
            "nothing to do".into()
        } else {
            parts.join(", ")
        }
    }
}

/// Progress, after each customization.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tick {
    pub done: usize,
    pub total: usize,
    pub failed: usize,
    /// Seconds since the start.
    pub elapsed: f64,
}

impl Tick {
    /// Customizations a second so far.
    pub fn rate(&self) -> f64 {
        if self.elapsed > 0.0 {
            self.done as f64 / self.elapsed
        } else {
            0.0
        }
    }

    /// Seconds left at the rate so far.
    pub fn eta(&self) -> Option<f64> {
        let r = self.rate();
        (r > 0.0).then(|| (self.total - self.done) as f64 / r)
    }
}

/// Stops an apply: the customizations in flight finish, the rest end `not_sent`.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Where the writes are recorded.
pub struct Recorder<'a> {
    pub history: &'a History,
    pub origin: Origin,
    pub kind: OpKind,
    pub summary: String,
    pub at: Timestamp,
}

pub struct ApplyOptions<'a> {
    pub concurrency: usize,
    pub recorder: Option<Recorder<'a>>,
    pub progress: Option<&'a (dyn Fn(Tick) + Sync)>,
    pub cancel: Cancel,
    /// Write even when the service's version is not the one the plan was made from (an
    /// undo told to overwrite what changed since): an update or a delete goes ahead, an
    /// update of something deleted since creates it again, a re-creation of something
    /// that exists again replaces it.
    pub overwrite: bool,
}

impl Default for ApplyOptions<'_> {
    fn default() -> Self {
        ApplyOptions {
            concurrency: DEFAULT_CONCURRENCY,
            recorder: None,
            progress: None,
            cancel: Cancel::new(),
            overwrite: false,
        }
    }
}

/// Whether two customizations have the same definition: the server-set fields (`id`,
/// `created_at`, `creator`, `available`) aside, and regardless of key order in objects.
pub fn same_definition(a: &Customization, b: &Customization) -> bool {
    let defined = |c: &Customization| {
        c.as_map()
            .iter()
            .filter(|(k, _)| !is_server_field(k))
            .count()
    };
    defined(a) == defined(b)
        && a.as_map()
            .iter()
            .filter(|(k, _)| !is_server_field(k))
            .all(|(k, v)| b.as_map().get(k) == Some(v))
}

/// A short reason for a failed request.
fn reason(e: &ApiError) -> String {
    let mut s = match e.as_status() {
        Some(st) => {
            let details: Vec<String> = st
                .detail_lines()
                .into_iter()
                .map(|(p, m)| if p.is_empty() { m } else { format!("{p}: {m}") })
                .collect();
            if details.is_empty() {
                format!("{} {}", st.status, st.reason)
            } else {
                format!("{} {}: {}", st.status, st.reason, details.join("; "))
            }
        }
        None => e.to_string(),
    };
    if e.may_have_been_applied() {
        s.push_str(" (it may have been applied although no answer came)");
    }
    s
}

/// Applies `plan` through `client`. Never stops early on a failed customization: each one
/// ends with its own outcome.
pub async fn apply(client: &Client, plan: &Plan, opts: ApplyOptions<'_>) -> Report {
    run(client, &plan.items, opts).await
}

/// Applies plan items (a batch's or an undo's).
pub async fn run(client: &Client, items: &[PlanItem], opts: ApplyOptions<'_>) -> Report {
    let mut report = Report::default();
    let total = items.len();
    let started = Instant::now();
    let done = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let warnings = std::sync::Mutex::new(Vec::<String>::new());

    let op = match &opts.recorder {
        Some(r) if items.iter().any(|i| i.action.is_write()) => {
            match r.history.begin(&r.origin, r.kind, &r.summary, r.at) {
                Ok(id) => Some(id),
                Err(e) => {
                    warnings
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(format!("the history could not be written: {e}"));
                    None
                }
            }
        }
        _ => None,
    };
    let record = |id: &str, before: Option<&Customization>, after: Option<&Customization>| {
        if let (Some(r), Some(op)) = (&opts.recorder, op)
            && let Err(e) = r.history.record(op, id, before, after)
        {
            tracing::warn!(error = %e, "history");
            warnings
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("the history of {id} could not be written: {e}"));
        }
    };

    let tick = |ok: bool| {
        let d = done.fetch_add(1, Ordering::SeqCst) + 1;
        let f = if ok {
            failed.load(Ordering::SeqCst)
        } else {
            failed.fetch_add(1, Ordering::SeqCst) + 1
        };
        if let Some(p) = opts.progress {
            p(Tick {
                done: d,
                total,
                failed: f,
                elapsed: started.elapsed().as_secs_f64(),
            });
        }
    };

    let results: Vec<ItemReport> = futures::stream::iter(items)
        .map(|item| {
            let record = &record;
            let tick = &tick;
            let cancel = opts.cancel.clone();
            let overwrite = opts.overwrite;
            async move {
                let r = if cancel.is_cancelled() {
                    ItemReport {
                        id: item.id.clone(),
                        outcome: Outcome::NotSent,
                        reason: Some("cancelled".into()),
                        new_id: None,
                    }
                } else {
                    one_item(client, item, overwrite, record).await
                };
                tick(r.outcome.is_ok());
                r
            }
        })
        .buffered(opts.concurrency.max(1))
        .collect()
        .await;
    report.items = results;
    if let (Some(r), Some(op)) = (&opts.recorder, op) {
        match r.history.finish(op) {
            Ok(true) => report.op_id = Some(op),
            Ok(false) => {}
            Err(e) => warnings
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("the history could not be written: {e}")),
        }
    }
    report.warnings = warnings.into_inner().unwrap_or_else(|e| e.into_inner());
    report
}

/// Records one write: (customization id, before, after).
type RecordFn<'a> = dyn Fn(&str, Option<&Customization>, Option<&Customization>) + Sync + 'a;

async fn one_item(
    client: &Client,
    item: &PlanItem,
    overwrite: bool,
    record: &RecordFn<'_>,
) -> ItemReport {
    let mut out = ItemReport {
        id: item.id.clone(),
        outcome: Outcome::Failed,
        reason: None,
        new_id: None,
    };
    let skip = |out: &mut ItemReport, why: &str| {
        out.outcome = Outcome::ChangedOnServer;
        out.reason = Some(why.to_string());
    };
    match &item.action {
        Action::Unchanged => {
            out.outcome = Outcome::Unchanged;
            return out;
        }
        Action::Invalid { reason, .. } => {
            out.reason = Some(format!("not sent: the result would be invalid: {reason}"));
            return out;
        }
        Action::Update(_) | Action::Delete | Action::Create(_) => {}
    }
    // The service's current version.
    let current = match client.get(&item.id).await {
        Ok(c) => Some(c),
        Err(e) if e.status() == Some(404) => None,
        Err(e) => {
            out.reason = Some(format!("cannot fetch the current version: {}", reason(&e)));
            return out;
        }
    };
    match (&item.action, current) {
        (Action::Create(body), None) => match client.create(body).await {
            Ok(created) => {
                let new_id = created.id().unwrap_or_default().to_string();
                record(&new_id, None, Some(&created));
                out.outcome = Outcome::Created;
                out.reason = Some("created again with a new id".into());
                out.new_id = Some(new_id);
            }
            Err(e) => out.reason = Some(reason(&e)),
        },
        (Action::Create(body), Some(cur)) if overwrite => {
            match client.update(&item.id, body).await {
                Ok(()) => {
                    record(&item.id, Some(&cur), Some(&with_server_fields(body, &cur)));
                    out.outcome = Outcome::Updated;
                    out.reason = Some("it existed on the service again: overwritten".into());
                }
                Err(e) => out.reason = Some(reason(&e)),
            }
        }
        (Action::Create(_), Some(_)) => skip(&mut out, "it exists on the service again"),
        (Action::Update(after), None) if overwrite => match client.create(after).await {
            Ok(created) => {
                let new_id = created.id().unwrap_or_default().to_string();
                record(&new_id, None, Some(&created));
                out.outcome = Outcome::Created;
                out.reason =
                    Some("deleted on the service since: created again with a new id".into());
                out.new_id = Some(new_id);
            }
            Err(e) => out.reason = Some(reason(&e)),
        },
        (_, None) => skip(&mut out, "deleted on the service since the plan was made"),
        (_, Some(cur)) if !overwrite && !same_definition(&cur, &item.before) => {
            skip(&mut out, "changed on the service since the plan was made");
        }
        (Action::Update(after), Some(cur)) => match client.update(&item.id, after).await {
            Ok(()) => {
                record(&item.id, Some(&cur), Some(&with_server_fields(after, &cur)));
                out.outcome = Outcome::Updated;
            }
            Err(e) => out.reason = Some(reason(&e)),
        },
        (Action::Delete, Some(cur)) => match client.delete(&item.id).await {
            // A 404 here is a delete whose first answer was lost: it was there a moment ago.
            Ok(()) => {
                record(&item.id, Some(&cur), None);
                out.outcome = Outcome::Deleted;
            }
            Err(e) if e.status() == Some(404) => {
                record(&item.id, Some(&cur), None);
                out.outcome = Outcome::Deleted;
            }
            Err(e) => out.reason = Some(reason(&e)),
        },
        (Action::Unchanged | Action::Invalid { .. }, _) => {}
    }
    out
}

/// The after image of a PUT: the body with the server's fields as they were, so an undo
/// restores the object whole.
fn with_server_fields(body: &Customization, cur: &Customization) -> Customization {
    let mut image = body.clone();
    for k in ["id", "created_at", "creator"] {
        if let Some(v) = cur.get(k) {
            image.set(k, v.clone());
        }
    }
    image
}

/// For an undo or a batch about to be confirmed: which items the service no longer holds
/// as planned (the reason), without writing anything.
pub async fn preflight(
    client: &Client,
    items: &[PlanItem],
    concurrency: usize,
) -> Vec<Option<String>> {
    futures::stream::iter(items)
        .map(|item| async move {
            if !item.action.is_write() {
                return None;
            }
            match (client.get(&item.id).await, &item.action) {
                (Err(e), Action::Create(_)) if e.status() == Some(404) => None,
                (Ok(_), Action::Create(_)) => Some("it exists on the service again".to_string()),
                (Err(e), _) if e.status() == Some(404) => {
                    Some("deleted on the service since".to_string())
                }
                (Err(e), _) => Some(format!("cannot fetch the current version: {}", reason(&e))),
                (Ok(cur), _) if !same_definition(&cur, &item.before) => {
                    Some("changed on the service since".to_string())
                }
                (Ok(_), _) => None,
            }
        })
        .buffered(concurrency.max(1))
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cust(v: Value) -> Customization {
        Customization::from_value(v).expect("object")
    }

    #[test]
    fn definitions_compare_without_server_fields_or_key_order() {
        let a = cust(json!({"id": "1", "available": true, "model": "m", "x": {"a": 1, "b": 2}}));
        let b = cust(
            json!({"model": "m", "x": {"b": 2, "a": 1}, "available": false, "creator": "api"}),
        );
        assert!(same_definition(&a, &b));
        let c = cust(json!({"model": "m", "x": {"a": 1, "b": 3}}));
        assert!(!same_definition(&a, &c));
        let d = cust(json!({"model": "m", "x": {"a": 1, "b": 2}, "tags": []}));
        assert!(!same_definition(&a, &d));
    }

    #[test]
    fn report_lines_and_sentence() {
        let r = Report {
            items: vec![
                ItemReport {
                    id: "a".into(),
                    outcome: Outcome::Updated,
                    reason: None,
                    new_id: None,
                },
                ItemReport {
                    id: "b".into(),
                    outcome: Outcome::ChangedOnServer,
                    reason: Some("changed".into()),
                    new_id: None,
                },
            ],
            ..Report::default()
        };
        assert!(!r.all_ok());
        assert_eq!(r.sentence(), "1 updated, 1 changed_on_server");
        assert_eq!(
            r.items[1].to_json(),
            json!({"id": "b", "outcome": "changed_on_server", "reason": "changed"})
        );
    }
}
