//! Pass 2: send the pending lines chunk by chunk, settle every line, keep the journal.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::api::client::ListQuery;
use crate::api::client::{Client, RetryPolicy};
use crate::api::model::Page;
use crate::api::model::{ConflictKey, ConflictStrategy, Customization, SERVER_FIELDS};
use crate::api::{ApiError, StatusError};
use crate::import::event::{CancelToken, Event, ExistingMode, Progress};
use crate::import::journal::{self, Header, Journal, JournalError, Loaded, Record};
use crate::import::lookup::{self, Existing, Pages, StoredCounts};
use crate::import::reader::strip_range;
use crate::import::report::{Counts, ImportTotals, LineIds, Outcome, Outcomes, write_report};
use crate::import::scan::{
    ChunkSpec, DEFAULT_MAX_CHUNK_BYTES, LineKind, LineState, MAX_CHUNK_LINES, Plan, key_hash,
    per_sec,
};
use crate::mirror::history::{History, OpKind, Origin};

/// How a run sends.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub strategy: ConflictStrategy,
    /// Lines per request, 1..=5000.
    pub chunk_size: usize,
    /// A request is also closed before its body passes this size.
    pub max_chunk_bytes: u64,
    /// Requests in flight at once. Chunks never share a target, so the final state is the
    /// same as sending them one at a time.
    pub concurrency: usize,
    /// Retries of one request (bulk create or look-up) after a transient failure.
    pub retry: RetryPolicy,
    /// Where the journal is kept; `None` runs without one (and cannot be resumed).
    pub journal: Option<PathBuf>,
    /// Continue the import recorded in `journal`.
    pub resume: bool,
    /// Write the per-line report here (`-` for stdout).
    pub report: Option<PathBuf>,
    /// Replace an existing report (a resumed run always continues its own).
    pub overwrite_report: bool,
    /// Record what the import creates and replaces in this history (one `import` operation).
    pub history: Option<ImportHistory>,
}

/// Where an import records its writes: after each chunk, the ids and objects of what it
/// created or replaced are looked up by target (and, under `override`, the objects it is
/// about to replace, before sending).
#[derive(Debug, Clone)]
pub struct ImportHistory {
    pub history: Arc<History>,
    pub origin: Origin,
    pub summary: String,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            strategy: ConflictStrategy::Raise,
            chunk_size: MAX_CHUNK_LINES,
            max_chunk_bytes: DEFAULT_MAX_CHUNK_BYTES,
            concurrency: 2,
            retry: RetryPolicy {
                max_retries: 8,
                base_delay: Duration::from_millis(250),
                max_delay: Duration::from_secs(15),
            },
            journal: None,
            resume: false,
            report: None,
            overwrite_report: false,
            history: None,
        }
    }
}

/// Why a run could not start or finish its bookkeeping. Failures of requests are not errors:
/// they end as line outcomes.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("cannot resume: {0}")]
    Resume(String),
    #[error(
        "an unfinished import of this input is recorded in {}; continue it with --resume, \
         or delete that file to start over",
        .0.display()
    )]
    Unfinished(PathBuf),
    /// The report path is a directory, or cannot be written (found before anything is sent).
    #[error("{0}")]
    ReportPath(String),
    #[error(
        "the report {} already exists: it belongs to an earlier import (and its journal); \
         continue that one with --resume, choose another --report, or pass --force to replace it",
        .0.display()
    )]
    ReportExists(PathBuf),
    /// Another process runs an import with the same journal.
    #[error("{0}; wait for it to finish")]
    Locked(#[from] crate::files::LockError),
    #[error("cannot read {name}: {source}")]
    Input { name: String, source: io::Error },
    #[error("{}", .0.explain())]
    Api(#[from] ApiError),
}

/// What a run ends with.
#[derive(Debug, Clone)]
pub struct ImportResult {
    pub summary: ImportTotals,
    pub outcomes: Outcomes,
    /// Why the report could not be written (`summary.report` is then `None`). Every line
    /// was settled and journaled all the same, so the run's result is kept.
    pub report_error: Option<String>,
}

/// Why a stored target rejects a line under `raise`.
const STORED_CONFLICT: &str =
    "a customization with this target is already stored (conflict_strategy=raise)";

/// One pending line of a chunk, its text in the chunk's buffer.
struct Line {
    line: u32,
    start: usize,
    end: usize,
    key: Option<ConflictKey>,
}

struct PreparedChunk {
    buf: Vec<u8>,
    lines: Vec<Line>,
}

impl PreparedChunk {
    fn text(&self, l: &Line) -> &[u8] {
        &self.buf[l.start..l.end]
    }

    fn body(&self) -> Vec<u8> {
        let len: usize = self.lines.iter().map(|l| l.end - l.start + 1).sum();
        let mut out = Vec::with_capacity(len);
        for l in &self.lines {
            out.extend_from_slice(self.text(l));
            out.push(b'\n');
        }
        out
    }

    fn ensure_keys(&mut self) {
        for i in 0..self.lines.len() {
            if self.lines[i].key.is_none() {
                let l = &self.lines[i];
                let key = serde_json::from_slice(&self.buf[l.start..l.end])
                    .ok()
                    .and_then(Customization::from_value)
                    .and_then(|c| c.conflict_key());
                self.lines[i].key = key;
            }
        }
    }
}

/// The look-ups of one chunk, each page retried on its own.
struct ChunkPages<'c, 'a> {
    ctx: &'c ImportRun<'a>,
    chunk: usize,
}

impl Pages for ChunkPages<'_, '_> {
    fn client(&self) -> &Client {
        self.ctx.client
    }

    async fn page(&self, q: ListQuery) -> Result<Page, ApiError> {
        self.ctx
            .retrying(self.chunk, || self.ctx.client.list(&q))
            .await
    }
}

enum End {
    Applied,
    NotSent(Arc<str>),
}

struct ChunkResult {
    spec: ChunkSpec,
    existed: Vec<u32>,
    rejected: Vec<(u32, String)>,
    end: End,
}

/// A new journal is created on its first record, so a run that sends nothing leaves none.
enum JournalState {
    None,
    Pending(PathBuf, Box<Header>),
    Open(Journal),
}

struct ImportRun<'a> {
    plan: &'a Plan,
    initial: &'a [LineState],
    client: &'a Client,
    strategy: ConflictStrategy,
    existing: Existing,
    stored: StoredCounts,
    journal: Mutex<JournalState>,
    /// Chunks an earlier run had sent without settling: their `existed` lists.
    in_flight: HashMap<usize, Vec<u32>>,
    progress: &'a Progress,
    cancel: &'a CancelToken,
    retry: RetryPolicy,
    /// Set when a failure no retry can fix stops the run.
    /// The short reason lines get, and the full explanation for the summary.
    abort: Mutex<Option<(Arc<str>, String)>>,
    service_failed: AtomicBool,
    requests: AtomicU64,
    retries: AtomicU64,
    /// The history operation this run records into.
    recording: Option<(Arc<History>, i64)>,
    /// The ids of what recorded lines created or replaced, for the report.
    ids: Mutex<LineIds>,
}

