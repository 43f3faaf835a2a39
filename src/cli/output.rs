//! Data on stdout: one JSON object (pretty on a terminal), or NDJSON one object a line.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Failure, exit};
use crate::api::text::{json_for_terminal, strip_controls};

/// A closed pipe (`pinscope list | head -1`) ends the command quietly and successfully;
/// any other write error is an error.
fn write_failure(e: std::io::Error, what: &str) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Failure::quiet(exit::OK)
    } else {
        Failure::new(exit::API, format!("cannot write {what}: {e}"))
    }
}

/// Prints one JSON value on stdout: indented when stdout is a terminal, one line otherwise.
/// On a terminal, control characters inside strings are escaped (the value is the same);
/// to a pipe or a file the JSON is exact.
pub fn print_object<T: Serialize>(v: &T) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let pretty = stdout.is_terminal();
    let mut out = stdout.lock();
    let text = if pretty {
        serde_json::to_string_pretty(v)
    } else {
        serde_json::to_string(v)
    }
    .map_err(|e| Failure::new(exit::API, format!("cannot encode the answer: {e}")))?;
    let text = if pretty {
        json_for_terminal(&text)
    } else {
        text.into()
    };
    out.write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| write_failure(e, "to stdout"))
}

/// Prints text lines on stdout, without control characters when stdout is a terminal.
pub fn print_lines<I: IntoIterator<Item = String>>(lines: I) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = stdout.lock();
    for l in lines {
        let l = if terminal {
            strip_controls(&l)
        } else {
            l.as_str().into()
        };
        writeln!(out, "{l}").map_err(|e| write_failure(e, "to stdout"))?;
    }
    out.flush().map_err(|e| write_failure(e, "to stdout"))
}

enum Sink {
    /// `true` when stdout is a terminal: strings' control characters are escaped.
    Stdout(BufWriter<std::io::Stdout>, bool),
    /// Written whole ([`crate::files::WholeFile`]) on `finish`.
    File {
        file: crate::files::WholeFile,
        target: PathBuf,
    },
}

/// NDJSON, one object a line, to stdout or to a file that appears whole or not at all.
pub struct Ndjson {
    sink: Sink,
    count: u64,
}

impl Ndjson {
    pub fn stdout() -> Ndjson {
        Ndjson {
            sink: Sink::Stdout(
                BufWriter::new(std::io::stdout()),
                std::io::stdout().is_terminal(),
            ),
            count: 0,
        }
    }

    /// A file written whole by [`Ndjson::finish`] ([`crate::files::WholeFile`]: a device or
    /// a fifo is written through, a link's target is written). A directory or a path that
    /// cannot be written is refused here, before anything is asked of the service.
    pub fn file(path: &Path) -> Result<Ndjson, Failure> {
        crate::files::check_output(path).map_err(Failure::usage)?;
        let file = crate::files::WholeFile::create(path)
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
        Ok(Ndjson {
            sink: Sink::File {
                file,
                target: path.to_path_buf(),
            },
            count: 0,
        })
    }

    /// Lines written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn write<T: Serialize>(&mut self, v: &T) -> Result<(), Failure> {
        let mut line = serde_json::to_vec(v)
            .map_err(|e| Failure::new(exit::API, format!("cannot encode a line: {e}")))?;
        line.push(b'\n');
        let res = match &mut self.sink {
            Sink::Stdout(w, true) => {
                let text = String::from_utf8_lossy(&line);
                w.write_all(json_for_terminal(&text).as_bytes())
            }
            Sink::Stdout(w, false) => w.write_all(&line),
            Sink::File { file, .. } => file.write_all(&line),
        };
        res.map_err(|e| write_failure(e, "the output"))?;
        self.count += 1;
        Ok(())
    }

    /// Flushes stdout, or renames the file into place.
    pub fn finish(self) -> Result<u64, Failure> {
        let count = self.count;
        match self.sink {
            Sink::Stdout(mut w, _) => w.flush().map_err(|e| write_failure(e, "to stdout"))?,
            Sink::File { file, target } => file.commit().map_err(|e| {
                Failure::new(exit::API, format!("cannot write {}: {e}", target.display()))
            })?,
        }
        Ok(count)
    }
}
