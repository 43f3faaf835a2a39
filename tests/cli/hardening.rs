//! Bad hosts, bad ids and bad output paths are refused before anything is sent; files are
//! private; `validate` is the import's own check.

use std::net::TcpListener;

use serde_json::Value;

use super::harness::{Emu, Env, KEY, Run, TRACKER, item, path_str};

/// A loopback port where nothing answers: it only tells whether anyone connected.
struct Silent {
    listener: TcpListener,
    url: String,
}

impl Silent {
    fn new() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        Silent { listener, url }
    }

    /// Whether a connection was made (the kernel completes it even though nobody accepts).
    fn contacted(&self) -> bool {
        match self.listener.accept() {
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
            Err(e) => panic!("accept: {e}"),
        }
    }
}

/// Runs `args` as an ad hoc session on `host` with a key in the environment.
fn adhoc(env: &Env, host: &str, tracker: &str, args: &[&str]) -> Run {
    let mut all = vec!["--host", host, "--tracker-id", tracker];
    all.extend_from_slice(args);
    Run::from(
        env.cmd()
            .env("PINSCOPE_PRIVATE_KEY", KEY)
            .args(&all)
            .output()
            .expect("runs"),
    )
}

#[test]
fn ids_that_are_not_uuids_are_usage_errors_and_nothing_is_sent() {
    let env = Env::new();
    let silent = Silent::new();
    let file = env.write(
        "c.json",
        &serde_json::to_string(&item("m", "/p/1", &[])).expect("json"),
    );
    for args in [
        vec!["get", ".."],
        vec!["get", "../summary"],
        vec!["get", "{199620b4-df1a-46e8-ab59-9e9ed9af7106}"],
        vec!["delete", "..", "--yes"],
        vec!["update", "..", path_str(&file), "--yes"],
    ] {
        let r = adhoc(&env, &silent.url, TRACKER, &args);
        r.code(2).stderr_has("not a customization id");
        assert!(!silent.contacted(), "{args:?} reached the server");
    }
    for tracker in ["..", "../..", "abc", "1234-5678/x"] {
        let r = adhoc(&env, &silent.url, tracker, &["summary"]);
        r.code(2).stderr_has("not a tracker id");
        assert!(
            !silent.contacted(),
            "--tracker-id {tracker:?} reached the server"
        );
    }
}

#[test]
fn a_uuid_in_capitals_is_accepted_and_sent_lowercase() {
    let emu = Emu::with_rows(vec![{
        let mut v = item("m", "/p/1", &[]);
        v["id"] = "199620b4-df1a-46e8-ab59-9e9ed9af7106".into();
        v
    }]);
    let env = Env::new();
    let r = adhoc(
        &env,
        &emu.url,
        TRACKER,
        &["get", "199620B4-DF1A-46E8-AB59-9E9ED9AF7106"],
    );
    r.ok();
    assert_eq!(r.json()["id"], "199620b4-df1a-46e8-ab59-9e9ed9af7106");
}

#[test]
fn hosts_with_credentials_paths_or_nothing_are_refused() {
    let env = Env::new();
    let silent = Silent::new();
    let port = silent.url.trim_start_matches("http://");
    let with_password = format!("http://user:hunter2-pw@{port}");
    let r = adhoc(&env, &with_password, TRACKER, &["summary"]);
    r.code(2).stderr_has("user name or password");
    assert!(!r.stderr.contains("hunter2-pw"), "{}", r.stderr);
    assert!(!env.log().contains("hunter2-pw"), "{}", env.log());

    let r = adhoc(&env, "", TRACKER, &["summary"]);
    r.code(2).stderr_has("--host: must not be empty");

    let r = adhoc(
        &env,
        &format!("{}/prefix", silent.url),
        TRACKER,
        &["summary"],
    );
    r.code(2).stderr_has("must not have a path");

    assert!(!silent.contacted(), "a refused host was contacted");

    // The same rules for a host in the config file.
    env.write_config(&format!(
        "[profiles.a]\nhost = \"{with_password}\"\ntracker_id = \"{TRACKER}\"\nprivate_key_env = \"TEST_KEY\"\n"
    ));
    let r = env.run(&["summary"]);
    r.code(2).stderr_has("user name or password");
    assert!(!r.stderr.contains("hunter2-pw"), "{}", r.stderr);
    assert!(!silent.contacted());
}

