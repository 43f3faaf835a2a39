//! The real loop, the real worker and client, and the emulator with the demo's shop:
//! keys go in through a channel, the screen is read back from each frame.

use crossterm::event::KeyCode;
use jiff::Timestamp;
use pinscope::api::Customization;
use pinscope::tui::app::ExitReason;
use pinscope::tui::demo::{DOCS_ID, data_at};
use pinscope::tui::screens::browse::Browse;

use crate::harness::*;

const KEY: &str = "full-loop-key";

fn shop() -> Vec<Customization> {
    data_at(Timestamp::now()).expect("demo data")
}

/// The rows of the table as shown: the text between the borders of lines that start with
/// an id (8 hex digits or a full UUID).
fn rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter_map(|l| l.strip_prefix('│'))
        .map(|l| l.trim_start_matches('›').trim().to_string())
        .filter(|l| {
            l.len() > 9 && l[..8].chars().all(|c| c.is_ascii_hexdigit()) && !l.contains("Loading")
        })
        .collect()
}

#[tokio::test]
async fn browse_loads_and_pages_as_you_scroll() {
    let data = shop();
    let (emu, client) = start_emulator(KEY, data.clone()).await;
    let run = Running::start(client, options(120, 30), Browse::new());
    let screen = run.wait_for("100 of 340 loaded").await;
    assert!(screen.contains("Customizations 340"), "{screen}");
    assert!(screen.contains("POST /scopes 200"), "{screen}");
    let first = rows(&screen);
    assert_eq!(first.len(), 26, "{screen}");
    // Newest first, as the server sorts.
    let mut by_date = data.clone();
    by_date.sort_by_key(|c| std::cmp::Reverse(c.created_at_ts()));
    let newest = &by_date[0].id().expect("id")[..8];
    assert!(first[0].starts_with(newest), "{} vs {newest}", first[0]);

    // Going to the bottom loads the next page; the rows beyond are not asked for until
    // the selection comes near them.
    for n in [100, 200, 300] {
        run.wait_for(&format!("{n} of 340 loaded")).await;
        run.send(key('G'));
    }
    run.wait_for("340 customizations").await;
    // The oldest, last, is the vendor docs' customization.
    run.send(key('G'));
    let screen = run.wait_for("Fender Telecaster").await;
    assert!(
        rows(&screen)
            .last()
            .is_some_and(|r| r.starts_with("199620b4")),
        "{screen}"
    );
    run.send(key('q'));
    let (exit, _) = run.finish().await;
    assert_eq!(exit.reason, ExitReason::Quit);
    emu.shutdown().await;
}

#[tokio::test]
async fn filters_narrow_on_the_server_and_slash_narrows_loaded_rows() {
    let data = shop();
    let (emu, client) = start_emulator(KEY, data.clone()).await;
    let run = Running::start(client, options(120, 40), Browse::new());
    run.wait_for("100 of 340 loaded").await;

    // The filter panel lists the models from the summary; toggle the first one.
    run.send(key('f'));
    let screen = run.wait_for("[ ] checkout").await;
    let first_model = screen
        .lines()
        .find_map(|l| l.split("[ ] ").nth(1))
        .and_then(|rest| rest.split(" (").next())
        .expect("a model in the panel")
        .to_string();
    let expected = data
        .iter()
        .filter(|c| c.model() == Some(first_model.as_str()))
        .count();
    run.send(key(' '));
    run.send(code(KeyCode::Enter));
    let screen = run
        .wait_for(&format!(
            "Customizations {expected} · created_at desc · model={first_model}"
        ))
        .await;
    let shown = rows(&screen);
    assert!(!shown.is_empty());
    assert!(
        shown.iter().all(|r| r.contains(&first_model)),
        "{first_model}:\n{screen}"
    );

    // Target type too: Tab twice to "Target type", down to criteria, toggle.
    run.send_all([
        key('f'),
        code(KeyCode::Tab),
        code(KeyCode::Tab),
        key('j'),
        key(' '),
    ]);
    run.send(code(KeyCode::Esc));
    let expected = data
        .iter()
        .filter(|c| {
            c.model() == Some(first_model.as_str())
                && c.target_type() == Some(pinscope::api::TargetType::Criteria)
        })
        .count();
    let screen = run
        .wait_for(&format!(
            "Customizations {expected} · created_at desc · model={first_model} type=criteria"
        ))
        .await;
    assert!(
        rows(&screen).iter().all(|r| r.contains("criteria {")),
        "{screen}"
    );

    // `c` clears the filters; `/` narrows what is loaded, fuzzily.
    run.send(key('c'));
    run.wait_for("100 of 340 loaded").await;
    run.send(key('/'));
    run.send_all(typed("zldjn"));
    let screen = run.wait_for("shown · 100 of 340 loaded").await;
    let shown = rows(&screen);
    assert!(!shown.is_empty(), "{screen}");
    assert!(shown.iter().all(|r| r.contains("Zildjian")), "{screen}");
    // Esc ends the narrowing.
    run.send(code(KeyCode::Esc));
    run.wait_gone("shown ·").await;
    run.send(ctrl('c'));
    run.finish().await;
    emu.shutdown().await;
}

