//! The local mirror: every customization of a tracker in one SQLite database, so that
//! search, where-pinned, short ids, browse and the health checks see the whole tracker at
//! once and work offline.
//!
//! # The database
//!
//! One file, `mirror.sqlite3` in the data dir ([`default_path`]; `PINSCOPE_DATA_DIR`
//! overrides the dir, which is how tests keep away from the user's). The file is private
//! (0600, its dir 0700 when created here), in WAL mode with a busy timeout, so the TUI and a
//! CLI command can use it at once. The schema carries a version (`PRAGMA user_version`) and
//! is brought up to date by the migrations in [`schema`]; a database from a newer pinscope
//! is refused untouched ([`MirrorError::Newer`]). A damaged or locked file is reported with
//! its path and the way out, `pinscope sync --rebuild` ([`Mirror::rebuild`]).
//!
//! Rows belong to one [`Scope`] (host and tracker); a [`Mirror`] value reads and writes one
//! scope. For each customization it keeps the exact JSON text the service sent (unknown
//! fields and key order kept), the columns the queries need, one row per pin, and a
//! full-text index (FTS5). The private key never enters the database.
//!
//! # Use
//!
//! - [`Mirror::open`] / [`Mirror::open_in_memory`] (the demo and tests);
//! - [`Mirror::sync_from_reader`] replaces the scope's rows with an export body read from
//!   any `Read`, and [`sync::sync_from_client`] streams `POST /scopes/export` into it. The
//!   `results` array is read one customization at a time; everything happens in one
//!   transaction, so a cut connection, a bad body or a kill leaves the previous mirror
//!   intact;
//! - [`Mirror::upsert`] / [`Mirror::upsert_json`] / [`Mirror::remove`] keep the rows true
//!   after every write pinscope makes (create, update, delete, a fresh get, a 404);
//! - [`Mirror::search`] (ranked full-text search, prefixes of every word),
//!   [`Mirror::where_pinned`] (every pin of an item), [`Mirror::resolve_short_id`] (a unique
//!   id prefix), [`Mirror::get`], [`Mirror::count`], [`Mirror::synced_at`];
//! - [`Mirror::for_each_customization`] and [`Mirror::for_each_pin`] walk every stored
//!   customization (with its raw JSON) and every pin, for lint, agenda and batch work;
//! - [`Mirror::connection`] hands out the SQLite connection for tables that later
//!   migrations add;
//! - [`history`]: every write pinscope makes, with before and after images, for undo.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use serde_json::Value;

use crate::api::model::{Customization, PinState, Position};
use crate::api::time::parse_rfc3339;

pub mod browse;
pub mod generate;
pub mod history;
mod rank;
pub mod schema;
pub mod sync;

#[cfg(test)]
mod tests;

/// The database file's name in the data dir.
pub const FILE_NAME: &str = "mirror.sqlite3";

/// How long a statement waits for another process's lock before giving up. A sync holds
/// the write lock while the export streams in, so this is generous.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The mirror's path in the data dir, `None` when the platform has no data dir.
pub fn default_path() -> Option<PathBuf> {
    crate::config::data_dir().map(|d| d.join(FILE_NAME))
}

/// An age in a few words: `12 s`, `3 min`, `2 h`, `4 days`.
pub fn age_words(age: Duration) -> String {
    let s = age.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h", s / 3600),
        _ => {
            let d = s / 86_400;
            format!("{d} day{}", if d == 1 { "" } else { "s" })
        }
    }
}

/// Which tracker rows belong to: the host (as the client spells it) and the tracker id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub host: String,
    pub tracker: String,
}

impl Scope {
    /// The host is normalised as a URL (as the client spells it), so every way of writing
    /// one host finds the same rows.
    pub fn new(host: impl Into<String>, tracker: impl Into<String>) -> Scope {
        let host = host.into();
        let trimmed = host.trim_end_matches('/');
        let host = url::Url::parse(trimmed)
            .map(|u| u.as_str().trim_end_matches('/').to_string())
            .unwrap_or_else(|_| trimmed.to_string());
        Scope {
            host,
            tracker: tracker.into(),
        }
    }

    /// The scope a client talks to.
    pub fn of_client(c: &crate::api::Client) -> Scope {
        Scope::new(c.host(), c.tracker_id())
    }
}

