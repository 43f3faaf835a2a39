//! `pinscope batch`, `pinscope history` and `pinscope undo`.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::json;

use super::output::Ndjson;
use super::{Failure, GlobalArgs, Outcome, Target, block_on, body, exit, interactive, note};
use crate::api::{Client, Customization, ListQuery};
use crate::batch::{
    self, Action, ApplyOptions, Cancel, ChangeSpec, Op, PinMatcher, PinOp, Plan, PlanItem,
    Recorder, Report,
};
use crate::mirror::history::OpKind;
use crate::when;

const TARGET_TYPES: [&str; 3] = ["item", "criteria", "all"];

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Select customizations of this model (repeat for any of several)
    #[arg(long = "model", value_name = "M", help_heading = "Selection")]
    pub models: Vec<String>,
    /// Select customizations with this tag (repeat for any of several)
    #[arg(long = "tag", value_name = "T", help_heading = "Selection")]
    pub tags: Vec<String>,
    /// Select this target type (repeat for any of several)
    #[arg(long = "target-type", value_name = "T", value_parser = TARGET_TYPES, help_heading = "Selection")]
    pub target_types: Vec<String>,
    /// Select customizations matching this text: the mirror's full-text search when the
    /// mirror holds the tracker, else those whose JSON contains it (any case)
    #[arg(long, value_name = "Q", help_heading = "Selection")]
    pub search: Option<String>,
    /// Select these ids: a file (or `-` for stdin) with one id a line, or NDJSON lines
    /// with an `id` (as `pinscope list` prints); blank lines and `#` comments are skipped
    #[arg(long, value_name = "FILE|-", help_heading = "Selection")]
    pub ids: Option<String>,

    /// Add a tag (repeatable)
    #[arg(long = "add-tag", value_name = "T", help_heading = "Operations")]
    pub add_tags: Vec<String>,
    /// Remove a tag (repeatable)
    #[arg(long = "remove-tag", value_name = "T", help_heading = "Operations")]
    pub remove_tags: Vec<String>,
    /// Set the pins' active_from (2025-02-01, 2025-02-01 14:00, RFC 3339, now, tomorrow,
    /// +7d..., in your time zone)
    #[arg(long, value_name = "WHEN", help_heading = "Operations")]
    pub set_active_from: Option<String>,
    /// Set the pins' active_to
    #[arg(long, value_name = "WHEN", help_heading = "Operations")]
    pub set_active_to: Option<String>,
    /// Move the pins' active_from by a duration (+7d, -2h, +30m, +1w); pins without one
    /// keep none
    #[arg(
        long,
        value_name = "DURATION",
        allow_hyphen_values = true,
        help_heading = "Operations"
    )]
    pub shift_from: Option<String>,
    /// Move the pins' active_to by a duration
    #[arg(
        long,
        value_name = "DURATION",
        allow_hyphen_values = true,
        help_heading = "Operations"
    )]
    pub shift_to: Option<String>,
    /// End the pins now (active_to = now)
    #[arg(long, help_heading = "Operations")]
    pub end_now: bool,
    /// Start the pins now (active_from = now)
    #[arg(long, help_heading = "Operations")]
    pub start_now: bool,
    /// Remove the pins whose window has ended
    #[arg(long, help_heading = "Operations")]
    pub remove_expired_pins: bool,
    /// Set the pins' widget_id
    #[arg(long, value_name = "W", help_heading = "Operations")]
    pub set_widget: Option<String>,
    /// Remove the pins' widget_id
    #[arg(long, help_heading = "Operations")]
    pub clear_widget: bool,
    /// Delete the selected customizations (alone: no other operation)
    #[arg(long, help_heading = "Operations")]
    pub delete: bool,

    /// Pin operations touch only item pins of this item id
    #[arg(long, value_name = "ID", help_heading = "Pins")]
    pub pin_item: Option<String>,
    /// Pin operations touch only pins of this widget
    #[arg(long, value_name = "W", help_heading = "Pins")]
    pub pin_widget: Option<String>,
    /// Pin operations touch only pins at this position (-1 global, 0 block, 1.. a slot)
    #[arg(
        long,
        value_name = "N",
        allow_hyphen_values = true,
        help_heading = "Pins"
    )]
    pub pin_position: Option<i64>,

    /// Print the plan as NDJSON (one line per customization: its id and changes), send
    /// nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Write the report (one outcome per customization, NDJSON) to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Customizations worked on at once
    #[arg(long, value_name = "N", default_value_t = batch::DEFAULT_CONCURRENCY, value_parser = parse_concurrency)]
    pub concurrency: usize,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// At most N operations
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
}

