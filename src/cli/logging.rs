//! Logging to a file, never to the terminal (stderr is for people, stdout for data).
//!
//! The file is `--log-file`, else `pinscope.log` in the state dir (`~/.local/state/pinscope`).
//! `PINSCOPE_LOG` sets the filter (`debug`, `pinscope=trace`...); the default is `info`.
//! Nothing logged holds the key: it lives in a [`Secret`](crate::api::Secret) that prints
//! `***`.
//!
//! The log is capped: when a write would take it past [`LOG_CAP`] bytes, the file becomes
//! `pinscope.log.1` (replacing the previous one) and a new file is started, so the log never
//! holds more than twice the cap on disk. Written by hand: the rotating appenders on
//! crates.io rotate by time, or bring a thread and a channel for a few lines a minute.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use super::Failure;

/// The variable that sets the log filter.
pub const LOG_ENV: &str = "PINSCOPE_LOG";

/// How large the log may grow before it is rotated.
pub const LOG_CAP: u64 = 1024 * 1024;

/// The default log file: `pinscope.log` in the state dir.
pub fn default_log_path() -> Option<PathBuf> {
    crate::config::state_dir().map(|d| d.join("pinscope.log"))
}

/// The file a full log is moved to: `pinscope.log` -> `pinscope.log.1`.
pub fn rotated_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".1");
    PathBuf::from(name)
}

/// A log file that rotates itself once it holds `cap` bytes.
#[derive(Debug)]
pub struct CappedLog {
    path: PathBuf,
    file: File,
    len: u64,
    cap: u64,
}

impl CappedLog {
    /// Opens (appends to) `path`, rotating it first if it is already full.
    pub fn open(path: &Path, cap: u64) -> std::io::Result<CappedLog> {
        let file = open(path)?;
        let len = file.metadata()?.len();
        let mut log = CappedLog {
            path: path.to_path_buf(),
            file,
            len,
            cap,
        };
        if len >= cap {
            log.rotate()?;
        }
        Ok(log)
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        self.file.flush()?;
        std::fs::rename(&self.path, rotated_path(&self.path))?;
        self.file = open(&self.path)?;
        self.len = 0;
        Ok(())
    }
}

impl Write for CappedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // One call is one event; it is never split across two files. A failed rotation
        // (say the directory turned read-only) keeps writing to the file it has.
        if self.len > 0 && self.len + buf.len() as u64 > self.cap {
            let _ = self.rotate();
        }
        let n = self.file.write(buf)?;
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

fn open(path: &Path) -> std::io::Result<File> {
    crate::files::open_private(path, OpenOptions::new().create(true).append(true))
}

/// The filter `PINSCOPE_LOG` asks for: a level (`debug`) and per-module levels
/// (`info,pinscope::api=trace`); `info` when unset or unreadable. `Targets` rather than
/// `EnvFilter`: the same directives without span and field filters, and without the regex
/// engine (about a megabyte of the binary).
fn filter_from_env() -> Targets {
    std::env::var(LOG_ENV)
        .ok()
        .and_then(|v| v.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

/// Starts logging to `explicit` or the default file. An explicit file that cannot be
/// opened is an error (exit 2); when the default one cannot be, pinscope runs without a log.
/// Returns the file in use.
pub fn init(explicit: Option<&Path>) -> Result<Option<PathBuf>, Failure> {
    let (path, file) = match explicit {
        Some(p) => match CappedLog::open(p, LOG_CAP) {
            Ok(f) => (p.to_path_buf(), f),
            Err(e) => {
                return Err(Failure::usage(format!(
                    "cannot open the log file {}: {e}",
                    p.display()
                )));
            }
        },
        None => match default_log_path()
            .and_then(|p| CappedLog::open(&p, LOG_CAP).ok().map(|f| (p, f)))
        {
            Some(x) => x,
            None => return Ok(None),
        },
    };
    let installed = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(Mutex::new(file))
                .with_ansi(false),
        )
        .with(filter_from_env())
        .try_init()
        .is_ok();
    if installed {
        tracing::info!(version = env!("CARGO_PKG_VERSION"), "pinscope started");
    }
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_rotates_at_its_cap_and_keeps_one_old_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state").join("pinscope.log");
        let mut log = CappedLog::open(&path, 100).expect("open");
        let line = [b'a'; 40];
        for _ in 0..2 {
            log.write_all(&line).expect("write");
        }
        assert_eq!(std::fs::metadata(&path).expect("meta").len(), 80);
        assert!(!rotated_path(&path).exists());
        // The third line would pass the cap: the first two move to .1.
        log.write_all(&[b'b'; 40]).expect("write");
        assert_eq!(std::fs::read(rotated_path(&path)).expect("old"), [b'a'; 80]);
        assert_eq!(std::fs::read(&path).expect("new"), [b'b'; 40]);
        for _ in 0..3 {
            log.write_all(&[b'c'; 40]).expect("write");
        }
        // Only one old file: the 'a's are gone, the 'b's moved to .1.
        let old = std::fs::read(rotated_path(&path)).expect("old");
        assert_eq!(&old[..40], &[b'b'; 40]);
        assert!(!old.contains(&b'a'));
        assert!(std::fs::metadata(&path).expect("meta").len() <= 100);
    }

    #[test]
    fn a_full_log_is_rotated_when_opened() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pinscope.log");
        std::fs::write(&path, [b'x'; 150]).expect("write");
        let mut log = CappedLog::open(&path, 100).expect("open");
        log.write_all(b"fresh\n").expect("write");
        assert_eq!(std::fs::read(&path).expect("new"), b"fresh\n");
        assert_eq!(std::fs::read(rotated_path(&path)).expect("old").len(), 150);
    }
}