/// What can go wrong with the mirror. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    #[error(
        "the mirror database {path} is damaged or not a database ({detail}); \
         rebuild it with `pinscope sync --rebuild`"
    )]
    Corrupt { path: String, detail: String },
    #[error(
        "the mirror database {path} is locked by another program ({detail}); try again, \
         or rebuild it with `pinscope sync --rebuild`"
    )]
    Locked { path: String, detail: String },
    #[error(
        "the mirror database {path} was written by a newer pinscope (schema version {found}, \
         this one knows up to {known}); it was left untouched: upgrade pinscope, or \
         `pinscope sync --rebuild` to start it afresh"
    )]
    Newer {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("the mirror database {path}: {detail}")]
    Sqlite { path: String, detail: String },
    #[error("cannot prepare the mirror database {path}: {detail}")]
    Io { path: String, detail: String },
    /// The export body is not what the contract says; nothing was changed.
    #[error("the export is not readable ({0}); the mirror was left as it was")]
    Export(String),
    /// The service or the network failed; nothing was changed.
    #[error("{0}")]
    Api(crate::api::ApiError),
}

impl MirrorError {
    /// Whether `pinscope sync --rebuild` is the way out.
    pub fn needs_rebuild(&self) -> bool {
        matches!(
            self,
            MirrorError::Corrupt { .. } | MirrorError::Newer { .. }
        )
    }
}

fn db_err(path: &str, e: rusqlite::Error) -> MirrorError {
    let detail = e.to_string();
    let path = path.to_string();
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
            MirrorError::Corrupt { path, detail }
        }
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            MirrorError::Locked { path, detail }
        }
        _ => MirrorError::Sqlite { path, detail },
    }
}

/// One stored customization: its columns and its exact JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub id: String,
    pub model: Option<String>,
    pub target_type: Option<String>,
    pub target_identity: Option<String>,
    /// The criteria object as compact JSON.
    pub target_criteria: Option<String>,
    pub title: Option<String>,
    pub tags: Vec<String>,
    pub created_at: Option<String>,
    pub pin_count: i64,
    /// The customization as the service sent it.
    pub json: String,
}

impl Stored {
    /// The customization parsed from its JSON.
    pub fn customization(&self) -> Option<Customization> {
        serde_json::from_str::<Value>(&self.json)
            .ok()
            .and_then(Customization::from_value)
    }

    /// The identity, or the criteria, or `all`.
    pub fn target_label(&self) -> String {
        match (&self.target_identity, &self.target_criteria) {
            (Some(i), _) => i.clone(),
            (None, Some(c)) => c.clone(),
            _ => self.target_type.clone().unwrap_or_default(),
        }
    }
}

/// The weights of the full-text columns in the ranking: identity, title, body, pins, id.
const RANK: &str = "8.0, 6.0, 2.0, 3.0, 4.0";

const STORED_COLUMNS: &str = "c.id, c.model, c.target_type, c.target_identity, \
     c.target_criteria, c.title, c.tags, c.created_at, c.pin_count, c.json";

fn stored_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    let tags: String = r.get(6)?;
    Ok(Stored {
        id: r.get(0)?,
        model: r.get(1)?,
        target_type: r.get(2)?,
        target_identity: r.get(3)?,
        target_criteria: r.get(4)?,
        title: r.get(5)?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        created_at: r.get(7)?,
        pin_count: r.get(8)?,
        json: r.get(9)?,
    })
}

/// One stored pin with the customization it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPin {
    /// The customization's id.
    pub id: String,
    pub model: Option<String>,
    pub target_type: Option<String>,
    pub target_identity: Option<String>,
    pub target_criteria: Option<String>,
    /// The pin's index in `pin_definitions`.
    pub index: i64,
    pub position: Option<i64>,
    /// `slot`, `global` or `block`.
    pub kind: Option<String>,
    pub pin_type: Option<String>,
    pub pin_identity: Option<String>,
    /// The criteria object as compact JSON.
    pub pin_criteria: Option<String>,
    pub widget_id: Option<String>,
    /// Epoch seconds; `None` is an open bound.
    pub active_from: Option<i64>,
    pub active_to: Option<i64>,
}

impl StoredPin {
    /// Where the pin's window stands at `now`.
    pub fn state_at(&self, now: Timestamp) -> PinState {
        let ts = |s: Option<i64>| s.and_then(|s| Timestamp::from_second(s).ok());
        PinState::of_window(ts(self.active_from), ts(self.active_to), now)
    }
}

const PIN_COLUMNS: &str = "c.id, c.model, c.target_type, c.target_identity, c.target_criteria, \
     p.idx, p.position, p.kind, p.pin_type, p.pin_identity, p.pin_criteria, p.widget_id, \
     p.active_from, p.active_to";

fn pin_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredPin> {
    Ok(StoredPin {
        id: r.get(0)?,
        model: r.get(1)?,
        target_type: r.get(2)?,
        target_identity: r.get(3)?,
        target_criteria: r.get(4)?,
        index: r.get(5)?,
        position: r.get(6)?,
        kind: r.get(7)?,
        pin_type: r.get(8)?,
        pin_identity: r.get(9)?,
        pin_criteria: r.get(10)?,
        widget_id: r.get(11)?,
        active_from: r.get(12)?,
        active_to: r.get(13)?,
    })
}

