//! The engine against the emulator: every line accounted for, the server holding exactly
//! the expected set, with faults, races and lost answers.

use std::sync::{Arc, Mutex};

use pinscope::api::model::ConflictStrategy;
use pinscope::emulator::Faults;
use pinscope::import::{self, CancelToken, Event, ExistingMode, Outcome, Progress};
use serde_json::{Value, json};

use crate::helpers::*;

/// Preloaded: 30 `basket` items, one criteria target, one `all`, and targets of a model
/// the file does not touch.
fn preload() -> Vec<Value> {
    let mut p: Vec<Value> = (0..30)
        .map(|i| item("basket", &format!("t{i}"), "old"))
        .collect();
    p.push(criteria(
        "basket",
        json!({"brand": "Fender", "kind": "guitar"}),
        "old",
    ));
    p.push(all("basket", "old"));
    p.extend((0..5).map(|i| item("home", &format!("h{i}"), "old")));
    p
}

/// A file with everything at once: a BOM, CRLF lines, blank and whitespace lines, bad JSON,
/// invalid UTF-8, rule violations, duplicate targets (criteria in another key order too),
/// server-set fields, targets stored and new.
fn mixed_file(n: usize) -> Vec<u8> {
    fn push(out: &mut Vec<u8>, text: impl AsRef<[u8]>, crlf: bool) {
        out.extend_from_slice(text.as_ref());
        out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
    }
    let mut out: Vec<u8> = b"\xEF\xBB\xBF".to_vec();
    let o = &mut out;
    for i in 0..n {
        push(
            o,
            item("basket", &format!("t{i}"), "new").to_string(),
            i % 7 == 3,
        );
        match i {
            10 => push(o, "", false),
            20 => push(o, "   \t", true),
            30 => push(o, r#"{"model":"basket""#, false),
            40 => push(
                o,
                r#"{"model":"basket","target_type":"item","pin_definitions":[]}"#,
                false,
            ),
            50 => push(o, "[1,2]", false),
            60 => push(o, item("basket", "t5", "dup-a").to_string(), false),
            70 => push(
                o,
                criteria(
                    "basket",
                    json!({"kind": "guitar", "brand": "Fender"}),
                    "new",
                )
                .to_string(),
                false,
            ),
            80 => push(
                o,
                criteria("basket", json!({"brand": "Gibson"}), "new").to_string(),
                true,
            ),
            90 => push(o, all("basket", "new").to_string(), false),
            100 => push(o, all("home", "new").to_string(), false),
            110 => {
                let mut v = item("basket", "with-ids", "new");
                v["id"] = json!("8f0c7b1e-0000-4000-8000-000000000000");
                v["created_at"] = json!("2020-01-01T00:00:00Z");
                v["creator"] = json!("someone");
                v["available"] = json!(true);
                push(o, v.to_string(), false);
            }
            120 => push(
                o,
                b"{\"model\":\"basket\",\"target_type\":\"item\",\"target_identity\":\"\xff\"}",
                false,
            ),
            130 => push(
                o,
                json!({"model": "basket", "target_type": "item", "target_identity": "bad-pin",
                        "pin_definitions": [{"pin_type": "item", "pin_identity": "x"}]})
                .to_string(),
                false,
            ),
            _ => {}
        }
    }
    push(o, item("basket", "t5", "dup-b").to_string(), false);
    push(
        o,
        item("basket", &format!("t{}", n - 1), "last").to_string(),
        true,
    );
    out
}

async fn faulty_run(strategy: ConflictStrategy, seed: u64) -> u64 {
    let pre = preload();
    let r = emulator_with_faults(
        pre.clone(),
        "429=0.03,500=0.08,503=0.08,drop=0.08,delay-ms=0..5",
        seed,
    )
    .await;
    let c = client(&r);
    let dir = tempfile::tempdir().expect("dir");
    let text = mixed_file(600);
    let path = write(dir.path(), "in.ndjson", &text);
    let plan = scan(&path);
    let want = expected(&text, &pre, strategy);
    let mut o = opts(strategy, 50);
    o.journal = Some(dir.path().join("in.journal"));
    o.report = Some(dir.path().join("report.ndjson"));
    let res = run(&plan, &c, &o).await;
    let lines = plan.counts().lines;

    // Every non-blank line has exactly the expected outcome.
    assert_eq!(outcomes_of(&res, lines), want.outcomes, "{strategy}");
    assert_eq!(res.summary.counts.total(), plan.counts().non_blank());
    assert!(res.summary.stopped.is_none(), "{:?}", res.summary.stopped);
    // The report says the same, one object per non-blank line.
    let report = std::fs::read_to_string(dir.path().join("report.ndjson")).expect("report");
    let rows: Vec<Value> = report
        .lines()
        .map(|l| serde_json::from_str(l).expect("report line"))
        .collect();
    assert_eq!(rows.len() as u64, plan.counts().non_blank());
    for row in &rows {
        let line = row["line"].as_u64().expect("line");
        let want = want.outcomes[&line];
        assert_eq!(row["outcome"], want.as_str(), "line {line}: {row}");
        if want == Outcome::Rejected {
            assert!(
                row["reason"].as_str().is_some_and(|r| !r.is_empty()),
                "{row}"
            );
        }
    }
    // The server holds exactly the expected set, faults notwithstanding.
    r.set_faults(Faults::none());
    assert_state(&c, &want.state).await;
    res.summary.retries
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_line_accounted_for_under_faults() {
    let mut retries = 0;
    for (strategy, seed) in [
        (ConflictStrategy::Raise, 1),
        (ConflictStrategy::Ignore, 2),
        (ConflictStrategy::Override, 3),
    ] {
        retries += faulty_run(strategy, seed).await;
    }
    assert!(retries > 0, "the faults were never hit");
}

#[tokio::test]
async fn override_keeps_ids_and_reports_replaced() {
    let pre = preload();
    let r = emulator(pre.clone()).await;
    let c = client(&r);
    let before = ids(&c).await;
    let dir = tempfile::tempdir().expect("dir");
    let text = mixed_file(200);
    let path = write(dir.path(), "in.ndjson", &text);
    let plan = scan(&path);
    let res = run(&plan, &c, &opts(ConflictStrategy::Override, 5000)).await;
    let want = expected(&text, &pre, ConflictStrategy::Override);
    assert_eq!(outcomes_of(&res, plan.counts().lines), want.outcomes);
    assert_eq!(res.summary.counts.replaced, 32, "{:?}", res.summary.counts);
    assert_eq!(res.summary.existing, Some(ExistingMode::Snapshot));
    let after = ids(&c).await;
    for (k, id) in &before {
        assert_eq!(after.get(k), Some(id), "override keeps the id of {k}");
    }
    assert_state(&c, &want.state).await;
    // Superseded duplicates say which line won.
    let skipped: Vec<u64> = res.outcomes.lines_with(Outcome::Skipped).collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    for line in skipped {
        let reason = res.outcomes.reason(&plan, line).expect("reason");
        assert!(reason.starts_with("superseded by line"), "{line}: {reason}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_chunk_lookups_when_the_tracker_is_big() {
    // 4000 stored in the model: listing them all costs more than looking the file's up.
    let mut pre: Vec<Value> = (0..4000)
        .map(|i| item("basket", &format!("s{i}"), "old"))
        .collect();
    pre.extend((0..10).map(|i| item("basket", &format!("t{i}"), "old")));
    pre.push(criteria("basket", json!({"brand": "Fender"}), "old"));
    for strategy in [ConflictStrategy::Raise, ConflictStrategy::Override] {
        let r = emulator_with_faults(pre.clone(), "500=0.05,503=0.05,drop=0.05", 7).await;
        let c = client(&r);
        let dir = tempfile::tempdir().expect("dir");
        let mut lines: Vec<String> = (0..120)
            .map(|i| item("basket", &format!("t{i}"), "new").to_string())
            .collect();
        lines.push(criteria("basket", json!({"brand": "Fender"}), "new").to_string());
        lines.push(criteria("basket", json!({"brand": "Fender", "x": 1}), "new").to_string());
        let text = ndjson(&lines);
        let path = write(dir.path(), "in.ndjson", &text);
        let plan = scan(&path);
        let events = Events::default();
        let res = import::run_import(
            &plan,
            &c,
            &opts(strategy, 40),
            &events.progress(),
            &CancelToken::new(),
        )
        .await
        .expect("run");
        assert!(
            events.all().iter().any(|e| matches!(
                e,
                Event::CheckingTargets {
                    mode: ExistingMode::PerChunk,
                    stored: 4011
                }
            )),
            "{:?}",
            events
                .all()
                .iter()
                .find(|e| matches!(e, Event::CheckingTargets { .. }))
        );
        let want = expected(text.as_bytes(), &pre, strategy);
        assert_eq!(
            outcomes_of(&res, plan.counts().lines),
            want.outcomes,
            "{strategy}"
        );
        r.set_faults(Faults::none());
        assert_state(&c, &want.state).await;
    }
}

/// Under raise, targets created by someone else after the engine looked are refused by the
/// server (409): those lines are rejected with the server's words, the rest of the chunk is
/// sent again and created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_409_rejects_the_named_lines_and_sends_the_rest() {
    let pre = vec![item("basket", "elsewhere", "old")];
    let r = emulator(pre).await;
    let url = r.url();
    let c = client(&r);
    let dir = tempfile::tempdir().expect("dir");
    let lines: Vec<String> = (0..10)
        .map(|i| item("basket", &format!("x{i}"), "new").to_string())
        .collect();
    let path = write(dir.path(), "in.ndjson", ndjson(&lines));
    let plan = scan(&path);
    // Once the engine has looked at what is stored, another writer creates x3 and x7.
    let progress = Progress::new(move |e| {
        if matches!(e, Event::CheckingTargets { .. }) {
            let url = url.clone();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    let other = client_for(&url, TRACKER, KEY);
                    for id in ["x3", "x7"] {
                        other
                            .create(&cust(item("basket", id, "theirs")))
                            .await
                            .expect("create");
                    }
                });
            })
            .join()
            .expect("writer");
        }
    });
    let res = import::run_import(
        &plan,
        &c,
        &opts(ConflictStrategy::Raise, 5000),
        &progress,
        &CancelToken::new(),
    )
    .await
    .expect("run");
    for line in 1..=10u64 {
        let want = if line == 4 || line == 8 {
            Outcome::Rejected
        } else {
            Outcome::Created
        };
        assert_eq!(res.outcomes.outcome(line), Some(want), "line {line}");
    }
    let reason = res.outcomes.reason(&plan, 4).expect("reason");
    assert!(
        reason.starts_with("service 409: Conflicts with existing customization"),
        "{reason}"
    );
    let s = state(&c).await;
    assert_eq!(s.len(), 11);
    assert_eq!(
        s["basket item x3"][0].1["pin_definitions"][0]["pin_identity"],
        "/p/theirs"
    );
    assert_eq!(
        s["basket item x4"][0].1["pin_definitions"][0]["pin_identity"],
        "/p/new"
    );
}

