//! Import speed: the validation pass (`import_scan`: read, check UTF-8, parse, validate,
//! hash the target of every line) next to plain `serde_json` on the same lines, both into a
//! `Value` per line and checking the syntax only; and an end-to-end import of 100k lines
//! into the in-process emulator.
//!
//! `cargo bench --bench import` (targets: validation >= 500k lines/s on one core;
//! 100k lines end to end <= 5 s). Peak memory is measured by `benches/import-rss.sh`.
//!
//! The validation group measures the CPU time of the benchmarking thread (Linux:
//! `/proc/thread-self/schedstat`), so "lines per second" means per second of one core even
//! on a busy machine; elsewhere it falls back to wall time.

use std::io::Write;
use std::time::{Duration, Instant};

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pinscope::api::model::ConflictStrategy;
use pinscope::api::{Client, ClientConfig, Secret};
use pinscope::emulator::{EmulatorConfig, start};
use pinscope::import::{self, CancelToken, ImportOptions, Progress, Source};

/// CPU time of the calling thread, in nanoseconds.
struct ThreadCpu {
    wall: WallTime,
    started: Instant,
}

impl Default for ThreadCpu {
    fn default() -> Self {
        ThreadCpu {
            wall: WallTime,
            started: Instant::now(),
        }
    }
}

impl ThreadCpu {
    fn now(&self) -> u64 {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| self.started.elapsed().as_nanos() as u64)
    }
}

impl Measurement for ThreadCpu {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        self.now()
    }

    fn end(&self, i: u64) -> u64 {
        self.now().saturating_sub(i)
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        self.wall.formatter()
    }
}

/// One line of about 300 bytes, like a real export: a title, two pins, one with a date.
fn line(i: usize) -> String {
    format!(
        r#"{{"model":"basket","target_type":"item","target_identity":"/p/{i:07}","target_metadata":{{"title":"Product {i}"}},"pin_definitions":[{{"position":1,"pin_type":"item","pin_identity":"/p/{:07}","active_to":"2030-01-01T00:00:00Z"}},{{"position":0,"pin_type":"item","pin_identity":"/p/x{i}","is_block_pin":true}}]}}"#,
        i + 1
    )
}

fn file(n: usize) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    {
        let mut w = std::io::BufWriter::new(f.as_file_mut());
        for i in 0..n {
            w.write_all(line(i).as_bytes()).expect("write");
            w.write_all(b"\n").expect("write");
        }
        w.flush().expect("flush");
    }
    f
}

fn validation(c: &mut Criterion<ThreadCpu>) {
    const N: usize = 200_000;
    let f = file(N);
    let bytes = std::fs::read(f.path()).expect("read");
    eprintln!(
        "validation: {N} lines, {} bytes a line on average",
        bytes.len() / N
    );
    let mut g = c.benchmark_group("validation");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.bench_function("serde_json_value_per_line", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for l in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let v: serde_json::Value = serde_json::from_slice(l).expect("json");
                n += usize::from(v.is_object());
            }
            assert_eq!(n, N);
        })
    });
    // serde_json checking the syntax only, building nothing: what parsing alone costs.
    g.bench_function("serde_json_syntax_only_per_line", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for l in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let _: serde::de::IgnoredAny = serde_json::from_slice(l).expect("json");
                n += 1;
            }
            assert_eq!(n, N);
        })
    });
    g.bench_function("import_scan", |b| {
        b.iter(|| {
            let plan = import::scan(
                Source::Path(f.path().to_path_buf()),
                &Progress::none(),
                &CancelToken::new(),
            )
            .expect("scan");
            assert_eq!(plan.counts().valid, N as u64);
        })
    });
    g.finish();
}

fn end_to_end(c: &mut Criterion) {
    const N: usize = 100_000;
    let f = file(N);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut g = c.benchmark_group("end_to_end");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.bench_function("import_100k_into_emulator", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let running = rt.block_on(async {
                    start(EmulatorConfig::new(
                        "127.0.0.1:0".parse().expect("address"),
                        vec![("bench".to_string(), Secret::new("k"))],
                    ))
                    .await
                    .expect("emulator")
                });
                let client =
                    Client::new(ClientConfig::new(running.url(), "bench", Secret::new("k")))
                        .expect("client");
                let started = Instant::now();
                let plan = import::scan(
                    Source::Path(f.path().to_path_buf()),
                    &Progress::none(),
                    &CancelToken::new(),
                )
                .expect("scan");
                let opts = ImportOptions {
                    strategy: ConflictStrategy::Raise,
                    ..ImportOptions::default()
                };
                let r = rt
                    .block_on(import::run_import(
                        &plan,
                        &client,
                        &opts,
                        &Progress::none(),
                        &CancelToken::new(),
                    ))
                    .expect("run");
                total += started.elapsed();
                assert_eq!(r.summary.counts.created, N as u64);
                rt.block_on(running.shutdown());
            }
            total
        })
    });
    g.finish();
}

criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpu::default());
    targets = validation
}
criterion_group!(wall, end_to_end);
criterion_main!(cpu, wall);