/// What a short id resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShortId {
    /// Exactly one stored id starts with it.
    Unique(String),
    /// Several do (at most [`AMBIGUOUS_SHOWN`] of them, sorted).
    Ambiguous(Vec<String>),
    /// None does.
    Unknown,
}

/// How many candidates an ambiguous prefix lists.
pub const AMBIGUOUS_SHOWN: usize = 10;

/// What a sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncStats {
    pub customizations: u64,
    pub pins: u64,
}

/// The mirror of one tracker, in a database shared with other trackers.
pub struct Mirror {
    conn: Connection,
    /// The file's path as shown in messages (`:memory:` for an in-memory mirror).
    shown: String,
    path: Option<PathBuf>,
    scope: Scope,
    tracker: i64,
}

impl fmt::Debug for Mirror {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mirror")
            .field("path", &self.shown)
            .field("scope", &self.scope)
            .finish()
    }
}

impl Mirror {
    /// Opens (creating if needed) the database at `path` and the rows of `scope`.
    pub fn open(path: &Path, scope: &Scope) -> Result<Mirror, MirrorError> {
        let shown = path.display().to_string();
        prepare_file(path).map_err(|e| MirrorError::Io {
            path: shown.clone(),
            detail: e.to_string(),
        })?;
        let conn = Connection::open(path).map_err(|e| db_err(&shown, e))?;
        Mirror::setup(conn, shown, Some(path.to_path_buf()), scope)
    }

    /// A mirror that lives in memory only (the demo, tests).
    pub fn open_in_memory(scope: &Scope) -> Result<Mirror, MirrorError> {
        let shown = ":memory:".to_string();
        let conn = Connection::open_in_memory().map_err(|e| db_err(&shown, e))?;
        Mirror::setup(conn, shown, None, scope)
    }

