use super::*;
use serde_json::json;

fn scope() -> Scope {
    Scope::new("http://127.0.0.1:1", "t-1")
}

fn cust(id: &str, identity: &str, title: &str, pins: Value) -> Value {
    json!({
        "id": id,
        "model": "basket",
        "target_type": "item",
        "target_identity": identity,
        "target_metadata": {"title": title},
        "tags": ["summer"],
        "pin_definitions": pins,
        "created_at": "2026-01-01T00:00:00Z",
        "zz_unknown": {"kept": true}
    })
}

fn export_of(rows: &[Value]) -> String {
    json!({ "results": rows }).to_string()
}

fn synced(rows: &[Value]) -> Mirror {
    let mut m = Mirror::open_in_memory(&scope()).expect("open");
    m.sync_from_reader(export_of(rows).as_bytes(), &mut |_| {})
        .expect("sync");
    m
}

#[test]
fn sync_keeps_the_exact_json_and_counts() {
    let raw = r#"{"results":[{"zeta":1,"id":"a1","model":"m","target_type":"all","pin_definitions":[{"position":1,"pin_type":"item","pin_identity":"/p/1"}],"alpha":{"b":1,"a":2}}],"extra":[1,2]}"#;
    let mut m = Mirror::open_in_memory(&scope()).expect("open");
    let mut seen = Vec::new();
    let stats = m
        .sync_from_reader(raw.as_bytes(), &mut |n| seen.push(n))
        .expect("sync");
    assert_eq!(
        stats,
        SyncStats {
            customizations: 1,
            pins: 1
        }
    );
    assert_eq!(seen.last(), Some(&1));
    let got = m.get("a1").expect("get").expect("row");
    assert_eq!(
        got.json,
        r#"{"zeta":1,"id":"a1","model":"m","target_type":"all","pin_definitions":[{"position":1,"pin_type":"item","pin_identity":"/p/1"}],"alpha":{"b":1,"a":2}}"#
    );
    assert!(m.synced_at().expect("synced").is_some());
    // Many at once, in the order asked, `None` for an id it does not hold.
    let many = m
        .get_many(&["nope".to_string(), "a1".to_string()])
        .expect("get_many");
    assert_eq!(many.len(), 2);
    assert!(many[0].is_none());
    assert_eq!(
        many[1].as_ref().map(|s| s.json.as_str()),
        Some(got.json.as_str())
    );
}

#[test]
fn a_cut_or_bad_body_leaves_the_old_rows() {
    let mut m = synced(&[cust("old-1", "/p/1", "Old", json!([]))]);
    let full = export_of(&[
        cust("new-1", "/p/2", "New", json!([])),
        cust("new-2", "/p/3", "New", json!([])),
    ]);
    for bad in [
        &full[..full.len() / 2],
        "{\"results\": 3}",
        "[1,2]",
        "{\"other\": []}",
        "{\"results\": [1]}",
        "{\"results\": [{\"no_id\": 1}]}",
    ] {
        let err = m
            .sync_from_reader(bad.as_bytes(), &mut |_| {})
            .expect_err(bad);
        assert!(matches!(err, MirrorError::Export(_)), "{bad}: {err}");
        assert_eq!(m.count().expect("count"), 1, "{bad}");
        assert!(m.get("old-1").expect("get").is_some());
        assert_eq!(m.search("Old", 10).expect("search").len(), 1);
    }
    m.sync_from_reader(full.as_bytes(), &mut |_| {})
        .expect("sync");
    assert_eq!(m.count().expect("count"), 2);
    assert!(m.get("old-1").expect("get").is_none());
    assert!(m.search("Old", 10).expect("search").is_empty());
}