#[derive(Debug, Args)]
pub struct UndoArgs {
    /// The operation's id (from `pinscope history`)
    #[arg(
        value_name = "OP_ID",
        required_unless_present = "last",
        conflicts_with = "last"
    )]
    pub op: Option<i64>,
    /// Undo the newest operation
    #[arg(long)]
    pub last: bool,
    /// Print the undo plan as NDJSON, send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Undo also what changed on the service since the operation (overwritten; without
    /// this it is skipped as changed_on_server)
    #[arg(long)]
    pub force: bool,
}

fn parse_concurrency(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=64).contains(&n) => Ok(n),
        _ => Err("must be a whole number from 1 to 64".into()),
    }
}

/// The operations the flags ask for, in a fixed order.
fn spec_of(a: &BatchArgs, now: Timestamp, tz: TimeZone) -> Result<ChangeSpec, Failure> {
    let date = |flag: &str, v: &str| {
        when::parse_input(v, now, &tz).map_err(|e| Failure::usage(format!("--{flag}: {e}")))
    };
    let offset = |flag: &str, v: &str| {
        when::parse_offset(v).map_err(|e| Failure::usage(format!("--{flag}: {e}")))
    };
    let mut ops = Vec::new();
    ops.extend(a.add_tags.iter().cloned().map(Op::AddTag));
    ops.extend(a.remove_tags.iter().cloned().map(Op::RemoveTag));
    if a.remove_expired_pins {
        ops.push(Op::RemoveExpiredPins);
    }
    if let Some(v) = &a.set_active_from {
        ops.push(Op::Pin(PinOp::SetFrom(date("set-active-from", v)?)));
    }
    if let Some(v) = &a.set_active_to {
        ops.push(Op::Pin(PinOp::SetTo(date("set-active-to", v)?)));
    }
    if let Some(v) = &a.shift_from {
        ops.push(Op::Pin(PinOp::ShiftFrom(offset("shift-from", v)?)));
    }
    if let Some(v) = &a.shift_to {
        ops.push(Op::Pin(PinOp::ShiftTo(offset("shift-to", v)?)));
    }
    if a.start_now {
        ops.push(Op::Pin(PinOp::StartNow));
    }
    if a.end_now {
        ops.push(Op::Pin(PinOp::EndNow));
    }
    if let Some(w) = &a.set_widget {
        ops.push(Op::Pin(PinOp::SetWidget(w.clone())));
    }
    if a.clear_widget {
        ops.push(Op::Pin(PinOp::ClearWidget));
    }
    if a.delete {
        ops.push(Op::Delete);
    }
    let spec = ChangeSpec {
        ops,
        pins: PinMatcher {
            item: a.pin_item.clone(),
            widget: a.pin_widget.clone(),
            position: a.pin_position,
        },
        now,
        tz,
    };
    spec.check().map_err(|e| match e {
        batch::SpecError::Empty => Failure::usage(
            "no operation given: use --add-tag, --remove-tag, --set-active-from, --set-active-to, \
             --shift-from, --shift-to, --end-now, --start-now, --remove-expired-pins, \
             --set-widget, --clear-widget or --delete",
        ),
        other => Failure::usage(other.to_string()),
    })?;
    Ok(spec)
}

/// Reads the ids of `--ids`: one a line, or NDJSON objects with an `id`.
fn read_ids(path: &str) -> Result<Vec<String>, Failure> {
    let name = body::source_name(path);
    let text = body::read_text(path)?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let id = if t.starts_with('{') {
            let v: serde_json::Value = serde_json::from_str(t)
                .map_err(|e| Failure::invalid(format!("{name}:{}: not JSON: {e}", i + 1)))?;
            match v.get("id").and_then(serde_json::Value::as_str) {
                Some(id) => id.to_string(),
                None => {
                    return Err(Failure::invalid(format!(
                        "{name}:{}: id: Missing required field: id",
                        i + 1
                    )));
                }
            }
        } else {
            t.to_string()
        };
        if id.chars().any(char::is_whitespace) {
            return Err(Failure::invalid(format!(
                "{name}:{}: not an id: {id:?}",
                i + 1
            )));
        }
        out.push(id);
    }
    Ok(out)
}

