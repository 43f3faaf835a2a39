//! Emulator benchmarks, over HTTP on loopback with everything on one core (a current-thread
//! runtime runs both the emulator and the client):
//!
//! - `bulk_create_5000`: one bulk create of 5000 new lines (target <= 25 ms);
//! - `list_1000_two_filters_of_100k`: a 1000-row page filtered by model and tag from a
//!   store of 100 000 customizations (target <= 10 ms);
//!
//! plus the store alone, without HTTP, to show where the time goes. The `_cpu_time`
//! variants count the CPU time of the one thread that runs client and server instead of
//! the wall clock, which on a shared machine also counts the time other processes hold the
//! cores.
//!
//! Run: `cargo bench --bench emulator` (add `-- --quick` for a short run).

use std::time::{Duration, Instant, SystemTime};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use pinscope::api::json::{Doc, Json};
use pinscope::api::sign::{JSON_CONTENT_TYPE, NDJSON_CONTENT_TYPE, sign_request};
use pinscope::api::{ConflictStrategy, Customization, Secret};
use pinscope::emulator::store::{Filter, PreparedLine, Sort, Store};
use pinscope::emulator::{EmulatorConfig, Running, start};
use serde_json::{Value, json};

const TRACKER: &str = "1234-5678";
const KEY: &str = "bench-key";
const MODELS: [&str; 4] = ["basket", "home", "detail", "cart"];
const TAGS: [&str; 5] = ["summer", "winter", "sale", "new", "clearance"];

/// A realistic customization: item target, metadata, two tags, four pins.
fn customization(i: usize, salt: &str) -> Value {
    json!({
        "model": MODELS[i % MODELS.len()],
        "target_type": "item",
        "target_identity": format!("/p/{salt}{i}"),
        "tags": [TAGS[i % TAGS.len()], TAGS[(i / 5 + 1) % TAGS.len()]],
        "target_metadata": {"title": format!("Product number {i}"), "image_link": format!("https://shop.example/img/{i}.jpg")},
        "pin_definitions": [
            {"position": 1, "pin_type": "item", "pin_identity": format!("/p/{}", i + 1), "active_from": "2025-02-01T00:00:00Z"},
            {"position": 2, "pin_type": "item", "pin_identity": format!("/p/{}", i + 2), "widget_id": "w1"},
            {"position": -1, "pin_type": "criteria", "pin_criteria": {"brand": "Fender", "type": "guitar"}, "is_bundle_pin": true},
            {"position": 0, "pin_type": "item", "pin_identity": format!("/p/{}", i + 3), "is_block_pin": true,
             "active_from": "2025-01-01T00:00:00Z", "active_to": "2099-01-01T00:00:00Z"}
        ]
    })
}

fn bulk_body(n: usize, salt: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 700);
    for i in 0..n {
        out.extend_from_slice(customization(i, salt).to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

/// CPU time used by this thread so far: unlike the wall clock, it does not count the time
/// other processes on a shared machine hold the cores.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn emulator(preload: Vec<Customization>) -> Running {
    let mut cfg = EmulatorConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        vec![(TRACKER.to_string(), Secret::new(KEY))],
    );
    cfg.preload = preload;
    start(cfg).await.expect("emulator")
}

async fn post(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    query: &str,
    content_type: &'static str,
    body: Vec<u8>,
) -> usize {
    let signed = sign_request(
        TRACKER,
        &Secret::new(KEY),
        "POST",
        content_type,
        path,
        SystemTime::now(),
    );
    let resp = http
        .post(format!("{base}{path}{query}"))
        .header("Content-Type", content_type)
        .header("Date", signed.date)
        .header("Authorization", signed.authorization)
        .body(body)
        .send()
        .await
        .expect("answer");
    assert!(resp.status().is_success(), "{}", resp.status());
    resp.bytes().await.expect("body").len()
}