#[test]
fn a_bad_row_deep_in_the_body_leaves_the_old_mirror_and_its_indexes() {
    let mut m = synced(&[cust("old-1", "/p/1", "Old", json!([]))]);
    m.conn
        .execute_batch("PRAGMA foreign_keys = ON")
        .expect("foreign keys");
    // Far more good rows than the reading thread runs ahead of the writer, then a bad one.
    let mut rows: Vec<Value> = (0..700)
        .map(|i| cust(&format!("new-{i}"), &format!("/p/{i}"), "New", json!([])))
        .collect();
    rows.push(json!({"no_id": 1}));
    let err = m
        .sync_from_reader(export_of(&rows).as_bytes(), &mut |_| {})
        .expect_err("bad row");
    assert!(err.to_string().contains("result 701"), "{err}");
    assert_eq!(m.count().expect("count"), 1);
    assert_eq!(m.search("Old", 10).expect("search").len(), 1);
    let indexes: i64 = m
        .conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' \
             AND name IN ('customizations_browse', 'pins_identity', 'pins_tracker')",
            [],
            |r| r.get(0),
        )
        .expect("indexes");
    assert_eq!(
        indexes, 3,
        "the dropped indexes came back with the rollback"
    );
    // The sync turns foreign keys off for itself only.
    let fk: bool = m
        .conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .expect("pragma");
    assert!(fk);
    rows.pop();
    m.sync_from_reader(export_of(&rows).as_bytes(), &mut |_| {})
        .expect("sync");
    assert_eq!(m.count().expect("count"), 700);
    assert_eq!(m.where_pinned("/p/9").expect("where").len(), 0);
    assert_eq!(m.search("new-699", 10).expect("search").len(), 1);
    assert_eq!(m.search("new-69", 20).expect("search").len(), 11);
}

#[test]
fn search_finds_prefixes_across_fields_best_first() {
    let m = synced(&[
        cust(
            "aaaa1111-0000-4000-8000-000000000001",
            "/p/274",
            "Fender Telecaster",
            json!([]),
        ),
        cust(
            "bbbb2222-0000-4000-8000-000000000002",
            "/p/9",
            "Gibson",
            json!([{"position": 1, "pin_type": "item", "pin_identity": "/p/telecaster-case", "widget_id": "w-home"}]),
        ),
        json!({"id": "cccc3333-0000-4000-8000-000000000003", "model": "home", "target_type": "criteria",
               "target_criteria": {"brand": "Fender"}, "pin_definitions": [], "tags": ["clearance"]}),
    ]);
    let ids = |q: &str| -> Vec<String> {
        m.search(q, 10)
            .expect("search")
            .into_iter()
            .map(|s| s.id)
            .collect()
    };
    assert_eq!(
        ids("Fender Telecaster"),
        ["aaaa1111-0000-4000-8000-000000000001"]
    );
    assert_eq!(ids("/p/27"), ["aaaa1111-0000-4000-8000-000000000001"]);
    // The title match ranks above the pin match.
    assert_eq!(
        ids("telecaster"),
        [
            "aaaa1111-0000-4000-8000-000000000001",
            "bbbb2222-0000-4000-8000-000000000002"
        ]
    );
    assert_eq!(ids("w-home"), ["bbbb2222-0000-4000-8000-000000000002"]);
    // A word with `-` is found whole, from its start, or by any of its parts.
    assert_eq!(
        ids("telecaster-c"),
        ["bbbb2222-0000-4000-8000-000000000002"]
    );
    assert_eq!(ids("case"), ["bbbb2222-0000-4000-8000-000000000002"]);
    assert!(ids("home").contains(&"bbbb2222-0000-4000-8000-000000000002".to_string()));
    assert_eq!(ids("brand"), ["cccc3333-0000-4000-8000-000000000003"]);
    assert_eq!(ids("clearance"), ["cccc3333-0000-4000-8000-000000000003"]);
    assert_eq!(ids("bbbb22"), ["bbbb2222-0000-4000-8000-000000000002"]);
    // Ids with their dashes, in part or whole.
    assert_eq!(ids("bbbb2222-00"), ["bbbb2222-0000-4000-8000-000000000002"]);
    assert_eq!(
        ids("aaaa1111-0000-4000-8000-000000000001"),
        ["aaaa1111-0000-4000-8000-000000000001"]
    );
    assert_eq!(
        ids("fender aaaa1111-0000"),
        ["aaaa1111-0000-4000-8000-000000000001"]
    );
    assert!(ids("\"*:()").is_empty());
    assert!(ids("nothing-like-it").is_empty());
    assert_eq!(m.search("fender", 1).expect("search").len(), 1);
}

