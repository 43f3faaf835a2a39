//! Browse's selection: the customizations marked for work on many at once.
//!
//! Ids are kept by value, not by row, so the selection survives scrolling, a new sort, a
//! new filter and a search: a row that comes back into view is still marked. A service id
//! is a UUID in its usual lowercase form, kept as 16 bytes (100,000 selected cost about
//! 2 MB); anything else is kept as its text.
//!
//! A range (`v`) runs from an anchor row to the cursor, whatever the rows between are;
//! it is added to the selection when it ends.

use std::collections::HashSet;

/// The selected ids, and the range being drawn.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    uuids: HashSet<u128>,
    other: HashSet<Box<str>>,
    /// Where the range in progress started (an index in the list as shown).
    anchor: Option<usize>,
}

/// An id's compact key: the UUID's bits when the id is a UUID in the canonical lowercase
/// hyphenated form (so it is given back exactly as it came), else `None`.
fn compact(id: &str) -> Option<u128> {
    if id.len() != 36 || id.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    uuid::Uuid::try_parse(id).ok().map(|u| u.as_u128())
}

fn expand(bits: u128) -> String {
    uuid::Uuid::from_u128(bits).hyphenated().to_string()
}

impl Selection {
    /// How many ids are selected (the range in progress not counted).
    pub fn len(&self) -> usize {
        self.uuids.len() + self.other.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, id: &str) -> bool {
        match compact(id) {
            Some(bits) => self.uuids.contains(&bits),
            None => self.other.contains(id),
        }
    }

    /// Adds `id`; `false` when it was there.
    pub fn insert(&mut self, id: &str) -> bool {
        match compact(id) {
            Some(bits) => self.uuids.insert(bits),
            None => self.other.insert(id.into()),
        }
    }

    /// Removes `id`; `false` when it was not there.
    pub fn remove(&mut self, id: &str) -> bool {
        match compact(id) {
            Some(bits) => self.uuids.remove(&bits),
            None => self.other.remove(id),
        }
    }

    /// Selects `id`, or unselects it when it was selected.
    pub fn toggle(&mut self, id: &str) {
        if !self.remove(id) {
            self.insert(id);
        }
    }

    /// Adds every id.
    pub fn extend<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>) {
        let ids = ids.into_iter();
        self.uuids.reserve(ids.size_hint().0);
        for id in ids {
            self.insert(id);
        }
    }

    /// Adds every id of `other` (its range, if any, is not taken).
    pub fn merge(&mut self, other: &Selection) {
        if self.is_empty() {
            self.uuids = other.uuids.clone();
            self.other = other.other.clone();
            return;
        }
        self.uuids.extend(other.uuids.iter().copied());
        self.other.extend(other.other.iter().cloned());
    }

    /// Forgets everything, the range too.
    pub fn clear(&mut self) {
        self.uuids = HashSet::new();
        self.other = HashSet::new();
        self.anchor = None;
    }

    /// Starts a range at row `at`.
    pub fn start_range(&mut self, at: usize) {
        self.anchor = Some(at);
    }

    /// Where the range in progress started.
    pub fn anchor(&self) -> Option<usize> {
        self.anchor
    }

    /// The rows of the range in progress with the cursor at `cursor`, first to last.
    pub fn range(&self, cursor: usize) -> Option<std::ops::RangeInclusive<usize>> {
        self.anchor.map(|a| a.min(cursor)..=a.max(cursor))
    }

    /// Ends the range in progress, returning its rows (for the caller to add their ids).
    pub fn end_range(&mut self, cursor: usize) -> Option<std::ops::RangeInclusive<usize>> {
        let r = self.range(cursor);
        self.anchor = None;
        r
    }

    /// Every selected id, sorted.
    pub fn ids(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .uuids
            .iter()
            .map(|&b| expand(b))
            .chain(self.other.iter().map(|s| s.to_string()))
            .collect();
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0b8a3c1e-5f2d-4a6b-9c7e-1d2f3a4b5c6d";
    const B: &str = "ffffffff-0000-4000-8000-000000000001";

    #[test]
    fn ids_come_back_exactly_as_given() {
        let mut s = Selection::default();
        s.insert(A);
        s.insert("not-a-uuid");
        s.insert("0B8A3C1E-5F2D-4A6B-9C7E-1D2F3A4B5C6D");
        s.insert(A);
        assert_eq!(s.len(), 3);
        assert_eq!(
            s.ids(),
            ["0B8A3C1E-5F2D-4A6B-9C7E-1D2F3A4B5C6D", A, "not-a-uuid"]
        );
        assert!(s.contains(A) && s.contains("not-a-uuid") && !s.contains(B));
        s.toggle(A);
        s.toggle(B);
        assert!(!s.contains(A) && s.contains(B));
        s.clear();
        assert!(s.is_empty());
    }

    #[test]
    fn merging_adds_every_id() {
        let mut a = Selection::default();
        a.insert(A);
        let mut b = Selection::default();
        b.insert(B);
        b.insert("plain");
        a.merge(&b);
        assert_eq!(a.ids(), [A, B, "plain"]);
        let mut empty = Selection::default();
        empty.merge(&b);
        assert_eq!(empty, b);
    }

    #[test]
    fn a_range_runs_either_way_from_its_anchor() {
        let mut s = Selection::default();
        assert_eq!(s.range(4), None);
        s.start_range(5);
        assert_eq!(s.range(2), Some(2..=5));
        assert_eq!(s.range(9), Some(5..=9));
        assert_eq!(s.end_range(7), Some(5..=7));
        assert_eq!(s.anchor(), None);
    }

    #[test]
    fn a_hundred_thousand_uuids_stay_small() {
        let mut s = Selection::default();
        let ids: Vec<String> = (0..100_000u128)
            .map(|i| uuid::Uuid::from_u128(i << 64 | 0x4000_8000_0000_0000).to_string())
            .collect();
        s.extend(ids.iter().map(String::as_str));
        assert_eq!(s.len(), 100_000);
        assert!(s.other.is_empty(), "every one kept as 16 bytes");
        // 16 bytes and a control byte a bucket, at most twice the buckets needed.
        assert!(s.uuids.capacity() * 17 < 5 * 1024 * 1024);
    }
}
