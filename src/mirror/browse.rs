//! The browse screen's questions to the mirror: how many customizations match a set of
//! filters, one window of them in any column's order, and all their ids (for "select
//! everything that matches"). The filters are the service's list filters plus those only
//! the mirror can answer: a pin's widget, a pinned item and the pins' state at a time.

use rusqlite::types::Value as Sql;

use super::{Mirror, MirrorError, STORED_COLUMNS, Stored, stored_of};

/// What the pins of a customization must look like at `now` ([`BrowseQuery::now`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinStateFilter {
    /// At least one pin is active.
    Active,
    /// At least one pin starts later.
    Scheduled,
    /// At least one pin has ended.
    Expired,
    /// At least one active pin ends within this many days.
    ExpiringWithin(u32),
}

impl PinStateFilter {
    /// In words, for the filter line.
    pub fn words(self) -> String {
        match self {
            PinStateFilter::Active => "has active pins".into(),
            PinStateFilter::Scheduled => "has scheduled pins".into(),
            PinStateFilter::Expired => "has expired pins".into(),
            PinStateFilter::ExpiringWithin(d) => format!("pins ending within {d} days"),
        }
    }
}

/// The columns browse sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortColumn {
    #[default]
    Created,
    Model,
    TargetType,
    Target,
    Pins,
    Tags,
    Id,
}

impl SortColumn {
    fn sql(self) -> &'static str {
        match self {
            SortColumn::Created => "c.created_at",
            SortColumn::Model => "c.model",
            SortColumn::TargetType => "c.target_type",
            SortColumn::Target => "coalesce(c.target_identity, c.target_criteria, '')",
            SortColumn::Pins => "c.pin_count",
            // No tags first, then by the tags' text.
            SortColumn::Tags => "CASE c.tags WHEN '[]' THEN '' ELSE c.tags END",
            SortColumn::Id => "c.id",
        }
    }
}

/// The filters and the order of one browse view over the mirror. Empty lists and `None`
/// filter nothing; values within one list are alternatives, the lists all apply.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BrowseQuery {
    pub models: Vec<String>,
    pub tags: Vec<String>,
    pub target_types: Vec<String>,
    /// The target identity starts with this.
    pub identity: Option<String>,
    /// Some pin has this `widget_id`.
    pub widget: Option<String>,
    /// Some pin pins this item (`pin_identity`).
    pub pinned_item: Option<String>,
    pub pin_state: Option<PinStateFilter>,
    /// The time the pin state is judged at, epoch seconds.
    pub now: i64,
    pub sort: SortColumn,
    pub descending: bool,
}