/// Whether a customization passes the selection's filters (checked locally for ids read
/// from a file, and for `--search`).
fn selected(c: &Customization, a: &BatchArgs, search: Option<&str>) -> bool {
    if !a.models.is_empty() && !c.model().is_some_and(|m| a.models.iter().any(|x| x == m)) {
        return false;
    }
    if !a.tags.is_empty() && !c.tags().any(|t| a.tags.iter().any(|x| x == t)) {
        return false;
    }
    if !a.target_types.is_empty()
        && !c
            .target_type()
            .is_some_and(|t| a.target_types.iter().any(|x| x == t.as_str()))
    {
        return false;
    }
    if let Some(q) = search {
        let text = serde_json::to_string(c).unwrap_or_default().to_lowercase();
        if !text.contains(q) {
            return false;
        }
    }
    true
}

/// The selection from the mirror, when it holds this tracker (`None` when it was never
/// synced). Ids from `--ids` are not looked up here: they are fetched from the service.
fn select_from_mirror(
    target: &Target,
    a: &BatchArgs,
) -> Result<Option<Vec<Customization>>, Failure> {
    use crate::mirror::{Mirror, Scope, default_path};
    let Some(path) = default_path() else {
        return Ok(None);
    };
    if !path.exists() {
        return Ok(None);
    }
    let p = &target.selected.profile;
    let db = |e: crate::mirror::MirrorError| Failure::new(exit::API, e.to_string());
    let m = Mirror::open(&path, &Scope::new(&p.host, &p.tracker_id)).map_err(db)?;
    let Some(synced) = m.synced_at().map_err(db)? else {
        return Ok(None);
    };
    let mut rows = Vec::new();
    match &a.search {
        Some(q) => {
            for s in m.search(q, usize::MAX >> 1).map_err(db)? {
                rows.extend(s.customization());
            }
        }
        None => m
            .for_each_customization(|s| {
                rows.extend(s.customization());
                Ok::<(), crate::mirror::MirrorError>(())
            })
            .map_err(db)?,
    }
    note(&format!(
        "selected from the mirror synced at {synced}; each customization is checked against \
         the service before it is written"
    ));
    Ok(Some(
        rows.into_iter().filter(|c| selected(c, a, None)).collect(),
    ))
}

/// The selected customizations as the service holds them now.
async fn select(
    client: &Client,
    a: &BatchArgs,
    ids: Option<Vec<String>>,
) -> Result<Vec<Customization>, Failure> {
    let search = a.search.as_ref().map(|s| s.to_lowercase());
    let rows = match ids {
        Some(ids) => {
            let mut seen = HashSet::new();
            let ids: Vec<String> = ids.into_iter().filter(|i| seen.insert(i.clone())).collect();
            let fetched: Vec<Result<Customization, Failure>> = futures::stream::iter(ids)
                .map(|id| async move {
                    client.get(&id).await.map_err(|e| {
                        let mut f = Failure::api(&e);
                        f.message = format!("{id}: {}", f.message);
                        f
                    })
                })
                .buffered(a.concurrency.max(1))
                .collect()
                .await;
            fetched.into_iter().collect::<Result<Vec<_>, _>>()?
        }
        None => client
            .list_all(&ListQuery {
                models: a.models.clone(),
                tags: a.tags.clone(),
                target_types: a.target_types.clone(),
                ..ListQuery::default()
            })
            .await
            .map_err(|e| Failure::api(&e))?,
    };
    Ok(rows
        .into_iter()
        .filter(|c| selected(c, a, search.as_deref()))
        .collect())
}

