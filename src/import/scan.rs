//! Pass 1: read every line once, validate it, find duplicate targets. Nothing is sent.
//!
//! Memory per line: one state byte and one `u64` offset. Each valid line also costs 24 bytes
//! until the pass ends (its target's 128-bit hash, to find duplicates by sorting); only the
//! duplicate groups are kept. Parsed objects are dropped as soon as the line is checked.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::api::json::{Doc, Json, JsonObject};
use crate::api::model::{
    ConflictKey, ConflictStrategy, TargetType, conflict_key_parts_of, is_server_field,
};
use crate::api::validate::{self, Violation};
use crate::import::event::{CancelToken, Event, Progress};
use crate::import::reader::{Content, LineReader, MAX_LINE_BYTES, Tee, strip_range};

/// How many characters of a bad line an [`Event::Invalid`] carries.
pub const TEXT_PREVIEW_CHARS: usize = 200;

/// The largest `--chunk-size` (the service's limit per bulk request).
pub const MAX_CHUNK_LINES: usize = 5000;

/// A request body is also closed before it grows past this many bytes.
pub const DEFAULT_MAX_CHUNK_BYTES: u64 = 16 << 20;

/// Where the lines come from.
pub enum Source {
    /// A file, read twice (validate, then send) and fingerprinted for `--resume`.
    Path(PathBuf),
    /// Anything else (stdin): copied to an anonymous temporary file while it is validated,
    /// so the send pass can read it again. Cannot be resumed.
    Reader {
        name: String,
        reader: Box<dyn Read + Send>,
    },
}

impl Source {
    pub fn stdin() -> Self {
        Source::Reader {
            name: "<stdin>".to_string(),
            reader: Box::new(io::stdin()),
        }
    }
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Path(p) => write!(f, "Source::Path({})", p.display()),
            Source::Reader { name, .. } => write!(f, "Source::Reader({name})"),
        }
    }
}

/// Why pass 1 stopped.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("cannot read {name}: {source}")]
    Io { name: String, source: io::Error },
    #[error("{name} has more than {} lines", u32::MAX)]
    TooManyLines { name: String },
    #[error("cancelled")]
    Cancelled,
}

/// What pass 1 found on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    Blank,
    Invalid,
    Valid,
    /// Valid, and carries server-set fields (`id`, `created_at`...): they are dropped
    /// before sending, so the line is re-serialised instead of sent as written.
    ValidStripped,
}

impl LineKind {
    /// The byte a journal's plan digest hashes for the line (the digest predates the enum
    /// and must not change, or no earlier journal could be resumed).
    pub(crate) fn journal_byte(self) -> u8 {
        match self {
            LineKind::Blank => 0,
            LineKind::Invalid => 1,
            LineKind::Valid => 2,
            LineKind::ValidStripped => 0x82,
        }
    }
}

/// What pass 1 found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct PlanCounts {
    /// Every line, blank ones included.
    pub lines: u64,
    pub blank: u64,
    pub valid: u64,
    pub invalid: u64,
    /// Targets that appear on more than one valid line.
    pub duplicate_targets: u64,
    /// Valid lines beyond the first of each duplicate target (the ones that are not sent
    /// under `ignore` and `raise`; under `override` the earlier ones are not sent instead).
    pub duplicate_lines: u64,
    pub bytes: u64,
    #[serde(skip)]
    pub elapsed: Duration,
    /// The first line that is not blank starts with `[`: the file is most likely one JSON
    /// array, not NDJSON (see [`ndjson_hint`]).
    #[serde(skip)]
    pub looks_like_json_array: bool,
}

impl PlanCounts {
    /// Lines that get an outcome.
    pub fn non_blank(&self) -> u64 {
        self.lines - self.blank
    }

    /// Lines sent under `strategy` (one per distinct valid target).
    pub fn to_send(&self) -> u64 {
        self.valid - self.duplicate_lines
    }

    /// Lines rejected without asking the server: invalid ones, and under `raise` every
    /// duplicate after the first.
    pub fn rejected_locally(&self, strategy: ConflictStrategy) -> u64 {
        self.invalid
            + match strategy {
                ConflictStrategy::Raise => self.duplicate_lines,
                _ => 0,
            }
    }

    /// Lines per second of the pass.
    pub fn lines_per_sec(&self) -> f64 {
        per_sec(self.lines, self.elapsed)
    }
}

