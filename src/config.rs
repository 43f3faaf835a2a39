//! Config file, profiles, key sources and paths.
//!
//! The public names here are what the rest of the crate uses: a command or the TUI runs with
//! one resolved [`Session`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::api::ClientConfig;

/// One resolved profile: everything a command or the TUI needs to talk to one tracker.
#[derive(Debug, Clone)]
pub struct Session {
    /// The profile's name in the config (`demo`, `adhoc` when given on the command line).
    pub profile_name: String,
    /// What the status bar shows (defaults to the profile name).
    pub label: String,
    /// A colour name for the label (`red`, `yellow`, `#ff8800`...), so production looks different.
    pub color: Option<String>,
    /// A production profile asks for more before risky writes.
    pub production: bool,
    /// Refuses every write.
    pub read_only: bool,
    /// Host, tracker, key (a `Secret`), timeouts and retry policy.
    pub client: ClientConfig,
    /// `[keys]` overrides: action name -> key chords, as written in the config.
    pub keys: BTreeMap<String, Vec<String>>,
}

/// Where pinscope keeps its own data (recent lookups, drafts, import journals):
/// `PINSCOPE_DATA_DIR` when set, else the platform data dir.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PINSCOPE_DATA_DIR") {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "pinscope").map(|d| d.data_dir().to_path_buf())
}
