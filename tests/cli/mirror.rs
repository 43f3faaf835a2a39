//! The mirror from the command line: sync, search, where, short ids, writes that keep it
//! true, a cut export, two processes at once, a damaged or newer database.

use std::io::{Read, Write};
use std::net::TcpListener;

use pinscope::api::{Client, ClientConfig, Secret};
use pinscope::mirror::{self, Mirror, MirrorError, Scope};
use serde_json::{Value, json};

use crate::harness::{Emu, Env, KEY, TRACKER, item, path_str, write_json};

const P1: &str = "f3a1c2d4-1111-4111-8111-111111111111";
const P2: &str = "f3a1c2d4-2222-4222-8222-222222222222";
const P3: &str = "0badc0de-3333-4333-8333-333333333333";

/// A generated tracker of `n` customizations with three planted ones in the middle.
fn planted(n: u64) -> Vec<Value> {
    let mut rows: Vec<Value> = mirror::generate::tracker(n, 7).collect();
    let p1 = json!({
        "id": P1, "created_at": "2025-03-01T00:00:00Z",
        "model": "basket", "target_type": "item", "target_identity": "/p/274",
        "target_metadata": {"title": "Fender Telecaster Thinline"},
        "tags": ["guitars"],
        "pin_definitions": [
            {"position": 3, "pin_type": "item", "pin_identity": "/p/555", "widget_id": "w-x",
             "active_from": "2020-01-01T00:00:00Z", "active_to": "2999-01-01T00:00:00Z"}
        ]
    });
    let p2 = json!({
        "id": P2, "created_at": "2025-03-02T00:00:00Z",
        "model": "home", "target_type": "criteria", "target_criteria": {"brand": "Fender"},
        "pin_definitions": [
            {"position": -1, "pin_type": "item", "pin_identity": "/p/555",
             "active_to": "2001-01-01T00:00:00Z"},
            {"position": 0, "pin_type": "item", "pin_identity": "/p/556", "is_block_pin": true}
        ]
    });
    let p3 = json!({
        "id": P3, "created_at": "2025-03-03T00:00:00Z",
        "model": "basket", "target_type": "item", "target_identity": "/p/999999",
        "target_metadata": {"title": "Gretsch Falcon"},
        "pin_definitions": []
    });
    let mid = rows.len() / 2;
    rows.insert(mid, p3);
    rows.insert(mid, p2);
    rows.insert(mid, p1);
    rows
}

fn ids(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn sync_search_where_and_short_ids() {
    let emu = Emu::with_rows(planted(3000));
    let env = Env::for_emu(&emu, "");
    env.run(&["sync"])
        .ok()
        .stderr_has("synced 3003 customizations");
    let db = env.data.join(mirror::FILE_NAME);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&db).expect("db").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    // Search across the whole tracker, far beyond any first page.
    let hits = env.run(&["search", "Fender", "Telecaster"]).ok().ndjson();
    assert_eq!(ids(&hits), [P1]);
    assert_eq!(
        hits[0]["target_metadata"]["title"],
        "Fender Telecaster Thinline"
    );
    assert_eq!(hits[0]["available"], true, "the service's fields are kept");
    assert_eq!(
        ids(&env.run(&["search", "/p/27"]).ok().ndjson()),
        [P1],
        "an identity prefix"
    );
    let mut fender = ids(&env.run(&["search", "fender"]).ok().ndjson());
    fender.sort();
    assert_eq!(fender, [P1, P2], "the title and the criteria");
    assert_eq!(
        env.run(&["search", "guitar", "--limit", "5"])
            .ok()
            .ndjson()
            .len(),
        5
    );
    env.run(&["search", "--", "--"]).code(2);

    // Where: every pin of the item, with exactly the fields.
    let pins = env.run(&["where", "/p/555"]).ok().ndjson();
    assert_eq!(pins.len(), 2, "{pins:?}");
    let by_id = |id: &str| {
        pins.iter()
            .find(|p| p["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {pins:?}"))
    };
    assert_eq!(
        by_id(P1),
        &json!({"id": P1, "model": "basket", "target_type": "item",
                "target_identity": "/p/274", "position": 3, "widget_id": "w-x",
                "active_from": "2020-01-01T00:00:00Z", "active_to": "2999-01-01T00:00:00Z",
                "state": "active"})
    );
    assert_eq!(
        by_id(P2),
        &json!({"id": P2, "model": "home", "target_type": "criteria",
                "target_criteria": {"brand": "Fender"}, "position": -1, "widget_id": null,
                "active_from": null, "active_to": "2001-01-01T00:00:00Z",
                "state": "expired"})
    );
    assert!(env.run(&["where", "/p/none"]).ok().stdout.is_empty());

    // Short ids: unique, ambiguous (candidates listed), unknown, not an id.
    let got = env.run(&["get", "0badc0de"]).ok().json();
    assert_eq!(got["id"], P3);
    let amb = env.run(&["get", "f3a1c2d4"]);
    amb.code(2).stderr_has(P1).stderr_has(P2);
    assert!(amb.stdout.is_empty());
    env.run(&["get", "deadbeef"])
        .code(2)
        .stderr_has("no customization id starts with");
    env.run(&["get", "not-an-id!"])
        .code(2)
        .stderr_has("not a customization id");
    env.run(&["delete", "f3a1", "--yes"]).code(2);
    assert_eq!(emu.count(), 3003, "nothing was deleted");

    // Writes keep the mirror true without a sync.
    env.run(&["delete", "0badc0de", "--yes"])
        .ok()
        .stderr_has(&format!("deleted {P3}"));
    assert_eq!(emu.count(), 3002);
    assert!(env.run(&["search", "Gretsch"]).ok().stdout.is_empty());
    env.run(&["get", "0badc0de"]).code(2);

    let file = write_json(
        &env,
        "new.json",
        &item("basket", "/p/424242", &["rosewood"]),
    );
    let created = env.run(&["create", path_str(&file)]).ok().json();
    let new_id = created["id"].as_str().expect("id").to_string();
    assert_eq!(
        ids(&env.run(&["search", "rosewood"]).ok().ndjson()),
        std::slice::from_ref(&new_id)
    );

    let mut changed = env.run(&["get", P1]).ok().json();
    changed["target_metadata"]["title"] = json!("Fender Stratocaster");
    let file = write_json(&env, "changed.json", &changed);
    env.run(&["update", "f3a1c2d4-11", path_str(&file)])
        .ok()
        .stderr_has(&format!("updated {P1}"));
    assert_eq!(
        ids(&env.run(&["search", "stratocaster"]).ok().ndjson()),
        [P1]
    );
    assert!(env.run(&["search", "telecaster"]).ok().stdout.is_empty());

    // A full id is used as it is, even when the mirror does not know it (the service
    // answers 404).
    env.run(&["get", "00000000-0000-4000-8000-000000000000"])
        .code(1);
}

