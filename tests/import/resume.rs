//! Stopping an import part-way (cancel with a request in flight, or `kill -9` of the
//! process) and resuming it gives the same result as an uninterrupted run.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pinscope::api::model::ConflictStrategy;
use pinscope::emulator::Faults;
use pinscope::import::{self, CancelToken, Event, ImportError, Progress};
use serde_json::Value;

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_pinscope");

fn preload() -> Vec<Value> {
    (0..400)
        .step_by(37)
        .map(|i| item("basket", &format!("t{i}"), "old"))
        .collect()
}

fn file_lines(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| item("basket", &format!("t{i}"), "new").to_string())
        .collect()
}

/// Cancels while chunk 3's request is applied but its answer lost: the journal then holds
/// chunks 0-2 done and chunk 3 in flight.
fn crash_at_chunk_3(r: Arc<pinscope::emulator::Running>, cancel: CancelToken) -> Progress {
    Progress::new(move |e| match e {
        Event::ChunkSent {
            chunk: 3,
            attempt: 1,
            ..
        } => {
            r.set_faults("drop=1".parse().expect("spec"));
            cancel.cancel();
        }
        Event::Retry { .. } => r.set_faults(Faults::none()),
        _ => {}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_with_a_request_in_flight_then_resume() {
    for strategy in [
        ConflictStrategy::Raise,
        ConflictStrategy::Ignore,
        ConflictStrategy::Override,
    ] {
        let pre = preload();
        let r = Arc::new(emulator(pre.clone()).await);
        let c = client(&r);
        let dir = tempfile::tempdir().expect("dir");
        let text = ndjson(&file_lines(400));
        let path = write(dir.path(), "in.ndjson", &text);
        let plan = scan(&path);
        let mut o = opts(strategy, 50);
        o.concurrency = 1;
        o.journal = Some(dir.path().join("in.journal"));
        o.report = Some(dir.path().join("report.ndjson"));

        let cancel = CancelToken::new();
        let first = import::run_import(
            &plan,
            &c,
            &o,
            &crash_at_chunk_3(r.clone(), cancel.clone()),
            &cancel,
        )
        .await
        .expect("first run");
        assert!(first.summary.cancelled);
        // Lines 151.. are not sent (under raise, the chunk in flight had already rejected its
        // stored target t185).
        for line in 151..=400u64 {
            let o = first.outcomes.outcome(line);
            let raise_stored = strategy == ConflictStrategy::Raise && line == 186;
            assert!(
                o == Some(import::Outcome::NotSent)
                    || (raise_stored && o == Some(import::Outcome::Rejected)),
                "{strategy} line {line}: {o:?}"
            );
        }
        let why = first.outcomes.reason(&plan, 151).expect("reason");
        assert!(why.contains("--resume settles it"), "{why}");
        let journal = std::fs::read_to_string(dir.path().join("in.journal")).expect("journal");
        assert_eq!(journal.matches(r#""event":"done""#).count(), 3, "{journal}");
        assert!(!journal.contains("finished"));

        // The resumed run settles chunk 3 and sends the rest, nothing twice.
        o.resume = true;
        let events = Events::default();
        let second = import::run_import(&plan, &c, &o, &events.progress(), &CancelToken::new())
            .await
            .expect("resume");
        let want = expected(text.as_bytes(), &pre, strategy);
        assert_eq!(
            outcomes_of(&second, plan.counts().lines),
            want.outcomes,
            "{strategy}"
        );
        assert_eq!(second.summary.resumed_lines, 150);
        assert!(
            events
                .all()
                .iter()
                .all(|e| !matches!(e, Event::ChunkSent { chunk: 0..=2, .. }))
        );
        assert_state(&c, &want.state).await;
        let journal = std::fs::read_to_string(dir.path().join("in.journal")).expect("journal");
        assert!(journal.trim_end().ends_with(r#"{"event":"finished"}"#));

        // The report covers the whole file, the earlier run's lines included.
        let report = std::fs::read_to_string(dir.path().join("report.ndjson")).expect("report");
        assert_eq!(report.lines().count(), 400);

        // Resuming a finished import sends nothing and tells the same.
        let third = run(&plan, &c, &o).await;
        assert_eq!(third.summary.requests, 0);
        assert_eq!(outcomes_of(&third, 400), want.outcomes);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_refuses_what_does_not_match() {
    let r = emulator(vec![]).await;
    let c = client(&r);
    let dir = tempfile::tempdir().expect("dir");
    let path = write(dir.path(), "in.ndjson", ndjson(&file_lines(100)));
    let plan = scan(&path);
    let mut o = opts(ConflictStrategy::Ignore, 10);
    o.concurrency = 1;
    o.journal = Some(dir.path().join("in.journal"));
    let cancel = CancelToken::new();
    let c2 = cancel.clone();
    let stop_after_first = Progress::new(move |e| {
        if matches!(e, Event::ChunkDone { chunk: 0, .. }) {
            c2.cancel();
        }
    });
    let first = import::run_import(&plan, &c, &o, &stop_after_first, &cancel)
        .await
        .expect("first run");
    assert_eq!(first.summary.counts.created, 10);

    // A fresh run does not overwrite an unfinished journal.
    let e = import::run_import(&plan, &c, &o, &Progress::none(), &CancelToken::new())
        .await
        .expect_err("unfinished");
    assert!(matches!(e, ImportError::Unfinished(_)), "{e}");

    o.resume = true;
    // Another tracker.
    let e = import::run_import(
        &plan,
        &other_client(&r),
        &o,
        &Progress::none(),
        &CancelToken::new(),
    )
    .await
    .expect_err("other tracker");
    assert!(e.to_string().contains("tracker"), "{e}");
    // Another strategy.
    let mut other = o.clone();
    other.strategy = ConflictStrategy::Override;
    let e = import::run_import(&plan, &c, &other, &Progress::none(), &CancelToken::new())
        .await
        .expect_err("other strategy");
    assert!(e.to_string().contains("--conflict-strategy ignore"), "{e}");
    // A changed file.
    let mut lines = file_lines(100);
    lines[50] = item("basket", "changed", "new").to_string();
    write(dir.path(), "in.ndjson", ndjson(&lines));
    let changed = scan(&path);
    let e = import::run_import(&changed, &c, &o, &Progress::none(), &CancelToken::new())
        .await
        .expect_err("changed file");
    assert!(e.to_string().contains("changed since"), "{e}");
    // Nothing was sent by the refused runs.
    assert_eq!(state(&c).await.len(), 10);
}

fn journal_done(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.matches(r#""event":"done""#).count())
        .unwrap_or(0)
}

/// The real binary, killed with SIGKILL part-way, then `--resume`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_then_resume() {
    let r = emulator_with_faults(vec![], "delay-ms=40..40", 1).await;
    let dir = tempfile::tempdir().expect("dir");
    let path = write(dir.path(), "in.ndjson", ndjson(&file_lines(300)));
    let report = dir.path().join("report.ndjson");
    let journal = dir.path().join("report.ndjson.journal");
    let cmd = |extra: &[&str]| {
        let mut c = Command::new(BIN);
        c.args(["--host", &r.url(), "--tracker-id", TRACKER, "import"])
            .arg(&path)
            .args(["--chunk-size", "10", "--jobs", "1", "--report"])
            .arg(&report)
            .args(extra)
            .env("PINSCOPE_PRIVATE_KEY", KEY)
            .env("PINSCOPE_CONFIG", dir.path().join("none.toml"))
            .env("PINSCOPE_DATA_DIR", dir.path().join("data"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    };
    let mut child = cmd(&[]).spawn().expect("spawn");
    let started = Instant::now();
    while journal_done(&journal) < 5 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the import made no progress"
        );
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the import ended before it was killed: {status}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    let at_kill = std::fs::read_to_string(&journal).expect("journal");
    assert!(!at_kill.contains("finished"), "killed too late");
    let stored_at_kill = state(&client(&r)).await.len();
    assert!(stored_at_kill < 300, "{stored_at_kill}");

    let out = cmd(&["--resume"]).output().expect("resume");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("300 created"), "{stderr}");
    assert!(stderr.contains("settled by the earlier run"), "{stderr}");
    let rows: Vec<Value> = std::fs::read_to_string(&report)
        .expect("report")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(rows.len(), 300);
    assert!(rows.iter().all(|r| r["outcome"] == "created"));
    let s = state(&client(&r)).await;
    assert_eq!(s.len(), 300);
    assert!(s.values().all(|rows| rows.len() == 1));
}
