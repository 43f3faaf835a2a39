//! Frame time of browse: drawing after one key (move down a row) with 100 and with 100k
//! loaded rows; only the visible rows are turned into widgets, so the two should match.
//! Also the fuzzy narrowing of 100k loaded rows, per key typed.
//!
//! `cargo bench --bench tui`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use pinscope::api::{Customization, Page};
use pinscope::tui::app::{App, AppOptions, Effect};
use pinscope::tui::keys::Keymap;
use pinscope::tui::msg::{ApiEvent, ApiReply, ApiRequest, CallInfo, Msg};
use pinscope::tui::screens::ProfileInfo;
use pinscope::tui::screens::browse::Browse;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

fn rows(n: usize) -> Vec<Customization> {
    let titles = [
        "Fender Stratocaster",
        "Yamaha P-45",
        "Shure SM58",
        "Roland TD-07",
        "Boss DS-1",
    ];
    (0..n)
        .map(|i| {
            let model = ["basket", "product_detail", "homepage", "checkout"][i % 4];
            let title = titles[i % titles.len()];
            serde_json::from_value(json!({
                "id": format!("00000000-0000-4000-8000-{i:012x}"),
                "model": model,
                "target_type": "item",
                "target_identity": format!("/p/{i}"),
                "target_metadata": {"title": title},
                "tags": ["summer-sale", "staff-picks"],
                "pin_definitions": [
                    {"position": 1, "pin_type": "item", "pin_identity": "/p/1",
                     "active_from": "2025-01-01T00:00:00Z"},
                    {"position": 2, "pin_type": "item", "pin_identity": "/p/2",
                     "active_to": "2025-01-01T00:00:00Z"}
                ],
                "created_at": "2025-05-01T10:00:00Z",
                "creator": "api"
            }))
            .expect("customization")
        })
        .collect()
}

/// Browse at 200x60 holding `n` rows, the selection in the middle.
fn loaded(n: usize) -> (App, Terminal<TestBackend>) {
    let mut app = App::new(AppOptions {
        profile: ProfileInfo {
            label: "bench".into(),
            color: None,
            production: false,
            read_only: false,
            tracker: "bench".into(),
            host: "http://127.0.0.1:1".into(),
            session_args: "--profile demo".into(),
        },
        keymap: Keymap::default(),
        tz: TimeZone::UTC,
        recent: Vec::new(),
        now: "2025-06-01T00:00:00Z".parse::<Timestamp>().expect("ts"),
        size: (200, 60),
    });
    app.open(Browse::new());
    let data = rows(n);
    let mut pending = app.take_effects();
    let mut served = false;
    while let Some(effect) = pending.pop() {
        let Effect::Send(id, req) = effect else {
            continue;
        };
        let result = match &req {
            // Everything in one answer: the point is what is loaded, not how.
            ApiRequest::List(_) if !served => {
                served = true;
                Ok(ApiReply::Page(Page {
                    total: n as u64,
                    results: data.clone(),
                }))
            }
            ApiRequest::List(_) => Ok(ApiReply::Page(Page {
                total: n as u64,
                results: Vec::new(),
            })),
            ApiRequest::Summary => Ok(ApiReply::Summary(Default::default())),
            _ => continue,
        };
        pending.extend(app.update(Msg::Api(Box::new(ApiEvent {
            id,
            call: CallInfo {
                method: req.method(),
                path: req.sub_path(),
                status: Some(200),
                latency: Duration::from_millis(1),
            },
            result,
        }))));
    }
    for _ in 0..(n / 2) / 58 {
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::PageDown,
            KeyModifiers::NONE,
        )));
    }
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    terminal.draw(|f| app.render(f)).expect("draw");
    (app, terminal)
}

fn frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("browse frame after a key, 200x60");
    for n in [100usize, 100_000] {
        let (mut app, mut terminal) = loaded(n);
        let mut down = true;
        group.bench_function(format!("{n} rows"), |b| {
            b.iter(|| {
                let code = if down { KeyCode::Down } else { KeyCode::Up };
                down = !down;
                app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
                terminal.draw(|f| app.render(f)).expect("draw");
                black_box(terminal.backend().buffer().area);
            })
        });
    }
    group.finish();
}

fn render_only(c: &mut Criterion) {
    let (app, mut terminal) = loaded(100_000);
    c.bench_function("render only, 100000 rows", |b| {
        b.iter(|| {
            let mut f = terminal.get_frame();
            app.render(&mut f);
        })
    });
}

fn narrowing(c: &mut Criterion) {
    let (mut app, _terminal) = loaded(100_000);
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('/'),
        KeyModifiers::NONE,
    )));
    let mut typed = false;
    c.bench_function("fuzzy narrowing of 100k loaded rows, one key", |b| {
        b.iter(|| {
            let key = if typed {
                KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE)
            } else {
                KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE)
            };
            typed = !typed;
            black_box(app.update(Msg::Key(key)));
        })
    });
}

fn typing_a_query(c: &mut Criterion) {
    let (mut app, _terminal) = loaded(100_000);
    c.bench_function("typing `yamaha` then Esc, 100k loaded rows (7 keys)", |b| {
        b.iter(|| {
            app.update(Msg::Key(KeyEvent::new(
                KeyCode::Char('/'),
                KeyModifiers::NONE,
            )));
            for ch in "yamaha".chars() {
                black_box(app.update(Msg::Key(KeyEvent::new(
                    KeyCode::Char(ch),
                    KeyModifiers::NONE,
                ))));
            }
            app.update(Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
        })
    });
}

criterion_group!(benches, frame, render_only, narrowing, typing_a_query);
criterion_main!(benches);
