//! The private key never appears on stdout, on stderr or in the log, whatever fails.

use pinscope::emulator::Faults;

use crate::harness::{Emu, Env, Run, TRACKER, item, path_str, write_json};

/// A key nobody could print by accident.
const SENTINEL: &str = "SENTINEL-KEY-7c1e9b2a-do-not-print";

struct Checked {
    runs: usize,
    log_bytes: usize,
}

/// Runs the binary with `args` (and stdin), the log at trace level into `log`, and checks
/// that the sentinel appears nowhere.
fn check(
    env: &Env,
    log: &std::path::Path,
    args: &[&str],
    stdin: Option<&str>,
    extra_env: &[(&str, &str)],
    seen: &mut Checked,
) -> Run {
    let mut c = env.cmd();
    c.args(args)
        .arg("--log-file")
        .arg(log)
        .env("PINSCOPE_LOG", "trace")
        .env("TEST_KEY", SENTINEL);
    for (k, v) in extra_env {
        c.env(k, v);
    }
    if let Some(s) = stdin {
        c.write_stdin(s.to_string());
    }
    let r = Run::from(c.output().expect("runs"));
    for (what, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        assert!(
            !text.contains(SENTINEL),
            "the key leaked on {what} of {args:?}:\n{text}"
        );
    }
    let logged = std::fs::read_to_string(log).unwrap_or_default();
    assert!(
        !logged.contains(SENTINEL),
        "the key leaked into the log after {args:?}"
    );
    seen.runs += 1;
    seen.log_bytes = logged.len();
    r
}

