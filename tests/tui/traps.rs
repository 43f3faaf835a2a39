//! Traps a new user fell into, each pinned by the state where it was hit: help and hints
//! that must be true where they are shown, deleted customizations, read-only profiles.

use crossterm::event::KeyCode;
use pinscope::tui::keys::{Action, Context, Keymap};
use pinscope::tui::msg::{ApiReply, ApiRequest};
use pinscope::tui::screens::browse::Browse;
use pinscope::tui::screens::detail::Detail;
use pinscope::tui::screens::editor::Editor;
use serde_json::json;

use crate::harness::*;

const DOCS_ID: &str = "199620b4-df1a-46e8-ab59-9e9ed9af7106";

fn summary() -> pinscope::api::Summary {
    serde_json::from_value(json!({"scope_counts": {"basket": 1}, "user_tags": []}))
        .expect("summary")
}

fn editor(width: u16, height: u16, e: Editor) -> pinscope::tui::App {
    let (mut app, effects) = app_with(options(width, height), e);
    answer_all(&mut app, effects, |_| Ok(ApiReply::Summary(summary())));
    app
}

#[test]
fn f1_opens_help_from_a_text_field_where_question_mark_is_typed() {
    let mut app = editor(100, 24, Editor::create());
    // Focus starts in Model, a text field: `?` is a character there.
    feed(&mut app, [key('?')]);
    assert_eq!(app.screen_names(), ["editor"]);
    feed(&mut app, [code(KeyCode::F(1))]);
    assert_eq!(app.screen_names(), ["editor", "help"]);
    let text = draw(&app);
    // Help lists only the keys that work with the focus where it was opened.
    assert!(text.contains("F1"), "{text}");
    assert!(!text.contains("?/F1"), "{text}");
    assert!(text.contains("Ctrl-o"), "{text}");
    assert!(!text.contains("E/Ctrl-o"), "{text}");
    feed(&mut app, [code(KeyCode::Esc)]);
    assert_eq!(app.screen_names(), ["editor"]);
}

#[test]
fn the_editor_footer_offers_only_keys_that_work_with_the_focus() {
    let mut app = editor(100, 24, Editor::create());
    let text = draw(&app);
    assert!(text.contains("Ctrl-o all as JSON in $EDITOR"), "{text}");
    assert!(!text.contains("E/Ctrl-o"), "{text}");
    // The target type is a choice: E works there, and the footer says so.
    feed(&mut app, [code(KeyCode::Tab)]);
    let text = draw(&app);
    assert!(text.contains("E/Ctrl-o all as JSON in $EDITOR"), "{text}");
    // And E does what it says: the external editor is asked for.
    let effects = feed(&mut app, [key('E')]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, pinscope::tui::Effect::ExternalEdit(_))),
        "{effects:?}"
    );
}