/// A request applied whose answer is lost: under raise the engine looks the targets up
/// instead of sending again; under ignore and override it sends again. Either way nothing
/// is stored twice and the lines are `created`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_settled_without_writing_twice() {
    for strategy in [
        ConflictStrategy::Raise,
        ConflictStrategy::Ignore,
        ConflictStrategy::Override,
    ] {
        let r = Arc::new(emulator(vec![]).await);
        let c = client(&r);
        let dir = tempfile::tempdir().expect("dir");
        let lines: Vec<String> = (0..30)
            .map(|i| item("basket", &format!("x{i}"), "new").to_string())
            .collect();
        let path = write(dir.path(), "in.ndjson", ndjson(&lines));
        let plan = scan(&path);
        let sent = Arc::new(Mutex::new(Vec::new()));
        let (r2, sent2) = (r.clone(), sent.clone());
        let progress = Progress::new(move |e| match e {
            // The second chunk's first request is applied and its answer cut off.
            Event::ChunkSent {
                chunk: 1, attempt, ..
            } => {
                sent2.lock().expect("lock").push(attempt);
                if attempt == 1 {
                    r2.set_faults("drop=1".parse().expect("spec"));
                }
            }
            Event::Retry { .. } => r2.set_faults(Faults::none()),
            _ => {}
        });
        let mut o = opts(strategy, 10);
        o.concurrency = 1;
        let res = import::run_import(&plan, &c, &o, &progress, &CancelToken::new())
            .await
            .expect("run");
        assert_eq!(
            res.summary.counts.created, 30,
            "{strategy}: {:?}",
            res.summary
        );
        assert!(res.summary.retries >= 1);
        let attempts = sent.lock().expect("lock").clone();
        match strategy {
            // Looked up, found applied: not sent again.
            ConflictStrategy::Raise => assert_eq!(attempts, vec![1], "{strategy}"),
            _ => assert_eq!(attempts, vec![1, 2], "{strategy}"),
        }
        let s = state(&c).await;
        assert_eq!(s.len(), 30);
        assert!(
            s.values().all(|rows| rows.len() == 1),
            "{strategy}: stored twice"
        );
    }
}

