//! Recent lookups, kept between runs in the data dir: one id a line, newest first.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The file's name inside the data dir.
pub const FILE_NAME: &str = "recent_lookups";

/// Where the recent lookups live, when there is a data dir.
pub fn default_path() -> Option<PathBuf> {
    crate::config::data_dir().map(|d| d.join(FILE_NAME))
}

/// Reads the list; a missing or unreadable file is an empty list (it is only a convenience).
pub fn load(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|text| {
            text.lines()
                .map(str::trim)
                .filter(|l| crate::api::model::normalize_uuid(l).is_some())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Writes the list atomically (a temporary file renamed over the old one).
pub fn save(path: &Path, ids: &[String]) -> std::io::Result<()> {
    crate::files::write_whole(path, |w| {
        for id in ids {
            writeln!(w, "{id}")?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_skips_junk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join(FILE_NAME);
        assert!(load(&path).is_empty());
        let ids = vec![
            "199620b4-df1a-46e8-ab59-9e9ed9af7106".to_string(),
            "00000000-0000-4000-8000-000000000001".to_string(),
        ];
        save(&path, &ids).expect("save");
        assert_eq!(load(&path), ids);
        std::fs::write(&path, "junk\n199620b4-df1a-46e8-ab59-9e9ed9af7106\n").expect("write");
        assert_eq!(load(&path), ids[..1].to_vec());
    }
}
