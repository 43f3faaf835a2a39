//! `--data` persistence and `--load`.

use std::path::Path;
use std::time::{Duration, Instant};

use pinscope::api::{ConflictStrategy, ListQuery, Secret};
use pinscope::emulator::persist::DATA_HEADER;
use pinscope::emulator::{EmulatorConfig, EmulatorError, start};
use serde_json::{Value, json};

use crate::helpers::*;

fn with_data(path: &Path) -> EmulatorConfig {
    let mut cfg = config();
    cfg.data = Some(path.to_path_buf());
    cfg
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("ls")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn data_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.ndjson");
    let r = start(with_data(&path)).await.expect("start");
    let c = client(&r);
    let created = c
        .create(&cust(
            json!({"model": "basket", "target_type": "item", "target_identity": "/p/1",
                             "extra": {"b": 1, "a": 2}, "pin_definitions": []}),
        ))
        .await
        .expect("created");
    c.bulk_create(
        ndjson(&[
            item("home", "/p/2").into_value(),
            item("home", "/p/3").into_value(),
        ]),
        ConflictStrategy::Raise,
    )
    .await
    .expect("bulk");
    client_for(&r, OTHER_TRACKER, OTHER_KEY)
        .create(&item("detail", "/p/9"))
        .await
        .expect("other tracker");
    let before = c.list_all(&ListQuery::default()).await.expect("list");
    r.shutdown().await;

    let text = std::fs::read_to_string(&path).expect("written");
    assert_eq!(text.lines().next(), Some(DATA_HEADER));
    assert_eq!(text.lines().count(), 5);
    assert_eq!(files_in(dir.path()), ["store.ndjson"]);

    let r = start(with_data(&path)).await.expect("restart");
    let c = client(&r);
    let after = c.list_all(&ListQuery::default()).await.expect("list");
    assert_eq!(after, before);
    assert_eq!(
        c.get(created.id().expect("id")).await.expect("same id"),
        created
    );
    assert_eq!(r.count(OTHER_TRACKER), Some(1));

    // A change after the restart is written too, and deletions stick.
    c.delete(created.id().expect("id")).await.expect("deleted");
    r.shutdown().await;
    let r = start(with_data(&path)).await.expect("restart");
    assert_eq!(r.count(TRACKER), Some(2));
    r.shutdown().await;
}

#[tokio::test]
async fn changes_are_written_in_the_background() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.ndjson");
    let r = start(with_data(&path)).await.expect("start");
    let created = client(&r)
        .create(&item("basket", "/p/1"))
        .await
        .expect("created");
    let id = created.id().expect("id").to_string();
    // No shutdown: the writer must get there on its own.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if std::fs::read_to_string(&path).is_ok_and(|t| t.contains(&id)) {
            break;
        }
        assert!(Instant::now() < deadline, "the data file was never written");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // `flush` writes at once.
    client(&r)
        .create(&item("basket", "/p/2"))
        .await
        .expect("created");
    r.flush().await.expect("flush");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains("/p/2"));
    // The file is always whole: every line parses.
    for line in text.lines() {
        serde_json::from_str::<Value>(line).expect("a whole line");
    }
    drop(r);
}

#[tokio::test]
async fn trackers_not_served_keep_their_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.ndjson");
    let r = start(with_data(&path)).await.expect("start");
    client_for(&r, OTHER_TRACKER, OTHER_KEY)
        .create(&item("detail", "/p/9"))
        .await
        .expect("created");
    r.shutdown().await;

    // Served without the other tracker: its rows are kept in the file.
    let mut cfg = EmulatorConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        vec![(TRACKER.to_string(), Secret::new(KEY))],
    );
    cfg.data = Some(path.clone());
    let r = start(cfg).await.expect("start");
    let e = client_for(&r, OTHER_TRACKER, OTHER_KEY)
        .summary()
        .await
        .expect_err("not served");
    assert_eq!(status(&e), 404);
    client(&r)
        .create(&item("basket", "/p/1"))
        .await
        .expect("created");
    r.shutdown().await;

    let r = start(with_data(&path)).await.expect("start");
    assert_eq!(r.count(OTHER_TRACKER), Some(1));
    assert_eq!(r.count(TRACKER), Some(1));
    r.shutdown().await;
}

