//! Imports that must finish under the fault mix of a busy service, and look-ups that must
//! resume where they failed rather than start over.

#[path = "../common/hostile.rs"]
mod server;

use std::collections::BTreeMap;
use std::time::Duration;

use pinscope::api::model::ConflictStrategy;
use pinscope::api::{Client, ClientConfig, RetryPolicy, Secret};
use pinscope::emulator::Faults;
use pinscope::import::{self, CancelToken, Event, ExistingMode, ImportOptions};
use serde_json::{Value, json};
use server::{Hostile, Reply, Request};

use crate::helpers::{
    Events, KEY, TRACKER, emulator_with_faults, item, ndjson, scan, state, write,
};

/// The retries of a real run (the client's 3, the engine's 8), with short waits.
fn client_like_the_cli(url: &str) -> Client {
    Client::new(ClientConfig::new(url, TRACKER, Secret::new(KEY)))
        .expect("client")
        .with_retry(RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(40),
        })
}

fn run_options_like_the_cli() -> ImportOptions {
    ImportOptions {
        retry: RetryPolicy {
            max_retries: 8,
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(40),
        },
        ..ImportOptions::default()
    }
}

/// 6000 lines against 31,000 stored rows of the same model: looking the file's targets up
/// costs fewer requests than listing what is stored, so every chunk looks its targets up
/// (30 list requests a chunk), under 429, 500, 503, dropped answers and delays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_finishes_under_faults_with_nothing_lost_or_doubled() {
    let stored: Vec<Value> = (0..31_000)
        .map(|i| item("basket", &format!("s{i}"), "old"))
        .collect();
    let lines: Vec<String> = (0..6000)
        .map(|i| {
            // Every tenth line replaces a stored target.
            let id = if i % 10 == 0 {
                format!("s{i}")
            } else {
                format!("n{i}")
            };
            item("basket", &id, "new").to_string()
        })
        .collect();
    let text = ndjson(&lines);
    for seed in [11, 12, 13] {
        let r = emulator_with_faults(
            stored.clone(),
            "429=0.05,500=0.05,503=0.05,drop=0.05,delay-ms=0..50",
            seed,
        )
        .await;
        let c = client_like_the_cli(&r.url());
        let dir = tempfile::tempdir().expect("dir");
        let path = write(dir.path(), "in.ndjson", &text);
        let plan = scan(&path);
        let events = Events::default();
        let mut opts = run_options_like_the_cli();
        opts.strategy = ConflictStrategy::Override;
        opts.journal = Some(dir.path().join("in.journal"));
        let res = import::run_import(&plan, &c, &opts, &events.progress(), &CancelToken::new())
            .await
            .expect("run");
        assert!(
            res.summary.stopped.is_none(),
            "seed {seed}: {:?}",
            res.summary.stopped
        );
        assert_eq!(res.summary.counts.created, 5400, "seed {seed}");
        assert_eq!(res.summary.counts.replaced, 600, "seed {seed}");
        assert!(
            events.all().iter().any(|e| matches!(
                e,
                Event::CheckingTargets {
                    mode: ExistingMode::PerChunk,
                    ..
                }
            )),
            "seed {seed}: the look-ups were not exercised"
        );
        // The stored set is the file's plus what was there: each target once, the file's
        // definition where the file names it.
        r.set_faults(Faults::none());
        let now = state(&c).await;
        assert_eq!(now.len(), 31_000 + 5400, "seed {seed}");
        let mut want: BTreeMap<String, Value> = BTreeMap::new();
        for l in &lines {
            let v: Value = serde_json::from_str(l).expect("json");
            let c = crate::helpers::cust(v);
            want.insert(
                c.conflict_key().expect("key").to_string(),
                c.without_server_fields().into_value(),
            );
        }
        for (key, def) in &want {
            let got = now
                .get(key)
                .unwrap_or_else(|| panic!("seed {seed}: lost {key}"));
            assert_eq!(
                got.len(),
                1,
                "seed {seed}: {key} stored {} times",
                got.len()
            );
            assert_eq!(&got[0].1, def, "seed {seed}: {key}");
        }
        r.shutdown().await;
    }
}

/// A server whose every third list request fails with a 500: a look-up that started over
/// after each failure would never finish; one that asks the failed page again does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_resumes_where_it_failed() {
    let lists = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = lists.clone();
    let h = Hostile::start(move |r: &Request| {
        let p = r.path();
        if p.ends_with("/summary") {
            // No summary: the run looks targets up chunk by chunk.
            return Reply::json(500, &json!({"reason": "Internal server error"}));
        }
        if p.ends_with("/scopes") {
            let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if n % 3 == 2 {
                return Reply::json(500, &json!({"reason": "Internal server error"}));
            }
            return Reply::json(200, &json!({"pagination": {"total": 0}, "results": []}));
        }
        Reply::json(200, &json!({}))
    });
    let c = client_like_the_cli(&h.url()).with_retry(RetryPolicy::NONE);
    let dir = tempfile::tempdir().expect("dir");
    // 2000 targets: 10 list requests for the one chunk.
    let lines: Vec<String> = (0..2000)
        .map(|i| item("basket", &format!("p{i}"), "v").to_string())
        .collect();
    let path = write(dir.path(), "in.ndjson", ndjson(&lines));
    let plan = scan(&path);
    let res = import::run_import(
        &plan,
        &c,
        &run_options_like_the_cli(),
        &pinscope::import::Progress::none(),
        &CancelToken::new(),
    )
    .await
    .expect("run");
    assert!(res.summary.stopped.is_none(), "{:?}", res.summary.stopped);
    assert_eq!(res.summary.counts.created, 2000);
    // Ten pages, each failing at most once more: far from ten pages per failure.
    let asked = lists.load(std::sync::atomic::Ordering::SeqCst);
    assert!(asked <= 15, "{asked} list requests");
}

/// A lying server cannot make a look-up page forever.
#[tokio::test]
async fn a_lookup_against_a_server_that_ignores_the_offset_stops() {
    let h = Hostile::start(|r: &Request| {
        let p = r.path();
        if p.ends_with("/summary") {
            return Reply::json(
                200,
                &json!({"scope_counts": {"basket": 5000}, "user_tags": []}),
            );
        }
        if p.ends_with("/scopes") {
            let rows: Vec<Value> = (0..1000)
                .map(|i| {
                    let mut v = item("basket", &format!("x{i}"), "v");
                    v["id"] = json!(format!("id-{i}"));
                    v
                })
                .collect();
            return Reply::json(
                200,
                &json!({"pagination": {"total": 5000}, "results": rows}),
            );
        }
        Reply::json(200, &json!({}))
    });
    let c = client_like_the_cli(&h.url());
    let dir = tempfile::tempdir().expect("dir");
    let lines: Vec<String> = (0..10)
        .map(|i| item("basket", &format!("p{i}"), "v").to_string())
        .collect();
    let path = write(dir.path(), "in.ndjson", ndjson(&lines));
    let plan = scan(&path);
    let res = import::run_import(
        &plan,
        &c,
        &run_options_like_the_cli(),
        &pinscope::import::Progress::none(),
        &CancelToken::new(),
    )
    .await
    .expect("run");
    let stopped = res.summary.stopped.expect("stopped");
    assert!(
        stopped.contains("only repeats rows already received"),
        "{stopped}"
    );
    assert_eq!(res.summary.counts.not_sent, 10);
    assert!(h.count() < 10, "{} requests", h.count());
}
