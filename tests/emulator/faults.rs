//! Injected faults surface as the right `ApiError`, and `drop` applies the request.

use std::time::{Duration, Instant};

use pinscope::api::{ApiError, ConflictStrategy, ListQuery};
use pinscope::emulator::{EmulatorConfig, Faults, start};
use serde_json::json;

use crate::helpers::*;

fn faults(spec: &str) -> Faults {
    spec.parse().expect("valid spec")
}

#[tokio::test]
async fn rejections_are_not_applied() {
    let r = emulator().await;
    let c = client(&r);
    for (spec, code) in [("429=1", 429), ("500=1", 500), ("503=1", 503)] {
        r.set_faults(faults(spec));
        let e = c.create(&item("m", "/p/1")).await.expect_err("fault");
        assert_eq!(status(&e), code, "{spec}");
        assert!(reason(&e).contains("injected fault"), "{e}");
        if code == 429 {
            assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
        } else {
            assert_eq!(e.retry_after(), None);
        }
        let e = c
            .bulk_create(
                ndjson(&[item("m", "/p/2").into_value()]),
                ConflictStrategy::Raise,
            )
            .await
            .expect_err("fault");
        assert_eq!(status(&e), code);
        // Even a request that would fail its signature gets the fault first.
        let e = client_for(&r, TRACKER, "wrong")
            .summary()
            .await
            .expect_err("fault");
        assert_eq!(status(&e), code);
        r.set_faults(Faults::none());
        assert_eq!(r.count(TRACKER), Some(0), "{spec}: nothing applied");
    }
}

#[tokio::test]
async fn a_retrying_client_waits_retry_after_and_gets_through() {
    use pinscope::emulator::faults::{Fault, FaultDice};
    let spec = faults("429=0.5");
    // A seed whose sequence starts with a 429 and then lets the next request through.
    let seed = (0..10_000u64)
        .find(|&s| {
            let mut d = FaultDice::new(spec, Some(s));
            d.roll().0 == Fault::Reject(429) && d.roll().0 == Fault::None
        })
        .expect("some seed");
    let mut cfg = crate::helpers::config();
    cfg.faults = spec;
    cfg.fault_seed = Some(seed);
    let r = start(cfg).await.expect("start");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let hook_seen = seen.clone();
    let c = client(&r)
        .with_retry(pinscope::api::RetryPolicy {
            max_retries: 1,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(2),
        })
        .with_retry_hook(std::sync::Arc::new(move |attempt, delay, e| {
            if let Ok(mut s) = hook_seen.lock() {
                s.push((attempt, delay, e.status()));
            }
        }));
    c.summary().await.expect("retried after Retry-After");
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen, [(1, Duration::from_secs(1), Some(429))]);
}

fn assert_network(e: &ApiError) {
    assert!(
        matches!(e, ApiError::Network { .. }),
        "expected a lost connection, got {e:?}"
    );
    assert!(e.may_have_been_applied());
}

#[tokio::test]
async fn drop_applies_the_request_and_cuts_the_connection() {
    let r = emulator().await;
    let c = client(&r);
    r.set_faults(faults("drop=1"));
    let e = c.create(&item("m", "/p/1")).await.expect_err("dropped");
    assert_network(&e);
    let e = c
        .bulk_create(
            ndjson(&[
                item("m", "/p/2").into_value(),
                item("m", "/p/3").into_value(),
            ]),
            ConflictStrategy::Raise,
        )
        .await
        .expect_err("dropped");
    assert_network(&e);
    let e = c.list(&ListQuery::default()).await.expect_err("dropped");
    assert_network(&e);
    r.set_faults(Faults::none());

    let rows = c.list_all(&ListQuery::default()).await.expect("list");
    let mut ids: Vec<&str> = rows.iter().filter_map(|r| r.target_identity()).collect();
    ids.sort();
    assert_eq!(ids, ["/p/1", "/p/2", "/p/3"]);

    // Update and delete are applied too.
    let id = rows[0].id().expect("id").to_string();
    r.set_faults(faults("drop=1"));
    assert_network(&c.delete(&id).await.expect_err("dropped"));
    r.set_faults(Faults::none());
    assert_eq!(status(&c.get(&id).await.expect_err("deleted")), 404);

    // A raw client sees the connection closed without any answer.
    r.set_faults(faults("drop=1"));
    pinscope::api::client::install_tls_provider();
    let err = reqwest::Client::new()
        .post(format!("{}/v1/recommender/pin/{TRACKER}/scopes", r.url()))
        .send()
        .await
        .expect_err("no answer");
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
}

#[tokio::test]
async fn delay_holds_the_answer_back() {
    let r = emulator().await;
    r.set_faults(faults("delay-ms=300..300"));
    let started = Instant::now();
    client(&r).summary().await.expect("delayed, not failed");
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_seed_repeats_the_sequence() {
    async fn outcomes(seed: u64) -> Vec<String> {
        let mut cfg = crate::helpers::config();
        cfg.faults = faults("429=0.2,500=0.2,503=0.2,drop=0.2");
        cfg.fault_seed = Some(seed);
        let r = start(cfg).await.expect("start");
        let c = client(&r);
        let mut out = Vec::new();
        for i in 0..40 {
            let res = c.create(&item("m", &format!("/p/{i}"))).await;
            out.push(match res {
                Ok(_) => "ok".to_string(),
                Err(ApiError::Network { .. }) => "drop".to_string(),
                Err(e) => e
                    .status()
                    .map_or_else(|| format!("{e:?}"), |s| s.to_string()),
            });
        }
        r.shutdown().await;
        out
    }
    let a = outcomes(42).await;
    let b = outcomes(42).await;
    assert_eq!(a, b);
    for kind in ["ok", "drop", "429", "500", "503"] {
        assert!(a.iter().any(|o| o == kind), "{kind} never came in {a:?}");
    }
    assert_ne!(a, outcomes(43).await);
}

#[tokio::test]
async fn faults_from_the_config() {
    let mut cfg: EmulatorConfig = crate::helpers::config();
    cfg.faults = faults("503=1");
    let r = start(cfg).await.expect("start");
    let e = client(&r).summary().await.expect_err("fault");
    assert_eq!(status(&e), 503);
    assert_eq!(
        serde_json::to_value(e.detail_lines()).expect("json"),
        json!([])
    );
}