/// The retry notes carry the server's Retry-After, and a service that refuses everything
/// (a wrong key) stops the run at once with every line not sent.
#[tokio::test]
async fn a_wrong_key_stops_the_run() {
    let r = emulator(vec![]).await;
    let bad = client_for(&r.url(), TRACKER, "not-the-key");
    let dir = tempfile::tempdir().expect("dir");
    let lines: Vec<String> = (0..30)
        .map(|i| item("basket", &format!("x{i}"), "new").to_string())
        .collect();
    let path = write(dir.path(), "in.ndjson", ndjson(&lines));
    let plan = scan(&path);
    let res = run(&plan, &bad, &opts(ConflictStrategy::Raise, 10)).await;
    assert_eq!(res.summary.counts.not_sent, 30);
    assert!(res.summary.service_failed);
    assert_eq!(res.summary.requests, 0);
    let stopped = res.summary.stopped.expect("stopped");
    assert!(stopped.contains("401"), "{stopped}");
    assert!(
        !stopped.contains("not-the-key"),
        "the key leaked: {stopped}"
    );
    assert_eq!(
        client(&r).summary().await.expect("summary").counts(),
        vec![]
    );
}

/// Events a screen can draw from: validation, sending, chunks with rate and ETA, the end.
#[tokio::test]
async fn events_describe_the_run() {
    let r = emulator(vec![]).await;
    let c = client(&r);
    let dir = tempfile::tempdir().expect("dir");
    let mut lines: Vec<String> = (0..25)
        .map(|i| item("basket", &format!("x{i}"), "new").to_string())
        .collect();
    lines.push("nope".into());
    let path = write(dir.path(), "in.ndjson", ndjson(&lines));
    let events = Events::default();
    let plan = import::scan(
        import::Source::Path(path),
        &events.progress(),
        &CancelToken::new(),
    )
    .expect("scan");
    let mut o = opts(ConflictStrategy::Raise, 10);
    o.concurrency = 1;
    o.report = Some(dir.path().join("r.ndjson"));
    import::run_import(&plan, &c, &o, &events.progress(), &CancelToken::new())
        .await
        .expect("run");
    let ev = events.all();
    assert!(ev.iter().any(|e| matches!(e, Event::Invalid { line: 26, text, reasons } if text == "nope" && !reasons.is_empty())));
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Validated(c) if c.valid == 25 && c.invalid == 1))
    );
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::Sending {
            lines: 25,
            chunks: 3,
            already_done: 0
        }
    )));
    let done: Vec<(usize, u64)> = ev
        .iter()
        .filter_map(|e| match e {
            Event::ChunkDone {
                chunk, lines_done, ..
            } => Some((*chunk, *lines_done)),
            _ => None,
        })
        .collect();
    assert_eq!(done, vec![(0, 10), (1, 20), (2, 25)]);
    assert!(matches!(ev.last(), Some(Event::ReportWritten { .. })));
}
