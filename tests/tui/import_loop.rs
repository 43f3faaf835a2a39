//! Import and export through the real loop, the real worker and client, and the emulator:
//! keys go in through a channel, the screen is read back from each frame. Recent files,
//! reports and journals go to a temporary data dir given to browse.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use jiff::Timestamp;
use pinscope::api::{Client, Customization, ExportQuery, TargetType};
use pinscope::emulator::Faults;
use pinscope::import::{self, CancelToken, ImportOptions, Progress, Source};
use pinscope::tui::Msg;
use pinscope::tui::demo::data_at;
use pinscope::tui::recent;
use pinscope::tui::screens::browse::Browse;
use serde_json::Value;

use crate::harness::*;
use crate::import_snapshots::MIXED;

const KEY: &str = "import-loop-key";

fn customization(v: Value) -> Customization {
    serde_json::from_value(v).expect("customization")
}

/// Waits until the screen shows `needle`, for up to a minute (a loaded machine is slow;
/// nothing here measures time).
async fn wait_long(run: &Running, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let s = run.text();
        if s.contains(needle) {
            return s;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {needle}; the screen shows:\n{s}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The number after `label` on the summary (`created  1,190`).
fn count(screen: &str, label: &str) -> u64 {
    let line = screen
        .lines()
        .find(|l| {
            l.trim_start_matches('│')
                .trim_start()
                .starts_with(&format!("{label} "))
        })
        .unwrap_or_else(|| panic!("no {label} on the screen:\n{screen}"));
    let rest = line.trim_start_matches('│').trim_start()[label.len()..].trim_start();
    rest.split_whitespace()
        .next()
        .and_then(|n| n.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("no number after {label}: {line}"))
}

/// The only file in `dir` whose name ends with `suffix`.
fn only_file(dir: &Path, suffix: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found.into_iter().next().expect("one")
}

/// `line -> outcome` from a report.
fn report_outcomes(path: &Path) -> BTreeMap<u64, String> {
    std::fs::read_to_string(path)
        .expect("report")
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("report line");
            (
                v["line"].as_u64().expect("line"),
                v["outcome"].as_str().expect("outcome").to_string(),
            )
        })
        .collect()
}

async fn everything(client: &Client) -> Vec<Customization> {
    client
        .export(&ExportQuery::default())
        .await
        .expect("export")
}

fn keys_of(rows: &[Customization]) -> BTreeSet<String> {
    rows.iter()
        .map(|c| c.conflict_key().expect("key").to_string())
        .collect()
}