#[test]
fn where_pinned_lists_every_pin_of_an_item_with_its_state() {
    let m = synced(&[
        cust(
            "a",
            "/p/1",
            "A",
            json!([
                {"position": 1, "pin_type": "item", "pin_identity": "/p/555", "active_to": "2000-01-01T00:00:00Z"},
                {"position": -1, "pin_type": "item", "pin_identity": "/p/6"},
                {"position": 0, "pin_type": "item", "pin_identity": "/p/555", "widget_id": "w1", "active_from": "2999-01-01T00:00:00+02:00"}
            ]),
        ),
        cust(
            "b",
            "/p/2",
            "B",
            json!([{"position": -1, "pin_type": "item", "pin_identity": "/p/555"}]),
        ),
        cust(
            "c",
            "/p/3",
            "C",
            json!([{"position": 2, "pin_type": "item", "pin_identity": "/p/5550"}]),
        ),
    ]);
    let pins = m.where_pinned("/p/555").expect("where");
    let now = Timestamp::now();
    type Seen<'a> = (&'a str, i64, Option<&'a str>, Option<&'a str>, &'a str);
    let got: Vec<Seen<'_>> = pins
        .iter()
        .map(|p| {
            (
                p.id.as_str(),
                p.index,
                p.kind.as_deref(),
                p.widget_id.as_deref(),
                p.state_at(now).as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("a", 0, Some("slot"), None, "expired"),
            ("a", 2, Some("block"), Some("w1"), "scheduled"),
            ("b", 0, Some("global"), None, "active"),
        ]
    );
    assert_eq!(pins[1].active_from, Some(32_472_136_800));
    assert!(m.where_pinned("/p/none").expect("where").is_empty());
}

#[test]
fn short_ids_resolve_unique_ambiguous_unknown() {
    let m = synced(&[
        cust(
            "3f2a1b4c-0000-4000-8000-000000000001",
            "/p/1",
            "x",
            json!([]),
        ),
        cust(
            "3f2a1b4c-0000-4000-8000-000000000002",
            "/p/2",
            "x",
            json!([]),
        ),
        cust(
            "9e8d7c6b-0000-4000-8000-000000000003",
            "/p/3",
            "x",
            json!([]),
        ),
    ]);
    assert_eq!(
        m.resolve_short_id("9e8d7c6b").expect("resolve"),
        ShortId::Unique("9e8d7c6b-0000-4000-8000-000000000003".into())
    );
    assert_eq!(
        m.resolve_short_id("9E8D").expect("resolve"),
        ShortId::Unique("9e8d7c6b-0000-4000-8000-000000000003".into())
    );
    assert_eq!(
        m.resolve_short_id("3f2a1b4c").expect("resolve"),
        ShortId::Ambiguous(vec![
            "3f2a1b4c-0000-4000-8000-000000000001".into(),
            "3f2a1b4c-0000-4000-8000-000000000002".into()
        ])
    );
    assert_eq!(
        m.resolve_short_id("3f2a1b4c-0000-4000-8000-000000000002")
            .expect("resolve"),
        ShortId::Unique("3f2a1b4c-0000-4000-8000-000000000002".into())
    );
    assert_eq!(
        m.resolve_short_id("deadbeef").expect("resolve"),
        ShortId::Unknown
    );
    assert_eq!(m.resolve_short_id("").expect("resolve"), ShortId::Unknown);
}

#[test]
fn upsert_and_remove_keep_rows_true() {
    let mut m = synced(&[cust("a", "/p/1", "Old title", json!([]))]);
    let new = cust(
        "a",
        "/p/1",
        "Brand new",
        json!([{"position": 3, "pin_type": "item", "pin_identity": "/p/77"}]),
    );
    m.upsert_json(&new.to_string()).expect("upsert");
    assert_eq!(m.count().expect("count"), 1);
    assert!(m.search("Old", 5).expect("search").is_empty());
    assert_eq!(m.search("brand", 5).expect("search").len(), 1);
    assert_eq!(m.where_pinned("/p/77").expect("where").len(), 1);
    let c = Customization::from_value(cust("b", "/p/2", "Other", json!([]))).expect("object");
    m.upsert(&c).expect("upsert");
    assert_eq!(m.count().expect("count"), 2);
    assert!(m.remove("a").expect("remove"));
    assert!(!m.remove("a").expect("remove"));
    assert!(m.where_pinned("/p/77").expect("where").is_empty());
    assert!(m.search("brand", 5).expect("search").is_empty());
    assert_eq!(m.count().expect("count"), 1);
    let err = m.upsert_json("{\"no\": \"id\"}").expect_err("no id");
    assert!(matches!(err, MirrorError::Export(_)));
}

#[test]
fn scopes_do_not_see_each_other() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("m.sqlite3");
    let mut a = Mirror::open(&path, &Scope::new("h", "one")).expect("open");
    let mut b = Mirror::open(&path, &Scope::new("h", "two")).expect("open");
    a.sync_from_reader(
        export_of(&[cust("x1", "/p/1", "Shared word", json!([]))]).as_bytes(),
        &mut |_| {},
    )
    .expect("sync");
    b.sync_from_reader(
        export_of(&[cust("y1", "/p/1", "Shared word", json!([]))]).as_bytes(),
        &mut |_| {},
    )
    .expect("sync");
    // A second sync of b (the per-row FTS delete path) leaves a alone.
    b.sync_from_reader(export_of(&[]).as_bytes(), &mut |_| {})
        .expect("sync");
    assert_eq!(a.count().expect("count"), 1);
    assert_eq!(b.count().expect("count"), 0);
    assert_eq!(a.search("shared", 5).expect("search").len(), 1);
    assert!(b.search("shared", 5).expect("search").is_empty());
    assert_eq!(a.resolve_short_id("y").expect("resolve"), ShortId::Unknown);
}

