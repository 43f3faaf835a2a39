//! The editor in the real loop, with the real worker and client, against the emulator (and,
//! for the 422, a stand-in service).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use jiff::Timestamp;
use pinscope::api::{Client, Customization, Secret};
use pinscope::emulator::{EmulatorConfig, Running as Emulator, start};
use pinscope::tui::app::{App, AppOptions, ExternalEditor, TuiOptions, run_tui};
use pinscope::tui::msg::Msg;
use pinscope::tui::screens::Screen;
use pinscope::tui::screens::browse::Browse;
use pinscope::tui::screens::detail::Detail;
use pinscope::tui::screens::editor::Editor;
use pinscope::tui::worker;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::editor_snapshots::{backspaces, times};
use crate::harness::*;

const KEY: &str = "editor-test-key";
const ID: &str = "7d5e1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b";

/// The emulator serving tracker `demo`, holding `preload`.
async fn emulator(preload: Vec<Customization>) -> Emulator {
    let mut cfg = EmulatorConfig::new(
        "127.0.0.1:0".parse().expect("address"),
        vec![("demo".to_string(), Secret::new(KEY))],
    );
    cfg.preload = preload;
    start(cfg).await.expect("emulator starts")
}

/// A customization with fields the form does not know, at the top and in a pin, and keys
/// in no particular order.
fn stored() -> Customization {
    serde_json::from_value(json!({
        "id": ID,
        "created_at": "2025-05-01T08:00:00Z",
        "model": "basket",
        "x_campaign": {"name": "summer", "budget": 3, "owners": ["ana", "bo"]},
        "target_type": "item",
        "target_identity": "/p/123",
        "target_metadata": {"title": "Fender Telecaster", "price": 1299},
        "tags": ["guitars"],
        "pin_definitions": [
            {"pin_identity": "/p/555", "position": 1, "pin_type": "item", "note": "keep me",
             "active_from": "2025-02-01T00:00:00Z"},
            {"position": -1, "pin_type": "criteria", "pin_criteria": {"z": 1, "a": {"y": 2, "b": 3}},
             "widget_id": "w1"}
        ],
        "zz_last": [1, 2, 3]
    }))
    .expect("customization")
}

/// The real loop with a drafts dir and an external editor.
fn start_loop(
    client: Client,
    opts: AppOptions,
    root: impl Screen + 'static,
    drafts: Option<PathBuf>,
    external_editor: Option<ExternalEditor>,
) -> Running {
    let (tx, rx) = mpsc::unbounded_channel::<Msg>();
    let screen = Arc::new(Mutex::new(String::new()));
    let copied = Arc::new(Mutex::new(Vec::new()));
    let (w, h) = opts.size;
    let mut app = App::new(opts);
    app.set_drafts_dir(drafts);
    app.open(root);
    let worker = worker::spawn(client);
    let frames = screen.clone();
    let task = tokio::spawn(async move {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        let input = Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|m| (m, rx))
        }));
        let exit = run_tui(
            &mut terminal,
            &mut app,
            input,
            worker,
            TuiOptions {
                clock: Arc::new(Timestamp::now),
                clipboard: Box::new(|_| {}),
                on_frame: Some(Box::new(move |buf| {
                    *frames.lock().expect("lock") = buffer_text(buf);
                })),
                recent_file: None,
                external_editor,
            },
        )
        .await
        .expect("run");
        (exit, app)
    });
    Running {
        input: tx,
        screen,
        copied,
        task,
    }
}

