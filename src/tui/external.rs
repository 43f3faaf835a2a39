//! Editing a customization as JSON in the user's own editor (`$VISUAL`, then `$EDITOR`,
//! then `vi`), and finding the line of a field path in a JSON text so that problems can be
//! reported by line.
//!
//! The terminal hand-over itself (leaving raw mode and the alternate screen, letting go of
//! the input, taking both back and dropping stray input) lives with the terminal code in
//! [`crate::tui`]; this module only runs the program on a file.

use std::collections::HashMap;
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

/// The 1-based line where each field path of a JSON text starts: object members at their
/// key, array elements at their first character. Paths read like the validator's
/// (`pin_definitions[2].active_to`, `tags[1]`); the whole text is `""` at line 1.
pub fn line_map(text: &str) -> HashMap<String, usize> {
    let mut s = Scan {
        b: text.as_bytes(),
        i: 0,
        line: 1,
        out: HashMap::new(),
    };
    s.skip_ws();
    s.out.insert(String::new(), s.line);
    s.value("", 0);
    s.out
}

/// The line of `path` in `map`, or of its nearest enclosing field when it is missing (a
/// missing required field is reported at the object that lacks it).
pub fn line_of(map: &HashMap<String, usize>, path: &str) -> usize {
    let mut p = path;
    loop {
        if let Some(l) = map.get(p) {
            return *l;
        }
        match p.rfind(['.', '[']) {
            Some(i) => p = &p[..i],
            None => return map.get("").copied().unwrap_or(1),
        }
    }
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    line: usize,
    out: HashMap<String, usize>,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn bump(&mut self) {
        if self.peek() == Some(b'\n') {
            self.line += 1;
        }
        self.i += 1;
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.bump();
        }
    }

    fn value(&mut self, path: &str, depth: usize) {
        if depth > 128 {
            return;
        }
        self.skip_ws();
        match self.peek() {
            Some(b'{') => self.object(path, depth),
            Some(b'[') => self.array(path, depth),
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while let Some(c) = self.peek() {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    self.bump();
                }
            }
            None => {}
        }
    }

    fn object(&mut self, path: &str, depth: usize) {
        self.bump();
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'}') => {
                    self.bump();
                    return;
                }
                Some(b',') => self.bump(),
                Some(b'"') => {
                    let line = self.line;
                    let key = self.string();
                    let p = if path.is_empty() {
                        key
                    } else {
                        format!("{path}.{key}")
                    };
                    self.out.entry(p.clone()).or_insert(line);
                    self.skip_ws();
                    if self.peek() == Some(b':') {
                        self.bump();
                    }
                    self.value(&p, depth + 1);
                }
                _ => return,
            }
        }
    }

    fn array(&mut self, path: &str, depth: usize) {
        self.bump();
        let mut index = 0;
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b']') => {
                    self.bump();
                    return;
                }
                Some(b',') => self.bump(),
                Some(_) => {
                    let p = format!("{path}[{index}]");
                    self.out.entry(p.clone()).or_insert(self.line);
                    let before = self.i;
                    self.value(&p, depth + 1);
                    if self.i == before {
                        return;
                    }
                    index += 1;
                }
                None => return,
            }
        }
    }

    /// A string at the cursor, decoded (escapes included).
    fn string(&mut self) -> String {
        let start = self.i;
        self.bump();
        while let Some(c) = self.peek() {
            match c {
                b'\\' => {
                    self.bump();
                    self.bump();
                }
                b'"' => {
                    self.bump();
                    break;
                }
                _ => self.bump(),
            }
        }
        let raw = &self.b[start..self.i.min(self.b.len())];
        std::str::from_utf8(raw)
            .ok()
            .and_then(|s| serde_json::from_str::<String>(s).ok())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lines_of_paths() {
        let text = r#"{
  "model": "basket",
  "tags": [
    "a",
    "b"
  ],
  "target_criteria": {"brand": "x \" y", "n": [1, {"k": 2}]},
  "pin_definitions": [
    {
      "position": 1,
      "active_to": "2025"
    },
    {"position": 2}
  ]
}"#;
        let map = line_map(text);
        assert_eq!(line_of(&map, "model"), 2);
        assert_eq!(line_of(&map, "tags[1]"), 5);
        assert_eq!(line_of(&map, "target_criteria.brand"), 7);
        assert_eq!(line_of(&map, "target_criteria.n[1].k"), 7);
        assert_eq!(line_of(&map, "pin_definitions[0]"), 9);
        assert_eq!(line_of(&map, "pin_definitions[0].active_to"), 11);
        // Missing fields are reported at the object that lacks them.
        assert_eq!(line_of(&map, "pin_definitions[1].pin_type"), 13);
        assert_eq!(line_of(&map, "target_type"), 1);
    }

    #[test]
    fn survives_broken_text() {
        for t in ["", "{", "[", "{\"a\": [1, ", "\"x", "{\"a\" 1}", "nul"] {
            let map = line_map(t);
            assert_eq!(line_of(&map, "a.b"), 1, "{t}");
        }
    }

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
