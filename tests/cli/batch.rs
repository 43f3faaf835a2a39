//! `pinscope batch`, `history` and `undo` against the emulator.

use serde_json::{Value, json};

use crate::harness::{Emu, Env, path_str};

fn id(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn row(n: usize, model: &str, tags: &[&str]) -> Value {
    json!({
        "id": id(n),
        "created_at": "2026-01-01T00:00:00Z",
        "model": model,
        "target_type": "item",
        "target_identity": format!("/p/{n}"),
        "x_unknown": {"b": 1, "a": 2},
        "tags": tags,
        "pin_definitions": [
            {"position": 1, "pin_type": "item", "pin_identity": "/p/500",
             "active_to": "2030-01-01T00:00:00Z"},
            {"position": 2, "pin_type": "item", "pin_identity": "/p/501",
             "active_from": "2020-01-01T00:00:00Z", "active_to": "2020-02-01T00:00:00Z"}
        ]
    })
}

fn rows() -> Vec<Value> {
    vec![
        row(1, "basket", &["summer"]),
        row(2, "basket", &["winter"]),
        row(3, "home", &["summer"]),
    ]
}

/// Every customization as the service holds it, by id, without `available`.
fn state(env: &Env) -> Vec<Value> {
    let mut v = env.run(&["list", "--all"]).ok().ndjson();
    for c in &mut v {
        if let Some(m) = c.as_object_mut() {
            m.shift_remove("available");
        }
    }
    v.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    v
}

#[test]
fn batch_plans_applies_records_and_undoes() {
    let emu = Emu::with_rows(rows());
    let env = Env::for_emu(&emu, "");
    let original = state(&env);

    // The plan: one line per selected customization, nothing sent.
    let plan = env.run(&[
        "batch",
        "--tag",
        "summer",
        "--add-tag",
        "sale",
        "--shift-to",
        "+7d",
        "--pin-position",
        "1",
        "--dry-run",
    ]);
    plan.ok()
        .stderr_has("plan: 2 customizations: 2 to update (2 pins changed)");
    let lines = plan.ndjson();
    assert_eq!(lines.len(), 2);
    let first = lines
        .iter()
        .find(|l| l["id"] == id(1).as_str())
        .expect("line for 1");
    assert_eq!(first["action"], "update");
    assert_eq!(
        first["changes"],
        json!([
            {"path": "tags[1]", "new": "sale"},
            {"path": "pin_definitions[0].active_to", "old": "2030-01-01T00:00:00Z", "new": "2030-01-08T00:00:00Z"}
        ])
    );
    assert_eq!(state(&env), original);
    env.run(&["history"]).ok();
    assert!(env.run(&["history"]).stdout.is_empty());

    // Without --yes and without a terminal: refused, nothing sent.
    env.run(&["batch", "--tag", "summer", "--add-tag", "sale"])
        .code(2)
        .stderr_has("--yes");
    assert_eq!(state(&env), original);

    // Applied, with a report file.
    let report = env.path("report.ndjson");
    env.run(&[
        "batch",
        "--tag",
        "summer",
        "--add-tag",
        "sale",
        "--remove-expired-pins",
        "--yes",
        "--report",
        path_str(&report),
    ])
    .ok()
    .stderr_has("2 updated");
    let lines: Vec<Value> = std::fs::read_to_string(&report)
        .expect("report")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["outcome"] == "updated"));
    let after = state(&env);
    assert_eq!(after[0]["tags"], json!(["summer", "sale"]));
    assert_eq!(
        after[0]["pin_definitions"].as_array().map(Vec::len),
        Some(1)
    );
    // Unknown fields and their key order went through.
    assert_eq!(
        serde_json::to_string(&after[0]["x_unknown"]).expect("json"),
        r#"{"b":1,"a":2}"#
    );
    assert_eq!(after[1], original[1]);

    // The history (a new process each time: it is on disk).
    let ops = env.run(&["history"]).ok().ndjson();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0]["kind"], "batch");
    assert_eq!(ops[0]["count"], 2);
    assert_eq!(ops[0]["summary"], "add tag sale, remove expired pins");
    assert!(ops[0]["at"].is_string());
    let op = ops[0]["id"].as_i64().expect("id");

    // The undo plan, then the undo: every object back, whole.
    let dry = env.run(&["undo", "--last", "--dry-run"]).ok().ndjson();
    assert_eq!(dry.len(), 2);
    assert!(dry.iter().all(|l| l["current"] == "as_recorded"), "{dry:?}");
    assert_eq!(state(&env), after);
    env.run(&["undo", &op.to_string()])
        .code(2)
        .stderr_has("--yes");
    env.run(&["undo", &op.to_string(), "--yes"])
        .ok()
        .stderr_has("2 updated");
    assert_eq!(state(&env), original);

    // The undo is in the history and can itself be undone.
    let ops = env.run(&["history", "--limit", "1"]).ok().ndjson();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0]["kind"], "undo");
    env.run(&["undo", "--last", "--yes"]).ok();
    assert_eq!(state(&env), after);
    assert_eq!(env.run(&["history"]).ok().ndjson().len(), 3);

    // The service holds the first batch's after images again; after a change by hand to
    // one of them, undoing that batch skips it (exit 4) and keeps the newer version.
    let mut by_hand = after[0].clone();
    by_hand["tags"] = json!(["by-hand"]);
    env.run_stdin(&["update", &id(1), "-"], &by_hand.to_string())
        .ok();
    env.run(&["undo", &op.to_string(), "--yes"])
        .code(4)
        .stderr_has("1 changed_on_server");
    let now = state(&env);
    assert_eq!(now[0]["tags"], json!(["by-hand"]));
    assert_eq!(now[2], original[2]);

    // `--force` says otherwise: what changed since is overwritten with the before image.
    let dry = env
        .run(&["undo", &op.to_string(), "--dry-run"])
        .ok()
        .ndjson();
    assert_eq!(dry[0]["current"], "changed_on_server");
    env.run(&["undo", &op.to_string(), "--yes", "--force"])
        .ok()
        .stderr_has("overwritten: --force");
    assert_eq!(state(&env), original);
}

