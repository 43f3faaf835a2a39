//! `pinscope import` and `pinscope copy`: the bulk import engine ([`crate::import`]) on the
//! command line, with a progress bar on stderr when it is a terminal.
//!
//! Invalid lines: every line is validated before anything is sent. When some are invalid
//! (or, under `raise`, repeat an earlier line's target), the import sends nothing and exits 3
//! after listing them as `FILE:LINE: field: message`, unless `--skip-invalid` asks to send
//! the valid ones anyway (the others are then `rejected`, and the exit is 4).

use super::mirror_cmd::record_write;
use crate::mirror::Scope;
use crate::tui::fmt::plural;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Failure, GlobalArgs, Outcome, Target, block_on, exit, interactive, note, warn};
use crate::api::Client;
use crate::api::model::ConflictStrategy;
use crate::api::text::strip_controls;
use crate::api::validate::Violation;
use crate::import::{
    self, CancelToken, Event, ImportError, ImportOptions, ImportResult, Outcome as LineOutcome,
    Plan, PlanCounts, Progress, Source, journal,
};

const STRATEGIES: [&str; 3] = ["raise", "ignore", "override"];
/// How many bad lines are listed on stderr (the report has them all).
const SHOWN: usize = 20;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// NDJSON file, one customization a line (blank lines skipped); `-` reads stdin
    #[arg(value_name = "FILE")]
    pub file: String,
    /// What happens to a line whose target is already stored: raise (it is rejected), ignore
    /// (the stored one is kept), override (it is replaced) [default: raise; with --resume,
    /// the journal's]
    #[arg(long, value_name = "S", value_parser = STRATEGIES)]
    pub conflict_strategy: Option<String>,
    /// Lines per request, 1 to 5000 [default: 5000; with --resume, the journal's]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=5000))]
    pub chunk_size: Option<u16>,
    /// Validate and print the plan; send nothing (no profile needed)
    #[arg(long, conflicts_with = "resume")]
    pub dry_run: bool,
    /// Write one JSON object per non-blank line: {"line", "outcome", "target", "reason"};
    /// `-` for stdout. An existing report is refused unless --resume or --force
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Replace an existing --report (its journal's import is then forgotten)
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
    /// Continue an interrupted import of FILE from its journal: settled chunks are not sent
    /// again, the one in flight is checked on the server first
    #[arg(long)]
    pub resume: bool,
    /// Send the valid lines even when some are invalid (those are reported as rejected)
    #[arg(long)]
    pub skip_invalid: bool,
    /// Requests in flight at once (chunks never share a target, so the result is the same)
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=8))]
    pub jobs: u8,
    /// The journal [default: REPORT.journal beside --report, else in the data dir]
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Do not ask before importing into a production profile
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The profile to export from
    #[arg(long, value_name = "PROFILE")]
    pub from: String,
    /// The profile to import into
    #[arg(long, value_name = "PROFILE")]
    pub to: String,
    #[command(flatten)]
    pub filter: super::commands::ExportFilterArgs,
    /// What happens to a target already stored in the destination
    #[arg(long, value_name = "S", value_parser = STRATEGIES, default_value = "raise")]
    pub conflict_strategy: String,
    /// Lines per request, 1 to 5000
    #[arg(long, value_name = "N", default_value_t = 5000, value_parser = clap::value_parser!(u16).range(1..=5000))]
    pub chunk_size: u16,
    /// Export and count what would be created, replaced, skipped or rejected; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Write the per-line report of the import (lines of the exported file); `-` for stdout.
    /// An existing report is refused unless --force
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Replace an existing --report
    #[arg(long)]
    pub force: bool,
    /// Requests in flight at once
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=8))]
    pub jobs: u8,
    /// Do not ask before writing into a production profile
    #[arg(long, short = 'y')]
    pub yes: bool,
}

fn strategy(s: &str) -> ConflictStrategy {
    ConflictStrategy::parse(s).unwrap_or_default()
}