#[test]
fn reads_sync_a_never_synced_mirror_and_note_an_old_one() {
    let emu = Emu::with_rows(planted(50));
    let env = Env::for_emu(&emu, "");
    // Never synced: the first read syncs.
    let r = env.run(&["where", "/p/555"]);
    r.ok().stderr_has("syncing now");
    assert_eq!(r.ndjson().len(), 2);
    // An import cannot be followed row by row: the next read syncs.
    let lines = format!(
        "{}\n{}\n",
        item("basket", "/p/8001", &["walnut"]),
        item("basket", "/p/8002", &["walnut"])
    );
    let file = env.write("in.ndjson", &lines);
    env.run(&["import", path_str(&file)]).ok();
    let r = env.run(&["search", "walnut"]);
    r.ok().stderr_has("syncing now");
    assert_eq!(r.ndjson().len(), 2);
    assert!(
        !env.run(&["search", "walnut"])
            .ok()
            .stderr
            .contains("syncing"),
        "synced once"
    );

    // Make the mirror an hour old.
    let db = env.data.join(mirror::FILE_NAME);
    {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.execute("UPDATE trackers SET synced_at = synced_at - 3600", [])
            .expect("age");
    }
    env.run(&["search", "fender"])
        .ok()
        .stderr_has("synced 1 h ago")
        .stderr_has("--sync");
    // A row the mirror has not seen yet (created behind its back) appears with --sync.
    let env2 = Env::for_emu(&emu, "");
    let file = write_json(&env2, "n.json", &item("basket", "/p/77", &["mahogany"]));
    env2.run(&["create", path_str(&file)]).ok();
    assert!(env.run(&["search", "mahogany"]).ok().stdout.is_empty());
    let r = env.run(&["search", "mahogany", "--sync"]);
    r.ok();
    assert_eq!(r.ndjson().len(), 1);
    assert!(!r.stderr.contains("ago"), "{}", r.stderr);

    // A larger max_age: no note.
    let env3 = Env::for_emu(&emu, "");
    env3.write_config(&format!(
        "default_profile = \"emu\"\n[mirror]\nmax_age = \"2h\"\n\n[profiles.emu]\nhost = \"{}\"\ntracker_id = \"{TRACKER}\"\nprivate_key_env = \"TEST_KEY\"\n",
        emu.url
    ));
    env3.run(&["sync"]).ok();
    let db3 = env3.data.join(mirror::FILE_NAME);
    {
        let conn = rusqlite::Connection::open(&db3).expect("open");
        conn.execute("UPDATE trackers SET synced_at = synced_at - 3600", [])
            .expect("age");
    }
    let r = env3.run(&["search", "fender"]);
    r.ok();
    assert!(!r.stderr.contains("ago"), "{}", r.stderr);
}

