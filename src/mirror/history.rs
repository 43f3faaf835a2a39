//! The history of writes: every create, update, delete, import, batch and undo that
//! pinscope sends, as one operation with the before and after image of each customization
//! it touched. Undo reads it back.
//!
//! Two tables in the mirror's database (migration 2 in [`super::schema`]): `history_ops`
//! (one row an operation, with its host and tracker) and `history_items` (one row a
//! customization written, in the order the writes finished). A [`History`] reads and writes
//! the operations of its mirror's [`Scope`]. After each write the mirror's row is brought
//! up to date too, once the mirror has been synced.
//! An item is recorded right after its write succeeds, so a crash mid-way loses no record
//! of what was already sent. Nothing here ever holds the private key: only customizations,
//! the profile's name, the host and the tracker id.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Mirror, MirrorError, Scope};
use serde::Serialize;

use crate::api::model::Customization;

/// How long history is kept when the config does not say (`history.keep_days`).
pub const DEFAULT_KEEP_DAYS: u32 = 90;

/// The kinds of operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    Create,
    Update,
    Delete,
    Import,
    Batch,
    Undo,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Create => "create",
            OpKind::Update => "update",
            OpKind::Delete => "delete",
            OpKind::Import => "import",
            OpKind::Batch => "batch",
            OpKind::Undo => "undo",
        }
    }

    pub fn parse(s: &str) -> Option<OpKind> {
        Some(match s {
            "create" => OpKind::Create,
            "update" => OpKind::Update,
            "delete" => OpKind::Delete,
            "import" => OpKind::Import,
            "batch" => OpKind::Batch,
            "undo" => OpKind::Undo,
            _ => return None,
        })
    }
}

/// Where a write went and who made it: enough to refuse undoing it against another tracker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub profile: String,
    pub host: String,
    pub tracker: String,
}

/// One operation as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpRow {
    pub id: i64,
    /// RFC 3339 UTC.
    pub at: String,
    pub kind: OpKind,
    /// Customizations written.
    pub count: u64,
    pub summary: String,
    pub profile: String,
    pub host: String,
    pub tracker: String,
}

impl OpRow {
    pub fn origin(&self) -> Origin {
        Origin {
            profile: self.profile.clone(),
            host: self.host.clone(),
            tracker: self.tracker.clone(),
        }
    }
}

/// One customization written by an operation: `before` is `None` when the operation
/// created it, `after` is `None` when it deleted it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub seq: i64,
    pub customization_id: String,
    pub before: Option<Customization>,
    pub after: Option<Customization>,
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("history database {path}: {source}")]
    Db {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error(transparent)]
    Mirror(#[from] MirrorError),
    #[error("history database {path}: a stored customization is not a JSON object: {message}")]
    Corrupt { path: String, message: String },
    #[error("no operation {0} in the history")]
    NoSuchOp(i64),
}

/// The history of one tracker, shared by the tasks that write concurrently.
#[derive(Debug)]
pub struct History {
    mirror: Mutex<Mirror>,
    path: String,
}

/// The mirror database's path in the data dir (see [`super::default_path`]).
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join(super::FILE_NAME)
}

impl History {
    /// Opens (creating when needed) the mirror database at `path` for `scope`, with its
    /// history tables.
    pub fn open(path: &Path, scope: &Scope) -> Result<History, HistoryError> {
        Ok(History::from_mirror(Mirror::open(path, scope)?))
    }

    /// A history in memory (tests, demos).
    pub fn in_memory(scope: &Scope) -> Result<History, HistoryError> {
        Ok(History::from_mirror(Mirror::open_in_memory(scope)?))
    }

    /// The history of an open mirror's scope.
    pub fn from_mirror(mut mirror: Mirror) -> History {
        let path = mirror
            .path()
            .map_or_else(|| ":memory:".to_string(), |p| p.display().to_string());
        // Items go with their operation when it is pruned.
        let _ = mirror
            .connection()
            .pragma_update(None, "foreign_keys", "ON");
        History {
            mirror: Mutex::new(mirror),
            path,
        }
    }

