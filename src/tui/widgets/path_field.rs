//! A one-line path field with Tab completion over the filesystem, as a shell does it: one
//! match is completed (a directory gets its `/`), several are completed to their common
//! start and listed.
//!
//! Completing reads one directory (at most [`MAX_ENTRIES`] entries), on the key press: the
//! same small, bounded read a shell does, so it is not sent to the worker.

use std::path::{Path, PathBuf};

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Block;

use crate::tui::widgets::text_field::TextField;

/// Entries read from one directory, at most.
pub const MAX_ENTRIES: usize = 10_000;

/// A path field and the matches of its last completion.
#[derive(Debug, Clone, Default)]
pub struct PathField {
    field: TextField,
    candidates: Vec<String>,
    /// The last completion found nothing.
    no_match: bool,
}

impl PathField {
    pub fn new(placeholder: &str) -> Self {
        PathField {
            field: TextField::new(placeholder),
            candidates: Vec::new(),
            no_match: false,
        }
    }

    /// The text as typed.
    pub fn value(&self) -> &str {
        self.field.value()
    }

    /// The text as a path (`~/` expanded).
    pub fn path(&self) -> PathBuf {
        expand_home(self.value().trim())
    }

    pub fn set_value(&mut self, text: &str) {
        self.field.set_value(text);
        self.forget();
    }

    /// Feeds a key; returns whether the text changed.
    pub fn input(&mut self, key: KeyEvent) -> bool {
        let changed = self.field.input(key);
        if changed {
            self.forget();
        }
        changed
    }

    pub fn paste(&mut self, text: &str) -> bool {
        let changed = self.field.paste(text);
        if changed {
            self.forget();
        }
        changed
    }

    pub fn set_focused(&mut self, focused: bool) {
        self.field.set_focused(focused);
    }

    fn forget(&mut self) {
        self.candidates.clear();
        self.no_match = false;
    }

    /// The matches listed by the last completion (directories end with `/`).
    pub fn candidates(&self) -> &[String] {
        &self.candidates
    }

    /// Whether the last completion found nothing.
    pub fn no_match(&self) -> bool {
        self.no_match
    }

    /// Completes the text from the filesystem (reads one directory).
    pub fn complete(&mut self) {
        let text = self.value().to_string();
        let (dir, _) = split(&text);
        let entries = list_dir(dir);
        let (done, candidates) = complete_with(&text, &entries);
        self.no_match = entries.is_empty() || (candidates.is_empty() && done == text);
        if done != text {
            self.field.set_value(&done);
        }
        self.candidates = candidates;
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, block: Option<Block<'static>>) {
        self.field.render(frame, area, block);
    }
}

/// `~/x` as the home directory's `x`; anything else as it is.
pub fn expand_home(text: &str) -> PathBuf {
    if (text == "~" || text.starts_with("~/"))
        && let Some(home) = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf())
    {
        return match text.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None => home,
        };
    }
    PathBuf::from(text)
}

/// The directory part (up to and including the last `/`) and the name being typed.
fn split(text: &str) -> (&str, &str) {
    match text.rfind('/') {
        Some(i) => (&text[..=i], &text[i + 1..]),
        None => ("", text),
    }
}

/// `(name, is_dir)` of the entries of the directory `dir` names (`""` is the current one).
fn list_dir(dir: &str) -> Vec<(String, bool)> {
    let path = if dir.is_empty() {
        PathBuf::from(".")
    } else {
        expand_home(dir)
    };
    let Ok(read) = std::fs::read_dir(Path::new(&path)) else {
        return Vec::new();
    };
    read.filter_map(Result::ok)
        .take(MAX_ENTRIES)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            // Follows symbolic links: a link to a directory completes like one.
            let is_dir = std::fs::metadata(e.path()).is_ok_and(|m| m.is_dir());
            Some((name, is_dir))
        })
        .collect()
}