/// A bad line and why.
type BadLine = (u64, Vec<Violation>);

/// Progress on stderr: bars on a terminal, nothing otherwise; keeps the first bad lines.
#[derive(Clone)]
struct Watch {
    bar: ProgressBar,
    shown: Arc<Mutex<Vec<BadLine>>>,
}

impl Watch {
    fn new() -> Watch {
        let bar = if std::io::stderr().is_terminal() {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        Watch {
            bar,
            shown: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn progress(&self) -> Progress {
        let w = self.clone();
        Progress::new(move |e| w.on(e))
    }

    fn on(&self, e: Event) {
        match e {
            Event::Validating {
                lines,
                bytes,
                total_bytes,
                lines_per_sec,
            } => {
                if self.bar.length().is_none() || self.bar.position() == 0 {
                    let style = match total_bytes {
                        Some(t) => {
                            self.bar.set_length(t);
                            ProgressStyle::with_template(
                                "validating {bar:30} {bytes}/{total_bytes} {msg}",
                            )
                        }
                        None => ProgressStyle::with_template("validating {spinner} {bytes} {msg}"),
                    };
                    if let Ok(s) = style {
                        self.bar.set_style(s);
                    }
                }
                self.bar.set_position(bytes);
                self.bar
                    .set_message(format!("{lines} lines, {:.0} lines/s", lines_per_sec));
            }
            Event::Invalid { line, reasons, .. } => {
                if let Ok(mut s) = self.shown.lock()
                    && s.len() < SHOWN
                {
                    s.push((line, reasons));
                }
            }
            Event::Validated(_) => self.bar.finish_and_clear(),
            Event::Sending {
                lines,
                chunks,
                already_done,
            } => {
                self.bar.reset();
                self.bar.set_length(lines);
                self.bar.set_position(already_done);
                if let Ok(s) = ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} lines, {per_sec}, ETA {eta} {msg}",
                ) {
                    self.bar.set_style(s);
                }
                self.bar.set_message(format!("({chunks} requests)"));
                self.bar.reset_eta();
            }
            Event::ListingStored { read, total } => self.bar.set_message(format!(
                "checking stored targets: {read} of {total}; nothing is sent before this ends"
            )),
            Event::Retry {
                chunk,
                delay,
                error,
                ..
            } => self.bar.set_message(format!(
                "chunk {}: {error}; retrying in {:.1}s",
                chunk + 1,
                delay.as_secs_f32()
            )),
            Event::ChunkDone { lines_done, .. } => {
                self.bar.set_position(lines_done);
                self.bar.set_message(String::new());
            }
            _ => {}
        }
    }

    fn shown(&self) -> Vec<BadLine> {
        self.shown.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// `FILE:LINE: field: message` for each violation.
fn print_bad_lines(name: &str, bad: &[BadLine], total_bad: u64) {
    let mut err = std::io::stderr().lock();
    for (line, reasons) in bad {
        for v in reasons {
            let _ = writeln!(err, "{name}:{line}: {v}");
        }
    }
    if total_bad > bad.len() as u64 {
        let _ = writeln!(
            err,
            "... and {} more invalid lines (--report FILE lists every line)",
            total_bad - bad.len() as u64
        );
    }
}

/// Runs pass 1, printing nothing but the bar.
fn validate(source: Source, watch: &Watch) -> Result<Plan, Failure> {
    let plan = import::scan(source, &watch.progress(), &CancelToken::new()).map_err(|e| {
        watch.bar.finish_and_clear();
        match e {
            import::ScanError::Io { .. } | import::ScanError::TooManyLines { .. } => {
                Failure::usage(e.to_string())
            }
            import::ScanError::Cancelled => Failure::quiet(exit::USAGE),
        }
    })?;
    watch.bar.finish_and_clear();
    Ok(plan)
}

/// The plan, for people.
fn describe_plan(name: &str, c: &PlanCounts, strategy: ConflictStrategy, chunks: usize) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "{name}: {} ({} blank), read at {:.0} lines/s",
        plural(c.lines, "line", "lines"),
        c.blank,
        c.lines_per_sec()
    );
    let _ = writeln!(err, "  valid: {}, invalid: {}", c.valid, c.invalid);
    if c.duplicate_targets > 0 {
        let what = match strategy {
            ConflictStrategy::Raise => "rejected (raise sends the first)",
            ConflictStrategy::Ignore => "skipped (ignore sends the first)",
            ConflictStrategy::Override => "skipped (override sends the last)",
        };
        let _ = writeln!(
            err,
            "  duplicate targets: {} on {}; {} {what}",
            c.duplicate_targets,
            plural(c.duplicate_targets + c.duplicate_lines, "line", "lines"),
            c.duplicate_lines,
        );
    }
    let _ = writeln!(
        err,
        "  to send: {} in {} (conflict_strategy={strategy})",
        plural(c.to_send(), "line", "lines"),
        plural(chunks as u64, "request", "requests"),
    );
}

/// The duplicate groups, for people (the first few).
fn print_duplicates(name: &str, plan: &Plan) {
    let mut err = std::io::stderr().lock();
    let groups: Vec<&[u32]> = plan.duplicate_groups().take(SHOWN).collect();
    for g in &groups {
        let lines: Vec<String> = g.iter().take(10).map(|l| l.to_string()).collect();
        let more = if g.len() > 10 { ", ..." } else { "" };
        let _ = writeln!(
            err,
            "{name}:{}: the same target is on lines {}{more}",
            g[0],
            lines.join(", ")
        );
    }
}

/// `arg` as a shell word: quoted when it holds anything but plain characters.
fn shell_word(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=@%+-,".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// The command that continues an interrupted import: the same input, profile and journal.
fn resume_command(g: &GlobalArgs, a: &ImportArgs) -> String {
    let mut words = vec!["pinscope".to_string(), "import".to_string(), a.file.clone()];
    let mut opt = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            words.push(name.to_string());
            words.push(v);
        }
    };
    opt(
        "--config",
        g.config.as_ref().map(|p| p.display().to_string()),
    );
    opt("--profile", g.profile.clone());
    opt("--host", g.host.clone());
    opt("--tracker-id", g.tracker_id.clone());
    opt(
        "--journal",
        a.journal.as_ref().map(|p| p.display().to_string()),
    );
    opt(
        "--report",
        a.report.as_ref().map(|p| p.display().to_string()),
    );
    words.push("--resume".into());
    words
        .iter()
        .map(|w| shell_word(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The summary on stderr, with the first lines that did not go as asked. `resume` is the
/// command that continues the import, when it can be continued.
fn print_summary(plan: &Plan, r: &ImportResult, resume: Option<&str>) {
    let s = &r.summary;
    let c = &s.counts;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "{}: {}: {} created, {} replaced, {} skipped, {} rejected, {} not sent ({:.1}s, {}, {})",
        s.input,
        plural(s.lines, "line", "lines"),
        c.created,
        c.replaced,
        c.skipped,
        c.rejected,
        c.not_sent,
        s.elapsed.as_secs_f64(),
        plural(s.requests, "request", "requests"),
        plural(s.retries, "retry", "retries"),
    );
    if s.resumed_lines > 0 {
        let _ = writeln!(
            err,
            "  {} had been settled by the earlier run",
            plural(s.resumed_lines, "line", "lines")
        );
    }
    let mut shown = 0;
    for line in r.outcomes.lines_with(LineOutcome::Rejected).take(SHOWN) {
        let reason = r.outcomes.reason(plan, line).unwrap_or_default();
        let _ = writeln!(
            err,
            "{}:{line}: rejected: {}",
            s.input,
            strip_controls(&reason)
        );
        shown += 1;
    }
    if c.rejected > SHOWN as u64 {
        let _ = writeln!(
            err,
            "... and {} more rejected lines",
            c.rejected - SHOWN as u64
        );
    }
    // Lines not sent mostly share a reason: one line per reason.
    let mut groups: Vec<(String, u64, u64)> = Vec::new();
    for line in r.outcomes.lines_with(LineOutcome::NotSent) {
        let reason = r.outcomes.reason(plan, line).unwrap_or_default();
        match groups.iter_mut().find(|g| g.0 == reason) {
            Some(g) => g.2 += 1,
            None => groups.push((reason, line, 1)),
        }
    }
    for (reason, first, count) in groups.iter().take(SHOWN) {
        shown += 1;
        if *count == 1 {
            let _ = writeln!(
                err,
                "{}:{first}: not sent: {}",
                s.input,
                strip_controls(reason)
            );
        } else {
            let _ = writeln!(
                err,
                "{}: {count} lines not sent, from line {first}: {}",
                s.input,
                strip_controls(reason)
            );
        }
    }
    if let Some(stopped) = &s.stopped {
        let _ = writeln!(err, "stopped: {}", strip_controls(stopped));
    }
    if let Some(p) = &s.report {
        let _ = writeln!(err, "report: {}", p.display());
    } else if shown > 0 {
        let _ = writeln!(err, "(--report FILE writes every line's outcome)");
    }
    if let Some(j) = &s.journal
        && !c.all_ok()
        && (s.cancelled || s.stopped.is_some())
    {
        let _ = writeln!(err, "journal: {}", j.display());
        match resume {
            Some(cmd) => {
                let _ = writeln!(err, "to continue: {cmd}");
            }
            None => {
                let _ = writeln!(err, "(run the same command with --resume to continue)");
            }
        }
    }
}

fn exit_for(r: &ImportResult) -> Outcome {
    if INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) && !r.summary.counts.all_ok() {
        Err(Failure::quiet(130))
    } else if r.summary.counts.all_ok() {
        Ok(())
    } else if r.summary.service_failed {
        Err(Failure::quiet(exit::API))
    } else {
        Err(Failure::quiet(exit::PARTIAL))
    }
}

fn import_error(e: ImportError) -> Failure {
    match e {
        ImportError::Api(e) => Failure::api(&e),
        ImportError::Input { .. } => Failure::new(exit::API, e.to_string()),
        ImportError::ReportPath(_) | ImportError::ReportExists(_) | ImportError::Locked(_) => {
            Failure::usage(e.to_string())
        }
        other => Failure::usage(other.to_string()),
    }
}

/// Asks on a terminal before writing into a production profile; refuses without --yes when
/// nobody can be asked.
fn confirm_production(profile: &str, lines: u64, yes: bool) -> Outcome {
    if yes {
        return Ok(());
    }
    if !interactive() {
        return Err(Failure::usage(format!(
            "profile {profile:?} is production: refusing to import without confirmation; \
             pass --yes"
        )));
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "profile {profile:?} is production: type the number of lines to send ({lines}) to go on: "
    );
    let _ = err.flush();
    drop(err);
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Failure::usage(format!("cannot read the answer: {e}")))?;
    if answer.trim() == lines.to_string() {
        Ok(())
    } else {
        note("nothing was sent");
        Err(Failure::quiet(exit::DECLINED))
    }
}