pub(crate) fn per_sec(n: u64, d: Duration) -> f64 {
    let s = d.as_secs_f64();
    if s > 0.0 { n as f64 / s } else { 0.0 }
}

/// Valid lines per target type of one model (to choose how to look targets up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModelStats {
    pub item: u64,
    pub criteria: u64,
    pub all: u64,
}

/// A [`Source`] once opened: named, and readable by offset.
#[derive(Debug)]
pub(crate) struct OpenedSource {
    pub name: String,
    /// `None` for stdin (spooled to an anonymous file).
    pub path: Option<PathBuf>,
    pub file: Arc<File>,
}

/// The result of pass 1: the lines' states, offsets, and duplicate groups. Cheap to keep
/// around while a person looks at it; nothing has been sent.
#[derive(Debug)]
pub struct Plan {
    pub(crate) input: OpenedSource,
    /// Per line (index = line - 1): what pass 1 found.
    pub(crate) codes: Vec<LineKind>,
    /// Offsets of every line, plus the end of the input.
    pub(crate) offsets: Vec<u64>,
    /// Lines of each duplicate group, ascending, groups ordered by their first line.
    pub(crate) dup_lines: Vec<u32>,
    pub(crate) dup_bounds: Vec<u32>,
    pub(crate) models: HashMap<String, ModelStats>,
    pub(crate) counts: PlanCounts,
}

/// Result of checking one line.
pub(crate) enum Checked<'t> {
    /// Valid: the line's object. Validation requires every field the conflict key is made
    /// of, so `conflict_key_parts_of` is `Some` for it.
    Valid(Doc<'t>),
    Invalid(Vec<Violation>),
}

fn violation(message: String) -> Vec<Violation> {
    vec![Violation {
        path: String::new(),
        message,
    }]
}

/// What is wrong with one NDJSON line (terminator gone), in the words of the import and
/// its report: `pinscope validate` says the same as `pinscope import` about a line.
pub fn line_problems(text: &[u8]) -> Vec<Violation> {
    if text.len() > MAX_LINE_BYTES {
        return too_long(text.len() as u64);
    }
    match check_text(text) {
        Checked::Valid(_) => Vec::new(),
        Checked::Invalid(v) => v,
    }
}

/// Checks one line's text (terminator and BOM already gone). The line is read into a
/// [`Doc`] that borrows its strings, so a valid line costs one allocation.
pub(crate) fn check_text(text: &[u8]) -> Checked<'_> {
    let s = match std::str::from_utf8(text) {
        Ok(s) => s,
        Err(e) => {
            return Checked::Invalid(violation(format!(
                "invalid UTF-8 at byte {}",
                e.valid_up_to() + 1
            )));
        }
    };
    let doc = match Doc::parse(s) {
        Ok(d) => d,
        Err(e) => return Checked::Invalid(violation(json_error(&e))),
    };
    let violations = validate::validate(doc.root());
    if !violations.is_empty() {
        return Checked::Invalid(violations);
    }
    Checked::Valid(doc)
}

/// Checks a line as the reader gave it.
pub(crate) fn check_content<'c>(content: &'c Content<'_>) -> Checked<'c> {
    match content {
        Content::Text(t) => check_text(t),
        Content::TooLong(n) => Checked::Invalid(too_long(*n)),
    }
}

fn too_long(n: u64) -> Vec<Violation> {
    violation(format!(
        "line is longer than {} MiB ({n} bytes)",
        MAX_LINE_BYTES >> 20
    ))
}

/// `invalid JSON at column 7: expected value`, without serde's `line 1`.
fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) => &text[..i],
        None => text.as_str(),
    };
    format!("invalid JSON at column {}: {message}", e.column())
}

/// The 128-bit digest two lines share exactly when their conflict keys are equal.
pub(crate) fn key_hash(k: &ConflictKey) -> u128 {
    parts_hash(&k.model, k.target_type, &k.target)
}