/// Reads the chunk's pending lines; lines with server-set fields lose them.
fn prepare(plan: &Plan, initial: &[LineState], spec: &ChunkSpec) -> io::Result<PreparedChunk> {
    let offsets = &plan.offsets;
    let mut buf = Vec::with_capacity(spec.bytes as usize);
    let mut lines = Vec::with_capacity(spec.lines as usize);
    let mut l = spec.first as usize;
    let last = spec.last as usize;
    while l <= last {
        if initial[l - 1] != LineState::Pending {
            l += 1;
            continue;
        }
        let mut e = l;
        while e < last && initial[e] == LineState::Pending {
            e += 1;
        }
        let base = offsets[l - 1];
        let raw = plan.read_range(base, offsets[e])?;
        for n in l..=e {
            let (s, t) = (
                (offsets[n - 1] - base) as usize,
                (offsets[n] - base) as usize,
            );
            let r = strip_range(&raw[s..t], offsets[n - 1] == 0);
            let text = &raw[s + r.start..s + r.end];
            let start = buf.len();
            let mut key = None;
            if plan.codes[n - 1] == LineKind::ValidStripped {
                let mut c: Customization = serde_json::from_slice(text)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                key = c.conflict_key();
                for f in SERVER_FIELDS {
                    c.remove(f);
                }
                serde_json::to_writer(&mut buf, &c)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            } else {
                buf.extend_from_slice(text);
            }
            lines.push(Line {
                line: n as u32,
                start,
                end: buf.len(),
                key,
            });
        }
        l = e + 1;
    }
    Ok(PreparedChunk { buf, lines })
}

/// Whether a failure is worth another try (the bulk endpoint is not retried by the client).
fn retryable(e: &ApiError) -> bool {
    e.is_transient() || matches!(e.status(), Some(500 | 504))
}

/// `line 3: pin_definitions[0].position` -> (3, "pin_definitions[0].position").
fn detail_line(key: &str) -> Option<(usize, &str)> {
    let rest = key.trim_start().strip_prefix("line")?.trim_start();
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let n: usize = rest[..digits].parse().ok()?;
    let field = rest[digits..].trim_start();
    let field = field.strip_prefix(':').unwrap_or(field).trim();
    Some((n, field))
}

/// The server's details per line of the body (0-based index), joined.
fn named_lines(e: &StatusError, body_lines: usize) -> Vec<(usize, String)> {
    let mut per: Vec<(usize, Vec<String>)> = Vec::new();
    for (key, msg) in e.detail_lines() {
        let Some((n, field)) = detail_line(&key) else {
            continue;
        };
        if n == 0 || n > body_lines {
            continue;
        }
        let text = if field.is_empty() {
            msg
        } else {
            format!("{field}: {msg}")
        };
        match per.iter_mut().find(|(i, _)| *i == n - 1) {
            Some((_, v)) => v.push(text),
            None => per.push((n - 1, vec![text])),
        }
    }
    per.into_iter()
        .map(|(i, v)| (i, format!("service {}: {}", e.status, v.join("; "))))
        .collect()
}

