//! The agenda (`A`) and health (`L`) screens, drawn from messages alone, and the editor's
//! health warnings, in frames and in the real loop against the emulator.

use crossterm::event::KeyCode;
use insta::assert_snapshot;
use pinscope::api::Customization;
use pinscope::tui::screens::agenda::AgendaScreen;
use pinscope::tui::screens::browse::Browse;
use pinscope::tui::screens::health::HealthScreen;
use serde_json::json;

use crate::harness::*;

/// A small shop around [`NOW`] (2025-06-15 10:00 UTC, 12:00 in Prague): pins starting and
/// ending over the next days, one across midnight, a duplicate target, an expired pin, a
/// doubled slot and a typo'd model.
pub fn shop() -> Vec<Customization> {
    let c = |id: &str, model: &str, target: &str, title: &str, pins: serde_json::Value| {
        serde_json::from_value::<Customization>(json!({
            "id": id,
            "model": model,
            "target_type": "item",
            "target_identity": target,
            "target_metadata": {"title": title},
            "pin_definitions": pins,
            "created_at": "2025-05-01T08:00:00Z",
        }))
        .expect("customization")
    };
    vec![
        c(
            "aaaaaaaa-0000-4000-8000-000000000001",
            "basket",
            "/p/100",
            "Fender Telecaster",
            json!([
                {"position": 1, "pin_type": "item", "pin_identity": "/p/555",
                 "active_from": "2025-06-16T07:00:00Z", "active_to": "2025-06-18T22:30:00Z"},
                {"position": 2, "pin_type": "item", "pin_identity": "/p/556", "widget_id": "cart",
                 "active_to": "2025-06-15T16:00:00Z"},
            ]),
        ),
        c(
            "bbbbbbbb-0000-4000-8000-000000000002",
            "basket",
            "/p/100",
            "Fender Telecaster (copy)",
            json!([{"position": 1, "pin_type": "item", "pin_identity": "/p/777"}]),
        ),
        c(
            "cccccccc-0000-4000-8000-000000000003",
            "home",
            "/p/200",
            "Yamaha P-45",
            json!([
                {"position": 3, "pin_type": "item", "pin_identity": "/p/1"},
                {"position": 3, "pin_type": "item", "pin_identity": "/p/2",
                 "active_from": "2025-06-20T09:00:00Z"},
                {"position": 4, "pin_type": "item", "pin_identity": "/p/9",
                 "active_to": "2025-06-01T00:00:00Z"},
            ]),
        ),
        c(
            "dddddddd-0000-4000-8000-000000000004",
            "home",
            "/p/201",
            "Shure SM58",
            json!([{"position": 1, "pin_type": "item", "pin_identity": "/p/3",
                    "active_from": "2025-07-10T00:00:00Z"}]),
        ),
        c(
            "eeeeeeee-0000-4000-8000-000000000005",
            "homee",
            "/p/202",
            "Roland TD-07",
            json!([{"position": 1, "pin_type": "item", "pin_identity": "/p/4",
                    "active_to": "2025-06-10T00:00:00Z"}]),
        ),
    ]
}

fn agenda_loaded(width: u16, height: u16) -> pinscope::tui::App {
    let data = shop();
    let (mut app, effects) = app_with(options(width, height), AgendaScreen::new());
    answer_all(&mut app, effects, serve(&data));
    app
}

