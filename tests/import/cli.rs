//! `pinscope import` and `pinscope copy` as a user runs them: messages and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use pinscope::api::ExportQuery;
use pinscope::emulator::Running;
use serde_json::{Value, json};

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_pinscope");

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("dir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A config with profiles `a` and `b` (the emulator's two trackers) and a read-only `ro`.
    fn config(&self, r: &Running) -> PathBuf {
        let url = r.url();
        let text = format!(
            "[profiles.a]\nhost = \"{url}\"\ntracker_id = \"{TRACKER}\"\nprivate_key_env = \"PINSCOPE_TEST_KEY_A\"\n\n\
             [profiles.b]\nhost = \"{url}\"\ntracker_id = \"{OTHER_TRACKER}\"\nprivate_key_env = \"PINSCOPE_TEST_KEY_B\"\n\n\
             [profiles.ro]\nhost = \"{url}\"\ntracker_id = \"{TRACKER}\"\nprivate_key_env = \"PINSCOPE_TEST_KEY_A\"\nread_only = true\n\n\
             [profiles.prod]\nhost = \"{url}\"\ntracker_id = \"{OTHER_TRACKER}\"\nprivate_key_env = \"PINSCOPE_TEST_KEY_B\"\nproduction = true\n"
        );
        let p = self.path("config.toml");
        std::fs::write(&p, text).expect("config");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        p
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .current_dir(self.dir.path())
            .env("PINSCOPE_CONFIG", self.path("config.toml"))
            .env("PINSCOPE_DATA_DIR", self.path("data"))
            .env("PINSCOPE_TEST_KEY_A", KEY)
            .env("PINSCOPE_TEST_KEY_B", OTHER_KEY)
            .env_remove("PINSCOPE_PROFILE")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let out: Output = self.cmd(args).output().expect("run pinscope");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

fn bad_file(dir: &Path) -> PathBuf {
    let mut text = Vec::new();
    text.extend_from_slice(item("m", "ok-1", "v").to_string().as_bytes());
    text.extend_from_slice(b"\n{\"model\": \"m\",\n");
    text.extend_from_slice(
        json!({"model": "m", "target_type": "item", "target_identity": "x",
               "pin_definitions": [{"pin_type": "item", "pin_identity": "p"}]})
        .to_string()
        .as_bytes(),
    );
    text.extend_from_slice(b"\r\n\n");
    let mut long = br#"{"model":""#.to_vec();
    long.resize(long.len() + (1 << 20), b'x');
    long.extend_from_slice(b"\"}\n");
    text.extend_from_slice(&long);
    text.extend_from_slice(item("m", "ok-2", "v").to_string().as_bytes());
    text.push(b'\n');
    write(dir, "bad.ndjson", text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_lines_are_named_and_nothing_is_sent() {
    let r = emulator(vec![]).await;
    let env = Env::new();
    env.config(&r);
    bad_file(env.dir.path());
    let (code, _, err) = env.run(&["--profile", "a", "import", "bad.ndjson"]);
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("bad.ndjson:2: invalid JSON at column 14: EOF while parsing a value"),
        "{err}"
    );
    assert!(
        err.contains("bad.ndjson:3: pin_definitions[0].position: Missing required field: position"),
        "{err}"
    );
    assert!(
        err.contains("bad.ndjson:5: line is longer than 1 MiB (1048588 bytes)"),
        "{err}"
    );
    assert!(err.contains("nothing was sent"), "{err}");
    assert!(err.contains("--skip-invalid"), "{err}");
    assert_eq!(r.count(TRACKER), Some(0));

    // The dry run says the same and needs no profile.
    let (code, _, err) = env.run(&["import", "bad.ndjson", "--dry-run"]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("valid: 2, invalid: 3"), "{err}");
    assert!(err.contains("to send: 2 lines in 1 request"), "{err}");

    // --skip-invalid sends the others and exits 4; the report has every line.
    let (code, _, err) = env.run(&[
        "--profile",
        "a",
        "import",
        "bad.ndjson",
        "--skip-invalid",
        "--report",
        "out.ndjson",
    ]);
    assert_eq!(code, Some(4), "{err}");
    assert!(
        err.contains("2 created, 0 replaced, 0 skipped, 3 rejected, 0 not sent"),
        "{err}"
    );
    let rows: Vec<Value> = std::fs::read_to_string(env.path("out.ndjson"))
        .expect("report")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let summary: Vec<(u64, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().expect("line"),
                r["outcome"].as_str().expect("outcome"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, "created"),
            (2, "rejected"),
            (3, "rejected"),
            (5, "rejected"),
            (6, "created")
        ]
    );
    assert_eq!(rows[0]["target"], "m item ok-1");
    assert_eq!(rows[2]["target"], "m item x");
    assert_eq!(
        rows[2]["reason"],
        "pin_definitions[0].position: Missing required field: position"
    );
    assert_eq!(r.count(TRACKER), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes() {
    let r = emulator(vec![item("m", "stored", "old")]).await;
    let env = Env::new();
    env.config(&r);
    let lines: Vec<String> = (0..20)
        .map(|i| item("m", &format!("n{i}"), "v").to_string())
        .collect();
    write(env.dir.path(), "good.ndjson", ndjson(&lines));
    write(env.dir.path(), "empty.ndjson", "\n  \n");

    // A dry run of a good file: 0, nothing sent.
    let (code, _, err) = env.run(&["import", "good.ndjson", "--dry-run"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("dry run: nothing was sent"), "{err}");
    assert_eq!(r.count(TRACKER), Some(1));

    // Everything created: 0. From stdin too.
    let (code, _, err) = env.run(&[
        "--profile",
        "a",
        "import",
        "good.ndjson",
        "--chunk-size",
        "7",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("20 created"), "{err}");
    let mut c = env.cmd(&["--profile", "b", "import", "-"]);
    c.stdin(std::fs::File::open(env.path("good.ndjson")).expect("open"));
    let out = c.output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(r.count(OTHER_TRACKER), Some(20));

    // Again under raise: every line conflicts with what is stored: 4.
    let (code, _, err) = env.run(&["--profile", "a", "import", "good.ndjson"]);
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("20 rejected"), "{err}");
    assert!(
        err.contains("good.ndjson:1: rejected: a customization with this target is already stored"),
        "{err}"
    );
    // Under ignore, the stored ones are kept, as asked: 0.
    let (code, _, err) = env.run(&[
        "--profile",
        "a",
        "import",
        "good.ndjson",
        "--conflict-strategy",
        "ignore",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("20 skipped"), "{err}");

    // A production profile wants --yes when nobody can be asked.
    let (code, _, err) = env.run(&["--profile", "prod", "import", "good.ndjson"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("production") && err.contains("--yes"), "{err}");
    let (code, _, err) = env.run(&[
        "--profile",
        "prod",
        "import",
        "good.ndjson",
        "--yes",
        "--conflict-strategy",
        "ignore",
    ]);
    assert_eq!(code, Some(0), "{err}");

    // Usage errors: 2.
    let (code, _, err) = env.run(&["--profile", "ro", "import", "good.ndjson"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("read-only"), "{err}");
    let (code, _, err) = env.run(&["--profile", "a", "import", "-", "--resume"]);
    assert_eq!(code, Some(2), "{err}");
    let (code, _, err) = env.run(&["--profile", "a", "import", "missing.ndjson"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("missing.ndjson"), "{err}");
    write(env.dir.path(), "never.ndjson", ndjson(&lines));
    let (code, _, err) = env.run(&["--profile", "a", "import", "never.ndjson", "--resume"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("nothing to resume"), "{err}");
    // An empty file: 3.
    let (code, _, err) = env.run(&["--profile", "a", "import", "empty.ndjson"]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("holds no customization"), "{err}");
    // A wrong key: 1, nothing applied.
    let mut c = env.cmd(&[
        "--profile",
        "a",
        "import",
        "good.ndjson",
        "--conflict-strategy",
        "override",
    ]);
    c.env("PINSCOPE_TEST_KEY_A", "kx-not-the-key-42");
    let out = c.output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("20 not sent"), "{err}");
    assert!(err.contains("401 Signature mismatch"), "{err}");
    assert!(!err.contains("kx-not-the-key-42"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_import_is_not_restarted_by_accident() {
    let r = emulator(vec![]).await;
    let env = Env::new();
    env.config(&r);
    let lines: Vec<String> = (0..5)
        .map(|i| item("m", &format!("n{i}"), "v").to_string())
        .collect();
    write(env.dir.path(), "in.ndjson", ndjson(&lines));
    // A journal left by a run that died after its header.
    let (code, _, err) = env.run(&[
        "--profile",
        "a",
        "import",
        "in.ndjson",
        "--report",
        "r.ndjson",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let journal = env.path("r.ndjson.journal");
    let text = std::fs::read_to_string(&journal).expect("journal");
    let header = text.lines().next().expect("header");
    std::fs::write(&journal, format!("{header}\n")).expect("truncate");
    let (code, _, err) = env.run(&[
        "--profile",
        "a",
        "import",
        "in.ndjson",
        "--report",
        "r.ndjson",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--resume"), "{err}");
    // Resuming it re-sends under raise: the lines are stored already, so they are
    // rejected as conflicts, not stored twice.
    let (code, _, err) = env.run(&[
        "--profile",
        "a",
        "import",
        "in.ndjson",
        "--report",
        "r.ndjson",
        "--resume",
    ]);
    assert_eq!(code, Some(4), "{err}");
    assert_eq!(r.count(TRACKER), Some(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_import_with_the_cli_round_trips() {
    let r = emulator(crate::roundtrip::varied()).await;
    let env = Env::new();
    env.config(&r);
    let (code, _, err) = env.run(&["--profile", "a", "export", "-o", "a.ndjson"]);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = env.run(&["--profile", "b", "import", "a.ndjson"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("43 created"), "{err}");
    let (code, _, err) = env.run(&["--profile", "b", "export", "-o", "b.ndjson"]);
    assert_eq!(code, Some(0), "{err}");
    let strip = |p: &str| -> std::collections::BTreeMap<String, String> {
        std::fs::read_to_string(env.path(p))
            .expect("export")
            .lines()
            .map(|l| {
                let c = cust(serde_json::from_str(l).expect("json"));
                (
                    c.conflict_key().expect("key").to_string(),
                    serde_json::to_string(&c.without_server_fields()).expect("json"),
                )
            })
            .collect()
    };
    assert_eq!(strip("a.ndjson"), strip("b.ndjson"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_between_profiles() {
    let r = emulator(crate::roundtrip::varied()).await;
    let env = Env::new();
    env.config(&r);
    let (code, _, err) = env.run(&[
        "copy",
        "--from",
        "a",
        "--to",
        "b",
        "--model",
        "basket",
        "--dry-run",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("41 customizations to send in 1 request; 0 already stored in b"),
        "{err}"
    );
    assert!(
        err.contains("would be: 41 created, 0 replaced, 0 skipped, 0 rejected"),
        "{err}"
    );
    assert_eq!(r.count(OTHER_TRACKER), Some(0));

    let (code, _, err) = env.run(&["copy", "--from", "a", "--to", "b"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("43 created"), "{err}");
    let a = client(&r)
        .export(&ExportQuery::default())
        .await
        .expect("export a");
    let b = other_client(&r)
        .export(&ExportQuery::default())
        .await
        .expect("export b");
    let text = |rows: &[pinscope::api::Customization]| -> std::collections::BTreeSet<String> {
        rows.iter()
            .map(|c| serde_json::to_string(&c.without_server_fields()).expect("json"))
            .collect()
    };
    assert_eq!(text(&a), text(&b));

    // Once more: the dry run sees them stored; override replaces them.
    let (code, _, err) = env.run(&[
        "copy",
        "--from",
        "a",
        "--to",
        "b",
        "--dry-run",
        "--conflict-strategy",
        "override",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("would be: 0 created, 43 replaced"), "{err}");
    let (code, _, err) = env.run(&["copy", "--from", "a", "--to", "b"]);
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("43 rejected"), "{err}");
    let (code, _, err) = env.run(&["copy", "--from", "a", "--to", "a"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("same tracker"), "{err}");
    let (code, _, err) = env.run(&["copy", "--from", "a", "--to", "ro"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(r.count(OTHER_TRACKER), Some(43));
}
