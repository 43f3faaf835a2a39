//! The external editor with the real binary in a real terminal (tmux on a private socket):
//! the terminal is handed over in cooked mode on the main screen, taken back, and keys
//! typed meanwhile do not reach the form. Skipped when tmux is not installed.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_pinscope");

struct Tmux {
    socket: String,
}

impl Tmux {
    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    fn wait_for(&self, needle: &str) -> String {
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
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

fn wait_file(p: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !p.exists() {
        assert!(Instant::now() < deadline, "{} never appeared", p.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_external_editor_gets_the_terminal_and_gives_it_back() {
    if !Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("skipped: tmux is not installed (the CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // A stand-in editor: notes the terminal's mode, says it runs, waits to be let go (the
    // test types meanwhile), then edits the model in the file.
    let editor = d.join("editor.sh");
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\n\
             stty -a > '{stty}'\n\
             touch '{running}'\n\
             while [ ! -e '{go}' ]; do sleep 0.05; done\n\
             sed -i.bak 's/\"model\": \"\\([^\"]*\\)\"/\"model\": \"\\1-ext\"/' \"$1\"\n",
            stty = d.join("stty").display(),
            running = d.join("running").display(),
            go = d.join("go").display(),
        ),
    )
    .expect("script");
    let script = format!(
        "env PINSCOPE_DATA_DIR='{data}' PINSCOPE_CONFIG='{config}' TZ=UTC VISUAL='sh {editor}' \
         RUST_BACKTRACE=0 '{BIN}' demo; echo \"exit-status=$?\"; echo shell-done; sleep 120",
        data = d.join("data").display(),
        config = d.join("config.toml").display(),
        editor = editor.display(),
    );
    let t = Tmux {
        socket: format!("pinscope-editor-test-{}", std::process::id()),
    };
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
    t.wait_for("Customizations 340");
    t.keys(&["Enter"]);
    t.wait_for("Pins (");
    t.keys(&["e"]);
    t.wait_for("Target type");
    t.keys(&["C-o"]);
    wait_file(&d.join("running"));
    // The editor has the terminal: the main screen, cooked mode.
    let alt = t.tmux(&["display-message", "-p", "#{alternate_on}"]);
    assert_eq!(
        alt.trim(),
        "0",
        "the alternate screen is left for the editor"
    );
    let stty = std::fs::read_to_string(d.join("stty")).expect("stty");
    assert!(
        stty.split_whitespace().any(|w| w == "icanon"),
        "cooked mode for the editor: {stty}"
    );
    // Keys typed while the editor runs (and does not read them) must not reach the form.
    t.keys(&["-l", "qqq"]);
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(d.join("go"), "").expect("go");
    let screen = t.wait_for("Updated from the editor");
    assert!(screen.contains("-ext"), "{screen}");
    assert!(!screen.contains("qqq"), "stray keys were typed: {screen}");
    let alt = t.tmux(&["display-message", "-p", "#{alternate_on}"]);
    assert_eq!(alt.trim(), "1", "the UI has its screen back");
    // Still responsive, and quits cleanly.
    t.keys(&["C-c"]);
    let screen = t.wait_for("shell-done");
    assert!(screen.contains("exit-status=0"), "{screen}");
}