/// Set once SIGINT stopped the import: it then exits 130 (128 + SIGINT), as shells expect.
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Ctrl-C once: finish the requests in flight and stop; twice: quit at once (the journal
/// lets --resume continue either way). Either way the exit status is 130.
fn watch_ctrl_c(cancel: CancelToken, bar: ProgressBar) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
        cancel.cancel();
        bar.suspend(|| {
            note("cancelling: finishing the requests in flight (Ctrl-C again to quit now)")
        });
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(130);
        }
    });
}

/// Sends a validated plan and reports.
fn send(
    plan: &Plan,
    client: &Client,
    opts: &ImportOptions,
    watch: &Watch,
) -> Result<ImportResult, Failure> {
    let cancel = CancelToken::new();
    let progress = watch.progress();
    let bar = watch.bar.clone();
    let result = block_on(async {
        watch_ctrl_c(cancel.clone(), bar);
        import::run_import(plan, client, opts, &progress, &cancel).await
    })?;
    watch.bar.finish_and_clear();
    let result = result.map_err(import_error)?;
    // Every line was settled and journaled, but a report asked for and not written fails
    // the command: scripts read the report.
    match &result.report_error {
        Some(e) => Err(Failure::new(exit::API, e.clone())),
        None => Ok(result),
    }
}