    /// Starts the database at `path` afresh: a file that is there (damaged, from a newer
    /// pinscope, or just suspect) is moved aside to `PATH.old-EPOCH` with its WAL, never
    /// deleted, since it may hold history. Returns the new mirror and where the old file went.
    pub fn rebuild(path: &Path, scope: &Scope) -> Result<(Mirror, Option<PathBuf>), MirrorError> {
        let io = |e: std::io::Error| MirrorError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        };
        let mut moved = None;
        if path.exists() {
            let stamp = Timestamp::now().as_second();
            let aside = |suffix: &str| {
                let mut p = path.as_os_str().to_owned();
                p.push(format!("{suffix}.old-{stamp}"));
                PathBuf::from(p)
            };
            for suffix in ["-wal", "-shm", "-journal", ""] {
                let mut from = path.as_os_str().to_owned();
                from.push(suffix);
                let from = PathBuf::from(from);
                if from.exists() {
                    std::fs::rename(&from, aside(suffix)).map_err(io)?;
                }
            }
            moved = Some(aside(""));
        }
        Ok((Mirror::open(path, scope)?, moved))
    }

    fn setup(
        mut conn: Connection,
        shown: String,
        path: Option<PathBuf>,
        scope: &Scope,
    ) -> Result<Mirror, MirrorError> {
        let e = |e| db_err(&shown, e);
        conn.busy_timeout(BUSY_TIMEOUT).map_err(e)?;
        // Reading the mode also makes SQLite read the header: a file that is not a
        // database fails here.
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(e)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(e)?;
        rank::register(&conn).map_err(|detail| MirrorError::Sqlite {
            path: shown.clone(),
            detail,
        })?;
        match schema::migrate(&mut conn).map_err(e)? {
            schema::Migrated::Ok => {}
            schema::Migrated::Newer(found) => {
                return Err(MirrorError::Newer {
                    path: shown,
                    found,
                    known: schema::LATEST,
                });
            }
        }
        // Read first: opening must not wait for the write lock that another process's
        // sync holds, unless the scope is new.
        let find = |conn: &Connection| {
            conn.query_row(
                "SELECT id FROM trackers WHERE host = ?1 AND tracker = ?2",
                params![scope.host, scope.tracker],
                |r| r.get::<_, i64>(0),
            )
            .optional()
        };
        let tracker = match find(&conn).map_err(e)? {
            Some(id) => id,
            None => {
                conn.execute(
                    "INSERT OR IGNORE INTO trackers (host, tracker) VALUES (?1, ?2)",
                    params![scope.host, scope.tracker],
                )
                .map_err(e)?;
                find(&conn).map_err(e)?.ok_or_else(|| MirrorError::Sqlite {
                    path: shown.clone(),
                    detail: "the tracker's row vanished".into(),
                })?
            }
        };
        Ok(Mirror {
            conn,
            shown,
            path,
            scope: scope.clone(),
            tracker,
        })
    }

    /// The database file, `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The SQLite connection, for tables added by later migrations (history of writes).
    /// Rows of this scope carry [`Mirror::tracker_key`] in their `tracker` column.
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The scope's key in the `trackers` table.
    pub fn tracker_key(&self) -> i64 {
        self.tracker
    }

    fn err(&self, e: rusqlite::Error) -> MirrorError {
        db_err(&self.shown, e)
    }

    /// When the last complete sync of this scope finished; `None` before the first.
    pub fn synced_at(&self) -> Result<Option<Timestamp>, MirrorError> {
        let secs: Option<i64> = self
            .conn
            .query_row(
                "SELECT synced_at FROM trackers WHERE id = ?1",
                [self.tracker],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        Ok(secs.and_then(|s| Timestamp::from_second(s).ok()))
    }

    /// Forgets when the scope was last synced, so the next reader syncs first: for writes
    /// whose result the mirror cannot know row by row (a bulk import).
    pub fn mark_stale(&mut self) -> Result<(), MirrorError> {
        self.conn
            .execute(
                "UPDATE trackers SET synced_at = NULL WHERE id = ?1",
                [self.tracker],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// How long ago the last sync finished at `now`; `None` before the first.
    pub fn age_at(&self, now: Timestamp) -> Result<Option<Duration>, MirrorError> {
        Ok(self.synced_at()?.map(|t| {
            Duration::from_secs(u64::try_from(now.as_second() - t.as_second()).unwrap_or(0))
        }))
    }

    /// How many customizations the scope holds.
    pub fn count(&self) -> Result<u64, MirrorError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM customizations WHERE tracker = ?1",
                [self.tracker],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.err(e))
    }

    /// One customization by its full id.
    pub fn get(&self, id: &str) -> Result<Option<Stored>, MirrorError> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {STORED_COLUMNS} FROM customizations c \
                     WHERE c.tracker = ?1 AND c.id = ?2"
                ),
                params![self.tracker, id],
                stored_of,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Many customizations by their full ids, in the order asked (`None` for one it does
    /// not hold): one prepared statement for all of them.
    pub fn get_many(&self, ids: &[String]) -> Result<Vec<Option<Stored>>, MirrorError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {STORED_COLUMNS} FROM customizations c \
                 WHERE c.tracker = ?1 AND c.id = ?2"
            ))
            .map_err(|e| self.err(e))?;
        ids.iter()
            .map(|id| {
                stmt.query_row(params![self.tracker, id], stored_of)
                    .optional()
                    .map_err(|e| self.err(e))
            })
            .collect()
    }

    /// Stores (or replaces) one customization from its JSON text, kept exactly.
    pub fn upsert_json(&mut self, json: &str) -> Result<(), MirrorError> {
        let tracker = self.tracker;
        let shown = self.shown.clone();
        // A savepoint, not a transaction: it nests when the history records several
        // writes in one.
        let tx = self.conn.savepoint().map_err(|e| db_err(&shown, e))?;
        let row = Row::parse(json).map_err(MirrorError::Export)?;
        delete_rows(&tx, tracker, &row.id).map_err(|e| db_err(&shown, e))?;
        insert_row(&tx, tracker, &row, json).map_err(|e| db_err(&shown, e))?;
        tx.commit().map_err(|e| db_err(&shown, e))
    }

    /// Stores (or replaces) one customization, as the service returned it.
    pub fn upsert(&mut self, c: &Customization) -> Result<(), MirrorError> {
        let json = serde_json::to_string(c).map_err(|e| MirrorError::Export(e.to_string()))?;
        self.upsert_json(&json)
    }

    /// Removes one customization; `false` when it was not there.
    pub fn remove(&mut self, id: &str) -> Result<bool, MirrorError> {
        let tracker = self.tracker;
        let shown = self.shown.clone();
        let tx = self.conn.savepoint().map_err(|e| db_err(&shown, e))?;
        let gone = delete_rows(&tx, tracker, id).map_err(|e| db_err(&shown, e))?;
        tx.commit().map_err(|e| db_err(&shown, e))?;
        Ok(gone)
    }

    /// Replaces the scope's rows with the customizations of an export body
    /// (`{"results": [...]}`), read from `reader` one at a time, in one transaction:
    /// on any error (a cut body, bad JSON) nothing changes. `progress` is called with the
    /// running count every few hundred rows.
    pub fn sync_from_reader<R: std::io::Read + Send>(
        &mut self,
        reader: R,
        progress: &mut dyn FnMut(u64),
    ) -> Result<SyncStats, MirrorError> {
        // No foreign-key checks for the sync, so that SQLite can empty a tracker's old
        // rows whole instead of row by row (nothing the sync writes refers to another
        // table's rows). Set outside the transaction, where the pragma cannot change.
        let foreign_keys: bool = self
            .conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap_or(false);
        let _ = self.conn.execute_batch("PRAGMA foreign_keys = OFF");
        // Reading and parsing the body runs on a thread of its own, a few hundred rows
        // ahead of the one writing them: a third of the work, off the writer's path.
        let r = std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Parsed>(256);
            s.spawn(move || {
                let mut n = 0u64;
                let read = sync::read_export(reader, &mut |raw: &str| {
                    n += 1;
                    let row = Row::parse(raw)
                        .map_err(|m| MirrorError::Export(format!("result {n}: {m}")))?;
                    tx.send(Parsed::Row(row, raw.to_string()))
                        .map_err(|_| MirrorError::Export("the sync stopped".into()))
                });
                // A writer that stopped has its own error to tell.
                let _ = tx.send(match read {
                    Ok(()) => Parsed::End,
                    Err(e) => Parsed::Failed(e),
                });
            });
            let r = self.sync_rows(&rx, progress);
            // Unblock the reader if the writer stopped first.
            drop(rx);
            r
        });
        if foreign_keys {
            let _ = self.conn.execute_batch("PRAGMA foreign_keys = ON");
        }
        r
    }

    /// [`Mirror::sync_from_reader`]'s transaction: the rows from `rows` until
    /// [`Parsed::End`]; anything else (a failure, a reader that vanished) rolls back.
    fn sync_rows(
        &mut self,
        rows: &std::sync::mpsc::Receiver<Parsed>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<SyncStats, MirrorError> {
        let tracker = self.tracker;
        let shown = self.shown.clone();
        let dbe = |e| db_err(&shown, e);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(dbe)?;
        // Built again once the rows are in, in the same transaction: building an index
        // from all its rows at once is cheaper than keeping it up to date through 100,000
        // inserts in random order, and without them the old rows go faster too.
        tx.execute_batch(schema::DROP_SECONDARY_INDEXES)
            .map_err(dbe)?;
        clear_scope(&tx, tracker).map_err(dbe)?;
        // The full-text index: no merging of its segments while the rows stream in, one
        // merge into a single segment at the end (cheaper in all, and the fastest index to
        // search).
        tx.execute_batch(
            "INSERT INTO customizations_fts (customizations_fts, rank) VALUES ('automerge', 0)",
        )
        .map_err(dbe)?;
        let mut stats = SyncStats {
            customizations: 0,
            pins: 0,
        };
        loop {
            match rows.recv() {
                Ok(Parsed::Row(row, raw)) => {
                    insert_row(&tx, tracker, &row, &raw).map_err(dbe)?;
                    stats.customizations += 1;
                    stats.pins += row.pins.len() as u64;
                    if stats.customizations.is_multiple_of(500) {
                        progress(stats.customizations);
                    }
                }
                Ok(Parsed::End) => break,
                Ok(Parsed::Failed(e)) => return Err(e),
                Err(_) => return Err(MirrorError::Export("the sync stopped unexpectedly".into())),
            }
        }
        tx.execute_batch(
            "INSERT INTO customizations_fts (customizations_fts) VALUES ('optimize');
             INSERT INTO customizations_fts (customizations_fts, rank) VALUES ('automerge', 4);",
        )
        .map_err(dbe)?;
        tx.execute_batch(schema::LOOKUP_INDEXES).map_err(dbe)?;
        tx.execute_batch(schema::BROWSE_INDEXES).map_err(dbe)?;
        tx.execute(
            "UPDATE trackers SET synced_at = ?1 WHERE id = ?2",
            params![Timestamp::now().as_second(), tracker],
        )
        .map_err(dbe)?;
        tx.commit().map_err(dbe)?;
        progress(stats.customizations);
        Ok(stats)
    }

    /// The ids of every customization [`Mirror::search`] would find, unranked: what `*`
    /// selects from the tracker search.
    pub fn search_ids(&self, query: &str) -> Result<Vec<String>, MirrorError> {
        let Some(expr) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT c.id FROM customizations_fts f \
                 CROSS JOIN customizations c ON c.rid = f.rowid \
                 WHERE customizations_fts MATCH ?1 AND c.tracker = ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![expr, self.tracker], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Customizations matching every word of `query` (each word a prefix: `/p/27` finds
    /// `/p/274`), best first. Covers target identity and criteria, title and other
    /// metadata, model, tags, pin identities and criteria, widget ids and ids.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<Stored>, MirrorError> {
        let Some(expr) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let limit = limit.min(i64::MAX as usize) as i64;
        // When the database holds no other tracker's rows (the usual case), every match
        // is this tracker's: the best are ranked on the full-text index alone and only
        // they are read, instead of reading the row of every match to check its tracker.
        let others: bool = self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM trackers t WHERE t.id <> ?1 AND EXISTS \
                 (SELECT 1 FROM customizations c WHERE c.tracker = t.id))",
            )
            .and_then(|mut s| s.query_row([self.tracker], |r| r.get(0)))
            .map_err(|e| self.err(e))?;
        // CROSS JOIN keeps the hits the outer loop: each is one lookup by rowid. Left to
        // itself the planner may walk the tracker's every row and look each up in the hits.
        let sql = if others {
            format!(
                "SELECT {STORED_COLUMNS} FROM customizations_fts f \
                 CROSS JOIN customizations c ON c.rid = f.rowid \
                 WHERE customizations_fts MATCH ?1 AND c.tracker = ?2 \
                 ORDER BY pinscope_rank(customizations_fts, {RANK}) DESC, c.id \
                 LIMIT ?3"
            )
        } else {
            format!(
                "SELECT {STORED_COLUMNS} FROM \
                 (SELECT rowid AS r, pinscope_rank(customizations_fts, {RANK}) AS score \
                  FROM customizations_fts WHERE customizations_fts MATCH ?1 \
                  ORDER BY score DESC, rowid LIMIT ?3) h \
                 CROSS JOIN customizations c ON c.rid = h.r \
                 WHERE c.tracker = ?2 ORDER BY h.score DESC, c.id"
            )
        };
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![expr, self.tracker, limit], stored_of)
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Every pin whose `pin_identity` is `item`, across the tracker.
    pub fn where_pinned(&self, item: &str) -> Result<Vec<StoredPin>, MirrorError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {PIN_COLUMNS} FROM pins p JOIN customizations c ON c.rid = p.cust \
                 WHERE p.pin_identity = ?1 AND p.tracker = ?2 \
                 ORDER BY c.model, c.target_identity, c.id, p.idx"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![item, self.tracker], pin_of)
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// The full id that `prefix` stands for. Case does not matter for hex ids.
    pub fn resolve_short_id(&self, prefix: &str) -> Result<ShortId, MirrorError> {
        let prefix = prefix.trim();
        if prefix.is_empty() {
            return Ok(ShortId::Unknown);
        }
        let lower = if prefix.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            prefix.to_ascii_lowercase()
        } else {
            prefix.to_string()
        };
        let upper = format!("{lower}\u{10FFFF}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id FROM customizations WHERE tracker = ?1 AND id >= ?2 AND id < ?3 \
                 ORDER BY id LIMIT ?4",
            )
            .map_err(|e| self.err(e))?;
        let ids = stmt
            .query_map(
                params![self.tracker, lower, upper, AMBIGUOUS_SHOWN as i64 + 1],
                |r| r.get::<_, String>(0),
            )
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(match ids.len() {
            0 => ShortId::Unknown,
            1 => ShortId::Unique(ids.into_iter().next().unwrap_or_default()),
            _ => ShortId::Ambiguous(ids.into_iter().take(AMBIGUOUS_SHOWN).collect()),
        })
    }

    /// Calls `f` with every stored customization of the scope, oldest first; stops at the
    /// first error `f` returns.
    pub fn for_each_customization<E: From<MirrorError>>(
        &self,
        mut f: impl FnMut(Stored) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {STORED_COLUMNS} FROM customizations c WHERE c.tracker = ?1 \
                 ORDER BY c.created_at, c.id"
            ))
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([self.tracker]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            f(stored_of(r).map_err(|e| self.err(e))?)?;
        }
        Ok(())
    }

    /// Calls `f` with every stored pin of the scope (by customization, then index); stops
    /// at the first error `f` returns.
    pub fn for_each_pin<E: From<MirrorError>>(
        &self,
        mut f: impl FnMut(StoredPin) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {PIN_COLUMNS} FROM pins p JOIN customizations c ON c.rid = p.cust \
                 WHERE p.tracker = ?1 ORDER BY p.cust, p.idx"
            ))
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([self.tracker]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            f(pin_of(r).map_err(|e| self.err(e))?)?;
        }
        Ok(())
    }
}

