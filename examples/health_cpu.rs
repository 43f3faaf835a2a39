//! The health targets measured in CPU time of the thread, which a loaded machine does not
//! inflate as it does wall time (criterion's `cargo bench --bench health` and `--bench
//! editor` measure wall time): the agenda of 30 days and lint of everything over 100,000
//! customizations and 300,000 pins, and a key plus a frame in a 50-pin form with the live
//! warnings on. The tracker and the form are built as in those benches.
//!
//! `cargo run --release --example health_cpu`

use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use pinscope::api::Customization;
use pinscope::health::agenda::{Period, PinIndex};
use pinscope::health::lint::lint;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

fn cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec that we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

const SCOPES: usize = 100_000;
const PINS_EACH: usize = 3;

fn now() -> Timestamp {
    "2025-06-15T10:00:00Z".parse().expect("ts")
}

/// A shop: models of several sizes (and a few typos), item, criteria and all targets (some
/// duplicated), pins with windows from three months back to three months ahead, some open.
pub fn tracker() -> Vec<Customization> {
    let mut rng = SmallRng::seed_from_u64(13);
    let models = [
        "basket",
        "homepage",
        "product_detail",
        "category",
        "search",
        "cart_upsell",
    ];
    let at = |rng: &mut SmallRng| -> String {
        let hours: i64 = rng.random_range(-24 * 90..24 * 90);
        now()
            .checked_add(hours.hours())
            .expect("in range")
            .to_string()
    };
    (0..SCOPES)
        .map(|i| {
            let model = if i % 5000 == 7 {
                "homepageX".to_string()
            } else {
                models[i % models.len()].to_string()
            };
            let pins: Vec<Value> = (0..PINS_EACH)
                .map(|j| {
                    let mut p = json!({
                        "position": if j == 2 && i % 10 == 0 { 0 } else { j as i64 + 1 },
                        "pin_type": "item",
                        "pin_identity": format!("/p/{}", rng.random_range(0..50_000)),
                    });
                    if rng.random_bool(0.3) {
                        p["widget_id"] = json!(format!("w{}", rng.random_range(0..5)));
                    }
                    match rng.random_range(0..4) {
                        0 => {}
                        1 => p["active_from"] = json!(at(&mut rng)),
                        2 => p["active_to"] = json!(at(&mut rng)),
                        _ => {
                            let a = at(&mut rng);
                            let b = at(&mut rng);
                            let (from, to) = if a < b { (a, b) } else { (b, a) };
                            if from != to {
                                p["active_from"] = json!(from);
                                p["active_to"] = json!(to);
                            }
                        }
                    }
                    p
                })
                .collect();
            let mut c = json!({
                "id": format!("00000000-0000-4000-8000-{i:012x}"),
                "model": model,
                "pin_definitions": pins,
                "created_at": "2025-01-01T00:00:00Z",
            });
            match i % 10 {
                0..=6 => {
                    c["target_type"] = json!("item");
                    // One in a thousand repeats the target of the one before.
                    let n = if i % 1000 == 1 { i - 1 } else { i };
                    c["target_identity"] = json!(format!("/p/{n}"));
                    c["target_metadata"] = json!({"title": format!("Product {n}")});
                }
                7 | 8 => {
                    c["target_type"] = json!("criteria");
                    c["target_criteria"] =
                        json!({"brand": format!("b{}", i % 997), "category": format!("c{}", i)});
                }
                _ => c["target_type"] = json!("all"),
            }
            Customization::from_value(c).expect("object")
        })
        .collect()
}

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pinscope::tui::app::{App, AppOptions};
use pinscope::tui::keys::Keymap;
use pinscope::tui::msg::Msg;
use pinscope::tui::screens::Profile;
use pinscope::tui::screens::editor::Editor;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn fifty_pins() -> Customization {
    let pins: Vec<_> = (0..50)
        .map(|i| match i % 3 {
            0 => json!({"position": i + 1, "pin_type": "item", "pin_identity": format!("/p/{}", 1000 + i),
                        "active_from": "2025-02-01T00:00:00Z", "active_to": "2025-12-31T23:00:00+01:00",
                        "widget_id": "home-top"}),
            1 => json!({"position": -1, "pin_type": "criteria",
                        "pin_criteria": {"brand": "Fender", "category": ["Guitars", "Bass"]},
                        "is_bundle_pin": true}),
            _ => json!({"position": 0, "pin_type": "item", "pin_identity": format!("/p/{}", 2000 + i),
                        "is_block_pin": true, "note": "kept as is"}),
        })
        .collect();
    serde_json::from_value(json!({
        "id": "199620b4-df1a-46e8-ab59-9e9ed9af7106",
        "model": "basket",
        "target_type": "item",
        "target_identity": "/p/123",
        "target_metadata": {"title": "Fender Telecaster", "image_link": "https://doe.com/123.jpg"},
        "tags": ["guitars", "summer"],
        "pin_definitions": pins,
        "created_at": "2025-01-22T08:49:58Z"
    }))
    .expect("customization")
}

