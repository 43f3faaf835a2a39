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

use pinscope::api::ApiError;
use pinscope::tui::msg::ApiRequest;

use pinscope::tui::screens::detail::Detail;
use pinscope::tui::screens::first_run::FirstRun;
use pinscope::tui::screens::lookup::Lookup;

const DOCS_ID: &str = "199620b4-df1a-46e8-ab59-9e9ed9af7106";

fn detail_of(c: pinscope::api::Customization, width: u16, height: u16) -> pinscope::tui::App {
    let data = vec![c.clone()];
    let (mut app, effects) = app_with(options(width, height), Detail::from_list(c));
    answer_all(&mut app, effects, serve(&data));
    app
}

/// A customization with every kind of field: criteria target, metadata beyond the title,
/// an unknown field, and pins of every position, type and state.
fn rich() -> pinscope::api::Customization {
    serde_json::from_value(serde_json::json!({
        "id": "6a1f0c2e-0000-4000-8000-00000000abcd",
        "model": "product_detail",
        "target_type": "criteria",
        "target_criteria": {"category": "Electric Guitars", "brand": "Fender"},
        "target_metadata": {"title": "Fender week", "owner": "merch"},
        "tags": ["summer-sale", "staff-picks"],
        "pin_definitions": [
            {"position": 2, "pin_type": "item", "pin_identity": "/p/102",
             "active_from": "2025-06-20T00:00:00Z", "active_to": "2025-07-01T00:00:00Z"},
            {"position": 1, "pin_type": "item", "pin_identity": "/p/101", "widget_id": "pdp-similar",
             "active_from": "2025-06-01T08:00:00Z"},
            {"position": 0, "pin_type": "criteria", "pin_criteria": {"brand": "Squier"},
             "is_block_pin": true, "active_to": "2025-06-10T00:00:00Z"},
            {"position": -1, "pin_type": "item", "pin_identity": "/p/274", "is_bundle_pin": true,
             "x_pin_note": "gig bag"}
        ],
        "x_merchandiser_note": {"by": "catalog-team", "ticket": "MERCH-1042"},
        "created_at": "2025-05-30T14:05:00Z",
        "creator": "api"
    }))
    .expect("customization")
}

#[test]
fn detail_docs_customization() {
    let app = detail_of(docs_customization(), 100, 24);
    let text = draw(&app);
    assert!(
        text.contains("/p/555 pinned at slot 1 from 1 Feb 2025 01:00, no end"),
        "{text}"
    );
    assert_snapshot!(text);
}

#[test]
fn detail_every_field() {
    let app = detail_of(rich(), 110, 40);
    let text = draw(&app);
    for want in [
        "x_merchandiser_note",
        "x_pin_note: \"gig bag\"",
        "owner: merch",
        "scheduled",
        "expired",
        "active",
    ] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    assert_snapshot!(text);
}

#[test]
fn detail_loading() {
    let (app, effects) = app_with(options(80, 12), Detail::fetch(DOCS_ID));
    assert_eq!(requests(&effects).len(), 1);
    assert_snapshot!(draw(&app));
}

#[test]
fn detail_not_found() {
    let (mut app, effects) = app_with(options(80, 12), Detail::fetch(DOCS_ID));
    answer_all(&mut app, effects, serve(&[]));
    assert_snapshot!(draw(&app));
}

#[test]
fn detail_40x12() {
    let app = detail_of(rich(), 40, 12);
    assert_snapshot!(draw(&app));
}

#[test]
fn detail_200x60() {
    let app = detail_of(rich(), 200, 60);
    assert_snapshot!(draw(&app));
}

