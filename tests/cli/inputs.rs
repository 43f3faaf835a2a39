//! Bad input files: nothing is sent, every problem is named by file, line and field.

use serde_json::json;

use crate::harness::{Emu, Env, item, path_str, write_json};

#[test]
fn create_validates_first_and_sends_nothing() {
    let emu = Emu::start();
    let env = Env::for_emu(&emu, "");

    let mut bad = item("basket", "/p/1", &[]);
    bad["pin_definitions"] = json!([
        {"position": 1, "pin_type": "item", "pin_identity": "/a"},
        {"pin_type": "item", "pin_identity": "/b", "active_from": "tomorrow"}
    ]);
    bad["target_type"] = json!("everything");
    let file = write_json(&env, "bad.json", &bad);
    let name = path_str(&file);
    let r = env.run(&["create", name]);
    r.code(3)
        .stderr_has(&format!(
            "{name}:3: target_type: Must be one of: item, criteria, all"
        ))
        .stderr_has(&format!(
            "{name}:12: pin_definitions[1].position: Missing required field: position"
        ))
        .stderr_has(&format!(
            "{name}:15: pin_definitions[1].active_from: Must be an RFC 3339"
        ))
        .stderr_has("3 fields break the API's rules; nothing was sent");
    assert!(r.stdout.is_empty());
    assert_eq!(emu.count(), 0);

    // Not JSON.
    let file = env.write(
        "broken.json",
        "{\n  \"model\": \"basket\",\n  \"target_type\": item\n}\n",
    );
    env.run(&["create", path_str(&file)])
        .code(3)
        .stderr_has(&format!("{}:3:", path_str(&file)))
        .stderr_has("invalid JSON");
    // Several objects: that is an import.
    let two = format!("{}\n{}\n", item("a", "/1", &[]), item("a", "/2", &[]));
    env.run_stdin(&["create", "-"], &two)
        .code(3)
        .stderr_has("pinscope import");
    // Empty stdin.
    env.run_stdin(&["create"], "").code(3).stderr_has("empty");
    // Not UTF-8.
    let file = env.path("latin1.json");
    std::fs::write(&file, b"{\"model\": \"caf\xe9\"}").expect("write");
    env.run(&["create", path_str(&file)])
        .code(3)
        .stderr_has("not UTF-8");
    // A file that is not there: usage.
    env.run(&["create", "nope.json"])
        .code(2)
        .stderr_has("cannot read nope.json");
    assert_eq!(emu.count(), 0);

    // update validates too, and sends nothing.
    let good = env.run_stdin(&["create"], &item("basket", "/p/1", &[]).to_string());
    good.ok();
    let id = good.json()["id"].as_str().expect("id").to_string();
    let mut broken = good.json();
    broken["pin_definitions"][0]["position"] = json!(-7);
    let r = env.run_stdin(&["update", &id, "-"], &broken.to_string());
    r.code(3)
        .stderr_has("<stdin>:1: pin_definitions[0].position: Must be -1");
    assert_eq!(
        env.run(&["get", &id]).json()["pin_definitions"][0]["position"],
        1
    );
}

#[test]
fn validate_reports_every_bad_line_of_ndjson() {
    let env = Env::new();
    let good = item("basket", "/p/1", &[]).to_string();
    let mut no_model = item("basket", "/p/2", &[]);
    no_model.as_object_mut().expect("object").remove("model");
    let mut block = item("basket", "/p/3", &[]);
    block["pin_definitions"][0]["position"] = json!(0);
    let text = format!("{good}\n{no_model}\n\n{block}\r\n{{\"model\": \n[]\n{good}\n");
    let file = env.write("in.ndjson", &text);
    let name = path_str(&file);
    let r = env.run(&["validate", name]);
    r.code(3);
    assert_eq!(
        r.stderr.lines().collect::<Vec<_>>(),
        [
            format!("{name}:2: model: Missing required field: model"),
            format!(
                "{name}:4: pin_definitions[0].is_block_pin: Must be true when position is 0 (block)"
            ),
            format!("{name}:5: invalid JSON at column 10: EOF while parsing a value"),
            format!("{name}:6: Must be a JSON object"),
            format!("error: {name}: 4 of 6 lines are invalid"),
        ]
    );
    // No config is needed, and nothing is written to stdout.
    assert!(r.stdout.is_empty());

    let file = env.write("ok.ndjson", &format!("{good}\n{good}\n"));
    env.run(&["validate", path_str(&file)])
        .ok()
        .stderr_has("2 customizations, all valid");
    env.run_stdin(&["validate", "-"], &good)
        .ok()
        .stderr_has("<stdin>: 1 customization, all valid");
    env.run_stdin(&["validate", "-"], "\n\n")
        .code(3)
        .stderr_has("no customization");
    env.run(&["validate", "missing.ndjson"]).code(2);
    env.run(&["validate"]).code(2);
}

#[test]
fn validate_expects_ndjson_and_says_so_for_an_array() {
    let env = Env::new();
    let arr = json!([item("a", "/1", &[]), {"model": "b"}]);
    let file = write_json(&env, "arr.json", &arr);
    let name = path_str(&file);
    let r = env.run(&["validate", name]);
    r.code(3)
        .stderr_has(&format!("{name}:1: invalid JSON"))
        .stderr_has(&format!(
            "hint: {name} looks like a JSON array: one customization a line (NDJSON) is expected"
        ));
    // The same file given to import gets the same hint, and nothing is sent.
    env.run(&["import", name, "--dry-run"])
        .code(3)
        .stderr_has("(NDJSON) is expected");
}
