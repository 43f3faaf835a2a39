//! List: filters, criteria, sort, limits and pagination.

use std::collections::HashSet;

use pinscope::api::{ConflictStrategy, Customization, ListQuery};
use serde_json::{Map, Value, json};

use crate::helpers::*;

const MODELS: [&str; 3] = ["basket", "home", "detail"];
const TAGS: [&str; 4] = ["summer", "winter", "sale", "new"];

/// Row `i`: model `MODELS[i % 3]`, tag `TAGS[i % 4]` (and `sale` when `i % 5 == 0`),
/// target type `all` for the first three rows (one per model, since `all` targets of one
/// model conflict), `criteria` when `i % 7 == 1`, else `item`.
fn row(i: usize) -> Value {
    let mut tags = vec![TAGS[i % 4]];
    if i.is_multiple_of(5) && TAGS[i % 4] != "sale" {
        tags.push("sale");
    }
    let mut v = json!({"model": MODELS[i % 3], "tags": tags, "n": i, "pin_definitions": []});
    match i % 7 {
        _ if i < 3 => v["target_type"] = json!("all"),
        1 => {
            v["target_type"] = json!("criteria");
            v["target_criteria"] = json!({"brand": if i.is_multiple_of(2) {"Fender"} else {"Gibson"}, "kind": "guitar", "n": i});
        }
        _ => {
            v["target_type"] = json!("item");
            v["target_identity"] = json!(format!("/p/{i}"));
        }
    }
    v
}

async fn seeded(
    n: usize,
) -> (
    pinscope::emulator::Running,
    pinscope::api::Client,
    Vec<Value>,
) {
    let r = emulator().await;
    let c = client(&r);
    let rows: Vec<Value> = (0..n).map(row).collect();
    for chunk in rows.chunks(5000) {
        c.bulk_create(ndjson(chunk), ConflictStrategy::Raise)
            .await
            .expect("seed");
    }
    (r, c, rows)
}

fn ns(rows: &[Customization]) -> HashSet<u64> {
    rows.iter()
        .filter_map(|r| r.get("n").and_then(Value::as_u64))
        .collect()
}

fn want(rows: &[Value], f: impl Fn(&Value) -> bool) -> HashSet<u64> {
    rows.iter()
        .filter(|r| f(r))
        .filter_map(|r| r["n"].as_u64())
        .collect()
}

fn has_tag(r: &Value, t: &str) -> bool {
    r["tags"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x == t))
}

#[tokio::test]
async fn filters_or_within_a_key_and_across_keys() {
    let (_r, c, rows) = seeded(300).await;
    let q = |f: fn(&mut ListQuery)| {
        let mut q = ListQuery::default();
        f(&mut q);
        q
    };
    let cases: Vec<(ListQuery, HashSet<u64>)> = vec![
        (
            q(|q| q.models = vec!["basket".into(), "home".into()]),
            want(&rows, |r| r["model"] == "basket" || r["model"] == "home"),
        ),
        (
            q(|q| q.tags = vec!["summer".into(), "sale".into()]),
            want(&rows, |r| has_tag(r, "summer") || has_tag(r, "sale")),
        ),
        (
            q(|q| {
                q.models = vec!["detail".into()];
                q.tags = vec!["sale".into()];
            }),
            want(&rows, |r| r["model"] == "detail" && has_tag(r, "sale")),
        ),
        (
            q(|q| {
                q.target_types = vec!["all".into(), "criteria".into()];
                q.models = vec!["home".into()];
            }),
            want(&rows, |r| {
                r["target_type"] != "item" && r["model"] == "home"
            }),
        ),
        (
            q(|q| q.target_identities = vec!["/p/10".into(), "/p/11".into(), "/p/nope".into()]),
            want(&rows, |r| {
                r["target_identity"] == "/p/10" || r["target_identity"] == "/p/11"
            }),
        ),
        (q(|q| q.models = vec!["nothing".into()]), HashSet::new()),
        (q(|q| q.tags = vec!["nothing".into()]), HashSet::new()),
    ];
    for (query, expected) in cases {
        assert!(!expected.is_empty() || query.models == ["nothing"] || query.tags == ["nothing"]);
        let got = c.list_all(&query).await.expect("list");
        assert_eq!(ns(&got), expected, "{query:?}");
        assert_eq!(got.len(), expected.len(), "{query:?}: each row once");
        let page = c
            .list(&ListQuery {
                limit: Some(3),
                ..query.clone()
            })
            .await
            .expect("page");
        assert_eq!(page.total as usize, expected.len(), "{query:?}");
    }
}

