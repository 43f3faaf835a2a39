//! The import screen and the export dialog in their states, drawn from messages alone; the
//! steps of a validation come from the real job on a real file.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossterm::event::KeyCode;
use insta::assert_snapshot;
use pinscope::api::ConflictStrategy;
use pinscope::import::{CancelToken, Counts, Event, ExistingMode, ImportTotals, Outcome};
use pinscope::tui::App;
use pinscope::tui::app::{AppOptions, Effect};
use pinscope::tui::jobs::{self, Finished, ImportReply, LineNote, ScanJob, Shared};
use pinscope::tui::keys::{Action, Context, Keymap};
use pinscope::tui::msg::{ApiReply, ApiRequest, Msg, ReqId};
use pinscope::tui::screens::browse::Browse;
use pinscope::tui::screens::import::ImportScreen;

use crate::harness::*;

/// A file with two invalid lines, one line that is not JSON, and a target on three lines.
pub const MIXED: &str = concat!(
    r#"{"model":"basket","target_type":"item","target_identity":"/p/1","pin_definitions":[{"position":1,"pin_type":"item","pin_identity":"/p/10"}]}"#,
    "\n",
    r#"{"model":"basket","target_type":"itm","target_identity":"/p/2","pin_definitions":[]}"#,
    "\n",
    r#"{"model":"basket","target_type":"item","target_identity":"/p/1","pin_definitions":[]}"#,
    "\n",
    "\n",
    "this is not json\n",
    r#"{"model":"home","target_type":"all","pin_definitions":[]}"#,
    "\n",
    r#"{"model":"basket","target_type":"item","target_identity":"/p/3","pin_definitions":[{"position":0,"pin_type":"item","pin_identity":"/p/30","is_block_pin":true}]}"#,
    "\n",
    r#"{"model":"basket","target_type":"item","target_identity":"/p/1","pin_definitions":[{"position":2,"pin_type":"item","pin_identity":"/p/11"}]}"#,
    "\n",
    r#"{"model":"product_detail","target_type":"criteria","target_criteria":{"brand":"Fender"},"pin_definitions":[{"position":1,"pin_type":"item"}]}"#,
    "\n",
);

/// Where the snapshots say the input is (it is never read: the steps come from a real file
/// elsewhere).
const SHOWN_INPUT: &str = "/shop/catalog.ndjson";

fn opts(width: u16, height: u16, production: bool) -> AppOptions {
    let mut o = options(width, height);
    o.profile.production = production;
    if production {
        o.profile.label = "live".into();
    }
    o
}

fn import_app(o: AppOptions) -> App {
    let (app, effects) = app_with(o, ImportScreen::new(Some(PathBuf::from("/data"))));
    assert!(requests(&effects).is_empty(), "nothing is asked on open");
    app
}

/// Types `path`, presses Enter, returns the scan request it sends.
fn submit(app: &mut App, path: &str) -> (ReqId, ApiRequest) {
    let mut msgs = typed(path);
    msgs.push(code(KeyCode::Enter));
    let reqs = requests(&feed(app, msgs));
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    let (id, req) = reqs.into_iter().next().expect("one request");
    match &req {
        ApiRequest::ImportScan(job) => assert_eq!(job.path, Path::new(path)),
        other => panic!("not a scan: {other:?}"),
    }
    (id, req)
}

fn reply(id: ReqId, req: &ApiRequest, r: ImportReply) -> Msg {
    event(id, req, Ok(ApiReply::Import(r)))
}

/// Runs the real validation job on `text`; returns its steps and its end.
pub fn validate(text: &str) -> (Vec<ImportReply>, ImportReply, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.ndjson");
    std::fs::write(&path, text).expect("write");
    let steps = Arc::new(Mutex::new(Vec::new()));
    let sink = steps.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let end = rt.block_on(jobs::scan(
        ScanJob {
            path,
            cancel: Shared::new(CancelToken::new()),
            remember_in: None,
        },
        Arc::new(move |r| sink.lock().expect("lock").push(r)),
    ));
    let steps = steps.lock().expect("lock").clone();
    (steps, end, dir)
}