#[test]
fn agenda_next_7_days() {
    let app = agenda_loaded(120, 18);
    let text = draw(&app);
    // Grouped by day in Prague; the header counts.
    assert!(text.contains("Sun 2025-06-15"), "{text}");
    assert!(text.contains("Mon 2025-06-16"), "{text}");
    // 22:30 UTC on the 18th is 00:30 on the 19th in Prague.
    assert!(text.contains("Thu 2025-06-19"), "{text}");
    assert!(!text.contains("2025-07-10"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn agenda_windows_cycle_and_custom() {
    let mut app = agenda_loaded(120, 18);
    feed(&mut app, [key('t')]);
    let text = draw(&app);
    assert!(text.contains("next 30 days"), "{text}");
    assert!(text.contains("Thu 2025-07-10"), "{text}");
    // Then a custom window: today to +2d.
    feed(&mut app, [key('t')]);
    let text = draw(&app);
    assert!(text.contains("Custom window"), "{text}");
    let mut msgs = vec![code(KeyCode::Tab)];
    msgs.extend((0..4).map(|_| code(KeyCode::Backspace)));
    msgs.extend(typed("+1d"));
    msgs.push(code(KeyCode::Enter));
    feed(&mut app, msgs);
    let text = draw(&app);
    assert!(!text.contains("Custom window"), "{text}");
    assert!(text.contains("Mon 2025-06-16"), "{text}");
    assert!(!text.contains("2025-06-19"), "{text}");
    assert_snapshot!(text);
    // Today only.
    feed(&mut app, [key('t')]);
    let text = draw(&app);
    assert!(text.contains("Agenda · today"), "{text}");
    assert!(!text.contains("2025-06-16"), "{text}");
}

#[test]
fn agenda_custom_window_refuses_a_bad_date() {
    let mut app = agenda_loaded(100, 18);
    feed(&mut app, [key('t'), key('t')]);
    let mut msgs: Vec<_> = (0..5).map(|_| code(KeyCode::Backspace)).collect();
    msgs.extend(typed("soon"));
    msgs.push(code(KeyCode::Enter));
    feed(&mut app, msgs);
    let text = draw(&app);
    assert!(text.contains("Custom window"), "{text}");
    assert!(text.contains("cannot read \"soon\""), "{text}");
    feed(&mut app, [code(KeyCode::Esc)]);
    assert_eq!(app.screen_names(), ["agenda"]);
}

#[test]
fn agenda_enter_opens_the_customization() {
    let data = shop();
    let mut app = agenda_loaded(120, 18);
    // The first row under the first day: /p/556 ends at 18:00 in Prague.
    let effects = feed(&mut app, [code(KeyCode::Enter)]);
    assert_eq!(app.screen_names(), ["agenda", "detail"]);
    answer_all(&mut app, effects, serve(&data));
    let text = draw(&app);
    assert!(text.contains("Fender Telecaster"), "{text}");
}

#[test]
fn agenda_from_browse_and_a_failed_load() {
    let data = shop();
    let (mut app, effects) = app_with(options(100, 14), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    let effects = feed(&mut app, [key('A')]);
    assert_eq!(app.screen_names(), ["browse", "agenda"]);
    answer_all(&mut app, effects, |_| Err(connect_error()));
    assert_snapshot!(draw(&app));
}

#[test]
fn health_findings_grouped_by_rule() {
    let data = shop();
    let (mut app, effects) = app_with(options(120, 20), HealthScreen::new());
    answer_all(&mut app, effects, serve(&data));
    let text = draw(&app);
    for rule in [
        "duplicate-target",
        "slot-overlap",
        "unknown-model",
        "expired",
    ] {
        assert!(text.contains(rule), "{rule}: {text}");
    }
    assert_snapshot!(text);
}

#[test]
fn health_enter_opens_the_customization_of_the_row() {
    let data = shop();
    let (mut app, effects) = app_with(options(120, 20), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    let effects = feed(&mut app, [key('L')]);
    answer_all(&mut app, effects, serve(&data));
    // The second row of the duplicate: the copy.
    let effects = feed(&mut app, [code(KeyCode::Down), code(KeyCode::Enter)]);
    assert_eq!(app.screen_names(), ["browse", "health", "detail"]);
    answer_all(&mut app, effects, serve(&data));
    let text = draw(&app);
    assert!(text.contains("Fender Telecaster (copy)"), "{text}");
}

#[test]
fn health_of_a_clean_tracker() {
    let data: Vec<Customization> = shop().into_iter().skip(3).take(1).collect();
    let (mut app, effects) = app_with(options(80, 8), HealthScreen::new());
    answer_all(&mut app, effects, serve(&data));
    let text = draw(&app);
    assert!(text.contains("Nothing found"), "{text}");
}

#[test]
fn the_editor_warns_of_a_duplicated_target_and_a_doubled_slot() {
    use pinscope::tui::screens::editor::Editor;
    let data = shop();
    // A copy of the Yamaha customization (two pins share slot 3) as a new one.
    let (mut app, effects) = app_with(options(110, 24), Editor::duplicate(&data[2]));
    let reqs = requests(&effects);
    // The summary, and who holds the target.
    assert!(
        reqs.iter()
            .any(|(_, r)| matches!(r, pinscope::tui::msg::ApiRequest::List(q)
            if q.models == ["home"] && q.target_identities == ["/p/200"])),
        "{reqs:?}"
    );
    answer_all(&mut app, effects, serve(&data));
    let text = draw(&app);
    assert!(
        text.contains("duplicate-target: the target home item /p/200 is already used by cccccccc-0000-4000-8000-000000000003"),
        "{text}"
    );
    assert!(text.contains("Ctrl-t opens it"), "{text}");
    assert!(text.contains("slot-overlap"), "{text}");
    assert_snapshot!(text);

    // Saving asks first; Esc goes back to the form, nothing sent.
    let effects = feed(&mut app, [ctrl('s')]);
    assert!(requests(&effects).is_empty(), "{effects:?}");
    let text = draw(&app);
    assert!(text.contains("Create anyway?"), "{text}");
    feed(&mut app, [code(KeyCode::Esc)]);
    assert!(!draw(&app).contains("Create anyway?"));

    // Ctrl-T opens the customization that has the target.
    let effects = feed(&mut app, [ctrl('t')]);
    assert_eq!(app.screen_names(), ["editor", "detail"]);
    answer_all(&mut app, effects, serve(&data));
    assert!(draw(&app).contains("Yamaha P-45"));
    feed(&mut app, [code(KeyCode::Esc)]);
    assert_eq!(app.screen_names(), ["editor"]);

    // Another identity: the look-up runs after a pause in typing, and the warning goes.
    feed(&mut app, times_tab(2));
    let effects = feed(&mut app, [key('9')]);
    assert!(requests(&effects).is_empty(), "debounced: {effects:?}");
    let later: jiff::Timestamp = "2025-06-15T10:00:05Z".parse().expect("ts");
    let effects = feed(
        &mut app,
        [
            pinscope::tui::msg::Msg::Clock(later),
            pinscope::tui::msg::Msg::Tick,
        ],
    );
    let reqs = requests(&effects);
    assert!(
        reqs.iter()
            .any(|(_, r)| matches!(r, pinscope::tui::msg::ApiRequest::List(q)
            if q.target_identities == ["/p/2009"])),
        "{reqs:?}"
    );
    answer_all(&mut app, effects, serve(&data));
    let text = draw(&app);
    assert!(!text.contains("duplicate-target"), "{text}");
    assert!(text.contains("slot-overlap"), "{text}");
}

fn times_tab(n: usize) -> Vec<pinscope::tui::msg::Msg> {
    (0..n).map(|_| code(KeyCode::Tab)).collect()
}

#[test]
fn the_review_of_an_edit_shows_the_warnings() {
    use pinscope::tui::screens::editor::Editor;
    let data = shop();
    let (mut app, effects) = app_with(options(110, 30), Editor::edit(data[2].clone()));
    answer_all(&mut app, effects, serve(&data));
    // Its own target is not a duplicate of itself.
    let text = draw(&app);
    assert!(!text.contains("duplicate-target"), "{text}");
    assert!(text.contains("slot-overlap"), "{text}");
    feed(&mut app, [key('x')]);
    let effects = feed(&mut app, [ctrl('s')]);
    answer_all(&mut app, effects, serve(&data));
    let text = draw(&app);
    assert!(text.contains("Review: replace"), "{text}");
    assert!(text.contains("⚠ slot-overlap"), "{text}");
    assert!(text.contains("⚠ expired"), "{text}");
    assert_snapshot!(text);
}

/// The full loop against the emulator: duplicate a customization from its detail, see the
/// warning naming the original, and be asked before creating a second one on that target.
#[tokio::test]
async fn duplicating_in_the_loop_warns_of_the_target() {
    use pinscope::api::Secret;
    use pinscope::emulator::{EmulatorConfig, start};
    let data = shop();
    let original = data[3].clone();
    let mut cfg = EmulatorConfig::new(
        "127.0.0.1:0".parse().expect("address"),
        vec![("demo".to_string(), Secret::new("health-key"))],
    );
    cfg.preload = vec![original.clone()];
    let emu = start(cfg).await.expect("emulator starts");
    let id = original.id().expect("id").to_string();
    let run = Running::start(
        client(&emu.url(), "health-key"),
        options(120, 30),
        pinscope::tui::screens::detail::Detail::fetch(id.clone()),
    );
    run.wait_for("Shure SM58").await;
    run.send(key('N'));
    let screen = run.wait_for(&format!("is already used by {id}")).await;
    assert!(screen.contains("duplicate-target"), "{screen}");
    run.send(ctrl('s'));
    run.wait_for("Create anyway?").await;
    run.send(code(KeyCode::Esc));
    run.wait_gone("Create anyway?").await;
    // Nothing was created.
    let all = client(&emu.url(), "health-key")
        .list_all(&Default::default())
        .await
        .expect("list");
    assert_eq!(all.len(), 1);
    // Ctrl-T opens the original over the form.
    run.send(ctrl('t'));
    run.wait_until("the original's detail", |s| {
        s.contains("Shure SM58") && !s.contains("New customization")
    })
    .await;
    run.send(code(KeyCode::Esc));
    run.wait_for("New customization").await;
    // Confirmed: created after all.
    run.send(ctrl('s'));
    run.wait_for("Create anyway?").await;
    run.send(code(KeyCode::Enter));
    run.wait_for("Created").await;
    let all = client(&emu.url(), "health-key")
        .list_all(&Default::default())
        .await
        .expect("list");
    assert_eq!(all.len(), 2);
    run.send(ctrl('c'));
    run.finish().await;
    emu.shutdown().await;
}

/// The bottom border, where the screen's keys are.
fn footer(text: &str) -> String {
    text.lines()
        .rfind(|l| l.contains('╰'))
        .unwrap_or_else(|| panic!("no footer in\n{text}"))
        .to_string()
}

#[test]
fn enter_open_is_offered_only_on_a_row_it_opens() {
    // Pins this week: the selected row is a pin's, and Enter opens it.
    let app = agenda_loaded(120, 18);
    assert!(footer(&draw(&app)).contains("Enter open"), "{}", draw(&app));
    // Nothing in the window: nothing to open.
    let data: Vec<Customization> = shop().into_iter().skip(3).take(1).collect();
    let (mut app, effects) = app_with(options(120, 18), AgendaScreen::new());
    answer_all(&mut app, effects, serve(&data));
    let text = draw(&app);
    assert!(text.contains("No pin starts or ends"), "{text}");
    let f = footer(&text);
    assert!(!f.contains("open"), "{f}");
    assert!(f.contains("t window"), "{f}");
    let effects = feed(&mut app, [code(KeyCode::Enter)]);
    assert!(requests(&effects).is_empty());
    assert_eq!(app.screen_names(), ["agenda"]);
    // A clean tracker: no finding to open.
    let (mut app, effects) = app_with(options(80, 8), HealthScreen::new());
    answer_all(&mut app, effects, serve(&data));
    let f = footer(&draw(&app));
    assert!(!f.contains("open"), "{f}");
    assert!(f.contains("r refresh"), "{f}");
    // Findings: on a customization's row, Enter opens it.
    let data = shop();
    let (mut app, effects) = app_with(options(120, 20), HealthScreen::new());
    answer_all(&mut app, effects, serve(&data));
    feed(&mut app, [code(KeyCode::Down)]);
    assert!(footer(&draw(&app)).contains("Enter open"), "{}", draw(&app));
}
