//! How long the editor takes to take one key and draw the frame, on a customization with
//! 50 pins (target: at most 1 ms).
//!
//! `cargo bench --bench editor`

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::tz::TimeZone;
use pinscope::api::Customization;
use pinscope::tui::app::{App, AppOptions};
use pinscope::tui::keys::Keymap;
use pinscope::tui::msg::Msg;
use pinscope::tui::screens::Profile;
use pinscope::tui::screens::editor::Editor;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

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

fn app() -> App {
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
    app.take_effects();
    app
}

/// [`app`] with the live health warnings fed: the summary's models (a few hundred) and
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

/// Types `x` then Backspace, over and over, drawing after each key.
fn type_and_draw(c: &mut Criterion, name: &str, mut app: App) {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    terminal.draw(|f| app.render(f)).expect("draw");
    let mut flip = false;
    c.bench_function(name, |b| {
        b.iter(|| {
            let k = if flip {
                key(KeyCode::Backspace)
            } else {
                key(KeyCode::Char('x'))
            };
            flip = !flip;
            std::hint::black_box(app.update(k));
            terminal.draw(|f| app.render(f)).expect("draw");
        })
    });
}

fn bench(c: &mut Criterion) {
    // For comparison: the frame alone, nothing typed.
    let app0 = app();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    c.bench_function("editor 50 pins: frame only", |b| {
        b.iter(|| {
            terminal.draw(|f| app0.render(f)).expect("draw");
        })
    });

    // The model field of the main form (the 50-pin table is drawn below it).
    type_and_draw(c, "editor 50 pins: key in the model field + frame", app());

    // The same with the health warnings fed (models from the summary, the target held by
    // another customization): every key runs the rules on the form.
    type_and_draw(
        c,
        "editor 50 pins, live warnings: key in the model field + frame",
        app_with_warnings(),
    );

    // The active_to date of pin 25 (the date is parsed on every key).
    let mut app = app();
    for _ in 0..7 {
        app.update(key(KeyCode::Tab));
    }
    for _ in 0..24 {
        app.update(key(KeyCode::Down));
    }
    app.update(key(KeyCode::Enter));
    for _ in 0..7 {
        app.update(key(KeyCode::Tab));
    }
    for c in "2025-07-01 14:0".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    type_and_draw(c, "editor 50 pins: key in a pin's date field + frame", app);
}

criterion_group!(benches, bench);
criterion_main!(benches);