/// Creates the parent dir (0700) and the file (0600) before SQLite opens it, so the
/// database is private from its first byte. An existing file keeps its mode.
fn prepare_file(path: &Path) -> std::io::Result<()> {
    crate::files::open_private(path, std::fs::OpenOptions::new().create(true).append(true))
        .map(|_| ())
}

/// Turns what a user typed into an FTS5 expression: every whitespace-separated word a
/// quoted phrase whose last token is a prefix, all of them required. `-` and `_` at a
/// word's ends are dropped (inside a word they are part of it: see [`push_text`]). `None`
/// when nothing searchable was typed.
pub fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split_whitespace()
        .map(|w| w.trim_matches(|c| c == '-' || c == '_'))
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    if words.is_empty() {
        None
    } else {
        Some(words.join(" AND "))
    }
}

/// What the sync's reading thread hands the writing one.
// Nearly every message is a `Row`: boxing it to shrink the other two would only add an
// allocation a row.
#[allow(clippy::large_enum_variant)]
enum Parsed {
    /// One customization: its columns and its exact text.
    Row(Row, String),
    /// The body ended where it should.
    End,
    /// The body could not be read.
    Failed(MirrorError),
}

/// The columns of one customization, read from its JSON.
struct Row {
    id: String,
    model: Option<String>,
    target_type: Option<String>,
    target_identity: Option<String>,
    target_criteria: Option<String>,
    title: Option<String>,
    tags: String,
    created_at: Option<String>,
    /// Full-text columns.
    fts_body: String,
    fts_pins: String,
    pins: Vec<PinRow>,
}

