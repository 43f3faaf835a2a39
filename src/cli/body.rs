//! Reading customizations from files: one JSON object for create/update; JSON or NDJSON for
//! `validate`. Every problem is reported as `FILE:LINE: field.path: message`.

use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::{Failure, Outcome, exit, note};
use crate::api::Customization;
use crate::api::field_lines::FieldLines;
use crate::api::validate::validate;
use crate::import;

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// An NDJSON file, one customization a line, checked as `pinscope import` checks it;
    /// `-` reads stdin
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

/// `pinscope validate FILE`: offline, the import's own first pass ([`import::check_stream`]):
/// the same reader (BOM, `\r\n`, the 1 MiB line limit), the same rules and the same
/// messages, streamed, so memory stays flat however long the file. Every problem goes to
/// stderr as `FILE:LINE: path: message`; exit 3 when any line is invalid.
pub fn validate_cmd(args: ValidateArgs) -> Outcome {
    let name = source_name(&args.file);
    let (reader, total): (Box<dyn Read>, Option<u64>) = if args.file == "-" {
        (Box::new(std::io::stdin()), None)
    } else {
        let f = File::open(&args.file)
            .map_err(|e| Failure::usage(format!("cannot read {name}: {e}")))?;
        let total = f.metadata().ok().map(|m| m.len());
        (Box::new(f), total)
    };
    let out: Box<dyn Write + Send> = Box::new(std::io::stderr());
    let c = validate_reader(&name, reader, total, out)?;
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if c.non_blank() == 0 {
        return Err(Failure::invalid(format!("{name} holds no customization")));
    }
    if c.invalid > 0 {
        if c.looks_like_json_array {
            note(&format!("hint: {}", import::ndjson_hint(&name)));
        }
        return Err(Failure::invalid(format!(
            "{name}: {} of {} invalid",
            c.invalid,
            plural(c.non_blank(), "line is", "lines are"),
        )));
    }
    note(&format!(
        "{name}: {}, all valid",
        plural(c.valid, "customization", "customizations")
    ));
    Ok(())
}

/// Checks `reader` line by line and writes `NAME:LINE: problem` to `out` for every problem,
/// as the import's first pass would.
pub fn validate_reader(
    name: &str,
    reader: impl Read,
    total: Option<u64>,
    out: Box<dyn Write + Send>,
) -> Result<import::PlanCounts, Failure> {
    let out = Arc::new(Mutex::new(std::io::BufWriter::new(out)));
    let sink = Arc::clone(&out);
    let shown = name.to_string();
    let progress = import::Progress::new(move |e| {
        if let import::Event::Invalid { line, reasons, .. } = e
            && let Ok(mut w) = sink.lock()
        {
            for v in &reasons {
                let _ = writeln!(w, "{shown}:{line}: {v}");
            }
        }
    });
    let counts = import::check_stream(name, reader, total, &progress, &import::CancelToken::new())
        .map_err(|e| Failure::usage(e.to_string()))?;
    drop(progress);
    if let Ok(mut w) = out.lock() {
        w.flush()
            .map_err(|e| Failure::new(exit::API, format!("cannot write to stderr: {e}")))?;
    }
    Ok(counts)
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

    /// A writer whose bytes can be read after the writer was given away.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn run(text: &[u8]) -> (import::PlanCounts, String) {
        let buf = Shared::default();
        let c = validate_reader("f.ndjson", text, None, Box::new(buf.clone())).expect("runs");
        let out = buf.0.lock().expect("lock").clone();
        (c, String::from_utf8(out).expect("utf8"))
    }

    const GOOD: &str = r#"{"model":"m","target_type":"all","pin_definitions":[]}"#;

    #[test]
    fn validate_reports_every_bad_line_as_the_import_does() {
        // A bad first line does not hide the others, and a BOM is no problem.
        let text = format!(
            "\u{feff}{{oops\n\n{{\"model\":\"m\",\"target_type\":\"all\",\"pin_definitions\":[{{\"pin_type\":\"item\",\"pin_identity\":\"x\"}}]}}\r\n[1]\n{GOOD}"
        );
        let (c, out) = run(text.as_bytes());
        assert_eq!((c.non_blank(), c.valid, c.invalid), (4, 1, 3));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "f.ndjson:1: invalid JSON at column 2: key must be a string",
                "f.ndjson:3: pin_definitions[0].position: Missing required field: position",
                "f.ndjson:4: Must be a JSON object",
            ]
        );
        let (c, out) = run(format!("\u{feff}{GOOD}\n").as_bytes());
        assert_eq!((c.valid, c.invalid), (1, 0), "{out}");
    }

    #[test]
    fn validate_refuses_a_line_the_import_refuses() {
        let long = format!(
            "{{\"model\":\"m\",\"target_type\":\"all\",\"pin_definitions\":[],\"x\":\"{}\"}}\n",
            "a".repeat(crate::import::reader::MAX_LINE_BYTES + 10)
        );
        let (c, out) = run(format!("{GOOD}\n{long}").as_bytes());
        assert_eq!(c.invalid, 1);
        assert!(
            out.starts_with("f.ndjson:2: line is longer than 1 MiB"),
            "{out}"
        );
    }

    #[test]
    fn a_json_array_is_told_ndjson_is_expected() {
        let text = format!("[\n  {GOOD},\n  {GOOD}\n]\n");
        let (c, _) = run(text.as_bytes());
        assert!(c.looks_like_json_array);
        assert!(c.invalid > 0);
        assert!(import::ndjson_hint("f.json").contains("NDJSON"));
        let (c, _) = run(format!("{GOOD}\n").as_bytes());
        assert!(!c.looks_like_json_array);
    }

    #[test]
    fn blank_input_holds_nothing() {
        assert_eq!(run(b"\n \n").0.non_blank(), 0);
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
