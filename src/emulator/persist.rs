//! Files: the data file of `--data` and the NDJSON of `--load`.
//!
//! The data file is NDJSON too: a first line `{"pinscope_emulator_data":1}`, then one line
//! per customization, `{"tracker":"ID","scope":{...}}`, oldest first. It is always
//! replaced whole and atomically (a temporary file in the same directory, synced, then
//! renamed over the old one), so a reader or a crash never sees half a file.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::emulator::EmulatorError;
use crate::emulator::store::{PreparedLine, StoredText};

/// The first line of a data file.
pub const DATA_HEADER: &str = r#"{"pinscope_emulator_data":1}"#;

/// One customization of the data file.
#[derive(Debug)]
pub struct DataRow {
    pub line: usize,
    pub tracker: String,
    pub scope: Map<String, Value>,
}

fn file_error(path: &Path, line: usize, message: impl Into<String>) -> EmulatorError {
    EmulatorError::File {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

fn io_error(path: &Path, source: io::Error) -> EmulatorError {
    EmulatorError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Yields `(line number, line)` for every line that is not blank, without `\r\n` or `\n`;
/// a UTF-8 byte order mark at the start is skipped.
fn lines(
    path: &Path,
) -> Result<impl Iterator<Item = Result<(usize, String), EmulatorError>>, EmulatorError> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let path: PathBuf = path.to_path_buf();
    let reader = BufReader::with_capacity(1 << 16, file);
    Ok(reader
        .lines()
        .enumerate()
        .filter_map(move |(i, line)| match line {
            Ok(mut l) => {
                if i == 0 && l.starts_with('\u{feff}') {
                    l.drain(..'\u{feff}'.len_utf8());
                }
                if l.ends_with('\r') {
                    l.pop();
                }
                if l.trim().is_empty() {
                    None
                } else {
                    Some(Ok((i + 1, l)))
                }
            }
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                Some(Err(file_error(&path, i + 1, "not valid UTF-8")))
            }
            Err(e) => Some(Err(io_error(&path, e))),
        }))
}

/// Parses one NDJSON line as a stored customization (export format: `id`, `created_at`
/// and `creator` are kept).
pub fn parse_stored(line: &str) -> Result<PreparedLine, String> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(m)) => {
            PreparedLine::from_stored(m).map_err(|v| crate::api::validate::describe(&v))
        }
        Ok(_) => Err("not a JSON object".to_string()),
        Err(e) => Err(format!("not valid JSON: {e}")),
    }
}

/// Reads an NDJSON file in export format (`--load`). Blank lines are skipped; any invalid
/// line is an error naming the file and the line.
pub fn read_ndjson(path: &Path) -> Result<Vec<PreparedLine>, EmulatorError> {
    let mut out = Vec::new();
    for item in lines(path)? {
        let (n, line) = item?;
        out.push(parse_stored(&line).map_err(|m| file_error(path, n, m))?);
    }
    Ok(out)
}

/// Reads a data file; `Ok(None)` when there is none yet.
pub fn read_data(path: &Path) -> Result<Option<Vec<DataRow>>, EmulatorError> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, e)),
        Ok(m) if m.is_dir() => {
            return Err(file_error(path, 0, "is a directory, not a data file"));
        }
        Ok(_) => {}
    }
    let mut out = Vec::new();
    let mut header = false;
    for item in lines(path)? {
        let (n, line) = item?;
        if !header {
            if line.trim() != DATA_HEADER {
                return Err(file_error(
                    path,
                    n,
                    format!(
                        "not a pinscope emulator data file (the first line should be {DATA_HEADER}); \
                         to import customizations use --load"
                    ),
                ));
            }
            header = true;
            continue;
        }
        let v: Value = serde_json::from_str(&line)
            .map_err(|e| file_error(path, n, format!("not valid JSON: {e}")))?;
        let Value::Object(mut m) = v else {
            return Err(file_error(path, n, "not a JSON object"));
        };
        let tracker = match m.shift_remove("tracker") {
            Some(Value::String(t)) if !t.is_empty() => t,
            _ => return Err(file_error(path, n, "no \"tracker\" string")),
        };
        let scope = match m.shift_remove("scope") {
            Some(Value::Object(s)) => s,
            _ => return Err(file_error(path, n, "no \"scope\" object")),
        };
        out.push(DataRow {
            line: n,
            tracker,
            scope,
        });
    }
    Ok(Some(out))
}

