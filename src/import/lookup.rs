//! Which targets are already stored: the basis of `created` vs `replaced` vs `skipped`, of
//! rejecting stored conflicts under `raise` before sending, and of settling a request whose
//! answer was lost.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::api::ApiError;
use crate::api::client::{Client, ListQuery, MAX_PAGE, Paging};
use crate::api::model::{ConflictKey, Customization, Page, TargetType};
use crate::import::event::ExistingMode;
use crate::import::scan::{ModelStats, key_hash};

/// A query string this long or shorter passes any usual proxy (8 KiB request lines).
const QUERY_BUDGET: usize = 6000;
/// At most this many identities per list request.
const IDENTITIES_PER_REQUEST: usize = 200;
/// A snapshot is taken only below this many stored customizations (16 bytes each).
pub const SNAPSHOT_MAX: u64 = 2_000_000;

/// Asks for one page of a look-up. The run wraps it in its retries, so a page that fails is
/// asked again on its own: a look-up resumes where it failed instead of starting over.
pub(crate) trait Pages: Sync {
    fn client(&self) -> &Client;
    fn page(&self, q: ListQuery) -> impl Future<Output = Result<Page, ApiError>> + Send;
}

impl Pages for Client {
    fn client(&self) -> &Client {
        self
    }

    async fn page(&self, q: ListQuery) -> Result<Page, ApiError> {
        self.list(&q).await
    }
}

/// How the run knows what is stored.
#[derive(Debug, Default)]
pub(crate) enum Existing {
    /// Nothing stored for the file's models (and nothing to look up).
    #[default]
    Empty,
    Snapshot(HashSet<u128>),
    PerChunk,
}

impl Existing {
    pub fn mode(&self) -> ExistingMode {
        match self {
            Existing::Empty => ExistingMode::Empty,
            Existing::Snapshot(_) => ExistingMode::Snapshot,
            Existing::PerChunk => ExistingMode::PerChunk,
        }
    }
}

/// Stored customizations per model, from the summary (models the tracker does not list
/// hold none).
pub(crate) type StoredCounts = HashMap<String, u64>;

/// Reads the summary and picks the cheapest way to know what is stored for `models`, to be
/// sent in `chunks` requests.
pub(crate) async fn choose(
    pages: &impl Pages,
    models: &HashMap<String, ModelStats>,
    chunks: usize,
    listed: &(dyn Fn(u64, u64) + Sync),
) -> Result<(Existing, StoredCounts, u64), ApiError> {
    let summary = pages.client().summary().await?;
    let mut stored: StoredCounts = HashMap::new();
    for (m, n) in summary.counts() {
        if models.contains_key(&m) && n > 0 {
            stored.insert(m, n);
        }
    }
    let total: u64 = stored.values().sum();
    if total == 0 {
        return Ok((Existing::Empty, stored, 0));
    }
    let snapshot_requests = total.div_ceil(u64::from(MAX_PAGE));
    let lookup_requests: u64 = models
        .iter()
        .filter_map(|(m, s)| stored.get(m).map(|n| (s, *n)))
        .map(|(s, n)| {
            s.item.div_ceil(IDENTITIES_PER_REQUEST as u64)
                + s.criteria.min(n.div_ceil(u64::from(MAX_PAGE)))
                + u64::from(s.all > 0)
        })
        .sum::<u64>()
        // Each chunk asks at least once.
        .max(chunks as u64);
    if snapshot_requests <= lookup_requests && total <= SNAPSHOT_MAX {
        let mut set = HashSet::with_capacity(total as usize);
        let mut names: Vec<&String> = stored.keys().collect();
        names.sort();
        let mut read = 0u64;
        listed(0, total);
        for batch in batches(&names, |m| encoded_len(m) + 7, usize::MAX) {
            let q = ListQuery {
                models: batch.iter().map(|m| m.to_string()).collect(),
                ..ListQuery::default()
            };
            each_page(pages, q, |c| {
                if let Some(k) = c.conflict_key() {
                    set.insert(key_hash(&k));
                }
                read += 1;
                if read.is_multiple_of(u64::from(MAX_PAGE)) {
                    listed(read.min(total), total);
                }
            })
            .await?;
        }
        listed(read.min(total), total);
        return Ok((Existing::Snapshot(set), stored, total));
    }
    Ok((Existing::PerChunk, stored, total))
}

/// Walks every page of `q` (oldest first, so rows added meanwhile come last). Pages that
/// contradict each other (a lying total, an ignored offset) stop the walk with an error.
async fn each_page(
    pages: &impl Pages,
    q: ListQuery,
    mut f: impl FnMut(Customization),
) -> Result<(), ApiError> {
    let mut paging = Paging::new(&ListQuery {
        limit: Some(MAX_PAGE),
        offset: Some(0),
        sort: Some("created_at:asc".into()),
        ..q
    });
    while let Some(next) = paging.next_query() {
        let page = pages.page(next).await?;
        let rows = paging
            .take(page)
            .map_err(|m| pages.client().paging_error(m))?;
        for c in rows {
            f(c);
        }
    }
    Ok(())
}

/// Bytes a value takes in a query string.
fn encoded_len(s: &str) -> usize {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                1
            } else {
                3
            }
        })
        .sum()
}