impl ImportRun<'_> {
    fn stopped(&self) -> Option<Arc<str>> {
        if let Some((r, _)) = self.abort.lock().ok().and_then(|a| a.clone()) {
            return Some(r);
        }
        self.cancel
            .is_cancelled()
            .then(|| Arc::from("cancelled before it was sent"))
    }

    /// Stops the run: no chunk starts any more. `short` is what the lines get, `full` the
    /// explanation the summary gives.
    fn stop(&self, short: String, full: String, service: bool) -> Arc<str> {
        let short: Arc<str> = Arc::from(short);
        if let Ok(mut a) = self.abort.lock()
            && a.is_none()
        {
            *a = Some((short.clone(), full.clone()));
            self.progress.emit(Event::Stopping { reason: full });
            if service {
                self.service_failed.store(true, Ordering::SeqCst);
            }
        }
        short
    }

    fn journal(&self, r: &Record) -> Result<(), String> {
        let mut guard = self.journal.lock().map_err(|_| "journal lock poisoned")?;
        if let JournalState::Pending(path, header) = &*guard {
            let j = Journal::create(path, (**header).clone()).map_err(|e| e.to_string())?;
            *guard = JournalState::Open(j);
        }
        match &mut *guard {
            JournalState::Open(j) => j.append(r).map_err(|e| e.to_string()),
            _ => Ok(()),
        }
    }

    fn prepare(&self, spec: &ChunkSpec) -> io::Result<PreparedChunk> {
        prepare(self.plan, self.initial, spec)
    }

    /// Refuses to wait `delay` when the client's deadline would pass first.
    fn within_deadline(&self, delay: Duration, e: &ApiError) -> Result<(), ApiError> {
        match self.client.deadline() {
            Some(d) if delay >= d.remaining() => Err(d.expired(Some(e), false)),
            _ => Ok(()),
        }
    }

    /// Runs `f` until it succeeds, retrying transient failures with backoff.
    async fn retrying<T, F, Fut>(&self, chunk: usize, mut f: F) -> Result<T, ApiError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ApiError>>,
    {
        let mut attempt = 0;
        loop {
            match f().await {
                Ok(v) => return Ok(v),
                Err(e) if retryable(&e) && attempt < self.retry.max_retries => {
                    attempt += 1;
                    let delay = self.retry.delay(attempt, &e);
                    self.within_deadline(delay, &e)?;
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    self.progress.emit(Event::Retry {
                        chunk,
                        attempt,
                        delay,
                        error: e.to_string(),
                    });
                    if !self.cancel.sleep(delay).await {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Which lines' targets are stored now, by asking the server.
    async fn stored_now(&self, chunk: usize, p: &mut PreparedChunk) -> Result<Vec<u32>, ApiError> {
        p.ensure_keys();
        let keyed: Vec<(&ConflictKey, u32)> = p
            .lines
            .iter()
            .filter_map(|l| l.key.as_ref().map(|k| (k, l.line)))
            .collect();
        let keys: Vec<&ConflictKey> = keyed.iter().map(|(k, _)| *k).collect();
        let pages = ChunkPages { ctx: self, chunk };
        let found = lookup::lookup(&pages, &keys, &self.stored).await?;
        Ok(keyed
            .iter()
            .zip(found)
            .filter(|(_, f)| *f)
            .map(|((_, l), _)| *l)
            .collect())
    }

    /// Under `override` with a history: the stored customizations the chunk will replace.
    async fn befores(
        &self,
        chunk: usize,
        p: &mut PreparedChunk,
        existed: &[u32],
    ) -> HashMap<u128, lookup::Found> {
        if self.recording.is_none()
            || self.strategy != ConflictStrategy::Override
            || existed.is_empty()
        {
            return HashMap::new();
        }
        p.ensure_keys();
        let existed: HashSet<u32> = existed.iter().copied().collect();
        let keys: Vec<&ConflictKey> = p
            .lines
            .iter()
            .filter(|l| existed.contains(&l.line))
            .filter_map(|l| l.key.as_ref())
            .collect();
        match lookup::find(&ChunkPages { ctx: self, chunk }, &keys, &self.stored).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, chunk, "replaced versions not recorded");
                HashMap::new()
            }
        }
    }

    /// Records an applied chunk in the history: what each written line created or replaced,
    /// looked up by target. Lines skipped under `ignore` wrote nothing.
    async fn record(
        &self,
        chunk: usize,
        p: &mut PreparedChunk,
        existed: &[u32],
        befores: &HashMap<u128, lookup::Found>,
    ) {
        let Some((history, op)) = &self.recording else {
            return;
        };
        p.ensure_keys();
        let existed: HashSet<u32> = existed.iter().copied().collect();
        let written: Vec<&Line> = p
            .lines
            .iter()
            .filter(|l| !(self.strategy == ConflictStrategy::Ignore && existed.contains(&l.line)))
            .collect();
        let keys: Vec<&ConflictKey> = written.iter().filter_map(|l| l.key.as_ref()).collect();
        let afters = match lookup::find(&ChunkPages { ctx: self, chunk }, &keys, &self.stored).await
        {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, chunk, "the chunk's writes are not in the history");
                return;
            }
        };
        let mut writes = Vec::with_capacity(written.len());
        let mut lines = Vec::with_capacity(written.len());
        for l in written {
            let Some(h) = l.key.as_ref().map(key_hash) else {
                continue;
            };
            let Some(after) = afters.get(&h) else {
                continue;
            };
            let id = after.id.as_str();
            let before = if existed.contains(&l.line) {
                befores.get(&h).map(|b| b.json.as_str())
            } else {
                None
            };
            writes.push((id, before, Some(after.json.as_str())));
            lines.push((l.line, id));
        }
        // One transaction a chunk: a commit a line made a million-line import wait on
        // the disk a million times.
        if let Err(e) = history.record_many(*op, &writes) {
            tracing::warn!(error = %e, chunk, "the chunk's writes are not in the history");
        }
        if let Ok(mut ids) = self.ids.lock() {
            for (line, id) in lines {
                ids.insert(line, id);
            }
        }
    }

    /// The lines of `p` whose targets were stored before this chunk is sent.
    async fn existed(&self, chunk: usize, p: &mut PreparedChunk) -> Result<Vec<u32>, ApiError> {
        match &self.existing {
            Existing::Empty => Ok(Vec::new()),
            Existing::Snapshot(set) => {
                p.ensure_keys();
                Ok(p.lines
                    .iter()
                    .filter(|l| l.key.as_ref().is_some_and(|k| set.contains(&key_hash(k))))
                    .map(|l| l.line)
                    .collect())
            }
            Existing::PerChunk => self.stored_now(chunk, p).await,
        }
    }

    fn fail(&self, e: &ApiError) -> Arc<str> {
        let service = matches!(
            e,
            ApiError::Status(_) | ApiError::Connect { .. } | ApiError::Deadline { .. }
        );
        let hint = if e.status() == Some(413) {
            " (the service wants smaller requests: lower --chunk-size)"
        } else {
            ""
        };
        self.stop(
            format!("the import stopped: {e}{hint}"),
            format!("the import stopped: {}{hint}", e.explain()),
            service,
        )
    }

    async fn process(&self, spec: ChunkSpec) -> ChunkResult {
        let mut result = ChunkResult {
            spec,
            existed: Vec::new(),
            rejected: Vec::new(),
            end: End::NotSent(Arc::from("not sent")),
        };
        let resumed = self.in_flight.get(&spec.index).cloned();
        // A chunk an earlier run left in flight is settled even when stopping now is asked:
        // there is nothing to settle without a request, so only skip fresh chunks.
        if let Some(r) = self.stopped() {
            let note = if resumed.is_some() {
                "; it may have been applied by an earlier run: --resume settles it"
            } else {
                ""
            };
            result.end = End::NotSent(Arc::from(format!("{r}{note}")));
            return result;
        }
        let mut p = match self.prepare(&spec) {
            Ok(p) => p,
            Err(e) => {
                let why = format!("cannot read {}: {e}", self.plan.input.name);
                result.end = End::NotSent(self.stop(why.clone(), why, false));
                return result;
            }
        };
        // May an earlier request of this chunk have been applied?
        let mut uncertain = resumed.is_some();
        result.existed = match resumed {
            Some(existed) => existed,
            None => {
                let existed = match self.existed(spec.index, &mut p).await {
                    Ok(x) => x,
                    Err(e) => {
                        result.end = End::NotSent(self.give_up(&e, false));
                        return result;
                    }
                };
                let rec = Record::Sending {
                    chunk: spec.index,
                    first: spec.first,
                    last: spec.last,
                    existed: existed.clone(),
                };
                if let Err(e) = self.journal(&rec) {
                    result.end = End::NotSent(self.stop(e.clone(), e, false));
                    return result;
                }
                existed
            }
        };
        if self.strategy == ConflictStrategy::Raise && !result.existed.is_empty() {
            let existed: HashSet<u32> = result.existed.iter().copied().collect();
            p.lines.retain(|l| {
                let keep = !existed.contains(&l.line);
                if !keep {
                    result.rejected.push((l.line, STORED_CONFLICT.to_string()));
                }
                keep
            });
        }

        let befores = self.befores(spec.index, &mut p, &result.existed).await;
        let mut failures = 0u32;
        let mut sends = 0u32;
        loop {
            if p.lines.is_empty() {
                result.end = End::Applied;
                return result;
            }
            if uncertain && self.strategy == ConflictStrategy::Raise {
                // All-or-nothing: every target stored means the lost request was applied.
                match self.stored_now(spec.index, &mut p).await {
                    Ok(stored) if stored.len() == p.lines.len() => {
                        self.record(spec.index, &mut p, &result.existed, &befores)
                            .await;
                        result.end = End::Applied;
                        return result;
                    }
                    Ok(_) => uncertain = false,
                    Err(e) => {
                        result.end = End::NotSent(self.give_up(&e, true));
                        return result;
                    }
                }
            }
            if let Some(r) = self.stopped() {
                result.end = End::NotSent(if uncertain {
                    Arc::from(format!(
                        "{r}; an earlier request may have been applied: --resume settles it"
                    ))
                } else {
                    r
                });
                return result;
            }
            sends += 1;
            self.requests.fetch_add(1, Ordering::Relaxed);
            self.progress.emit(Event::ChunkSent {
                chunk: spec.index,
                first_line: u64::from(spec.first),
                last_line: u64::from(spec.last),
                lines: p.lines.len(),
                attempt: sends,
            });
            let e = match self.client.bulk_create(p.body(), self.strategy).await {
                Ok(()) => {
                    self.record(spec.index, &mut p, &result.existed, &befores)
                        .await;
                    result.end = End::Applied;
                    return result;
                }
                Err(e) => e,
            };
            match e.status() {
                Some(409 | 422) => {
                    let named = e
                        .as_status()
                        .map(|s| named_lines(s, p.lines.len()))
                        .unwrap_or_default();
                    if named.is_empty() {
                        result.end = End::NotSent(Arc::from(format!(
                            "the service refused the chunk without naming a line: {}",
                            e.explain()
                        )));
                        return result;
                    }
                    let drop: HashSet<usize> = named.iter().map(|(i, _)| *i).collect();
                    for (i, reason) in named {
                        result.rejected.push((p.lines[i].line, reason));
                    }
                    let mut i = 0;
                    p.lines.retain(|_| {
                        let keep = !drop.contains(&i);
                        i += 1;
                        keep
                    });
                    // The request wrote nothing: send the rest again.
                    continue;
                }
                _ if retryable(&e) => {
                    if e.may_have_been_applied() {
                        uncertain = true;
                    }
                    failures += 1;
                    if failures > self.retry.max_retries {
                        result.end = End::NotSent(self.give_up(&e, uncertain));
                        return result;
                    }
                    let delay = self.retry.delay(failures, &e);
                    if let Err(d) = self.within_deadline(delay, &e) {
                        result.end = End::NotSent(self.give_up(&d, uncertain));
                        return result;
                    }
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    self.progress.emit(Event::Retry {
                        chunk: spec.index,
                        attempt: failures,
                        delay,
                        error: e.to_string(),
                    });
                    if !self.cancel.sleep(delay).await {
                        result.end = End::NotSent(self.give_up(&e, uncertain));
                        return result;
                    }
                }
                _ => {
                    result.end = End::NotSent(self.give_up(&e, uncertain));
                    return result;
                }
            }
        }
    }

    /// Why a chunk ends unsent after `e` (cancelled, out of retries, or refused for good).
    fn give_up(&self, e: &ApiError, uncertain: bool) -> Arc<str> {
        let base: Arc<str> = if self.cancel.is_cancelled() {
            Arc::from("cancelled")
        } else if retryable(e) {
            let n = self.retry.max_retries;
            self.stop(
                format!("the import stopped: gave up after {n} retries: {e}"),
                format!(
                    "the import stopped: gave up after {n} retries: {}",
                    e.explain()
                ),
                true,
            )
        } else {
            self.fail(e)
        };
        if uncertain {
            Arc::from(format!(
                "{base}; a request may have been applied although its answer was lost: \
                 --resume settles it"
            ))
        } else {
            base
        }
    }
}