#[test]
fn iterators_walk_everything() {
    let m = synced(&[
        cust(
            "a",
            "/p/1",
            "A",
            json!([{"position": 1, "pin_type": "item", "pin_identity": "/p/5"},
                   {"position": 2, "pin_type": "criteria", "pin_criteria": {"k": "v"}}]),
        ),
        cust(
            "b",
            "/p/2",
            "B",
            json!([{"position": 1, "pin_type": "item", "pin_identity": "/p/6"}]),
        ),
    ]);
    let mut ids = Vec::new();
    m.for_each_customization(|s| {
        ids.push((s.id.clone(), s.tags.clone(), s.pin_count));
        Ok::<(), MirrorError>(())
    })
    .expect("walk");
    assert_eq!(
        ids,
        [
            ("a".to_string(), vec!["summer".to_string()], 2),
            ("b".to_string(), vec!["summer".to_string()], 1)
        ]
    );
    let mut pins = Vec::new();
    m.for_each_pin(|p| {
        pins.push((p.id, p.index, p.pin_identity, p.pin_criteria));
        Ok::<(), MirrorError>(())
    })
    .expect("walk");
    assert_eq!(
        pins,
        [
            ("a".into(), 0, Some("/p/5".into()), None),
            ("a".into(), 1, None, Some("{\"k\":\"v\"}".into())),
            ("b".into(), 0, Some("/p/6".into()), None)
        ]
    );
}

#[cfg(unix)]
#[test]
fn the_file_and_its_dir_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fresh").join(FILE_NAME);
    let m = Mirror::open(&path, &scope()).expect("open");
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().expect("dir")), 0o700);
    let journal: String = m
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("mode");
    assert_eq!(journal, "wal");
}

#[test]
fn a_damaged_file_names_itself_and_the_way_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(FILE_NAME);
    std::fs::write(&path, vec![b'x'; 8192]).expect("write");
    let err = Mirror::open(&path, &scope()).expect_err("corrupt");
    let msg = err.to_string();
    assert!(matches!(err, MirrorError::Corrupt { .. }), "{msg}");
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("pinscope sync --rebuild"), "{msg}");
    let (m, moved) = Mirror::rebuild(&path, &scope()).expect("rebuild");
    assert_eq!(m.count().expect("count"), 0);
    // The damaged file is kept aside, not deleted.
    let moved = moved.expect("moved aside");
    assert_eq!(std::fs::read(&moved).expect("old file"), vec![b'x'; 8192]);
}

#[test]
fn a_newer_schema_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(FILE_NAME);
    {
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 999;")
            .expect("future");
    }
    let before = std::fs::read(&path).expect("read");
    let err = Mirror::open(&path, &scope()).expect_err("newer");
    assert!(
        matches!(err, MirrorError::Newer { found: 999, .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&path.display().to_string()));
    let conn = Connection::open(&path).expect("open");
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(v, 999);
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .expect("tables");
    assert_eq!(tables, 1, "nothing was added");
    drop(conn);
    assert_eq!(before.len(), std::fs::read(&path).expect("read").len());
}

