//! Reading customizations from files: one JSON object for create/update; JSON or NDJSON for
//! `validate`. Every problem is reported as `FILE:LINE: field.path: message`.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Read, Write};

use serde_json::Value;

use super::{Failure, Outcome, exit, note};
use crate::api::Customization;
use crate::api::validate::{Violation, validate};

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// A JSON file (one customization, or an array of them) or NDJSON (one a line); `-`
    /// reads stdin
    #[arg(value_name = "FILE")]
    pub file: String,
}

/// How a path is named in messages.
pub fn source_name(path: &str) -> String {
    if path == "-" {
        "<stdin>".to_string()
    } else {
        path.to_string()
    }
}

/// Reads a whole file (or stdin for `-`) as text. A file that cannot be opened is a usage
/// error (exit 2); text that is not UTF-8 fails validation (exit 3).
pub fn read_text(path: &str) -> Result<String, Failure> {
    let name = source_name(path);
    let mut bytes = Vec::new();
    if path == "-" {
        if std::io::stdin().is_terminal() {
            note("reading a customization from stdin (end with Ctrl-D)");
        }
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
    } else {
        bytes =
            std::fs::read(path).map_err(|e| Failure::usage(format!("cannot read {name}: {e}")))?;
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = at.iter().filter(|&&b| b == b'\n').count() + 1;
        Failure::invalid(format!("{name}:{line}: not UTF-8 text; nothing was sent"))
    })
}

/// `serde_json`'s message without its trailing "at line L column C".
fn json_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Reads one customization for create or update, validates it, and returns it. Problems
/// are printed on stderr, one a line, and the result is exit 3: nothing is to be sent.
pub fn read_one(path: &str) -> Result<Customization, Failure> {
    let text = read_text(path)?;
    parse_one(&source_name(path), &text)
}

/// [`read_one`] on text already read.
pub fn parse_one(name: &str, text: &str) -> Result<Customization, Failure> {
    if text.trim().is_empty() {
        return Err(Failure::invalid(format!(
            "{name} is empty: expected one customization, a JSON object; nothing was sent"
        )));
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let mut values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
            if let (Some(Ok(_)), Some(Ok(_))) = (values.next(), values.next()) {
                return Err(Failure::invalid(format!(
                    "{name} holds more than one JSON value: this command takes one \
                     customization (use `pinscope import` for NDJSON); nothing was sent"
                )));
            }
            return Err(Failure::invalid(format!(
                "{name}:{}:{}: invalid JSON: {}; nothing was sent",
                e.line(),
                e.column(),
                json_message(&e)
            )));
        }
    };
    if value.is_array() {
        return Err(Failure::invalid(format!(
            "{name} holds an array: this command takes one customization (use `pinscope \
             import` for many); nothing was sent"
        )));
    }
    let violations = validate(&value);
    if !violations.is_empty() {
        let lines = FieldLines::new(text);
        let mut err = std::io::stderr().lock();
        for v in &violations {
            let _ = writeln!(err, "{name}:{}: {v}", lines.line_of(&v.path));
        }
        return Err(Failure::invalid(format!(
            "{name}: {} {} the API's rules; nothing was sent",
            violations.len(),
            if violations.len() == 1 {
                "field breaks"
            } else {
                "fields break"
            }
        )));
    }
    Customization::from_value(value)
        .ok_or_else(|| Failure::invalid(format!("{name}: must be a JSON object; nothing was sent")))
}

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

/// Counts what `validate` saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub total: u64,
    pub invalid: u64,
}