/// Writes the data file atomically: `trackers` are `(tracker id, stored objects)`.
pub fn write_data(path: &Path, trackers: &[(String, Vec<StoredText>)]) -> io::Result<()> {
    crate::files::write_whole(path, |f| {
        let mut w = BufWriter::with_capacity(1 << 20, f);
        w.write_all(DATA_HEADER.as_bytes())?;
        w.write_all(b"\n")?;
        let mut line = String::new();
        for (tracker, rows) in trackers {
            let t = Value::String(tracker.clone()).to_string();
            for row in rows {
                line.clear();
                line.push_str("{\"tracker\":");
                line.push_str(&t);
                line.push_str(",\"scope\":");
                row.write(&mut line);
                line.push_str("}\n");
                w.write_all(line.as_bytes())?;
            }
        }
        w.flush()
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn data_round_trip_and_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("data.ndjson");
        assert!(read_data(&path).expect("no file yet").is_none());
        let whole = StoredText::Whole(Arc::from(
            r#"{"id":"199620b4-df1a-46e8-ab59-9e9ed9af7106","created_at":"2025-01-22T08:49:58Z","model":"m","target_type":"all","pin_definitions":[],"creator":"api"}"#,
        ));
        let parts = StoredText::Row {
            id: "199620b4-df1a-46e8-ab59-9e9ed9af7106"
                .parse()
                .expect("uuid"),
            created_at: Arc::from("2025-01-22T08:49:58Z"),
            inner: Arc::from(r#""model":"m","target_type":"all","pin_definitions":[]"#),
            creator: Arc::from("api"),
        };
        write_data(&path, &[("t\"1".to_string(), vec![whole, parts])]).expect("write");
        let text = std::fs::read_to_string(&path).expect("read back");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        // A row's parts are written as the same object, byte for byte.
        assert_eq!(lines[1], lines[2]);
        let rows = read_data(&path).expect("read").expect("exists");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].tracker, "t\"1");
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[0].scope["model"], "m");
        // Only the data file is left in the directory.
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);

        std::fs::write(&path, "{\"model\":\"m\"}\n").expect("write");
        let e = read_data(&path).expect_err("not a data file").to_string();
        assert!(e.contains("data.ndjson:1:") && e.contains("--load"), "{e}");
        std::fs::write(&path, format!("{DATA_HEADER}\n\n{{\"tracker\":1}}\n")).expect("write");
        let e = read_data(&path).expect_err("bad row").to_string();
        assert!(e.contains("data.ndjson:3: no \"tracker\""), "{e}");
    }

    #[test]
    fn ndjson_lines_name_file_and_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("in.ndjson");
        std::fs::write(
            &path,
            "\u{feff}{\"model\":\"m\",\"target_type\":\"all\",\"pin_definitions\":[]}\r\n\r\n{\"model\":\"m\",\"target_type\":\"item\",\"pin_definitions\":[]}\n",
        )
        .expect("write");
        let e = read_ndjson(&path).expect_err("line 3 invalid").to_string();
        assert!(
            e.ends_with("in.ndjson:3: target_identity: Missing required field: target_identity"),
            "{e}"
        );
        std::fs::write(
            &path,
            "{\"model\":\"m\",\"target_type\":\"all\",\"pin_definitions\":[]}\n[1]\n",
        )
        .expect("write");
        let e = read_ndjson(&path).expect_err("line 2").to_string();
        assert!(e.ends_with("in.ndjson:2: not a JSON object"), "{e}");
        std::fs::write(
            &path,
            "{\"model\":\"m\",\"target_type\":\"all\",\"pin_definitions\":[]}\n",
        )
        .expect("write");
        assert_eq!(read_ndjson(&path).expect("valid").len(), 1);
    }
}
