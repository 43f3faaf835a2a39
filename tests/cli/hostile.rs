//! The binary against a server that misbehaves on purpose: escape sequences in its text, no
//! answer at all, endless 429s with a `Retry-After` of thirty years, pages that lie; and a
//! key command that hangs.

#[path = "../common/hostile.rs"]
mod server;

use serde_json::json;
use server::{Hostile, Reply, Request};

use crate::harness::{Env, Run, TRACKER, path_str};

const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
const HOSTILE_REASON: &str =
    "Customization not found\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}]52;c;aGVsbG8=\u{7}\u{9b}1m";

/// Runs the binary on an ad hoc session against `h`.
fn run(env: &Env, h: &Hostile, args: &[&str]) -> Run {
    let mut all: Vec<&str> = args.to_vec();
    let url = h.url();
    all.extend(["--host", &url, "--tracker-id", TRACKER]);
    Run::from(
        env.cmd()
            .env("PINSCOPE_PRIVATE_KEY", "k")
            .args(&all)
            .output()
            .expect("runs"),
    )
}

fn no_controls(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() && c != '\n')
}

#[test]
fn server_text_reaches_stderr_without_escape_sequences() {
    let env = Env::new();
    let h = Hostile::always(Reply::json(
        404,
        &json!({"reason": HOSTILE_REASON, "exception_details": {"id": ["no\u{1b}[31m such"]}}),
    ));
    let r = run(&env, &h, &["get", ID]);
    r.code(1)
        .stderr_has("404 Customization not found]0;pwned[2J]52;c;aGVsbG8=1m");
    assert!(no_controls(&r.stderr), "{:?}", r.stderr);
}

#[test]
fn json_to_a_pipe_stays_exact_and_to_a_terminal_loses_its_controls() {
    let env = Env::new();
    let title = "Shoes\u{1b}]0;pwned\u{7}\u{9b}2J\u{7f}";
    let h = Hostile::always(Reply::json(
        200,
        &json!({"id": ID, "model": "m", "target_type": "all", "pin_definitions": [],
                "target_metadata": {"title": title}}),
    ));
    let r = run(&env, &h, &["get", ID]);
    r.ok();
    assert_eq!(r.json()["target_metadata"]["title"], title);
    assert!(r.stdout.contains('\u{9b}'), "a pipe gets the exact text");

    env.write_config(&format!(
        "[profiles.h]\nhost = \"{}\"\ntracker_id = \"{TRACKER}\"\nprivate_key_env = \"TEST_KEY\"\n",
        h.url()
    ));
    let Some(r) = env.run_tty(&["get", ID], "") else {
        return;
    };
    assert!(
        !r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{9b}'),
        "{:?}",
        r.stdout
    );
    assert!(r.stdout.contains("\\u009b2J"), "{}", r.stdout);
}

#[test]
fn a_server_that_never_answers_meets_the_time_limit() {
    let env = Env::new();
    let h = Hostile::always(Reply::Silent);
    let r = run(&env, &h, &["get", ID, "--timeout", "2"]);
    r.code(1).stderr_has("the time limit of 2s ran out");
    assert_eq!(h.count(), 1);
}

#[test]
fn an_import_against_endless_429s_stops_at_the_time_limit_with_the_resume_command() {
    let env = Env::new();
    let h = Hostile::start(|r: &Request| {
        if r.path().ends_with("/summary") {
            return Reply::json(200, &json!({"scope_counts": {}, "user_tags": []}));
        }
        Reply::json(429, &json!({"reason": "Too many requests"}))
            .with_header("Retry-After", "1000000000")
    });
    let lines: Vec<String> = (0..10)
        .map(|i| {
            json!({"model": "m", "target_type": "item", "target_identity": format!("/p/{i}"),
                   "pin_definitions": []})
            .to_string()
        })
        .collect();
    let file = env.write("in.ndjson", &(lines.join("\n") + "\n"));
    let report = env.path("report.ndjson");
    let r = run(
        &env,
        &h,
        &[
            "import",
            path_str(&file),
            "--report",
            path_str(&report),
            "--timeout",
            "3s",
        ],
    );
    r.code(1)
        .stderr_has("the time limit of 3s ran out")
        .stderr_has("to continue: pinscope import ")
        .stderr_has(" --resume");
    // Retry-After is capped, and the cap is more than the time left: one try, no waiting.
    let bulk = h
        .requests()
        .iter()
        .filter(|r| r.path().ends_with("/_bulk"))
        .count();
    assert_eq!(bulk, 1, "{:?}", h.requests());
    // The printed command is the one that resumes.
    let cmd = r
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("to continue: "))
        .expect("resume line");
    assert!(
        cmd.contains(&format!("--report {}", path_str(&report))),
        "{cmd}"
    );
}

#[test]
fn list_all_against_a_server_that_ignores_the_offset_stops() {
    let env = Env::new();
    let h = Hostile::start(|_: &Request| {
        let rows: Vec<_> = (0..1000)
            .map(|i| {
                json!({"id": format!("id-{i}"), "model": "m", "target_type": "all",
                            "pin_definitions": []})
            })
            .collect();
        Reply::json(
            200,
            &json!({"pagination": {"total": 1_000_000}, "results": rows}),
        )
    });
    let r = run(&env, &h, &["list", "--all"]);
    r.code(4).stderr_has("only repeats rows already received");
    assert_eq!(r.ndjson().len(), 1000);
    assert_eq!(h.count(), 2);
}

#[test]
fn a_key_command_that_hangs_is_stopped() {
    let env = Env::new();
    env.write_config(&format!(
        "[profiles.p]\nhost = \"http://127.0.0.1:9\"\ntracker_id = \"{TRACKER}\"\n\
         private_key_cmd = [\"sleep\", \"100\"]\nprivate_key_cmd_timeout_secs = 1\n"
    ));
    let r = Run::from(env.cmd().args(["get", ID]).output().expect("runs"));
    r.code(2)
        .stderr_has("key command `sleep 100` did not finish within 1s");
}
