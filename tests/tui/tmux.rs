//! The real binary in a real terminal: tmux on a private socket (`tmux -L`), read back
//! with `capture-pane`. Skipped, with the reason printed, when tmux is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_pinscope");

pub(crate) fn tmux_missing() -> bool {
    match Command::new("tmux").arg("-V").output() {
        Ok(o) if o.status.success() => false,
        _ => {
            eprintln!("skipped: tmux is not installed (the CI installs it)");
            true
        }
    }
}

/// One tmux server of our own, killed on drop.
pub(crate) struct Tmux {
    socket: String,
    dir: TempDir,
}

impl Tmux {
    /// Starts `pinscope ARGS` in a 120x32 pane, with its data and config dirs in a temp
    /// dir. After pinscope exits, the shell prints its status and whether the terminal is
    /// back in canonical mode, and keeps the pane open.
    pub(crate) fn start(name: &str, args: &str) -> Tmux {
        Tmux::start_with(name, args, None, "")
    }

    /// Like [`Tmux::start`], with this config file and extra `NAME=value` environment.
    pub(crate) fn start_with(name: &str, args: &str, config_text: Option<&str>, env: &str) -> Tmux {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = format!("pinscope-test-{}-{name}", std::process::id());
        let data = dir.path().join("data");
        let config = dir.path().join("config.toml");
        if let Some(text) = config_text {
            std::fs::write(&config, text).expect("config written");
        }
        let script = format!(
            "env PINSCOPE_DATA_DIR='{}' PINSCOPE_STATE_DIR='{}' PINSCOPE_CONFIG='{}' TZ=UTC RUST_BACKTRACE=0 {env} '{BIN}' {args}; \
             echo \"exit-status=$?\"; stty -a | tr ' ' '\\n' | grep -x -- '-\\{{0,1\\}}icanon'; \
             echo shell-done; sleep 120",
            data.display(),
            dir.path().join("state").display(),
            config.display()
        );
        let t = Tmux { socket, dir };
        t.tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "32",
            "sh",
            "-c",
            &script,
        ]);
        t
    }

    pub(crate) fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(crate) fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    pub(crate) fn alternate_on(&self) -> bool {
        self.tmux(&["display-message", "-p", "#{alternate_on}"])
            .trim()
            == "1"
    }

    pub(crate) fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    pub(crate) fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {needle:?}; the pane shows:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// pinscope's pid: the child of the pane's shell.
    fn pinscope_pid(&self) -> u32 {
        let shell = self.tmux(&["display-message", "-p", "#{pane_pid}"]);
        let shell = shell.trim();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut children = String::new();
            if let Ok(tasks) = std::fs::read_dir(format!("/proc/{shell}/task")) {
                for t in tasks.flatten() {
                    children.push_str(
                        &std::fs::read_to_string(t.path().join("children")).unwrap_or_default(),
                    );
                }
            }
            if let Some(pid) = children.split_whitespace().next() {
                return pid.parse().expect("pid");
            }
            assert!(Instant::now() < deadline, "pinscope did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// The pane with its colours and attributes as escape sequences.
    fn screen_with_attributes(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-e"])
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn demo_shows_the_list_and_quits_cleanly() {
    if tmux_missing() {
        return;
    }
    let t = Tmux::start("quit", "demo");
    // The demo's mirror is synced on start; browse then reads it (every row at hand).
    let screen = t.wait_for("340 customizations");
    assert!(screen.contains("Customizations 340"), "{screen}");
    assert!(screen.contains(" demo "), "{screen}");
    assert!(t.alternate_on(), "the UI runs in the alternate screen");
    // Open the first row and come back, then quit.
    t.keys(&["Enter"]);
    t.wait_for("Pins (");
    t.keys(&["Escape"]);
    t.wait_for("Customizations 340");
    t.keys(&["q"]);
    let screen = t.wait_for("shell-done");
    assert!(screen.contains("exit-status=0"), "{screen}");
    assert!(!t.alternate_on(), "the alternate screen is left:\n{screen}");
    assert!(
        screen.lines().any(|l| l.trim() == "icanon"),
        "the terminal is back in canonical mode:\n{screen}"
    );
    assert!(
        files_in(&t.data_dir()).is_empty(),
        "the demo wrote nothing: {:?}",
        files_in(&t.data_dir())
    );
}

/// Sends `signal` to pinscope once the demo shows, and returns the screen after it exits.
fn signalled_demo(name: &str, signal: &str) -> (Tmux, String) {
    let t = Tmux::start(name, "demo");
    t.wait_for("Customizations 340");
    let pid = t.pinscope_pid();
    let killed = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let screen = t.wait_for("shell-done");
    (t, screen)
}

#[test]
fn sigterm_restores_the_terminal() {
    if tmux_missing() {
        return;
    }
    let (t, screen) = signalled_demo("term", "-TERM");
    assert!(screen.contains("exit-status=143"), "128 + 15:\n{screen}");
    assert!(!t.alternate_on(), "{screen}");
    assert!(screen.lines().any(|l| l.trim() == "icanon"), "{screen}");
}

#[test]
fn sigint_to_the_process_quits_like_ctrl_c() {
    if tmux_missing() {
        return;
    }
    let (t, screen) = signalled_demo("int", "-INT");
    assert!(screen.contains("exit-status=130"), "128 + 2:\n{screen}");
    assert!(!t.alternate_on(), "the alternate screen is left:\n{screen}");
    assert!(
        screen.lines().any(|l| l.trim() == "icanon"),
        "the terminal is back in canonical mode:\n{screen}"
    );
}

#[test]
fn a_panic_in_a_task_restores_the_terminal_then_reports() {
    if tmux_missing() {
        return;
    }
    let t = Tmux::start("panic", "demo --crash-after-start");
    let screen = t.wait_for("shell-done");
    assert!(!t.alternate_on(), "{screen}");
    assert!(screen.lines().any(|l| l.trim() == "icanon"), "{screen}");
    assert!(
        screen.contains("deliberate crash"),
        "the panic is printed:\n{screen}"
    );
    assert!(screen.contains("internal error"), "{screen}");
    assert!(screen.contains("exit-status=1"), "{screen}");
}

#[test]
fn lookup_in_the_demo_is_remembered_in_the_state_dir() {
    if tmux_missing() {
        return;
    }
    let t = Tmux::start("lookup", "demo");
    t.wait_for("Customizations 340");
    t.keys(&["g"]);
    t.wait_for("Go to customization");
    t.keys(&["-l", "199620b4-df1a-46e8-ab59-9e9ed9af7106"]);
    t.keys(&["Enter"]);
    t.wait_for("/p/555 pinned at slot 1 from 1 Feb 2025, no end");
    t.keys(&["C-c"]);
    let screen = t.wait_for("shell-done");
    assert!(screen.contains("exit-status=0"), "{screen}");
    let saved = std::fs::read_to_string(t.state_dir().join("recent_lookups")).expect("saved");
    assert_eq!(saved.trim(), "199620b4-df1a-46e8-ab59-9e9ed9af7106");
    assert!(
        !t.data_dir().join("recent_lookups").exists(),
        "recent lookups are state, not data"
    );
}

#[test]
fn without_a_config_the_first_run_screen_explains() {
    if tmux_missing() {
        return;
    }
    let t = Tmux::start("first-run", "");
    let screen = t.wait_for("Welcome to pinscope");
    assert!(screen.contains("config.toml"), "{screen}");
    assert!(screen.contains("pinscope demo"), "{screen}");
    t.keys(&["q"]);
    let screen = t.wait_for("shell-done");
    assert!(screen.contains("exit-status=0"), "{screen}");
    assert!(!t.alternate_on());
}

#[test]
fn the_default_profile_of_the_config_opens_with_its_label_and_keys() {
    if tmux_missing() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let data: Vec<pinscope::api::Customization> = pinscope::tui::demo::DATA
        .lines()
        .take(3)
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let mut cfg = pinscope::emulator::EmulatorConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        vec![(
            "4321-8765".to_string(),
            pinscope::api::Secret::new("tmux-key"),
        )],
    );
    cfg.preload = data;
    let emu = rt
        .block_on(pinscope::emulator::start(cfg))
        .expect("emulator");
    let config = format!(
        "default_profile = \"shop\"\n\
         [profiles.shop]\n\
         host = \"{}\"\n\
         tracker_id = \"4321-8765\"\n\
         private_key_env = \"PINSCOPE_TMUX_KEY\"\n\
         label = \"PROD shop\"\n\
         color = \"red\"\n\
         production = true\n\
         [keys]\n\
         quit = \"Q\"\n",
        emu.url()
    );
    let t = Tmux::start_with("profile", "", Some(&config), "PINSCOPE_TMUX_KEY=tmux-key");
    let screen = t.wait_for("3 customizations");
    assert!(screen.contains("PROD shop"), "{screen}");
    assert!(screen.contains("4321-8765"), "{screen}");
    assert!(
        screen.contains("Q quit"),
        "the hints follow [keys]:\n{screen}"
    );
    assert!(!screen.contains("tmux-key"), "the key is never shown");
    t.keys(&["q"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(t.alternate_on(), "q is not quit any more");
    t.keys(&["Q"]);
    let screen = t.wait_for("shell-done");
    assert!(screen.contains("exit-status=0"), "{screen}");
    rt.block_on(emu.shutdown());
}

/// Whether a pane captured with `-e` sets a foreground or background colour anywhere.
fn has_colour(captured: &str) -> bool {
    captured.split("\x1b[").skip(1).any(|seq| {
        let params = seq.split('m').next().unwrap_or("");
        params.split(';').any(|p| {
            matches!(
                p.parse::<u16>(),
                Ok(30..=37 | 38 | 40..=47 | 48 | 90..=97 | 100..=107)
            )
        })
    })
}

#[test]
fn no_color_in_the_environment_takes_the_colours_out() {
    if tmux_missing() {
        return;
    }
    let coloured = Tmux::start("colour", "demo");
    coloured.wait_for("Customizations 340");
    let screen = coloured.screen_with_attributes();
    assert!(
        has_colour(&screen),
        "the demo has colours by default:\n{screen:?}"
    );
    coloured.keys(&["q"]);
    coloured.wait_for("shell-done");

    let plain = Tmux::start_with("no-colour", "demo", None, "NO_COLOR=1");
    plain.wait_for("340 customizations");
    let screen = plain.screen_with_attributes();
    assert!(
        !has_colour(&screen),
        "NO_COLOR set, yet colours:\n{screen:?}"
    );
    assert!(screen.contains("340 customizations"), "{screen}");
    plain.keys(&["q"]);
    let screen = plain.wait_for("shell-done");
    assert!(screen.contains("exit-status=0"), "{screen}");
}

#[test]
fn an_empty_config_file_shows_the_welcome_screen() {
    if tmux_missing() {
        return;
    }
    let t = Tmux::start_with("empty-config", "", Some(""), "");
    let screen = t.wait_for("Welcome to pinscope");
    assert!(screen.contains("No profile is configured yet"), "{screen}");
    t.keys(&["q"]);
    let screen = t.wait_for("shell-done");
    assert!(screen.contains("exit-status=0"), "{screen}");
}

#[test]
fn a_key_in_the_config_is_warned_about_after_the_ui_not_behind_it() {
    if tmux_missing() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let cfg = pinscope::emulator::EmulatorConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        vec![(
            "4321-8765".to_string(),
            pinscope::api::Secret::new("tmux-key"),
        )],
    );
    let emu = rt
        .block_on(pinscope::emulator::start(cfg))
        .expect("emulator");
    let config = format!(
        "default_profile = \"shop\"\n\
         [profiles.shop]\n\
         host = \"{}\"\n\
         tracker_id = \"4321-8765\"\n\
         private_key = \"tmux-key\"\n\
         [profiles.other]\n\
         tracker_id = \"1111-2222\"\n\
         private_key = \"other-key\"\n",
        emu.url()
    );
    let t = Tmux::start_with("inline-key", "", Some(&config), "");
    t.wait_for("No customizations yet");
    t.keys(&["q"]);
    let screen = t.wait_for("shell-done");
    assert!(screen.contains("exit-status=0"), "{screen}");
    assert_eq!(
        screen
            .matches("warning: profile \"shop\" keeps its private key in the config file")
            .count(),
        1,
        "printed once after the UI:\n{screen}"
    );
    assert!(
        !screen.contains("\"other\""),
        "not about a profile not used:\n{screen}"
    );
    assert!(!screen.contains("WARNING"), "{screen}");
    assert!(!screen.contains("tmux-key"), "the key is never shown");
    rt.block_on(emu.shutdown());
}

#[test]
fn the_demo_searches_its_mirror_in_memory_and_writes_no_database() {
    if tmux_missing() {
        return;
    }
    let t = Tmux::start("demo-mirror", "demo");
    t.wait_for("synced just now");
    t.keys(&["/"]);
    t.wait_for("Search the whole tracker");
    t.keys(&["-l", "telecaster"]);
    t.wait_for("Fender Telecaster");
    t.keys(&["C-c"]);
    let screen = t.wait_for("shell-done");
    assert!(screen.contains("exit-status=0"), "{screen}");
    assert!(
        !t.data_dir().join(pinscope::mirror::FILE_NAME).exists(),
        "the demo keeps its mirror in memory"
    );
}