#[tokio::test]
async fn import_with_bad_lines_sends_only_the_valid_ones() {
    let data = tempfile::tempdir().expect("data dir");
    let input_dir = tempfile::tempdir().expect("input dir");
    let input = input_dir.path().join("catalog.ndjson");
    std::fs::write(&input, MIXED).expect("write");
    let stored = customization(serde_json::json!({
        "id": "00000000-0000-4000-8000-000000000333",
        "model": "basket", "target_type": "item", "target_identity": "/p/3",
        "pin_definitions": [], "created_at": "2025-01-01T00:00:00Z"
    }));
    let (emu, client) = start_emulator(KEY, vec![stored]).await;
    let check = crate::harness::client(&emu.url(), KEY);
    let run = Running::start(
        client,
        options(120, 30),
        Browse::new().with_data_dir(data.path()),
    );
    run.wait_for("1 customizations").await;

    run.send(key('i'));
    run.wait_for("[file]").await;
    run.send_all(typed(&input.display().to_string()));
    run.send(code(KeyCode::Enter));
    // Lines 2, 5 and 9 are invalid; 1, 3 and 8 share a target.
    let screen = run.wait_for("Invalid lines 3").await;
    assert!(screen.contains("Repeated targets 1"), "{screen}");
    assert!(screen.contains("target_type: Must be one of"), "{screen}");
    assert_eq!(emu.count("demo"), Some(1), "nothing sent while validating");

    // Override: the last line of a repeated target wins and a stored target is replaced.
    run.send(code(KeyCode::Enter));
    run.wait_for("When a line's target is already stored").await;
    run.send_all([code(KeyCode::Down), code(KeyCode::Down)]);
    run.wait_for("› override").await;
    run.send(code(KeyCode::Enter));
    let screen = run.wait_for("Send 3 lines to tracker demo").await;
    assert!(
        screen.contains("skipped  2 with a repeated target"),
        "{screen}"
    );
    assert_eq!(emu.count("demo"), Some(1), "nothing sent before Enter");
    run.send(code(KeyCode::Enter));

    let screen = run.wait_for("Import done").await;
    assert_eq!(count(&screen, "created"), 2, "{screen}");
    assert_eq!(count(&screen, "replaced"), 1, "{screen}");
    assert_eq!(count(&screen, "skipped"), 2, "{screen}");
    assert_eq!(count(&screen, "rejected"), 3, "{screen}");
    assert_eq!(count(&screen, "not sent"), 0, "{screen}");

    // The report is where the screen says, with every non-blank line.
    let report = only_file(&data.path().join("imports"), ".report.ndjson");
    let shown = report.display().to_string();
    assert!(
        screen
            .replace(['│', ' ', '\n'], "")
            .contains(&shown.replace(' ', "")),
        "{shown} not on\n{screen}"
    );
    let outcomes = report_outcomes(&report);
    let want: BTreeMap<u64, String> = [
        (1, "skipped"),
        (2, "rejected"),
        (3, "skipped"),
        (5, "rejected"),
        (6, "created"),
        (7, "replaced"),
        (8, "created"),
        (9, "rejected"),
    ]
    .into_iter()
    .map(|(l, o)| (l, o.to_string()))
    .collect();
    assert_eq!(outcomes, want);

    // The server holds exactly the stored one (replaced in place) and the two created.
    let rows = everything(&check).await;
    assert_eq!(
        keys_of(&rows),
        ["basket item /p/1", "basket item /p/3", "home all",]
            .into_iter()
            .map(String::from)
            .collect()
    );
    let p1 = rows
        .iter()
        .find(|c| c.target_label() == "/p/1")
        .expect("/p/1");
    assert_eq!(
        p1.0["pin_definitions"][0]["pin_identity"], "/p/11",
        "line 8 won"
    );
    let p3 = rows
        .iter()
        .find(|c| c.target_label() == "/p/3")
        .expect("/p/3");
    assert_eq!(p3.id(), Some("00000000-0000-4000-8000-000000000333"));
    assert_eq!(p3.0["pin_definitions"][0]["pin_identity"], "/p/30");

    // The file is remembered; closing the summary shows browse, reloaded.
    let recent =
        std::fs::read_to_string(data.path().join(recent::IMPORTS.file_name)).expect("recent");
    assert_eq!(recent.trim(), input.display().to_string());
    run.send(code(KeyCode::Esc));
    run.wait_for("3 customizations").await;
    run.send(key('q'));
    run.finish().await;
    emu.shutdown().await;
}