/// The pending lines of `spec` under the initial states.
fn spec_lines<'a>(initial: &'a [LineState], spec: &ChunkSpec) -> impl Iterator<Item = u32> + 'a {
    (spec.first..=spec.last).filter(move |l| initial[*l as usize - 1] == LineState::Pending)
}

/// Writes a settled chunk's outcomes into `states`; returns its counts.
fn settle(
    strategy: ConflictStrategy,
    initial: &[LineState],
    states: &mut [LineState],
    reasons: &mut HashMap<u32, Arc<str>>,
    r: &ChunkResult,
) -> Counts {
    let existed: HashSet<u32> = r.existed.iter().copied().collect();
    let rejected: HashMap<u32, &String> = r.rejected.iter().map(|(l, s)| (*l, s)).collect();
    let mut counts = Counts::default();
    for l in spec_lines(initial, &r.spec) {
        let s = if let Some(reason) = rejected.get(&l) {
            reasons.insert(l, Arc::from(reason.as_str()));
            LineState::Rejected
        } else {
            match &r.end {
                End::Applied => match (strategy, existed.contains(&l)) {
                    (ConflictStrategy::Override, true) => LineState::Replaced,
                    (ConflictStrategy::Ignore, true) => LineState::SkippedExisting,
                    _ => LineState::Created,
                },
                End::NotSent(reason) => {
                    reasons.insert(l, reason.clone());
                    LineState::NotSent
                }
            }
        };
        states[l as usize - 1] = s;
        if let Some(o) = Outcome::of_state(s) {
            counts.add(o);
        }
    }
    counts
}

