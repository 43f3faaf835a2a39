//! `pinscope serve` as a real process, and the vendor's shell recipe against the emulator.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use pinscope::api::{Client, ClientConfig, ListQuery, RetryPolicy, Secret};
use serde_json::json;

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_pinscope");
/// Generous: the machine may be slow and loaded.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

struct Serve {
    child: Child,
    url: String,
    stdout_rest: mpsc::Receiver<String>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `pinscope serve ARGS` and waits for its `listening on` line.
fn serve(args: &[&str], dir: &Path) -> Serve {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(args)
        .current_dir(dir)
        .env("PINSCOPE_CONFIG", dir.join("config.toml"))
        .env("PINSCOPE_DATA_DIR", dir.join("data"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pinscope serve");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = match rx.recv_timeout(READY_TIMEOUT) {
        Ok(l) => l,
        Err(e) => {
            let _ = child.kill();
            let mut err = String::new();
            if let Some(mut s) = child.stderr.take() {
                let _ = s.read_to_string(&mut err);
            }
            panic!("no `listening on` line ({e}); stderr: {err}");
        }
    };
    let url = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(!url.ends_with(":0"), "{url}");
    Serve {
        child,
        url,
        stdout_rest: rx,
    }
}

fn client_at(url: &str) -> Client {
    Client::new(ClientConfig::new(url, TRACKER, Secret::new(KEY)))
        .expect("client")
        .with_retry(RetryPolicy::NONE)
}

/// Sends SIGTERM and waits for the exit; returns (whether it stopped cleanly, stderr). A
/// clean stop on a signal exits 128 + the signal's number (143 for SIGTERM).
fn terminate(mut s: Serve) -> (bool, String) {
    let pid = s.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let mut err = String::new();
    if let Some(mut e) = s.child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let status = s.child.wait().expect("wait");
    // Exactly one line on stdout.
    let extra: Vec<String> = s.stdout_rest.try_iter().collect();
    assert!(extra.is_empty(), "more on stdout: {extra:?}");
    (status.code() == Some(143), err)
}

#[tokio::test]
async fn serve_listens_loads_logs_and_saves_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("demo.ndjson"),
        json!({"id": "199620b4-df1a-46e8-ab59-9e9ed9af7106", "created_at": "2025-01-22T08:49:58Z",
               "model": "basket", "target_type": "item", "target_identity": "/p/123",
               "pin_definitions": []})
        .to_string(),
    )
    .expect("write");
    let tracker = format!("{TRACKER}:{KEY}");
    let s = serve(
        &[
            "--addr",
            "127.0.0.1:0",
            "--tracker",
            &tracker,
            "--tracker",
            "other:other-key",
            "--data",
            "store.ndjson",
            "--load",
            "demo.ndjson",
        ],
        dir.path(),
    );
    let c = client_at(&s.url);
    let loaded = c
        .get("199620b4-df1a-46e8-ab59-9e9ed9af7106")
        .await
        .expect("loaded with its id");
    assert_eq!(loaded.created_at(), Some("2025-01-22T08:49:58Z"));
    let created = c.create(&item("home", "/p/1")).await.expect("created");
    let _ = client_at(&s.url)
        .with_clock(std::sync::Arc::new(|| {
            std::time::SystemTime::now() - Duration::from_secs(600)
        }))
        .summary()
        .await
        .expect_err("stale");

    let (ok, stderr) = terminate(s);
    assert!(ok, "exit status; stderr: {stderr}");
    // One log line per request: method, path, status, latency.
    assert!(
        stderr.contains(
            "GET /v1/recommender/pin/1234-5678/scope/199620b4-df1a-46e8-ab59-9e9ed9af7106 200 "
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("POST /v1/recommender/pin/1234-5678/scope 201 "),
        "{stderr}"
    );
    assert!(
        stderr.contains("GET /v1/recommender/pin/1234-5678/summary 401 "),
        "{stderr}"
    );
    assert!(stderr.lines().any(|l| l.ends_with("ms")), "{stderr}");
    // Never a key or a signature.
    assert!(!stderr.contains(KEY), "{stderr}");
    assert!(!stderr.contains("other-key"), "{stderr}");
    assert!(!stderr.contains("ApiAuth"), "{stderr}");

    let saved = std::fs::read_to_string(dir.path().join("store.ndjson")).expect("data file");
    assert!(saved.contains(created.id().expect("id")), "{saved}");
    assert!(saved.contains("199620b4-df1a-46e8-ab59-9e9ed9af7106"));

    // It comes back on the next start.
    let s = serve(
        &[
            "--addr",
            "127.0.0.1:0",
            "--tracker",
            &tracker,
            "--data",
            "store.ndjson",
            "-q",
        ],
        dir.path(),
    );
    let rows = client_at(&s.url)
        .list_all(&ListQuery::default())
        .await
        .expect("list");
    assert_eq!(rows.len(), 2);
    let (ok, stderr) = terminate(s);
    assert!(ok);
    assert!(!stderr.contains("/v1/recommender"), "quiet: {stderr}");
}

#[tokio::test]
async fn serve_with_faults_and_a_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tracker = format!("{TRACKER}:{KEY}");
    let s = serve(
        &[
            "--addr",
            "127.0.0.1:0",
            "--tracker",
            &tracker,
            "--faults",
            "503=1",
            "--fault-seed",
            "7",
        ],
        dir.path(),
    );
    let e = client_at(&s.url).summary().await.expect_err("fault");
    assert_eq!(status(&e), 503);
    let (ok, stderr) = terminate(s);
    assert!(ok);
    assert!(stderr.contains("503 (fault)"), "{stderr}");
}