/// [`key_hash`] of a key given by its parts.
pub(crate) fn parts_hash(model: &str, target_type: TargetType, target: &str) -> u128 {
    let mut h = Sha256::new();
    h.update((model.len() as u64).to_le_bytes());
    h.update(model.as_bytes());
    h.update([match target_type {
        TargetType::Item => 1u8,
        TargetType::Criteria => 2,
        TargetType::All => 3,
    }]);
    h.update(target.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    u128::from_le_bytes(b)
}

/// The first characters of a line, for people.
pub(crate) fn preview(text: &[u8]) -> String {
    let s = String::from_utf8_lossy(&text[..text.len().min(TEXT_PREVIEW_CHARS * 4)]);
    let mut out: String = s.chars().take(TEXT_PREVIEW_CHARS).collect();
    if s.chars().count() > TEXT_PREVIEW_CHARS || text.len() > TEXT_PREVIEW_CHARS * 4 {
        out.push('…');
    }
    out
}

/// Reads `buf.len()` bytes at `offset` without moving a shared cursor.
pub(crate) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        file.read_exact_at(buf, offset)
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::FileExt;
        let mut done = 0;
        while done < buf.len() {
            let n = file.seek_read(&mut buf[done..], offset + done as u64)?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
}

const PROGRESS_EVERY: u64 = 1 << 16;
const CANCEL_EVERY: u64 = 1 << 12;

/// Runs pass 1 over `source`. Blocking (file IO and parsing): call it from a blocking task.
pub fn scan(source: Source, progress: &Progress, cancel: &CancelToken) -> Result<Plan, ScanError> {
    match source {
        Source::Path(path) => {
            let name = path.display().to_string();
            let io_err = |source| ScanError::Io {
                name: name.clone(),
                source,
            };
            let file = File::open(&path).map_err(io_err)?;
            let total = file.metadata().map_err(io_err)?.len();
            let read = file.try_clone().map_err(io_err)?;
            let input = OpenedSource {
                name: name.clone(),
                path: Some(std::path::absolute(&path).unwrap_or(path)),
                file: Arc::new(file),
            };
            scan_reader(input, read, Some(total), progress, cancel)
        }
        Source::Reader { name, reader } => {
            let io_err = |source| ScanError::Io {
                name: name.clone(),
                source,
            };
            let spool = tempfile::tempfile().map_err(io_err)?;
            let copy = io::BufWriter::with_capacity(256 * 1024, spool.try_clone().map_err(io_err)?);
            let input = OpenedSource {
                name: name.clone(),
                path: None,
                file: Arc::new(spool),
            };
            let mut tee = Tee::new(reader, copy);
            let plan = scan_reader(input, &mut tee, None, progress, cancel)?;
            let (_, mut copy) = tee.into_parts();
            copy.flush().map_err(io_err)?;
            Ok(plan)
        }
    }
}

/// What to tell someone whose file is a JSON array: NDJSON is expected.
pub fn ndjson_hint(name: &str) -> String {
    format!(
        "{name} looks like a JSON array: one customization a line (NDJSON) is expected; \
         convert it with: jq -c '.[]' {name} > {name}.ndjson"
    )
}

/// Whether a line (terminator and BOM gone) opens a JSON array.
fn opens_array(content: &Content<'_>) -> bool {
    match content {
        Content::Text(t) => t.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'['),
        Content::TooLong(_) => false,
    }
}

/// Checks every line of `reader` as pass 1 does (the same reader, limits and rules, so the
/// same messages), keeping nothing per line: memory stays flat however long the input.
/// Each invalid line is an [`Event::Invalid`]; duplicate targets are not looked for (that
/// needs a plan: `pinscope import --dry-run`). `lines`, `blank`, `valid`, `invalid` and
/// `bytes` are counted.
pub fn check_stream<R: Read>(
    name: &str,
    reader: R,
    total: Option<u64>,
    progress: &Progress,
    cancel: &CancelToken,
) -> Result<PlanCounts, ScanError> {
    let started = Instant::now();
    let mut r = LineReader::new(reader);
    let mut counts = PlanCounts::default();
    let mut seen_content = false;
    let io_err = |source| ScanError::Io {
        name: name.to_string(),
        source,
    };
    while let Some(line) = r.next_line().map_err(io_err)? {
        let n = line.number;
        counts.lines = n;
        if n % CANCEL_EVERY == 0 {
            if cancel.is_cancelled() {
                return Err(ScanError::Cancelled);
            }
            if n % PROGRESS_EVERY == 0 {
                progress.emit(Event::Validating {
                    lines: n,
                    bytes: line.offset + line.raw_len,
                    total_bytes: total,
                    lines_per_sec: per_sec(n, started.elapsed()),
                });
            }
        }
        if line.is_blank() {
            counts.blank += 1;
            continue;
        }
        if !seen_content {
            seen_content = true;
            counts.looks_like_json_array = opens_array(&line.content);
        }
        match check_content(&line.content) {
            Checked::Valid(_) => counts.valid += 1,
            Checked::Invalid(reasons) => {
                counts.invalid += 1;
                if progress.is_active() {
                    let text = match line.content {
                        Content::Text(t) => preview(t),
                        Content::TooLong(_) => String::new(),
                    };
                    progress.emit(Event::Invalid {
                        line: n,
                        text,
                        reasons,
                    });
                }
            }
        }
    }
    counts.bytes = r.offset();
    counts.elapsed = started.elapsed();
    progress.emit(Event::Validated(counts));
    Ok(counts)
}