#[tokio::test]
async fn cancel_mid_import_accounts_for_every_line_and_can_be_resumed() {
    const LINES: usize = 30_000;
    let data = tempfile::tempdir().expect("data dir");
    let input_dir = tempfile::tempdir().expect("input dir");
    let input = input_dir.path().join("big.ndjson");
    let mut text = String::with_capacity(LINES * 100);
    for i in 0..LINES {
        text.push_str(&format!(
            r#"{{"model":"basket","target_type":"item","target_identity":"/p/{i}","pin_definitions":[{{"position":1,"pin_type":"item","pin_identity":"/p/x{i}"}}]}}"#
        ));
        text.push('\n');
    }
    std::fs::write(&input, &text).expect("write");
    let (emu, client) = start_emulator(KEY, Vec::new()).await;
    let check = crate::harness::client(&emu.url(), KEY);
    let run = Running::start(
        client,
        options(110, 30),
        Browse::new().with_data_dir(data.path()),
    );
    run.wait_for("No customizations yet").await;

    run.send(key('i'));
    run.wait_for("[file]").await;
    run.send(Msg::Paste(input.display().to_string()));
    run.send(code(KeyCode::Enter));
    wait_long(&run, "When a line's target is already stored").await;
    run.send(code(KeyCode::Enter));
    run.wait_for("Send 30,000 lines").await;
    // Every request now takes a second: there is time to cancel after the first ones.
    emu.set_faults(Faults {
        delay_ms: Some((1000, 1000)),
        ..Faults::none()
    });
    run.send(code(KeyCode::Enter));
    // Two chunks are in flight at once and finish together.
    run.wait_until("chunks done", |s| {
        s.contains("of 6 done") && !s.contains(" 0 of 6 done")
    })
    .await;
    run.send(key('c'));
    run.wait_for("Cancel the import?").await;
    run.send(code(KeyCode::Enter));
    let screen = wait_long(&run, "Import cancelled").await;
    emu.set_faults(Faults::none());

    let created = count(&screen, "created");
    let not_sent = count(&screen, "not sent");
    assert_eq!(created + not_sent, LINES as u64, "{screen}");
    assert!(not_sent > 0, "the cancel stopped nothing:\n{screen}");
    assert_eq!(created % 5000, 0, "whole chunks only:\n{screen}");
    assert_eq!(emu.count("demo"), Some(created as usize));
    assert!(screen.contains("--resume --report"), "{screen}");

    // The report accounts for every line; the journal is beside it.
    let imports = data.path().join("imports");
    let report = only_file(&imports, ".report.ndjson");
    let journal = only_file(&imports, ".journal");
    assert_eq!(
        journal
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
        report
            .file_name()
            .map(|n| format!("{}.journal", n.to_string_lossy()))
    );
    let outcomes = report_outcomes(&report);
    assert_eq!(outcomes.len(), LINES);
    let by_outcome = outcomes.values().fold(BTreeMap::new(), |mut m, o| {
        *m.entry(o.as_str()).or_insert(0u64) += 1;
        m
    });
    assert_eq!(
        by_outcome,
        [("created", created), ("not_sent", not_sent)]
            .into_iter()
            .collect()
    );
    run.send(code(KeyCode::Esc));
    run.send(key('q'));
    run.finish().await;

    // What the screen says to do: resume from the journal; the rest goes, nothing twice.
    let plan = import::scan(
        Source::Path(input.clone()),
        &Progress::none(),
        &CancelToken::new(),
    )
    .expect("scan");
    let resumed = import::run_import(
        &plan,
        &check,
        &ImportOptions {
            journal: Some(journal),
            resume: true,
            ..ImportOptions::default()
        },
        &Progress::none(),
        &CancelToken::new(),
    )
    .await
    .expect("resume");
    assert_eq!(resumed.summary.resumed_lines, created);
    assert_eq!(resumed.summary.counts.created, LINES as u64);
    assert_eq!(emu.count("demo"), Some(LINES));
    emu.shutdown().await;
}

#[tokio::test]
async fn export_writes_the_filtered_customizations_to_a_file() {
    let shop = data_at(Timestamp::now()).expect("demo data");
    let (emu, client) = start_emulator(KEY, shop.clone()).await;
    let out = tempfile::tempdir().expect("out dir");
    let run = Running::start(client, options(120, 30), Browse::new());
    run.wait_for("100 of 340 loaded").await;

    // No filter: everything.
    run.send(key('x'));
    run.wait_for("every customization (no filter is set)").await;
    let all = out.path().join("all.ndjson");
    run.send(Msg::Paste(all.display().to_string()));
    run.send(code(KeyCode::Enter));
    run.wait_for(&format!("Exported 340 customizations to {}", all.display()))
        .await;
    let ids = |path: &Path| -> BTreeSet<String> {
        std::fs::read_to_string(path)
            .expect("export file")
            .lines()
            .map(|l| {
                let c: Customization = serde_json::from_str(l).expect("a customization a line");
                c.id().expect("id").to_string()
            })
            .collect()
    };
    let want: BTreeSet<String> = shop
        .iter()
        .filter_map(|c| c.id())
        .map(String::from)
        .collect();
    assert_eq!(ids(&all), want);

    // Two target types: two requests, one file.
    run.send_all([
        key('f'),
        code(KeyCode::Tab),
        code(KeyCode::Tab),
        key(' '),
        key('j'),
        key(' '),
        code(KeyCode::Enter),
    ]);
    run.wait_for("type=item|criteria").await;
    run.send(key('x'));
    run.wait_for("target type item or criteria").await;
    // A directory that does not exist: the error shows in the dialog.
    run.send(Msg::Paste(
        out.path()
            .join("missing")
            .join("x.ndjson")
            .display()
            .to_string(),
    ));
    run.send(code(KeyCode::Enter));
    run.wait_for("✗ cannot write").await;
    let some = out.path().join("some.ndjson");
    run.send(Msg::Paste(some.display().to_string()));
    run.send(code(KeyCode::Enter));
    let want: BTreeSet<String> = shop
        .iter()
        .filter(|c| {
            matches!(
                c.target_type(),
                Some(TargetType::Item | TargetType::Criteria)
            )
        })
        .filter_map(|c| c.id())
        .map(String::from)
        .collect();
    run.wait_for(&format!(
        "Exported {} customizations to {}",
        want.len(),
        some.display()
    ))
    .await;
    assert_eq!(ids(&some), want);
    // Nothing but the two files is left behind.
    let names: BTreeSet<String> = std::fs::read_dir(out.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["all.ndjson", "some.ndjson"]
            .into_iter()
            .map(String::from)
            .collect()
    );
    run.send(key('q'));
    run.finish().await;
    emu.shutdown().await;
}

