//! Work the worker runs that is more than one call: validating and sending an import file
//! with the engine ([`crate::import`]), and exporting into a file.
//!
//! The worker owns the client, so the engine runs there too: the app sends an
//! [`ApiRequest::ImportScan`](crate::tui::msg::ApiRequest::ImportScan) or
//! [`ApiRequest::ImportSend`](crate::tui::msg::ApiRequest::ImportSend), and gets back a
//! stream of [`ImportReply`] steps under the request's id, then one final reply. File
//! reading, validation and the engine's report writing run on blocking threads, so the UI
//! task (which shares its thread with the worker) stays responsive.
//!
//! Steps are kept few: invalid lines travel in batches with the validation's progress
//! (every 64k lines or so), and only the first [`MAX_INVALID_KEPT`] of them; sending
//! reports per chunk (at most 5000 lines each).

use std::collections::HashSet;
use std::fmt;
use std::io::Write as _;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::api::model::ConflictStrategy;
use crate::api::{ApiError, Client, Customization, ExportQuery};
use crate::import::{
    self, CancelToken, Event, ImportOptions, ImportTotals, Outcome, Plan, PlanCounts, Progress,
    Source,
};

/// How many invalid lines are sent to the screen; the report lists every one.
pub const MAX_INVALID_KEPT: usize = 10_000;
/// How many duplicate groups are described to the screen.
pub const MAX_DUPLICATE_GROUPS: usize = 1000;
/// How many lines of one duplicate group are listed.
pub const MAX_DUPLICATE_LINES: usize = 50;
/// How many lines that did not go as asked are listed in the summary.
pub const MAX_NOTABLE: usize = 500;

/// A value shared with the worker. Two are equal when they are the same value (the
/// messages that carry one compare by identity).
pub struct Shared<T>(pub Arc<T>);

impl<T> Shared<T> {
    pub fn new(v: T) -> Self {
        Shared(Arc::new(v))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Shared<{}>", std::any::type_name::<T>())
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Validate a file for import.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanJob {
    pub path: PathBuf,
    pub cancel: Shared<CancelToken>,
    /// Add the file to this recent-imports list once it could be read.
    pub remember_in: Option<PathBuf>,
}

/// Send a validated file.
#[derive(Debug, Clone, PartialEq)]
pub struct SendJob {
    pub plan: Shared<Plan>,
    pub strategy: ConflictStrategy,
    pub chunk_size: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Where the per-line report is written (its directory is created).
    pub report: PathBuf,
    /// The journal (lets `pinscope import --resume` continue after a cancel or a crash).
    pub journal: Option<PathBuf>,
    pub cancel: Shared<CancelToken>,
}

/// Export into a file: the results of every query, each customization once (by id), one
/// JSON object a line, written under a temporary name and renamed into place.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportJob {
    pub queries: Vec<ExportQuery>,
    pub path: PathBuf,
}

/// How an export into a file ended, once the service answered.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportDone {
    /// Where the file is (absolute).
    pub path: PathBuf,
    /// How many customizations were written, or why the file could not be written.
    pub result: Result<usize, String>,
}

/// A line that cannot be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidLine {
    pub line: u64,
    /// The start of the line (lossy UTF-8, at most [`import::TEXT_PREVIEW_CHARS`] characters).
    pub text: String,
    pub reasons: Vec<String>,
}

/// Lines of a file that share one target.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateGroup {
    /// `model target_type target`.
    pub target: String,
    /// The first [`MAX_DUPLICATE_LINES`] lines, ascending.
    pub lines: Vec<u32>,
    /// How many lines share the target.
    pub total: usize,
}

/// The end of a validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub plan: Shared<Plan>,
    pub counts: PlanCounts,
    /// The first [`MAX_DUPLICATE_GROUPS`] groups, by first line.
    pub duplicates: Vec<DuplicateGroup>,
    /// Requests needed under raise, ignore and override (in that order).
    pub chunks: [usize; 3],
}

impl Planned {
    /// Requests needed under `strategy`.
    pub fn chunks_for(&self, strategy: ConflictStrategy) -> usize {
        self.chunks[strategy_index(strategy)]
    }
}

/// The index of a strategy in raise, ignore, override.
pub fn strategy_index(s: ConflictStrategy) -> usize {
    match s {
        ConflictStrategy::Raise => 0,
        ConflictStrategy::Ignore => 1,
        ConflictStrategy::Override => 2,
    }
}

/// A line that did not go as asked, for the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct LineNote {
    pub line: u64,
    pub outcome: Outcome,
    pub reason: String,
}

/// The end of a send.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub summary: ImportTotals,
    /// The first [`MAX_NOTABLE`] lines rejected or not sent, in file order.
    pub notable: Vec<LineNote>,
    /// Why the report could not be written (`summary.report` is then `None`).
    pub report_error: Option<String>,
}

