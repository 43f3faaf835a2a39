//! The real loop without a server: errors surface, quitting works.

use std::net::TcpListener;

use pinscope::tui::app::ExitReason;
use pinscope::tui::screens::browse::Browse;

use crate::harness::*;

/// A loopback URL where nothing listens.
fn dead_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn network_error_shows_in_status_bar_and_q_quits() {
    let run = Running::start(client(&dead_url(), "k"), options(100, 12), Browse::new());
    let screen = run.wait_for("cannot connect").await;
    assert!(screen.contains("R retry"), "{screen}");
    assert!(
        screen.contains("Could not load the customizations"),
        "{screen}"
    );
    run.send(key('q'));
    let (exit, _) = run.finish().await;
    assert_eq!(exit.reason, ExitReason::Quit);
}

#[tokio::test]
async fn ctrl_c_quits_from_a_text_field() {
    let run = Running::start(client(&dead_url(), "k"), options(100, 12), Browse::new());
    run.wait_for("cannot connect").await;
    // The whole error is shown over the list; Esc closes it.
    run.send(code(KeyCode::Esc));
    run.wait_gone("Esc close").await;
    run.send(key('g'));
    run.wait_for("Go to customization").await;
    run.send_all(typed("abc"));
    run.wait_for("not a UUID").await;
    run.send(ctrl('c'));
    let (exit, _) = run.finish().await;
    assert_eq!(exit.reason, ExitReason::Quit);
}

use std::collections::BTreeMap;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyModifiers, MouseEvent, MouseEventKind};
use pinscope::tui::keys::Keymap;
use pinscope::tui::msg::{ApiRequest, Msg};
use pinscope::tui::worker::WorkerHandle;
use tokio::sync::mpsc;

#[tokio::test]
async fn a_dead_worker_ends_the_app_with_a_message() {
    let (req_tx, _req_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    drop(ev_tx);
    let mut app = pinscope::tui::App::new(options(80, 10));
    app.open(Browse::new());
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 10)).expect("terminal");
    let input = futures::stream::pending::<Msg>();
    let exit = pinscope::tui::run_tui(
        &mut terminal,
        &mut app,
        input,
        WorkerHandle {
            requests: req_tx,
            events: ev_rx,
        },
        Default::default(),
    )
    .await
    .expect("run");
    assert_eq!(exit.reason, ExitReason::WorkerGone);
    assert!(
        exit.message
            .as_deref()
            .is_some_and(|m| m.contains("stopped unexpectedly")),
        "{exit:?}"
    );
}

#[tokio::test]
async fn terminate_ends_the_loop() {
    let run = Running::start(client(&dead_url(), "k"), options(80, 10), Browse::new());
    run.wait_for("Customizations").await;
    run.send(Msg::Terminate);
    let (exit, _) = run.finish().await;
    assert_eq!(exit.reason, ExitReason::Terminated);
}

#[test]
fn idle_means_no_timer() {
    let data = sample(30);
    let (mut app, effects) = app_with(options(100, 20), Browse::new());
    // Requests in flight: the spinner wants frames.
    assert_eq!(app.next_wake(), Some(Duration::from_millis(100)));
    answer_all(&mut app, effects, serve(&data));
    assert_eq!(app.in_flight(), 0);
    assert_eq!(app.next_wake(), None, "idle: nothing to wake up for");
    // Changing the sort (in its picker) reloads: the spinner runs again.
    feed(&mut app, [key('s'), key('j'), code(KeyCode::Enter)]);
    let wake = app
        .next_wake()
        .expect("spinner while the sorted page loads");
    assert_eq!(wake, Duration::from_millis(100));
}