fn rows(n: usize) -> Vec<Value> {
    (0..n).map(|i| item("m", &format!("/p/{i}"), &[])).collect()
}

#[cfg(unix)]
#[test]
fn export_writes_through_links_and_devices_and_refuses_a_directory() {
    use std::os::unix::fs::FileTypeExt;
    let emu = Emu::with_rows(rows(3));
    let env = Env::for_emu(&emu, "");
    let r = env.run(&["export", "-o", path_str(env.dir.path())]);
    r.code(2).stderr_has("is a directory");

    let target = env.write("real.ndjson", "old\n");
    let link = env.path("link.ndjson");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    env.run(&["export", "-o", path_str(&link)]).ok();
    let meta = std::fs::symlink_metadata(&link).expect("stat");
    assert!(meta.file_type().is_symlink(), "the link is not replaced");
    let text = std::fs::read_to_string(&target).expect("read");
    assert_eq!(text.lines().count(), 3, "{text}");

    // /dev/stdout links to the pipe the test reads: written through, not replaced.
    let r = env.run(&["export", "-o", "/dev/stdout"]);
    r.ok();
    assert_eq!(r.ndjson().len(), 3, "{}", r.stdout);

    env.run(&["export", "-o", "/dev/null"]).ok();
    let null = std::fs::metadata("/dev/null").expect("stat");
    assert!(
        null.file_type().is_char_device(),
        "/dev/null is left a device"
    );
}

fn ndjson(env: &Env, name: &str, rows: &[Value]) -> std::path::PathBuf {
    let text: String = rows
        .iter()
        .map(|r| format!("{}\n", serde_json::to_string(r).expect("json")))
        .collect();
    env.write(name, &text)
}

#[test]
fn a_bad_or_existing_report_is_refused_before_anything_is_sent() {
    let emu = Emu::start();
    let env = Env::for_emu(&emu, "");
    let input = ndjson(&env, "in.ndjson", &rows(5));
    let input = path_str(&input);

    let r = env.run(&["import", input, "--report", path_str(env.dir.path())]);
    r.code(2).stderr_has("is a directory");
    let missing = env.path("no/such/dir/r.ndjson");
    let r = env.run(&["import", input, "--report", path_str(&missing)]);
    r.code(2).stderr_has("does not exist");
    assert_eq!(emu.count(), 0, "nothing was imported");

    let report = env.write("r.ndjson", "{\"earlier\": true}\n");
    let r = env.run(&["import", input, "--report", path_str(&report)]);
    r.code(2).stderr_has("already exists");
    assert_eq!(emu.count(), 0, "nothing was imported");
    assert_eq!(
        std::fs::read_to_string(&report).expect("read"),
        "{\"earlier\": true}\n",
        "the earlier report is untouched"
    );

    env.run(&["import", input, "--report", path_str(&report), "--force"])
        .ok();
    assert_eq!(emu.count(), 5);
    let text = std::fs::read_to_string(&report).expect("read");
    assert_eq!(text.lines().count(), 5, "{text}");
}

#[cfg(unix)]
#[test]
fn journals_logs_and_the_data_dir_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let emu = Emu::start();
    let env = Env::for_emu(&emu, "");
    let input = ndjson(&env, "in.ndjson", &rows(2));
    env.run(&["import", path_str(&input)]).ok();
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&env.data), 0o700, "the data dir");
    assert_eq!(mode(&env.data.join("pinscope.log")), 0o600, "the log");
    let imports = env.data.join("imports");
    assert_eq!(mode(&imports), 0o700, "the imports dir");
    let journals: Vec<_> = std::fs::read_dir(&imports)
        .expect("ls")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(!journals.is_empty(), "a journal was kept");
    for j in &journals {
        assert_eq!(mode(j), 0o600, "{}", j.display());
    }
}