/// What an import job tells the screen.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportReply {
    /// Step: the engine's progress (validation, chunks, retries, stopping).
    Event(Event),
    /// Step: invalid lines found since the last batch (only the first
    /// [`MAX_INVALID_KEPT`] of the file are sent).
    Invalid(Vec<InvalidLine>),
    /// End of a validation.
    Planned(Box<Planned>),
    /// End of a send: every line has its outcome.
    Finished(Box<Finished>),
    /// End: the file could not be read, the validation was cancelled, or the send could not
    /// start (nothing was sent).
    Failed(String),
}

impl ImportReply {
    /// More replies follow.
    pub fn is_step(&self) -> bool {
        matches!(self, ImportReply::Event(_) | ImportReply::Invalid(_))
    }
}

/// Invalid lines collected by the engine's callback until the next batch goes out.
#[derive(Default)]
struct Batch {
    lines: Vec<InvalidLine>,
    kept: usize,
}

fn take_batch(batch: &Mutex<Batch>) -> Vec<InvalidLine> {
    batch
        .lock()
        .map(|mut b| std::mem::take(&mut b.lines))
        .unwrap_or_default()
}

/// Validates `job.path`; `step` gets the steps. Returns the final reply.
pub async fn scan(job: ScanJob, step: Arc<dyn Fn(ImportReply) + Send + Sync>) -> ImportReply {
    let ScanJob {
        path,
        cancel,
        remember_in,
    } = job;
    let batch = Arc::new(Mutex::new(Batch::default()));
    let progress = {
        let batch = batch.clone();
        let step = step.clone();
        Progress::new(move |e| match e {
            Event::Invalid {
                line,
                text,
                reasons,
            } => {
                if let Ok(mut b) = batch.lock()
                    && b.kept < MAX_INVALID_KEPT
                {
                    b.kept += 1;
                    b.lines.push(InvalidLine {
                        line,
                        text,
                        reasons: reasons.iter().map(ToString::to_string).collect(),
                    });
                }
            }
            Event::Validating { .. } => {
                let lines = take_batch(&batch);
                if !lines.is_empty() {
                    step(ImportReply::Invalid(lines));
                }
                step(ImportReply::Event(e));
            }
            // The plan's counts and duplicate groups come with the final reply (one event per
            // group would be one message, and one frame, per group).
            Event::Validated(_) | Event::Duplicate { .. } => {}
            other => step(ImportReply::Event(other)),
        })
    };
    let token = cancel.0.clone();
    let work = tokio::task::spawn_blocking(move || {
        let plan = import::scan(Source::Path(path.clone()), &progress, &token)?;
        if let Some(list) = &remember_in {
            let shown = std::path::absolute(&path).unwrap_or(path.clone());
            if let Err(e) = crate::tui::recent::IMPORTS.remember(list, shown.display().to_string())
            {
                tracing::warn!(path = %list.display(), error = %e, "cannot save recent imports");
            }
        }
        Ok::<_, import::ScanError>(describe_plan(plan))
    });
    let reply = match work.await {
        Ok(Ok(planned)) => ImportReply::Planned(Box::new(planned)),
        Ok(Err(import::ScanError::Cancelled)) => ImportReply::Failed("cancelled".into()),
        Ok(Err(e)) => ImportReply::Failed(e.to_string()),
        Err(e) => ImportReply::Failed(format!("the validation stopped: {e}")),
    };
    let rest = take_batch(&batch);
    if !rest.is_empty() {
        step(ImportReply::Invalid(rest));
    }
    reply
}

/// The plan, with what the screen shows worked out (this reads the file: blocking).
fn describe_plan(plan: Plan) -> Planned {
    let duplicates = plan
        .duplicate_groups()
        .take(MAX_DUPLICATE_GROUPS)
        .map(|g| DuplicateGroup {
            target: g
                .first()
                .and_then(|l| plan.read_line(u64::from(*l)).ok())
                .and_then(|text| serde_json::from_slice(&text).ok())
                .and_then(Customization::from_value)
                .and_then(|c| c.conflict_key())
                .map_or_else(|| "?".to_string(), |k| k.to_string()),
            lines: g.iter().take(MAX_DUPLICATE_LINES).copied().collect(),
            total: g.len(),
        })
        .collect();
    let chunks = [
        ConflictStrategy::Raise,
        ConflictStrategy::Ignore,
        ConflictStrategy::Override,
    ]
    .map(|s| plan.chunk_count(s, import::MAX_CHUNK_LINES));
    Planned {
        counts: plan.counts(),
        duplicates,
        chunks,
        plan: Shared::new(plan),
    }
}