/// Pass 1 over `reader`, which yields the bytes of `input`.
fn scan_reader<R: Read>(
    input: OpenedSource,
    reader: R,
    total: Option<u64>,
    progress: &Progress,
    cancel: &CancelToken,
) -> Result<Plan, ScanError> {
    let started = Instant::now();
    let mut r = LineReader::new(reader);
    let mut codes: Vec<LineKind> = Vec::new();
    let mut offsets: Vec<u64> = Vec::new();
    let mut hashes: Vec<(u64, u64, u32)> = Vec::new();
    let mut model_stats: Vec<(String, ModelStats)> = Vec::new();
    let mut model_index: HashMap<String, usize> = HashMap::new();
    let mut last_model = 0usize;
    let mut counts = PlanCounts::default();
    let name = input.name.as_str();
    let io_err = |source| ScanError::Io {
        name: name.to_string(),
        source,
    };
    while let Some(line) = r.next_line().map_err(io_err)? {
        let n = line.number;
        if n > u64::from(u32::MAX) {
            return Err(ScanError::TooManyLines {
                name: name.to_string(),
            });
        }
        offsets.push(line.offset);
        if n % CANCEL_EVERY == 0 {
            if cancel.is_cancelled() {
                return Err(ScanError::Cancelled);
            }
            if n % PROGRESS_EVERY == 0 {
                progress.emit(Event::Validating {
                    lines: n,
                    bytes: line.offset + line.raw_len,
                    total_bytes: total,
                    lines_per_sec: per_sec(n, started.elapsed()),
                });
            }
        }
        if line.is_blank() {
            codes.push(LineKind::Blank);
            counts.blank += 1;
            continue;
        }
        if counts.valid + counts.invalid == 0 {
            counts.looks_like_json_array = opens_array(&line.content);
        }
        match check_content(&line.content) {
            Checked::Valid(doc) => {
                counts.valid += 1;
                // Validation passed: the line is an object with every field of its key.
                let Some(c) = doc.root().as_object() else {
                    codes.push(LineKind::Valid);
                    continue;
                };
                codes.push(if c.entries().any(|(k, _)| is_server_field(k)) {
                    LineKind::ValidStripped
                } else {
                    LineKind::Valid
                });
                let Some((model, target_type, target)) = conflict_key_parts_of(c) else {
                    continue;
                };
                // Files usually hold one model, or runs of one: check the last one first.
                let slot = match model_stats.get(last_model) {
                    Some((m, _)) if m == model => last_model,
                    _ => match model_index.get(model) {
                        Some(i) => *i,
                        None => {
                            model_index.insert(model.to_string(), model_stats.len());
                            model_stats.push((model.to_string(), ModelStats::default()));
                            model_stats.len() - 1
                        }
                    },
                };
                last_model = slot;
                let stats = &mut model_stats[slot].1;
                match target_type {
                    TargetType::Item => stats.item += 1,
                    TargetType::Criteria => stats.criteria += 1,
                    TargetType::All => stats.all += 1,
                }
                let h = parts_hash(model, target_type, &target);
                hashes.push((h as u64, (h >> 64) as u64, n as u32));
            }
            Checked::Invalid(reasons) => {
                counts.invalid += 1;
                codes.push(LineKind::Invalid);
                if progress.is_active() {
                    let text = match line.content {
                        Content::Text(t) => preview(t),
                        Content::TooLong(_) => {
                            // The line was not kept; its start is still in the file, but
                            // a stream cannot be re-read here.
                            String::new()
                        }
                    };
                    progress.emit(Event::Invalid {
                        line: n,
                        text,
                        reasons,
                    });
                }
            }
        }
    }
    offsets.push(r.offset());
    counts.lines = codes.len() as u64;
    counts.bytes = r.offset();

    // Duplicates: sort by (hash, line); equal hashes are one target.
    hashes.sort_unstable();
    let mut groups: Vec<Vec<u32>> = Vec::new();
    let mut i = 0;
    while i < hashes.len() {
        let mut j = i + 1;
        while j < hashes.len() && hashes[j].0 == hashes[i].0 && hashes[j].1 == hashes[i].1 {
            j += 1;
        }
        if j - i > 1 {
            groups.push(hashes[i..j].iter().map(|h| h.2).collect());
        }
        i = j;
    }
    drop(hashes);
    let models: HashMap<String, ModelStats> = model_stats.into_iter().collect();
    groups.sort_unstable_by_key(|g| g[0]);
    let mut dup_lines = Vec::new();
    let mut dup_bounds = Vec::with_capacity(groups.len() + 1);
    for g in &groups {
        dup_bounds.push(dup_lines.len() as u32);
        counts.duplicate_targets += 1;
        counts.duplicate_lines += g.len() as u64 - 1;
        dup_lines.extend_from_slice(g);
    }
    dup_bounds.push(dup_lines.len() as u32);
    counts.elapsed = started.elapsed();
    progress.emit(Event::Validating {
        lines: counts.lines,
        bytes: counts.bytes,
        total_bytes: total,
        lines_per_sec: counts.lines_per_sec(),
    });
    if progress.is_active() {
        for g in dup_bounds.windows(2) {
            progress.emit(Event::Duplicate {
                lines: dup_lines[g[0] as usize..g[1] as usize]
                    .iter()
                    .map(|l| u64::from(*l))
                    .collect(),
            });
        }
    }
    progress.emit(Event::Validated(counts));
    Ok(Plan {
        input,
        codes,
        offsets,
        dup_lines,
        dup_bounds,
        models,
        counts,
    })
}