impl BrowseQuery {
    /// The `WHERE` clause (after `c.tracker = ?1`) and its parameters.
    fn clause(&self, tracker: i64) -> (String, Vec<Sql>) {
        let mut sql = String::from("c.tracker = ?");
        let mut params: Vec<Sql> = vec![Sql::Integer(tracker)];
        let mut any_of = |sql: &mut String, column: &str, values: &[String]| {
            if values.is_empty() {
                return;
            }
            sql.push_str(&format!(" AND {column} IN ("));
            for (i, v) in values.iter().enumerate() {
                sql.push_str(if i == 0 { "?" } else { ", ?" });
                params.push(Sql::Text(v.clone()));
            }
            sql.push(')');
        };
        any_of(&mut sql, "c.model", &self.models);
        any_of(&mut sql, "c.target_type", &self.target_types);
        if !self.tags.is_empty() {
            // The tags column is a JSON array written by serde_json: a tag is in it exactly
            // when its JSON string (quotes and escapes included) is, which a substring
            // search finds without parsing every row's array.
            sql.push_str(" AND (");
            for (i, v) in self.tags.iter().enumerate() {
                sql.push_str(if i == 0 { "" } else { " OR " });
                sql.push_str("instr(c.tags, ?) > 0");
                let quoted = serde_json::to_string(v).unwrap_or_else(|_| format!("\"{v}\""));
                params.push(Sql::Text(quoted));
            }
            sql.push(')');
        }
        if let Some(ident) = self.identity.as_deref().filter(|s| !s.is_empty()) {
            // A prefix, as a range the target index answers.
            sql.push_str(" AND c.target_identity >= ? AND c.target_identity < ?");
            params.push(Sql::Text(ident.to_string()));
            params.push(Sql::Text(format!("{ident}\u{10FFFF}")));
        }
        let mut pin_cond: Vec<String> = Vec::new();
        let pin_params = params.len();
        if let Some(w) = self.widget.as_deref().filter(|s| !s.is_empty()) {
            pin_cond.push("p.widget_id = ?".into());
            params.push(Sql::Text(w.to_string()));
        }
        if let Some(item) = self.pinned_item.as_deref().filter(|s| !s.is_empty()) {
            pin_cond.push("p.pin_identity = ?".into());
            params.push(Sql::Text(item.to_string()));
        }
        let now = self.now;
        let active = "(p.active_from IS NULL OR p.active_from <= ?) \
                      AND (p.active_to IS NULL OR p.active_to > ?)";
        match self.pin_state {
            None => {}
            Some(PinStateFilter::Active) => {
                pin_cond.push(active.into());
                params.extend([Sql::Integer(now), Sql::Integer(now)]);
            }
            Some(PinStateFilter::Scheduled) => {
                pin_cond.push("p.active_from > ?".into());
                params.push(Sql::Integer(now));
            }
            Some(PinStateFilter::Expired) => {
                // Scheduled wins over expired for a window that ends before it starts.
                pin_cond.push(
                    "p.active_to <= ? AND (p.active_from IS NULL OR p.active_from <= ?)".into(),
                );
                params.extend([Sql::Integer(now), Sql::Integer(now)]);
            }
            Some(PinStateFilter::ExpiringWithin(days)) => {
                // Active now with an end in the window: a range on the end, which the
                // window index answers.
                pin_cond.push(
                    "p.active_to > ? AND p.active_to <= ? \
                     AND (p.active_from IS NULL OR p.active_from <= ?)"
                        .into(),
                );
                params.extend([
                    Sql::Integer(now),
                    Sql::Integer(now.saturating_add(i64::from(days) * 86_400)),
                    Sql::Integer(now),
                ]);
            }
        }
        if !pin_cond.is_empty() {
            // One pin must meet every pin condition at once. The pins are looked at once
            // (by the item's index when an item is asked for), not once a customization.
            // An item or a widget is found by its index (which holds the customization);
            // a pin state alone reads the pins in their own order, which beats going
            // through the tracker index (a lookup a pin): `+` keeps that index out.
            let keyed = [&self.pinned_item, &self.widget]
                .iter()
                .any(|v| v.as_deref().is_some_and(|s| !s.is_empty()));
            let tracker_term = if keyed { "p.tracker" } else { "+p.tracker" };
            sql.push_str(&format!(
                " AND c.rid IN (SELECT p.cust FROM pins p WHERE {tracker_term} = ? AND "
            ));
            sql.push_str(&pin_cond.join(" AND "));
            sql.push(')');
            params.insert(pin_params, Sql::Integer(tracker));
        }
        (sql, params)
    }

    fn order(&self) -> String {
        let dir = if self.descending { "DESC" } else { "ASC" };
        format!("{} {dir}, c.id {dir}", self.sort.sql())
    }
}

