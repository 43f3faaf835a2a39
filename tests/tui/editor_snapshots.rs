//! The editor's form in its states, drawn from messages alone.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use insta::assert_snapshot;
use pinscope::api::Customization;
use pinscope::tui::App;
use pinscope::tui::app::Effect;
use pinscope::tui::msg::{ApiReply, ApiRequest, Msg};
use pinscope::tui::screens::editor::Editor;
use serde_json::json;

use crate::harness::*;

fn summary() -> pinscope::api::Summary {
    serde_json::from_value(json!({
        "scope_counts": {"basket": 12, "home": 3, "product_detail": 1},
        "user_tags": ["summer", "clearance"]
    }))
    .expect("summary")
}

pub fn times(m: Msg, n: usize) -> Vec<Msg> {
    vec![m; n]
}

pub fn backspaces(n: usize) -> Vec<Msg> {
    times(code(KeyCode::Backspace), n)
}

/// An editor on `editor`, its summary answered.
fn open(width: u16, height: u16, editor: Editor) -> App {
    let (mut app, effects) = app_with(options(width, height), editor);
    answer_all(&mut app, effects, |_| Ok(ApiReply::Summary(summary())));
    app
}

/// Which requests the effects send.
fn sent(effects: &[Effect]) -> Vec<ApiRequest> {
    requests(effects).into_iter().map(|(_, r)| r).collect()
}

#[test]
fn editor_new() {
    let mut app = open(100, 24, Editor::create());
    assert_eq!(app.screen_names(), ["editor"]);
    feed(&mut app, typed("ba"));
    let text = draw(&app);
    // The models the service knows, and what Right completes to.
    assert!(text.contains("models: basket (12)"), "{text}");
    assert!(text.contains("→ completes to basket"), "{text}");
    // A new form does not shout about fields not filled in yet.
    assert!(!text.contains("Must not be empty"), "{text}");
    assert_snapshot!(text);
    feed(&mut app, [code(KeyCode::Right)]);
    let text = draw(&app);
    assert!(text.contains("basket"), "{text}");
    assert!(!text.contains("completes to"), "{text}");
}