/// Polls `f` until it holds; panics with `what` after a generous deadline.
async fn eventually<T>(what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

fn compact(c: &Customization) -> String {
    serde_json::to_string(&c.without_server_fields()).expect("json")
}

#[tokio::test]
async fn create_through_the_form_and_find_it_in_browse() {
    let emu = emulator(Vec::new()).await;
    let run = start_loop(
        client(&emu.url(), KEY),
        options(120, 32),
        Browse::new(),
        None,
        None,
    );
    run.wait_for("No customizations yet").await;
    run.send(key('n'));
    run.wait_for("New customization").await;
    run.send_all(typed("basket"));
    run.send_all(times(code(KeyCode::Tab), 2));
    run.send_all(typed("/p/9001"));
    run.send(code(KeyCode::Tab));
    run.send_all(typed("summer"));
    run.send(code(KeyCode::Tab));
    run.send_all(typed("Editor test guitar"));
    run.send_all(times(code(KeyCode::Tab), 3));
    // A pin: item /p/42 in slot 1 from the first of January (Prague time).
    run.send(key('a'));
    run.wait_for("Pin 1 of 1").await;
    run.send_all(times(code(KeyCode::Tab), 3));
    run.send_all(typed("/p/42"));
    run.send_all(times(code(KeyCode::Tab), 3));
    run.send_all(typed("2025-01-01"));
    run.wait_for("sent as 2025-01-01T00:00:00+01:00").await;
    run.send(code(KeyCode::Esc));
    run.send(ctrl('s'));
    // Created: its detail opens.
    let screen = run.wait_for("Customization Editor test guitar").await;
    assert!(screen.contains("/p/42 pinned at slot 1"), "{screen}");

    let all = client(&emu.url(), KEY)
        .list_all(&Default::default())
        .await
        .expect("list");
    assert_eq!(all.len(), 1);
    assert_eq!(
        compact(&all[0]),
        json!({
            "model": "basket",
            "target_type": "item",
            "target_identity": "/p/9001",
            "pin_definitions": [{"position": 1, "pin_type": "item", "pin_identity": "/p/42",
                                 "active_from": "2025-01-01T00:00:00+01:00"}],
            "tags": ["summer"],
            "target_metadata": {"title": "Editor test guitar"}
        })
        .to_string()
    );
    // Back to browse, which shows it.
    run.send(code(KeyCode::Esc));
    let screen = run
        .wait_until("the new row in browse", |s| {
            s.contains("Customizations 1") && s.contains("Editor test guitar")
        })
        .await;
    assert!(screen.contains("basket"), "{screen}");
    run.send(key('q'));
    run.finish().await;
    emu.shutdown().await;
}

#[tokio::test]
async fn edit_sends_exactly_the_edited_object() {
    let emu = emulator(vec![stored()]).await;
    let run = start_loop(
        client(&emu.url(), KEY),
        options(120, 36),
        Detail::fetch(ID),
        None,
        None,
    );
    run.wait_for("Fender Telecaster").await;
    run.send(key('e'));
    run.wait_for(&format!("Edit {ID}")).await;
    run.send_all(backspaces(20));
    run.send_all(typed("home"));
    // The first pin gets an end.
    run.send_all(times(code(KeyCode::Tab), 7));
    run.send(code(KeyCode::Enter));
    run.wait_for("Pin 1 of 2").await;
    run.send_all(times(code(KeyCode::Tab), 7));
    run.send_all(typed("2025-12-24 18:00"));
    run.wait_for("sent as 2025-12-24T18:00:00+01:00").await;
    run.send(code(KeyCode::Esc));
    run.send(ctrl('s'));
    let review = run.wait_for("Review: replace").await;
    assert!(
        review.contains("~ model: \"basket\" -> \"home\""),
        "{review}"
    );
    assert!(
        review.contains("+ pin_definitions[0].active_to: \"2025-12-24T18:00:00+01:00\""),
        "{review}"
    );
    assert!(
        !review.contains("changed since this form was opened"),
        "{review}"
    );
    run.send(code(KeyCode::Enter));
    // Saved: the detail shows the new version.
    run.wait_until("the detail after the save", |s| {
        s.contains("model      home") && !s.contains("Edit ")
    })
    .await;

    let got = client(&emu.url(), KEY).get(ID).await.expect("get");
    let mut expected = stored();
    expected.set("model", json!("home"));
    expected
        .as_map_mut()
        .get_mut("pin_definitions")
        .and_then(|p| p.as_array_mut())
        .and_then(|p| p.first_mut())
        .and_then(|p| p.as_object_mut())
        .expect("pin")
        .insert("active_to".into(), json!("2025-12-24T18:00:00+01:00"));
    // Everything the form did not touch is back exactly, key order included: the unknown
    // top-level and pin fields, the criteria object, the metadata's other keys.
    assert_eq!(compact(&got), compact(&expected));
    assert_eq!(got.id(), Some(ID));
    assert_eq!(got.created_at(), Some("2025-05-01T08:00:00Z"));
    run.send(code(KeyCode::Esc));
    run.finish().await;
    emu.shutdown().await;
}

/// A stand-in for the service that answers every create with a 422 naming a pin field.
///
/// The emulator checks bodies with the very rules the form runs before sending, so no body
/// the form lets through gets a 422 from it. The real service has rules of its own (an item
/// it does not know, say); this stand-in plays that part. What the test proves is the
/// client side: the 422's `exception_details` land on the field they name.
async fn refusing_service() -> (String, tokio::task::JoinHandle<()>) {
    use axum::Router;
    use axum::http::{StatusCode, header};
    use axum::routing::{get, post};
    let json_ct = || [(header::CONTENT_TYPE, "application/json")];
    let app = Router::new()
        .route(
            "/v1/recommender/pin/demo/summary",
            get(move || async move {
                (
                    StatusCode::OK,
                    json_ct(),
                    r#"{"scope_counts": {"basket": 1}, "user_tags": []}"#,
                )
            }),
        )
        .route(
            "/v1/recommender/pin/demo/scope",
            post(move || async move {
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json_ct(),
                    r#"{"reason": "Invalid pin definition provided",
                        "exception_details": {"pin_definitions[0].pin_identity": ["Item /p/404 is not in the catalog"]}}"#,
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, task)
}

#[tokio::test]
async fn a_422_lands_on_the_field_it_names() {
    let (url, server) = refusing_service().await;
    let run = start_loop(
        client(&url, KEY),
        options(110, 30),
        Editor::create(),
        None,
        None,
    );
    run.wait_for("New customization").await;
    run.send_all(typed("basket"));
    run.send_all(times(code(KeyCode::Tab), 2));
    run.send_all(typed("/p/1"));
    run.send_all(times(code(KeyCode::Tab), 5));
    run.send(key('a'));
    run.wait_for("Pin 1 of 1").await;
    run.send_all(times(code(KeyCode::Tab), 3));
    run.send_all(typed("/p/404"));
    run.send(code(KeyCode::Esc));
    run.send(ctrl('s'));
    let screen = run
        .wait_for("The service refused it (422 Invalid pin definition provided)")
        .await;
    // The pin's row is marked, and its form shows the message on the item field.
    assert!(screen.contains("⚠ 1"), "{screen}");
    run.send(code(KeyCode::Enter));
    let screen = run.wait_for("Pin 1 of 1").await;
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("Item") && l.contains("/p/404"))
        .unwrap_or_else(|| panic!("no item field: {screen}"));
    assert!(
        lines[at + 1].contains("✗ service: Item /p/404 is not in the catalog"),
        "{screen}"
    );
    // Editing the field clears the service's message.
    run.send_all(times(code(KeyCode::Tab), 3));
    run.send(key('5'));
    run.wait_gone("service: Item /p/404").await;
    run.send(ctrl('c'));
    run.finish().await;
    server.abort();
}

fn draft_file(dir: &Path) -> PathBuf {
    pinscope::tui::drafts::path(dir, "demo", Some(ID))
}

#[tokio::test]
async fn a_draft_is_restored_after_the_app_is_dropped_mid_edit() {
    let emu = emulator(vec![stored()]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let drafts = dir.path().join("drafts");

    let run = start_loop(
        client(&emu.url(), KEY),
        options(120, 36),
        Detail::fetch(ID),
        Some(drafts.clone()),
        None,
    );
    run.wait_for("Fender Telecaster").await;
    run.send(key('e'));
    run.wait_for(&format!("Edit {ID}")).await;
    run.send(code(KeyCode::End));
    run.send_all(typed("-draft"));
    run.wait_for("basket-draft").await;
    // The draft reaches the disk a moment after the typing stops.
    let path = draft_file(&drafts);
    eventually("the draft file", async || {
        std::fs::read_to_string(&path)
            .ok()
            .filter(|t| t.contains("basket-draft"))
    })
    .await;
    // Drop the app mid-edit: no quit, no clean-up, as in a crash.
    run.task.abort();
    let _ = run.task.await;
    assert!(path.exists());

    let run = start_loop(
        client(&emu.url(), KEY),
        options(120, 36),
        Detail::fetch(ID),
        Some(drafts.clone()),
        None,
    );
    run.wait_for("Fender Telecaster").await;
    run.send(key('e'));
    let screen = run.wait_for("Restore the draft?").await;
    assert!(
        screen.contains("~ model: \"basket\" -> \"basket-draft\""),
        "{screen}"
    );
    run.send(key('r'));
    run.wait_for("Restored the draft saved").await;
    run.wait_for("basket-draft").await;
    run.send(ctrl('s'));
    run.wait_for("Review: replace").await;
    run.send(code(KeyCode::Enter));
    let c = client(&emu.url(), KEY);
    eventually("the saved model", async || {
        let got = c.get(ID).await.ok()?;
        (got.model() == Some("basket-draft")).then_some(())
    })
    .await;
    // Saved: the draft is gone.
    eventually("the draft removed", async || (!path.exists()).then_some(())).await;
    run.send(ctrl('c'));
    run.finish().await;
    emu.shutdown().await;
}

#[tokio::test]
async fn quitting_mid_edit_writes_the_draft_at_once() {
    let emu = emulator(vec![stored()]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let run = start_loop(
        client(&emu.url(), KEY),
        options(120, 36),
        Detail::fetch(ID),
        Some(dir.path().to_path_buf()),
        None,
    );
    run.wait_for("Fender Telecaster").await;
    run.send(key('e'));
    run.wait_for(&format!("Edit {ID}")).await;
    run.send_all(typed("Z"));
    run.send(Msg::Terminate);
    run.finish().await;
    let text = std::fs::read_to_string(draft_file(dir.path())).expect("draft written");
    let d: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(d["object"]["model"], "basketZ");
    assert_eq!(d["id"], ID);
    emu.shutdown().await;
}

#[tokio::test]
async fn the_external_editor_round_trip_in_the_loop() {
    let emu = emulator(vec![stored()]).await;
    let seen = Arc::new(Mutex::new(String::new()));
    let seen_in = seen.clone();
    let external: ExternalEditor = Box::new(move |text: &str| {
        *seen_in.lock().expect("lock") = text.to_string();
        Ok(text.replace("\"basket\"", "\"from-the-editor\""))
    });
    let run = start_loop(
        client(&emu.url(), KEY),
        options(120, 36),
        Detail::fetch(ID),
        None,
        Some(external),
    );
    run.wait_for("Fender Telecaster").await;
    run.send(key('e'));
    run.wait_for(&format!("Edit {ID}")).await;
    run.send(ctrl('o'));
    run.wait_for("Updated from the editor").await;
    run.wait_for("from-the-editor").await;
    // The editor saw the whole object, unknown fields included.
    let text = seen.lock().expect("lock").clone();
    assert!(text.contains("\"x_campaign\""), "{text}");
    assert!(text.contains("\"note\": \"keep me\""), "{text}");
    run.send(ctrl('c'));
    run.finish().await;
    emu.shutdown().await;
}
