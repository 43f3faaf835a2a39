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
    run.send(key('g'));
    run.wait_for("Go to customization").await;
    run.send_all(typed("abc"));
    run.wait_for("not a UUID").await;
    run.send(ctrl('c'));
    let (exit, _) = run.finish().await;
    assert_eq!(exit.reason, ExitReason::Quit);
}
