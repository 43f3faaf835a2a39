//! Where each field of a JSON text starts, by the path the validator uses
//! (`pin_definitions[0].position`), so that a problem in a pretty-printed file, or in the
//! JSON a user edited, is reported by line. One home for the CLI's `FILE:LINE:` messages
//! and the editor's "line N:" list.

use std::collections::HashMap;

/// The line (1-based) where each field of a JSON document starts, by the path the
/// validator uses (`pin_definitions[0].position`), so a problem in a pretty-printed file
/// points at its line.
#[derive(Debug, Default)]
pub struct FieldLines {
    lines: HashMap<String, usize>,
}

impl FieldLines {
    /// Scans `text`, which should be valid JSON; on anything else it keeps what it found.
    pub fn new(text: &str) -> FieldLines {
        let mut s = Scan {
            b: text.as_bytes(),
            i: 0,
            line: 1,
            out: HashMap::new(),
        };
        s.value(String::new(), 0);
        FieldLines { lines: s.out }
    }

    /// The line of `path`, or of its nearest ancestor that is there (a missing field is
    /// reported where its object starts), or 1.
    pub fn line_of(&self, path: &str) -> usize {
        let mut p = path;
        loop {
            if let Some(&l) = self.lines.get(p) {
                return l;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p = &p[..i],
                None if !p.is_empty() => p = "",
                None => return 1,
            }
        }
    }
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    line: usize,
    out: HashMap<String, usize>,
}

/// Deeper than serde_json parses; only a guard against a stack overflow on odd input.
const MAX_DEPTH: usize = 256;

impl Scan<'_> {
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => return,
            }
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Skips a string starting at the opening quote; returns its raw contents' range.
    fn string(&mut self) -> Option<(usize, usize)> {
        if self.peek() != Some(b'"') {
            return None;
        }
        self.i += 1;
        let start = self.i;
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'\\' => self.i += 2,
                b'"' => {
                    let end = self.i;
                    self.i += 1;
                    return Some((start, end));
                }
                b'\n' => {
                    self.line += 1;
                    self.i += 1;
                }
                _ => self.i += 1,
            }
        }
        None
    }

    fn value(&mut self, path: String, depth: usize) {
        self.ws();
        self.out.entry(path.clone()).or_insert(self.line);
        if depth > MAX_DEPTH {
            return;
        }
        match self.peek() {
            Some(b'{') => {
                self.i += 1;
                loop {
                    self.ws();
                    match self.peek() {
                        Some(b'}') => {
                            self.i += 1;
                            return;
                        }
                        Some(b',') => {
                            self.i += 1;
                            continue;
                        }
                        Some(b'"') => {}
                        _ => return,
                    }
                    let key_line = self.line;
                    let Some((s, e)) = self.string() else { return };
                    let raw = &self.b[s.saturating_sub(1)..(e + 1).min(self.b.len())];
                    let key: String = std::str::from_utf8(raw)
                        .ok()
                        .and_then(|r| serde_json::from_str(r).ok())
                        .unwrap_or_default();
                    let p = if path.is_empty() {
                        key
                    } else {
                        format!("{path}.{key}")
                    };
                    self.out.entry(p.clone()).or_insert(key_line);
                    self.ws();
                    if self.peek() != Some(b':') {
                        return;
                    }
                    self.i += 1;
                    self.value(p, depth + 1);
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut idx = 0usize;
                loop {
                    self.ws();
                    match self.peek() {
                        Some(b']') => {
                            self.i += 1;
                            return;
                        }
                        Some(b',') => {
                            self.i += 1;
                            continue;
                        }
                        None => return,
                        _ => {}
                    }
                    let before = self.i;
                    self.value(format!("{path}[{idx}]"), depth + 1);
                    idx += 1;
                    if self.i == before {
                        return;
                    }
                }
            }
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while let Some(c) = self.peek() {
                    if matches!(c, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    self.i += 1;
                }
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRETTY: &str = r#"{
  "model": "basket",
  "target_type": "item",
  "target_identity": "/p/1",
  "pin_definitions": [
    {
      "position": 1,
      "pin_type": "item",
      "pin_identity": "/p/2"
    },
    {
      "pin_type": "item",
      "pin_identity": "/p/3",
      "active_from": "yesterday"
    }
  ]
}"#;

    #[test]
    fn field_lines_point_into_pretty_json() {
        let l = FieldLines::new(PRETTY);
        assert_eq!(l.line_of(""), 1);
        assert_eq!(l.line_of("model"), 2);
        assert_eq!(l.line_of("pin_definitions"), 5);
        assert_eq!(l.line_of("pin_definitions[0]"), 6);
        assert_eq!(l.line_of("pin_definitions[0].pin_identity"), 9);
        assert_eq!(l.line_of("pin_definitions[1].active_from"), 14);
        // Missing: where its object starts.
        assert_eq!(l.line_of("pin_definitions[1].position"), 11);
        assert_eq!(l.line_of("target_criteria"), 1);
    }

    #[test]
    fn field_lines_survive_odd_input() {
        for text in [
            "",
            "{",
            "[",
            "{\"a\":",
            "{\"a\\\"b\": [1, {\"c\": \"x\\\\\"}]}",
            "]]]",
            "\"x",
        ] {
            let l = FieldLines::new(text);
            assert!(l.line_of("a.b") >= 1);
        }
        let deep = "[".repeat(10_000);
        assert_eq!(FieldLines::new(&deep).line_of("[0][0]"), 1);
    }

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
        let map = FieldLines::new(text);
        assert_eq!(map.line_of("model"), 2);
        assert_eq!(map.line_of("tags[1]"), 5);
        assert_eq!(map.line_of("target_criteria.brand"), 7);
        assert_eq!(map.line_of("target_criteria.n[1].k"), 7);
        assert_eq!(map.line_of("pin_definitions[0]"), 9);
        assert_eq!(map.line_of("pin_definitions[0].active_to"), 11);
        // Missing fields are reported at the object that lacks them.
        assert_eq!(map.line_of("pin_definitions[1].pin_type"), 13);
        assert_eq!(map.line_of("target_type"), 1);
    }

    #[test]
    fn broken_text_points_at_line_1() {
        for t in ["", "{", "[", "{\"a\": [1, ", "\"x", "{\"a\" 1}", "nul"] {
            let map = FieldLines::new(t);
            assert_eq!(map.line_of("a.b"), 1, "{t}");
        }
    }
}