/// Checks that `loaded` describes this plan and these options.
fn check_resume(
    loaded: &Loaded,
    plan: &Plan,
    tracker: &str,
    opts: &ImportOptions,
    specs: &[ChunkSpec],
) -> Result<(), ImportError> {
    let h = &loaded.header;
    let Some(path) = plan.input_path() else {
        return Err(ImportError::Resume(
            "standard input cannot be resumed; import from a file".into(),
        ));
    };
    let now = journal::fingerprint(path, &plan.input.file)
        .map_err(|e| ImportError::Resume(format!("cannot read {}: {e}", path.display())))?;
    if h.input.path != now.path {
        return Err(ImportError::Resume(format!(
            "the journal is for {}, not {}",
            h.input.path, now.path
        )));
    }
    if h.input != now || h.plan != journal::plan_digest(plan) {
        return Err(ImportError::Resume(format!(
            "{} changed since the journal was started (size, content or modification time)",
            now.path
        )));
    }
    if h.tracker != tracker {
        return Err(ImportError::Resume(format!(
            "the journal is for tracker {}, this profile is {tracker}",
            h.tracker
        )));
    }
    if h.strategy != opts.strategy
        || h.chunk_size != opts.chunk_size
        || h.max_chunk_bytes != opts.max_chunk_bytes
    {
        return Err(ImportError::Resume(format!(
            "the journal was started with --conflict-strategy {} --chunk-size {}; resume with \
             the same",
            h.strategy, h.chunk_size
        )));
    }
    if h.chunks != specs.len()
        || loaded.done.keys().any(|k| *k >= specs.len())
        || loaded.sending.iter().any(|(k, (first, last, _))| {
            specs
                .get(*k)
                .is_none_or(|s| s.first != *first || s.last != *last)
        })
    {
        return Err(ImportError::Resume(
            "the journal's chunks do not match this input".into(),
        ));
    }
    Ok(())
}

/// Sends `plan` to `client` and settles every line. Failed requests are not errors: they
/// become outcomes (`rejected`, `not_sent`) and [`ImportTotals::stopped`] says why.
pub async fn run_import(
    plan: &Plan,
    client: &Client,
    opts: &ImportOptions,
    progress: &Progress,
    cancel: &CancelToken,
) -> Result<ImportResult, ImportError> {
    let started = Instant::now();
    if let Some(r) = &opts.report {
        check_report(r, opts.resume || opts.overwrite_report)?;
    }
    // Held until the run ends: a second run with this journal is refused, not interleaved.
    let _lock = match &opts.journal {
        Some(j) => Some(crate::files::Lock::try_take(j)?),
        None => None,
    };
    let mut opts = opts.clone();
    opts.chunk_size = opts.chunk_size.clamp(1, MAX_CHUNK_LINES);
    let strategy = opts.strategy;
    let initial = plan.classify(strategy);
    let specs = plan.chunks(&initial, opts.chunk_size, opts.max_chunk_bytes);
    let mut settled = Settled {
        states: initial.clone(),
        reasons: HashMap::new(),
    };

    let start = open_journal(plan, client, &opts, &specs, &initial, &mut settled)?;
    let todo: Vec<ChunkSpec> = specs
        .iter()
        .filter(|s| !start.done.contains_key(&s.index))
        .copied()
        .collect();
    let lines_total: u64 = specs.iter().map(|s| u64::from(s.lines)).sum();
    let already_done = lines_total - todo.iter().map(|s| u64::from(s.lines)).sum::<u64>();
    progress.emit(Event::Sending {
        lines: lines_total,
        chunks: specs.len(),
        already_done,
    });

    let stored = if todo.is_empty() || cancel.is_cancelled() {
        StoredLookup::default()
    } else {
        find_stored(plan, client, todo.len(), progress).await
    };
    let existing_mode = (!todo.is_empty()).then(|| stored.existing.mode());
    let ctx = ImportRun {
        plan,
        initial: &initial,
        client,
        strategy,
        existing: stored.existing,
        stored: stored.counts,
        journal: Mutex::new(start.journal),
        in_flight: start.in_flight,
        progress,
        cancel,
        retry: opts.retry,
        abort: Mutex::new(None),
        service_failed: AtomicBool::new(false),
        requests: AtomicU64::new(0),
        retries: AtomicU64::new(0),
        recording: begin_history(&opts, todo.is_empty()),
        ids: Mutex::new(LineIds::default()),
    };
    if let Some(e) = stored.failed {
        ctx.fail(&e);
    }

    let sent = send_chunks(&ctx, &todo, &opts, &mut settled, lines_total, already_done).await;
    let all_done = todo.is_empty() || sent.settled == todo.len();
    let applied_any = sent.applied_any || !start.done.is_empty();
    close_journal(&ctx, all_done && !start.finished_before, sent.journal_error);
    if let Some((history, op)) = &ctx.recording
        && let Err(e) = history.finish(*op)
    {
        tracing::warn!(error = %e, "the import's history could not be closed");
    }

    let outcomes = Outcomes {
        strategy,
        states: settled.states,
        reasons: settled.reasons,
        winners: plan.duplicate_winners(strategy),
        ids: {
            let mut ids = std::mem::take(&mut *ctx.ids.lock().unwrap_or_else(|e| e.into_inner()));
            ids.sort();
            ids
        },
    };
    let cancelled = cancel.is_cancelled() && !all_done;
    let stopped = ctx
        .abort
        .lock()
        .ok()
        .and_then(|a| a.as_ref().map(|(_, full)| full.clone()))
        .or_else(|| cancelled.then(|| "cancelled".to_string()));
    let journal_path = match ctx.journal.lock().as_deref() {
        Ok(JournalState::Open(j)) => Some(j.path().to_path_buf()),
        _ => None,
    };
    let summary = ImportTotals {
        input: plan.input_name().to_string(),
        strategy,
        lines: plan.counts().non_blank(),
        counts: outcomes.counts(),
        chunks: specs.len(),
        requests: ctx.requests.load(Ordering::Relaxed),
        retries: ctx.retries.load(Ordering::Relaxed),
        resumed_lines: already_done,
        elapsed: started.elapsed(),
        existing: existing_mode,
        stopped,
        cancelled,
        service_failed: ctx.service_failed.load(Ordering::SeqCst) && !applied_any,
        report: opts.report.clone(),
        journal: journal_path,
    };
    let result = ImportResult {
        summary,
        outcomes,
        report_error: None,
    };
    Ok(write_the_report(plan, result, opts.report.as_deref(), progress).await)
}