/// Data a database at `version` holds, written with that version's schema; each new
/// migration adds an arm so that every earlier version is opened by the latest code.
fn seed_at(conn: &Connection, version: i64) {
    match version {
        0 => {}
        1 => {
            conn.execute_batch(
                r#"INSERT INTO trackers (id, host, tracker, synced_at) VALUES (1, 'h', 't', 1700000000);
                   INSERT INTO customizations (rid, tracker, id, model, target_type, target_identity,
                       tags, pin_count, json)
                   VALUES (1, 1, '3fa85f64-5717-4562-b3fc-2c963f66afa6', 'basket', 'item', '/p/1', '["x"]', 1,
                       '{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","model":"basket","target_type":"item","target_identity":"/p/1","target_metadata":{"title":"Fender Telecaster"},"pin_definitions":[{"position":1,"pin_type":"item","pin_identity":"/p/9"}]}');
                   INSERT INTO pins (tracker, cust, idx, position, kind, pin_type, pin_identity)
                   VALUES (1, 1, 0, 1, 'slot', 'item', '/p/9');
                   INSERT INTO customizations_fts (rowid, identity, title, body, pins, id)
                   VALUES (1, '/p/1', '', 'basket x', '/p/9', '3fa85f64-5717-4562-b3fc-2c963f66afa6');"#,
            )
            .expect("seed v1");
        }
        // 2 added the history tables; the rows of 1 are what browse and search read.
        2 => seed_at(conn, 1),
        // 3 added browse's indexes; 4 made the full-text index anew from the JSON.
        3 => seed_at(conn, 1),
        v => panic!("no seed for version {v}: add one with the migration"),
    }
}

#[test]
fn every_earlier_version_migrates_to_the_latest() {
    for from in 0..schema::LATEST {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        {
            let mut conn = Connection::open(&path).expect("open");
            schema::migrate_to(&mut conn, from).expect("migrate");
            assert_eq!(schema::version(&conn).expect("version"), from);
            seed_at(&conn, from);
        }
        let m = Mirror::open(&path, &Scope::new("h", "t")).expect("open latest");
        assert_eq!(
            schema::version(&m.conn).expect("version"),
            schema::LATEST,
            "from {from}"
        );
        if from >= 1 {
            assert_eq!(m.count().expect("count"), 1, "from {from}");
            assert_eq!(m.where_pinned("/p/9").expect("where").len(), 1);
            assert_eq!(m.search("basket", 5).expect("search").len(), 1);
            assert!(m.synced_at().expect("synced").is_some());
            let q = super::browse::BrowseQuery {
                models: vec!["basket".into()],
                ..Default::default()
            };
            assert_eq!(m.browse_count(&q).expect("browse count"), 1, "from {from}");
            assert_eq!(
                m.browse_ids(&q, 0, None).expect("browse ids"),
                ["3fa85f64-5717-4562-b3fc-2c963f66afa6"]
            );
            // The full-text index was filled anew from the stored JSON: the title, which
            // the seeded full-text row lacks, is found, and so is the id by a prefix.
            assert_eq!(
                m.search("telecast", 5).expect("search").len(),
                1,
                "from {from}"
            );
            assert_eq!(m.search("3fa85f64-57", 5).expect("search").len(), 1);
        }
        let has = |name: &str| -> bool {
            m.conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE name = ?1",
                    [name],
                    |r| r.get::<_, i64>(0),
                )
                .expect("index")
                == 1
        };
        assert!(!has("customizations_created"), "from {from}");
        assert!(has("customizations_browse"), "from {from}");
    }
}

