//! Starting the emulator in-process and running the binary against it.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use pinscope::api::{Customization, Secret};
use pinscope::emulator::{EmulatorConfig, Faults, Running, start};
use serde_json::{Value, json};

pub const TRACKER: &str = "1234-5678";
/// The emulator's key for `TRACKER` in most tests.
pub const KEY: &str = "test-key-0d1f";
/// Names of every variable the binary reads, cleared before each run.
const VARS: [&str; 10] = [
    "PINSCOPE_CONFIG",
    "PINSCOPE_PROFILE",
    "PINSCOPE_PRIVATE_KEY",
    "PINSCOPE_DATA_DIR",
    "PINSCOPE_STATE_DIR",
    "PINSCOPE_LOG",
    "XDG_CONFIG_HOME",
    "XDG_STATE_HOME",
    "VISUAL",
    "EDITOR",
];

/// An emulator on 127.0.0.1:0 in a runtime of its own.
pub struct Emu {
    rt: tokio::runtime::Runtime,
    running: Option<Running>,
    pub url: String,
}

impl Emu {
    pub fn start() -> Emu {
        Emu::with(KEY, Vec::new())
    }

    pub fn with_rows(rows: Vec<Value>) -> Emu {
        Emu::with(KEY, rows)
    }

    pub fn with(key: &str, rows: Vec<Value>) -> Emu {
        Emu::build(key, rows, Faults::none(), None)
    }

    /// Faults from the first request on, in a sequence fixed by `seed`.
    pub fn with_faults(rows: Vec<Value>, faults: Faults, seed: u64) -> Emu {
        Emu::build(KEY, rows, faults, Some(seed))
    }

    fn build(key: &str, rows: Vec<Value>, faults: Faults, seed: Option<u64>) -> Emu {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let mut cfg = EmulatorConfig::new(
            "127.0.0.1:0".parse().expect("addr"),
            vec![(TRACKER.to_string(), Secret::new(key))],
        );
        cfg.preload = rows
            .into_iter()
            .map(|v| Customization::from_value(v).expect("object"))
            .collect();
        cfg.faults = faults;
        cfg.fault_seed = seed;
        let running = rt.block_on(start(cfg)).expect("emulator starts");
        let url = running.url();
        Emu {
            rt,
            running: Some(running),
            url,
        }
    }

    /// How many customizations the tracker holds.
    pub fn count(&self) -> usize {
        self.running
            .as_ref()
            .and_then(|r| r.count(TRACKER))
            .expect("tracker")
    }

    pub fn set_faults(&self, f: Faults) {
        if let Some(r) = &self.running {
            r.set_faults(f);
        }
    }
}

impl Drop for Emu {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.shutdown());
        }
    }
}

/// A temp dir with a config file and a data dir.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub data: PathBuf,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("tmp");
        let config = dir.path().join("config.toml");
        let data = dir.path().join("data");
        Env { dir, config, data }
    }

    /// A config whose default profile `emu` points at `emu` with its key in the variable
    /// `TEST_KEY`, plus `extra` lines in that profile.
    pub fn for_emu(emu: &Emu, extra: &str) -> Env {
        let env = Env::new();
        env.write_config(&format!(
            "default_profile = \"emu\"\n\n[profiles.emu]\nhost = \"{}\"\ntracker_id = \"{TRACKER}\"\nprivate_key_env = \"TEST_KEY\"\n{extra}\n",
            emu.url
        ));
        env
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(&self.config, text).expect("write config");
    }

    /// `program` with a clean environment pointing into the temp dir, and the key of the
    /// `emu` profile in `TEST_KEY`.
    pub fn std_cmd(&self, program: &str) -> std::process::Command {
        let mut c = std::process::Command::new(program);
        for v in VARS {
            c.env_remove(v);
        }
        c.env("HOME", self.dir.path())
            .env("PINSCOPE_CONFIG", &self.config)
            .env("PINSCOPE_DATA_DIR", &self.data)
            .env("TEST_KEY", KEY)
            .current_dir(self.dir.path());
        c
    }

    /// The binary, as [`Env::std_cmd`] sets it up.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::from_std(self.std_cmd(env!("CARGO_BIN_EXE_pinscope")));
        c.timeout(Duration::from_secs(60));
        c
    }

    /// Runs the binary on a pseudo-terminal (util-linux `script`), typing `input`; stdout
    /// and stderr come back mixed in `stdout`. `None` when `script` is not installed.
    pub fn run_tty(&self, args: &[&str], input: &str) -> Option<Run> {
        let has_script = std::process::Command::new("script")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !has_script {
            eprintln!("skipped: util-linux `script` is not installed");
            return None;
        }
        let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
        let line = std::iter::once(env!("CARGO_BIN_EXE_pinscope"))
            .chain(args.iter().copied())
            .map(quote)
            .collect::<Vec<_>>()
            .join(" ");
        let mut c = self.std_cmd("script");
        c.args(["-qec", &line, "/dev/null"]);
        let out = assert_cmd::Command::from_std(c)
            .timeout(Duration::from_secs(60))
            .write_stdin(input.to_string())
            .output()
            .expect("runs");
        let mut r = Run::from(out);
        r.stdout = r.stdout.replace("\r\n", "\n");
        Some(r)
    }

    /// Runs with these arguments.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd().args(args).output().expect("runs"))
    }

    /// Runs with these arguments and this stdin.
    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        Run::from(
            self.cmd()
                .args(args)
                .write_stdin(stdin.to_string())
                .output()
                .expect("runs"),
        )
    }

    /// The default log file's contents.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.join("pinscope.log")).unwrap_or_default()
    }
}

/// What a run left: exit code, stdout, stderr.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().expect("exited"),
            stdout: String::from_utf8(o.stdout).expect("utf8 stdout"),
            stderr: String::from_utf8(o.stderr).expect("utf8 stderr"),
        }
    }
}

impl Run {
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Run {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn ok(&self) -> &Run {
        self.code(0)
    }

    /// stdout as one JSON value.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// stdout as NDJSON.
    #[track_caller]
    pub fn ndjson(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("line {l:?}: {e}")))
            .collect()
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }
}

/// A valid customization targeting one item, pinning `pins` items at slots 1, 2...
pub fn item(model: &str, identity: &str, tags: &[&str]) -> Value {
    json!({
        "model": model,
        "target_type": "item",
        "target_identity": identity,
        "tags": tags,
        "pin_definitions": [
            {"position": 1, "pin_type": "item", "pin_identity": format!("{identity}-pin")}
        ]
    })
}

/// Writes `v` pretty-printed into the env's dir.
pub fn write_json(env: &Env, name: &str, v: &Value) -> PathBuf {
    env.write(name, &serde_json::to_string_pretty(v).expect("json"))
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}
