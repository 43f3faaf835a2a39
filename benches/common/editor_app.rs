//! The 50-pin editor the editor benchmarks measure, with and without the live health
//! warnings. Shared by `benches/editor.rs` and `examples/health_cpu.rs` (`#[path]`).
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::tz::TimeZone;
use pinscope::api::Customization;
use pinscope::tui::app::{App, AppOptions};
use pinscope::tui::keys::Keymap;
use pinscope::tui::msg::Msg;
use pinscope::tui::screens::ProfileInfo;
use pinscope::tui::screens::editor::Editor;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

pub fn fifty_pins() -> Customization {
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

pub fn app() -> App {
    let mut app = App::new(AppOptions {
        profile: ProfileInfo {
            label: "bench".into(),
            color: None,
            production: false,
            read_only: false,
            tracker: "bench".into(),
            host: "http://127.0.0.1:7700".into(),
            session_args: "--profile demo".into(),
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
pub fn app_with_warnings() -> App {
    use pinscope::api::{Page, Summary};
    use pinscope::tui::app::Effect;
    use pinscope::tui::msg::{ApiEvent, ApiReply, ApiRequest, CallInfo};
    let mut app = App::new(AppOptions {
        profile: ProfileInfo {
            label: "bench".into(),
            color: None,
            production: false,
            read_only: false,
            tracker: "bench".into(),
            host: "http://127.0.0.1:7700".into(),
            session_args: "--profile demo".into(),
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

pub fn app_has_warning(app: &mut App) -> bool {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let frame = terminal.draw(|f| app.render(f)).expect("draw");
    let text: String = frame.buffer.content().iter().map(|c| c.symbol()).collect();
    text.contains("duplicate-target")
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}
