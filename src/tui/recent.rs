//! Most-recently-used lists kept between runs in the state dir: one entry a line, newest
//! first. One home for both lists the TUI keeps: the customizations looked up by id
//! ([`LOOKUPS`]) and the files imported ([`IMPORTS`]).

use std::io::Write;
use std::path::{Path, PathBuf};

/// One kind of recent list: its file name, its length and which lines it accepts.
#[derive(Debug, Clone, Copy)]
pub struct RecentList {
    /// The file's name inside the state dir.
    pub file_name: &'static str,
    /// How many entries are kept.
    pub max: usize,
    /// Lines that fail this are dropped on load (a hand-edited or damaged file).
    accepts: fn(&str) -> bool,
}

fn is_uuid(line: &str) -> bool {
    crate::api::model::normalize_uuid(line).is_some()
}

fn is_not_empty(line: &str) -> bool {
    !line.is_empty()
}

/// Recent lookups: customization ids.
pub const LOOKUPS: RecentList = RecentList {
    file_name: "recent_lookups",
    max: 20,
    accepts: is_uuid,
};

/// Recent import files: absolute paths.
pub const IMPORTS: RecentList = RecentList {
    file_name: "recent_imports",
    max: 10,
    accepts: is_not_empty,
};

impl RecentList {
    /// Where this list lives, when there is a state dir.
    pub fn default_path(&self) -> Option<PathBuf> {
        crate::config::state_dir().map(|d| d.join(self.file_name))
    }

    /// Reads the list; a missing or unreadable file is an empty list (it is only a
    /// convenience).
    pub fn load(&self, path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .map(|text| {
                text.lines()
                    .map(str::trim)
                    .filter(|l| (self.accepts)(l))
                    .map(str::to_string)
                    .take(self.max)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Puts `entry` first, without repeats, and keeps at most `max` entries.
    pub fn push(&self, list: &mut Vec<String>, entry: String) {
        list.retain(|e| *e != entry);
        list.insert(0, entry);
        list.truncate(self.max);
    }

    /// Puts `entry` first in the list stored at `path` (read, pushed, written).
    pub fn remember(&self, path: &Path, entry: String) -> std::io::Result<()> {
        let mut list = self.load(path);
        self.push(&mut list, entry);
        save(path, &list)
    }
}

/// Writes a list whole or not at all.
pub fn save(path: &Path, entries: &[String]) -> std::io::Result<()> {
    crate::files::write_whole(path, |w| {
        for e in entries {
            writeln!(w, "{e}")?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_round_trip_skips_junk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join(LOOKUPS.file_name);
        assert!(LOOKUPS.load(&path).is_empty());
        let ids = vec![
            "199620b4-df1a-46e8-ab59-9e9ed9af7106".to_string(),
            "00000000-0000-4000-8000-000000000001".to_string(),
        ];
        save(&path, &ids).expect("save");
        assert_eq!(LOOKUPS.load(&path), ids);
        std::fs::write(&path, "junk\n199620b4-df1a-46e8-ab59-9e9ed9af7106\n").expect("write");
        assert_eq!(LOOKUPS.load(&path), ids[..1].to_vec());
    }

    #[test]
    fn imports_newest_first_without_repeats_and_capped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join(IMPORTS.file_name);
        assert!(IMPORTS.load(&path).is_empty());
        IMPORTS.remember(&path, "/a.ndjson".into()).expect("a");
        IMPORTS.remember(&path, "/b.ndjson".into()).expect("b");
        IMPORTS
            .remember(&path, "/a.ndjson".into())
            .expect("a again");
        assert_eq!(IMPORTS.load(&path), ["/a.ndjson", "/b.ndjson"]);
        for i in 0..15 {
            IMPORTS.remember(&path, format!("/f{i}.ndjson")).expect("f");
        }
        let files = IMPORTS.load(&path);
        assert_eq!(files.len(), IMPORTS.max);
        assert_eq!(files[0], "/f14.ndjson");
    }

    #[test]
    fn push_caps_the_lookups() {
        let mut list = Vec::new();
        for i in 0..25 {
            LOOKUPS.push(&mut list, format!("00000000-0000-4000-8000-{i:012}"));
        }
        assert_eq!(list.len(), LOOKUPS.max);
        assert_eq!(list[0], "00000000-0000-4000-8000-000000000024");
    }
}