/// Completes `text` against the entries of its directory: the new text, and the matches to
/// list when there are several (sorted; directories end with `/`). Hidden entries match
/// only a name that starts with `.`.
pub fn complete_with(text: &str, entries: &[(String, bool)]) -> (String, Vec<String>) {
    let (dir, prefix) = split(text);
    let mut matches: Vec<&(String, bool)> = entries
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .filter(|(name, _)| prefix.starts_with('.') || !name.starts_with('.'))
        .collect();
    matches.sort();
    match matches.as_slice() {
        [] => (text.to_string(), Vec::new()),
        [(name, is_dir)] => {
            let slash = if *is_dir { "/" } else { "" };
            (format!("{dir}{name}{slash}"), Vec::new())
        }
        many => {
            let first = &many[0].0;
            let common = many.iter().fold(first.as_str(), |acc, (name, _)| {
                let n = acc
                    .char_indices()
                    .zip(name.chars())
                    .take_while(|((_, a), b)| a == b)
                    .last()
                    .map_or(0, |((i, a), _)| i + a.len_utf8());
                &acc[..n]
            });
            let listed = many
                .iter()
                .map(|(name, is_dir)| {
                    if *is_dir {
                        format!("{name}/")
                    } else {
                        name.clone()
                    }
                })
                .collect();
            (format!("{dir}{common}"), listed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(list: &[(&str, bool)]) -> Vec<(String, bool)> {
        list.iter().map(|(n, d)| (n.to_string(), *d)).collect()
    }

    #[test]
    fn one_match_is_completed() {
        let e = entries(&[
            ("catalog.ndjson", false),
            ("data", true),
            ("notes.txt", false),
        ]);
        assert_eq!(
            complete_with("cat", &e),
            ("catalog.ndjson".to_string(), vec![])
        );
        assert_eq!(complete_with("./d", &e), ("./data/".to_string(), vec![]));
        assert_eq!(complete_with("x", &e), ("x".to_string(), vec![]));
    }

    #[test]
    fn several_matches_complete_their_common_start() {
        let e = entries(&[
            ("shop-2025.ndjson", false),
            ("shop-2024.ndjson", false),
            ("shop", true),
            (".shop-secret", false),
        ]);
        let (text, listed) = complete_with("in/sh", &e);
        assert_eq!(text, "in/shop");
        assert_eq!(listed, ["shop/", "shop-2024.ndjson", "shop-2025.ndjson"]);
        let (text, listed) = complete_with("in/shop-", &e);
        assert_eq!(text, "in/shop-202");
        assert_eq!(listed.len(), 2);
        // Hidden entries only when asked for.
        assert_eq!(
            complete_with(".s", &e),
            (".shop-secret".to_string(), vec![])
        );
        // Multibyte names cut on a character boundary.
        let e = entries(&[("čaj-1", false), ("čaj-2", false)]);
        assert_eq!(complete_with("č", &e).0, "čaj-");
    }

    #[test]
    fn completes_from_the_filesystem() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("bulk-a.ndjson"), "").expect("write");
        std::fs::write(dir.path().join("bulk-b.ndjson"), "").expect("write");
        std::fs::create_dir(dir.path().join("more")).expect("mkdir");
        let base = dir.path().display().to_string();
        let mut f = PathField::new("");
        f.set_value(&format!("{base}/m"));
        f.complete();
        assert_eq!(f.value(), format!("{base}/more/"));
        assert!(f.candidates().is_empty());
        f.set_value(&format!("{base}/b"));
        f.complete();
        assert_eq!(f.value(), format!("{base}/bulk-"));
        assert_eq!(f.candidates(), ["bulk-a.ndjson", "bulk-b.ndjson"]);
        assert!(!f.no_match());
        f.set_value(&format!("{base}/zzz"));
        f.complete();
        assert!(f.no_match());
    }

    #[test]
    fn home_is_expanded() {
        assert_eq!(expand_home("/a/b"), PathBuf::from("/a/b"));
        assert_eq!(expand_home("a~/b"), PathBuf::from("a~/b"));
        if let Some(home) = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf()) {
            assert_eq!(expand_home("~/x.ndjson"), home.join("x.ndjson"));
        }
    }
}
