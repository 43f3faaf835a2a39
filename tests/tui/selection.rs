//! Selecting rows in browse (without a mirror: the list endpoint's pages): Space, `v`
//! ranges, `*` (rows not loaded included), Esc; the count in the status bar; the selection
//! kept across scrolling, filtering and narrowing.

use crossterm::event::KeyCode;
use pinscope::tui::msg::ApiRequest;
use pinscope::tui::screens::browse::Browse;

use crate::harness::*;

fn id(i: usize) -> String {
    format!("00000000-0000-4000-8000-{:012x}", i + 1)
}

/// The drawn line that shows row `i` (at 150 columns and more, ids are shown whole).
fn line_of(screen: &str, i: usize) -> String {
    screen
        .lines()
        .find(|l| l.contains(&id(i)))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn space_v_and_esc_mark_rows_and_the_status_bar_counts_them() {
    let data = sample(30);
    let (mut app, effects) = app_with(options(200, 40), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    let screen = draw(&app);
    assert!(!screen.contains("selected"), "{screen}");

    // Space marks the cursor row and moves down.
    feed(&mut app, [key(' ')]);
    let screen = draw(&app);
    assert!(
        screen.contains("30 customizations · 1 selected"),
        "{screen}"
    );
    assert!(line_of(&screen, 0).contains(" ●"), "{screen}");
    assert!(
        line_of(&screen, 1).contains("›"),
        "the cursor moved on:\n{screen}"
    );
    assert!(!line_of(&screen, 1).contains("●"), "{screen}");

    // Space again on a marked row unmarks it.
    feed(&mut app, [key('k'), key(' ')]);
    assert!(!draw(&app).contains("selected"));

    // v starts a range at row 1 (the cursor is there after Space); moving extends it,
    // counted while it is drawn; v ends it.
    feed(&mut app, [key('v'), key('j'), key('j'), key('j')]);
    let screen = draw(&app);
    assert!(screen.contains("· 4 selected"), "{screen}");
    for i in 1..=4 {
        assert!(line_of(&screen, i).contains("●"), "row {i}:\n{screen}");
    }
    // Moving back shrinks it.
    feed(&mut app, [key('k')]);
    assert!(draw(&app).contains("· 3 selected"));
    feed(&mut app, [key('v'), key('j'), key('j')]);
    let screen = draw(&app);
    assert!(
        screen.contains("· 3 selected"),
        "the range ended at v:\n{screen}"
    );
    assert!(!line_of(&screen, 5).contains("●"), "{screen}");
    // Space ends a range too (and adds it to what was marked before).
    feed(&mut app, [key('v'), key('j'), key(' ')]);
    assert!(draw(&app).contains("· 5 selected"), "{}", draw(&app));

    // Scrolling far and back keeps it.
    feed(&mut app, [code(KeyCode::End), code(KeyCode::Home)]);
    assert!(draw(&app).contains("· 5 selected"));

    // Esc clears it; a second Esc has nothing to clear and changes nothing.
    feed(&mut app, [code(KeyCode::Esc)]);
    let screen = draw(&app);
    assert!(!screen.contains("selected"), "{screen}");
    assert!(!screen.contains("●"), "{screen}");
}

#[test]
fn the_selection_survives_filtering_and_narrowing() {
    let data = sample(30);
    let (mut app, effects) = app_with(options(200, 40), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    // Rows 0 and 1: basket and home.
    feed(&mut app, [key(' '), key(' ')]);
    assert!(draw(&app).contains("· 2 selected"));

    // Filter by model basket (the first model in the summary): the list reloads, the
    // selection stays, and row 0 is shown marked again.
    let effects = feed(&mut app, [key('f'), key(' '), code(KeyCode::Enter)]);
    answer_all(&mut app, effects, serve(&data));
    let screen = draw(&app);
    assert!(screen.contains("model=basket"), "{screen}");
    assert!(screen.contains("· 2 selected"), "{screen}");
    assert!(line_of(&screen, 0).contains("●"), "{screen}");

    // Narrowing with / (no mirror) keeps it too.
    let effects = feed(&mut app, [key('c')]);
    answer_all(&mut app, effects, serve(&data));
    feed(&mut app, [key('/')]);
    feed(&mut app, typed("Gibson"));
    let screen = draw(&app);
    assert!(screen.contains("· 2 selected"), "{screen}");
    assert!(line_of(&screen, 0).contains("●"), "{screen}");
}

#[test]
fn star_selects_what_the_filters_match_including_rows_not_loaded() {
    let data = sample(250);
    let (mut app, effects) = app_with(options(120, 40), Browse::new());
    // Only the first page is answered: 100 of 250 loaded.
    let mut effects = effects;
    let reqs = requests(&effects);
    effects.clear();
    for (rid, req) in reqs {
        if matches!(req, ApiRequest::List(_) | ApiRequest::Summary) {
            let r = serve(&data)(&req);
            effects.extend(feed(&mut app, [event(rid, &req, r)]));
        }
    }
    let screen = draw(&app);
    assert!(screen.contains("of 250 loaded"), "{screen}");

    let effects = feed(&mut app, [key('*')]);
    let reqs = requests(&effects);
    assert!(
        reqs.iter().any(|(_, r)| matches!(
            r,
            ApiRequest::MatchingIds {
                offset: 0,
                limit: None,
                ..
            }
        )),
        "* asks for every matching id: {reqs:?}"
    );
    let mut rest = Vec::new();
    for (rid, req) in reqs {
        if matches!(req, ApiRequest::MatchingIds { .. }) {
            let r = serve(&data)(&req);
            rest.extend(feed(&mut app, [event(rid, &req, r)]));
        }
    }
    let screen = draw(&app);
    assert!(screen.contains("· 250 selected"), "{screen}");

    // With a filter, * takes only what it matches (model basket: every third row).
    feed(&mut app, [code(KeyCode::Esc)]);
    let effects = feed(&mut app, [key('f'), key(' '), code(KeyCode::Enter)]);
    answer_all(&mut app, effects, serve(&data));
    let effects = feed(&mut app, [key('*')]);
    answer_all(&mut app, effects, serve(&data));
    let basket = data.iter().filter(|c| c.model() == Some("basket")).count();
    assert_eq!(basket, 84);
    let screen = draw(&app);
    assert!(screen.contains(&format!("· {basket} selected")), "{screen}");
}