    pub fn scope(&self) -> Scope {
        self.lock().scope().clone()
    }

    fn db(&self) -> impl Fn(rusqlite::Error) -> HistoryError + '_ {
        |source| HistoryError::Db {
            path: self.path.clone(),
            source,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mirror> {
        // A panic while holding the lock cannot leave a half-written row (SQLite is
        // transactional), so a poisoned lock is still good.
        self.mirror.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts an operation; items are added with [`History::record`] as writes succeed.
    /// It is filed under this history's scope (host and tracker), with `origin`'s profile.
    pub fn begin(
        &self,
        origin: &Origin,
        kind: OpKind,
        summary: &str,
        at: Timestamp,
    ) -> Result<i64, HistoryError> {
        let mut guard = self.lock();
        let scope = guard.scope().clone();
        let conn: &Connection = guard.connection();
        conn.execute(
            "INSERT INTO history_ops (at, profile, host, tracker, kind, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                format_at(at),
                origin.profile,
                scope.host,
                scope.tracker,
                kind.as_str(),
                summary
            ],
        )
        .map_err(self.db())?;
        Ok(conn.last_insert_rowid())
    }

    /// Records one write of operation `op`.
    pub fn record(
        &self,
        op: i64,
        customization_id: &str,
        before: Option<&Customization>,
        after: Option<&Customization>,
    ) -> Result<(), HistoryError> {
        let text = |c: Option<&Customization>| c.and_then(|c| serde_json::to_string(c).ok());
        let (before, after) = (text(before), text(after));
        self.record_many(
            op,
            &[(customization_id, before.as_deref(), after.as_deref())],
        )
    }

    /// Adds several writes to operation `op` in one transaction: all of them or none.
    /// Each is (customization id, before, after), the customizations as the JSON text
    /// they were sent or read as.
    pub fn record_many(
        &self,
        op: i64,
        writes: &[(&str, Option<&str>, Option<&str>)],
    ) -> Result<(), HistoryError> {
        if writes.is_empty() {
            return Ok(());
        }
        let mut guard = self.lock();
        // Keep the mirror true, once it holds the tracker (a partial mirror of a never
        // synced tracker would pass for a whole one).
        let synced = guard.synced_at().ok().flatten().is_some();
        // A savepoint, so that the mirror's own transactions nest inside it.
        guard
            .connection()
            .execute_batch("SAVEPOINT record_many")
            .map_err(self.db())?;
        let r = (|| {
            for (id, before, after) in writes {
                guard
                    .connection()
                    .prepare_cached(
                        "INSERT INTO history_items (op_id, seq, customization_id, before_json, after_json)
                         VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM history_items WHERE op_id = ?1), ?2, ?3, ?4)",
                    )
                    .and_then(|mut st| st.execute(params![op, id, before, after]))
                    .map_err(self.db())?;
                if synced {
                    let kept = match after {
                        Some(json) => guard.upsert_json(json),
                        None => guard.remove(id).map(|_| ()),
                    };
                    if let Err(e) = kept {
                        tracing::warn!(error = %e, "mirror not updated after a write");
                    }
                }
            }
            Ok(())
        })();
        let end = match r {
            Ok(()) => "RELEASE record_many",
            Err(_) => "ROLLBACK TO record_many; RELEASE record_many",
        };
        let ended = guard.connection().execute_batch(end).map_err(self.db());
        r.and(ended)
    }

    /// Ends an operation: one that wrote nothing is dropped, so the history lists writes
    /// only. Returns whether it was kept.
    pub fn finish(&self, op: i64) -> Result<bool, HistoryError> {
        let mut guard = self.lock();
        let conn: &Connection = guard.connection();
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM history_items WHERE op_id = ?1",
                [op],
                |r| r.get(0),
            )
            .map_err(self.db())?;
        if n == 0 {
            conn.execute("DELETE FROM history_ops WHERE id = ?1", [op])
                .map_err(self.db())?;
        }
        Ok(n > 0)
    }

    /// Records a whole operation at once (a single create, update or delete): each write
    /// is (customization id, before, after).
    pub fn record_all(
        &self,
        origin: &Origin,
        kind: OpKind,
        summary: &str,
        at: Timestamp,
        writes: &[(&str, Option<&Customization>, Option<&Customization>)],
    ) -> Result<i64, HistoryError> {
        let op = self.begin(origin, kind, summary, at)?;
        for (id, before, after) in writes {
            self.record(op, id, *before, *after)?;
        }
        self.finish(op)?;
        Ok(op)
    }

    /// Operations, newest first.
    pub fn list(&self, limit: Option<u64>) -> Result<Vec<OpRow>, HistoryError> {
        let mut guard = self.lock();
        let scope = guard.scope().clone();
        let conn: &Connection = guard.connection();
        let mut stmt = conn
            .prepare(
                "SELECT o.id, o.at, o.kind, (SELECT COUNT(*) FROM history_items i WHERE i.op_id = o.id),
                        o.summary, o.profile, o.host, o.tracker
                 FROM history_ops o WHERE o.host = ?2 AND o.tracker = ?3
                 ORDER BY o.id DESC LIMIT ?1",
            )
            .map_err(self.db())?;
        let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let rows = stmt
            .query_map(params![limit, scope.host, scope.tracker], |r| {
                let kind: String = r.get(2)?;
                Ok(OpRow {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    kind: OpKind::parse(&kind).unwrap_or(OpKind::Update),
                    count: r.get::<_, i64>(3)?.try_into().unwrap_or(0),
                    summary: r.get(4)?,
                    profile: r.get(5)?,
                    host: r.get(6)?,
                    tracker: r.get(7)?,
                })
            })
            .map_err(self.db())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.db())
    }

    /// One operation.
    pub fn op(&self, id: i64) -> Result<OpRow, HistoryError> {
        self.list(None)?
            .into_iter()
            .find(|o| o.id == id)
            .ok_or(HistoryError::NoSuchOp(id))
    }

    /// The newest operation, if any.
    pub fn last(&self) -> Result<Option<OpRow>, HistoryError> {
        Ok(self.list(Some(1))?.into_iter().next())
    }

    /// The customizations an operation wrote, in the order written.
    pub fn items(&self, op: i64) -> Result<Vec<Item>, HistoryError> {
        let mut guard = self.lock();
        let scope = guard.scope().clone();
        let conn: &Connection = guard.connection();
        let exists: Option<i64> = conn
            .query_row(
                "SELECT id FROM history_ops WHERE id = ?1 AND host = ?2 AND tracker = ?3",
                params![op, scope.host, scope.tracker],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.db())?;
        if exists.is_none() {
            return Err(HistoryError::NoSuchOp(op));
        }
        let mut stmt = conn
            .prepare(
                "SELECT seq, customization_id, before_json, after_json FROM history_items
                 WHERE op_id = ?1 ORDER BY seq",
            )
            .map_err(self.db())?;
        let rows = stmt
            .query_map([op], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })
            .map_err(self.db())?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, customization_id, before, after) = row.map_err(self.db())?;
            out.push(Item {
                seq,
                customization_id,
                before: self.parse(before)?,
                after: self.parse(after)?,
            });
        }
        Ok(out)
    }

    fn parse(&self, text: Option<String>) -> Result<Option<Customization>, HistoryError> {
        let Some(text) = text else { return Ok(None) };
        let corrupt = |message: String| HistoryError::Corrupt {
            path: self.path.clone(),
            message,
        };
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
        Customization::from_value(v)
            .map(Some)
            .ok_or_else(|| corrupt("not an object".into()))
    }

    /// Drops operations older than `keep_days` before `now`; returns how many went.
    pub fn prune(&self, keep_days: u32, now: Timestamp) -> Result<usize, HistoryError> {
        let cutoff = now
            .checked_sub(jiff::SignedDuration::from_hours(24 * i64::from(keep_days)))
            .unwrap_or(Timestamp::MIN);
        let mut guard = self.lock();
        let conn: &Connection = guard.connection();
        conn.execute(
            "DELETE FROM history_items WHERE op_id IN (SELECT id FROM history_ops WHERE at < ?1)",
            [format_at(cutoff)],
        )
        .map_err(self.db())?;
        conn.execute("DELETE FROM history_ops WHERE at < ?1", [format_at(cutoff)])
            .map_err(self.db())
    }
}