/// Asks before writing `count` customizations: on a production profile the count is typed.
fn confirm_writes(target: &Target, what: &str, count: usize, yes: bool) -> Outcome {
    if yes {
        return Ok(());
    }
    if !interactive() {
        return Err(Failure::usage(format!(
            "refusing to {what} without confirmation: not a terminal; pass --yes"
        )));
    }
    let p = &target.selected.profile;
    let prompt = if p.production {
        format!(
            "profile {:?} is production: type the number of customizations to {what} ({count}) to go on: ",
            p.name
        )
    } else {
        format!(
            "{what} {count} customization{} on {:?}? [y/N] ",
            if count == 1 { "" } else { "s" },
            p.name
        )
    };
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{prompt}");
    let _ = err.flush();
    drop(err);
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Failure::usage(format!("cannot read the answer: {e}")))?;
    let answer = answer.trim().to_ascii_lowercase();
    let ok = if p.production {
        answer == count.to_string()
    } else {
        matches!(answer.as_str(), "y" | "yes")
    };
    if ok {
        Ok(())
    } else {
        note("nothing was sent");
        Err(Failure::quiet(exit::USAGE))
    }
}

/// Applies plan items with a progress bar on a terminal and Ctrl-C to cancel.
fn apply_items(
    target: &Target,
    client: &Client,
    items: &[PlanItem],
    kind: OpKind,
    summary: String,
    concurrency: usize,
    overwrite: bool,
) -> Result<Report, Failure> {
    let history = target.history_for_writes();
    let bar = if std::io::stderr().is_terminal() {
        let b =
            ProgressBar::with_draw_target(Some(items.len() as u64), ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} eta {eta} {msg}")
        {
            b.set_style(style);
        }
        b
    } else {
        ProgressBar::hidden()
    };
    let cancel = Cancel::new();
    let progress = {
        let bar = bar.clone();
        move |t: batch::Tick| {
            bar.set_position(t.done as u64);
            if t.failed > 0 {
                bar.set_message(format!("{} not as asked", t.failed));
            }
        }
    };
    let report = block_on(async {
        let c = cancel.clone();
        let b = bar.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                c.cancel();
                b.suspend(|| note("cancelling: finishing the requests in flight"));
            }
        });
        batch::apply::run(
            client,
            items,
            ApplyOptions {
                concurrency,
                recorder: history.as_ref().map(|h| Recorder {
                    history: h,
                    origin: target.origin(),
                    kind,
                    summary,
                    at: Timestamp::now(),
                }),
                progress: Some(&progress),
                cancel: cancel.clone(),
                overwrite,
            },
        )
        .await
    })?;
    bar.finish_and_clear();
    for w in &report.warnings {
        super::warn(w);
    }
    Ok(report)
}

/// Writes the report and turns it into the exit code.
fn finish_report(report: &Report, path: Option<&std::path::Path>) -> Outcome {
    let mut out = match path {
        Some(p) => Ndjson::file(p)?,
        None => Ndjson::stdout(),
    };
    for it in &report.items {
        out.write(&it.to_json())?;
    }
    out.finish()?;
    let mut line = report.sentence();
    if let Some(op) = report.op_id {
        line.push_str(&format!(
            "; recorded as operation {op} (`pinscope undo {op}` reverses it)"
        ));
    }
    note(&line);
    if let Some(p) = path {
        note(&format!("report: {}", p.display()));
    }
    if report.all_ok() {
        Ok(())
    } else {
        Err(Failure::quiet(exit::PARTIAL))
    }
}

/// `pinscope batch ...`.
pub fn batch(g: &GlobalArgs, a: BatchArgs) -> Outcome {
    let target = Target::open(g)?;
    if !a.dry_run {
        target.refuse_writes("change customizations")?;
    }
    let spec = spec_of(&a, Timestamp::now(), TimeZone::system())?;
    let ids = a.ids.as_deref().map(read_ids).transpose()?;
    let conn = target.connect()?;
    let mirrored = match &ids {
        None => select_from_mirror(&target, &a)?,
        Some(_) => None,
    };
    let rows = match mirrored {
        Some(rows) => rows,
        None => block_on(select(&conn.client, &a, ids))??,
    };
    let plan = Plan::make(spec, rows).map_err(|e| Failure::new(exit::API, e.to_string()))?;
    let totals = plan.totals();
    if a.dry_run {
        let mut out = Ndjson::stdout();
        for it in &plan.items {
            out.write(&it.to_json())?;
        }
        out.finish()?;
        note(&format!("plan: {}; nothing was sent", totals.sentence()));
        return Ok(());
    }
    note(&format!("plan: {}", totals.sentence()));
    for it in &plan.items {
        if let Action::Invalid { reason, .. } = &it.action {
            note(&format!("  {} invalid, not sent: {reason}", it.id));
        }
    }
    if totals.writes() > 0 {
        let what = if plan.spec.is_delete() {
            "delete"
        } else {
            "update"
        };
        confirm_writes(&target, what, totals.writes(), a.yes)?;
    }
    let report = apply_items(
        &target,
        &conn.client,
        &plan.items,
        OpKind::Batch,
        plan.spec.describe(),
        a.concurrency,
        false,
    )?;
    finish_report(&report, a.report.as_deref())
}