#[test]
fn the_key_never_appears_whatever_fails() {
    // The emulator holds the sentinel, so the happy paths use it for real.
    let emu = Emu::with(SENTINEL, vec![item("basket", "/p/1", &["sale"])]);
    let env = Env::for_emu(&emu, "retries = 1");
    let log = env.path("trace.log");
    let mut seen = Checked {
        runs: 0,
        log_bytes: 0,
    };

    // Successes.
    let id = check(&env, &log, &["list"], None, &[], &mut seen).ndjson()[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let file = write_json(&env, "c.json", &item("home", "/p/2", &[]));
    let created = check(
        &env,
        &log,
        &["create", path_str(&file)],
        None,
        &[],
        &mut seen,
    );
    created.ok();
    let new_id = created.json()["id"].as_str().expect("id").to_string();
    check(&env, &log, &["get", &id], None, &[], &mut seen).ok();
    check(
        &env,
        &log,
        &["update", &new_id, path_str(&file), "--diff"],
        None,
        &[],
        &mut seen,
    )
    .ok();
    check(&env, &log, &["summary"], None, &[], &mut seen).ok();
    check(&env, &log, &["export"], None, &[], &mut seen).ok();
    check(
        &env,
        &log,
        &["delete", &new_id, "--yes"],
        None,
        &[],
        &mut seen,
    )
    .ok();
    check(&env, &log, &["config", "check"], None, &[], &mut seen).ok();

    // API failures: 404, and a 401 from a tracker whose key differs (the sentinel is sent,
    // signed, and must not be echoed in the explanation).
    check(&env, &log, &["get", &new_id], None, &[], &mut seen).code(1);
    let other = Emu::with("another-key", Vec::new());
    let env401 = Env::for_emu(&other, "");
    check(&env401, &log, &["summary"], None, &[], &mut seen)
        .code(1)
        .stderr_has("401");
    check(
        &env401,
        &log,
        &["create", path_str(&file)],
        None,
        &[],
        &mut seen,
    )
    .code(1);
    // Ad hoc with the key in PINSCOPE_PRIVATE_KEY, against the wrong tracker key.
    check(
        &Env::new(),
        &log,
        &["--host", &other.url, "--tracker-id", TRACKER, "list"],
        None,
        &[("PINSCOPE_PRIVATE_KEY", SENTINEL)],
        &mut seen,
    )
    .code(1);

    // Faults: 503 retried, a dropped connection, a 429.
    emu.set_faults(Faults {
        unavailable: 1.0,
        ..Faults::none()
    });
    check(&env, &log, &["summary"], None, &[], &mut seen).code(1);
    emu.set_faults(Faults {
        drop: 1.0,
        ..Faults::none()
    });
    check(
        &env,
        &log,
        &["create", path_str(&file)],
        None,
        &[],
        &mut seen,
    )
    .code(1);
    check(&env, &log, &["list", "--all"], None, &[], &mut seen).code(1);
    emu.set_faults(Faults::none());

    // Nobody listening.
    let closed = Env::new();
    closed.write_config(
        "[profiles.x]\nhost = \"http://127.0.0.1:9\"\ntracker_id = \"1234-5678\"\nprivate_key_env = \"TEST_KEY\"\nretries = 0\n",
    );
    check(&closed, &log, &["summary"], None, &[], &mut seen).code(1);

    // Local failures: invalid input, read-only, refusing a delete, usage errors.
    check(
        &env,
        &log,
        &["create", "-"],
        Some("{\"model\": 1}"),
        &[],
        &mut seen,
    )
    .code(3);
    check(&env, &log, &["delete", &id], None, &[], &mut seen).code(2);
    check(&env, &log, &["list", "--limit", "0"], None, &[], &mut seen).code(2);
    let ro = Env::for_emu(&emu, "read_only = true");
    check(&ro, &log, &["delete", &id, "--yes"], None, &[], &mut seen).code(2);

    // Config trouble around a key written in the file: the value must not be quoted back.
    let inline = Env::new();
    for text in [
        format!("[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key = \"{SENTINEL}\nhost = 1\n"),
        format!("[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key = {SENTINEL}\n"),
        format!("[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key = [\"{SENTINEL}\"]\n"),
        format!(
            "[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key = \"{SENTINEL}\"\nprivate_key_env = \"TEST_KEY\"\n"
        ),
        format!(
            "[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key = \"{SENTINEL}\"\nhost = \"http://example.com\"\n"
        ),
        format!(
            "[profiles.a]\ntracker_id = \"1234-5678\"\nprivate_key = \"{SENTINEL}\"\nunknown = \"{SENTINEL}\"\n"
        ),
    ] {
        inline.write_config(&text);
        check(&inline, &log, &["summary"], None, &[], &mut seen).code(2);
        check(&inline, &log, &["config", "check"], None, &[], &mut seen).code(2);
    }
    // A key in the file that works, against the closed port.
    inline.write_config(&format!(
        "[profiles.a]\nhost = \"http://127.0.0.1:9\"\ntracker_id = \"1234-5678\"\nprivate_key = \"{SENTINEL}\"\nretries = 0\n"
    ));
    check(&inline, &log, &["summary"], None, &[], &mut seen).code(1);
    check(&inline, &log, &["config", "check"], None, &[], &mut seen).ok();

    // Key commands and files that fail or work.
    let keys = Env::new();
    let key_file = keys.write("k.key", &format!("{SENTINEL}\n"));
    keys.write_config(&format!(
        "[profiles.cmd]\nhost = \"{u}\"\ntracker_id = \"{TRACKER}\"\nprivate_key_cmd = [\"sh\", \"-c\", \"printf %s \\\"$TEST_KEY\\\"\"]\n\
         [profiles.cmdfail]\nhost = \"{u}\"\ntracker_id = \"{TRACKER}\"\nprivate_key_cmd = [\"sh\", \"-c\", \"printf %s \\\"$TEST_KEY\\\"; exit 1\"]\n\
         [profiles.file]\nhost = \"{u}\"\ntracker_id = \"{TRACKER}\"\nprivate_key_file = \"{f}\"\n",
        u = emu.url,
        f = path_str(&key_file),
    ));
    for p in ["cmd", "file"] {
        check(
            &keys,
            &log,
            &["summary", "--profile", p],
            None,
            &[],
            &mut seen,
        )
        .ok();
    }
    check(
        &keys,
        &log,
        &["summary", "--profile", "cmdfail"],
        None,
        &[],
        &mut seen,
    )
    .code(2)
    .stderr_has("failed");
    check(&keys, &log, &["config", "check"], None, &[], &mut seen).code(2);

    // The log was written to (so its check means something), at trace level.
    assert!(seen.runs >= 35, "{}", seen.runs);
    assert!(seen.log_bytes > 10_000, "log only {} bytes", seen.log_bytes);
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(logged.contains("profile chosen"));
    assert!(logged.contains("TRACE") || logged.contains("DEBUG"));
    // The default log (in the data dir) was not used when --log-file was given.
    assert!(env.log().is_empty());
}

#[test]
fn the_default_log_is_in_the_data_dir() {
    let emu = Emu::start();
    let env = Env::for_emu(&emu, "");
    env.run(&["summary"]).ok();
    let log = env.log();
    assert!(log.contains("pinscope started"), "{log}");
    assert!(log.contains("profile chosen"), "{log}");
    // Nothing of the log reaches the terminal.
    let r = env.run(&["get", "00000000-0000-4000-8000-000000000000"]);
    r.code(1);
    assert!(
        !r.stderr.contains("INFO") && !r.stderr.contains("WARN"),
        "{}",
        r.stderr
    );
    // An explicit log file that cannot be opened is a usage error.
    let file = env.write("a-file", "");
    env.run(&[
        "summary",
        "--log-file",
        &format!("{}/x.log", path_str(&file)),
    ])
    .code(2)
    .stderr_has("cannot open the log file");
}