/// RFC 3339 UTC with fixed-width fractional seconds, so text order is time order.
fn format_at(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn origin() -> Origin {
        Origin {
            profile: "emu".into(),
            host: "http://127.0.0.1:1".into(),
            tracker: "1234-5678".into(),
        }
    }

    fn cust(v: serde_json::Value) -> Customization {
        Customization::from_value(v).expect("object")
    }

    fn scope() -> Scope {
        Scope::new("http://127.0.0.1:1", "1234-5678")
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("ts")
    }

    #[test]
    fn operations_and_items_survive_reopening() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = database_path(dir.path());
        let before = cust(json!({"id": "a", "z": 1, "model": "m", "x": {"b": 1, "a": 2}}));
        let after = cust(json!({"id": "a", "z": 1, "model": "n", "x": {"b": 1, "a": 2}}));
        {
            let h = History::open(&path, &scope()).expect("open");
            let op = h
                .begin(
                    &origin(),
                    OpKind::Batch,
                    "add tag x",
                    ts("2026-01-01T00:00:00Z"),
                )
                .expect("begin");
            h.record(op, "a", Some(&before), Some(&after))
                .expect("record");
            h.record(op, "b", None, Some(&after)).expect("record");
            assert!(h.finish(op).expect("finish"));
            // An operation that wrote nothing is not kept.
            let empty = h
                .begin(
                    &origin(),
                    OpKind::Batch,
                    "nothing",
                    ts("2026-01-02T00:00:00Z"),
                )
                .expect("begin");
            assert!(!h.finish(empty).expect("finish"));
        }
        let h = History::open(&path, &scope()).expect("reopen");
        // Another tracker in the same database sees none of it.
        let other = History::open(&path, &Scope::new("http://127.0.0.1:1", "9999-0000"))
            .expect("open other");
        assert!(other.list(None).expect("list").is_empty());
        drop(other);
        let ops = h.list(None).expect("list");
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].kind, OpKind::Batch);
        assert_eq!(ops[0].count, 2);
        assert_eq!(ops[0].summary, "add tag x");
        assert_eq!(ops[0].at, "2026-01-01T00:00:00.000000Z");
        let items = h.items(ops[0].id).expect("items");
        assert_eq!(items.len(), 2);
        // Exactly as recorded, key order included.
        assert_eq!(
            serde_json::to_string(&items[0].before).expect("json"),
            serde_json::to_string(&Some(&before)).expect("json")
        );
        assert_eq!(items[0].after.as_ref(), Some(&after));
        assert_eq!(items[1].before, None);
        assert_eq!(items[1].customization_id, "b");
        assert!(matches!(h.items(999), Err(HistoryError::NoSuchOp(999))));
    }

    #[test]
    fn newest_first_with_a_limit_and_pruning() {
        let h = History::in_memory(&scope()).expect("db");
        let c = cust(json!({"model": "m"}));
        for (i, day) in ["2026-01-01", "2026-03-01", "2026-03-30"]
            .iter()
            .enumerate()
        {
            h.record_all(
                &origin(),
                OpKind::Update,
                &format!("op {i}"),
                ts(&format!("{day}T00:00:00Z")),
                &[("a", Some(&c), Some(&c))],
            )
            .expect("record");
        }
        let ops = h.list(Some(2)).expect("list");
        assert_eq!(
            ops.iter().map(|o| o.summary.as_str()).collect::<Vec<_>>(),
            ["op 2", "op 1"]
        );
        assert_eq!(
            h.last().expect("last").map(|o| o.summary),
            Some("op 2".into())
        );
        let gone = h.prune(30, ts("2026-03-31T00:00:00Z")).expect("prune");
        assert_eq!(gone, 1);
        assert_eq!(h.list(None).expect("list").len(), 2);
    }
}
