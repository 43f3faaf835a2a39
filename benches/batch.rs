//! Batch benchmarks:
//!
//! - `plan_10000`: a plan (operations, diff, validation) for 10 000 selected customizations
//!   (target <= 1 s);
//! - `apply_1000_updates` and `undo_1000_updates`: applying a plan of 1000 updates against
//!   the local emulator over loopback (GET + PUT each, 4 at a time, every write recorded in
//!   an on-disk history), then undoing them (target <= 5 s each).
//!
//! - `plan_10000_in_the_tui`: the same plan as the TUI's worker makes it: the 10 000
//!   selected ids read from the local mirror, then planned (target <= 1 s);
//!
//! Run: `cargo bench --bench batch` (add `-- --quick` for a short run).

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use pinscope::api::{Client, ClientConfig, Customization, ListQuery, Secret};
use pinscope::batch::{
    self, ApplyOptions, ChangeSpec, Op, Outcome, PinMatcher, PinOp, Plan, Recorder,
};
use pinscope::emulator::{EmulatorConfig, start};
use pinscope::mirror::Scope;
use pinscope::mirror::history::{History, OpKind, Origin};
use serde_json::{Value, json};

const TRACKER: &str = "1234-5678";
const KEY: &str = "bench-key";

fn customization(i: usize) -> Value {
    let model = ["basket", "home", "detail"][i % 3];
    json!({
        "id": format!("00000000-0000-4000-8000-{i:012}"),
        "created_at": "2026-01-01T00:00:00Z",
        "model": model,
        "target_type": "item",
        "target_identity": format!("/p/{i}"),
        "tags": ["summer", "sale"],
        "target_metadata": {"title": format!("Product number {i}")},
        "pin_definitions": [
            {"position": 1, "pin_type": "item", "pin_identity": format!("/p/{}", i + 1), "active_from": "2025-02-01T00:00:00Z", "active_to": "2026-08-01T00:00:00Z"},
            {"position": 2, "pin_type": "item", "pin_identity": format!("/p/{}", i + 2), "widget_id": "w1"},
            {"position": -1, "pin_type": "criteria", "pin_criteria": {"brand": "Fender"}, "is_bundle_pin": true},
            {"position": 0, "pin_type": "item", "pin_identity": format!("/p/{}", i + 3), "is_block_pin": true,
             "active_from": "2025-01-01T00:00:00Z", "active_to": "2025-06-01T00:00:00Z"}
        ]
    })
}

fn spec() -> ChangeSpec {
    ChangeSpec {
        ops: vec![
            Op::AddTag("campaign".into()),
            Op::Pin(PinOp::ShiftTo(
                pinscope::when::parse_offset("+7d").expect("span"),
            )),
            Op::RemoveExpiredPins,
        ],
        pins: PinMatcher::default(),
        now: "2026-01-15T00:00:00Z".parse().expect("now"),
        tz: TimeZone::UTC,
    }
}