/// `pinscope import FILE|-`.
pub fn import(g: &GlobalArgs, a: ImportArgs) -> Outcome {
    let stdin = a.file == "-";
    if stdin && a.resume {
        return Err(Failure::usage(
            "--resume needs a file: standard input cannot be read again",
        ));
    }
    // The report path is checked before the file is read and long before anything is sent.
    if let Some(r) = &a.report {
        import::check_report(r, a.resume || a.force).map_err(import_error)?;
    }
    let input_path =
        (!stdin).then(|| std::path::absolute(&a.file).unwrap_or(a.file.clone().into()));
    let journal_path = match (&a.journal, &input_path) {
        (Some(j), _) => Some(j.clone()),
        (None, Some(p)) => journal::default_path(p, a.report.as_deref()),
        (None, None) => None,
    };

    // Settings: the command line, or on resume the journal's.
    let mut strategy_choice = a.conflict_strategy.as_deref().map(strategy);
    let mut chunk_size = a.chunk_size.map(usize::from);
    if a.resume {
        let Some(jp) = &journal_path else {
            return Err(Failure::usage(
                "no journal location (set PINSCOPE_DATA_DIR or --journal)",
            ));
        };
        let loaded = journal::peek(jp)
            .map_err(|e| Failure::usage(e.to_string()))?
            .ok_or_else(|| {
                Failure::usage(format!(
                    "nothing to resume: no journal at {} (pass the same --report or --journal \
                     as the interrupted run)",
                    jp.display()
                ))
            })?;
        let h = &loaded.header;
        if strategy_choice.is_some_and(|s| s != h.strategy)
            || chunk_size.is_some_and(|c| c != h.chunk_size)
        {
            return Err(Failure::usage(format!(
                "the interrupted import used --conflict-strategy {} --chunk-size {}; resume \
                 with the same (or leave them out)",
                h.strategy, h.chunk_size
            )));
        }
        strategy_choice = Some(h.strategy);
        chunk_size = Some(h.chunk_size);
    }
    let strategy = strategy_choice.unwrap_or_default();
    let chunk_size = chunk_size.unwrap_or(import::MAX_CHUNK_LINES);

    let source = match &input_path {
        Some(p) => Source::Path(p.clone()),
        None => Source::stdin(),
    };
    let watch = Watch::new();
    let mut plan = validate(source, &watch)?;
    let name = super::body::source_name(&a.file);
    plan.set_input_name(&name);
    let c = plan.counts();
    let chunks = plan.chunk_count(strategy, chunk_size);
    print_bad_lines(&name, &watch.shown(), c.invalid);
    if c.looks_like_json_array && c.invalid > 0 {
        note(&format!("hint: {}", import::ndjson_hint(&name)));
    }
    if c.non_blank() == 0 {
        return Err(Failure::invalid(format!("{name} holds no customization")));
    }
    let blocking = c.rejected_locally(strategy);

    if a.dry_run {
        describe_plan(&name, &c, strategy, chunks);
        print_duplicates(&name, &plan);
        if let Some(r) = &a.report {
            import::report_unsent(&plan, strategy, "dry run: not sent", r)
                .map_err(|e| Failure::new(exit::API, e))?;
            note(&format!("report: {}", r.display()));
        }
        if blocking > 0 {
            return Err(Failure::invalid(format!(
                "{} would be rejected; nothing was sent (dry run)",
                plural(blocking, "line", "lines")
            )));
        }
        note("dry run: nothing was sent");
        return Ok(());
    }

    if blocking > 0 && !a.skip_invalid && !a.resume {
        if c.duplicate_lines > 0 && strategy == ConflictStrategy::Raise {
            print_duplicates(&name, &plan);
        }
        if let Some(r) = &a.report {
            import::report_unsent(&plan, strategy, "not sent: the file has invalid lines", r)
                .map_err(|e| Failure::new(exit::API, e))?;
        }
        let dups = if strategy == ConflictStrategy::Raise && c.duplicate_lines > 0 {
            format!(
                " ({} invalid, {} repeating an earlier line's target under raise)",
                c.invalid, c.duplicate_lines
            )
        } else {
            String::new()
        };
        return Err(Failure::invalid(format!(
            "{} of {} would be rejected{dups}; nothing was sent. Fix them, or pass \
             --skip-invalid to send the {} others",
            plural(blocking, "line", "lines"),
            c.non_blank(),
            c.to_send()
        )));
    }

    let target = Target::open(g)?;
    target.refuse_writes("import")?;
    let mut conn = target.connect()?;
    if conn.session.production && !a.resume {
        confirm_production(&conn.session.profile_name, c.to_send(), a.yes)?;
    }
    conn.restart_clock(target.bulk_time_limit());
    let opts = ImportOptions {
        strategy,
        chunk_size,
        concurrency: usize::from(a.jobs),
        journal: journal_path,
        resume: a.resume,
        report: a.report.clone(),
        overwrite_report: a.force,
        history: target.import_history(&format!(
            "import {} ({})",
            super::body::source_name(&a.file),
            strategy.as_str()
        )),
        ..ImportOptions::default()
    };
    let r = send(&plan, &conn.client, &opts, &watch);
    // A bulk answer names no ids: the mirror cannot follow row by row, so the next read
    // syncs it.
    record_write(&Scope::of_client(&conn.client), |m| m.mark_stale());
    let r = r?;
    print_summary(&plan, &r, Some(&resume_command(g, &a)));
    exit_for(&r)
}

