//! Drafts of the editor: what was typed, kept in the data dir until it is saved or
//! discarded, so that a crash or a quit loses nothing.
//!
//! One file per customization and tracker: `DRAFTS_DIR/TRACKER--id-ID.json`, or
//! `TRACKER--new.json` for a customization not created yet. The file holds the edited
//! object, the object the form started from, the server's version it was based on, and the
//! raw text of fields that did not parse (a half-typed date or JSON), so a restore brings
//! back exactly what was on the screen.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The format's version, written in every draft.
pub const VERSION: u32 = 1;

/// One draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub version: u32,
    /// When it was written (RFC 3339).
    pub saved_at: String,
    /// The customization's id; `None` for a new one.
    pub id: Option<String>,
    /// The id a new customization was duplicated from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicated_from: Option<String>,
    /// The server's version the edit started from (`None` for a new one).
    pub base: Option<Value>,
    /// What the form started from (the template, the duplicated object, or `base`).
    pub original: Value,
    /// The edited object.
    pub object: Value,
    /// Raw texts of fields that did not parse, by field path.
    #[serde(default)]
    pub texts: Map<String, Value>,
}

/// The draft file's name for a tracker and a customization id (`None`: new).
pub fn file_name(tracker: &str, id: Option<&str>) -> String {
    match id {
        Some(id) => format!("{}--id-{}.json", safe(tracker), safe(id)),
        None => format!("{}--new.json", safe(tracker)),
    }
}

/// The draft file's path in `dir`.
pub fn path(dir: &Path, tracker: &str, id: Option<&str>) -> PathBuf {
    dir.join(file_name(tracker, id))
}

/// Letters, digits, `-` and `_` kept; anything else written as `%XX`, so no name can leave
/// the directory or clash with another.
fn safe(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// Reads a draft; `Ok(None)` when there is none. A file that cannot be read as a draft is
/// an error naming it (and is left alone).
pub fn load(path: &Path) -> Result<Option<Draft>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read the draft {}: {e}", path.display())),
    };
    serde_json::from_str::<Draft>(&text)
        .map(Some)
        .map_err(|e| format!("the draft {} is damaged: {e}", path.display()))
}

/// Writes `contents` to `path` whole ([`crate::files::write_whole`]); creates the directory,
/// private.
pub fn write(path: &Path, contents: &str) -> std::io::Result<()> {
    crate::files::write_whole(path, |w| w.write_all(contents.as_bytes()))
}

/// Removes a draft; no error when it is not there.
pub fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_safe_and_distinct() {
        assert_eq!(
            file_name("1234-5678", Some("199620b4-df1a-46e8-ab59-9e9ed9af7106")),
            "1234-5678--id-199620b4-df1a-46e8-ab59-9e9ed9af7106.json"
        );
        assert_eq!(file_name("demo", None), "demo--new.json");
        assert_eq!(file_name("a/b", Some("../x")), "a%2Fb--id-%2E%2E%2Fx.json");
        assert_ne!(file_name("demo", Some("new")), file_name("demo", None));
    }

    #[test]
    fn writes_reads_and_removes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = path(&dir.path().join("drafts"), "demo", None);
        assert_eq!(load(&p), Ok(None));
        let d = Draft {
            version: VERSION,
            saved_at: "2025-06-15T10:00:00Z".into(),
            id: None,
            duplicated_from: None,
            base: None,
            original: json!({}),
            object: json!({"model": "basket", "zeta": 1, "alpha": 2}),
            texts: Map::new(),
        };
        write(&p, &serde_json::to_string(&d).expect("json")).expect("write");
        let back = load(&p).expect("load").expect("some");
        assert_eq!(back, d);
        assert_eq!(
            serde_json::to_string(&back.object).expect("json"),
            r#"{"model":"basket","zeta":1,"alpha":2}"#
        );
        remove(&p).expect("remove");
        remove(&p).expect("removing twice is fine");
        assert_eq!(load(&p), Ok(None));
        std::fs::write(&p, "{not json").expect("write");
        let err = load(&p).expect_err("damaged");
        assert!(err.contains("damaged"), "{err}");
        assert!(err.contains("demo--new.json"), "{err}");
    }
}
