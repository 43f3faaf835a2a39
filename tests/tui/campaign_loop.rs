//! Campaigns through the real loop, worker, client, mirror, history and emulator: select
//! by filter, `b` change, plan, apply, then `H` history, the operation's diffs, and `u`
//! undo, with the service's JSON compared whole at each step.

use crossterm::event::KeyCode;
use pinscope::api::{Client, Customization};
use pinscope::mirror::{Mirror, Scope};
use pinscope::tui::screens::browse::Browse;
use serde_json::{Value, json};

use crate::harness::*;

const KEY: &str = "campaign-loop-key";

fn id(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn tracker() -> Vec<Customization> {
    (1..=6usize)
        .map(|n| {
            let model = if n.is_multiple_of(2) {
                "basket"
            } else {
                "home"
            };
            Customization::from_value(json!({
                "id": id(n),
                "created_at": format!("2025-05-0{n}T09:00:00Z"),
                "model": model,
                "target_type": "item",
                "target_identity": format!("/p/{n}"),
                "x_unknown": {"b": 1, "a": 2},
                "tags": ["summer"],
                "pin_definitions": [
                    {"position": 1, "pin_type": "item", "pin_identity": "/p/500",
                     "active_to": "2030-01-01T00:00:00Z"}
                ]
            }))
            .expect("object")
        })
        .collect()
}

/// The service's version, without `available` (it changes with the clock).
async fn current(client: &Client, id: &str) -> Value {
    let mut v = serde_json::to_value(client.get(id).await.expect("get")).expect("json");
    if let Some(m) = v.as_object_mut() {
        m.shift_remove("available");
    }
    v
}

#[tokio::test]
async fn select_by_filter_change_plan_apply_and_undo() {
    let (emu, client) = start_emulator(KEY, tracker()).await;
    let mirror = Mirror::open_in_memory(&Scope::of_client(&client)).expect("mirror");
    let run = Running::start_recording(client.clone(), options(120, 40), Browse::new(), mirror);
    run.wait_for("synced just now").await;
    run.wait_for("6 customizations").await;

    // Select by filter: model basket (2, 4, 6), the newest first: 6 under the cursor.
    run.send(key('f'));
    let screen = run.wait_for("[ ] basket").await;
    let first_is_basket = screen
        .lines()
        .find_map(|l| l.split("[ ] ").nth(1))
        .is_some_and(|rest| rest.starts_with("basket"));
    if !first_is_basket {
        run.send(key('j'));
    }
    run.send(key(' '));
    run.send(code(KeyCode::Enter));
    run.wait_for("Customizations 3 · created_at desc · model=basket")
        .await;
    // *: every row the filter matches.
    run.send(key('*'));
    run.wait_for("3 selected").await;
    let targets = [id(2), id(4), id(6)];
    let mut before = Vec::new();
    for t in &targets {
        before.push(current(&client, t).await);
    }
    let others: Vec<Value> = {
        let mut v = Vec::new();
        for n in [1, 3, 5] {
            v.push(current(&client, &id(n)).await);
        }
        v
    };

    // b: the change form on the selection. Add a tag, shift the pins' end by a week.
    run.send(key('b'));
    run.wait_for("Change 3 customizations").await;
    run.send_all(typed("campaign"));
    for _ in 0..5 {
        run.send(code(KeyCode::Tab));
    }
    // A wrong duration is shown at the field and not planned.
    run.send_all(typed("+7x"));
    let screen = run.wait_for("✗ shift active_to").await;
    assert!(screen.contains("fix the fields marked ✗ first"), "{screen}");
    run.send(code(KeyCode::Enter));
    run.wait_for("fix the fields marked ✗ first").await;
    assert!(run.text().contains("Change 3 customizations"));
    run.send(code(KeyCode::Backspace));
    run.send(key('d'));
    run.wait_for("change: add tag campaign, shift active_to +7d")
        .await;

    // Enter: the plan, nothing sent.
    run.send(code(KeyCode::Enter));
    let screen = run
        .wait_for("3 customizations: 3 to update (3 pins changed)")
        .await;
    assert!(screen.contains("Nothing has been sent"), "{screen}");
    assert!(screen.contains("+ tags[1]: \"campaign\""), "{screen}");
    assert!(
        screen
            .contains("~ pin_definitions[0].active_to: \"2030-01-01T00:00:00Z\" -> \"2030-01-08T"),
        "{screen}"
    );
    for (t, b) in targets.iter().zip(&before) {
        assert_eq!(&current(&client, t).await, b, "the plan sends nothing");
    }

    // Esc goes back to the form with what was typed; Enter plans again.
    run.send(code(KeyCode::Esc));
    run.wait_for("change: add tag campaign, shift active_to +7d")
        .await;
    run.send(code(KeyCode::Enter));
    run.wait_for("3 to update").await;

    // Enter asks, Enter applies: a report, recorded.
    run.send(code(KeyCode::Enter));
    run.wait_for("Write 3 customizations on profile demo?")
        .await;
    run.send(code(KeyCode::Enter));
    let screen = run.wait_for("✓ 3 updated").await;
    assert!(screen.contains("Recorded as operation 1"), "{screen}");
    assert!(screen.contains("updated"), "{screen}");
    let mut after = Vec::new();
    for t in &targets {
        let a = current(&client, t).await;
        assert_eq!(a["tags"], json!(["summer", "campaign"]), "{t}");
        assert_eq!(
            a["pin_definitions"][0]["active_to"]
                .as_str()
                .map(|s| &s[..10]),
            Some("2030-01-08"),
            "{t}"
        );
        // Unknown fields and their key order stay.
        assert_eq!(
            serde_json::to_string(&a["x_unknown"]).expect("json"),
            r#"{"b":1,"a":2}"#
        );
        after.push(a);
    }
    // What the filter did not match is untouched.
    for (n, o) in [1, 3, 5].iter().zip(&others) {
        assert_eq!(&current(&client, &id(*n)).await, o);
    }

    // Esc: back to browse. H: the history, newest first.
    run.send(code(KeyCode::Esc));
    run.wait_for("Customizations 3").await;
    run.send(key('H'));
    let screen = run.wait_for("History · newest first").await;
    assert!(screen.contains("batch"), "{screen}");
    assert!(
        screen.contains("add tag campaign, shift active_to +7d"),
        "{screen}"
    );
    // Enter: the operation's customizations and diffs, before → after.
    run.send(code(KeyCode::Enter));
    let screen = run.wait_for("Operation 1").await;
    let screen = if screen.contains("updated") {
        screen
    } else {
        run.wait_for("updated").await
    };
    assert!(screen.contains("+ tags[1]: \"campaign\""), "{screen}");

    // u: the undo's plan, then apply it.
    run.send(key('u'));
    let screen = run.wait_for("Undo of operation 1: plan").await;
    let screen = if screen.contains("3 to put back") {
        screen
    } else {
        run.wait_for("3 to put back").await
    };
    assert!(screen.contains("put back"), "{screen}");
    assert!(screen.contains("- tags[1]: \"campaign\""), "{screen}");
    for (t, a) in targets.iter().zip(&after) {
        assert_eq!(&current(&client, t).await, a, "the undo plan sends nothing");
    }
    run.send(code(KeyCode::Enter));
    run.wait_for("Write 3 customizations on profile demo?")
        .await;
    run.send(code(KeyCode::Enter));
    let screen = run.wait_for("✓ 3 updated").await;
    assert!(screen.contains("Recorded as operation 2"), "{screen}");
    // Every whole object is back, exactly.
    for (t, b) in targets.iter().zip(&before) {
        assert_eq!(&current(&client, t).await, b, "{t}");
    }

    // The undo is itself an operation, listed first.
    run.send(code(KeyCode::Esc));
    run.send(code(KeyCode::Esc));
    let screen = run
        .wait_until("the undo listed", |s| {
            s.contains("History · newest first") && s.contains("undo of 1")
        })
        .await;
    let undo_line = screen.lines().position(|l| l.contains("undo of 1"));
    let batch_line = screen.lines().position(|l| l.contains(" batch "));
    assert!(undo_line < batch_line, "{screen}");
    run.send(ctrl('c'));
    run.finish().await;
    emu.shutdown().await;
}

#[tokio::test]
async fn an_undo_skips_what_changed_since_unless_told_to_include_it() {
    let (emu, client) = start_emulator(KEY, tracker()).await;
    let mirror = Mirror::open_in_memory(&Scope::of_client(&client)).expect("mirror");
    let run = Running::start_recording(client.clone(), options(120, 40), Browse::new(), mirror);
    run.wait_for("synced just now").await;
    run.wait_for("6 customizations").await;
    // The cursor row (the newest, 6): remove its tag.
    let target = id(6);
    let before = current(&client, &target).await;
    run.send(key('b'));
    run.wait_for("Change 1 customization").await;
    run.send(code(KeyCode::Tab));
    run.send_all(typed("summer"));
    run.send(code(KeyCode::Enter));
    run.wait_for("1 to update").await;
    run.send(code(KeyCode::Enter));
    run.send(code(KeyCode::Enter));
    run.wait_for("✓ 1 updated").await;
    assert_eq!(current(&client, &target).await["tags"], json!([]));

    // Someone changes it on the service meanwhile.
    let mut theirs = client.get(&target).await.expect("get");
    theirs.set("tags", json!(["by-hand"]));
    client.update(&target, &theirs).await.expect("update");

    run.send(code(KeyCode::Esc));
    run.send(key('H'));
    run.wait_for("History · newest first").await;
    run.send(key('u'));
    let screen = run
        .wait_for("1 changed on the service since (skipped)")
        .await;
    assert!(screen.contains("skipped (f includes it)"), "{screen}");
    assert!(screen.contains("f include changed"), "{screen}");
    // Nothing to write while it is skipped.
    run.send(code(KeyCode::Enter));
    run.wait_for("Nothing to send").await;
    assert_eq!(current(&client, &target).await["tags"], json!(["by-hand"]));
    // f: include it; the service's newer version is overwritten with the before image.
    run.send(key('f'));
    run.wait_for("will be overwritten").await;
    run.send(code(KeyCode::Enter));
    run.wait_for("Write 1 customization").await;
    run.send(code(KeyCode::Enter));
    run.wait_for("✓ 1 updated").await;
    assert_eq!(current(&client, &target).await, before);
    run.send(ctrl('c'));
    run.finish().await;
    emu.shutdown().await;
}

#[tokio::test]
async fn without_a_mirror_the_selection_is_read_from_the_service() {
    let (emu, client) = start_emulator(KEY, tracker()).await;
    // No mirror, no history: the plan fetches the selection, the report says it was not
    // recorded.
    let run = Running::start(client.clone(), options(120, 40), Browse::new());
    run.wait_for("6 customizations").await;
    run.send(key('b'));
    run.wait_for("Change 1 customization").await;
    for _ in 0..11 {
        run.send(code(KeyCode::Tab));
    }
    run.send(key(' '));
    run.wait_for("change: delete").await;
    run.send(code(KeyCode::Enter));
    let screen = run.wait_for("1 customization: 1 to delete").await;
    assert!(
        screen.contains("- 00000000 delete · basket · item /p/6"),
        "{screen}"
    );
    run.send(code(KeyCode::Enter));
    run.send(code(KeyCode::Enter));
    let screen = run.wait_for("✓ 1 deleted").await;
    assert!(
        screen.contains("Not recorded: this session keeps no history."),
        "{screen}"
    );
    let gone = client.get(&id(6)).await.expect_err("deleted");
    assert_eq!(gone.status(), Some(404));
    // Browse reloads: 5 left.
    run.send(code(KeyCode::Esc));
    run.wait_for("5 customizations").await;
    // H says the history cannot be read here.
    run.send(key('H'));
    run.wait_for("cannot read the history: no history is kept")
        .await;
    run.send(ctrl('c'));
    run.finish().await;
    emu.shutdown().await;
}