/// `pinscope copy --from A --to B`.
pub fn copy(g: &GlobalArgs, a: CopyArgs) -> Outcome {
    let config = g.load_config()?;
    let from = Target::open_profile(g, &config, &a.from)?;
    let to = Target::open_profile(g, &config, &a.to)?;
    let same = |t: &Target| {
        (
            t.selected.profile.host.trim_end_matches('/').to_string(),
            t.selected.profile.tracker_id.clone(),
        )
    };
    if same(&from) == same(&to) {
        return Err(Failure::usage(format!(
            "--from {} and --to {} are the same tracker",
            a.from, a.to
        )));
    }
    if !a.dry_run {
        to.refuse_writes("copy into it")?;
    }
    if let Some(r) = &a.report {
        import::check_report(r, a.force).map_err(import_error)?;
    }
    let mut src = from.connect()?;
    src.restart_clock(from.bulk_time_limit());
    let mut dst = to.connect()?;
    let strategy = strategy(&a.conflict_strategy);
    // The export, without server-set fields, as the file the import reads: written row by
    // row as it arrives, so memory holds one row, not the tracker. One request per
    // combination of filter values; a customization two of them select is written once.
    let mut tmp = tempfile::NamedTempFile::new()
        .map_err(|e| Failure::new(exit::API, format!("cannot create a temporary file: {e}")))?;
    let exported = {
        let write_failed =
            |e: std::io::Error| Failure::new(exit::API, format!("cannot write the export: {e}"));
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        let n = block_on(async {
            let mut seen = std::collections::HashSet::new();
            let mut n = 0u64;
            for q in a.filter.queries() {
                let mut rows = src
                    .client
                    .export_rows(&q)
                    .await
                    .map_err(|e| Failure::api(&e))?;
                while let Some(c) = rows.next().await.map_err(|e| Failure::api(&e))? {
                    if let Some(id) = c.id()
                        && !seen.insert(id.to_string())
                    {
                        continue;
                    }
                    serde_json::to_writer(&mut w, &c.without_server_fields())
                        .map_err(|e| write_failed(e.into()))?;
                    w.write_all(b"\n").map_err(write_failed)?;
                    n += 1;
                }
            }
            Ok::<u64, Failure>(n)
        })??;
        w.flush().map_err(write_failed)?;
        n
    };
    note(&format!(
        "exported {} from {}",
        plural(exported, "customization", "customizations"),
        a.from
    ));
    let name = format!("export of {}", a.from);
    let watch = Watch::new();
    let mut plan = validate(Source::Path(tmp.path().to_path_buf()), &watch)?;
    plan.set_input_name(&name);
    let c = plan.counts();
    print_bad_lines(&name, &watch.shown(), c.invalid);
    let chunk_size = usize::from(a.chunk_size);
    if a.dry_run {
        let p = block_on(import::preview(&plan, &dst.client, strategy, chunk_size))?
            .map_err(import_error)?;
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "copy {} -> {} (conflict_strategy={strategy}): {} to send in {}; {} already stored in {}",
            a.from,
            a.to,
            plural(p.to_send, "customization", "customizations"),
            plural(p.chunks as u64, "request", "requests"),
            p.stored_targets,
            a.to
        );
        let _ = writeln!(
            err,
            "  would be: {} created, {} replaced, {} skipped, {} rejected",
            p.counts.created, p.counts.replaced, p.counts.skipped, p.counts.rejected
        );
        let _ = writeln!(err, "dry run: nothing was written");
        return Ok(());
    }
    if dst.session.production {
        confirm_production(&dst.session.profile_name, c.to_send(), a.yes)?;
    }
    dst.restart_clock(to.bulk_time_limit());
    let opts = ImportOptions {
        strategy,
        chunk_size,
        concurrency: usize::from(a.jobs),
        journal: None,
        resume: false,
        report: a.report.clone(),
        overwrite_report: a.force,
        history: to.import_history(&format!("copy from {} ({})", a.from, strategy.as_str())),
        ..ImportOptions::default()
    };
    let r = send(&plan, &dst.client, &opts, &watch);
    record_write(&Scope::of_client(&dst.client), |m| m.mark_stale());
    let r = r?;
    print_summary(&plan, &r, None);
    if !r.summary.counts.all_ok() {
        warn(
            "a copy has no journal: run it again with --conflict-strategy ignore to send what is missing",
        );
    }
    exit_for(&r)
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn import_flags_parse() {
        let cli = Cli::try_parse_from([
            "pinscope",
            "import",
            "f.ndjson",
            "--conflict-strategy",
            "override",
            "--chunk-size",
            "100",
            "--report",
            "r.ndjson",
        ])
        .expect("parse");
        let Some(Command::Import(a)) = cli.command else {
            panic!("not import");
        };
        assert_eq!(a.conflict_strategy.as_deref(), Some("override"));
        assert_eq!(a.chunk_size, Some(100));
        assert_eq!(a.jobs, 2);
        for bad in [
            vec!["pinscope", "import", "f", "--chunk-size", "5001"],
            vec!["pinscope", "import", "f", "--chunk-size", "0"],
            vec!["pinscope", "import", "f", "--conflict-strategy", "merge"],
            vec!["pinscope", "import", "f", "--dry-run", "--resume"],
        ] {
            assert!(Cli::try_parse_from(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn copy_flags_parse() {
        let cli = Cli::try_parse_from([
            "pinscope",
            "copy",
            "--from",
            "a",
            "--to",
            "b",
            "--model",
            "basket",
            "--dry-run",
        ])
        .expect("parse");
        let Some(Command::Copy(a)) = cli.command else {
            panic!("not copy");
        };
        assert_eq!((a.from.as_str(), a.to.as_str()), ("a", "b"));
        assert_eq!(a.filter.models, vec!["basket".to_string()]);
        assert_eq!(a.conflict_strategy, "raise");
        assert!(Cli::try_parse_from(["pinscope", "copy", "--from", "a"]).is_err());
    }
}