struct PinRow {
    position: Option<i64>,
    kind: Option<&'static str>,
    pin_type: Option<String>,
    pin_identity: Option<String>,
    pin_criteria: Option<String>,
    widget_id: Option<String>,
    active_from: Option<i64>,
    active_to: Option<i64>,
}

/// Appends `s` to a full-text column. The index keeps `-` and `_` inside words
/// (`w-home-top` is one token), so that a word typed with them is one cheap prefix lookup
/// instead of a phrase over tokens that nearly every row has (`w`, `home`); every part
/// after a `-` or `_` is added as well (`home-top`, `top`), appended after the text so that
/// its phrases stay intact, so that a word is found by any of its parts too.
fn push_text(out: &mut String, s: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(s);
    let joiner = |c: char| c == '-' || c == '_';
    for run in s.split(|c: char| !(c.is_alphanumeric() || joiner(c))) {
        let mut rest = run;
        while let Some(i) = rest.find(joiner) {
            rest = rest[i + 1..].trim_start_matches(joiner);
            if rest.chars().any(char::is_alphanumeric) {
                out.push(' ');
                out.push_str(rest);
            }
        }
    }
}

/// [`push_text`] into a new string.
fn fts_text(s: &str) -> String {
    let mut out = String::new();
    push_text(&mut out, s);
    out
}

