//! Editing a customization as JSON in the user's own editor (`$VISUAL`, then `$EDITOR`,
//! then `vi`). Problems in what comes back are reported by line through
//! [`crate::api::field_lines`].
//!
//! The terminal hand-over itself (leaving raw mode and the alternate screen, letting go of
//! the input, taking both back and dropping stray input) lives with the terminal code in
//! [`crate::tui`]; this module only runs the program on a file.

use std::io::Write as _;

/// The editor to run: `$VISUAL`, else `$EDITOR`, else `vi`.
pub fn editor_command() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| "vi".to_string())
}

/// Writes `text` to a temporary `.json` file, runs `command` on it (through `sh -c`, so
/// `code --wait` or `emacs -nw` work), and returns what the file holds afterwards. The
/// terminal must already be handed over. A program that fails or exits non-zero is an
/// error; the text is then not read back.
pub fn edit_with(command: &str, text: &str) -> Result<String, String> {
    let mut file = tempfile::Builder::new()
        .prefix("pinscope-")
        .suffix(".json")
        .tempfile()
        .map_err(|e| format!("cannot create a temporary file: {e}"))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| format!("cannot write {}: {e}", file.path().display()))?;
    let path = file.path().to_path_buf();
    run_editor(command, &path).map_err(|e| format!("{e}; the form is unchanged"))?;
    std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Runs the editor `command` on `path` (through `sh -c`, so `code --wait` works) and waits
/// for it; a program that cannot start or exits non-zero is an error.
pub fn run_editor(command: &str, path: &std::path::Path) -> Result<(), String> {
    let status = shell(command, path)
        .status()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if !status.success() {
        return Err(format!("{command:?} exited with {status}"));
    }
    Ok(())
}

#[cfg(unix)]
fn shell(command: &str, path: &std::path::Path) -> std::process::Command {
    let mut c = std::process::Command::new("sh");
    c.arg("-c")
        .arg(format!("{command} \"$1\""))
        .arg("pinscope")
        .arg(path);
    c
}

#[cfg(not(unix))]
fn shell(command: &str, path: &std::path::Path) -> std::process::Command {
    let mut parts = command.split_whitespace();
    let mut c = std::process::Command::new(parts.next().unwrap_or("notepad"));
    c.args(parts).arg(path);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn runs_an_editor_on_a_file() {
        // A stand-in editor: rewrites the model in place.
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("ed.sh");
        std::fs::write(&script, "#!/bin/sh\nsed -i.bak 's/basket/home/' \"$1\"\n").expect("script");
        let cmd = format!("sh {}", script.display());
        let out = edit_with(&cmd, "{\"model\": \"basket\"}\n").expect("edit");
        assert_eq!(out, "{\"model\": \"home\"}\n");
        let err = edit_with("false", "{}").expect_err("fails");
        assert!(err.contains("exited with"), "{err}");
    }
}
