//! `sync`, `search`, `where`, and the short ids of `get`, `update` and `delete`: the
//! commands that read the local mirror ([`crate::mirror`]).
//!
//! A command that reads the mirror takes `--sync` to refresh it first; without it, a
//! mirror that was never synced is synced now, and one older than `mirror.max_age` is used
//! with a note on stderr saying how old it is. Mirror problems (a damaged or locked file, a
//! newer schema) are exit 2 with the file named and the way out.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jiff::Timestamp;
use serde_json::{Map, Value};

use super::output::Ndjson;
use super::{Connection, Failure, GlobalArgs, Outcome, Target, block_on, exit, note, warn};
use crate::api::time::format_utc;
use crate::mirror::{self, Mirror, MirrorError, Scope, ShortId, SyncStats};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Start the mirror afresh: the old file is moved aside (not deleted), then a full sync
    #[arg(long)]
    pub rebuild: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words to find (each a prefix) in target identities and criteria, titles and other
    /// metadata, tags, pins, widget ids and ids; a word joined by `-` or `_` (w-home-top) is
    /// found whole or by its parts (home)
    #[arg(required = true, value_name = "QUERY")]
    pub query: Vec<String>,
    /// At most this many customizations
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,
    /// Sync the mirror first
    #[arg(long)]
    pub sync: bool,
}

#[derive(Debug, Args)]
pub struct WhereArgs {
    /// The item (pin_identity) to look for, e.g. /p/555
    pub item_id: String,
    /// Sync the mirror first
    #[arg(long)]
    pub sync: bool,
}

impl From<MirrorError> for Failure {
    fn from(e: MirrorError) -> Failure {
        match e {
            MirrorError::Api(e) => Failure::api(&e),
            MirrorError::Export(_) => Failure::new(exit::API, e.to_string()),
            other => Failure::usage(other.to_string()),
        }
    }
}

/// The mirror's file.
pub fn mirror_path() -> Result<PathBuf, Failure> {
    mirror::default_path().ok_or_else(|| {
        Failure::usage(format!(
            "no data dir for the mirror on this platform; set {}",
            crate::config::DATA_DIR_ENV
        ))
    })
}

/// Syncs `m` from the service, with progress on stderr when it is a terminal.
pub fn sync_into(conn: &Connection, m: Mirror) -> Result<(Mirror, SyncStats), Failure> {
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) = ProgressStyle::with_template("syncing {spinner} {msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    let started = Instant::now();
    let shown = bar.clone();
    let client = conn.bulk_client();
    let (m, result) = block_on(mirror::sync::sync_from_client(m, &client, move |n| {
        let secs = started.elapsed().as_secs_f64().max(0.001);
        shown.set_message(format!("{n} customizations ({:.0}/s)", n as f64 / secs));
    }))?;
    bar.finish_and_clear();
    let stats = result?;
    let m = match m {
        Some(m) => m,
        None => Mirror::open(&mirror_path()?, &Scope::of_client(&conn.client))?,
    };
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(
        customizations = stats.customizations,
        pins = stats.pins,
        secs,
        "mirror synced"
    );
    Ok((m, stats))
}

/// `pinscope sync [--rebuild]`.
pub fn sync(g: &GlobalArgs, a: SyncArgs) -> Outcome {
    let target = Target::open(g)?;
    let conn = target.connect()?;
    let path = mirror_path()?;
    let scope = Scope::of_client(&conn.client);
    let m = if a.rebuild {
        let (m, moved) = Mirror::rebuild(&path, &scope)?;
        if let Some(old) = moved {
            note(&format!("the old mirror was moved to {}", old.display()));
        }
        m
    } else {
        Mirror::open(&path, &scope)?
    };
    let started = Instant::now();
    let (_, stats) = sync_into(&conn, m)?;
    note(&format!(
        "synced {} customizations and {} pins of {} in {:.1}s into {}",
        stats.customizations,
        stats.pins,
        scope.tracker,
        started.elapsed().as_secs_f64(),
        path.display()
    ));
    Ok(())
}

/// Opens the mirror for a command that reads it: syncs first with `--sync` or when it was
/// never synced, else notes its age when older than `mirror.max_age`.
pub fn open_for_reading(
    target: &Target,
    conn: &Connection,
    sync_first: bool,
) -> Result<Mirror, Failure> {
    let path = mirror_path()?;
    let scope = Scope::of_client(&conn.client);
    let m = Mirror::open(&path, &scope)?;
    let now = Timestamp::now();
    match m.age_at(now)? {
        None => {
            note(&format!(
                "the mirror of tracker {} was never synced, or an import changed the tracker: \
                 syncing now",
                scope.tracker
            ));
            Ok(sync_into(conn, m)?.0)
        }
        Some(_) if sync_first => Ok(sync_into(conn, m)?.0),
        Some(age) => {
            let max = target.config.mirror.max_age;
            if age > max {
                note(&format!(
                    "note: the mirror of tracker {} was synced {} ago (mirror.max_age is {}); \
                     pass --sync to refresh it first",
                    scope.tracker,
                    mirror::age_words(age),
                    mirror::age_words(max)
                ));
            }
            Ok(m)
        }
    }
}

