//! The health engine over a generated tracker of 100,000 customizations and 300,000 pins
//! (targets: the agenda of 30 days at most 20 ms, lint of everything at most 1 s).
//!
//! `cargo bench --bench health`

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::tz::TimeZone;
use pinscope::health::agenda::{Period, PinIndex};
use pinscope::health::lint::lint;

#[path = "common/health_data.rs"]
mod health_data;
use health_data::*;

fn bench(c: &mut Criterion) {
    let scopes = tracker();
    let tz = TimeZone::get("Europe/Prague").expect("zone");
    let now = now();

    let mut g = c.benchmark_group("health 100k customizations, 300k pins");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));

    g.bench_function("agenda: index build (once per load)", |b| {
        b.iter(|| std::hint::black_box(PinIndex::build(&scopes)))
    });
    let index = PinIndex::build(&scopes);
    assert_eq!(index.pin_count(), SCOPES * PINS_EACH);
    let period = Period::next_days(now, &tz, 30).expect("period");
    let a = index.agenda(period, now, &tz);
    eprintln!(
        "agenda of 30 days: {} events over {} days; {:?}",
        a.events.len(),
        a.days.len(),
        a.counts
    );
    g.bench_function("agenda: 30 days (events, days, header counts)", |b| {
        b.iter(|| std::hint::black_box(index.agenda(period, now, &tz)))
    });
    let findings = lint(&scopes, now);
    eprintln!("lint: {} findings", findings.len());
    g.bench_function("lint: every rule over everything", |b| {
        b.iter(|| std::hint::black_box(lint(&scopes, now)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
