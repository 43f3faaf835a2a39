//! `pinscope agenda`, `pinscope lint` and the duplicate-target check of `pinscope create`,
//! against the emulator.

use jiff::{Timestamp, ToSpan};
use serde_json::{Value, json};

use crate::harness::{Emu, Env, item, path_str, write_json};

/// RFC 3339 of now plus `hours` (negative for the past), to whole seconds.
fn at(hours: i64) -> String {
    let t = Timestamp::now()
        .checked_add(hours.hours())
        .expect("in range")
        .round(jiff::Unit::Second)
        .expect("round");
    t.to_string()
}

fn windowed(model: &str, identity: &str, pins: Value) -> Value {
    let mut c = item(model, identity, &[]);
    c["pin_definitions"] = pins;
    c
}

fn pin(pos: i64, what: &str, from: Option<String>, to: Option<String>) -> Value {
    let mut p = json!({"position": pos, "pin_type": "item", "pin_identity": what});
    if let Some(f) = from {
        p["active_from"] = json!(f);
    }
    if let Some(t) = to {
        p["active_to"] = json!(t);
    }
    p
}

#[test]
fn agenda_lists_starts_and_ends_in_time_order_with_the_fields_of_the_issue() {
    let emu = Emu::with_rows(vec![
        windowed(
            "basket",
            "/p/1",
            json!([
                pin(1, "/p/soon", Some(at(48)), Some(at(24 * 20))),
                pin(2, "/p/ends", None, Some(at(5))),
                pin(3, "/p/open", None, None),
            ]),
        ),
        windowed(
            "home",
            "/p/2",
            json!([pin(1, "/p/first", Some(at(1)), None)]),
        ),
        windowed(
            "home",
            "/p/3",
            json!([pin(1, "/p/later", Some(at(24 * 10)), None)]),
        ),
    ]);
    let env = Env::for_emu(&emu, "");
    let run = env.run(&["agenda"]);
    run.ok();
    let lines = run.ndjson();
    let what: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["event"].as_str().expect("event"),
                l["pin_identity"].as_str().expect("pin"),
            )
        })
        .collect();
    // Default window: the next 7 days; in time order.
    assert_eq!(
        what,
        [
            ("starts", "/p/first"),
            ("ends", "/p/ends"),
            ("starts", "/p/soon")
        ]
    );
    let first = lines[0].as_object().expect("object");
    let keys: Vec<&str> = first.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "at",
            "event",
            "id",
            "model",
            "target_type",
            "target_identity",
            "position",
            "pin_type",
            "pin_identity",
            "widget_id"
        ]
    );
    assert_eq!(first["model"], "home");
    assert_eq!(first["target_identity"], "/p/2");
    assert_eq!(first["position"], 1);

    // --days widens the window; filters narrow it.
    let month = env.run(&["agenda", "--days", "30"]).ndjson();
    assert_eq!(month.len(), 5);
    let home = env
        .run(&["agenda", "--days", "30", "--model", "home"])
        .ndjson();
    assert_eq!(home.len(), 2);
    assert!(home.iter().all(|l| l["model"] == "home"));

    // --from / --to as the editor reads dates.
    let custom = env
        .run(&["agenda", "--from", "+2h", "--to", "+6h"])
        .ndjson();
    assert_eq!(custom.len(), 1);
    assert_eq!(custom[0]["pin_identity"], "/p/ends");

    // Bad windows are usage errors.
    env.run(&["agenda", "--from", "soon", "--to", "+1d"])
        .code(2)
        .stderr_has("--from");
    env.run(&["agenda", "--from", "+2d", "--to", "+1d"])
        .code(2)
        .stderr_has("empty");
    env.run(&["agenda", "--from", "+1d"]).code(2);
    env.run(&["agenda", "--days", "0"]).code(2);
}

