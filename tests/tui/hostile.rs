//! The real loop against a server that puts escape sequences in its text: the screen shows
//! the words, never the controls.

#[path = "../common/hostile.rs"]
mod server;

use pinscope::tui::screens::browse::Browse;
use serde_json::json;
use server::{Hostile, Reply, Request};

use crate::harness::*;

#[tokio::test]
async fn escape_sequences_from_the_server_never_reach_the_screen() {
    let reason = "Tracker gone\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}]52;c;aGVsbG8=\u{7}\u{9b}1m";
    let title = "Shoe\u{1b}]0;title\u{7}\u{9b}31m";
    let h = Hostile::start(move |r: &Request| {
        if r.path().ends_with("/scopes") && r.query("offset").as_deref() == Some("0") {
            let row = json!({
                "id": "0f8fad5b-d9cb-469f-a165-70867728950e", "model": "basket\u{1b}[31m",
                "target_type": "item", "target_identity": "/p/1\u{7}",
                "target_metadata": {"title": title}, "pin_definitions": [],
                "created_at": "2026-01-01T00:00:00Z"
            });
            return Reply::json(200, &json!({"pagination": {"total": 2}, "results": [row]}));
        }
        Reply::json(404, &json!({"reason": reason}))
    });
    let run = Running::start(client(&h.url(), "k"), options(120, 30), Browse::new());
    let screen = run.wait_for("basket").await;
    assert!(
        !screen.contains(['\u{1b}', '\u{7}', '\u{9b}']),
        "{screen:?}"
    );
    // The next page fails with the hostile reason.
    run.send(key('G'));
    let screen = run
        .wait_until("an error", |s| {
            s.contains("404") || s.contains("Tracker gone")
        })
        .await;
    assert!(
        !screen.contains(['\u{1b}', '\u{7}', '\u{9b}']),
        "{screen:?}"
    );
}