/// Splits `items` into runs whose summed cost stays within the query budget.
fn batches<T>(items: &[T], cost: impl Fn(&T) -> usize, max_items: usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut used = 0;
    for (i, it) in items.iter().enumerate() {
        let c = cost(it);
        if i > start && (used + c > QUERY_BUDGET || i - start >= max_items) {
            out.push(&items[start..i]);
            start = i;
            used = 0;
        }
        used += c;
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

/// Which of `keys` are stored now (asks the server; never uses a snapshot).
pub(crate) async fn lookup(
    pages: &impl Pages,
    keys: &[&ConflictKey],
    stored: &StoredCounts,
) -> Result<Vec<bool>, ApiError> {
    let mut found = vec![false; keys.len()];
    lookup_each(pages, keys, stored, |i, _| found[i] = true).await?;
    Ok(found)
}

/// A stored customization as the history keeps it: its id and its JSON text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    pub id: String,
    pub json: String,
}

/// The stored customizations of `keys`, by [`key_hash`] of their target (for the history's
/// before and after images). Kept as JSON text: a chunk's 5000 parsed objects took several
/// times the memory of their text while they waited to be recorded.
pub(crate) async fn find(
    pages: &impl Pages,
    keys: &[&ConflictKey],
    stored: &StoredCounts,
) -> Result<HashMap<u128, Found>, ApiError> {
    let mut out = HashMap::new();
    lookup_each(pages, keys, stored, |_, c| {
        if let (Some(k), Some(id)) = (c.conflict_key(), c.id())
            && let Ok(json) = serde_json::to_string(c)
        {
            out.insert(
                key_hash(&k),
                Found {
                    id: id.to_string(),
                    json,
                },
            );
        }
    })
    .await?;
    Ok(out)
}

/// Calls `f(i, c)` for each stored customization `c` whose target is `keys[i]`.
async fn lookup_each(
    pages: &impl Pages,
    keys: &[&ConflictKey],
    stored: &StoredCounts,
    mut f: impl FnMut(usize, &Customization),
) -> Result<(), ApiError> {
    let mut want: HashMap<u128, Vec<usize>> = HashMap::new();
    let mut items: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut criteria: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut all_models: Vec<&str> = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        want.entry(key_hash(k)).or_default().push(i);
        match k.target_type {
            TargetType::Item => items.entry(&k.model).or_default().push(&k.target),
            TargetType::Criteria => criteria.entry(&k.model).or_default().push(&k.target),
            TargetType::All => all_models.push(&k.model),
        }
    }
    let mut mark = |c: Customization| {
        if let Some(k) = c.conflict_key()
            && let Some(idx) = want.get(&key_hash(&k))
        {
            for i in idx {
                f(*i, &c);
            }
        }
    };

    let mut item_models: Vec<_> = items.into_iter().collect();
    item_models.sort();
    for (model, mut ids) in item_models {
        ids.sort_unstable();
        ids.dedup();
        for batch in batches(&ids, |s| encoded_len(s) + 17, IDENTITIES_PER_REQUEST) {
            let q = ListQuery {
                models: vec![model.to_string()],
                target_types: vec!["item".into()],
                target_identities: batch.iter().map(|s| s.to_string()).collect(),
                ..ListQuery::default()
            };
            each_page(pages, q, &mut mark).await?;
        }
    }

    all_models.sort_unstable();
    all_models.dedup();
    for batch in batches(&all_models, |m| encoded_len(m) + 7, usize::MAX) {
        let q = ListQuery {
            models: batch.iter().map(|m| m.to_string()).collect(),
            target_types: vec!["all".into()],
            ..ListQuery::default()
        };
        each_page(pages, q, &mut mark).await?;
    }

    let mut crit_models: Vec<_> = criteria.into_iter().collect();
    crit_models.sort();
    for (model, mut list) in crit_models {
        list.sort_unstable();
        list.dedup();
        let page_count = stored
            .get(model)
            .copied()
            .unwrap_or(u64::MAX)
            .div_ceil(u64::from(MAX_PAGE));
        if list.len() as u64 > page_count {
            // Fewer requests to list every criteria target of the model.
            let q = ListQuery {
                models: vec![model.to_string()],
                target_types: vec!["criteria".into()],
                ..ListQuery::default()
            };
            each_page(pages, q, &mut mark).await?;
            continue;
        }
        for canonical in list {
            // The list's criteria filter matches stored criteria that contain these keys;
            // the exact target is then picked by its conflict key.
            let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(canonical) else {
                continue;
            };
            let q = ListQuery {
                models: vec![model.to_string()],
                target_types: vec!["criteria".into()],
                criteria: vec![obj as Map<String, Value>],
                ..ListQuery::default()
            };
            each_page(pages, q, &mut mark).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_stay_within_budget() {
        let ids: Vec<String> = (0..1000).map(|i| format!("/p/{i:05}")).collect();
        let b = batches(&ids, |s| encoded_len(s) + 17, IDENTITIES_PER_REQUEST);
        assert_eq!(b.iter().map(|x| x.len()).sum::<usize>(), 1000);
        for x in &b {
            assert!(x.len() <= IDENTITIES_PER_REQUEST);
            assert!(x.iter().map(|s| encoded_len(s) + 17).sum::<usize>() <= QUERY_BUDGET);
        }
        // One item over the budget still goes alone.
        let huge = vec!["x".repeat(QUERY_BUDGET * 2)];
        assert_eq!(batches(&huge, |s| s.len(), 10).len(), 1);
        assert!(batches::<String>(&[], |s| s.len(), 10).is_empty());
        assert_eq!(encoded_len("a/b c"), 9);
    }
}