/// A line's state under a strategy (before and while sending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineState {
    Blank,
    /// Failed local validation.
    Invalid,
    Pending,
    /// A duplicate that is not sent (superseded under override, after the first under ignore).
    DupSkipped,
    /// A duplicate after the first under raise.
    DupRejected,
    Created,
    Replaced,
    /// Under ignore: the target was already stored and is kept.
    SkippedExisting,
    /// Rejected with a reason (a server detail, or a stored conflict under raise).
    Rejected,
    /// Not sent: cancelled, failed, or unknown (reason recorded).
    NotSent,
}

impl Plan {
    pub fn counts(&self) -> PlanCounts {
        self.counts
    }

    /// The input's name as given (a path, or `<stdin>`).
    pub fn input_name(&self) -> &str {
        &self.input.name
    }

    /// Renames the input in messages and reports (a temporary file's name means nothing).
    pub fn set_input_name(&mut self, name: &str) {
        self.input.name = name.to_string();
    }

    /// The input's absolute path (`None` for stdin).
    pub fn input_path(&self) -> Option<&Path> {
        self.input.path.as_deref()
    }

    /// Valid lines per model and target type.
    pub fn models(&self) -> &HashMap<String, ModelStats> {
        &self.models
    }

    /// Lines that failed validation, in order.
    pub fn invalid_lines(&self) -> impl Iterator<Item = u64> + '_ {
        self.codes
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == LineKind::Invalid)
            .map(|(i, _)| i as u64 + 1)
    }

    /// Groups of lines that share a target (each ascending), ordered by first line.
    pub fn duplicate_groups(&self) -> impl Iterator<Item = &[u32]> + '_ {
        self.dup_bounds
            .windows(2)
            .map(|w| &self.dup_lines[w[0] as usize..w[1] as usize])
    }

    /// A line's text as it is in the input (terminator and BOM removed).
    pub fn read_line(&self, line: u64) -> io::Result<Vec<u8>> {
        let (start, end) = self.line_span(line)?;
        let mut buf = self.read_range(start, end)?;
        let r = strip_range(&buf, start == 0);
        buf.truncate(r.end);
        buf.drain(..r.start);
        Ok(buf)
    }

    /// The first `max` bytes of a line's text (for showing a line that may be huge).
    pub fn read_line_prefix(&self, line: u64, max: usize) -> io::Result<Vec<u8>> {
        let (start, end) = self.line_span(line)?;
        let mut buf = self.read_range(start, end.min(start + max as u64 + 3))?;
        let r = strip_range(&buf, start == 0);
        buf.truncate(r.end);
        buf.drain(..r.start);
        buf.truncate(max);
        Ok(buf)
    }

    fn line_span(&self, line: u64) -> io::Result<(u64, u64)> {
        let i = line
            .checked_sub(1)
            .filter(|i| *i < self.counts.lines)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("no line {line}")))?
            as usize;
        Ok((self.offsets[i], self.offsets[i + 1]))
    }

    /// Why a line failed validation (empty for a line that passed).
    pub fn line_reasons(&self, line: u64) -> io::Result<Vec<Violation>> {
        let (start, end) = self.line_span(line)?;
        // A line too long to have been kept is judged by its length alone.
        if end - start > MAX_LINE_BYTES as u64 + 5 {
            let mut head = [0u8; 3];
            read_at(&self.input.file, &mut head, start)?;
            let mut tail = [0u8; 2];
            read_at(&self.input.file, &mut tail, end - 2)?;
            let bom = if start == 0 && head == *b"\xEF\xBB\xBF" {
                3
            } else {
                0
            };
            let term = if tail == *b"\r\n" {
                2
            } else if tail[1] == b'\n' || tail[1] == b'\r' {
                1
            } else {
                0
            };
            return Ok(too_long(end - start - bom - term));
        }
        let text = self.read_line(line)?;
        Ok(match check_text(&text) {
            Checked::Valid { .. } => Vec::new(),
            Checked::Invalid(v) => v,
        })
    }

    /// Line states under `strategy`: duplicates resolved, valid lines pending.
    pub(crate) fn classify(&self, strategy: ConflictStrategy) -> Vec<LineState> {
        let mut s: Vec<LineState> = self
            .codes
            .iter()
            .map(|c| match c {
                LineKind::Blank => LineState::Blank,
                LineKind::Invalid => LineState::Invalid,
                LineKind::Valid | LineKind::ValidStripped => LineState::Pending,
            })
            .collect();
        for g in self.duplicate_groups() {
            let (losers, mark) = match strategy {
                ConflictStrategy::Override => (&g[..g.len() - 1], LineState::DupSkipped),
                ConflictStrategy::Ignore => (&g[1..], LineState::DupSkipped),
                ConflictStrategy::Raise => (&g[1..], LineState::DupRejected),
            };
            for l in losers {
                s[*l as usize - 1] = mark;
            }
        }
        s
    }

    /// For each duplicate line that is not sent under `strategy`, the line that is.
    pub(crate) fn duplicate_winners(&self, strategy: ConflictStrategy) -> HashMap<u32, u32> {
        let mut out = HashMap::new();
        for g in self.duplicate_groups() {
            let winner = match strategy {
                ConflictStrategy::Override => g[g.len() - 1],
                _ => g[0],
            };
            for l in g {
                if *l != winner {
                    out.insert(*l, winner);
                }
            }
        }
        out
    }

    /// The requests the pending lines of `states` go in: at most `chunk_size` lines and
    /// `max_bytes` bytes each, in file order.
    pub(crate) fn chunks(
        &self,
        states: &[LineState],
        chunk_size: usize,
        max_bytes: u64,
    ) -> Vec<ChunkSpec> {
        let chunk_size = chunk_size.clamp(1, MAX_CHUNK_LINES);
        let mut out: Vec<ChunkSpec> = Vec::new();
        let mut cur: Option<ChunkSpec> = None;
        for (i, st) in states.iter().enumerate() {
            if *st != LineState::Pending {
                continue;
            }
            let line = i as u32 + 1;
            let len = self.offsets[i + 1] - self.offsets[i];
            if let Some(c) = &cur
                && (c.lines as usize >= chunk_size || c.bytes + len > max_bytes)
            {
                out.extend(cur.take());
            }
            let c = cur.get_or_insert(ChunkSpec {
                index: out.len(),
                first: line,
                last: line,
                lines: 0,
                bytes: 0,
            });
            c.last = line;
            c.lines += 1;
            c.bytes += len;
        }
        out.extend(cur);
        out
    }

    /// How many requests `strategy` and `chunk_size` give.
    pub fn chunk_count(&self, strategy: ConflictStrategy, chunk_size: usize) -> usize {
        self.chunks(
            &self.classify(strategy),
            chunk_size,
            DEFAULT_MAX_CHUNK_BYTES,
        )
        .len()
    }

    /// Reads the raw bytes `[start, end)` of the input.
    pub(crate) fn read_range(&self, start: u64, end: u64) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; (end - start) as usize];
        read_at(&self.input.file, &mut buf, start)?;
        Ok(buf)
    }
}