/// `pinscope validate FILE`: offline, JSON (one object or an array) or NDJSON (one object
/// a line, blank lines skipped). Every problem goes to stderr as `FILE:LINE: path: message`;
/// exit 3 when anything is invalid.
pub fn validate_cmd(args: ValidateArgs) -> Outcome {
    let name = source_name(&args.file);
    let reader: Box<dyn BufRead> = if args.file == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let f = File::open(&args.file)
            .map_err(|e| Failure::usage(format!("cannot read {name}: {e}")))?;
        Box::new(BufReader::with_capacity(1 << 16, f))
    };
    let stderr = std::io::stderr();
    let mut report = BufWriter::new(stderr.lock());
    let tally = validate_stream(&name, reader, &mut report)?;
    report
        .flush()
        .map_err(|e| Failure::new(exit::API, format!("cannot write to stderr: {e}")))?;
    drop(report);
    let plural = |n: u64| {
        if n == 1 {
            "customization"
        } else {
            "customizations"
        }
    };
    if tally.total == 0 {
        return Err(Failure::invalid(format!("{name} holds no customization")));
    }
    if tally.invalid > 0 {
        return Err(Failure::invalid(format!(
            "{name}: {} of {} {} invalid",
            tally.invalid,
            tally.total,
            if tally.total == 1 {
                "customization is"
            } else {
                "customizations are"
            }
        )));
    }
    note(&format!(
        "{name}: {} {}, all valid",
        tally.total,
        plural(tally.total)
    ));
    Ok(())
}

fn report_violations(
    out: &mut dyn Write,
    name: &str,
    line: impl Fn(&Violation) -> usize,
    prefix: &str,
    violations: &[Violation],
) -> Result<(), Failure> {
    for v in violations {
        let res = if prefix.is_empty() {
            writeln!(out, "{name}:{}: {v}", line(v))
        } else if v.path.is_empty() {
            writeln!(out, "{name}:{}: {prefix}: {}", line(v), v.message)
        } else {
            writeln!(
                out,
                "{name}:{}: {prefix}{}{v}",
                line(v),
                if v.path.starts_with('[') { "" } else { "." }
            )
        };
        res.map_err(|e| Failure::new(exit::API, format!("cannot write to stderr: {e}")))?;
    }
    Ok(())
}

fn strip_eol(mut b: &[u8]) -> &[u8] {
    if let Some(x) = b.strip_suffix(b"\n") {
        b = x;
    }
    if let Some(x) = b.strip_suffix(b"\r") {
        b = x;
    }
    b
}

