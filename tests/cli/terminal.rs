//! What changes when a person is at the terminal: pretty JSON and confirmations.

use serde_json::json;

use crate::harness::{Emu, Env, item, path_str, write_json};

fn one_row() -> (Emu, String) {
    let emu = Emu::with_rows(vec![item("basket", "/p/1", &[])]);
    let env = Env::for_emu(&emu, "");
    let id = env.run(&["list"]).ndjson()[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    (emu, id)
}

#[test]
fn single_objects_are_pretty_on_a_terminal() {
    let (emu, id) = one_row();
    let env = Env::for_emu(&emu, "");
    let Some(r) = env.run_tty(&["get", &id], "") else {
        return;
    };
    r.ok();
    assert!(
        r.stdout.contains("\n  \"model\": \"basket\",\n"),
        "{}",
        r.stdout
    );
    // NDJSON stays one object a line.
    let Some(r) = env.run_tty(&["list"], "") else {
        return;
    };
    assert!(r.stdout.starts_with("{\"id\":"), "{}", r.stdout);
}

#[test]
fn delete_asks_on_a_terminal() {
    let (emu, id) = one_row();
    let env = Env::for_emu(&emu, "");
    let Some(r) = env.run_tty(&["delete", &id], "n\n") else {
        return;
    };
    // No is not a usage error: its own documented code.
    r.code(5);
    assert!(
        r.stdout.contains(&format!("delete {id}? [y/N]")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("model basket, target item /p/1, 1 pin; profile emu"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("not deleted"), "{}", r.stdout);
    assert_eq!(emu.count(), 1);

    let r = env.run_tty(&["delete", &id], "y\n").expect("script");
    r.ok();
    assert!(r.stdout.contains(&format!("deleted {id}")), "{}", r.stdout);
    assert_eq!(emu.count(), 0);
}

#[test]
fn production_wants_the_id_typed() {
    let (emu, id) = one_row();
    let env = Env::for_emu(&emu, "production = true\nlabel = \"PROD\"");
    let Some(r) = env.run_tty(&["delete", &id], "y\n") else {
        return;
    };
    r.code(5);
    assert!(
        r.stdout
            .contains("is production: type the first 8 characters of the id"),
        "{}",
        r.stdout
    );
    assert_eq!(emu.count(), 1);

    // An update on production asks too; --yes skips the question.
    let mut c = item("basket", "/p/1", &[]);
    c["model"] = json!("home");
    let file = write_json(&env, "c.json", &c);
    let r = env
        .run_tty(&["update", &id, path_str(&file), "--diff"], "no\n")
        .expect("script");
    r.code(5);
    assert!(
        r.stdout.contains("~ model: \"basket\" -> \"home\""),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("not replaced"), "{}", r.stdout);
    assert_eq!(env.run(&["get", &id]).json()["model"], "basket");
    env.run_tty(&["update", &id, path_str(&file), "--yes"], "")
        .expect("script")
        .ok();
    assert_eq!(env.run(&["get", &id]).json()["model"], "home");

    let prefix: String = id.chars().take(8).collect();
    let r = env
        .run_tty(&["delete", &id], &format!("{prefix}\n"))
        .expect("script");
    r.ok();
    assert_eq!(emu.count(), 0);
}