#[tokio::test]
async fn a_broken_data_file_is_an_error_naming_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.ndjson");
    std::fs::write(
        &path,
        format!("{DATA_HEADER}\n{{\"tracker\":\"{TRACKER}\",\"scope\":{{\"model\":\"m\"}}}}\n"),
    )
    .expect("write");
    let e = start(with_data(&path)).await.expect_err("broken");
    assert!(matches!(e, EmulatorError::File { line: 2, .. }), "{e:?}");
    assert!(e.to_string().contains("store.ndjson:2: "), "{e}");
    std::fs::write(&path, "{\"model\":\"m\"}\n").expect("write");
    let e = start(with_data(&path)).await.expect_err("not a data file");
    assert!(
        e.to_string().contains("not a pinscope emulator data file"),
        "{e}"
    );
}

const LOADED_ID: &str = "199620b4-df1a-46e8-ab59-9e9ed9af7106";

fn sample() -> String {
    [
        json!({"id": LOADED_ID, "created_at": "2025-01-22T08:49:58Z", "model": "basket",
               "target_type": "item", "target_identity": "/p/123", "creator": "import",
               "available": true,
               "pin_definitions": [{"position": 1, "pin_type": "item", "pin_identity": "/p/555",
                                    "active_from": "2025-02-01T00:00:00Z"}]}),
        json!({"model": "home", "target_type": "all", "pin_definitions": []}),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<Vec<_>>()
    .join("\r\n\r\n")
}

#[tokio::test]
async fn load_keeps_ids_and_goes_to_the_first_tracker() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("sample.ndjson");
    std::fs::write(&file, sample()).expect("write");
    let mut cfg = config();
    cfg.load = vec![file.clone()];
    cfg.preload = vec![item("detail", "/p/7")];
    let r = start(cfg).await.expect("start");
    assert_eq!(r.count(TRACKER), Some(3));
    assert_eq!(r.count(OTHER_TRACKER), Some(0));
    let got = client(&r).get(LOADED_ID).await.expect("stable id");
    assert_eq!(got.created_at(), Some("2025-01-22T08:49:58Z"));
    assert_eq!(got.creator(), Some("import"));
    assert_eq!(got.available(), Some(true));
    let rows = client(&r)
        .list_all(&ListQuery::default())
        .await
        .expect("list");
    let home = rows
        .iter()
        .find(|r| r.model() == Some("home"))
        .expect("loaded");
    assert_eq!(home.creator(), Some("api"));
    assert!(uuid::Uuid::parse_str(home.id().expect("id")).is_ok());
    r.shutdown().await;

    // With a data file, loading the same file again replaces by id instead of doubling.
    let data = dir.path().join("store.ndjson");
    for _ in 0..2 {
        let mut cfg = with_data(&data);
        cfg.load = vec![file.clone()];
        let r = start(cfg).await.expect("start");
        r.shutdown().await;
    }
    let r = start(with_data(&data)).await.expect("start");
    // The line with an id is there once; the line without one is added per start.
    assert_eq!(r.count(TRACKER), Some(3));
    r.shutdown().await;
}

#[tokio::test]
async fn an_invalid_load_line_names_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.ndjson");
    std::fs::write(
        &file,
        format!(
            "{}\n\n{}\n",
            sample().lines().next().unwrap_or_default(),
            json!({"id": "not-a-uuid", "model": "m", "target_type": "all", "pin_definitions": [{"position": 1}]})
        ),
    )
    .expect("write");
    let mut cfg = config();
    cfg.load = vec![file];
    let e = start(cfg).await.expect_err("invalid").to_string();
    assert!(e.contains("bad.ndjson:3: "), "{e}");
    assert!(
        e.contains("pin_definitions[0].pin_type: Missing required field: pin_type"),
        "{e}"
    );
    assert!(e.contains("id: Must be a UUID"), "{e}");

    let mut cfg = config();
    cfg.load = vec![dir.path().join("missing.ndjson")];
    let e = start(cfg).await.expect_err("missing").to_string();
    assert!(e.contains("missing.ndjson"), "{e}");

    let mut cfg = config();
    cfg.preload = vec![cust(json!({"model": "m"}))];
    let e = start(cfg).await.expect_err("invalid preload").to_string();
    assert!(e.starts_with("preloaded customization 0: "), "{e}");
}