#[test]
fn detail_confirm_delete() {
    let mut app = detail_of(docs_customization(), 100, 24);
    let mut msgs = vec![key('d')];
    msgs.extend(typed("199620b5"));
    msgs.push(code(KeyCode::Enter));
    let effects = feed(&mut app, msgs);
    assert!(requests(&effects).is_empty(), "a wrong id sends nothing");
    let text = draw(&app);
    assert!(text.contains("That is not 199620b4"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn detail_delete_refused_when_read_only() {
    let mut opts = options(100, 16);
    opts.profile.read_only = true;
    let data = vec![docs_customization()];
    let (mut app, effects) = app_with(opts, Detail::from_list(docs_customization()));
    answer_all(&mut app, effects, serve(&data));
    let effects = feed(&mut app, [key('d')]);
    assert!(effects.is_empty());
    let text = draw(&app);
    assert!(text.contains("read-only: deleting is off"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn detail_copy_shows_a_confirmation() {
    let mut app = detail_of(docs_customization(), 100, 16);
    let effects = feed(&mut app, [key('y')]);
    assert_eq!(effects, [pinscope::tui::Effect::Copy(DOCS_ID.to_string())]);
    let text = draw(&app);
    assert!(text.contains("Copied the id to the clipboard"), "{text}");
    let effects = feed(&mut app, [key('Y')]);
    match &effects[..] {
        [pinscope::tui::Effect::Copy(json)] => {
            let v: serde_json::Value = serde_json::from_str(json).expect("json");
            assert_eq!(v["target_metadata"]["title"], "Fender Telecaster");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn pager_raw_json() {
    let mut app = detail_of(docs_customization(), 80, 20);
    feed(&mut app, [key('o')]);
    assert_eq!(app.screen_names(), ["detail", "pager"]);
    assert_snapshot!(draw(&app));
}

#[test]
fn help_on_detail() {
    let mut app = detail_of(docs_customization(), 90, 26);
    feed(&mut app, [key('?')]);
    assert_snapshot!(draw(&app));
}

#[test]
fn lookup_empty_with_recent() {
    let mut opts = options(80, 20);
    opts.recent = vec![
        DOCS_ID.into(),
        "00000000-0000-4000-8000-000000000001".into(),
    ];
    let (app, _) = app_with(opts, Lookup::new());
    assert_snapshot!(draw(&app));
}

#[test]
fn lookup_flags_a_malformed_uuid() {
    let (mut app, _) = app_with(options(80, 14), Lookup::new());
    let effects = feed(&mut app, typed("199620b4-df1a-46e8"));
    assert!(effects.is_empty());
    let effects = feed(&mut app, [code(KeyCode::Enter)]);
    assert!(
        requests(&effects).is_empty(),
        "nothing is sent for a malformed id"
    );
    assert_snapshot!(draw(&app));
}

#[test]
fn lookup_not_found_in_the_box() {
    let (mut app, _) = app_with(options(80, 14), Lookup::new());
    feed(
        &mut app,
        [pinscope::tui::Msg::Paste(format!(" {DOCS_ID}\n"))],
    );
    let effects = feed(&mut app, [code(KeyCode::Enter)]);
    let reqs = requests(&effects);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].1, ApiRequest::Get(DOCS_ID.into()));
    answer_all(&mut app, effects, serve(&[]));
    let text = draw(&app);
    assert!(
        text.contains("No customization has this id (404)"),
        "{text}"
    );
    assert_snapshot!(text);
}

#[test]
fn lookup_found_opens_detail_and_is_remembered() {
    let data = vec![docs_customization()];
    let (mut app, _) = app_with(options(80, 14), Lookup::new());
    let mut msgs = typed(DOCS_ID);
    msgs.push(code(KeyCode::Enter));
    let effects = feed(&mut app, msgs);
    let rest = answer_all(&mut app, effects, serve(&data));
    assert_eq!(
        rest,
        [pinscope::tui::Effect::SaveRecent(vec![DOCS_ID.into()])]
    );
    assert_eq!(app.screen_names(), ["detail"]);
}

#[test]
fn first_run() {
    let (app, effects) = app_with(
        options(90, 26),
        FirstRun::new("/home/u/.config/pinscope/config.toml"),
    );
    assert!(effects.is_empty(), "the first-run screen sends nothing");
    assert_snapshot!(draw(&app));
}

#[test]
fn status_bar_production_and_failure() {
    let mut opts = options(120, 8);
    opts.profile.label = "PROD shop".into();
    opts.profile.production = true;
    opts.profile.read_only = true;
    let (mut app, effects) = app_with(opts, Browse::new());
    answer_all(&mut app, effects, |_| {
        Err(ApiError::Timeout {
            method: "POST".into(),
            path: "/v1/recommender/pin/demo/scopes".into(),
            after: std::time::Duration::from_secs(60),
        })
    });
    assert!(app.trouble().is_some());
    let text = draw(&app);
    assert!(text.contains("no answer after 60s"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn detail_scrolled_with_wrapped_pins_60x20() {
    let mut app = detail_of(rich(), 60, 20);
    feed(&mut app, [key('G')]);
    let text = draw(&app);
    assert!(text.contains("Timeline"), "scrolled to the end:\n{text}");
    assert!(!text.contains(" id "), "the top scrolled away:\n{text}");
    assert_snapshot!(text);
}

/// Every colour a frame uses, as (fg, bg) pairs that are not the terminal's default.
fn colours(app: &pinscope::tui::App) -> Vec<(ratatui::style::Color, ratatui::style::Color)> {
    use ratatui::backend::TestBackend;
    use ratatui::style::Color;
    let size = app.env().size;
    let mut terminal =
        ratatui::Terminal::new(TestBackend::new(size.width, size.height)).expect("terminal");
    let frame = terminal.draw(|f| app.render(f)).expect("draw");
    frame
        .buffer
        .content
        .iter()
        .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
        .map(|c| (c.fg, c.bg))
        .collect()
}

#[test]
fn no_color_draws_the_same_text_without_a_hue() {
    use ratatui::style::Modifier;
    let mut app = browse_loaded(100, 20, 30);
    let coloured = draw(&app);
    assert!(!colours(&app).is_empty(), "browse uses colours by default");
    app.set_monochrome(true);
    assert_eq!(colours(&app), Vec::new());
    // The same text, and the selection still shows (reverse video is not a colour).
    assert_eq!(draw(&app), coloured);
    let size = app.env().size;
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(size.width, size.height))
            .expect("terminal");
    let frame = terminal.draw(|f| app.render(f)).expect("draw");
    assert!(
        frame
            .buffer
            .content
            .iter()
            .any(|c| c.modifier.contains(Modifier::REVERSED)),
        "the selected row keeps its reverse video"
    );
}