/// Every string and number inside a JSON value, for the full-text index (keys too, so a
/// criteria `{"brand": "Fender"}` is found by either word).
fn push_json_text(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => push_text(out, s),
        Value::Number(n) => push_text(out, &n.to_string()),
        Value::Array(a) => a.iter().for_each(|x| push_json_text(out, x)),
        Value::Object(m) => {
            for (k, x) in m {
                push_text(out, k);
                push_json_text(out, x);
            }
        }
        Value::Bool(_) | Value::Null => {}
    }
}

impl Row {
    fn parse(json: &str) -> Result<Row, String> {
        let v: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
        let c = Customization::from_value(v).ok_or("not a JSON object")?;
        let id = c.id().ok_or("no `id`")?.to_string();
        let s = |x: Option<&str>| x.map(str::to_string);
        let target_criteria = c.get("target_criteria").map(Value::to_string);
        let tags: Vec<&str> = c.tags().collect();
        let mut fts_body = String::new();
        if let Some(m) = c.model() {
            push_text(&mut fts_body, m);
        }
        for t in &tags {
            push_text(&mut fts_body, t);
        }
        // The metadata's values; its keys would match nearly every row, and the title has
        // its own column.
        match c.get("target_metadata") {
            Some(Value::Object(meta)) => {
                for (k, v) in meta {
                    if k != "title" {
                        push_json_text(&mut fts_body, v);
                    }
                }
            }
            Some(other) => push_json_text(&mut fts_body, other),
            None => {}
        }
        let mut fts_pins = String::new();
        let pins = c
            .pins()
            .map(|p| {
                let raw = p.raw();
                let position = raw.get("position").and_then(Value::as_i64);
                let kind = position.and_then(Position::from_i64).map(|p| match p {
                    Position::Slot(_) => "slot",
                    Position::Global => "global",
                    Position::Block => "block",
                });
                if let Some(i) = p.identity() {
                    push_text(&mut fts_pins, i);
                }
                if let Some(c) = raw.get("pin_criteria") {
                    push_json_text(&mut fts_pins, c);
                }
                if let Some(w) = p.widget_id() {
                    push_text(&mut fts_pins, w);
                }
                let epoch = |k: &str| {
                    raw.get(k)
                        .and_then(Value::as_str)
                        .and_then(parse_rfc3339)
                        .map(|t| t.as_second())
                };
                PinRow {
                    position,
                    kind,
                    pin_type: raw.get("pin_type").and_then(Value::as_str).map(Into::into),
                    pin_identity: s(p.identity()),
                    pin_criteria: raw.get("pin_criteria").map(Value::to_string),
                    widget_id: s(p.widget_id()),
                    active_from: epoch("active_from"),
                    active_to: epoch("active_to"),
                }
            })
            .collect();
        Ok(Row {
            model: s(c.model()),
            target_type: c.get("target_type").and_then(Value::as_str).map(Into::into),
            target_identity: s(c.target_identity()),
            target_criteria,
            title: s(c.title()),
            tags: serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into()),
            created_at: s(c.created_at()),
            fts_body,
            fts_pins,
            pins,
            id,
        })
    }
}