#[cfg(unix)]
#[test]
fn a_second_import_with_the_same_journal_is_refused_while_the_first_runs() {
    let emu = Emu::start();
    let env = Env::for_emu(&emu, "");
    let input = ndjson(&env, "in.ndjson", &rows(3));
    let report = env.path("r.ndjson");
    let journal = env.path("r.ndjson.journal");
    // What a first run holds while it sends.
    let held = pinscope::files::Lock::try_take(&journal).expect("lock");
    let r = env.run(&["import", path_str(&input), "--report", path_str(&report)]);
    r.code(2).stderr_has("in use by another pinscope process");
    assert_eq!(emu.count(), 0, "nothing was sent");
    drop(held);
    env.run(&["import", path_str(&input), "--report", path_str(&report)])
        .ok();
    assert_eq!(emu.count(), 3);
}

#[test]
fn validate_is_the_import_check() {
    let env = Env::new();
    let good = serde_json::to_string(&item("m", "/p/1", &[])).expect("json");
    // A BOM, and a bad first line that does not hide the line after it.
    let file = env.write(
        "f.ndjson",
        &format!("\u{feff}{{oops\n{good}\n{{\"model\":\"m\"}}\n"),
    );
    let r = env.run(&["validate", path_str(&file)]);
    r.code(3);
    assert!(
        r.stderr.contains("f.ndjson:1: invalid JSON at column 2"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("f.ndjson:3: "), "{}", r.stderr);
    assert!(!r.stderr.contains("f.ndjson:2:"), "{}", r.stderr);

    let ok = env.write("ok.ndjson", &format!("\u{feff}{good}\n\n{good}\n"));
    env.run(&["validate", path_str(&ok)])
        .ok()
        .stderr_has("2 customizations, all valid");

    // A line over the limit fails here as it fails in import.
    let mut long = item("m", "/p/2", &[]);
    long["x"] = "a".repeat(1 << 20).into();
    let big = env.write(
        "big.ndjson",
        &format!("{good}\n{}\n", serde_json::to_string(&long).expect("json")),
    );
    env.run(&["validate", path_str(&big)])
        .code(3)
        .stderr_has("big.ndjson:2: line is longer than 1 MiB");

    // A JSON array: told that NDJSON is expected, here and in import.
    let array = env.write("a.json", &format!("[\n{good},\n{good}\n]\n"));
    env.run(&["validate", path_str(&array)])
        .code(3)
        .stderr_has("NDJSON");
    env.run(&["import", path_str(&array), "--dry-run"])
        .code(3)
        .stderr_has("NDJSON");
}

#[cfg(unix)]
#[test]
fn an_import_stopped_by_sigint_exits_130_and_says_how_to_resume() {
    let faults: pinscope::emulator::Faults = "delay-ms=150..150".parse().expect("faults");
    let emu = Emu::with_faults(Vec::new(), faults, 1);
    let env = Env::for_emu(&emu, "");
    let input = ndjson(&env, "in.ndjson", &rows(200));
    let report = env.path("r.ndjson");
    let child = env
        .std_cmd(env!("CARGO_BIN_EXE_pinscope"))
        .args([
            "import",
            path_str(&input),
            "--chunk-size",
            "1",
            "--jobs",
            "1",
            "--report",
            path_str(&report),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Once something was imported, the import is sending: interrupt it.
    let mut waited = 0;
    while emu.count() == 0 {
        std::thread::sleep(std::time::Duration::from_millis(20));
        waited += 1;
        assert!(waited < 3000, "the import never started sending");
    }
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: kill(2) on the child this test spawned.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let out = child.wait_with_output().expect("exits");
    let r = Run::from(out);
    r.code(130).stderr_has("--resume");
    assert!(emu.count() < 200, "stopped before the end");
}

#[cfg(unix)]
#[test]
fn folders_an_earlier_version_left_open_are_made_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    for d in [env.data.join("imports"), env.data.join("drafts")] {
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    std::fs::set_permissions(&env.data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let good = serde_json::to_string(&item("m", "/p/1", &[])).expect("json");
    let file = env.write("ok.ndjson", &format!("{good}\n"));
    env.run(&["validate", path_str(&file)]).ok();
    assert_eq!(mode(&env.data.join("imports")), 0o700);
    assert_eq!(mode(&env.data.join("drafts")), 0o700);
    assert_eq!(
        mode(&env.data),
        0o755,
        "a data dir named by PINSCOPE_DATA_DIR is the user's choice"
    );
}