#[test]
fn two_connections_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(FILE_NAME);
    let mut a = Mirror::open(&path, &scope()).expect("open a");
    let mut b = Mirror::open(&path, &scope()).expect("open b");
    a.sync_from_reader(
        export_of(&[cust("one", "/p/1", "t", json!([]))]).as_bytes(),
        &mut |_| {},
    )
    .expect("sync");
    assert!(b.get("one").expect("b reads").is_some());
    b.upsert_json(&cust("two", "/p/2", "t", json!([])).to_string())
        .expect("b writes");
    assert_eq!(a.count().expect("a reads"), 2);
    // A writer on another thread while this one holds a read transaction.
    let path2 = path.clone();
    let writer = std::thread::spawn(move || {
        let mut c = Mirror::open(&path2, &scope()).expect("open c");
        for i in 0..50 {
            c.upsert_json(&cust(&format!("w{i}"), "/p/3", "t", json!([])).to_string())
                .expect("c writes");
        }
    });
    for _ in 0..50 {
        a.search("t", 100).expect("a searches");
    }
    writer.join().expect("writer");
    assert_eq!(a.count().expect("count"), 52);
}

#[test]
fn compound_words_are_indexed_whole_and_by_every_part() {
    let mut out = String::new();
    super::push_text(&mut out, "w-home-top and staff_pick, --x-");
    assert_eq!(out, "w-home-top and staff_pick, --x- home-top top pick x-");
    super::push_text(&mut out, "plain");
    assert!(out.ends_with(" plain"));
}

#[test]
fn fts_query_quotes_every_word() {
    assert_eq!(fts_query("/p/27"), Some("\"/p/27\"*".into()));
    assert_eq!(
        fts_query("say \"hi\" now"),
        Some("\"say\"* AND \"\"\"hi\"\"\"* AND \"now\"*".into())
    );
    assert_eq!(fts_query("  -- * "), None);
    // `-` and `_` stay inside a word, and go at its ends.
    assert_eq!(
        fts_query("3fa8-57 -x_"),
        Some("\"3fa8-57\"* AND \"x\"*".into())
    );
    assert_eq!(fts_query("w-home"), Some("\"w-home\"*".into()));
    assert_eq!(fts_query("- _"), None);
}

#[test]
fn ages_in_words_and_stale_marks() {
    assert_eq!(age_words(Duration::from_secs(12)), "12 s");
    assert_eq!(age_words(Duration::from_secs(185)), "3 min");
    assert_eq!(age_words(Duration::from_secs(7300)), "2 h");
    assert_eq!(age_words(Duration::from_secs(86_400)), "1 day");
    assert_eq!(age_words(Duration::from_secs(3 * 86_400)), "3 days");
    let mut m = synced(&[]);
    let later = Timestamp::now() + jiff::SignedDuration::from_secs(600);
    let age = m.age_at(later).expect("age").expect("synced");
    assert!((599..=601).contains(&age.as_secs()), "{age:?}");
    m.mark_stale().expect("stale");
    assert_eq!(m.age_at(later).expect("age"), None);
}

#[test]
fn a_host_written_two_ways_is_one_scope() {
    assert_eq!(
        Scope::new("HTTP://127.0.0.1:7700/", "t"),
        Scope::new("http://127.0.0.1:7700", "t")
    );
    assert_eq!(
        Scope::new("https://live.luigisbox.com", "t").host,
        "https://live.luigisbox.com"
    );
}

#[test]
fn search_keeps_to_its_tracker_when_the_database_holds_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(FILE_NAME);
    let mut a = Mirror::open(&path, &scope()).expect("open a");
    a.sync_from_reader(
        export_of(&[cust("a-1", "/p/1", "Telecaster", json!([]))]).as_bytes(),
        &mut |_| {},
    )
    .expect("sync a");
    // Alone in the database: ranked on the index alone.
    let hits: Vec<String> = a
        .search("tele", 10)
        .expect("search")
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(hits, ["a-1"]);
    let mut b = Mirror::open(&path, &Scope::new("http://127.0.0.1:1", "t-2")).expect("open b");
    b.sync_from_reader(
        export_of(&[
            cust("b-1", "/p/1", "Telecaster", json!([])),
            cust("b-2", "/p/2", "Telecaster Deluxe", json!([])),
        ])
        .as_bytes(),
        &mut |_| {},
    )
    .expect("sync b");
    let ids = |m: &Mirror| -> Vec<String> {
        m.search("tele", 10)
            .expect("search")
            .into_iter()
            .map(|s| s.id)
            .collect()
    };
    assert_eq!(ids(&a), ["a-1"]);
    let mut got = ids(&b);
    got.sort();
    assert_eq!(got, ["b-1", "b-2"]);
}
