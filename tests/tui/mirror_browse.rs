//! Browse reading the mirror, through the real loop, worker, client and emulator: the real
//! total, End to the real last row, sort by a column the service cannot sort by, the pin
//! filters, `*` over the whole view, and the rows kept under an offline banner when the
//! service goes away.

use std::time::Duration;

use crossterm::event::KeyCode;
use pinscope::api::Customization;
use pinscope::mirror::{Mirror, Scope};
use pinscope::tui::screens::browse::Browse;
use serde_json::json;

use crate::harness::*;

const KEY: &str = "mirror-browse-key";
const PLANTED: &str = "5eed0002-bbbb-4bbb-8bbb-bbbbbbbbbbbb";

fn tracker() -> Vec<Customization> {
    tracker_with(
        1200,
        23,
        600,
        json!({
            "id": PLANTED, "created_at": "2025-01-01T00:00:30Z",
            "model": "basket", "target_type": "item", "target_identity": "/p/planted",
            "target_metadata": {"title": "Planted row"},
            "pin_definitions": [
                {"position": 1, "pin_type": "item", "pin_identity": "/p/only-here",
                 "widget_id": "w-only-here"},
                {"position": 2, "pin_type": "item", "pin_identity": "/p/x1"},
                {"position": 3, "pin_type": "item", "pin_identity": "/p/x2"},
                {"position": 4, "pin_type": "item", "pin_identity": "/p/x3"},
                {"position": 5, "pin_type": "item", "pin_identity": "/p/x4"},
                {"position": 6, "pin_type": "item", "pin_identity": "/p/x5"},
                {"position": 7, "pin_type": "item", "pin_identity": "/p/x6"}
            ]
        }),
    )
}