#[test]
fn lint_prints_findings_and_exits_3_at_or_above_fail_on() {
    // Two customizations on one target (error), and one with an expired pin (info).
    let emu = Emu::with_rows(vec![
        item("basket", "/p/1", &[]),
        item("basket", "/p/1", &[]),
        windowed(
            "basket",
            "/p/2",
            json!([pin(1, "/x", None, None), pin(2, "/y", None, Some(at(-24)))]),
        ),
    ]);
    let env = Env::for_emu(&emu, "");
    let run = env.run(&["lint"]);
    run.code(3).stderr_has("1 finding at or above error");
    let findings = run.ndjson();
    let rules: Vec<&str> = findings
        .iter()
        .map(|f| f["rule"].as_str().expect("rule"))
        .collect();
    assert_eq!(rules, ["duplicate-target", "expired"]);
    let dup = findings[0].as_object().expect("object");
    assert_eq!(
        dup.keys().map(String::as_str).collect::<Vec<_>>(),
        ["rule", "severity", "ids", "message"]
    );
    assert_eq!(dup["severity"], "error");
    assert_eq!(dup["ids"].as_array().map(Vec::len), Some(2));
    assert_eq!(findings[1]["severity"], "info");

    // Filters keep the findings about what they select.
    let run = env.run(&["lint", "--target-identity", "/p/2"]);
    run.ok();
    assert_eq!(run.ndjson().len(), 1);
    // --fail-on info: the info finding fails the run.
    env.run(&["lint", "--target-identity", "/p/2", "--fail-on", "info"])
        .code(3);
    env.run(&["lint", "--target-identity", "/p/2", "--fail-on", "warning"])
        .ok();
    env.run(&["lint", "--fail-on", "fatal"]).code(2);
}

#[test]
fn lint_of_a_healthy_tracker_exits_0_and_prints_nothing() {
    let emu = Emu::with_rows(vec![
        item("basket", "/p/1", &[]),
        item("basket", "/p/2", &[]),
    ]);
    let env = Env::for_emu(&emu, "");
    let run = env.run(&["lint", "--fail-on", "info"]);
    run.ok();
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn create_refuses_a_stored_target_unless_allowed() {
    let emu = Emu::start();
    let env = Env::for_emu(&emu, "");
    let file = write_json(&env, "c.json", &item("basket", "/p/1", &[]));
    let first = env.run(&["create", path_str(&file)]);
    first.ok();
    let id = first.json()["id"].as_str().expect("id").to_string();

    let again = env.run(&["create", path_str(&file)]);
    again
        .code(3)
        .stderr_has(&id)
        .stderr_has("--allow-duplicate-target");
    assert!(again.stdout.is_empty());
    assert_eq!(emu.count(), 1);

    // Another model or identity is another target.
    let other = write_json(&env, "d.json", &item("home", "/p/1", &[]));
    env.run(&["create", path_str(&other)]).ok();
    assert_eq!(emu.count(), 2);

    // Criteria targets compare as objects, whatever the key order.
    let mut crit = item("basket", "/x", &[]);
    crit["target_type"] = json!("criteria");
    crit.as_object_mut()
        .expect("object")
        .remove("target_identity");
    crit["target_criteria"] = json!({"a": 1, "b": 2});
    env.run_stdin(&["create"], &crit.to_string()).ok();
    crit["target_criteria"] = json!({"b": 2, "a": 1});
    env.run_stdin(&["create"], &crit.to_string()).code(3);
    // A criteria object that only contains the stored one is another target.
    crit["target_criteria"] = json!({"a": 1});
    env.run_stdin(&["create"], &crit.to_string()).ok();

    env.run(&["create", path_str(&file), "--allow-duplicate-target"])
        .ok();
    assert_eq!(emu.count(), 5);
}

#[test]
fn agenda_and_lint_read_the_mirror_and_sync_when_asked() {
    let emu = Emu::with_rows(vec![item("basket", "/p/1", &[])]);
    let env = Env::for_emu(&emu, "");
    // The first run syncs the mirror (it never was).
    env.run(&["lint"]).ok();
    assert!(env.data.join("mirror.sqlite3").exists());
    // A second customization on the same target appears on the service behind pinscope's back.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = pinscope::api::Client::new(pinscope::api::ClientConfig::new(
        &emu.url,
        crate::harness::TRACKER,
        pinscope::api::Secret::new(crate::harness::KEY),
    ))
    .expect("client");
    let c = pinscope::api::Customization::from_value(item("basket", "/p/1", &[])).expect("object");
    rt.block_on(client.create(&c)).expect("created");
    // Read from the mirror: not seen yet.
    env.run(&["lint"]).ok();
    // --sync refreshes first: the duplicate is found.
    let run = env.run(&["lint", "--sync"]);
    run.code(3);
    assert_eq!(run.ndjson()[0]["rule"], "duplicate-target");
    // And stays found without --sync.
    env.run(&["lint"]).code(3);
}