/// A server that answers every request with the head of a 200 and half of `body`, then
/// closes the connection. `chunked` sends the half as one chunk of a chunked body.
fn cutting_server(body: String, chunked: bool) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let handle = std::thread::spawn(move || {
        // Enough connections for the client's retries.
        for _ in 0..1 {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            let mut buf = [0u8; 4096];
            let mut got = Vec::new();
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            let half = &body.as_bytes()[..body.len() / 2];
            let head = if chunked {
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                    .to_string()
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                )
            };
            let _ = s.write_all(head.as_bytes());
            if chunked {
                let _ = s.write_all(format!("{:x}\r\n", half.len()).as_bytes());
                let _ = s.write_all(half);
                let _ = s.write_all(b"\r\n");
            } else {
                let _ = s.write_all(half);
            }
            let _ = s.flush();
        }
    });
    (url, handle)
}

#[test]
fn a_cut_export_leaves_the_old_mirror_intact() {
    let old: Vec<Value> = planted(200);
    let new_body =
        json!({"results": mirror::generate::tracker(500, 99).collect::<Vec<_>>()}).to_string();
    for chunked in [false, true] {
        let (url, server) = cutting_server(new_body.clone(), chunked);
        let env = Env::new();
        let db = env.data.join(mirror::FILE_NAME);
        let scope = Scope::new(url.clone(), TRACKER);
        {
            let mut m = Mirror::open(&db, &scope).expect("open");
            m.sync_from_reader(
                json!({ "results": old }).to_string().as_bytes(),
                &mut |_| {},
            )
            .expect("first sync");
        }
        env.write_config(&format!(
            "default_profile = \"cut\"\n[profiles.cut]\nhost = \"{url}\"\ntracker_id = \"{TRACKER}\"\nprivate_key_env = \"TEST_KEY\"\nretries = 0\n"
        ));
        let r = env.run(&["sync"]);
        r.code(1);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        server.join().expect("server");
        let m = Mirror::open(&db, &scope).expect("reopen");
        assert_eq!(m.count().expect("count"), 203, "chunked: {chunked}");
        assert_eq!(
            m.search("Telecaster", 5).expect("search")[0].id,
            P1,
            "the old rows are all there"
        );
    }
}

#[test]
fn a_cut_export_through_the_library_reports_the_network() {
    let body =
        json!({"results": mirror::generate::tracker(300, 5).collect::<Vec<_>>()}).to_string();
    let (url, server) = cutting_server(body, false);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let mut cfg = ClientConfig::new(url.clone(), TRACKER, Secret::new(KEY));
    cfg.retry.max_retries = 0;
    let client = Client::new(cfg).expect("client");
    let scope = Scope::of_client(&client);
    let mut m = Mirror::open_in_memory(&scope).expect("open");
    m.sync_from_reader(
        json!({"results": planted(20)}).to_string().as_bytes(),
        &mut |_| {},
    )
    .expect("sync");
    let (m, r) = rt.block_on(mirror::sync::sync_from_client(m, &client, |_| {}));
    server.join().expect("server");
    let err = r.expect_err("cut");
    assert!(matches!(err, MirrorError::Api(_)), "{err}");
    let m = m.expect("mirror back");
    assert_eq!(m.count().expect("count"), 23);
}

#[test]
fn two_processes_at_once() {
    let emu = Emu::with_rows(planted(4000));
    let env = Env::for_emu(&emu, "");
    env.run(&["sync"]).ok();
    // A second sync runs in another process while this one searches and resolves.
    let bg = env
        .std_cmd(env!("CARGO_BIN_EXE_pinscope"))
        .args(["sync"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    for _ in 0..5 {
        assert_eq!(ids(&env.run(&["search", "Telecaster"]).ok().ndjson()), [P1]);
        env.run(&["where", "/p/555"]).ok();
    }
    let out = bg.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(ids(&env.run(&["search", "Telecaster"]).ok().ndjson()), [P1]);
}

#[test]
fn a_damaged_or_newer_database_is_named_and_rebuilt_on_request() {
    let emu = Emu::with_rows(planted(10));
    let env = Env::for_emu(&emu, "");
    std::fs::create_dir_all(&env.data).expect("data dir");
    let db = env.data.join(mirror::FILE_NAME);
    std::fs::write(&db, vec![b'#'; 4096]).expect("garbage");
    let r = env.run(&["search", "fender"]);
    r.code(2)
        .stderr_has(&db.display().to_string())
        .stderr_has("pinscope sync --rebuild");
    assert!(!r.stderr.contains("panicked"));
    let r = env.run(&["sync", "--rebuild"]);
    r.ok()
        .stderr_has("moved to")
        .stderr_has("synced 13 customizations");
    assert_eq!(ids(&env.run(&["search", "Telecaster"]).ok().ndjson()), [P1]);
    let kept: Vec<_> = std::fs::read_dir(&env.data)
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".old-"))
        .collect();
    assert_eq!(kept.len(), 1, "the damaged file is kept aside");

    // A newer schema is refused and left as it is.
    {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.pragma_update(None, "user_version", 9999)
            .expect("bump");
    }
    env.run(&["where", "/p/555"])
        .code(2)
        .stderr_has("newer pinscope")
        .stderr_has(&db.display().to_string());
    let conn = rusqlite::Connection::open(&db).expect("open");
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(v, 9999);
}