#[tokio::test]
async fn criteria_in_the_body() {
    let (r, c, rows) = seeded(100).await;
    let crit = |v: Value| -> Map<String, Value> { v.as_object().cloned().expect("object") };
    let got = c
        .list_all(&ListQuery {
            criteria: vec![crit(json!({"brand": "Fender"}))],
            ..ListQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(
        ns(&got),
        want(&rows, |r| r["target_criteria"]["brand"] == "Fender")
    );
    let got = c
        .list_all(&ListQuery {
            criteria: vec![
                crit(json!({"brand": "Fender"})),
                crit(json!({"brand": "Gibson"})),
            ],
            models: vec!["home".into()],
            ..ListQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(
        ns(&got),
        want(&rows, |r| r["target_type"] == "criteria"
            && r["model"] == "home")
    );
    let got = c
        .list(&ListQuery {
            criteria: vec![crit(json!({"brand": "Fender", "kind": "bass"}))],
            ..ListQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(got.total, 0);

    for (body, code) in [
        ("{\"criteria\": 5}", 422),
        ("{\"criteria\": [1]}", 422),
        ("not json", 400),
        ("[]", 400),
        ("{}", 200),
        ("  ", 200),
        ("{\"criteria\": null}", 200),
    ] {
        let (s, _, v) = Raw::api("POST", "/scopes").body(body).send(&r).await;
        assert_eq!(s, code, "{body}: {v}");
    }
}

#[tokio::test]
async fn sort_orders_with_ties_by_id() {
    let (_r, c, _) = seeded(200).await;
    let get = |sort: &str| {
        let c = c.clone();
        let sort = sort.to_string();
        async move {
            c.list_all(&ListQuery {
                sort: Some(sort),
                ..ListQuery::default()
            })
            .await
            .expect("list")
        }
    };
    let key = |r: &Customization, field: &str| -> (String, String) {
        let v = match field {
            "created_at" => r
                .created_at_ts()
                .map(|t| format!("{:020}", t.as_nanosecond())),
            "model" => r.model().map(str::to_string),
            _ => r.target_type().map(|t| t.as_str().to_string()),
        };
        (v.unwrap_or_default(), r.id().unwrap_or("").to_string())
    };
    for field in ["created_at", "model", "target_type"] {
        let asc = get(&format!("{field}:asc")).await;
        assert_eq!(asc.len(), 200);
        let keys: Vec<_> = asc.iter().map(|r| key(r, field)).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{field}:asc");
        let desc = get(&format!("{field}:desc")).await;
        let keys: Vec<_> = desc.iter().map(|r| key(r, field)).collect();
        assert!(keys.windows(2).all(|w| w[0] > w[1]), "{field}:desc");
    }
    // The default is created_at:desc.
    let default = c.list_all(&ListQuery::default()).await.expect("list");
    assert_eq!(default, get("created_at:desc").await);
}

#[tokio::test]
async fn limit_and_offset() {
    let (r, c, _) = seeded(1500).await;
    let page = c.list(&ListQuery::default()).await.expect("list");
    assert_eq!((page.total, page.results.len()), (1500, 10));
    let page = c
        .list(&ListQuery {
            limit: Some(1000),
            ..ListQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(page.results.len(), 1000);
    let page = c
        .list(&ListQuery {
            limit: Some(1000),
            offset: Some(1400),
            ..ListQuery::default()
        })
        .await
        .expect("list");
    assert_eq!((page.total, page.results.len()), (1500, 100));
    let page = c
        .list(&ListQuery {
            offset: Some(5000),
            ..ListQuery::default()
        })
        .await
        .expect("list");
    assert_eq!((page.total, page.results.len()), (1500, 0));

    let e = c
        .list(&ListQuery {
            limit: Some(1001),
            ..ListQuery::default()
        })
        .await
        .expect_err("too big");
    assert_eq!(status(&e), 422);
    assert_eq!(details(&e), json!({"limit": ["Must be at most 1000"]}));
    for target in [
        "/scopes?limit=-1",
        "/scopes?limit=ten",
        "/scopes?offset=x",
        "/scopes?sort=id:asc",
        "/scopes?sort=model:up",
        "/scopes?target_type=thing",
    ] {
        let (s, _, v) = Raw::api("POST", target).send(&r).await;
        assert_eq!(s, 422, "{target}: {v}");
    }
}

#[tokio::test]
async fn pages_cover_every_row_exactly_once() {
    let (_r, c, rows) = seeded(2345).await;
    let all = c.list_all(&ListQuery::default()).await.expect("list");
    assert_eq!(all.len(), 2345);
    assert_eq!(ns(&all), want(&rows, |_| true));

    for (limit, sort) in [
        (7u32, None),
        (1000, Some("model:asc")),
        (333, Some("target_type:desc")),
    ] {
        let mut seen: Vec<String> = Vec::new();
        let mut offset = 0u64;
        loop {
            let page = c
                .list(&ListQuery {
                    limit: Some(limit),
                    offset: Some(offset),
                    sort: sort.map(str::to_string),
                    models: vec!["basket".into(), "home".into()],
                    ..ListQuery::default()
                })
                .await
                .expect("page");
            assert_eq!(
                page.total as usize,
                want(&rows, |r| r["model"] != "detail").len()
            );
            if page.results.is_empty() {
                break;
            }
            seen.extend(
                page.results
                    .iter()
                    .filter_map(|r| r.id().map(str::to_string)),
            );
            offset += page.results.len() as u64;
        }
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "limit {limit}: a row came twice");
        assert_eq!(seen.len(), want(&rows, |r| r["model"] != "detail").len());
    }
}
