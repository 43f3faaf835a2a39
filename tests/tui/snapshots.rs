//! Every screen in its states, drawn from messages alone.

use crossterm::event::KeyCode;
use insta::assert_snapshot;
use pinscope::tui::screens::browse::Browse;

use crate::harness::*;

fn browse_loaded(width: u16, height: u16, n: usize) -> pinscope::tui::App {
    let data = sample(n);
    let (mut app, effects) = app_with(options(width, height), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    app
}

#[test]
fn browse_loading() {
    let (app, effects) = app_with(options(100, 16), Browse::new());
    // The first page and the summary are asked for at once.
    let reqs = requests(&effects);
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_snapshot!(draw(&app));
}

#[test]
fn browse_loaded_100x20() {
    let app = browse_loaded(100, 20, 30);
    assert_snapshot!(draw(&app));
}

#[test]
fn browse_empty() {
    let app = browse_loaded(100, 12, 0);
    assert_snapshot!(draw(&app));
}

#[test]
fn browse_error() {
    let (mut app, effects) = app_with(options(100, 12), Browse::new());
    answer_all(&mut app, effects, |_| Err(connect_error()));
    assert_snapshot!(draw(&app));
}

#[test]
fn browse_40x12() {
    let app = browse_loaded(40, 12, 30);
    assert_snapshot!(draw(&app));
}

#[test]
fn browse_200x60() {
    let mut data = sample(80);
    data.insert(0, docs_customization());
    let (mut app, effects) = app_with(options(200, 60), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    assert_snapshot!(draw(&app));
}

#[test]
fn browse_narrowed() {
    let mut app = browse_loaded(100, 16, 30);
    let mut msgs = vec![key('/')];
    msgs.extend(typed("yamaha"));
    feed(&mut app, msgs);
    let text = draw(&app);
    assert!(text.contains("Yamaha"), "{text}");
    assert!(!text.contains("Gibson"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn browse_filter_panel() {
    let mut app = browse_loaded(100, 24, 30);
    let effects = feed(&mut app, [key('f'), key(' ')]);
    // Toggling the first model reloads with that model.
    let reqs = requests(&effects);
    assert!(
        reqs.iter().any(
            |(_, r)| matches!(r, pinscope::tui::msg::ApiRequest::List(q) if q.models == ["basket"])
        ),
        "{reqs:?}"
    );
    assert_snapshot!(draw(&app));
}

#[test]
fn help_on_browse() {
    let mut app = browse_loaded(100, 30, 5);
    feed(&mut app, [key('?')]);
    assert_snapshot!(draw(&app));
    feed(&mut app, [code(KeyCode::Esc)]);
    assert_eq!(app.screen_names(), ["browse"]);
}