impl Mirror {
    /// The models with their counts (most first) and the tags in use (sorted), as the
    /// service's summary gives them.
    pub fn summary(&self) -> Result<crate::api::Summary, MirrorError> {
        let e = |e| self.err(e);
        let mut counts = serde_json::Map::new();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT model, count(*) AS n FROM customizations WHERE tracker = ?1 \
                 AND model IS NOT NULL GROUP BY model ORDER BY n DESC, model",
            )
            .map_err(e)?;
        let rows = stmt
            .query_map([self.tracker], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(e)?;
        for row in rows {
            let (model, n) = row.map_err(e)?;
            counts.insert(model, serde_json::Value::from(n));
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT t.value FROM customizations c, json_each(c.tags) t \
                 WHERE c.tracker = ?1 AND t.type = 'text' ORDER BY t.value",
            )
            .map_err(e)?;
        let tags = stmt
            .query_map([self.tracker], |r| r.get::<_, String>(0))
            .map_err(e)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(e)?;
        Ok(crate::api::Summary {
            scope_counts: counts,
            user_tags: tags,
            extra: serde_json::Map::new(),
        })
    }

    /// How many customizations `q` matches.
    pub fn browse_count(&self, q: &BrowseQuery) -> Result<u64, MirrorError> {
        let (clause, params) = q.clause(self.tracker);
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM customizations c INDEXED BY customizations_browse \
                 WHERE {clause}"
            ))
            .map_err(|e| self.err(e))?;
        stmt.query_row(rusqlite::params_from_iter(params), |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.err(e))
    }

    /// The customizations `q` matches from `offset`, at most `limit` of them, in `q`'s
    /// order.
    pub fn browse_window(
        &self,
        q: &BrowseQuery,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Stored>, MirrorError> {
        let (clause, mut params) = q.clause(self.tracker);
        params.push(Sql::Integer(limit.min(i64::MAX as u64) as i64));
        params.push(Sql::Integer(offset.min(i64::MAX as u64) as i64));
        // The window's rows are chosen on the browse index alone (skipping `offset` rows
        // of it is cheap); only they are read whole.
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {STORED_COLUMNS} FROM customizations c WHERE c.rid IN \
                 (SELECT c.rid FROM customizations c INDEXED BY customizations_browse \
                  WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?) \
                 ORDER BY {order}",
                order = q.order()
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params), stored_of)
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// The ids of every customization `q` matches, in `q`'s order, from `offset` and at
    /// most `limit` (`None`: all).
    pub fn browse_ids(
        &self,
        q: &BrowseQuery,
        offset: u64,
        limit: Option<u64>,
    ) -> Result<Vec<String>, MirrorError> {
        let mut out = Vec::new();
        self.for_each_browse_id(q, offset, limit, |id| out.push(id.to_string()))?;
        Ok(out)
    }

    /// [`Mirror::browse_ids`] one at a time, without holding them all.
    pub fn for_each_browse_id(
        &self,
        q: &BrowseQuery,
        offset: u64,
        limit: Option<u64>,
        mut f: impl FnMut(&str),
    ) -> Result<(), MirrorError> {
        let (clause, mut params) = q.clause(self.tracker);
        params.push(Sql::Integer(
            limit.map_or(-1, |l| l.min(i64::MAX as u64) as i64),
        ));
        params.push(Sql::Integer(offset.min(i64::MAX as u64) as i64));
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT c.id FROM customizations c INDEXED BY customizations_browse \
                 WHERE {clause} ORDER BY {} LIMIT ? OFFSET ?",
                q.order()
            ))
            .map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let id = r.get_ref(0).map_err(|e| self.err(e))?;
            if let Ok(text) = id.as_str() {
                f(text);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mirror::Scope;
    use serde_json::{Value, json};

    const NOW: i64 = 1_750_000_000;

    fn at(secs: i64) -> String {
        jiff::Timestamp::from_second(secs)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }

    fn row(id: &str, model: &str, ty: &str, ident: &str, tags: &[&str], pins: Value) -> Value {
        let mut v = json!({
            "id": id, "model": model, "target_type": ty, "tags": tags,
            "created_at": format!("2025-01-0{}T00:00:00Z", id.len() % 9 + 1),
            "pin_definitions": pins,
        });
        if ty == "item" {
            v["target_identity"] = json!(ident);
        }
        v
    }

    fn pin(item: &str, widget: Option<&str>, from: Option<i64>, to: Option<i64>) -> Value {
        let mut p = json!({"position": 1, "pin_type": "item", "pin_identity": item});
        if let Some(w) = widget {
            p["widget_id"] = json!(w);
        }
        if let Some(f) = from {
            p["active_from"] = json!(at(f));
        }
        if let Some(t) = to {
            p["active_to"] = json!(at(t));
        }
        p
    }

    fn mirror() -> Mirror {
        let rows = vec![
            // active, widget w-home, pins /p/1
            row(
                "a",
                "basket",
                "item",
                "/p/10",
                &["summer"],
                json!([pin("/p/1", Some("w-home"), Some(NOW - 100), None)]),
            ),
            // scheduled
            row(
                "bb",
                "home",
                "item",
                "/p/20",
                &["winter"],
                json!([pin("/p/2", None, Some(NOW + 100), None)]),
            ),
            // expired
            row(
                "ccc",
                "basket",
                "all",
                "",
                &[],
                json!([pin("/p/1", Some("w-cart"), None, Some(NOW - 5))]),
            ),
            // active, ending in 3 days
            row(
                "dddd",
                "detail",
                "item",
                "/p/100",
                &["summer", "sale"],
                json!([
                    pin("/p/3", None, None, Some(NOW + 3 * 86_400)),
                    pin("/p/4", None, None, None)
                ]),
            ),
            // no pins
            row("eeeee", "home", "item", "/q/1", &[], json!([])),
        ];
        let body = json!({ "results": rows }).to_string();
        let mut m = Mirror::open_in_memory(&Scope::new("http://h", "1-1")).expect("open");
        m.sync_from_reader(body.as_bytes(), &mut |_| {})
            .expect("sync");
        m
    }

    fn ids(m: &Mirror, q: &BrowseQuery) -> Vec<String> {
        let all = m.browse_ids(q, 0, None).expect("ids");
        assert_eq!(m.browse_count(q).expect("count"), all.len() as u64);
        let window: Vec<String> = m
            .browse_window(q, 0, 100)
            .expect("window")
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(window, all, "the window and the ids agree");
        all
    }

    fn q() -> BrowseQuery {
        BrowseQuery {
            now: NOW,
            sort: SortColumn::Id,
            ..BrowseQuery::default()
        }
    }

    #[test]
    fn each_filter_selects_its_rows() {
        let m = mirror();
        assert_eq!(ids(&m, &q()), ["a", "bb", "ccc", "dddd", "eeeee"]);
        let with = |f: &dyn Fn(&mut BrowseQuery)| {
            let mut query = q();
            f(&mut query);
            ids(&m, &query)
        };
        assert_eq!(with(&|q| q.models = vec!["basket".into()]), ["a", "ccc"]);
        assert_eq!(
            with(&|q| q.models = vec!["home".into(), "detail".into()]),
            ["bb", "dddd", "eeeee"]
        );
        assert_eq!(with(&|q| q.tags = vec!["summer".into()]), ["a", "dddd"]);
        assert_eq!(
            with(&|q| q.tags = vec!["sale".into(), "winter".into()]),
            ["bb", "dddd"]
        );
        assert_eq!(with(&|q| q.target_types = vec!["all".into()]), ["ccc"]);
        assert_eq!(with(&|q| q.identity = Some("/p/10".into())), ["a", "dddd"]);
        assert_eq!(with(&|q| q.widget = Some("w-home".into())), ["a"]);
        assert_eq!(with(&|q| q.pinned_item = Some("/p/1".into())), ["a", "ccc"]);
        assert_eq!(
            with(&|q| q.pin_state = Some(PinStateFilter::Active)),
            ["a", "dddd"]
        );
        assert_eq!(
            with(&|q| q.pin_state = Some(PinStateFilter::Scheduled)),
            ["bb"]
        );
        assert_eq!(
            with(&|q| q.pin_state = Some(PinStateFilter::Expired)),
            ["ccc"]
        );
        assert_eq!(
            with(&|q| q.pin_state = Some(PinStateFilter::ExpiringWithin(7))),
            ["dddd"]
        );
        assert!(with(&|q| q.pin_state = Some(PinStateFilter::ExpiringWithin(1))).is_empty());
        // One pin must meet every pin condition: /p/1 is pinned on w-home (active) and
        // on w-cart (expired).
        assert_eq!(
            with(&|q| {
                q.pinned_item = Some("/p/1".into());
                q.widget = Some("w-cart".into());
            }),
            ["ccc"]
        );
        assert!(
            with(&|q| {
                q.pinned_item = Some("/p/1".into());
                q.widget = Some("w-cart".into());
                q.pin_state = Some(PinStateFilter::Active);
            })
            .is_empty()
        );
        // Lists combine.
        assert_eq!(
            with(&|q| {
                q.models = vec!["basket".into()];
                q.tags = vec!["summer".into()];
            }),
            ["a"]
        );
    }

    #[test]
    fn a_tag_matches_whole_tags_only() {
        let rows = vec![
            row("a", "m", "all", "", &["summer2", "say \"sale\""], json!([])),
            row("b", "m", "all", "", &["summer"], json!([])),
            row("c", "m", "all", "", &["\"sale\""], json!([])),
        ];
        let body = json!({ "results": rows }).to_string();
        let mut m = Mirror::open_in_memory(&Scope::new("http://h", "1-1")).expect("open");
        m.sync_from_reader(body.as_bytes(), &mut |_| {})
            .expect("sync");
        let tagged = |tags: &[&str]| {
            let mut query = q();
            query.tags = tags.iter().map(|t| t.to_string()).collect();
            ids(&m, &query)
        };
        assert_eq!(tagged(&["summer"]), ["b"]);
        assert_eq!(tagged(&["summer2"]), ["a"]);
        assert!(tagged(&["sale"]).is_empty());
        assert_eq!(tagged(&["\"sale\""]), ["c"]);
        assert_eq!(tagged(&["say \"sale\""]), ["a"]);
        assert_eq!(tagged(&["summer", "\"sale\""]), ["b", "c"]);
    }

    #[test]
    fn the_summary_counts_models_and_lists_tags() {
        let s = mirror().summary().expect("summary");
        assert_eq!(
            s.counts(),
            [
                ("basket".to_string(), 2),
                ("home".to_string(), 2),
                ("detail".to_string(), 1)
            ]
        );
        assert_eq!(s.user_tags, ["sale", "summer", "winter"]);
    }

    #[test]
    fn sorts_by_every_column_and_windows_page_through() {
        let m = mirror();
        let sorted = |col, desc| {
            let mut query = q();
            query.sort = col;
            query.descending = desc;
            ids(&m, &query)
        };
        assert_eq!(
            sorted(SortColumn::Id, true),
            ["eeeee", "dddd", "ccc", "bb", "a"]
        );
        assert_eq!(
            sorted(SortColumn::Model, false),
            ["a", "ccc", "dddd", "bb", "eeeee"]
        );
        assert_eq!(
            sorted(SortColumn::Pins, true),
            ["dddd", "ccc", "bb", "a", "eeeee"]
        );
        assert_eq!(
            sorted(SortColumn::Target, false),
            ["ccc", "a", "dddd", "bb", "eeeee"]
        );
        assert_eq!(
            sorted(SortColumn::TargetType, false),
            ["ccc", "a", "bb", "dddd", "eeeee"]
        );
        // created_at: 2025-01-0(len % 9 + 1)
        assert_eq!(
            sorted(SortColumn::Created, true),
            ["eeeee", "dddd", "ccc", "bb", "a"]
        );
        assert_eq!(sorted(SortColumn::Tags, false)[..2], ["ccc", "eeeee"]);
        let query = q();
        let window: Vec<String> = m
            .browse_window(&query, 3, 10)
            .expect("window")
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(window, ["dddd", "eeeee"], "the real last rows");
        assert_eq!(
            m.browse_ids(&query, 1, Some(2)).expect("ids"),
            ["bb", "ccc"]
        );
    }
}