/// Sends `job.plan` with `client`; `step` gets the engine's events. Returns the final reply.
pub async fn send(
    client: &Client,
    history: Option<crate::import::ImportHistory>,
    job: SendJob,
    step: Arc<dyn Fn(ImportReply) + Send + Sync>,
) -> ImportReply {
    let SendJob {
        plan,
        strategy,
        chunk_size,
        concurrency,
        report,
        journal,
        cancel,
    } = job;
    if let Some(dir) = report.parent().filter(|d| !d.as_os_str().is_empty())
        && let Err(e) = crate::files::create_private_dir_all(dir)
    {
        return ImportReply::Failed(format!("cannot create {}: {e}", dir.display()));
    }
    if let Err(e) = crate::files::check_output(&report) {
        return ImportReply::Failed(e);
    }
    let opts = ImportOptions {
        strategy,
        chunk_size,
        concurrency: concurrency.max(1),
        journal,
        resume: false,
        // The engine writes it, off this thread.
        report: Some(report),
        history: history.map(|h| crate::import::ImportHistory {
            summary: format!("import {} ({})", plan.input_name(), strategy.as_str()),
            ..h
        }),
        ..ImportOptions::default()
    };
    let progress = Progress::new(move |e| step(ImportReply::Event(e)));
    let result = match import::run_import(&plan, client, &opts, &progress, &cancel).await {
        Ok(r) => r,
        Err(e) => return ImportReply::Failed(e.to_string()),
    };
    let plan = plan.0.clone();
    let summary = result.summary.clone();
    let report_error = result.report_error.clone();
    // Reading the reasons re-reads the input: blocking.
    let done = tokio::task::spawn_blocking(move || {
        let mut notable: Vec<LineNote> = Vec::new();
        for outcome in [Outcome::Rejected, Outcome::NotSent] {
            for line in result.outcomes.lines_with(outcome).take(MAX_NOTABLE) {
                notable.push(LineNote {
                    line,
                    outcome,
                    reason: result.outcomes.reason(&plan, line).unwrap_or_default(),
                });
            }
        }
        notable.sort_by_key(|n| n.line);
        notable.truncate(MAX_NOTABLE);
        Finished {
            summary: result.summary,
            notable,
            report_error: result.report_error,
        }
    })
    .await;
    // Every line was settled: lines that cannot be described do not change that.
    ImportReply::Finished(Box::new(done.unwrap_or_else(|_| Finished {
        summary,
        notable: Vec::new(),
        report_error,
    })))
}

/// Exports every query (each customization once) and writes the file.
pub async fn export(client: &Client, job: ExportJob) -> Result<ExportDone, ApiError> {
    // A directory or a path that cannot be written is found before anything is asked.
    if let Err(e) = crate::files::check_output(&job.path) {
        let path = std::path::absolute(&job.path).unwrap_or(job.path);
        return Ok(ExportDone {
            path,
            result: Err(e),
        });
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut rows: Vec<Customization> = Vec::new();
    for q in &job.queries {
        for c in client.export(q).await? {
            if let Some(id) = c.id()
                && !seen.insert(id.to_string())
            {
                continue;
            }
            rows.push(c);
        }
    }
    let path = std::path::absolute(&job.path).unwrap_or(job.path);
    let target = path.clone();
    let result = tokio::task::spawn_blocking(move || write_ndjson(&target, &rows))
        .await
        .unwrap_or_else(|e| Err(format!("the export stopped: {e}")));
    Ok(ExportDone { path, result })
}

/// Writes one JSON object a line to `path`, atomically; returns how many.
pub fn write_ndjson(path: &Path, rows: &[Customization]) -> Result<usize, String> {
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    crate::files::check_output(path)?;
    let mut w = crate::files::WholeFile::create(path).map_err(fail)?;
    for c in rows {
        serde_json::to_writer(&mut w, c).map_err(|e| fail(e.into()))?;
        w.write_all(b"\n").map_err(fail)?;
    }
    w.commit().map_err(fail)?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_export_into_a_directory_asks_nothing_of_the_service() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Nothing listens on port 9: a request would fail with a connection error.
        let client = Client::new(crate::api::ClientConfig::new(
            "http://127.0.0.1:9",
            "1234-5678",
            crate::api::Secret::new("k"),
        ))
        .expect("client");
        let done = export(
            &client,
            ExportJob {
                queries: vec![ExportQuery::default()],
                path: dir.path().to_path_buf(),
            },
        )
        .await
        .expect("no request was made");
        let e = done.result.expect_err("refused");
        assert!(e.contains("is a directory"), "{e}");
    }

    #[test]
    fn ndjson_is_written_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.ndjson");
        let rows: Vec<Customization> = (0..3)
            .map(|i| {
                serde_json::from_value(serde_json::json!({"model": "m", "n": i}))
                    .expect("customization")
            })
            .collect();
        assert_eq!(write_ndjson(&path, &rows), Ok(3));
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(
            text,
            "{\"model\":\"m\",\"n\":0}\n{\"model\":\"m\",\"n\":1}\n{\"model\":\"m\",\"n\":2}\n"
        );
        let err = write_ndjson(&dir.path().join("missing").join("x.ndjson"), &rows)
            .expect_err("no such dir");
        assert!(err.contains("missing"), "{err}");
        // Nothing but the file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["out.ndjson"]);
    }

    #[test]
    fn shared_values_compare_by_identity() {
        let a = Shared::new(CancelToken::new());
        let b = a.clone();
        assert_eq!(a, b);
        assert_ne!(a, Shared::new(CancelToken::new()));
    }
}