#[test]
fn editor_item_target() {
    let mut app = open(100, 20, Editor::create());
    feed(&mut app, typed("basket"));
    feed(&mut app, times(code(KeyCode::Tab), 2));
    feed(&mut app, typed("/p/123"));
    feed(&mut app, [code(KeyCode::Tab)]);
    feed(&mut app, typed("summer, sale"));
    let text = draw(&app);
    assert!(text.contains("Target item"), "{text}");
    assert!(!text.contains("Criteria"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn editor_criteria_target() {
    let mut app = open(100, 20, Editor::create());
    feed(&mut app, typed("basket"));
    // Target type: Space moves to criteria, which replaces the item field.
    feed(&mut app, [code(KeyCode::Tab), key(' '), code(KeyCode::Tab)]);
    feed(&mut app, typed("{"));
    feed(&mut app, [code(KeyCode::Enter)]);
    feed(&mut app, typed("\"category\": \"Drums\","));
    feed(&mut app, [code(KeyCode::Enter)]);
    feed(&mut app, typed("\"brand\" \"Roland\""));
    let text = draw(&app);
    assert!(!text.contains("Target item"), "{text}");
    assert!(
        text.contains("✗ JSON line 3, column 9: expected `:`"),
        "{text}"
    );
    assert_snapshot!(text);
}

#[test]
fn editor_pin_form() {
    let mut c = docs_customization();
    c.as_map_mut()
        .get_mut("pin_definitions")
        .and_then(|p| p.as_array_mut())
        .and_then(|p| p.first_mut())
        .and_then(|p| p.as_object_mut())
        .expect("pin")
        .insert("note".into(), json!("from the spring campaign"));
    let mut app = open(110, 24, Editor::edit(c));
    // To the pins (7 fields down), open the first one.
    feed(&mut app, times(code(KeyCode::Tab), 7));
    feed(&mut app, [code(KeyCode::Enter)]);
    // Active to: the last field.
    feed(&mut app, times(code(KeyCode::Tab), 8));
    feed(&mut app, typed("2025-07-01 14:00"));
    feed(&mut app, times(code(KeyCode::BackTab), 3));
    feed(&mut app, typed("w-home"));
    let text = draw(&app);
    assert!(
        text.contains("→ Tue 1 Jul 2025 14:00 CEST · sent as 2025-07-01T14:00:00+02:00"),
        "{text}"
    );
    assert!(text.contains("note (sent back as they are)"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn editor_errors_on_fields() {
    let mut app = open(100, 24, Editor::create());
    feed(&mut app, [code(KeyCode::Tab), code(KeyCode::Tab)]);
    feed(&mut app, typed("/p/1"));
    // A pin with a date that does not parse.
    feed(&mut app, times(code(KeyCode::Tab), 5));
    let effects = feed(&mut app, [key('a')]);
    assert!(sent(&effects).is_empty());
    feed(&mut app, times(code(KeyCode::Tab), 3));
    feed(&mut app, typed("/p/2"));
    feed(&mut app, times(code(KeyCode::Tab), 3));
    feed(&mut app, typed("next week"));
    feed(&mut app, [code(KeyCode::Esc)]);
    // Saving is refused, with the list.
    let effects = feed(&mut app, [ctrl('s')]);
    assert!(sent(&effects).is_empty(), "nothing is sent");
    let text = draw(&app);
    assert!(
        text.contains("Cannot save yet: 2 problems to fix"),
        "{text}"
    );
    assert!(text.contains("model: Must not be empty"), "{text}");
    assert!(
        text.contains("pin_definitions[0].active_from: cannot read \"next week\""),
        "{text}"
    );
    assert_snapshot!("editor_errors_list", text);
    // Back on the form, each error sits on its field.
    feed(&mut app, [code(KeyCode::Esc)]);
    let text = draw(&app);
    assert!(text.contains("✗ Must not be empty"), "{text}");
    assert!(text.contains("⚠ 1"), "the pin row is marked: {text}");
    assert_snapshot!("editor_errors_on_fields", text);
}

fn edited_and_reviewed(server: Customization) -> App {
    let mut app = open(100, 26, Editor::edit(docs_customization()));
    feed(&mut app, backspaces(10));
    feed(&mut app, typed("home"));
    let effects = feed(&mut app, [ctrl('s')]);
    // The service's version is fetched first; nothing is replaced yet.
    let reqs = requests(&effects);
    assert_eq!(
        reqs.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
        [ApiRequest::Get(
            "199620b4-df1a-46e8-ab59-9e9ed9af7106".into()
        )]
    );
    let (id, req) = reqs[0].clone();
    feed(
        &mut app,
        [event(id, &req, Ok(ApiReply::Customization(server)))],
    );
    app
}

#[test]
fn editor_diff_before_save() {
    // Someone changed the tags on the service since the form was opened.
    let mut server = docs_customization();
    server.set("tags", json!(["guitars", "sale"]));
    let mut app = edited_and_reviewed(server);
    let text = draw(&app);
    assert!(
        text.contains("The service's version changed since this form was opened (1 field)"),
        "{text}"
    );
    assert!(text.contains("+ tags[1]: \"sale\""), "{text}");
    assert!(text.contains("~ model: \"basket\" -> \"home\""), "{text}");
    assert!(text.contains("- tags[1]: \"sale\""), "{text}");
    assert_snapshot!(text);
    // Enter sends the replace: exactly the edited object.
    let effects = feed(&mut app, [code(KeyCode::Enter)]);
    let mut expected = docs_customization();
    expected.set("model", json!("home"));
    match sent(&effects).as_slice() {
        [ApiRequest::Update { id, body }] => {
            assert_eq!(id, "199620b4-df1a-46e8-ab59-9e9ed9af7106");
            assert_eq!(
                serde_json::to_string(body).expect("json"),
                serde_json::to_string(&expected).expect("json")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn esc_stops_waiting_for_the_review_but_not_for_a_write() {
    let mut app = open(100, 26, Editor::edit(docs_customization()));
    feed(&mut app, typed("x"));
    let effects = feed(&mut app, [ctrl('s')]);
    let (id, req) = requests(&effects)[0].clone();
    assert!(draw(&app).contains("fetching the service's version"));
    feed(&mut app, [code(KeyCode::Esc)]);
    let text = draw(&app);
    assert!(text.contains("Stopped: nothing was sent"), "{text}");
    // The late answer opens no review.
    feed(
        &mut app,
        [event(
            id,
            &req,
            Ok(ApiReply::Customization(docs_customization())),
        )],
    );
    assert!(!draw(&app).contains("Review:"));
    // Reviewed and sent: Esc does not pretend to stop the write.
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
    let effects = feed(&mut app, [code(KeyCode::Enter)]);
    assert!(matches!(
        sent(&effects).as_slice(),
        [ApiRequest::Update { .. }]
    ));
    feed(&mut app, [code(KeyCode::Esc)]);
    assert!(draw(&app).contains("saving…"));
    assert_eq!(app.screen_names(), ["editor"]);
}

#[test]
fn review_without_changes_sends_nothing() {
    let mut app = open(100, 26, Editor::edit(docs_customization()));
    feed(&mut app, typed("x"));
    feed(&mut app, backspaces(1));
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
    assert!(
        text.contains("Nothing to change: the service already has exactly this."),
        "{text}"
    );
    let effects = feed(&mut app, [code(KeyCode::Enter)]);
    assert!(sent(&effects).is_empty());
    assert!(app.screen_names().is_empty() || app.should_quit());
}

#[test]
fn editor_restored_draft() {
    let dir = tempfile::tempdir().expect("tempdir");
    let drafts = dir.path().join("drafts");
    let mut object = docs_customization();
    object.set("model", json!("home"));
    object.set("tags", json!(["guitars", "autumn"]));
    let draft = json!({
        "version": 1,
        "saved_at": "2025-06-15T09:41:00Z",
        "id": "199620b4-df1a-46e8-ab59-9e9ed9af7106",
        "base": docs_customization(),
        "original": docs_customization(),
        "object": object,
        "texts": {"pin_definitions[0].active_to": "2025-07-0"}
    });
    let path = pinscope::tui::drafts::path(
        &drafts,
        "demo",
        Some("199620b4-df1a-46e8-ab59-9e9ed9af7106"),
    );
    pinscope::tui::drafts::write(&path, &draft.to_string()).expect("write");

    let mut app = App::new(options(100, 24));
    app.set_drafts_dir(Some(drafts.clone()));
    app.open(Editor::edit(docs_customization()));
    let effects = app.take_effects();
    answer_all(&mut app, effects, |_| Ok(ApiReply::Summary(summary())));
    let text = draw(&app);
    assert!(text.contains("Restore the draft?"), "{text}");
    assert!(text.contains("saved 2025-06-15 11:41 CEST"), "{text}");
    assert_snapshot!("editor_draft_offered", text);

    feed(&mut app, [key('r')]);
    let text = draw(&app);
    assert!(
        text.contains("Restored the draft saved 2025-06-15 11:41 CEST"),
        "{text}"
    );
    assert!(text.contains("home"), "{text}");
    assert!(text.contains("guitars, autumn"), "{text}");
    assert!(text.contains("● unsaved"), "{text}");
    assert_snapshot!("editor_draft_restored", text);
    // The half-typed date came back too.
    feed(&mut app, times(code(KeyCode::Tab), 7));
    feed(&mut app, [code(KeyCode::Enter)]);
    let text = draw(&app);
    assert!(text.contains("2025-07-0"), "{text}");
    assert!(text.contains("cannot read \"2025-07-0\""), "{text}");
}

#[test]
fn read_only_profile_opens_the_form_read_only() {
    let mut opts = options(100, 20);
    opts.profile.read_only = true;
    let (mut app, effects) = app_with(opts, Editor::edit(docs_customization()));
    answer_all(&mut app, effects, |_| Ok(ApiReply::Summary(summary())));
    let effects = feed(&mut app, typed("zzz"));
    assert!(sent(&effects).is_empty());
    let text = draw(&app);
    assert!(text.contains("read-only"), "{text}");
    assert!(text.contains("Model       basket"), "nothing typed: {text}");
    assert!(!text.contains("unsaved"), "{text}");
    let effects = feed(&mut app, [ctrl('s')]);
    assert!(sent(&effects).is_empty());
    let toast = app.toast().map(|t| t.text.clone()).unwrap_or_default();
    assert!(toast.contains("read-only"), "{toast}");
    // Leaving asks nothing: there is nothing to lose.
    feed(&mut app, [code(KeyCode::Esc)]);
    assert!(app.screen_names().is_empty() || app.should_quit());
}

#[test]
fn leaving_with_changes_asks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = App::new(options(100, 20));
    app.set_drafts_dir(Some(dir.path().to_path_buf()));
    app.open(Editor::create());
    app.take_effects();
    feed(&mut app, typed("basket"));
    feed(&mut app, [code(KeyCode::Esc)]);
    let text = draw(&app);
    assert!(text.contains("Unsaved changes"), "{text}");
    // Esc keeps editing.
    feed(&mut app, [code(KeyCode::Esc)]);
    assert_eq!(app.screen_names(), ["editor"]);
    // k keeps a draft and leaves.
    feed(&mut app, [code(KeyCode::Esc)]);
    let effects = feed(&mut app, [key('k')]);
    let saved = effects.iter().find_map(|e| match e {
        Effect::SaveDraft { path, contents } => Some((path.clone(), contents.clone())),
        _ => None,
    });
    let (path, contents) = saved.expect("a draft is saved");
    assert_eq!(path, dir.path().join("demo--new.json"));
    let d: serde_json::Value = serde_json::from_str(&contents).expect("json");
    assert_eq!(d["object"]["model"], "basket");
    assert!(app.should_quit(), "the editor was the only screen");
}

#[test]
fn drafts_are_written_after_a_pause_not_on_every_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = App::new(options(100, 20));
    app.set_drafts_dir(Some(dir.path().to_path_buf()));
    app.open(Editor::create());
    let effects = app.take_effects();
    answer_all(&mut app, effects, |_| Ok(ApiReply::Summary(summary())));
    let effects = feed(&mut app, typed("bas"));
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::SaveDraft { .. })),
        "not on every key"
    );
    // The app asks to be woken shortly after the last key, and not before.
    let wait = app.next_wake().expect("a timer");
    assert!(wait.as_millis() > 0 && wait.as_millis() <= 1000, "{wait:?}");
    let t0 = now();
    let early = feed(
        &mut app,
        [
            Msg::Clock(
                t0.checked_add(jiff::SignedDuration::from_millis(100))
                    .expect("t"),
            ),
            Msg::Tick,
        ],
    );
    assert!(!early.iter().any(|e| matches!(e, Effect::SaveDraft { .. })));
    let later = feed(
        &mut app,
        [
            Msg::Clock(
                t0.checked_add(jiff::SignedDuration::from_secs(2))
                    .expect("t"),
            ),
            Msg::Tick,
        ],
    );
    assert_eq!(
        later
            .iter()
            .filter(|e| matches!(e, Effect::SaveDraft { .. }))
            .count(),
        1
    );
    assert_eq!(app.next_wake(), None, "idle again: no timer");
    // Undoing every change removes the draft.
    feed(&mut app, backspaces(3));
    let later = feed(
        &mut app,
        [
            Msg::Clock(
                t0.checked_add(jiff::SignedDuration::from_secs(5))
                    .expect("t"),
            ),
            Msg::Tick,
        ],
    );
    assert!(
        later.iter().any(|e| matches!(e, Effect::RemoveDraft(_))),
        "{later:?}"
    );
}

#[test]
fn external_editor_updates_the_form_and_reports_by_line() {
    let mut app = open(100, 24, Editor::edit(docs_customization()));
    let effects = feed(&mut app, [ctrl('o')]);
    let text = effects
        .iter()
        .find_map(|e| match e {
            Effect::ExternalEdit(t) => Some(t.clone()),
            _ => None,
        })
        .expect("the editor is asked for");
    assert!(text.contains("\"model\": \"basket\""), "{text}");
    // Broken JSON: the form stays, the error has its line and column, the text is kept.
    let broken = text.replace("\"model\": \"basket\",", "\"model\": \"basket\"");
    feed(&mut app, [Msg::ExternalEdited(Ok(broken.clone()))]);
    let screen = draw(&app);
    assert!(
        screen.contains("The JSON from the editor cannot be read; the form is unchanged"),
        "{screen}"
    );
    assert!(
        screen.contains("line 4, column 3: expected `,` or `}`"),
        "{screen}"
    );
    feed(&mut app, [code(KeyCode::Esc)]);
    let effects = feed(&mut app, [ctrl('o')]);
    assert!(
        effects.contains(&Effect::ExternalEdit(broken)),
        "the broken text is offered again"
    );
    // Valid JSON with a rule broken: the form takes it, the problem is given by line.
    let fixed = text
        .replace("\"basket\"", "\"home\"")
        .replace("\"position\": 1", "\"position\": -5");
    feed(&mut app, [Msg::ExternalEdited(Ok(fixed))]);
    let screen = draw(&app);
    assert!(
        screen.contains("Updated from the editor, with 1 problem"),
        "{screen}"
    );
    assert!(
        screen.contains("line 15: pin_definitions[0].position: Must be -1 (global), 0 (block) or a slot number >= 1"),
        "{screen}"
    );
    feed(&mut app, [code(KeyCode::Esc)]);
    let screen = draw(&app);
    assert!(screen.contains("Model       home"), "{screen}");
    assert!(screen.contains("⚠ 1"), "{screen}");
    // The editor could not run at all.
    feed(
        &mut app,
        [Msg::ExternalEdited(Err("cannot run \"nope\"".into()))],
    );
    assert!(draw(&app).contains("The editor did not run"));
}

#[test]
fn pins_table_adds_duplicates_moves_and_deletes() {
    let mut app = open(110, 30, Editor::edit(docs_customization()));
    feed(&mut app, times(code(KeyCode::Tab), 7));
    // Add: a new pin at the next slot, its form open.
    feed(&mut app, [key('a')]);
    feed(&mut app, times(code(KeyCode::Tab), 3));
    feed(&mut app, typed("/p/777"));
    feed(&mut app, [code(KeyCode::Esc)]);
    let ids = |app: &App| -> Vec<String> {
        let text = draw(app);
        // The pin rows, not the health warnings above the form (which name items too).
        text.lines()
            .filter(|l| !l.contains('⚠'))
            .filter_map(|l| {
                l.split_whitespace()
                    .find(|w| w.starts_with("/p/5") || w.starts_with("/p/7"))
            })
            .map(str::to_string)
            .collect()
    };
    assert_eq!(ids(&app), ["/p/555", "/p/777"]);
    // Move it up, duplicate it, delete the first.
    feed(&mut app, [key('K')]);
    assert_eq!(ids(&app), ["/p/777", "/p/555"]);
    feed(&mut app, [key('c')]);
    assert_eq!(ids(&app), ["/p/777", "/p/777", "/p/555"]);
    feed(&mut app, [key('x')]);
    assert_eq!(ids(&app), ["/p/777", "/p/555"]);
    feed(&mut app, [code(KeyCode::Down), key('J')]);
    assert_eq!(ids(&app), ["/p/777", "/p/555"], "the last cannot go lower");
    feed(
        &mut app,
        [Msg::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::ALT))],
    );
    assert_eq!(ids(&app), ["/p/555", "/p/777"]);
}

#[test]
fn pin_form_views() {
    let mut app = open(100, 24, Editor::edit(docs_customization()));
    feed(&mut app, times(code(KeyCode::Tab), 7));
    feed(&mut app, [code(KeyCode::Enter)]);
    // Block: the slot field goes; the object says is_block_pin.
    feed(&mut app, [code(KeyCode::Right), code(KeyCode::Right)]);
    let text = draw(&app);
    assert!(text.contains("(•) block"), "{text}");
    assert!(!text.contains("Slot  "), "{text}");
    feed(&mut app, [code(KeyCode::Tab), key(' ')]);
    let text = draw(&app);
    assert!(text.contains("(•) criteria"), "{text}");
    assert!(text.contains("Criteria"), "{text}");
    assert!(
        text.contains("✗ Missing required field: pin_criteria"),
        "{text}"
    );
}
