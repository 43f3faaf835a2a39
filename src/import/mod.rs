//! Bulk import: stream an NDJSON file of any size into a tracker and account for every line.
//!
//! No terminal code lives here: the CLI and the import screen drive the same engine and watch
//! it through [`Event`]s.
//!
//! # How an import runs
//!
//! 1. **Validate** ([`scan()`]): every line is read once, checked with the shared rules
//!    ([`crate::api::validate::validate`]) and its target (the bulk conflict key) hashed to
//!    find duplicates. Nothing is sent. Memory per line is one state byte and one offset.
//! 2. **Send** ([`run_import()`]): the lines to send go out in chunks of at most `chunk_size` lines, in
//!    file order, each line as written in the file (re-serialised only when it carries
//!    server-set fields such as `id`, which are dropped).
//! 3. **Report**: every non-blank line ends with exactly one [`Outcome`]; `--report` writes them
//!    as NDJSON, and the [`ImportTotals`] count them.
//!
//! # Decisions
//!
//! - **Duplicate targets in the file** (same [`crate::api::model::ConflictKey`]) are settled
//!   before sending, as if the lines were sent one by one in file order: under `ignore` the
//!   first line is sent and later ones are `skipped`; under `override` the last one is sent
//!   and earlier ones are `skipped` (superseded); under `raise` the first is sent and later
//!   ones are `rejected`. So no request ever holds two lines with one target, and chunks never
//!   share a target: they commute, which is what lets several be in flight at once.
//! - **Created, replaced or skipped**: the engine learns which targets are already stored
//!   before a chunk is sent. It reads the tracker's summary first: when the file's models
//!   hold nothing, nothing is looked up; when listing every stored target of those models
//!   takes fewer requests than looking up each chunk's targets, it lists them once
//!   ([`ExistingMode::Snapshot`]); otherwise each chunk's targets are looked up just before
//!   it is sent ([`ExistingMode::PerChunk`]). Under `raise`, a target found stored is
//!   `rejected` without being sent (the service would refuse the whole chunk).
//! - **Faults**: 408, 429, 500, 502, 503, 504 and connection errors are retried with
//!   exponential backoff, honouring `Retry-After`. When a request may have been applied
//!   although its answer was lost (a timeout, a cut connection, 408/500/502/504), resending
//!   is safe under `ignore` and `override` (the second request finds the targets stored and
//!   keeps them, or replaces them with the same definitions, keeping ids). Under `raise` the
//!   chunk's targets are looked up first: all stored means the request was applied (it is
//!   all-or-nothing), otherwise it is resent.
//! - **409 under `raise`, 422**: the request wrote nothing; the lines the details name get
//!   those messages as `rejected`, and the rest of the chunk is sent again without them.
//!   401, 403, 404 and 413 stop the import (no later request could succeed).
//! - **Invalid lines** never stop the engine: [`run_import()`] sends the valid lines and reports the
//!   others `rejected`. Whether to go on at all is the driver's call once it has the
//!   [`Plan`]: `pinscope import` refuses (exit 3) unless `--skip-invalid`; a screen asks.
//! - **Journal**: each chunk is recorded before it is sent and when it is settled (append +
//!   fsync), so a `--resume` after a crash never sends a settled chunk again and settles the
//!   one that was in flight as above.

//! # Driving it
//!
//! ```text
//! let (progress, events) = Progress::channel();       // or Progress::new(callback)
//! let cancel = CancelToken::new();
//! // Pass 1 is blocking: run it on a blocking task.
//! let plan = scan(Source::Path(path), &progress, &cancel)?;   // Validating, Invalid, Duplicate, Validated
//! plan.counts(); plan.invalid_lines(); plan.line_reasons(n); plan.read_line(n);
//! plan.duplicate_groups(); plan.chunk_count(strategy, chunk_size);
//! let p = preview(&plan, &client, strategy, chunk_size).await?;  // optional: what would happen
//! let opts = ImportOptions { strategy, journal: journal::default_path(..), report, ..Default::default() };
//! let r = run_import(&plan, &client, &opts, &progress, &cancel).await?;   // Sending, ChunkSent, Retry, ChunkDone...
//! r.summary.counts; r.outcomes.outcome(n); r.outcomes.reason(&plan, n);
//! ```
//!
//! `cancel.cancel()` during [`run_import()`] lets the requests in flight finish and be recorded in the
//! journal; every line not sent ends `not_sent`, and `resume: true` continues later.

pub mod event;
pub mod journal;
pub mod lookup;
pub mod reader;
pub mod report;
pub mod run;
pub mod scan;

pub use event::{CancelToken, Event, ExistingMode, Progress};
pub use report::Outcomes;
pub use report::{Counts, ImportTotals, Outcome};
pub use run::{
    ImportError, ImportHistory, ImportOptions, ImportResult, Preview, check_report, preview,
    report_unsent, run_import,
};
pub use scan::{
    DEFAULT_MAX_CHUNK_BYTES, MAX_CHUNK_LINES, ModelStats, Plan, PlanCounts, ScanError, Source,
    TEXT_PREVIEW_CHARS, check_stream, ndjson_hint, scan,
};