/// Every line's state so far, and the reasons that are not derived from the plan.
struct Settled {
    states: Vec<LineState>,
    reasons: HashMap<u32, Arc<str>>,
}

/// Where the journal leaves the run: what an earlier run finished or left in flight.
struct JournalStart {
    journal: JournalState,
    /// Chunks an earlier run had sent without settling: their `existed` lists.
    in_flight: HashMap<usize, Vec<u32>>,
    /// Chunks an earlier run settled: their rejected lines.
    done: HashMap<usize, Vec<(u32, String)>>,
    finished_before: bool,
}

/// Continues the journal (`--resume`: what it settled is settled here too), or prepares a
/// new one, written on its first record. An unfinished journal of this input is refused.
fn open_journal(
    plan: &Plan,
    client: &Client,
    opts: &ImportOptions,
    specs: &[ChunkSpec],
    initial: &[LineState],
    settled: &mut Settled,
) -> Result<JournalStart, ImportError> {
    let tracker = format!("{} {}", client.host(), client.tracker_id());
    let mut start = JournalStart {
        journal: JournalState::None,
        in_flight: HashMap::new(),
        done: HashMap::new(),
        finished_before: false,
    };
    if opts.resume {
        let path = opts
            .journal
            .as_deref()
            .ok_or_else(|| ImportError::Resume("no journal to resume from".into()))?;
        if !path.exists() {
            return Err(ImportError::Resume(format!(
                "no journal at {}",
                path.display()
            )));
        }
        let (j, loaded) = Journal::reopen(path)?;
        check_resume(&loaded, plan, &tracker, opts, specs)?;
        for (k, (_, _, existed)) in &loaded.sending {
            if !loaded.done.contains_key(k) {
                start.in_flight.insert(*k, existed.clone());
            }
        }
        start.finished_before = loaded.finished;
        // Settle what the earlier runs finished.
        for (k, rejected) in &loaded.done {
            let r = ChunkResult {
                spec: specs[*k],
                existed: loaded
                    .sending
                    .get(k)
                    .map(|s| s.2.clone())
                    .unwrap_or_default(),
                rejected: rejected.clone(),
                end: End::Applied,
            };
            settle(
                opts.strategy,
                initial,
                &mut settled.states,
                &mut settled.reasons,
                &r,
            );
        }
        start.done = loaded.done;
        start.journal = JournalState::Open(j);
        return Ok(start);
    }
    let Some(path) = &opts.journal else {
        return Ok(start);
    };
    if specs.is_empty() {
        return Ok(start);
    }
    if let Some(l) = journal::peek(path)?
        && !l.finished
    {
        return Err(ImportError::Unfinished(path.clone()));
    }
    // Standard input cannot be resumed, so it gets no journal.
    let Some(p) = plan.input_path() else {
        return Ok(start);
    };
    let input = journal::fingerprint(p, &plan.input.file)
        .map_err(|e| ImportError::Resume(format!("cannot fingerprint {}: {e}", p.display())))?;
    start.journal = JournalState::Pending(
        path.clone(),
        Box::new(Header {
            version: journal::VERSION,
            input,
            plan: journal::plan_digest(plan),
            tracker,
            strategy: opts.strategy,
            chunk_size: opts.chunk_size,
            max_chunk_bytes: opts.max_chunk_bytes,
            chunks: specs.len(),
        }),
    );
    Ok(start)
}

/// How the stored targets are found, and a failure that stops the run before it sends.
#[derive(Default)]
struct StoredLookup {
    existing: Existing,
    counts: StoredCounts,
    failed: Option<ApiError>,
}

/// Finds what is stored already: listed once, or looked up chunk by chunk.
async fn find_stored(
    plan: &Plan,
    client: &Client,
    chunks: usize,
    progress: &Progress,
) -> StoredLookup {
    let listed = |read, total| progress.emit(Event::ListingStored { read, total });
    match lookup::choose(client, plan.models(), chunks, &listed).await {
        Ok((existing, counts, total)) => {
            progress.emit(Event::CheckingTargets {
                mode: existing.mode(),
                stored: total,
            });
            StoredLookup {
                existing,
                counts,
                failed: None,
            }
        }
        Err(e) if retryable(&e) => {
            // The summary is only an optimisation: look targets up chunk by chunk.
            let existing = Existing::PerChunk;
            progress.emit(Event::CheckingTargets {
                mode: existing.mode(),
                stored: 0,
            });
            StoredLookup {
                existing,
                ..StoredLookup::default()
            }
        }
        Err(e) => StoredLookup {
            failed: Some(e),
            ..StoredLookup::default()
        },
    }
}

/// The history operation the run records into, when there is one and something to send.
fn begin_history(opts: &ImportOptions, nothing_to_send: bool) -> Option<(Arc<History>, i64)> {
    let h = opts.history.as_ref().filter(|_| !nothing_to_send)?;
    match h.history.begin(
        &h.origin,
        OpKind::Import,
        &h.summary,
        jiff::Timestamp::now(),
    ) {
        Ok(op) => Some((h.history.clone(), op)),
        Err(e) => {
            tracing::warn!(error = %e, "the import is not recorded in the history");
            None
        }
    }
}