/// An import screen that validated `text`.
fn validated(o: AppOptions, text: &str) -> (App, ReqId, ApiRequest) {
    let mut app = import_app(o);
    let (id, req) = submit(&mut app, SHOWN_INPUT);
    let (steps, end, _dir) = validate(text);
    let mut msgs: Vec<Msg> = steps.into_iter().map(|s| reply(id, &req, s)).collect();
    msgs.push(reply(id, &req, end));
    feed(&mut app, msgs);
    (app, id, req)
}

/// An import screen on its confirm step with `strategy` chosen (0 raise, 1 ignore, 2 override).
fn confirming(o: AppOptions, strategy: usize) -> App {
    let (mut app, _, _) = validated(o, MIXED);
    let mut msgs = vec![code(KeyCode::Enter)];
    msgs.extend((0..strategy).map(|_| code(KeyCode::Down)));
    msgs.push(code(KeyCode::Enter));
    feed(&mut app, msgs);
    app
}

/// Presses Enter on the confirm step; returns the send request.
fn send(app: &mut App) -> (ReqId, ApiRequest) {
    let reqs = requests(&feed(app, [code(KeyCode::Enter)]));
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    reqs.into_iter().next().expect("one request")
}

fn sending(app: &mut App) -> (ReqId, ApiRequest) {
    let (id, req) = send(app);
    let events = [
        Event::Sending {
            lines: 12_000,
            chunks: 3,
            already_done: 0,
        },
        Event::CheckingTargets {
            mode: ExistingMode::Snapshot,
            stored: 340,
        },
        Event::ChunkSent {
            chunk: 0,
            first_line: 1,
            last_line: 5000,
            lines: 5000,
            attempt: 1,
        },
        Event::Retry {
            chunk: 1,
            attempt: 1,
            delay: Duration::from_millis(1500),
            error: "503 Service Unavailable".into(),
        },
        Event::ChunkDone {
            chunk: 0,
            counts: Counts {
                created: 4990,
                replaced: 0,
                skipped: 0,
                rejected: 10,
                not_sent: 0,
            },
            lines_done: 5000,
            lines_total: 12_000,
            lines_per_sec: 2500.0,
            eta: Some(Duration::from_millis(2800)),
        },
    ];
    feed(
        app,
        events
            .into_iter()
            .map(|e| reply(id, &req, ImportReply::Event(e))),
    );
    (id, req)
}

fn finished(cancelled: bool) -> Finished {
    let counts = if cancelled {
        Counts {
            created: 4990,
            replaced: 0,
            skipped: 1,
            rejected: 12,
            not_sent: 7000,
        }
    } else {
        Counts {
            created: 11_980,
            replaced: 0,
            skipped: 1,
            rejected: 22,
            not_sent: 0,
        }
    };
    Finished {
        summary: ImportTotals {
            input: SHOWN_INPUT.into(),
            strategy: ConflictStrategy::Raise,
            lines: counts.total(),
            counts,
            chunks: 3,
            requests: if cancelled { 2 } else { 4 },
            retries: 1,
            resumed_lines: 0,
            elapsed: Duration::from_millis(4200),
            existing: Some(ExistingMode::Snapshot),
            stopped: cancelled.then(|| "cancelled".to_string()),
            cancelled,
            service_failed: false,
            report: Some(PathBuf::from(
                "/data/imports/catalog-20250615-120000.report.ndjson",
            )),
            journal: Some(PathBuf::from(
                "/data/imports/catalog-20250615-120000.report.ndjson.journal",
            )),
        },
        notable: vec![
            LineNote {
                line: 2,
                outcome: Outcome::Rejected,
                reason: "target_type: Must be one of: item, criteria, all".into(),
            },
            LineNote {
                line: 3,
                outcome: Outcome::Rejected,
                reason: "same target as line 1, which is sent first (conflict_strategy=raise)"
                    .into(),
            },
            LineNote {
                line: 5001,
                outcome: Outcome::NotSent,
                reason: "cancelled".into(),
            },
        ],
        report_error: None,
    }
}