fn plan_10000(c: &mut Criterion) {
    let rows: Vec<Customization> = (0..10_000)
        .map(|i| Customization::from_value(customization(i)).expect("object"))
        .collect();
    let mut g = c.benchmark_group("batch");
    g.sample_size(10);
    g.bench_function("plan_10000", |b| {
        b.iter_batched(
            || rows.clone(),
            |rows| {
                let p = Plan::make(spec(), rows).expect("plan");
                assert_eq!(p.totals().update, 10_000);
                p
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn apply_and_undo_1000(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut g = c.benchmark_group("batch");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    let dir = tempfile::tempdir().expect("tmp");
    let (mut apply_total, mut undo_total, mut runs) = (Duration::ZERO, Duration::ZERO, 0u32);
    g.bench_function("apply_then_undo_1000_updates", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (a, u) = rt.block_on(async {
                    let mut cfg = EmulatorConfig::new(
                        "127.0.0.1:0".parse().expect("addr"),
                        vec![(TRACKER.to_string(), Secret::new(KEY))],
                    );
                    cfg.preload = (0..1000)
                        .map(|i| Customization::from_value(customization(i)).expect("object"))
                        .collect();
                    let emu = start(cfg).await.expect("emulator");
                    let client =
                        Client::new(ClientConfig::new(emu.url(), TRACKER, Secret::new(KEY)))
                            .expect("client");
                    let rows = client.list_all(&ListQuery::default()).await.expect("list");
                    let plan = Plan::make(spec(), rows).expect("plan");
                    let path = dir
                        .path()
                        .join(format!("m-{}.sqlite3", uuid::Uuid::new_v4()));
                    let history =
                        History::open(&path, &Scope::new(emu.url(), TRACKER)).expect("history");
                    let origin = Origin {
                        profile: "bench".into(),
                        host: emu.url(),
                        tracker: TRACKER.into(),
                    };
                    let started = Instant::now();
                    let r = batch::apply::apply(
                        &client,
                        &plan,
                        ApplyOptions {
                            recorder: Some(Recorder {
                                history: &history,
                                origin: origin.clone(),
                                kind: OpKind::Batch,
                                summary: "bench".into(),
                                at: Timestamp::now(),
                            }),
                            ..ApplyOptions::default()
                        },
                    )
                    .await;
                    let apply = started.elapsed();
                    assert_eq!(r.count(Outcome::Updated), 1000);
                    let started = Instant::now();
                    let undo =
                        batch::undo::plan(history.items(r.op_id.expect("op")).expect("items"));
                    let u = batch::apply::run(
                        &client,
                        &undo,
                        ApplyOptions {
                            recorder: Some(Recorder {
                                history: &history,
                                origin,
                                kind: OpKind::Undo,
                                summary: "bench undo".into(),
                                at: Timestamp::now(),
                            }),
                            ..ApplyOptions::default()
                        },
                    )
                    .await;
                    let undo_time = started.elapsed();
                    assert_eq!(u.count(Outcome::Updated), 1000);
                    emu.shutdown().await;
                    (apply, undo_time)
                });
                apply_total += a;
                undo_total += u;
                runs += 1;
                total += a + u;
            }
            total
        })
    });
    g.finish();
    if runs > 0 {
        println!(
            "batch/apply_1000_updates: mean {:.3} s; batch/undo_1000_updates: mean {:.3} s ({runs} runs)",
            apply_total.as_secs_f64() / f64::from(runs),
            undo_total.as_secs_f64() / f64::from(runs)
        );
    }
}

fn plan_10000_in_the_tui(c: &mut Criterion) {
    let rows: Vec<Value> = (0..10_000).map(customization).collect();
    let body = json!({ "results": rows }).to_string();
    let ids: Vec<String> = (0..10_000)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect();
    // Never called: the mirror holds every selected id.
    let client = Client::new(ClientConfig::new(
        "http://127.0.0.1:9",
        TRACKER,
        Secret::new(KEY),
    ))
    .expect("client");
    let mut m =
        pinscope::mirror::Mirror::open_in_memory(&Scope::of_client(&client)).expect("mirror");
    m.sync_from_reader(body.as_bytes(), &mut |_| {})
        .expect("sync");
    let mirror = std::sync::Arc::new(std::sync::Mutex::new(Some(m)));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut g = c.benchmark_group("batch");
    g.sample_size(10);
    g.bench_function("plan_10000_in_the_tui", |b| {
        b.iter(|| {
            let job = pinscope::tui::batch_jobs::PlanJob {
                ids: ids.clone(),
                spec: pinscope::tui::msg::Shared::new(spec()),
            };
            let reply = rt
                .block_on(pinscope::tui::batch_jobs::plan(&client, &mirror, job))
                .expect("plan");
            match reply {
                pinscope::tui::batch_jobs::BatchReply::Planned(p) => {
                    assert_eq!(p.plan.totals().update, 10_000);
                    assert_eq!(p.source, "mirror");
                }
                other => panic!("{other:?}"),
            }
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    plan_10000,
    plan_10000_in_the_tui,
    apply_and_undo_1000
);
criterion_main!(benches);
