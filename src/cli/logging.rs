//! Logging to a file, never to the terminal (stderr is for people, stdout for data).
//!
//! The file is `--log-file`, else `pinscope.log` in the data dir. `PINSCOPE_LOG` sets the
//! filter (`debug`, `pinscope=trace`...); the default is `info`. Nothing logged holds the
//! key: it lives in a [`Secret`](crate::api::Secret) that prints `***`.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

use super::Failure;

/// The variable that sets the log filter.
pub const LOG_ENV: &str = "PINSCOPE_LOG";

/// The default log file: `pinscope.log` in the data dir.
pub fn default_log_path() -> Option<PathBuf> {
    crate::config::data_dir().map(|d| d.join("pinscope.log"))
}

fn open(path: &Path) -> std::io::Result<File> {
    crate::files::open_private(path, OpenOptions::new().create(true).append(true))
}

/// Starts logging to `explicit` or the default file. An explicit file that cannot be
/// opened is an error (exit 2); when the default one cannot be, pinscope runs without a log.
/// Returns the file in use.
pub fn init(explicit: Option<&Path>) -> Result<Option<PathBuf>, Failure> {
    let (path, file) = match explicit {
        Some(p) => match open(p) {
            Ok(f) => (p.to_path_buf(), f),
            Err(e) => {
                return Err(Failure::usage(format!(
                    "cannot open the log file {}: {e}",
                    p.display()
                )));
            }
        },
        None => match default_log_path().and_then(|p| open(&p).ok().map(|f| (p, f))) {
            Some(x) => x,
            None => return Ok(None),
        },
    };
    let filter = EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new("info"));
    let installed = tracing_subscriber::fmt()
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .is_ok();
    if installed {
        tracing::info!(version = env!("CARGO_PKG_VERSION"), "pinscope started");
    }
    Ok(Some(path))
}