fn insert_row(conn: &Connection, tracker: i64, row: &Row, json: &str) -> rusqlite::Result<()> {
    let mut ins = conn.prepare_cached(
        "INSERT INTO customizations (tracker, id, model, target_type, target_identity, \
         target_criteria, title, tags, created_at, pin_count, json) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    ins.execute(params![
        tracker,
        row.id,
        row.model,
        row.target_type,
        row.target_identity,
        row.target_criteria,
        row.title,
        row.tags,
        row.created_at,
        row.pins.len() as i64,
        json
    ])?;
    let rid = conn.last_insert_rowid();
    let mut pin = conn.prepare_cached(
        "INSERT INTO pins (tracker, cust, idx, position, kind, pin_type, pin_identity, \
         pin_criteria, widget_id, active_from, active_to) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for (i, p) in row.pins.iter().enumerate() {
        pin.execute(params![
            tracker,
            rid,
            i as i64,
            p.position,
            p.kind,
            p.pin_type,
            p.pin_identity,
            p.pin_criteria,
            p.widget_id,
            p.active_from,
            p.active_to
        ])?;
    }
    insert_fts(conn, rid, row)
}

/// Adds one customization's full-text row.
fn insert_fts(conn: &Connection, rid: i64, row: &Row) -> rusqlite::Result<()> {
    let mut fts = conn.prepare_cached(
        "INSERT INTO customizations_fts (rowid, identity, title, body, pins, id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let identity = row
        .target_identity
        .as_deref()
        .or(row.target_criteria.as_deref())
        .unwrap_or("");
    fts.execute(params![
        rid,
        fts_text(identity),
        fts_text(row.title.as_deref().unwrap_or("")),
        row.fts_body,
        row.fts_pins,
        row.id
    ])?;
    Ok(())
}

/// Deletes one customization's rows; `false` when there were none.
fn delete_rows(conn: &Connection, tracker: i64, id: &str) -> rusqlite::Result<bool> {
    let rid: Option<i64> = conn
        .query_row(
            "SELECT rid FROM customizations WHERE tracker = ?1 AND id = ?2",
            params![tracker, id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(rid) = rid else {
        return Ok(false);
    };
    conn.execute("DELETE FROM pins WHERE cust = ?1", [rid])?;
    conn.execute("DELETE FROM customizations_fts WHERE rowid = ?1", [rid])?;
    conn.execute("DELETE FROM customizations WHERE rid = ?1", [rid])?;
    Ok(true)
}

/// Deletes every row of one scope.
fn clear_scope(conn: &Connection, tracker: i64) -> rusqlite::Result<()> {
    let others: i64 = conn.query_row(
        "SELECT count(*) FROM (SELECT 1 FROM customizations WHERE tracker <> ?1 LIMIT 1)",
        [tracker],
        |r| r.get(0),
    )?;
    if others == 0 {
        conn.execute(
            "INSERT INTO customizations_fts (customizations_fts) VALUES ('delete-all')",
            [],
        )?;
    } else {
        conn.execute(
            "DELETE FROM customizations_fts WHERE rowid IN \
             (SELECT rid FROM customizations WHERE tracker = ?1)",
            [tracker],
        )?;
    }
    if others == 0 {
        // No WHERE: SQLite empties the tables whole instead of row by row.
        conn.execute_batch("DELETE FROM pins; DELETE FROM customizations;")?;
    } else {
        conn.execute(
            "DELETE FROM pins WHERE cust IN (SELECT rid FROM customizations WHERE tracker = ?1)",
            [tracker],
        )?;
        conn.execute("DELETE FROM customizations WHERE tracker = ?1", [tracker])?;
    }
    Ok(())
}

/// Fills the full-text index anew from every stored customization's JSON (migration 4).
/// A row whose JSON no longer parses keeps no full-text row; the next sync replaces it.
fn reindex_fts(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO customizations_fts (customizations_fts) VALUES ('delete-all')",
        [],
    )?;
    let mut stmt = conn.prepare("SELECT rid, json FROM customizations")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let rid: i64 = r.get(0)?;
        let json: String = r.get(1)?;
        if let Ok(row) = Row::parse(&json) {
            insert_fts(conn, rid, &row)?;
        }
    }
    Ok(())
}