#[tokio::test]
async fn browse_reads_the_whole_mirror_and_keeps_it_offline() {
    let data = tracker();
    // Newest first: the last row is the oldest (generated row 0).
    let last = data
        .iter()
        .min_by_key(|c| {
            (
                c.created_at().map(str::to_string),
                c.id().map(str::to_string),
            )
        })
        .and_then(|c| c.id())
        .expect("an id")
        .to_string();
    let (emu, client) = start_emulator(KEY, data).await;
    let mirror = Mirror::open_in_memory(&Scope::of_client(&client)).expect("mirror");
    let run = Running::start_with_mirror(
        client,
        options(140, 30),
        Browse::new(),
        mirror,
        Duration::from_secs(300),
    );
    run.wait_for("synced just now").await;
    // The real total, not a page.
    run.wait_for("1201 customizations").await;

    // End reaches the real last row, at once.
    run.send(code(KeyCode::End));
    run.wait_for(&last[..8]).await;
    run.send(code(KeyCode::Home));
    run.wait_gone(&last[..8]).await;

    // Sort by a column only the mirror sorts by: most pins first puts the planted row
    // (7 pins; the generator makes at most 5) on top.
    run.send(key('s'));
    let screen = run.wait_for("most pins first").await;
    assert!(
        screen.contains("id desc"),
        "every column is offered:\n{screen}"
    );
    run.send_all((0..8).map(|_| key('j')));
    run.send(code(KeyCode::Enter));
    run.wait_for("· pins desc").await;
    let screen = run.wait_for(&PLANTED[..8]).await;
    let first_row = screen
        .lines()
        .find(|l| l.contains('›'))
        .unwrap_or_default()
        .to_string();
    assert!(first_row.contains(&PLANTED[..8]), "{screen}");

    // The pin filters: a widget only the planted row uses.
    run.send(key('f'));
    run.wait_for("Pin state").await;
    // Tab to the widget field: model, tag, target type, pin state, identity, widget.
    run.send_all((0..5).map(|_| code(KeyCode::Tab)));
    run.send_all(typed("w-only-here"));
    run.send(code(KeyCode::Enter));
    let screen = run.wait_for("widget=w-only-here").await;
    run.wait_for("  1 customizations").await;
    assert!(screen.contains(&PLANTED[..8]) || run.text().contains(&PLANTED[..8]));

    // * selects what the filter matches; with the filters cleared, everything.
    run.send(key('*'));
    run.wait_for("  1 customizations · 1 selected").await;
    run.send(code(KeyCode::Esc));
    run.wait_gone("selected").await;
    run.send(key('c'));
    run.wait_for("1201 customizations").await;
    run.send(key('*'));
    run.wait_for("1201 customizations · 1201 selected").await;
    run.send(code(KeyCode::Esc));
    run.wait_gone("selected").await;

    // The pin state: has expired pins (the planted row has none).
    run.send(key('f'));
    run.wait_for("Pin state").await;
    run.send_all((0..3).map(|_| code(KeyCode::Tab)));
    run.send_all([key('j'), key('j'), key(' '), code(KeyCode::Enter)]);
    let screen = run.wait_for("has expired pins").await;
    assert!(!screen.contains(&PLANTED[..8]), "{screen}");
    assert!(!screen.contains("1201 customizations"), "{screen}");
    run.send(key('c'));
    run.wait_for("1201 customizations").await;

    // `/`: one letter is not searched yet (it would match nearly every row); the next
    // one is.
    run.send(key('/'));
    run.wait_for("Search the whole tracker").await;
    run.send(key('p'));
    run.wait_for("type one more character").await;
    run.send_all(typed("lanted"));
    let screen = run.wait_for("Planted row").await;
    assert!(!screen.contains("type one more character"), "{screen}");
    run.send(code(KeyCode::Esc));
    run.wait_gone("Search the whole tracker").await;

    // w on the detail: its pins pin several items, so it asks which; Enter lists every
    // pin of that item across the tracker.
    run.send(code(KeyCode::Enter));
    let screen = run.wait_for("/p/only-here").await;
    assert!(
        screen.contains("w where"),
        "the hint is there with a mirror:\n{screen}"
    );
    run.send(key('w'));
    let screen = run.wait_for("Where is it pinned?").await;
    assert!(
        screen.contains("/p/x6"),
        "every pinned item is offered:\n{screen}"
    );
    run.send(code(KeyCode::Enter));
    let screen = run.wait_for("pins of /p/only-here").await;
    assert!(screen.contains("w-only-here"), "{screen}");
    assert!(screen.contains(&PLANTED[..8]), "{screen}");
    run.send(code(KeyCode::Esc));
    run.wait_gone("pins of /p/only-here").await;
    run.send(code(KeyCode::Esc));
    run.wait_gone("w where").await;

    // The service goes away: a refresh fails, the rows stay, under a banner.
    emu.shutdown().await;
    run.send(key('r'));
    let screen = run.wait_for("offline, data from").await;
    assert!(screen.contains("1201 customizations"), "{screen}");
    assert!(screen.contains(&PLANTED[..8]), "the rows stay:\n{screen}");
    // The detail falls back to the mirror's row, under the same banner, with no error
    // over it.
    run.send(code(KeyCode::Enter));
    let screen = run.wait_for("/p/only-here").await;
    let screen = if screen.contains("offline, data from") {
        screen
    } else {
        run.wait_for("offline, data from").await
    };
    assert!(screen.contains(" Customization "), "{screen}");
    assert!(!screen.contains("Could not load"), "{screen}");
    run.send(code(KeyCode::Esc));
    run.wait_for("1201 customizations").await;
    // Browsing still works: a filter answers from the mirror.
    run.send(key('f'));
    run.send_all((0..5).map(|_| code(KeyCode::Tab)));
    run.send_all(typed("w-only-here"));
    run.send(code(KeyCode::Enter));
    run.wait_for("  1 customizations").await;
    run.send(ctrl('c'));
    run.finish().await;
}

#[test]
fn sync_progress_shows_in_the_status_bar() {
    use pinscope::tui::msg::{ApiReply, ApiRequest};
    let (mut app, _) = app_with(options(120, 20), Browse::new());
    app.set_mirror(Some(pinscope::tui::screens::MirrorStatus {
        synced_at: None,
        max_age: Duration::from_secs(300),
        syncing: None,
        progress: None,
    }));
    app.sync_mirror();
    let effects = app.take_effects();
    let (id, req) = requests(&effects)
        .into_iter()
        .find(|(_, r)| *r == ApiRequest::MirrorSync)
        .expect("a sync on start");
    assert!(draw(&app).contains("syncing…"));
    let step = ApiReply::MirrorProgress {
        count: 12_000,
        elapsed: Duration::from_millis(500),
    };
    let before = app.in_flight();
    feed(&mut app, [event(id, &req, Ok(step))]);
    assert_eq!(app.in_flight(), before, "a step keeps the sync in flight");
    let screen = draw(&app);
    assert!(screen.contains("syncing 12000 (24000/s)"), "{screen}");
    let done = ApiReply::MirrorSynced {
        stats: pinscope::mirror::SyncStats {
            customizations: 20_000,
            pins: 60_000,
        },
        at: now(),
    };
    feed(&mut app, [event(id, &req, Ok(done))]);
    let screen = draw(&app);
    assert!(screen.contains("synced just now"), "{screen}");
    assert!(!screen.contains("syncing"), "{screen}");
}