fn run_serve(args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(BIN)
        .arg("serve")
        .args(args)
        .current_dir(dir.path())
        .env("PINSCOPE_CONFIG", dir.path().join("config.toml"))
        .env("PINSCOPE_DATA_DIR", dir.path().join("data"))
        .stdin(Stdio::null())
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn usage_errors_exit_2_without_echoing_the_key() {
    for (args, needle) in [
        (vec!["--tracker", "hunter2-secret-key"], "ID:KEY"),
        (vec!["--tracker", "1234-5678:"], "key is empty"),
        (vec!["--tracker", ":hunter2-secret-key"], "ID is empty"),
        (vec![], "at least one tracker"),
        (
            vec![
                "--tracker",
                "1234-5678:hunter2-secret-key",
                "--addr",
                "0.0.0.0:0",
            ],
            "--allow-remote",
        ),
        (
            vec![
                "--tracker",
                "1234-5678:hunter2-secret-key",
                "--faults",
                "429=2",
            ],
            "from 0 to 1",
        ),
        (
            vec![
                "--tracker",
                "1234-5678:hunter2-secret-key",
                "--addr",
                "nowhere",
            ],
            "--addr",
        ),
    ] {
        let (code, stdout, stderr) = run_serve(&args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("hunter2"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_bad_tracker_file_names_the_line_not_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("trackers");
    std::fs::write(&file, "1234-5678:k\nhunter2-secret-key\n").expect("write");
    let file = file.to_string_lossy().into_owned();
    let (code, _, stderr) = run_serve(&["--tracker-file", &file]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("trackers:2: "), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn start_failures_exit_1_and_name_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.ndjson");
    std::fs::write(&bad, "{\"model\": 1}\n").expect("write");
    let bad = bad.to_string_lossy().into_owned();
    let (code, stdout, stderr) = run_serve(&[
        "--addr",
        "127.0.0.1:0",
        "--tracker",
        "1234-5678:k",
        "--load",
        &bad,
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("bad.ndjson:1: model: Must be a string"),
        "{stderr}"
    );
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The recipe from the vendor's bulk-create page, word for word but for the host and the
/// key. (The page's sample body omits `position`, which the contract requires, so the
/// NDJSON here is a valid one.)
const RECIPE: &str = r#"
tracker_id="1234-5678"
private_key="your_private_api_key"
host="$EMULATOR"
base_path="/v1/recommender/pin/${tracker_id}/scopes/_bulk"
full_path="${base_path}?conflict_strategy=override"
method="POST"
content_type="application/x-ndjson"
date=$(date -u "+%a, %d %b %Y %H:%M:%S GMT")

string_to_sign="$(printf "${method}\n${content_type}\n${date}\n${base_path}")"
signature=$(echo -n "${string_to_sign}" | openssl dgst -sha256 -hmac "${private_key}" -binary | base64)

curl -X ${method} "${host}${full_path}" \
  -H "Content-Type: ${content_type}" \
  -H "Date: ${date}" \
  -H "Authorization: ApiAuth ${tracker_id}:${signature}" \
  --data-binary @pins.ndjson
"#;

#[tokio::test]
async fn the_vendor_shell_recipe_gets_200() {
    let missing: Vec<&str> = ["bash", "curl", "openssl", "base64", "date"]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
    if !missing.is_empty() {
        println!("skipped: the vendor recipe needs {}", missing.join(", "));
        return;
    }
    let r = pinscope::emulator::start(pinscope::emulator::EmulatorConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        vec![("1234-5678".into(), Secret::new("your_private_api_key"))],
    ))
    .await
    .expect("start");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("pins.ndjson"),
        [
            json!({"target_type": "all", "model": "basket", "pin_definitions": [{"position": 1, "pin_type": "item", "pin_identity": "123"}]}),
            json!({"target_type": "item", "target_identity": "456", "model": "basket", "pin_definitions": [{"position": 1, "pin_type": "item", "pin_identity": "789"}]}),
        ]
        .map(|v| v.to_string())
        .join("\n"),
    )
    .expect("write");
    let script = format!(
        "{RECIPE}\necho\necho \"status $(curl -s -o /dev/null -w '%{{http_code}}' -X ${{method}} \"${{host}}${{full_path}}\" -H \"Content-Type: ${{content_type}}\" -H \"Date: ${{date}}\" -H \"Authorization: ApiAuth ${{tracker_id}}:${{signature}}\" --data-binary @pins.ndjson)\"\n"
    );
    let url = r.url();
    let out = tokio::task::spawn_blocking({
        let dir = dir.path().to_path_buf();
        move || {
            Command::new("bash")
                .args(["-c", &script])
                .current_dir(dir)
                .env("EMULATOR", url)
                .output()
                .expect("bash")
        }
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // The recipe's own curl prints the body of a 200: `{}`; the second run prints the status.
    assert!(stdout.starts_with("{}"), "{stdout}\n{stderr}");
    assert!(stdout.contains("status 200"), "{stdout}\n{stderr}");
    let rows = Client::new(ClientConfig::new(
        r.url(),
        "1234-5678",
        Secret::new("your_private_api_key"),
    ))
    .expect("client")
    .list_all(&ListQuery::default())
    .await
    .expect("list");
    assert_eq!(rows.len(), 2);
}