#[test]
fn help_names_what_keys_do_on_the_part_of_the_screen_in_use() {
    let k = Keymap::default();
    let editor = k.help_lines(Context::Editor);
    assert!(
        editor
            .iter()
            .any(|(keys, what)| keys == "Enter" && *what == "edit the selected pin"),
        "{editor:?}"
    );
    assert!(
        !editor
            .iter()
            .any(|(_, what)| *what == "open the selected customization"),
        "{editor:?}"
    );
    // In a text field, Ctrl-U belongs to the field (readline), not to page up.
    let search = k.help_lines(Context::BrowseSearch);
    assert!(search.iter().any(|(keys, _)| keys == "PgUp"), "{search:?}");
    let ctrl_u = crossterm::event::KeyEvent::new(
        KeyCode::Char('u'),
        crossterm::event::KeyModifiers::CONTROL,
    );
    assert_eq!(k.resolve(Context::BrowseSearch, &ctrl_u), None);
    assert_eq!(k.resolve(Context::Browse, &ctrl_u), Some(Action::PageUp));
    // The filter panel's help is titled for the filter panel.
    let data = sample(3);
    let (mut app, effects) = app_with(options(100, 24), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    let effects = feed(&mut app, [key('f')]);
    answer_all(&mut app, effects, serve(&data));
    feed(&mut app, [key('?')]);
    let text = draw(&app);
    assert!(text.contains("Keys: filter"), "{text}");
    assert!(!text.contains("Keys: browse"), "{text}");
}

#[test]
fn ctrl_u_and_ctrl_w_edit_the_search_line_as_in_readline() {
    let data = sample(3);
    let (mut app, effects) = app_with(options(100, 16), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    feed(&mut app, [key('/')]);
    feed(&mut app, typed("gibson les"));
    feed(&mut app, [ctrl('w')]);
    let text = draw(&app);
    assert!(text.contains("gibson"), "{text}");
    assert!(!text.contains("gibson les"), "{text}");
    feed(&mut app, [ctrl('u')]);
    assert!(!draw(&app).contains("gibson"));
    assert_eq!(app.screen_names(), ["browse"]);
}

#[test]
fn a_deleted_customization_is_marked_and_offered_as_new() {
    let (mut app, effects) = app_with(options(120, 20), Detail::from_list(docs_customization()));
    answer_all(&mut app, effects, |req| {
        Err(not_found(&format!(
            "/v1/recommender/pin/demo{}",
            req.sub_path()
        )))
    });
    let text = draw(&app);
    assert!(text.contains("DELETED on the service"), "{text}");
    assert!(text.contains("N save as new"), "{text}");
    assert!(!text.contains("e edit"), "{text}");
    // e does not open a form that cannot save; N opens a copy that saves as new.
    feed(&mut app, [key('e')]);
    assert_eq!(app.screen_names(), ["detail"]);
    assert!(
        app.toast()
            .is_some_and(|t| t.text.contains("deleted on the service")),
        "{:?}",
        app.toast()
    );
    let effects = feed(&mut app, [key('N')]);
    answer_all(&mut app, effects, |_| Ok(ApiReply::Summary(summary())));
    assert_eq!(app.screen_names(), ["detail", "editor"]);
}

#[test]
fn saving_an_edit_of_a_deleted_one_offers_save_as_new() {
    let mut app = editor(100, 26, Editor::edit(docs_customization()));
    feed(&mut app, typed("x"));
    let effects = feed(&mut app, [ctrl('s')]);
    let (id, req) = requests(&effects)[0].clone();
    let effects = feed(
        &mut app,
        [event(
            id,
            &req,
            Err(not_found(&format!(
                "/v1/recommender/pin/demo/scope/{DOCS_ID}"
            ))),
        )],
    );
    assert!(requests(&effects).is_empty());
    let text = draw(&app);
    assert!(text.contains("was deleted on the service"), "{text}");
    assert!(text.contains("Ctrl-s saves it as new"), "{text}");
    assert!(text.contains("New customization (a copy of"), "{text}");
    // Ctrl-S now creates it, without the old id: the edit is not lost.
    let effects = feed(&mut app, [ctrl('s')]);
    match requests(&effects).as_slice() {
        [(_, ApiRequest::Create(body))] => {
            assert_eq!(body.id(), None);
            assert_eq!(body.model(), Some("basketx"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn new_on_a_read_only_profile_is_refused_with_a_message() {
    let data = sample(3);
    let mut opts = options(100, 16);
    opts.profile.read_only = true;
    let (mut app, effects) = app_with(opts, Browse::new());
    answer_all(&mut app, effects, serve(&data));
    feed(&mut app, [key('n')]);
    assert_eq!(app.screen_names(), ["browse"]);
    let toast = app.toast().expect("a message");
    assert!(toast.text.contains("read-only"), "{}", toast.text);
}

#[test]
fn pin_table_columns_never_run_together() {
    let mut c = docs_customization();
    c.set(
        "pin_definitions",
        json!([
            {"position": 1, "pin_type": "item", "pin_identity": "/p/1",
             "active_from": "2026-11-15T17:00:00Z", "active_to": "2026-12-07T23:00:00Z"},
            {"position": 2, "pin_type": "item", "pin_identity": "/p/2",
             "active_from": "2026-11-10T17:00:00Z", "active_to": "2026-11-15T11:39:00Z"},
            {"position": 10, "pin_type": "item", "pin_identity": "/p/3"},
        ]),
    );
    for width in [60, 100, 104, 120, 160] {
        let app = editor(width, 30, Editor::edit(c.clone()));
        let text = draw(&app);
        for line in text.lines().filter(|l| l.contains("item     /p/")) {
            assert!(
                line.contains(" scheduled") || line.contains(" active"),
                "{width}: {line}"
            );
        }
        if width < 104 {
            continue;
        }
        assert!(text.contains("15 Nov 2026 18:00 "), "{text}");
        assert!(!text.contains("18:008"), "{width}:\n{text}");
        assert!(!text.contains(":39scheduled"), "{width}:\n{text}");
        assert!(text.contains("12:39 "), "{width}:\n{text}");
    }
}

#[test]
fn a_failed_refresh_keeps_the_list_and_shows_the_whole_error() {
    let data = sample(5);
    let (mut app, effects) = app_with(options(100, 20), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    assert!(draw(&app).contains("Gibson Les Paul"));
    // The server is down: r fails.
    let long_url = format!("http://127.0.0.1:7700/{}", "very-long-path/".repeat(12));
    let effects = feed(&mut app, [key('r')]);
    answer_all(&mut app, effects, |_| {
        Err(pinscope::api::ApiError::Connect {
            url: long_url.clone(),
            message: "connection refused".into(),
        })
    });
    assert_eq!(app.screen_names(), ["browse", "error"]);
    let text = draw(&app);
    assert!(text.contains("Could not load the customizations"), "{text}");
    assert!(
        text.contains("connection refused"),
        "the whole error:\n{text}"
    );
    // The URL is wrapped, not cut: every part of it is on the screen.
    let joined: String = text
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
        .collect();
    assert!(joined.contains(&long_url), "{text}");
    // Closed: the rows are still there.
    feed(&mut app, [code(KeyCode::Esc)]);
    let text = draw(&app);
    assert!(text.contains("Gibson Les Paul"), "{text}");
    // R retries the refresh, and its first page replaces the rows.
    let effects = feed(&mut app, [key('R')]);
    let reqs = requests(&effects);
    assert!(
        reqs.iter()
            .any(|(_, r)| matches!(r, ApiRequest::List(q) if q.offset.unwrap_or(0) == 0)),
        "{reqs:?}"
    );
}

#[test]
fn a_401_in_the_ui_is_explained_as_the_cli_explains_it() {
    let (mut app, effects) = app_with(options(100, 30), Browse::new());
    answer_all(&mut app, effects, |req| {
        match req {
        ApiRequest::List(_) => Err(pinscope::api::ApiError::Status(Box::new(
            pinscope::api::StatusError {
                status: 401,
                method: "POST".into(),
                path: "/v1/recommender/pin/demo/scopes".into(),
                reason: "Signature mismatch".into(),
                details: Default::default(),
                retry_after: None,
                server_date: Some("Sun, 15 Jun 2025 10:00:09 GMT".into()),
                string_to_sign: Some(
                    "POST\napplication/json; charset=utf-8\nSun, 15 Jun 2025 10:00:00 GMT\n/v1/recommender/pin/demo/scopes"
                        .into(),
                ),
                non_json_body: None,
            },
        ))),
        _ => Ok(ApiReply::Summary(summary())),
    }
    });
    let text = draw(&app);
    assert!(text.contains("Signature mismatch"), "{text}");
    assert!(text.contains("the string that was signed"), "{text}");
    assert!(
        text.contains("server clock: Sun, 15 Jun 2025 10:00:09 GMT"),
        "{text}"
    );
    assert!(text.contains("local clock:"), "{text}");
    assert!(text.contains("usual causes"), "{text}");
}

#[test]
fn a_detail_that_cannot_load_shows_the_whole_error() {
    let (mut app, effects) = app_with(options(100, 30), Detail::fetch(DOCS_ID));
    answer_all(&mut app, effects, |req| match req {
        ApiRequest::Get(_) => Err(pinscope::api::ApiError::Status(Box::new(
            pinscope::api::StatusError {
                status: 401,
                method: "GET".into(),
                path: format!("/v1/recommender/pin/demo/scope/{DOCS_ID}"),
                reason: "Signature mismatch".into(),
                details: Default::default(),
                retry_after: None,
                server_date: Some("Sun, 15 Jun 2025 10:00:09 GMT".into()),
                string_to_sign: Some("GET\n\nSun, 15 Jun 2025 10:00:00 GMT\n/x".into()),
                non_json_body: None,
            },
        ))),
        _ => Ok(ApiReply::Summary(summary())),
    });
    let text = draw(&app);
    assert!(text.contains("Could not load the customization"), "{text}");
    assert!(text.contains("the string that was signed"), "{text}");
    assert!(text.contains("usual causes"), "{text}");
}

#[test]
fn enter_in_the_search_prompt_opens_the_selected_row() {
    let data = sample(5);
    let (mut app, effects) = app_with(options(100, 16), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    feed(&mut app, [key('/')]);
    feed(&mut app, typed("yamaha"));
    let effects = feed(&mut app, [code(KeyCode::Enter)]);
    answer_all(&mut app, effects, serve(&data));
    assert_eq!(app.screen_names(), ["browse", "detail"]);
    assert!(draw(&app).contains("Yamaha P-45"));
    // Back: the narrowing is still there.
    feed(&mut app, [code(KeyCode::Esc)]);
    assert_eq!(app.screen_names(), ["browse"]);
    // With nothing typed, Enter only closes the prompt.
    feed(&mut app, [key('c'), key('/'), code(KeyCode::Enter)]);
    assert_eq!(app.screen_names(), ["browse"]);
}

#[test]
fn a_toast_leaves_the_key_hints_readable() {
    let mut opts = options(100, 16);
    opts.profile.read_only = true;
    let (mut app, effects) = app_with(opts, Detail::from_list(docs_customization()));
    answer_all(&mut app, effects, serve(&[docs_customization()]));
    let before = draw(&app);
    let hints = |t: &str| t.lines().rev().nth(1).unwrap_or("").to_string();
    feed(&mut app, [key('d')]);
    let text = draw(&app);
    assert!(text.contains("read-only"), "{text}");
    assert_eq!(hints(&text), hints(&before), "{text}");
}

#[test]
fn up_recalls_the_newest_recent_entry_in_lookup_and_import() {
    let mut opts = options(100, 16);
    opts.recent = vec![
        DOCS_ID.to_string(),
        "00000000-0000-4000-8000-000000000001".into(),
    ];
    let (mut app, _) = app_with(opts, pinscope::tui::screens::lookup::Lookup::new());
    feed(&mut app, [code(KeyCode::Up)]);
    assert!(draw(&app).contains(DOCS_ID));

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join(pinscope::tui::recent::IMPORTS.file_name),
        "/shop/catalog.ndjson\n/shop/summer-sale.ndjson\n",
    )
    .expect("write");
    let (mut app, _) = app_with(
        options(100, 16),
        pinscope::tui::screens::import::ImportScreen::new(Some(dir.path().to_path_buf())),
    );
    feed(&mut app, [code(KeyCode::Up)]);
    assert!(draw(&app).contains("│/shop/catalog.ndjson"));
}

#[test]
fn shift_tab_goes_round_from_the_first_field_to_the_last() {
    let mut app = editor(100, 24, Editor::create());
    // Focus starts on Model, the first field; Shift-Tab goes to the last one (the pins).
    feed(&mut app, [code(KeyCode::BackTab)]);
    let text = draw(&app);
    assert!(text.contains("▸ Pins"), "{text}");
    // And Tab from there comes back to Model.
    feed(&mut app, [code(KeyCode::Tab)]);
    assert!(draw(&app).contains("▸ Model"));
}

#[test]
fn the_screens_count_pins_from_one() {
    let mut c = docs_customization();
    c.set(
        "pin_definitions",
        json!([
            {"position": 1, "pin_type": "item", "pin_identity": "/p/1"},
            {"position": -7, "pin_type": "item", "pin_identity": "/p/2"},
        ]),
    );
    let mut app = editor(100, 30, Editor::edit(c));
    feed(&mut app, [ctrl('s')]);
    let text = draw(&app);
    assert!(
        text.contains("pin 2, position: Must be -1 (global), 0 (block) or a slot number >= 1"),
        "{text}"
    );
    assert!(!text.contains("pin_definitions[1]"), "{text}");
    assert_eq!(
        text.matches("Must be -1 (global)").count(),
        1,
        "said once:\n{text}"
    );
    // The pin form of that pin says the same number.
    feed(&mut app, [code(KeyCode::Esc)]);
    feed(&mut app, vec![code(KeyCode::Tab); 7]);
    feed(&mut app, [code(KeyCode::Down), code(KeyCode::Enter)]);
    assert!(draw(&app).contains("Pin 2 of 2"));
}

#[test]
fn timeline_rows_of_the_same_position_can_be_told_apart() {
    let mut c = docs_customization();
    c.set(
        "pin_definitions",
        json!([
            {"position": 0, "pin_type": "item", "pin_identity": "/p/1", "is_block_pin": true,
             "active_to": "2025-07-01T00:00:00Z"},
            {"position": 0, "pin_type": "item", "pin_identity": "/p/2", "is_block_pin": true,
             "active_from": "2025-06-20T00:00:00Z"},
        ]),
    );
    let (mut app, effects) = app_with(options(120, 40), Detail::from_list(c.clone()));
    answer_all(&mut app, effects, serve(&[c]));
    let text = draw(&app);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("block") && (l.contains('━') || l.contains('·')))
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows[0].contains(" 1 block"), "{text}");
    assert!(rows[1].contains(" 2 block"), "{text}");
}

#[test]
fn at_60_columns_browse_keeps_the_model() {
    let data = sample(4);
    let (mut app, effects) = app_with(options(60, 12), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    let text = draw(&app);
    assert!(text.contains("MODEL"), "{text}");
    assert!(text.contains("basket"), "{text}");
    assert!(text.contains("TARGET"), "{text}");
}

#[test]
fn at_40_columns_the_review_wraps_values_instead_of_cutting_them() {
    let mut app = editor(40, 24, Editor::edit(docs_customization()));
    // Tab to the title (Model, Target type, Target item, Tags, Title) and retype it.
    feed(&mut app, vec![code(KeyCode::Tab); 4]);
    feed(&mut app, [ctrl('u')]);
    feed(&mut app, typed("Fender Telecaster Deluxe Thinline"));
    let effects = feed(&mut app, [ctrl('s')]);
    let (id, req) = requests(&effects)[0].clone();
    feed(
        &mut app,
        [event(
            id,
            &req,
            Ok(ApiReply::Customization(docs_customization())),
        )],
    );
    let text = draw(&app);
    let review: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.contains("Review:"))
        .take_while(|l| !l.contains("Enter send"))
        .collect();
    let joined: String = review
        .iter()
        .map(|l| l.split('│').nth(2).unwrap_or("").trim())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        joined.contains("\"Fender Telecaster Deluxe Thinline\""),
        "{joined}\n{text}"
    );
    assert!(
        joined.contains("On the service, 1 field changes:"),
        "{joined}"
    );
    assert!(
        !review.iter().any(|l| l.contains('…')),
        "nothing cut:\n{text}"
    );
}

#[test]
fn s_opens_a_sort_picker() {
    let data = sample(5);
    let (mut app, effects) = app_with(options(100, 16), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    let effects = feed(&mut app, [key('s')]);
    assert!(requests(&effects).is_empty(), "nothing reloads yet");
    let text = draw(&app);
    assert!(text.contains("Sort by"), "{text}");
    assert!(
        text.contains("created_at desc   newest first (now)"),
        "{text}"
    );
    assert!(text.contains("model asc         model A to Z"), "{text}");
    // Down twice, Enter: sorted by model, one reload with that order.
    let effects = feed(&mut app, [key('j'), key('j'), code(KeyCode::Enter)]);
    let reqs = requests(&effects);
    assert!(
        reqs.iter().any(
            |(_, r)| matches!(r, ApiRequest::List(q) if q.sort.as_deref() == Some("model:asc"))
        ),
        "{reqs:?}"
    );
    answer_all(&mut app, effects, serve(&data));
    let text = draw(&app);
    assert!(!text.contains("Sort by"), "{text}");
    assert!(text.contains("model asc"), "{text}");
    // Esc closes without a change.
    let effects = feed(&mut app, [key('s'), key('j'), code(KeyCode::Esc)]);
    assert!(requests(&effects).is_empty());
}

#[test]
fn a_click_on_a_form_field_focuses_it() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut app = editor(100, 24, Editor::edit(docs_customization()));
    let text = draw(&app);
    assert!(text.contains("▸ Model"), "{text}");
    let row = text
        .lines()
        .position(|l| l.contains("Image link"))
        .expect("the image link row") as u16;
    feed(
        &mut app,
        [pinscope::tui::Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 20,
            row,
            modifiers: KeyModifiers::NONE,
        })],
    );
    let text = draw(&app);
    assert!(text.contains("▸ Image link"), "{text}");
    assert!(!text.contains("▸ Model"), "{text}");
    // Typing goes to the field clicked.
    feed(&mut app, typed("?v=2"));
    assert!(draw(&app).contains("https://doe.com/123.jpg?v=2"));
}

fn click(column: u16, row: u16) -> pinscope::tui::Msg {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    pinscope::tui::Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

fn row_of(text: &str, label: &str) -> u16 {
    text.lines()
        .position(|l| l.contains(label))
        .unwrap_or_else(|| panic!("no row {label:?} in\n{text}")) as u16
}

#[test]
fn a_click_on_a_pin_form_field_focuses_it() {
    let mut app = editor(100, 24, Editor::edit(docs_customization()));
    // To the pins (7 fields down), open the first one: focus starts on Position.
    feed(&mut app, vec![code(KeyCode::Tab); 7]);
    feed(&mut app, [code(KeyCode::Enter)]);
    let text = draw(&app);
    assert!(text.contains("Pin 1 of 1"), "{text}");
    assert!(text.contains("▸ Position"), "{text}");
    // A click on the item field focuses it, and typing goes there.
    feed(&mut app, [click(20, row_of(&text, "  Item "))]);
    let text = draw(&app);
    assert!(text.contains("▸ Item"), "{text}");
    assert!(!text.contains("▸ Position"), "{text}");
    feed(&mut app, typed("9"));
    assert!(draw(&app).contains("/p/5559"), "{}", draw(&app));
    // A date field too.
    feed(&mut app, [click(20, row_of(&text, "Active to"))]);
    feed(&mut app, typed("2025-07-01"));
    let text = draw(&app);
    assert!(text.contains("▸ Active to"), "{text}");
    assert!(text.contains("→ Tue 1 Jul 2025 00:00 CEST"), "{text}");
    // A click on the pin's heading focuses nothing new.
    feed(&mut app, [click(5, row_of(&text, "Pin 1 of 1"))]);
    assert!(draw(&app).contains("▸ Active to"));
}

#[test]
fn after_a_resize_a_long_field_shows_from_its_start() {
    let url = "https://cdn.example.com/images/products/fender/telecaster/123-large.jpg";
    let mut c = docs_customization();
    c.set(
        "target_metadata",
        json!({"title": "Fender Telecaster", "image_link": url}),
    );
    let mut app = editor(50, 24, Editor::edit(c));
    // Focus the image link (a click), type at its end: the narrow field shows the tail.
    let row = draw(&app)
        .lines()
        .position(|l| l.contains("Image link"))
        .expect("row") as u16;
    feed(
        &mut app,
        [pinscope::tui::Msg::Mouse(crossterm::event::MouseEvent {
            kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
            column: 20,
            row,
            modifiers: crossterm::event::KeyModifiers::NONE,
        })],
    );
    feed(&mut app, [code(KeyCode::End), key('?')]);
    assert!(
        !draw(&app).contains("https://cdn"),
        "the narrow field scrolled"
    );
    feed(&mut app, [pinscope::tui::Msg::Resize(120, 24)]);
    let text = draw(&app);
    assert!(text.contains(&format!("{url}?")), "{text}");
}

#[test]
fn after_a_resize_the_pin_form_dates_and_json_show_from_their_start() {
    let mut c = docs_customization();
    c.set("target_type", json!("criteria"));
    c.as_map_mut().remove("target_identity");
    c.set(
        "target_criteria",
        json!({"category": "Electric guitars", "brand": "Fender"}),
    );
    let mut app = editor(30, 30, Editor::edit(c));
    // The criteria: to its longest line's end, where the narrow field shows only the tail.
    let text = draw(&app);
    feed(&mut app, [click(20, row_of(&text, "Criteria"))]);
    feed(&mut app, [code(KeyCode::Down), code(KeyCode::End)]);
    assert!(!draw(&app).contains("\"category"), "{}", draw(&app));
    // A pin's date, scrolled the same way.
    let text = draw(&app);
    feed(&mut app, [click(20, row_of(&text, "Pins"))]);
    feed(&mut app, [code(KeyCode::Enter)]);
    let text = draw(&app);
    assert!(text.contains("Pin 1 of 1"), "{text}");
    feed(&mut app, [click(20, row_of(&text, "Active from"))]);
    feed(&mut app, [code(KeyCode::End)]);
    let text = draw(&app);
    assert!(
        !text.contains("2025-02-01T"),
        "the narrow field scrolled:\n{text}"
    );
    feed(&mut app, [pinscope::tui::Msg::Resize(60, 20)]);
    let text = draw(&app);
    assert!(text.contains("2025-02-01T00:00:00Z"), "{text}");
    insta::assert_snapshot!(text);
    // Back in the main form, the criteria show from their start too.
    feed(&mut app, [code(KeyCode::Esc)]);
    let text = draw(&app);
    assert!(
        text.contains("\"category\": \"Electric guitars\""),
        "{text}"
    );
}

/// The bottom border, where the screen's keys are.
fn footer(text: &str) -> String {
    text.lines()
        .rfind(|l| l.contains('╰'))
        .unwrap_or_else(|| panic!("no footer in\n{text}"))
        .to_string()
}

fn status(text: &str) -> String {
    text.lines().last().unwrap_or_default().to_string()
}

#[test]
fn the_status_line_offers_f1_where_question_mark_is_typed() {
    let mut app = editor(100, 24, Editor::create());
    // Focus in Model, a text field: `?` is typed there.
    let s = status(&draw(&app));
    assert!(s.contains("F1 help"), "{s}");
    assert!(!s.contains("? help"), "{s}");
    // The target type is a choice: `?` works.
    feed(&mut app, [code(KeyCode::Tab)]);
    let s = status(&draw(&app));
    assert!(s.contains("? help"), "{s}");
    feed(&mut app, [key('?')]);
    assert_eq!(app.screen_names(), ["editor", "help"]);
}

#[test]
fn the_pin_form_offers_duplicate_and_delete_only_where_they_work() {
    let mut app = editor(100, 24, Editor::edit(docs_customization()));
    feed(&mut app, vec![code(KeyCode::Tab); 7]);
    feed(&mut app, [code(KeyCode::Enter)]);
    // On Position, a choice: c and x act on the pin.
    let text = draw(&app);
    let f = footer(&text);
    assert!(f.contains("c duplicate · x delete"), "{f}");
    // In the item field they are typed: the footer does not offer them.
    feed(&mut app, [click(20, row_of(&text, "  Item "))]);
    let f = footer(&draw(&app));
    assert!(f.contains("Ctrl-s save"), "{f}");
    assert!(!f.contains("duplicate"), "{f}");
    assert!(!f.contains("delete"), "{f}");
    feed(&mut app, [key('c'), key('x')]);
    let text = draw(&app);
    assert!(text.contains("/p/555cx"), "{text}");
    assert!(text.contains("Pin 1 of 1"), "{text}");
}

#[test]
fn a_read_only_editor_does_not_offer_save() {
    let mut o = options(100, 24);
    o.profile.read_only = true;
    let (mut app, effects) = app_with(o, Editor::edit(docs_customization()));
    answer_all(&mut app, effects, |_| Ok(ApiReply::Summary(summary())));
    let f = footer(&draw(&app));
    assert!(!f.contains("save"), "{f}");
    assert!(f.contains("Esc back"), "{f}");
}

#[test]
fn lookup_offers_recent_entries_only_when_there_are_some() {
    use pinscope::tui::screens::lookup::Lookup;
    let (app, _) = app_with(options(80, 20), Lookup::new());
    let f = footer(&draw(&app));
    assert!(f.contains("Enter open"), "{f}");
    assert!(!f.contains("recent"), "{f}");
    let mut o = options(80, 20);
    o.recent = vec![DOCS_ID.to_string()];
    let (app, _) = app_with(o, Lookup::new());
    let f = footer(&draw(&app));
    assert!(f.contains("recent"), "{f}");
}
