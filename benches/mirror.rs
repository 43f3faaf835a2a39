//! The mirror's queries over a generated tracker of 100,000 customizations (~300,000 pins):
//! a search keystroke (target <= 10 ms), `where` (target <= 5 ms), a short id, and the sync
//! from an export body held in memory; browse's windows, filter and sort changes, and
//! selecting every row (target <= 50 ms) (the network left out; `benches/mirror-sync.sh`
//! measures the whole `pinscope sync` with its peak RSS).
//!
//! Run: `cargo bench --bench mirror` (add `-- --quick` for a short run). `MIRROR_BENCH_N`
//! changes the tracker's size.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use pinscope::mirror::browse::{BrowseQuery, PinStateFilter, SortColumn};
use pinscope::mirror::{Mirror, Scope, generate};
use pinscope::tui::screens::browse::Selection;
use pinscope::tui::screens::search::LIMIT as SEARCH_LIMIT;

fn bench(c: &mut Criterion) {
    let n: u64 = std::env::var("MIRROR_BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let mut body = String::from("{\"results\":[");
    for (i, v) in generate::tracker(n, 1).enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&v.to_string());
    }
    body.push_str("]}");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mirror.sqlite3");
    let scope = Scope::new("http://127.0.0.1:1", "bench");
    let mut m = Mirror::open(&path, &scope).expect("open");
    let started = std::time::Instant::now();
    let stats = m
        .sync_from_reader(body.as_bytes(), &mut |_| {})
        .expect("sync");
    eprintln!(
        "synced {} customizations, {} pins from memory in {:.2}s",
        stats.customizations,
        stats.pins,
        started.elapsed().as_secs_f64()
    );
    // An item that is pinned somewhere, and an id to shorten.
    let item = "/p/0012345";
    let pins = m.where_pinned(item).expect("where");
    let mut first_id = String::new();
    m.for_each_customization(|s| {
        if first_id.is_empty() {
            first_id = s.id;
        }
        Ok::<(), pinscope::mirror::MirrorError>(())
    })
    .expect("walk");
    eprintln!("{item} has {} pins", pins.len());

    let mut g = c.benchmark_group("mirror");
    g.measurement_time(Duration::from_secs(3));
    // What a user types, one keystroke at a time: each prefix is one search, with as many
    // hits as the TUI's search screen asks for.
    for q in [
        "a",
        "ac",
        "acme",
        "acme gu",
        "acme guitar 12",
        "p/00123",
        "w-home",
    ] {
        g.bench_function(format!("search {q:?}"), |b| {
            b.iter(|| m.search(black_box(q), SEARCH_LIMIT).expect("search"))
        });
    }
    g.bench_function("where_pinned", |b| {
        b.iter(|| m.where_pinned(black_box(item)).expect("where"))
    });
    let short: String = first_id.chars().take(8).collect();
    g.bench_function("resolve_short_id", |b| {
        b.iter(|| m.resolve_short_id(black_box(&short)).expect("resolve"))
    });

    // Browse over the mirror: what the TUI asks on start, on a filter change, on End,
    // and for `*` (every matching id into the selection).
    let now = jiff::Timestamp::now().as_second();
    let all = BrowseQuery {
        now,
        descending: true,
        ..BrowseQuery::default()
    };
    let window = |q: &BrowseQuery, offset: u64| {
        let total = m.browse_count(q).expect("count");
        let rows = m.browse_window(q, offset, 240).expect("window");
        (total, rows)
    };
    g.bench_function("browse first window (count + 240 rows)", |b| {
        b.iter(|| window(black_box(&all), 0))
    });
    g.bench_function("browse End (window at the last rows)", |b| {
        b.iter(|| window(black_box(&all), n.saturating_sub(240)))
    });
    let filters: [(&str, BrowseQuery); 5] = [
        (
            "model",
            BrowseQuery {
                models: vec!["basket".into()],
                ..all.clone()
            },
        ),
        (
            "tag",
            BrowseQuery {
                tags: vec!["summer".into()],
                ..all.clone()
            },
        ),
        (
            "widget",
            BrowseQuery {
                widget: Some("w-basket".into()),
                ..all.clone()
            },
        ),
        (
            "pinned item",
            BrowseQuery {
                pinned_item: Some(item.into()),
                ..all.clone()
            },
        ),
        (
            "expiring in 7 days",
            BrowseQuery {
                pin_state: Some(PinStateFilter::ExpiringWithin(7)),
                ..all.clone()
            },
        ),
    ];
    for (name, q) in &filters {
        g.bench_function(format!("browse filter change: {name}"), |b| {
            b.iter(|| window(black_box(q), 0))
        });
    }
    let by_pins = BrowseQuery {
        sort: SortColumn::Pins,
        ..all.clone()
    };
    g.bench_function("browse sort change: pins", |b| {
        b.iter(|| window(black_box(&by_pins), 0))
    });
    g.bench_function("select all (ids of the view into the selection)", |b| {
        // As the worker does it: the ids streamed into a selection, merged into the
        // screen's.
        b.iter(|| {
            let mut found = Selection::default();
            m.for_each_browse_id(black_box(&all), 0, None, |id| {
                found.insert(id);
            })
            .expect("ids");
            let mut s = Selection::default();
            s.merge(&found);
            s.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
