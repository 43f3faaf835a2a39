//! The default order of the rows: runs of `(id, slot)` per `created_at`.

use std::collections::{BTreeMap, btree_map};

use jiff::Timestamp;
use uuid::Uuid;

/// The default order of the rows: `created_at`, then `id` (by its bytes, which is how
/// [`Uuid`] orders). For each `created_at` (in nanoseconds) a run of `(id, slot)` sorted
/// by id. The rows of a bulk create share one `created_at`: they are sorted once, as a
/// batch, and become one run, instead of each being placed in a tree on its own.
#[derive(Debug, Default)]
pub(super) struct Order(BTreeMap<i128, Run>);

/// The `(id, slot)` of the rows of one `created_at`, sorted by id: most often one row (kept
/// in the tree's node, so listing reads no other memory), or a batch.
#[derive(Debug)]
pub(super) enum Run {
    One((u128, u32)),
    Many(Vec<(u128, u32)>),
}

impl Run {
    pub(super) fn as_slice(&self) -> &[(u128, u32)] {
        match self {
            Run::One(row) => std::slice::from_ref(row),
            Run::Many(rows) => rows,
        }
    }

    pub(super) fn many(&mut self) -> &mut Vec<(u128, u32)> {
        if let Run::One(row) = *self {
            *self = Run::Many(vec![row]);
        }
        match self {
            Run::Many(rows) => rows,
            Run::One(_) => unreachable!("made Many above"),
        }
    }
}

impl Order {
    /// Adds one row.
    pub(super) fn insert(&mut self, created: Timestamp, id: Uuid, slot: u32) {
        let id = id.as_u128();
        let run = match self.0.entry(created.as_nanosecond()) {
            btree_map::Entry::Vacant(v) => {
                v.insert(Run::One((id, slot)));
                return;
            }
            btree_map::Entry::Occupied(o) => o.into_mut().many(),
        };
        // Rows come in order when a data file or an export is read back: then at the end.
        let at = match run.last() {
            Some(&(last, _)) if last > id => run.partition_point(|&(i, _)| i < id),
            _ => run.len(),
        };
        run.insert(at, (id, slot));
    }

    /// Adds rows that share `created`.
    pub(super) fn extend(&mut self, created: i128, mut batch: Vec<(u128, u32)>) {
        batch.sort_unstable_by_key(|&(id, _)| id);
        self.add_sorted(created, batch);
    }

    /// Adds rows that share `created`, sorted by id.
    pub(super) fn add_sorted(&mut self, created: i128, batch: Vec<(u128, u32)>) {
        let run = match self.0.entry(created) {
            btree_map::Entry::Vacant(v) => {
                match batch.as_slice() {
                    [] => {}
                    [one] => {
                        v.insert(Run::One(*one));
                    }
                    _ => {
                        v.insert(Run::Many(batch));
                    }
                }
                return;
            }
            btree_map::Entry::Occupied(o) => o.into_mut().many(),
        };
        let after = match (run.last(), batch.first()) {
            (Some(&(last, _)), Some(&(first, _))) => last < first,
            _ => true,
        };
        run.extend(batch);
        if !after {
            run.sort_unstable_by_key(|&(id, _)| id);
        }
    }

    /// Adds rows in any order, each `(created, id, slot)`; one given twice is added once.
    pub(super) fn extend_mixed(&mut self, mut rows: Vec<(i128, u128, u32)>) {
        rows.sort_unstable();
        rows.dedup();
        for batch in rows.chunk_by(|a, b| a.0 == b.0) {
            self.add_sorted(
                batch[0].0,
                batch.iter().map(|&(_, id, s)| (id, s)).collect(),
            );
        }
    }

    pub(super) fn remove(&mut self, created: Timestamp, id: Uuid) {
        let created = created.as_nanosecond();
        let id = id.as_u128();
        let gone = match self.0.get_mut(&created) {
            Some(Run::One((one, _))) => *one == id,
            Some(Run::Many(rows)) => {
                if let Ok(at) = rows.binary_search_by_key(&id, |&(i, _)| i) {
                    rows.remove(at);
                }
                rows.is_empty()
            }
            None => false,
        };
        if gone {
            self.0.remove(&created);
        }
    }

    /// The slots, oldest first.
    pub(super) fn slots(&self) -> impl DoubleEndedIterator<Item = u32> + '_ {
        self.0
            .values()
            .flat_map(|run| run.as_slice().iter().map(|&(_, slot)| slot))
    }
}