/// Validates a stream, writing problems to `out`; see [`validate_cmd`].
pub fn validate_stream(
    name: &str,
    mut reader: impl BufRead,
    out: &mut dyn Write,
) -> Result<Tally, Failure> {
    let read_err = |e: std::io::Error| Failure::usage(format!("cannot read {name}: {e}"));
    let mut tally = Tally::default();
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    let mut head = Vec::new();
    // The first line that is not blank tells the format.
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(read_err)? == 0 {
            return Ok(tally);
        }
        line_no += 1;
        head.extend_from_slice(&buf);
        if !buf.iter().all(u8::is_ascii_whitespace) {
            break;
        }
    }
    let first = strip_eol(&buf);
    let ndjson = matches!(serde_json::from_slice::<Value>(first), Ok(Value::Object(_)));

    if !ndjson {
        // One JSON document: an object or an array of them.
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).map_err(read_err)?;
        head.extend_from_slice(&rest);
        let text = match String::from_utf8(head) {
            Ok(t) => t,
            Err(e) => {
                let at = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                let line = at.iter().filter(|&&b| b == b'\n').count() + 1;
                let _ = writeln!(out, "{name}:{line}: not UTF-8 text");
                tally.total = 1;
                tally.invalid = 1;
                return Ok(tally);
            }
        };
        let value: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                let _ = writeln!(
                    out,
                    "{name}:{}:{}: invalid JSON: {}",
                    e.line(),
                    e.column(),
                    json_message(&e)
                );
                tally.total = 1;
                tally.invalid = 1;
                return Ok(tally);
            }
        };
        let lines = FieldLines::new(&text);
        match &value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    tally.total += 1;
                    let violations = validate(item);
                    if violations.is_empty() {
                        continue;
                    }
                    tally.invalid += 1;
                    let prefix = format!("[{i}]");
                    report_violations(
                        out,
                        name,
                        |v| {
                            lines.line_of(&if v.path.is_empty() {
                                prefix.clone()
                            } else {
                                format!("{prefix}.{}", v.path)
                            })
                        },
                        &prefix,
                        &violations,
                    )?;
                }
            }
            other => {
                tally.total = 1;
                let violations = validate(other);
                if !violations.is_empty() {
                    tally.invalid = 1;
                    report_violations(out, name, |v| lines.line_of(&v.path), "", &violations)?;
                }
            }
        }
        return Ok(tally);
    }

    // NDJSON: one object a line.
    let mut check = |line_no: usize, raw: &[u8], out: &mut dyn Write| -> Result<(), Failure> {
        let raw = strip_eol(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        tally.total += 1;
        // The import's own check, so both commands name a fault in the same words.
        let raw = if line_no == 1 {
            raw.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(raw)
        } else {
            raw
        };
        let violations = crate::import::scan::line_problems(raw);
        if !violations.is_empty() {
            tally.invalid += 1;
            report_violations(out, name, |_| line_no, "", &violations)?;
        }
        Ok(())
    };
    check(line_no, &buf, out)?;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(read_err)? == 0 {
            break;
        }
        line_no += 1;
        check(line_no, &buf, out)?;
    }
    Ok(tally)
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

    fn run(text: &str) -> (Tally, String) {
        let mut out = Vec::new();
        let t = validate_stream("f.ndjson", text.as_bytes(), &mut out).expect("runs");
        (t, String::from_utf8(out).expect("utf8"))
    }

    const GOOD: &str = r#"{"model":"m","target_type":"all","pin_definitions":[]}"#;

    #[test]
    fn ndjson_reports_every_bad_line() {
        let text = format!(
            "{GOOD}\n\n{{\"model\":\"m\",\"target_type\":\"all\",\"pin_definitions\":[{{\"pin_type\":\"item\",\"pin_identity\":\"x\"}}]}}\r\n{{oops\n[1]\n{GOOD}"
        );
        let (t, out) = run(&text);
        assert_eq!(
            t,
            Tally {
                total: 5,
                invalid: 3
            }
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "f.ndjson:3: pin_definitions[0].position: Missing required field: position",
                "f.ndjson:4: invalid JSON at column 2: key must be a string",
                "f.ndjson:5: Must be a JSON object",
            ]
        );
    }

    #[test]
    fn a_pretty_document_reports_lines() {
        let (t, out) = run(PRETTY);
        assert_eq!(
            t,
            Tally {
                total: 1,
                invalid: 1
            }
        );
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [
                "f.ndjson:11: pin_definitions[1].position: Missing required field: position",
                "f.ndjson:14: pin_definitions[1].active_from: Must be an RFC 3339 date-time with offset, e.g. 2025-02-01T00:00:00Z",
            ]
        );
        let (t, out) = run("{\n  \"model\": 1,\n");
        assert_eq!(
            t,
            Tally {
                total: 1,
                invalid: 1
            }
        );
        assert!(out.starts_with("f.ndjson:3:"), "{out}");
        assert!(out.contains("invalid JSON"), "{out}");
    }

    #[test]
    fn an_array_reports_elements() {
        let text = format!(
            "[\n  {GOOD},\n  {{\"model\": \"\", \"target_type\": \"all\", \"pin_definitions\": []}},\n  3\n]"
        );
        let (t, out) = run(&text);
        assert_eq!(
            t,
            Tally {
                total: 3,
                invalid: 2
            }
        );
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [
                "f.ndjson:3: [1].model: Must not be empty",
                "f.ndjson:4: [2]: Must be a JSON object",
            ]
        );
    }

    #[test]
    fn blank_input_holds_nothing() {
        assert_eq!(run("\n \n").0, Tally::default());
    }

    #[test]
    fn parse_one_reports_lines_and_refuses_many() {
        let f = parse_one("c.json", PRETTY).expect_err("invalid");
        assert_eq!(f.code, exit::INVALID);
        assert!(f.message.contains("2 fields break"), "{}", f.message);
        let f = parse_one("c.json", &format!("{GOOD}\n{GOOD}\n")).expect_err("two");
        assert!(f.message.contains("more than one"), "{}", f.message);
        let f = parse_one("c.json", "{\"model\": }").expect_err("bad json");
        assert!(
            f.message.starts_with("c.json:1:11: invalid JSON"),
            "{}",
            f.message
        );
        let f = parse_one("c.json", "  ").expect_err("empty");
        assert_eq!(f.code, exit::INVALID);
        let f = parse_one("c.json", &format!("[{GOOD}]")).expect_err("array");
        assert!(f.message.contains("array"));
        let c = parse_one("c.json", GOOD).expect("valid");
        assert_eq!(c.model(), Some("m"));
    }
}