/// The 50-pin form with the live health warnings fed: the summary's models (a few hundred) and
/// another customization holding the same target, so every rule has something to look at.
fn app_with_warnings() -> App {
    use pinscope::api::{Page, Summary};
    use pinscope::tui::app::Effect;
    use pinscope::tui::msg::{ApiEvent, ApiReply, ApiRequest, CallInfo};
    let mut app = App::new(AppOptions {
        profile: Profile {
            label: "bench".into(),
            color: None,
            production: false,
            read_only: false,
            tracker: "bench".into(),
            host: "http://127.0.0.1:7700".into(),
        },
        keymap: Keymap::default(),
        tz: TimeZone::get("Europe/Prague").expect("zone"),
        recent: Vec::new(),
        now: "2025-06-15T10:00:00Z".parse().expect("ts"),
        size: (120, 40),
    });
    app.open(Editor::edit(fifty_pins()));
    let mut other = fifty_pins();
    other.set("id", json!("00000000-0000-4000-8000-000000000001"));
    let mut summary = Summary::default();
    for i in 0..300 {
        summary
            .scope_counts
            .insert(format!("model_{i}"), json!(i % 7 + 1));
    }
    summary.scope_counts.insert("basket".into(), json!(40));
    for e in app.take_effects() {
        let Effect::Send(id, req) = e else { continue };
        let result = match &req {
            ApiRequest::Summary => ApiReply::Summary(summary.clone()),
            ApiRequest::List(_) => ApiReply::Page(Page {
                total: 1,
                results: vec![other.clone()],
            }),
            _ => continue,
        };
        app.update(Msg::Api(Box::new(ApiEvent {
            id,
            call: CallInfo::job("bench", std::time::Duration::ZERO),
            result: Ok(result),
        })));
    }
    assert!(
        app_has_warning(&mut app),
        "the duplicate-target warning is on"
    );
    app
}

fn app_has_warning(app: &mut App) -> bool {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let frame = terminal.draw(|f| app.render(f)).expect("draw");
    let text: String = frame.buffer.content().iter().map(|c| c.symbol()).collect();
    text.contains("duplicate-target")
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn main() {
    {
        let mut app = app_with_warnings();
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        let n = 2000;
        let t = cpu();
        for i in 0..n {
            let k = if i % 2 == 1 {
                key(KeyCode::Backspace)
            } else {
                key(KeyCode::Char('x'))
            };
            std::hint::black_box(app.update(k));
            terminal.draw(|f| app.render(f)).expect("draw");
        }
        println!(
            "cpu: editor 50 pins with live warnings: key + frame {:.3} ms",
            (cpu() - t) * 1e3 / n as f64
        );
    }

    let scopes = tracker();
    let tz = TimeZone::get("Europe/Prague").expect("zone");
    let now = now();
    for _ in 0..3 {
        let t = cpu();
        let index = PinIndex::build(&scopes);
        let t1 = cpu();
        let period = Period::next_days(now, &tz, 30).expect("p");
        let n = 20;
        for _ in 0..n {
            std::hint::black_box(index.agenda(period, now, &tz));
        }
        let t2 = cpu();
        let f = lint(&scopes, now);
        let t3 = cpu();
        println!(
            "cpu: index build {:.1} ms, agenda 30d {:.2} ms, lint {:.1} ms ({} findings)",
            (t1 - t) * 1e3,
            (t2 - t1) * 1e3 / n as f64,
            (t3 - t2) * 1e3,
            f.len()
        );
    }
}