fn bulk_create(c: &mut Criterion) {
    let rt = runtime();
    let path = format!("/v1/recommender/pin/{TRACKER}/scopes/_bulk");
    let mut g = c.benchmark_group("emulator");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    for (name, cpu) in [
        ("bulk_create_5000", false),
        ("bulk_create_5000_cpu_time", true),
    ] {
        g.bench_function(name, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let path = path.clone();
                async move {
                    // A fresh store per batch; bodies with new identities so each is 5000 creates.
                    let r = emulator(Vec::new()).await;
                    pinscope::api::client::install_tls_provider();
                    let http = reqwest::Client::new();
                    let bodies: Vec<Vec<u8>> = (0..iters)
                        .map(|k| bulk_body(5000, &format!("{k}-")))
                        .collect();
                    let mut total = Duration::ZERO;
                    for body in bodies {
                        let (started, cpu_started) = (Instant::now(), thread_cpu());
                        post(
                            &http,
                            &r.url(),
                            &path,
                            "?conflict_strategy=raise",
                            NDJSON_CONTENT_TYPE,
                            body,
                        )
                        .await;
                        total += if cpu {
                            thread_cpu() - cpu_started
                        } else {
                            started.elapsed()
                        };
                    }
                    r.shutdown().await;
                    total
                }
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("store");
    g.sample_size(20);
    // What reading the 5000 lines costs: into owned `serde_json::Value`s (the old way, for
    // comparison) and into the borrowed `Doc`s the bulk endpoint reads them with.
    let body = bulk_body(5000, "v");
    g.bench_function("parse_5000_lines_to_values", |b| {
        b.iter(|| {
            body.split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| serde_json::from_slice::<Value>(l).expect("json"))
                .collect::<Vec<_>>()
        })
    });
    let text = std::str::from_utf8(&body).expect("utf-8");
    g.bench_function("parse_5000_lines_to_docs", |b| {
        b.iter(|| {
            text.split('\n')
                .filter(|l| !l.is_empty())
                .map(|l| Doc::parse(l).expect("json"))
                .collect::<Vec<_>>()
        })
    });
    g.bench_function("bulk_5000_parse_validate_insert", |b| {
        b.iter_batched(
            || (Store::new(), bulk_body(5000, "s")),
            |(mut store, body)| {
                let items: Vec<(usize, PreparedLine)> = body
                    .split(|&b| b == b'\n')
                    .filter(|l| !l.is_empty())
                    .enumerate()
                    .map(|(i, l)| {
                        let text = std::str::from_utf8(l).expect("utf-8");
                        let doc = Doc::parse(text).expect("json");
                        let m = doc.root().as_object().expect("object");
                        (
                            i + 1,
                            PreparedLine::from_body_text(m, Some(text)).expect("valid"),
                        )
                    })
                    .collect();
                store
                    .bulk(items, ConflictStrategy::Raise, jiff::Timestamp::now())
                    .expect("no conflict");
                store
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn hundred_thousand() -> Vec<Customization> {
    (0..100_000)
        .map(|i| {
            let mut v = customization(i, "");
            v["id"] = json!(uuid::Uuid::new_v4().to_string());
            let ts = jiff::Timestamp::from_second(1_735_689_600 + i as i64).expect("ts");
            v["created_at"] = json!(pinscope::api::time::format_utc(ts));
            Customization::from_value(v).expect("object")
        })
        .collect()
}

fn list_page(c: &mut Criterion) {
    let rt = runtime();
    let rows = hundred_thousand();
    let r = rt.block_on(emulator(rows.clone()));
    pinscope::api::client::install_tls_provider();
    let http = reqwest::Client::new();
    let path = format!("/v1/recommender/pin/{TRACKER}/scopes");
    let query = "?limit=1000&model=basket&tag=summer";
    // The filters must leave more than a page.
    let n = rt.block_on(post(
        &http,
        &r.url(),
        &path,
        query,
        JSON_CONTENT_TYPE,
        Vec::new(),
    ));
    assert!(n > 500_000, "a full page: {n} bytes");

    let base = r.url();
    let mut g = c.benchmark_group("emulator");
    g.sample_size(50);
    g.bench_function("list_1000_two_filters_of_100k", |b| {
        b.to_async(&rt)
            .iter(|| post(&http, &base, &path, query, JSON_CONTENT_TYPE, Vec::new()))
    });
    g.bench_function("list_1000_two_filters_of_100k_cpu_time", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (http, base, path) = (&http, &base, &path);
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let started = thread_cpu();
                    post(http, base, path, query, JSON_CONTENT_TYPE, Vec::new()).await;
                    total += thread_cpu() - started;
                }
                total
            }
        })
    });
    let client = pinscope::api::Client::new(pinscope::api::ClientConfig::new(
        r.url(),
        TRACKER,
        Secret::new(KEY),
    ))
    .expect("client");
    let q = pinscope::api::ListQuery {
        limit: Some(1000),
        models: vec!["basket".into()],
        tags: vec!["summer".into()],
        ..Default::default()
    };
    g.bench_function("list_1000_two_filters_of_100k_with_client_parsing", |b| {
        b.to_async(&rt).iter(|| async {
            let page = client.list(&q).await.expect("page");
            assert_eq!(page.results.len(), 1000);
        })
    });
    g.finish();
    rt.block_on(r.shutdown());

    let mut store = Store::new();
    let now = jiff::Timestamp::now();
    for row in rows {
        store.insert(PreparedLine::from_stored(row.0).expect("valid"), now);
    }
    let f = Filter {
        models: vec!["basket".into()],
        tags: vec!["summer".into()],
        ..Filter::default()
    };
    let mut g = c.benchmark_group("store");
    g.bench_function("list_json_1000_two_filters_of_100k", |b| {
        b.iter(|| store.list_json(&f, Sort::default(), 0, 1000, now).len())
    });
    g.finish();
}

criterion_group!(benches, bulk_create, list_page);
criterion_main!(benches);