/// What sending the chunks came to.
struct Sent {
    /// Chunks settled in this run.
    settled: usize,
    applied_any: bool,
    journal_error: Option<String>,
}

/// Sends the chunks, at most `opts.concurrency` at once, settling and journaling each as
/// it ends, in order.
async fn send_chunks(
    ctx: &ImportRun<'_>,
    todo: &[ChunkSpec],
    opts: &ImportOptions,
    settled: &mut Settled,
    lines_total: u64,
    already_done: u64,
) -> Sent {
    let send_started = Instant::now();
    let mut lines_done = already_done;
    let mut sent = Sent {
        settled: 0,
        applied_any: false,
        journal_error: None,
    };
    // The futures are made up front (they do nothing until polled): a closure inside the
    // stream's type would keep the run's future from being `Send`.
    let chunk_futures: Vec<_> = todo.iter().map(|s| ctx.process(*s)).collect();
    let mut results = futures::stream::iter(chunk_futures).buffered(opts.concurrency.max(1));
    while let Some(r) = results.next().await {
        let counts = settle(
            ctx.strategy,
            ctx.initial,
            &mut settled.states,
            &mut settled.reasons,
            &r,
        );
        if matches!(r.end, End::Applied) {
            sent.applied_any = true;
            sent.settled += 1;
            let rec = Record::Done {
                chunk: r.spec.index,
                rejected: r.rejected.clone(),
            };
            if let Err(e) = ctx.journal(&rec) {
                sent.journal_error.get_or_insert(e);
            }
        }
        lines_done += u64::from(r.spec.lines);
        let rate = per_sec(lines_done - already_done, send_started.elapsed());
        ctx.progress.emit(Event::ChunkDone {
            chunk: r.spec.index,
            counts,
            lines_done,
            lines_total,
            lines_per_sec: rate,
            eta: (rate > 0.0)
                .then(|| Duration::from_secs_f64((lines_total - lines_done) as f64 / rate)),
        });
    }
    sent
}

/// Marks the journal finished when every chunk is settled; a journal that could not be
/// written stops the run (a resume could not be trusted).
fn close_journal(ctx: &ImportRun<'_>, finish: bool, mut error: Option<String>) {
    if finish
        && error.is_none()
        && let Err(e) = ctx.journal(&Record::Finished)
    {
        error = Some(e);
    }
    if let Some(e) = error {
        let why = format!("the journal could not be written: {e}");
        ctx.stop(why.clone(), why, false);
    }
}

/// Writes the report when one is asked for; a failure is kept in the result, which stands.
async fn write_the_report(
    plan: &Plan,
    mut result: ImportResult,
    path: Option<&Path>,
    progress: &Progress,
) -> ImportResult {
    let Some(path) = path else {
        return result;
    };
    let (outcomes, written) = write_report_off_thread(plan, result.outcomes, path).await;
    result.outcomes = outcomes;
    match written {
        Ok(()) => progress.emit(Event::ReportWritten {
            path: path.to_path_buf(),
        }),
        Err(e) => {
            result.summary.report = None;
            result.report_error = Some(format!("cannot write the report {}: {e}", path.display()));
        }
    }
    result
}

/// Writes the report on a blocking thread when there is a runtime to lend one (the TUI's
/// runtime has a single thread that also draws the screen), in place otherwise. The
/// engine is the report's one writer: the front-ends only choose its path.
async fn write_report_off_thread(
    plan: &Plan,
    outcomes: Outcomes,
    path: &Path,
) -> (Outcomes, io::Result<()>) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        let r = write_report(&plan.input.file, &outcomes, path);
        return (outcomes, r);
    };
    let file = plan.input.file.clone();
    let path = path.to_path_buf();
    let shared = Arc::new(outcomes);
    let lent = shared.clone();
    let written = rt
        .spawn_blocking(move || write_report(&file, &lent, &path))
        .await
        .unwrap_or_else(|e| Err(io::Error::other(e.to_string())));
    // The blocking task has ended and dropped its handle: this is the only one left.
    let outcomes = Arc::try_unwrap(shared).unwrap_or_else(|o| (*o).clone());
    (outcomes, written)
}

/// Writes a report for a plan that is not sent (a dry run, or a refusal): local verdicts
/// only, every line that would have been sent `not_sent` with `reason`.
pub fn report_unsent(
    plan: &Plan,
    strategy: ConflictStrategy,
    reason: &str,
    path: &Path,
) -> Result<(), String> {
    let outcomes = unsent(plan, strategy, reason);
    write_report(&plan.input.file, &outcomes, path)
        .map_err(|e| format!("cannot write the report {}: {e}", path.display()))
}

/// Checks a report path before anything is sent: `-` (stdout) is always fine; a directory or
/// a path that cannot be written is refused; an existing regular file is refused unless
/// `replace` (a resumed run, or `--force`). A device or a fifo is written through.
pub fn check_report(path: &Path, replace: bool) -> Result<(), ImportError> {
    if path.as_os_str() == "-" {
        return Ok(());
    }
    match crate::files::check_output(path).map_err(ImportError::ReportPath)? {
        crate::files::Kind::Regular if !replace => Err(ImportError::ReportExists(path.into())),
        _ => Ok(()),
    }
}

/// What sending would do, found without writing anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Preview {
    /// Every non-blank line's expected outcome (`not_sent` stays 0).
    pub counts: Counts,
    /// Lines to send whose target is stored already.
    pub stored_targets: u64,
    pub to_send: u64,
    pub chunks: usize,
    pub existing: ExistingMode,
}