#[test]
fn toasts_go_away_by_themselves() {
    let data = sample(3);
    let (mut app, effects) = app_with(options(100, 20), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    // Open a detail and copy its id: a toast for 3 s.
    let effects = feed(&mut app, [code(KeyCode::Enter)]);
    answer_all(&mut app, effects, serve(&data));
    feed(&mut app, [key('y')]);
    assert!(app.toast().is_some());
    assert_eq!(app.next_wake(), Some(Duration::from_secs(3)));
    feed(
        &mut app,
        [
            Msg::Clock(
                now()
                    .checked_add(jiff::SignedDuration::from_secs(4))
                    .expect("ts"),
            ),
            Msg::Tick,
        ],
    );
    assert!(app.toast().is_none());
    assert_eq!(app.next_wake(), None);
}

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Msg {
    Msg::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

#[test]
fn wheel_scrolls_and_a_click_selects_then_opens() {
    let data = sample(60);
    let (mut app, effects) = app_with(options(100, 12), Browse::new());
    answer_all(&mut app, effects, serve(&data));
    let before = draw(&app);
    assert!(before.contains("/p/100 "), "{before}");
    feed(&mut app, [mouse(MouseEventKind::ScrollDown, 10, 5)]);
    let after = draw(&app);
    assert!(
        !after.contains("/p/100 "),
        "the first rows scrolled away:\n{after}"
    );
    assert!(
        after.lines().nth(2).is_some_and(|l| l.contains("criteria")),
        "{after}"
    );
    // Row 4 of the screen is the third row of the table body (border, header, rows...).
    feed(
        &mut app,
        [mouse(
            MouseEventKind::Down(crossterm::event::MouseButton::Left),
            20,
            4,
        )],
    );
    let text = draw(&app);
    let selected = text
        .lines()
        .find(|l| l.contains('›'))
        .expect("a selected row");
    assert!(selected.contains("/p/105"), "{text}");
    // A second click on the selected row opens it.
    let effects = feed(
        &mut app,
        [mouse(
            MouseEventKind::Down(crossterm::event::MouseButton::Left),
            20,
            4,
        )],
    );
    assert_eq!(app.screen_names(), ["browse", "detail"]);
    assert!(matches!(&requests(&effects)[..], [(_, ApiRequest::Get(id))] if id.ends_with("06")));
}

#[test]
fn key_overrides_from_the_config_apply() {
    let mut overrides = BTreeMap::new();
    overrides.insert("refresh".to_string(), vec!["F5".to_string()]);
    overrides.insert("quit".to_string(), vec!["ctrl-q".to_string()]);
    let mut opts = options(100, 30);
    opts.keymap = Keymap::with_overrides(&overrides).expect("valid overrides");
    let data = sample(5);
    let (mut app, effects) = app_with(opts, Browse::new());
    answer_all(&mut app, effects, serve(&data));
    assert!(
        feed(&mut app, [key('r')]).is_empty(),
        "r no longer refreshes"
    );
    assert!(feed(&mut app, [key('q')]).is_empty(), "q no longer quits");
    let effects = feed(&mut app, [code(KeyCode::F(5))]);
    assert!(
        requests(&effects)
            .iter()
            .any(|(_, r)| matches!(r, ApiRequest::List(_)))
    );
    answer_all(&mut app, effects, serve(&data));
    // Help shows the new keys.
    feed(&mut app, [key('?')]);
    let text = draw(&app);
    assert!(text.contains("F5  reload from the server"), "{text}");
    assert!(text.contains("Ctrl-q  quit pinscope"), "{text}");
    feed(&mut app, [code(KeyCode::Esc)]);
    let effects = feed(&mut app, [ctrl('q')]);
    assert_eq!(effects, [pinscope::tui::Effect::Quit]);
    assert!(app.should_quit());
}

#[test]
fn narrowing_as_you_type_matches_narrowing_at_once() {
    let data = sample(200);
    let shown = |msgs: Vec<Msg>| {
        let (mut app, effects) = app_with(options(120, 60), Browse::new());
        answer_all(&mut app, effects, serve(&data));
        feed(&mut app, msgs);
        draw(&app)
    };
    let mut typed_msgs = vec![key('/')];
    typed_msgs.extend(typed("sm58"));
    let pasted = vec![key('/'), Msg::Paste("sm58".into())];
    let a = shown(typed_msgs);
    let b = shown(pasted);
    assert!(a.contains("Shure SM58"), "{a}");
    assert!(!a.contains("Yamaha"), "{a}");
    assert_eq!(a, b);
    // Deleting a character widens again.
    let mut back = vec![key('/')];
    back.extend(typed("sm58x"));
    back.push(code(KeyCode::Backspace));
    assert_eq!(shown(back), a);
}

/// The `[keys]` of `config.example.toml` name real actions and keys.
#[test]
fn the_example_configs_keys_are_valid() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let cfg = pinscope::config::load(&path).expect("the example config loads");
    assert!(!cfg.keys.is_empty(), "the example shows [keys]");
    let map = Keymap::with_overrides(&cfg.keys).expect("valid [keys]");
    assert_eq!(map.label(pinscope::tui::keys::Action::Refresh), "r/F5");
}