#[tokio::test]
async fn ctrl_c_while_sending_asks_then_cancels_writes_the_report_and_prints_the_resume() {
    const LINES: usize = 30_000;
    let data = tempfile::tempdir().expect("data dir");
    let input_dir = tempfile::tempdir().expect("input dir");
    let input = input_dir.path().join("my big file.ndjson");
    let mut text = String::with_capacity(LINES * 100);
    for i in 0..LINES {
        text.push_str(&format!(
            r#"{{"model":"basket","target_type":"item","target_identity":"/p/{i}","pin_definitions":[{{"position":1,"pin_type":"item","pin_identity":"/p/x{i}"}}]}}"#
        ));
        text.push('\n');
    }
    std::fs::write(&input, &text).expect("write");
    let (emu, client) = start_emulator(KEY, Vec::new()).await;
    let run = Running::start(
        client,
        options(110, 30),
        Browse::new().with_data_dir(data.path()),
    );
    run.wait_for("No customizations yet").await;
    run.send(key('i'));
    run.wait_for("[file]").await;
    run.send(Msg::Paste(input.display().to_string()));
    run.send(code(KeyCode::Enter));
    wait_long(&run, "When a line's target is already stored").await;
    run.send(code(KeyCode::Enter));
    run.wait_for("Send 30,000 lines").await;
    emu.set_faults(Faults {
        delay_ms: Some((1000, 1000)),
        ..Faults::none()
    });
    run.send(code(KeyCode::Enter));
    // Two chunks are in flight at once and finish together.
    run.wait_until("chunks done", |s| {
        s.contains("of 6 done") && !s.contains(" 0 of 6 done")
    })
    .await;
    // The first Ctrl-C asks, as c does; the import goes on.
    run.send(ctrl('c'));
    run.wait_for("Cancel the import?").await;
    // The second cancels: the requests in flight finish, the report is written, and
    // pinscope ends with the command that continues the import.
    run.send(ctrl('c'));
    let screen = run.screen.clone();
    let (exit, _app) = tokio::time::timeout(Duration::from_secs(60), run.task)
        .await
        .expect("the loop ends")
        .expect("no panic");
    emu.set_faults(Faults::none());
    let last = screen.lock().expect("lock").clone();
    assert_eq!(exit.reason, pinscope::tui::ExitReason::Quit, "{last}");
    let note = exit
        .message
        .unwrap_or_else(|| panic!("no note on exit; the last frame:\n{last}"));
    let imports = data.path().join("imports");
    let report = only_file(&imports, ".report.ndjson");
    assert!(note.contains("to continue it, run:"), "{note}");
    assert!(
        note.contains(&format!(
            "pinscope --profile demo import '{}' --resume --report {}",
            input.display(),
            pinscope::tui::screens::shell_quote(&report.display().to_string())
        )),
        "{note}"
    );
    let outcomes = report_outcomes(&report);
    assert_eq!(outcomes.len(), LINES);
    let created = outcomes.values().filter(|o| *o == "created").count();
    let not_sent = outcomes.values().filter(|o| *o == "not_sent").count();
    assert_eq!(created + not_sent, LINES);
    assert!(not_sent > 0, "the cancel stopped nothing");
    assert_eq!(emu.count("demo"), Some(created));
    emu.shutdown().await;
}