/// Looks up which of the plan's targets are stored and tells what `run_import` would do with
/// `strategy` (barring changes on the server meanwhile). Reads only.
pub async fn preview(
    plan: &Plan,
    client: &Client,
    strategy: ConflictStrategy,
    chunk_size: usize,
) -> Result<Preview, ImportError> {
    let initial = plan.classify(strategy);
    let specs = plan.chunks(&initial, chunk_size, DEFAULT_MAX_CHUNK_BYTES);
    let mut counts = Counts::default();
    for s in &initial {
        match *s {
            LineState::Invalid | LineState::DupRejected => counts.rejected += 1,
            LineState::DupSkipped => counts.skipped += 1,
            // Pending lines are counted below, by chunk; nothing has been sent yet.
            LineState::Blank
            | LineState::Pending
            | LineState::Created
            | LineState::Replaced
            | LineState::SkippedExisting
            | LineState::Rejected
            | LineState::NotSent => {}
        }
    }
    let (existing, stored, _) = if specs.is_empty() {
        (Existing::Empty, StoredCounts::new(), 0)
    } else {
        lookup::choose(client, plan.models(), specs.len(), &|_, _| {}).await?
    };
    let mut stored_targets = 0u64;
    let mut to_send = 0u64;
    for spec in &specs {
        let mut p = prepare(plan, &initial, spec).map_err(|source| ImportError::Input {
            name: plan.input_name().to_string(),
            source,
        })?;
        let n = p.lines.len() as u64;
        to_send += n;
        let hit = match &existing {
            Existing::Empty => 0,
            Existing::Snapshot(set) => {
                p.ensure_keys();
                p.lines
                    .iter()
                    .filter(|l| l.key.as_ref().is_some_and(|k| set.contains(&key_hash(k))))
                    .count() as u64
            }
            Existing::PerChunk => {
                p.ensure_keys();
                let keys: Vec<&ConflictKey> =
                    p.lines.iter().filter_map(|l| l.key.as_ref()).collect();
                lookup::lookup(client, &keys, &stored)
                    .await?
                    .into_iter()
                    .filter(|f| *f)
                    .count() as u64
            }
        };
        stored_targets += hit;
        counts.created += n - hit;
        match strategy {
            ConflictStrategy::Raise => counts.rejected += hit,
            ConflictStrategy::Ignore => counts.skipped += hit,
            ConflictStrategy::Override => counts.replaced += hit,
        }
    }
    Ok(Preview {
        counts,
        stored_targets,
        to_send,
        chunks: specs.len(),
        existing: existing.mode(),
    })
}

/// Outcomes when nothing is sent (a dry run, or a refusal): local verdicts only, every line
/// that would have been sent `not_sent` with `reason`.
pub(crate) fn unsent(plan: &Plan, strategy: ConflictStrategy, reason: &str) -> Outcomes {
    let states = plan.classify(strategy);
    let reason: Arc<str> = Arc::from(reason);
    let reasons = states
        .iter()
        .enumerate()
        .filter(|(_, s)| **s == LineState::Pending)
        .map(|(i, _)| (i as u32 + 1, reason.clone()))
        .collect();
    let states = states
        .into_iter()
        .map(|s| {
            if s == LineState::Pending {
                LineState::NotSent
            } else {
                s
            }
        })
        .collect();
    Outcomes {
        strategy,
        states,
        reasons,
        winners: plan.duplicate_winners(strategy),
        ids: LineIds::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A screen spawns the run on a task of its own.
    #[test]
    fn the_run_can_be_spawned() {
        fn spawnable<T: Send>(_: &T) {}
        let plan = crate::import::scan::tests::plan_of(b"{}\n");
        let client = Client::new(crate::api::ClientConfig::new(
            "http://127.0.0.1:1",
            "t",
            crate::api::Secret::new("k"),
        ))
        .expect("client");
        let (opts, progress, cancel) = (
            ImportOptions::default(),
            Progress::none(),
            CancelToken::new(),
        );
        let fut = run_import(&plan, &client, &opts, &progress, &cancel);
        spawnable(&fut);
        fn sync<T: Send + Sync>() {}
        sync::<Plan>();
    }

    /// The engine writes the report off the runtime's thread, and a report it cannot write
    /// keeps the outcomes (the lines were settled all the same).
    #[tokio::test]
    async fn the_report_is_written_off_thread_and_a_failure_keeps_the_outcomes() {
        let text = "{\"model\":\"m\",\"target_type\":\"all\",\"pin_definitions\":[]}\nnot json\n";
        let plan = crate::import::scan::tests::plan_of(text.as_bytes());
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("r.ndjson");
        let outcomes = unsent(&plan, ConflictStrategy::Raise, "cancelled");
        let (outcomes, written) = write_report_off_thread(&plan, outcomes, &path).await;
        written.expect("written");
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(&path)
            .expect("report")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["outcome"], "not_sent");
        assert_eq!(lines[1]["outcome"], "rejected");

        // Under a regular file: no directory can be made there.
        std::fs::write(dir.path().join("a file"), "x").expect("file");
        let missing = dir.path().join("a file").join("r.ndjson");
        let (kept, written) = write_report_off_thread(&plan, outcomes, &missing).await;
        assert!(written.is_err());
        assert_eq!(kept.outcome(1), Some(Outcome::NotSent));
        assert_eq!(kept.outcome(2), Some(Outcome::Rejected));
    }

    #[test]
    fn detail_keys_name_lines() {
        assert_eq!(
            detail_line("line 3: pin_definitions[0].position"),
            Some((3, "pin_definitions[0].position"))
        );
        assert_eq!(detail_line("line 12"), Some((12, "")));
        assert_eq!(detail_line("line 7:"), Some((7, "")));
        assert_eq!(detail_line("target_type"), None);
        assert_eq!(detail_line("line x"), None);
    }

    #[test]
    fn details_map_to_body_lines() {
        let e = StatusError {
            status: 422,
            method: "POST".into(),
            path: "/p".into(),
            reason: "Invalid".into(),
            details: serde_json::json!({
                "line 2: model": ["Must not be empty"],
                "line 2: target_type": ["Must be one of: item, criteria, all"],
                "line 9: model": ["out of range"],
                "line 1": ["Conflicts with 5f0c"],
                "other": ["ignored"]
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
            retry_after: None,
            server_date: None,
            string_to_sign: None,
            non_json_body: None,
        };
        let mut got = named_lines(&e, 3);
        got.sort();
        assert_eq!(
            got,
            vec![
                (0, "service 422: Conflicts with 5f0c".to_string()),
                (
                    1,
                    "service 422: model: Must not be empty; target_type: Must be one of: item, criteria, all"
                        .to_string()
                ),
            ]
        );
    }
}