/// One request's worth of pending lines: those in `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChunkSpec {
    pub index: usize,
    pub first: u32,
    pub last: u32,
    pub lines: u32,
    pub bytes: u64,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn plan_of(text: &[u8]) -> Plan {
        scan(
            Source::Reader {
                name: "t.ndjson".into(),
                reader: Box::new(io::Cursor::new(text.to_vec())),
            },
            &Progress::none(),
            &CancelToken::new(),
        )
        .expect("scan")
    }

    fn item(model: &str, id: &str) -> String {
        format!(
            r#"{{"model":"{model}","target_type":"item","target_identity":"{id}","pin_definitions":[{{"position":1,"pin_type":"item","pin_identity":"p"}}]}}"#
        )
    }

    #[test]
    fn counts_blank_invalid_valid() {
        let text = format!(
            "\u{feff}{}\r\n\r\n   \n{{\"model\":\n[1]\n{}\n",
            item("m", "a"),
            item("m", "b")
        );
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(b"\xff\n");
        let p = plan_of(&bytes);
        let c = p.counts();
        assert_eq!(
            (c.lines, c.blank, c.valid, c.invalid),
            (7, 2, 2, 3),
            "{c:?}"
        );
        assert_eq!(p.invalid_lines().collect::<Vec<_>>(), vec![4, 5, 7]);
        assert_eq!(p.read_line(1).expect("line"), item("m", "a").as_bytes());
        assert_eq!(p.read_line(6).expect("line"), item("m", "b").as_bytes());
        let r4 = p.line_reasons(4).expect("reasons");
        assert!(
            r4[0]
                .message
                .starts_with("invalid JSON at column 9: EOF while parsing"),
            "{r4:?}"
        );
        let r5 = p.line_reasons(5).expect("reasons");
        assert_eq!(r5[0].message, "Must be a JSON object");
        let r7 = p.line_reasons(7).expect("reasons");
        assert_eq!(r7[0].message, "invalid UTF-8 at byte 1");
        assert!(p.line_reasons(1).expect("reasons").is_empty());
    }

    #[test]
    fn validation_reasons_name_the_field() {
        let p = plan_of(br#"{"model":"m","target_type":"item","pin_definitions":[{"pin_type":"item","pin_identity":"x"}]}"#);
        let r = p.line_reasons(1).expect("reasons");
        let text: Vec<String> = r.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec![
                "target_identity: Missing required field: target_identity",
                "pin_definitions[0].position: Missing required field: position"
            ]
        );
    }

    #[test]
    fn too_long_lines_are_rejected_with_their_length() {
        let mut text = item("m", "a").into_bytes();
        text.push(b'\n');
        let mut long = br#"{"model":""#.to_vec();
        long.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES));
        long.extend_from_slice(b"\"}\r\n");
        let long_len = long.len() - 2;
        text.extend_from_slice(&long);
        text.extend_from_slice(item("m", "b").as_bytes());
        let p = plan_of(&text);
        assert_eq!(p.invalid_lines().collect::<Vec<_>>(), vec![2]);
        assert_eq!(p.counts().valid, 2);
        let r = p.line_reasons(2).expect("reasons");
        assert_eq!(
            r[0].message,
            format!("line is longer than 1 MiB ({long_len} bytes)")
        );
    }

    #[test]
    fn duplicates_by_strategy() {
        let crit = |order: bool| {
            let c = if order {
                r#"{"a":1,"b":2}"#
            } else {
                r#"{"b":2,"a":1}"#
            };
            format!(
                r#"{{"model":"m","target_type":"criteria","target_criteria":{c},"pin_definitions":[]}}"#
            )
        };
        let lines = [
            item("m", "a"),     // 1
            item("m", "b"),     // 2
            item("m", "a"),     // 3 dup of 1
            crit(true),         // 4
            item("other", "a"), // 5 other model: not a dup
            crit(false),        // 6 dup of 4 (key order differs)
            item("m", "a"),     // 7 dup of 1
        ];
        let p = plan_of(lines.join("\n").as_bytes());
        let c = p.counts();
        assert_eq!((c.duplicate_targets, c.duplicate_lines), (2, 3));
        let groups: Vec<Vec<u32>> = p.duplicate_groups().map(<[u32]>::to_vec).collect();
        assert_eq!(groups, vec![vec![1, 3, 7], vec![4, 6]]);

        use LineState::*;
        assert_eq!(
            p.classify(ConflictStrategy::Ignore),
            vec![
                Pending, Pending, DupSkipped, Pending, Pending, DupSkipped, DupSkipped
            ]
        );
        assert_eq!(
            p.classify(ConflictStrategy::Raise),
            vec![
                Pending,
                Pending,
                DupRejected,
                Pending,
                Pending,
                DupRejected,
                DupRejected
            ]
        );
        assert_eq!(
            p.classify(ConflictStrategy::Override),
            vec![
                DupSkipped, Pending, DupSkipped, DupSkipped, Pending, Pending, Pending
            ]
        );
        let w = p.duplicate_winners(ConflictStrategy::Override);
        assert_eq!((w[&1], w[&3], w[&4]), (7, 7, 6));
        let w = p.duplicate_winners(ConflictStrategy::Ignore);
        assert_eq!((w[&3], w[&7], w[&6]), (1, 1, 4));
        assert_eq!(p.models()["m"].item, 4);
        assert_eq!(p.models()["m"].criteria, 2);
    }

    #[test]
    fn chunks_respect_lines_and_bytes() {
        let lines: Vec<String> = (0..10).map(|i| item("m", &format!("t{i}"))).collect();
        let mut text = lines.join("\n");
        text.push_str("\nnot json\n");
        let p = plan_of(text.as_bytes());
        let st = p.classify(ConflictStrategy::Raise);
        let c = p.chunks(&st, 4, u64::MAX);
        assert_eq!(
            c.iter()
                .map(|c| (c.first, c.last, c.lines))
                .collect::<Vec<_>>(),
            vec![(1, 4, 4), (5, 8, 4), (9, 10, 2)]
        );
        let one = (lines[0].len() + 1) as u64;
        let c = p.chunks(&st, 5000, one * 3);
        assert_eq!(c.len(), 4);
        assert_eq!(c.iter().map(|c| c.lines).sum::<u32>(), 10);
        assert_eq!(p.chunk_count(ConflictStrategy::Raise, 5000), 1);
        assert_eq!(p.chunk_count(ConflictStrategy::Raise, 9999), 1);
    }

    #[test]
    fn server_fields_are_flagged() {
        let mut line: serde_json::Value = serde_json::from_str(&item("m", "a")).expect("json");
        line["id"] = "x".into();
        let p = plan_of(format!("{line}\n{}", item("m", "b")).as_bytes());
        assert_eq!(p.codes[0], LineKind::ValidStripped);
        assert_eq!(p.codes[1], LineKind::Valid);
    }

    #[test]
    fn events_report_bad_lines_and_cancel_stops() {
        let events = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = events.clone();
        let progress = Progress::new(move |e| sink.lock().expect("lock").push(e));
        let text = format!("{}\n{{oops\n{}\n", item("m", "a"), item("m", "a"));
        scan(
            Source::Reader {
                name: "x".into(),
                reader: Box::new(io::Cursor::new(text.into_bytes())),
            },
            &progress,
            &CancelToken::new(),
        )
        .expect("scan");
        let events = events.lock().expect("lock");
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::Invalid { line: 2, text, .. } if text == "{oops"))
        );
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::Validated(c) if c.valid == 2))
        );
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::Duplicate { lines } if lines == &[1, 3]))
        );

        let cancel = CancelToken::new();
        cancel.cancel();
        let big = "\n".repeat(10_000);
        let r = scan(
            Source::Reader {
                name: "x".into(),
                reader: Box::new(io::Cursor::new(big.into_bytes())),
            },
            &Progress::none(),
            &cancel,
        );
        assert!(matches!(r, Err(ScanError::Cancelled)));
    }

    #[test]
    fn reads_a_file_by_path() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("in.ndjson");
        std::fs::write(&path, format!("{}\r\n{}", item("m", "a"), item("m", "b"))).expect("write");
        let p = scan(
            Source::Path(path.clone()),
            &Progress::none(),
            &CancelToken::new(),
        )
        .expect("scan");
        assert_eq!(p.counts().valid, 2);
        assert_eq!(p.input_path(), Some(path.as_path()));
        assert_eq!(p.read_line(2).expect("line"), item("m", "b").as_bytes());
        let missing = scan(
            Source::Path(dir.path().join("nope")),
            &Progress::none(),
            &CancelToken::new(),
        );
        assert!(matches!(missing, Err(ScanError::Io { .. })));
    }

    #[test]
    fn previews_are_truncated() {
        let long = "é".repeat(TEXT_PREVIEW_CHARS + 5);
        let p = preview(long.as_bytes());
        assert_eq!(p.chars().count(), TEXT_PREVIEW_CHARS + 1);
        assert!(p.ends_with('…'));
        assert_eq!(preview(b"abc"), "abc");
    }
}