#[test]
fn import_file_picker_with_recent_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join(pinscope::tui::recent::IMPORTS.file_name),
        "/shop/catalog.ndjson\n/shop/summer-sale.ndjson\n",
    )
    .expect("write");
    let (mut app, _) = app_with(
        options(100, 16),
        ImportScreen::new(Some(dir.path().to_path_buf())),
    );
    // Down picks the newest recent file into the field.
    feed(&mut app, [code(KeyCode::Down)]);
    let text = draw(&app);
    assert!(text.contains("│/shop/catalog.ndjson"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn import_file_picker_lists_completions() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["sale-a.ndjson", "sale-b.ndjson", "other.txt"] {
        std::fs::write(dir.path().join(name), "").expect("write");
    }
    let mut app = import_app(options(100, 16));
    let base = dir.path().display().to_string();
    let mut msgs = typed(&format!("{base}/s"));
    msgs.push(code(KeyCode::Tab));
    feed(&mut app, msgs);
    let text = draw(&app);
    assert!(text.contains(&format!("{base}/sale-")), "{text}");
    assert!(text.contains("sale-a.ndjson"), "{text}");
    assert!(text.contains("sale-b.ndjson"), "{text}");
    assert!(!text.contains("other.txt"), "{text}");
}

#[test]
fn import_file_that_cannot_be_read_says_so_in_place() {
    let mut app = import_app(options(100, 12));
    let (id, req) = submit(&mut app, "/shop/missing.ndjson");
    feed(
        &mut app,
        [reply(
            id,
            &req,
            ImportReply::Failed(
                "cannot read /shop/missing.ndjson: No such file or directory (os error 2)".into(),
            ),
        )],
    );
    let text = draw(&app);
    assert!(
        text.contains("✗ cannot read /shop/missing.ndjson: No such file"),
        "{text}"
    );
    assert_eq!(app.screen_names(), ["import"]);
}

#[test]
fn import_validating() {
    let mut app = import_app(options(100, 14));
    let (id, req) = submit(&mut app, SHOWN_INPUT);
    feed(
        &mut app,
        [
            reply(
                id,
                &req,
                ImportReply::Invalid(vec![jobs::InvalidLine {
                    line: 2,
                    text: "{}".into(),
                    reasons: vec!["model: Missing required field: model".into()],
                }]),
            ),
            reply(
                id,
                &req,
                ImportReply::Event(Event::Validating {
                    lines: 262_144,
                    bytes: 78_643_200,
                    total_bytes: Some(300_000_000),
                    lines_per_sec: 812_345.0,
                }),
            ),
        ],
    );
    // The request stays in flight while steps arrive.
    assert_eq!(app.in_flight(), 1);
    let text = draw(&app);
    assert!(text.contains("262,144"), "{text}");
    assert!(text.contains("812,345 lines/s"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn import_invalid_lines_browser() {
    let (mut app, _, _) = validated(options(110, 24), MIXED);
    let text = draw(&app);
    assert!(text.contains("Invalid lines 3"), "{text}");
    // Down moves to the next invalid line; the detail follows it.
    feed(&mut app, [code(KeyCode::Down)]);
    let text = draw(&app);
    assert!(text.contains("line 5 · 1 reason"), "{text}");
    assert!(text.contains("• invalid JSON at column"), "{text}");
    assert_snapshot!(text);
    // End goes to the last one.
    feed(&mut app, [code(KeyCode::End)]);
    assert!(draw(&app).contains("line 9 · "), "{}", draw(&app));
}

#[test]
fn import_of_a_json_array_says_ndjson_is_expected() {
    let (app, _, _) = validated(
        options(100, 20),
        "[\n  {\"model\": \"m\", \"target_type\": \"all\", \"pin_definitions\": []}\n]\n",
    );
    let text = draw(&app);
    assert!(
        text.contains("The file looks like a JSON array: one customization a line (NDJSON)"),
        "{text}"
    );
    let (app, _, _) = validated(options(100, 20), MIXED);
    assert!(!draw(&app).contains("JSON array"));
}

#[test]
fn import_duplicates() {
    let (mut app, _, _) = validated(options(110, 20), MIXED);
    feed(&mut app, [code(KeyCode::Tab)]);
    let text = draw(&app);
    assert!(text.contains("basket item /p/1"), "{text}");
    assert!(text.contains("1, 3, 8"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn import_strategy_choice() {
    let (mut app, _, _) = validated(options(100, 16), MIXED);
    feed(&mut app, [code(KeyCode::Enter), code(KeyCode::Down)]);
    let text = draw(&app);
    assert!(text.contains("› ignore"), "{text}");
    assert!(
        text.contains("the first line of each is sent, 2 others are skipped"),
        "{text}"
    );
    assert_snapshot!(text);
}

#[test]
fn import_confirm() {
    let app = confirming(options(100, 16), 2);
    let text = draw(&app);
    assert!(text.contains("Send 3 lines to tracker demo"), "{text}");
    assert!(
        text.contains("/data/imports/catalog-20250615-120000.report.ndjson"),
        "{text}"
    );
    // The summary's and the report's words: invalid lines end as rejected, repeated
    // targets (under override) as skipped; "not sent" is only for a cancel or a stop.
    assert!(text.contains("rejected 3 invalid"), "{text}");
    assert!(text.contains("skipped  2 with a repeated target"), "{text}");
    assert!(!text.contains("not sent"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn import_production_confirm_needs_the_count() {
    let mut app = confirming(opts(100, 18, true), 0);
    // Enter alone, or a wrong count, sends nothing.
    let mut msgs = typed("5");
    msgs.push(code(KeyCode::Enter));
    assert!(requests(&feed(&mut app, msgs)).is_empty());
    let text = draw(&app);
    assert!(
        text.contains("live is production: type 3 to send"),
        "{text}"
    );
    assert!(text.contains("That is not 3"), "{text}");
    assert_snapshot!(text);
    feed(&mut app, [code(KeyCode::Backspace), key('3')]);
    let (_, req) = send(&mut app);
    let ApiRequest::ImportSend(job) = req else {
        panic!("not a send: {req:?}");
    };
    assert_eq!(job.strategy, ConflictStrategy::Raise);
    assert_eq!(
        job.report,
        Path::new("/data/imports/catalog-20250615-120000.report.ndjson")
    );
    assert_eq!(
        job.journal.as_deref(),
        Some(Path::new(
            "/data/imports/catalog-20250615-120000.report.ndjson.journal"
        ))
    );
}

#[test]
fn import_progress() {
    let mut app = confirming(options(100, 18), 0);
    sending(&mut app);
    let text = draw(&app);
    assert!(text.contains("1 of 3 done"), "{text}");
    assert!(text.contains("5,000 of 12,000"), "{text}");
    assert!(text.contains("2,500 lines/s · ETA 2.8s"), "{text}");
    assert!(text.contains("503 Service Unavailable"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn import_says_it_checks_stored_targets_before_the_first_chunk() {
    let mut app = confirming(options(100, 18), 0);
    let (id, req) = send(&mut app);
    let events = [
        Event::Sending {
            lines: 12_000,
            chunks: 3,
            already_done: 0,
        },
        Event::ListingStored {
            read: 1_000,
            total: 5_000,
        },
    ];
    feed(
        &mut app,
        events.map(|e| reply(id, &req, ImportReply::Event(e))),
    );
    let text = draw(&app);
    assert!(
        text.contains("Checking stored targets: 1,000 of 5,000 (nothing is sent before this ends)"),
        "{text}"
    );
    assert!(
        text.contains("checking stored targets: 1,000 of 5,000"),
        "{text}"
    );
    // Listed: the screen goes back to sending.
    feed(
        &mut app,
        [
            Event::ListingStored {
                read: 5_000,
                total: 5_000,
            },
            Event::CheckingTargets {
                mode: ExistingMode::Snapshot,
                stored: 5_000,
            },
        ]
        .map(|e| reply(id, &req, ImportReply::Event(e))),
    );
    let text = draw(&app);
    assert!(!text.contains("Checking stored targets"), "{text}");
    assert!(text.contains("5,000 stored, listed once"), "{text}");
}

#[test]
fn import_cancel_asks_then_cancels() {
    let mut app = confirming(options(100, 18), 0);
    let (_, req) = sending(&mut app);
    let ApiRequest::ImportSend(job) = &req else {
        panic!("not a send");
    };
    feed(&mut app, [key('c')]);
    let text = draw(&app);
    assert!(text.contains("Cancel the import?"), "{text}");
    // Esc keeps going.
    feed(&mut app, [code(KeyCode::Esc)]);
    assert!(!draw(&app).contains("Cancel the import?"));
    assert!(!job.cancel.is_cancelled());
    // Esc asks too; Enter cancels.
    feed(&mut app, [code(KeyCode::Esc), code(KeyCode::Enter)]);
    assert!(job.cancel.is_cancelled());
    let text = draw(&app);
    assert!(
        text.contains("Cancelling: finishing 1 request in flight… nothing more is sent"),
        "{text}"
    );
    assert!(!text.contains("then pinscope quits"), "{text}");
}

#[test]
fn a_third_ctrl_c_says_what_it_waits_for_and_loses_nothing() {
    let mut app = confirming(options(110, 18), 0);
    let (id, req) = sending(&mut app);
    let ApiRequest::ImportSend(job) = &req else {
        panic!("not a send");
    };
    // The first asks, the second cancels: the one chunk in flight (retried) finishes.
    feed(&mut app, [ctrl('c')]);
    assert!(draw(&app).contains("Cancel the import?"));
    feed(&mut app, [ctrl('c')]);
    assert!(job.cancel.is_cancelled());
    assert!(!app.should_quit());
    let text = draw(&app);
    assert!(
        text.contains(
            "Cancelling: finishing 1 request in flight… nothing more is sent; then pinscope quits"
        ),
        "{text}"
    );
    // A third does not quit before the outcomes are in: it says what it waits for.
    let effects = feed(&mut app, [ctrl('c')]);
    assert!(!app.should_quit());
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Quit)),
        "{effects:?}"
    );
    assert_eq!(app.screen_names(), ["import"]);
    let toast = app.toast().map(|t| t.text.clone()).unwrap_or_default();
    assert_eq!(
        toast,
        "finishing 1 request in flight…; pinscope quits when they end, with the journal and the report written"
    );
    // The chunk settles and the run ends: now pinscope quits, with the resume command.
    feed(
        &mut app,
        [reply(
            id,
            &req,
            ImportReply::Finished(Box::new(finished(true))),
        )],
    );
    assert!(app.should_quit());
    let note = app.exit_note().expect("a note for the exit");
    assert!(note.contains("--resume --report"), "{note}");
}

/// The bottom border, where the screen's keys are.
fn footer(text: &str) -> String {
    text.lines()
        .find(|l| l.contains('╰'))
        .unwrap_or_else(|| panic!("no footer in\n{text}"))
        .to_string()
}

#[test]
fn import_hints_offer_only_keys_that_work_in_the_state() {
    // No recent files: Up and Down have nothing to walk.
    let app = import_app(options(100, 16));
    let f = footer(&draw(&app));
    assert!(f.contains("Enter validate"), "{f}");
    assert!(!f.contains("recent"), "{f}");
    // Nothing valid to send and one list: neither Enter nor Tab does anything.
    let (mut app, _, _) = validated(options(110, 20), "not json\n{\"model\":\"m\"}\n");
    let f = footer(&draw(&app));
    assert!(f.contains("Esc back"), "{f}");
    assert!(!f.contains("Enter continue"), "{f}");
    assert!(!f.contains("switch list"), "{f}");
    let before = draw(&app);
    feed(&mut app, [code(KeyCode::Enter), code(KeyCode::Tab)]);
    assert_eq!(draw(&app), before, "Enter and Tab did something");
    // The cancel question is open: its keys, not the key that opened it.
    let mut app = confirming(options(110, 18), 0);
    sending(&mut app);
    assert!(footer(&draw(&app)).contains("c/Esc cancel"));
    feed(&mut app, [key('c')]);
    let f = footer(&draw(&app));
    assert!(f.contains("Enter cancel it · Esc keep going"), "{f}");
    assert!(!f.contains("c/Esc"), "{f}");
}

#[test]
fn import_cancelled_summary() {
    let mut app = confirming(options(100, 30), 0);
    let (id, req) = sending(&mut app);
    feed(&mut app, [key('c'), code(KeyCode::Enter)]);
    feed(
        &mut app,
        [reply(
            id,
            &req,
            ImportReply::Finished(Box::new(finished(true))),
        )],
    );
    assert_eq!(app.in_flight(), 0);
    let text = draw(&app);
    assert!(text.contains("Import cancelled"), "{text}");
    // A command that works as printed: it names the profile the import used.
    assert!(
        text.contains("pinscope --profile demo import /shop/catalog.ndjson --resume --report"),
        "{text}"
    );
    assert_snapshot!(text);
    // The same command is printed once the terminal is back.
    let note = app.exit_note().expect("a note for the exit");
    assert!(
        note.contains("pinscope --profile demo import /shop/catalog.ndjson --resume --report"),
        "{note}"
    );
}

#[test]
fn import_done_summary() {
    let mut app = confirming(options(100, 26), 0);
    let (id, req) = sending(&mut app);
    feed(
        &mut app,
        [reply(
            id,
            &req,
            ImportReply::Finished(Box::new(finished(false))),
        )],
    );
    let text = draw(&app);
    assert!(text.contains("created  11,980"), "{text}");
    assert!(!text.contains("--resume"), "{text}");
    assert_snapshot!(text);
    // Enter closes it.
    feed(&mut app, [code(KeyCode::Enter)]);
    assert!(app.should_quit(), "the import screen was the only one");
}

#[test]
fn import_40x12() {
    let (app, _, _) = validated(options(40, 12), MIXED);
    assert_snapshot!("import_40x12_review", draw(&app));
    let mut app = confirming(options(40, 12), 0);
    assert_snapshot!("import_40x12_confirm", draw(&app));
    sending(&mut app);
    assert_snapshot!("import_40x12_progress", draw(&app));
}

#[test]
fn import_refused_on_a_read_only_profile() {
    let mut o = options(100, 16);
    o.profile.read_only = true;
    let data = sample(3);
    let (mut app, effects) = app_with(o, Browse::new().with_data_dir("/data"));
    answer_all(&mut app, effects, serve(&data));
    feed(&mut app, [key('i')]);
    assert_eq!(app.screen_names(), ["browse"]);
    let toast = app.toast().expect("a toast").text.clone();
    assert_eq!(toast, "Profile demo is read-only: importing is turned off");
}

#[test]
fn import_and_export_keys_are_in_help_and_can_be_rebound() {
    let k = Keymap::default();
    let help = k.help_lines(Context::Browse);
    assert!(
        help.iter()
            .any(|(keys, what)| keys == "i" && what.contains("import"))
    );
    assert!(
        help.iter()
            .any(|(keys, what)| keys == "x" && what.contains("export"))
    );
    let mut o = std::collections::BTreeMap::new();
    o.insert("import".to_string(), vec!["I".to_string()]);
    o.insert("export".to_string(), vec!["ctrl-e".to_string()]);
    let k = Keymap::with_overrides(&o).expect("valid");
    let big_i =
        crossterm::event::KeyEvent::new(KeyCode::Char('I'), crossterm::event::KeyModifiers::SHIFT);
    assert_eq!(k.resolve(Context::Browse, &big_i), Some(Action::Import));
    let ctrl_e = crossterm::event::KeyEvent::new(
        KeyCode::Char('e'),
        crossterm::event::KeyModifiers::CONTROL,
    );
    assert_eq!(k.resolve(Context::Browse, &ctrl_e), Some(Action::Export));
    // The rebound key opens the screen.
    let mut o2 = options(100, 16);
    o2.keymap = k;
    let data = sample(3);
    let (mut app, effects) = app_with(o2, Browse::new().with_data_dir("/data"));
    answer_all(&mut app, effects, serve(&data));
    feed(&mut app, [key('i')]);
    assert_eq!(app.screen_names(), ["browse"], "i is no longer import");
    feed(&mut app, [Msg::Key(big_i)]);
    assert_eq!(app.screen_names(), ["browse", "import"]);
}

#[test]
fn export_dialog() {
    let data = sample(3);
    let (mut app, effects) = app_with(options(100, 16), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    // Filter on the first model, then x.
    let effects = feed(&mut app, [key('f'), key(' '), code(KeyCode::Enter)]);
    answer_all(&mut app, effects, serve(&data));
    feed(&mut app, [key('x')]);
    let text = draw(&app);
    assert!(
        text.contains("pinscope-export-20250615-120000.ndjson"),
        "{text}"
    );
    assert!(text.contains("model basket"), "{text}");
    assert_snapshot!(text);
    // Enter asks the worker to export those filters into that file.
    let reqs = requests(&feed(&mut app, [code(KeyCode::Enter)]));
    let [(id, req)] = reqs.as_slice() else {
        panic!("{reqs:?}");
    };
    let ApiRequest::ExportFile(job) = req else {
        panic!("{req:?}");
    };
    assert_eq!(
        job.path,
        Path::new("pinscope-export-20250615-120000.ndjson")
    );
    assert_eq!(job.queries.len(), 1);
    assert_eq!(job.queries[0].model.as_deref(), Some("basket"));
    // A file that cannot be written: the error shows in the dialog, which stays.
    feed(
        &mut app,
        [event(
            *id,
            req,
            Ok(ApiReply::ExportFile(jobs::ExportDone {
                path: "/nope/x.ndjson".into(),
                result: Err("cannot write /nope/x.ndjson: Permission denied".into()),
            })),
        )],
    );
    let text = draw(&app);
    assert!(text.contains("✗ cannot write /nope/x.ndjson"), "{text}");
    assert_eq!(app.screen_names(), ["browse", "export"]);
    // Written: a toast with the count and the path, and the dialog closes.
    let reqs = requests(&feed(&mut app, [code(KeyCode::Enter)]));
    let [(id, req)] = reqs.as_slice() else {
        panic!("{reqs:?}");
    };
    let effects = feed(
        &mut app,
        [event(
            *id,
            req,
            Ok(ApiReply::ExportFile(jobs::ExportDone {
                path: "/work/pinscope-export-20250615-120000.ndjson".into(),
                result: Ok(1),
            })),
        )],
    );
    assert!(!effects.iter().any(|e| matches!(e, Effect::Send(..))));
    assert_eq!(app.screen_names(), ["browse"]);
    assert_eq!(
        app.toast().expect("toast").text,
        "Exported 1 customization to /work/pinscope-export-20250615-120000.ndjson"
    );
}

#[test]
fn import_validation_can_be_stopped() {
    let mut app = import_app(options(100, 14));
    let (id, req) = submit(&mut app, SHOWN_INPUT);
    let ApiRequest::ImportScan(job) = &req else {
        panic!("not a scan");
    };
    feed(&mut app, [code(KeyCode::Esc)]);
    assert!(job.cancel.is_cancelled());
    let text = draw(&app);
    assert!(text.contains("[file]"), "{text}");
    assert!(
        text.contains("Validation stopped; nothing was sent"),
        "{text}"
    );
    // The job's end, when it comes, changes nothing on the screen.
    feed(
        &mut app,
        [reply(id, &req, ImportReply::Failed("cancelled".into()))],
    );
    assert_eq!(app.in_flight(), 0);
    let text = draw(&app);
    assert!(!text.contains("✗"), "{text}");
    assert!(text.contains("[file]"), "{text}");
}

#[test]
fn import_that_cannot_start_says_why() {
    let mut app = confirming(options(100, 14), 0);
    let (id, req) = send(&mut app);
    feed(
        &mut app,
        [reply(
            id,
            &req,
            ImportReply::Failed(
                "an unfinished import of this input is recorded in /data/x.journal; continue \
                 it with --resume, or delete that file to start over"
                    .into(),
            ),
        )],
    );
    let text = draw(&app);
    assert!(text.contains("Import failed"), "{text}");
    assert!(text.contains("unfinished import"), "{text}");
    assert!(text.contains("nothing was sent"), "{text}");
}

#[test]
fn export_asks_before_replacing_a_file_and_the_default_keeps_it() {
    let dir = tempfile::tempdir().expect("dir");
    let target = dir.path().join("precious.ndjson");
    std::fs::write(&target, "12345").expect("write");
    let data = sample(3);
    let (mut app, effects) = app_with(options(100, 16), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    feed(&mut app, [key('x')]);
    feed(&mut app, [Msg::Paste(target.display().to_string())]);
    // Enter on an existing file asks first, with its size and date; nothing is sent.
    let effects = feed(&mut app, [code(KeyCode::Enter)]);
    assert!(requests(&effects).is_empty(), "{effects:?}");
    let text = draw(&app);
    assert!(text.contains("Replace the file?"), "{text}");
    assert!(text.contains("already exists"), "{text}");
    assert!(text.contains("(5 B, modified "), "{text}");
    assert!(text.contains("n/Enter keeps it (the default)"), "{text}");
    // Enter again is the default: no.
    let effects = feed(&mut app, [code(KeyCode::Enter)]);
    assert!(requests(&effects).is_empty(), "{effects:?}");
    let text = draw(&app);
    assert!(!text.contains("Replace the file?"), "{text}");
    assert!(text.contains("Kept the existing file"), "{text}");
    assert_eq!(app.screen_names(), ["browse", "export"]);
    // n and Esc say no too.
    for no in [key('n'), code(KeyCode::Esc)] {
        assert!(requests(&feed(&mut app, [code(KeyCode::Enter)])).is_empty());
        assert!(draw(&app).contains("Replace the file?"));
        assert!(requests(&feed(&mut app, [no])).is_empty());
        assert_eq!(app.screen_names(), ["browse", "export"]);
        assert!(!draw(&app).contains("Replace the file?"));
    }
    // y replaces: the export is asked for, into that file.
    feed(&mut app, [code(KeyCode::Enter)]);
    let reqs = requests(&feed(&mut app, [key('y')]));
    let [(_, ApiRequest::ExportFile(job))] = reqs.as_slice() else {
        panic!("{reqs:?}");
    };
    assert_eq!(job.path, target);
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "12345");
}

#[test]
fn export_to_a_new_file_does_not_ask() {
    let dir = tempfile::tempdir().expect("dir");
    let target = dir.path().join("new.ndjson");
    let data = sample(3);
    let (mut app, effects) = app_with(options(100, 16), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    feed(
        &mut app,
        [key('x'), Msg::Paste(target.display().to_string())],
    );
    let reqs = requests(&feed(&mut app, [code(KeyCode::Enter)]));
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert!(!draw(&app).contains("Replace the file?"));
}

#[test]
fn import_review_keeps_the_reasons_at_60x15() {
    let (app, _, _) = validated(options(60, 15), MIXED);
    let text = draw(&app);
    // The first invalid line (line 2) is selected; its reason is on the screen.
    assert!(text.contains("line 2 · 1 reason"), "{text}");
    assert!(text.contains("• target_type: Must be one of"), "{text}");
}

#[test]
fn a_failed_export_offers_a_key_that_works_in_the_path_field() {
    let data = sample(3);
    let (mut app, effects) = app_with(options(100, 16), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    feed(&mut app, [key('x')]);
    let reqs = requests(&feed(&mut app, [code(KeyCode::Enter)]));
    let [(id, req)] = reqs.as_slice() else {
        panic!("{reqs:?}");
    };
    feed(&mut app, [event(*id, req, Err(connect_error()))]);
    let text = draw(&app);
    // R would be typed into the path; Enter sends the export again.
    assert!(text.contains("Enter tries again"), "{text}");
    assert!(!text.contains("R tries again"), "{text}");
    let reqs = requests(&feed(&mut app, [code(KeyCode::Enter)]));
    assert!(
        matches!(reqs.as_slice(), [(_, ApiRequest::ExportFile(_))]),
        "{reqs:?}"
    );
}