#[test]
fn batch_by_ids_and_invalid_results_exit_4() {
    let emu = Emu::with_rows(rows());
    let env = Env::for_emu(&emu, "");
    let original = state(&env);
    // An end before the pin's start makes the second pin invalid: shown, never sent.
    let ids = format!("{}\n# a comment\n\n{{\"id\": \"{}\"}}\n", id(1), id(3));
    let r = env.run_stdin(
        &[
            "batch",
            "--ids",
            "-",
            "--set-active-to",
            "2019-01-01",
            "--pin-position",
            "2",
            "--dry-run",
        ],
        &ids,
    );
    r.ok().stderr_has("2 invalid (not sent)");
    let lines = r.ndjson();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["action"] == "invalid"));
    assert!(
        lines[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("pin_definitions[1]")),
        "{lines:?}"
    );
    let r = env.run_stdin(
        &[
            "batch",
            "--ids",
            "-",
            "--set-active-to",
            "2019-01-01",
            "--pin-position",
            "2",
            "--yes",
        ],
        &ids,
    );
    r.code(4);
    assert!(r.ndjson().iter().all(|l| l["outcome"] == "failed"));
    assert_eq!(state(&env), original);

    // Usage errors: no operation, a bad date, delete with others.
    env.run(&["batch", "--tag", "summer"])
        .code(2)
        .stderr_has("no operation");
    env.run(&["batch", "--set-active-to", "soon", "--dry-run"])
        .code(2)
        .stderr_has("--set-active-to");
    env.run(&["batch", "--delete", "--add-tag", "x", "--dry-run"])
        .code(2)
        .stderr_has("--delete cannot be combined");
}

