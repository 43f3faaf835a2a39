//! The database's schema: a list of migrations, one SQL script per version.
//!
//! `PRAGMA user_version` holds the version a database is at. Opening a database runs the
//! scripts after that version in one transaction each; a database at a version above
//! [`LATEST`] was written by a newer pinscope and is refused untouched.
//!
//! To change the schema, append a script to [`MIGRATIONS`] (never edit one that shipped) and
//! extend the migration test in `mirror::tests`, which opens a database left at every
//! earlier version.

use rusqlite::Connection;

/// The scripts, in order: `MIGRATIONS[0]` takes an empty database to version 1.
pub const MIGRATIONS: &[&str] = &[
    // 1: trackers, customizations (exact JSON + the columns queries need), pins, full text.
    r#"
CREATE TABLE trackers (
    id        INTEGER PRIMARY KEY,
    host      TEXT NOT NULL,
    tracker   TEXT NOT NULL,
    -- epoch seconds of the last complete sync, NULL before the first
    synced_at INTEGER,
    UNIQUE (host, tracker)
);

CREATE TABLE customizations (
    rid             INTEGER PRIMARY KEY,
    tracker         INTEGER NOT NULL REFERENCES trackers(id),
    id              TEXT NOT NULL,
    model           TEXT,
    target_type     TEXT,
    target_identity TEXT,
    -- the criteria object as compact JSON
    target_criteria TEXT,
    title           TEXT,
    -- the tags as a JSON array
    tags            TEXT NOT NULL DEFAULT '[]',
    created_at      TEXT,
    pin_count       INTEGER NOT NULL DEFAULT 0,
    -- the customization exactly as the service sent it
    json            TEXT NOT NULL,
    UNIQUE (tracker, id)
);
CREATE INDEX customizations_created ON customizations(tracker, created_at);
CREATE INDEX customizations_target ON customizations(tracker, target_identity);

CREATE TABLE pins (
    tracker      INTEGER NOT NULL,
    cust         INTEGER NOT NULL,
    idx          INTEGER NOT NULL,
    position     INTEGER,
    -- slot, global or block
    kind         TEXT,
    pin_type     TEXT,
    pin_identity TEXT,
    pin_criteria TEXT,
    widget_id    TEXT,
    -- epoch seconds; NULL is an open bound
    active_from  INTEGER,
    active_to    INTEGER,
    PRIMARY KEY (cust, idx)
) WITHOUT ROWID;
CREATE INDEX pins_identity ON pins(pin_identity, tracker);
CREATE INDEX pins_tracker ON pins(tracker);

-- rowid = customizations.rid
CREATE VIRTUAL TABLE customizations_fts USING fts5(
    identity, title, body, pins, id,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
"#,
    // 2: the history of writes (`mirror::history`): one row an operation, one row a
    // customization it wrote, with the exact JSON before and after (NULL: absent).
    r#"
CREATE TABLE history_ops (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    profile  TEXT NOT NULL,
    host     TEXT NOT NULL,
    tracker  TEXT NOT NULL,
    kind     TEXT NOT NULL,
    summary  TEXT NOT NULL
);
CREATE INDEX history_ops_scope ON history_ops(host, tracker, id);
CREATE INDEX history_ops_at ON history_ops(at);

CREATE TABLE history_items (
    op_id            INTEGER NOT NULL REFERENCES history_ops(id) ON DELETE CASCADE,
    seq              INTEGER NOT NULL,
    customization_id TEXT NOT NULL,
    before_json      TEXT,
    after_json       TEXT,
    PRIMARY KEY (op_id, seq)
) WITHOUT ROWID;
"#,
    // 3: browse reads the mirror: the indexes of [`BROWSE_INDEXES`].
    BROWSE_INDEXES,
    // 4: a cheaper full-text index. `-` and `_` are part of words, so that `w-home` or an
    // id is one token (each part of such a word is indexed too: `mirror::push_text`); the
    // metadata's keys and its title (which has its own column) are left out of `body`.
    // [`after_step`] fills the new index from the stored JSON in the same transaction.
    // `customizations_created` goes: the browse index starts with the same columns.
    r#"
DROP INDEX IF EXISTS customizations_created;
DROP TABLE customizations_fts;
CREATE VIRTUAL TABLE customizations_fts USING fts5(
    identity, title, body, pins, id,
    content = '', contentless_delete = 1,
    tokenize = "unicode61 remove_diacritics 2 tokenchars '-_'",
    prefix = '2 3'
);
"#,
];

/// What a step needs beyond its script, run in the step's transaction after it: migration
/// 4 fills the full-text index it made anew.
fn after_step(tx: &rusqlite::Transaction<'_>, version: i64) -> rusqlite::Result<()> {
    if version == 4 {
        super::reindex_fts(tx)?;
    }
    Ok(())
}

/// Migration 3. One index holds every column browse filters and sorts by, in its default
/// order (newest first, ties by id), so a count, a filter or the ids of a whole view read
/// the index and never the rows with their JSON; a window reads only its own rows. A sync
/// drops these and builds them again after the rows are in ([`DROP_SECONDARY_INDEXES`]):
/// building an index once is cheaper than keeping it up to date row by row. A later
/// migration that changes them must change this script's use in the sync too.
pub const BROWSE_INDEXES: &str = r#"
CREATE INDEX customizations_browse ON customizations(
    tracker, created_at, id, model, target_type, target_identity, pin_count, tags
);
-- the widget filter: the pins of a widget, with their customization, from the index alone
CREATE INDEX pins_widget ON pins(widget_id, tracker);
-- the pin state filters: pins ending in a window (expired, ending within N days) by range
CREATE INDEX pins_window ON pins(active_to, active_from, tracker);
"#;

/// The other secondary indexes of the latest version, as migration 1 made them: a target's
/// customizations, an item's pins, a tracker's pins.
pub const LOOKUP_INDEXES: &str = r#"
CREATE INDEX customizations_target ON customizations(tracker, target_identity);
CREATE INDEX pins_identity ON pins(pin_identity, tracker);
CREATE INDEX pins_tracker ON pins(tracker);
"#;

/// Drops every index [`BROWSE_INDEXES`] and [`LOOKUP_INDEXES`] make: a sync does, and
/// makes them again once the rows are in (building an index from sorted rows is cheaper
/// than keeping it up to date through 100,000 inserts in random order).
pub const DROP_SECONDARY_INDEXES: &str = "DROP INDEX IF EXISTS customizations_browse; \
     DROP INDEX IF EXISTS pins_widget; DROP INDEX IF EXISTS pins_window; \
     DROP INDEX IF EXISTS customizations_target; DROP INDEX IF EXISTS pins_identity; \
     DROP INDEX IF EXISTS pins_tracker;";

/// The version this build writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// What [`migrate`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migrated {
    /// Already at [`LATEST`], or brought there.
    Ok,
    /// At this version, above [`LATEST`]: nothing was changed.
    Newer(i64),
}

/// The database's `user_version`.
pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Brings the database to `target` (at most [`LATEST`]), one transaction a step.
pub fn migrate_to(conn: &mut Connection, target: i64) -> rusqlite::Result<Migrated> {
    let mut at = version(conn)?;
    if at > LATEST {
        return Ok(Migrated::Newer(at));
    }
    while at < target.min(LATEST) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have migrated while this one waited for the lock.
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now > at {
            at = now;
            tx.commit()?;
            continue;
        }
        let script = MIGRATIONS[at as usize];
        tx.execute_batch(script)?;
        at += 1;
        after_step(&tx, at)?;
        tx.pragma_update(None, "user_version", at)?;
        tx.commit()?;
    }
    if at > LATEST {
        return Ok(Migrated::Newer(at));
    }
    Ok(Migrated::Ok)
}

/// Brings the database to [`LATEST`].
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<Migrated> {
    migrate_to(conn, LATEST)
}
