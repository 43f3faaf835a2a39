//! The external editor with the real binary in a real terminal (tmux on a private socket):
//! the terminal is handed over in cooked mode on the main screen, taken back, and keys
//! typed meanwhile do not reach the form. Skipped when tmux is not installed.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::tmux::{Tmux, tmux_missing};

fn wait_file(p: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !p.exists() {
        assert!(Instant::now() < deadline, "{} never appeared", p.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_external_editor_gets_the_terminal_and_gives_it_back() {
    if tmux_missing() {
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
    let t = Tmux::start_with(
        "editor",
        "demo",
        None,
        &format!("VISUAL='sh {}'", editor.display()),
    );
    t.wait_for("340 customizations");
    t.keys(&["Enter"]);
    t.wait_for("Pins (");
    t.keys(&["e"]);
    t.wait_for("Target type");
    t.keys(&["C-o"]);
    wait_file(&d.join("running"));
    // The editor has the terminal: the main screen, cooked mode.
    assert!(
        !t.alternate_on(),
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
    assert!(t.alternate_on(), "the UI has its screen back");
    // Still responsive, and quits cleanly.
    t.keys(&["C-c"]);
    let screen = t.wait_for("shell-done");
    assert!(screen.contains("exit-status=0"), "{screen}");
}