#[test]
fn delete_and_its_undo_create_it_again() {
    let emu = Emu::with_rows(rows());
    let env = Env::for_emu(&emu, "");
    let original = state(&env);
    env.run(&["delete", &id(2), "--yes"]).ok();
    assert_eq!(emu.count(), 2);
    let ops = env.run(&["history"]).ok().ndjson();
    assert_eq!(ops[0]["kind"], "delete");
    let dry = env.run(&["undo", "--last", "--dry-run"]).ok().ndjson();
    assert_eq!(dry[0]["action"], "create");
    assert_eq!(dry[0]["note"], "created again with a new id");
    let r = env.run(&["undo", "--last", "--yes"]);
    r.ok().stderr_has("1 created");
    let line = &r.ndjson()[0];
    let new_id = line["new_id"].as_str().expect("new id");
    assert_ne!(new_id, id(2));
    let again = env.run(&["get", new_id]).ok().json();
    for k in [
        "model",
        "target_identity",
        "tags",
        "pin_definitions",
        "x_unknown",
    ] {
        assert_eq!(again[k], original[1][k], "{k}");
    }

    // A batch delete, a create and an update are recorded too.
    env.run(&["batch", "--model", "home", "--delete", "--yes"])
        .ok()
        .stderr_has("1 deleted");
    let kinds: Vec<Value> = env
        .run(&["history"])
        .ok()
        .ndjson()
        .iter()
        .map(|o| o["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!("batch"), json!("undo"), json!("delete")]);
}

#[test]
fn read_only_profiles_refuse_and_production_wants_the_count() {
    let emu = Emu::with_rows(rows());
    let env = Env::for_emu(&emu, "read_only = true");
    // The plan is a read: allowed.
    env.run(&["batch", "--add-tag", "x", "--dry-run"]).ok();
    env.run(&["batch", "--add-tag", "x", "--yes"])
        .code(2)
        .stderr_has("read-only");
    env.run(&["undo", "--last", "--yes"])
        .code(2)
        .stderr_has("read-only");

    let env = Env::for_emu(&emu, "production = true");
    // On a terminal, a production profile wants the number typed.
    if let Some(r) = env.run_tty(&["batch", "--model", "basket", "--add-tag", "x"], "2\n") {
        assert_eq!(r.code, 0, "{}", r.stdout);
        assert!(r.stdout.contains("type the number"), "{}", r.stdout);
        assert!(r.stdout.contains("2 updated"), "{}", r.stdout);
    }
    if let Some(r) = env.run_tty(&["batch", "--model", "basket", "--add-tag", "y"], "y\n") {
        assert_eq!(r.code, 2, "{}", r.stdout);
        assert!(r.stdout.contains("nothing was sent"), "{}", r.stdout);
    }
}

#[test]
fn undo_of_an_import_deletes_what_it_created_and_restores_what_it_replaced() {
    let emu = Emu::with_rows(rows());
    let env = Env::for_emu(&emu, "");
    let original = state(&env);
    let mut replacing = row(1, "basket", &["imported"]);
    if let Some(m) = replacing.as_object_mut() {
        m.shift_remove("id");
        m.shift_remove("created_at");
    }
    let mut new = row(99, "basket", &["new"]);
    if let Some(m) = new.as_object_mut() {
        m.shift_remove("id");
        m.shift_remove("created_at");
    }
    let file = env.write("in.ndjson", &format!("{replacing}\n{new}\n"));
    env.run(&["import", path_str(&file), "--conflict-strategy", "override"])
        .ok();
    let after = state(&env);
    assert_eq!(after.len(), 4);
    assert_eq!(after[0]["tags"], json!(["imported"]));

    let ops = env.run(&["history"]).ok().ndjson();
    assert_eq!(ops[0]["kind"], "import");
    assert_eq!(ops[0]["count"], 2);
    let dry = env.run(&["undo", "--last", "--dry-run"]).ok().ndjson();
    let actions: Vec<&str> = dry.iter().filter_map(|l| l["action"].as_str()).collect();
    assert!(
        actions.contains(&"update") && actions.contains(&"delete"),
        "{dry:?}"
    );

    env.run(&["undo", "--last", "--yes"])
        .ok()
        .stderr_has("1 updated, 1 deleted");
    assert_eq!(state(&env), original);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn lib_client(emu: &Emu) -> pinscope::api::Client {
    use pinscope::api::{Client, ClientConfig, Secret};
    Client::new(ClientConfig::new(
        &emu.url,
        crate::harness::TRACKER,
        Secret::new(crate::harness::KEY),
    ))
    .expect("client")
}

/// Syncs the mirror in `env`'s data dir from the emulator, as `pinscope sync` would.
fn sync_mirror(env: &Env, emu: &Emu) {
    use pinscope::mirror::{Mirror, Scope};
    runtime().block_on(async {
        let client = lib_client(emu);
        let m = Mirror::open(
            &env.data.join(pinscope::mirror::FILE_NAME),
            &Scope::new(&emu.url, crate::harness::TRACKER),
        )
        .expect("mirror");
        let (_, r) = pinscope::mirror::sync::sync_from_client(m, &client, |_| {}).await;
        r.expect("synced");
    });
}

#[test]
fn selection_from_the_mirror_skips_what_changed_on_the_service_since_the_sync() {
    let emu = Emu::with_rows(rows());
    let env = Env::for_emu(&emu, "");
    sync_mirror(&env, &emu);
    // Changed on the service after the sync, by someone else (a write through pinscope
    // would have brought the mirror up to date).
    let mut newer = state(&env)[0].clone();
    newer["tags"] = json!(["summer", "changed-elsewhere"]);
    let newer = pinscope::api::Customization::from_value(newer).expect("object");
    runtime()
        .block_on(lib_client(&emu).update(&id(1), &newer))
        .expect("update");

    // The mirror's full-text search selects; the plan is made from the mirror's version.
    let plan = env.run(&[
        "batch",
        "--search",
        "summer",
        "--add-tag",
        "sale",
        "--dry-run",
    ]);
    plan.ok().stderr_has("selected from the mirror");
    assert_eq!(plan.ndjson().len(), 2);

    let r = env.run(&["batch", "--search", "summer", "--add-tag", "sale", "--yes"]);
    r.code(4).stderr_has("1 updated, 1 changed_on_server");
    let lines = r.ndjson();
    let skipped = lines
        .iter()
        .find(|l| l["id"] == id(1).as_str())
        .expect("line for 1");
    assert_eq!(skipped["outcome"], "changed_on_server");
    let now = state(&env);
    assert_eq!(now[0]["tags"], json!(["summer", "changed-elsewhere"]));
    assert_eq!(now[2]["tags"], json!(["summer", "sale"]));
    // The mirror follows the writes pinscope made.
    let m = pinscope::mirror::Mirror::open(
        &env.data.join(pinscope::mirror::FILE_NAME),
        &pinscope::mirror::Scope::new(&emu.url, crate::harness::TRACKER),
    )
    .expect("mirror");
    let row = m.get(&id(3)).expect("get").expect("row");
    assert_eq!(row.tags, ["summer", "sale"]);
}