/// `pinscope search QUERY [--limit N]`: matching customizations from the mirror as NDJSON,
/// best first.
pub fn search(g: &GlobalArgs, a: SearchArgs) -> Outcome {
    let target = Target::open(g)?;
    let query = a.query.join(" ");
    if mirror::fts_query(&query).is_none() {
        return Err(Failure::usage(format!(
            "nothing to search for in {query:?}: give a word with letters or digits"
        )));
    }
    let conn = target.connect()?;
    let m = open_for_reading(&target, &conn, a.sync)?;
    let hits = m.search(&query, a.limit as usize)?;
    let mut out = Ndjson::stdout();
    for h in &hits {
        match serde_json::from_str::<Value>(&h.json) {
            Ok(v) => out.write(&v)?,
            Err(e) => warn(&format!("{}: stored JSON unreadable ({e})", h.id)),
        }
    }
    let n = out.finish()?;
    if std::io::stderr().is_terminal() {
        note(&format!("{n} found"));
    }
    Ok(())
}

/// One line of `pinscope where`.
pub fn where_line(p: &mirror::StoredPin, now: Timestamp) -> Map<String, Value> {
    let s = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    let t = |v: Option<i64>| {
        v.and_then(|s| Timestamp::from_second(s).ok())
            .map_or(Value::Null, |t| Value::String(format_utc(t)))
    };
    let mut m = Map::new();
    m.insert("id".into(), Value::String(p.id.clone()));
    m.insert("model".into(), s(&p.model));
    m.insert("target_type".into(), s(&p.target_type));
    match (&p.target_identity, &p.target_criteria) {
        (Some(i), _) => {
            m.insert("target_identity".into(), Value::String(i.clone()));
        }
        (None, Some(c)) => {
            let v = serde_json::from_str(c).unwrap_or_else(|_| Value::String(c.clone()));
            m.insert("target_criteria".into(), v);
        }
        (None, None) => {}
    }
    m.insert(
        "position".into(),
        p.position.map_or(Value::Null, Value::from),
    );
    m.insert("widget_id".into(), s(&p.widget_id));
    m.insert("active_from".into(), t(p.active_from));
    m.insert("active_to".into(), t(p.active_to));
    m.insert(
        "state".into(),
        Value::String(p.state_at(now).as_str().into()),
    );
    m
}

/// `pinscope where ITEM_ID`: every pin of the item across the tracker, NDJSON.
pub fn where_cmd(g: &GlobalArgs, a: WhereArgs) -> Outcome {
    let target = Target::open(g)?;
    let conn = target.connect()?;
    let m = open_for_reading(&target, &conn, a.sync)?;
    let pins = m.where_pinned(&a.item_id)?;
    let now = Timestamp::now();
    let mut out = Ndjson::stdout();
    for p in &pins {
        out.write(&where_line(p, now))?;
    }
    let n = out.finish()?;
    if std::io::stderr().is_terminal() {
        note(&format!(
            "{n} pin{} of {}",
            if n == 1 { "" } else { "s" },
            a.item_id
        ));
    }
    Ok(())
}

/// Whether `s` is a full customization id (a UUID).
pub fn is_full_id(s: &str) -> bool {
    crate::api::ids::customization_id(s).is_ok()
}

/// The full id for what the user typed: a UUID as it is, else a unique prefix of an id in
/// the mirror. Ambiguous or unknown is a usage error (exit 2) before anything is sent.
pub fn resolve_id(
    target: &Target,
    conn: &Connection,
    typed: &str,
    sync_first: bool,
) -> Result<String, Failure> {
    let typed = typed.trim();
    // A whole id in its canonical form (lowercase, hyphenated), as the service and the
    // mirror keep it; api::ids is the one rule of what a whole id is.
    if let Ok(id) = crate::api::ids::customization_id(typed) {
        return Ok(id);
    }
    if typed.is_empty() || !typed.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return Err(Failure::usage(format!(
            "{typed:?} is not a customization id: give the UUID or a prefix of it (the \
             8 characters shown in lists)"
        )));
    }
    let m = open_for_reading(target, conn, sync_first)?;
    match m.resolve_short_id(typed)? {
        ShortId::Unique(id) => {
            tracing::info!(short = typed, %id, "short id resolved");
            Ok(id)
        }
        ShortId::Ambiguous(ids) => {
            let mut msg = format!("{typed:?} is the start of several ids; give more of it:");
            for id in &ids {
                let what = m
                    .get(id)
                    .ok()
                    .flatten()
                    .map(|s| {
                        format!(
                            "  {} {}",
                            s.model.as_deref().unwrap_or("?"),
                            s.target_label()
                        )
                    })
                    .unwrap_or_default();
                msg.push_str(&format!("\n  {id}{what}"));
            }
            if ids.len() >= mirror::AMBIGUOUS_SHOWN {
                msg.push_str("\n  ...");
            }
            Err(Failure::usage(msg))
        }
        ShortId::Unknown => Err(Failure::usage(format!(
            "no customization id starts with {typed:?} in the mirror of tracker {}; \
             pass --sync if it is new, or give the whole id",
            m.scope().tracker
        ))),
    }
}

/// Whether the mirror's file exists (writes keep it true only then).
pub fn has_mirror() -> bool {
    mirror::default_path().is_some_and(|p| p.exists())
}

/// Applies a write pinscope made to the mirror, when there is one for this tracker. The
/// service has the write already; a mirror that cannot follow is only warned about (the
/// next sync puts it right).
pub fn record_write(scope: &Scope, f: impl FnOnce(&mut Mirror) -> Result<(), MirrorError>) {
    let Some(path) = mirror::default_path().filter(|p| p.exists()) else {
        return;
    };
    let r = Mirror::open(&path, scope).and_then(|mut m| f(&mut m));
    if let Err(e) = r {
        warn(&format!("the mirror was not updated: {e}"));
    }
}
