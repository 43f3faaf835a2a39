//! The mirror in the TUI, through the real loop, worker, client and emulator: synced on
//! start, `/` searching the whole tracker (a row far beyond the first page), `w` listing
//! where an item is pinned, and search and the health screen still answering with the
//! service gone.

use std::time::Duration;

use pinscope::api::Customization;
use pinscope::mirror::{Mirror, Scope};
use pinscope::tui::screens::browse::Browse;
use serde_json::json;

use crate::harness::*;

const KEY: &str = "mirror-loop-key";
const PLANTED: &str = "5eed0001-aaaa-4aaa-8aaa-aaaaaaaaaaaa";

fn tracker() -> Vec<Customization> {
    // Planted near the end: the default order (newest first) puts it far beyond the first
    // page, and nothing else mentions these words.
    tracker_with(
        1500,
        11,
        40,
        json!({
            "id": PLANTED, "created_at": "2025-01-01T00:00:30Z",
            "model": "basket", "target_type": "item", "target_identity": "/p/274",
            "target_metadata": {"title": "Fender Telecaster Thinline"},
            "pin_definitions": [
                {"position": 2, "pin_type": "item", "pin_identity": "/p/555", "widget_id": "w-x"},
                {"position": -1, "pin_type": "item", "pin_identity": "/p/555",
                 "active_to": "2001-01-01T00:00:00Z"}
            ]
        }),
    )
}

#[tokio::test]
async fn slash_finds_a_row_far_beyond_the_first_page_and_w_lists_its_pins() {
    let (emu, client) = start_emulator(KEY, tracker()).await;
    let mirror = Mirror::open_in_memory(&Scope::of_client(&client)).expect("mirror");
    let run = Running::start_with_mirror(
        client,
        options(140, 30),
        Browse::new(),
        mirror,
        Duration::from_secs(300),
    );
    // Never synced: it syncs on start, and says so in the status bar.
    run.wait_for("synced just now").await;
    let screen = run.text();
    assert!(
        !screen.contains("Telecaster"),
        "not on the first page:\n{screen}"
    );
    assert!(
        screen.contains("· / search ·"),
        "the hint says what / does with a mirror:\n{screen}"
    );

    run.send(key('/'));
    run.wait_for("Search the whole tracker").await;
    run.send_all(typed("fender tele"));
    let screen = run.wait_for("Fender Telecaster Thinline").await;
    assert!(screen.contains("1 found"), "{screen}");
    assert!(screen.contains(&PLANTED[..8]), "{screen}");
    // Enter opens it (the detail fetches the current version).
    run.send(code(crossterm::event::KeyCode::Enter));
    run.wait_for("/p/274").await;
    run.send(code(crossterm::event::KeyCode::Esc));
    run.wait_for("Search the whole tracker").await;
    run.send(code(crossterm::event::KeyCode::Esc));
    run.wait_gone("Search the whole tracker").await;

    // Where is /p/555 pinned?
    run.send(key('w'));
    run.wait_for("Where is it pinned?").await;
    run.send_all(typed("/p/555"));
    run.send(code(crossterm::event::KeyCode::Enter));
    let screen = run.wait_for("pins of /p/555").await;
    assert!(screen.contains("slot 2"), "{screen}");
    assert!(screen.contains("global"), "{screen}");
    assert!(screen.contains("expired"), "{screen}");
    assert!(screen.contains("w-x"), "{screen}");
    run.send(code(crossterm::event::KeyCode::Esc));
    run.wait_gone("Where is it pinned?").await;

    // The service goes away: the whole-tracker search still answers from the mirror.
    emu.shutdown().await;
    run.send(key('/'));
    run.wait_for("Search the whole tracker").await;
    run.send_all(typed("thinline"));
    run.wait_for("Fender Telecaster Thinline").await;
    // The health screen reads the tracker from the mirror too: with the service gone, its
    // findings still come (the generated tracker has targets used twice).
    run.send(code(crossterm::event::KeyCode::Esc));
    run.send(key('L'));
    let screen = run.wait_for("duplicate-target error").await;
    assert!(screen.contains("Health ·"), "{screen}");
    run.send(ctrl('c'));
    run.finish().await;
}

#[tokio::test]
async fn star_on_the_search_selects_every_match_in_browse() {
    let (emu, client) = start_emulator(KEY, tracker()).await;
    // The oracle: the same tracker synced into a mirror of the test's own.
    let (oracle, synced) = pinscope::mirror::sync::sync_from_client(
        Mirror::open_in_memory(&Scope::of_client(&client)).expect("mirror"),
        &client,
        |_| {},
    )
    .await;
    synced.expect("synced");
    let want = oracle
        .expect("mirror back")
        .search_ids("basket")
        .expect("search")
        .len();
    // More than the search screen shows: `*` takes every match, not the hits on screen.
    assert!(want > pinscope::tui::screens::search::LIMIT, "{want}");

    let mirror = Mirror::open_in_memory(&Scope::of_client(&client)).expect("mirror");
    let run = Running::start_with_mirror(
        client,
        options(140, 30),
        Browse::new(),
        mirror,
        Duration::from_secs(300),
    );
    run.wait_for("synced just now").await;
    run.send(key('/'));
    let screen = run.wait_for("Search the whole tracker").await;
    assert!(screen.contains("* select all"), "{screen}");
    run.send_all(typed("basket"));
    run.wait_for("200+ found").await;
    run.send(key('*'));
    run.wait_for(&format!("{want} found, added to browse's selection"))
        .await;
    // `*` was not typed into the search.
    assert!(!run.text().contains("basket*"), "{}", run.text());
    run.send(code(crossterm::event::KeyCode::Esc));
    run.wait_for(&format!("{want} selected")).await;
    run.send(ctrl('c'));
    run.finish().await;
    emu.shutdown().await;
}