/// `pinscope history [--limit N]`.
pub fn history(g: &GlobalArgs, a: HistoryArgs) -> Outcome {
    let target = Target::open(g)?;
    let h = target.open_history()?;
    let ops = h
        .list(a.limit)
        .map_err(|e| Failure::new(exit::API, e.to_string()))?;
    let mut out = Ndjson::stdout();
    for o in &ops {
        out.write(&json!({
            "id": o.id,
            "at": o.at,
            "kind": o.kind.as_str(),
            "count": o.count,
            "summary": o.summary,
            "profile": o.profile,
            "host": o.host,
            "tracker": o.tracker,
        }))?;
    }
    out.finish()?;
    Ok(())
}

/// `pinscope undo OP_ID|--last [--dry-run] [--yes] [--force]`.
pub fn undo(g: &GlobalArgs, a: UndoArgs) -> Outcome {
    let target = Target::open(g)?;
    if !a.dry_run {
        target.refuse_writes("undo")?;
    }
    let h = target.open_history()?;
    let db = |e: crate::mirror::history::HistoryError| Failure::usage(e.to_string());
    let op = match (a.op, a.last) {
        (Some(id), _) => h.op(id).map_err(db)?,
        (None, _) => h
            .last()
            .map_err(db)?
            .ok_or_else(|| Failure::usage("the history is empty: nothing to undo"))?,
    };
    let here = target.origin();
    if op.host != here.host || op.tracker != here.tracker {
        return Err(Failure::usage(format!(
            "operation {} was made on tracker {} at {}, not on this profile's tracker {} at {}",
            op.id, op.tracker, op.host, here.tracker, here.host
        )));
    }
    let items = h.items(op.id).map_err(db)?;
    let plan = batch::undo::plan(items);
    let conn = target.connect()?;
    let conflicts = block_on(batch::apply::preflight(
        &conn.client,
        &plan,
        batch::DEFAULT_CONCURRENCY,
    ))?;
    let summary = format!("undo of {} ({} {})", op.id, op.kind.as_str(), op.summary);
    if a.dry_run {
        let mut out = Ndjson::stdout();
        for (it, conflict) in plan.iter().zip(&conflicts) {
            let mut v = it.to_json();
            if let Some(m) = v.as_object_mut() {
                match conflict {
                    Some(r) => {
                        m.insert("current".into(), json!("changed_on_server"));
                        m.insert("reason".into(), json!(r));
                    }
                    None => {
                        m.insert("current".into(), json!("as_recorded"));
                    }
                }
                if matches!(it.action, Action::Create(_)) {
                    m.insert("note".into(), json!("created again with a new id"));
                }
            }
            out.write(&v)?;
        }
        out.finish()?;
        note(&format!(
            "{summary}: {} customizations; nothing was sent",
            plan.len()
        ));
        return Ok(());
    }
    let changed = conflicts.iter().filter(|c| c.is_some()).count();
    let skipped = if a.force { 0 } else { changed };
    let writes = plan
        .iter()
        .filter(|i| i.action.is_write())
        .count()
        .saturating_sub(skipped);
    if a.force {
        note(&format!(
            "{summary}: {} customizations, {changed} changed on the service since (overwritten: --force)",
            plan.len()
        ));
    } else {
        note(&format!(
            "{summary}: {} customizations, {changed} changed on the service since (skipped; \
             --force overwrites them)",
            plan.len()
        ));
    }
    if plan.iter().any(|i| matches!(i.action, Action::Create(_))) {
        note("deleted customizations are created again with new ids");
    }
    if writes > 0 {
        confirm_writes(&target, "undo", writes, a.yes)?;
    }
    let report = apply_items(
        &target,
        &conn.client,
        &plan,
        OpKind::Undo,
        summary,
        batch::DEFAULT_CONCURRENCY,
        a.force,
    )?;
    finish_report(&report, None)
}