#[tokio::test]
async fn lookup_opens_detail_and_remembers_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let recent = dir.path().join("recent_lookups");
    let (emu, client) = start_emulator(KEY, shop()).await;
    let run = Running::start_with(
        client,
        options(110, 30),
        Browse::new(),
        Some(recent.clone()),
    );
    run.wait_for("100 of 340 loaded").await;

    // A well-formed id that does not exist: the 404 shows in the box.
    run.send(key('g'));
    run.send_all(typed("00000000-0000-4000-8000-000000000000"));
    run.send(code(KeyCode::Enter));
    run.wait_for("No customization has this id (404)").await;

    // Paste the docs' id over it.
    run.send(pinscope::tui::Msg::Paste(format!("{DOCS_ID}\n")));
    run.send(code(KeyCode::Enter));
    let screen = run
        .wait_for("/p/555 pinned at slot 1 from 1 Feb 2025 01:00, no end")
        .await;
    assert!(
        screen.contains("Customization Fender Telecaster"),
        "{screen}"
    );
    assert!(
        screen.contains("image_link: https://doe.com/123.jpg"),
        "{screen}"
    );
    assert!(screen.contains("active now yes (1 of 1 pins)"), "{screen}");
    let saved = std::fs::read_to_string(&recent).expect("recent lookups saved");
    assert_eq!(saved.trim(), DOCS_ID);

    // Back on browse, the lookup offers it again.
    run.send(code(KeyCode::Esc));
    run.wait_gone("Customization Fender Telecaster").await;
    run.send(key('g'));
    let screen = run.wait_for("Recent").await;
    assert!(screen.contains(DOCS_ID), "{screen}");
    run.send(code(KeyCode::Down));
    run.send(code(KeyCode::Enter));
    run.wait_for("Customization Fender Telecaster").await;
    run.send(ctrl('c'));
    run.finish().await;
    emu.shutdown().await;
}

#[tokio::test]
async fn delete_asks_for_the_id_and_removes_the_row() {
    let (emu, client) = start_emulator(KEY, shop()).await;
    let check = crate::harness::client(&emu.url(), KEY);
    let run = Running::start(client, options(160, 30), Browse::new());
    let screen = run.wait_for("100 of 340 loaded").await;
    let id = rows(&screen)[0]
        .split_whitespace()
        .next()
        .expect("id")
        .to_string();
    assert_eq!(id.len(), 36, "{screen}");

    run.send(code(KeyCode::Enter));
    run.wait_for(&format!("id         {id}")).await;
    run.send(key('y'));
    run.wait_for("Copied the id to the clipboard").await;
    assert_eq!(*run.copied.lock().expect("lock"), vec![id.clone()]);

    run.send(key('d'));
    run.wait_for("Delete this customization?").await;
    run.send_all(typed("deadbeef"));
    run.send(code(KeyCode::Enter));
    run.wait_for("That is not").await;
    assert_eq!(emu.count("demo"), Some(340), "nothing deleted yet");

    run.send_all((0..8).map(|_| code(KeyCode::Backspace)));
    run.send_all(typed(&id[..8]));
    run.send(code(KeyCode::Enter));
    let screen = run.wait_for(&format!("Deleted {id}")).await;
    // Back on browse, without the row, with the total down by one.
    let screen = if screen.contains("339 customizations") || screen.contains("of 339") {
        screen
    } else {
        run.wait_for("of 339 loaded").await
    };
    assert!(screen.contains("Customizations 339"), "{screen}");
    assert!(rows(&screen).iter().all(|r| !r.contains(&id)), "{screen}");
    assert_eq!(emu.count("demo"), Some(339));
    let gone = check.get(&id).await.expect_err("deleted");
    assert_eq!(gone.status(), Some(404));

    run.send(key('q'));
    let (exit, app) = run.finish().await;
    assert_eq!(exit.reason, ExitReason::Quit);
    assert_eq!(app.screen_names(), ["browse"]);
    emu.shutdown().await;
}
