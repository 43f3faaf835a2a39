//! Bulk create: limits, all-or-nothing validation, conflict strategies.

use pinscope::api::sign::NDJSON_CONTENT_TYPE;
use pinscope::api::{ConflictStrategy, Customization, ListQuery};
use serde_json::{Value, json};

use crate::helpers::*;

fn line(model: &str, identity: &str, marker: i64) -> Value {
    json!({"model": model, "target_type": "item", "target_identity": identity,
           "pin_definitions": [{"position": 1, "pin_type": "item", "pin_identity": "/p/x"}],
           "marker": marker})
}

async fn all_rows(c: &pinscope::api::Client) -> Vec<Customization> {
    c.list_all(&ListQuery::default()).await.expect("list")
}

fn marker(c: &Customization) -> i64 {
    c.get("marker").and_then(Value::as_i64).unwrap_or(-1)
}

#[tokio::test]
async fn five_thousand_lines_pass_five_thousand_and_one_do_not() {
    let r = emulator().await;
    let c = client(&r);
    let lines: Vec<Value> = (0..5001)
        .map(|i| line("basket", &format!("/p/{i}"), i))
        .collect();
    let e = c
        .bulk_create(ndjson(&lines), ConflictStrategy::Raise)
        .await
        .expect_err("too many");
    assert_eq!(status(&e), 413);
    assert!(reason(&e).contains("5001"), "{e}");
    assert_eq!(r.count(TRACKER), Some(0));

    c.bulk_create(ndjson(&lines[..5000]), ConflictStrategy::Raise)
        .await
        .expect("5000 lines");
    assert_eq!(r.count(TRACKER), Some(5000));
    let rows = all_rows(&c).await;
    assert_eq!(rows.len(), 5000);
    assert!(
        rows.iter()
            .all(|r| r.creator() == Some("api") && r.id().is_some())
    );

    // Blank lines do not count towards the limit.
    let mut body = Vec::new();
    for (i, l) in lines[..5000].iter().enumerate() {
        body.extend_from_slice(b"\n  \r\n");
        body.extend_from_slice(
            line("home", &format!("/p/{i}"), marker_of(l))
                .to_string()
                .as_bytes(),
        );
        body.extend_from_slice(b"\r\n");
    }
    c.bulk_create(body, ConflictStrategy::Raise)
        .await
        .expect("5000 lines among blank ones");
    assert_eq!(r.count(TRACKER), Some(10_000));
}

#[tokio::test]
async fn a_body_over_64_mib_is_refused_with_413() {
    let r = emulator().await;
    let c = client(&r);
    // 64 MiB and one byte: blank lines, so only the size is wrong.
    let mut body = vec![b' '; 64 << 20];
    for l in body.chunks_mut(1024) {
        l[1023] = b'\n';
    }
    body.push(b'\n');
    let e = c
        .bulk_create(body, ConflictStrategy::Raise)
        .await
        .expect_err("too large");
    assert_eq!(status(&e), 413);
    assert!(reason(&e).contains("64 MiB"), "{e}");
    assert_eq!(r.count(TRACKER), Some(0));
}

fn marker_of(v: &Value) -> i64 {
    v["marker"].as_i64().unwrap_or(-1)
}

#[tokio::test]
async fn the_answer_is_200_with_an_empty_object() {
    let r = emulator().await;
    let (s, _, v) = Raw::api("POST", "/scopes/_bulk?conflict_strategy=override")
        .content_type(NDJSON_CONTENT_TYPE)
        .body(ndjson(&[line("m", "/p/1", 1)]))
        .send(&r)
        .await;
    assert_eq!((s, v), (200, json!({})));
    // An empty body creates nothing and is fine.
    let (s, _, _) = Raw::api("POST", "/scopes/_bulk")
        .content_type(NDJSON_CONTENT_TYPE)
        .send(&r)
        .await;
    assert_eq!(s, 200);
    assert_eq!(r.count(TRACKER), Some(1));
    let (s, _, v) = Raw::api("POST", "/scopes/_bulk?conflict_strategy=merge")
        .content_type(NDJSON_CONTENT_TYPE)
        .body(ndjson(&[line("m", "/p/2", 1)]))
        .send(&r)
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        v["exception_details"]["conflict_strategy"][0],
        "Must be one of: raise, ignore, override"
    );
    assert_eq!(r.count(TRACKER), Some(1));
}

#[tokio::test]
async fn invalid_lines_are_named_and_nothing_is_written() {
    let r = emulator().await;
    let c = client(&r);
    let body = [
        line("m", "/p/1", 1).to_string(),
        String::new(),
        json!({"model": "m", "target_type": "item", "pin_definitions": [{"pin_type": "item", "pin_identity": "x"}]})
            .to_string(),
        "{not json".to_string(),
        "[1]".to_string(),
        line("m", "/p/2", 2).to_string(),
    ]
    .join("\r\n");
    let e = c
        .bulk_create(body.into_bytes(), ConflictStrategy::Raise)
        .await
        .expect_err("invalid");
    assert_eq!(status(&e), 422);
    assert_eq!(reason(&e), "Invalid pin definition provided");
    let d = details(&e);
    let keys: Vec<&String> = d.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        [
            "line 3: target_identity",
            "line 3: pin_definitions[0].position",
            "line 4",
            "line 5"
        ]
    );
    assert_eq!(
        d["line 3: pin_definitions[0].position"],
        json!(["Missing required field: position"])
    );
    assert!(
        d["line 4"][0]
            .as_str()
            .is_some_and(|m| m.starts_with("Not valid JSON"))
    );
    assert_eq!(d["line 5"], json!(["Must be a JSON object"]));
    assert_eq!(r.count(TRACKER), Some(0));
}

#[tokio::test]
async fn bytes_that_are_not_utf8_are_named_by_line() {
    let r = emulator().await;
    let c = client(&r);
    let mut body = line("m", "/p/1", 1).to_string().into_bytes();
    body.extend_from_slice(
        b"\n{\"model\":\"m\xff\",\"target_type\":\"all\",\"pin_definitions\":[]}\n",
    );
    let e = c
        .bulk_create(body, ConflictStrategy::Raise)
        .await
        .expect_err("invalid");
    assert_eq!(status(&e), 422);
    let d = details(&e);
    assert!(
        d["line 2"][0]
            .as_str()
            .is_some_and(|m| m.starts_with("Not valid JSON")),
        "{d}"
    );
    assert_eq!(r.count(TRACKER), Some(0));
}

#[tokio::test]
async fn escaped_text_is_stored_as_sent_and_keyed_by_what_it_means() {
    let r = emulator().await;
    let c = client(&r);
    // `\u00e9` is `é`; of a key written twice the last counts, as for any JSON reader.
    let sent = r#"{"model":"m","target_type":"item","target_identity":"/p/caf\u00e9","pin_definitions":[],"tags":["a\"b"],"marker":1,"marker":2}"#;
    c.bulk_create(format!("{sent}\n").into_bytes(), ConflictStrategy::Raise)
        .await
        .expect("created");
    let rows = all_rows(&c).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].target_identity(), Some("/p/café"));
    assert_eq!(rows[0].tags().collect::<Vec<_>>(), ["a\"b"]);
    assert_eq!(marker(&rows[0]), 2);
    let found = c
        .list(&ListQuery {
            tags: vec!["a\"b".into()],
            ..ListQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(found.results.len(), 1);
    // The same target written plainly is the same target.
    let e = c
        .bulk_create(ndjson(&[line("m", "/p/café", 3)]), ConflictStrategy::Raise)
        .await
        .expect_err("conflict");
    assert_eq!(status(&e), 409);
}

#[tokio::test]
async fn raise_names_the_lines_and_the_existing_ids() {
    let r = emulator().await;
    let c = client(&r);
    let existing = c.create(&item("basket", "/p/1")).await.expect("created");
    let existing_id = existing.id().expect("id").to_string();

    let lines = [
        line("basket", "/p/1", 1), // conflicts with the stored one
        line("basket", "/p/2", 2),
        line("home", "/p/1", 3),   // another model: no conflict
        line("basket", "/p/2", 4), // repeats line 2
    ];
    let e = c
        .bulk_create(ndjson(&lines), ConflictStrategy::Raise)
        .await
        .expect_err("conflict");
    assert_eq!(status(&e), 409);
    assert_eq!(
        details(&e),
        json!({
            "line 1": [format!("Conflicts with existing customization {existing_id}")],
            "line 4": ["Conflicts with line 2 (same model, target_type and target)"]
        })
    );
    assert_eq!(r.count(TRACKER), Some(1));
    // Raise is the default.
    let (s, _, _) = Raw::api("POST", "/scopes/_bulk")
        .content_type(NDJSON_CONTENT_TYPE)
        .body(ndjson(&lines[..1]))
        .send(&r)
        .await;
    assert_eq!(s, 409);

    // Criteria targets clash whatever the key order; `all` targets clash per model.
    let crit = |a: Value| json!({"model": "m", "target_type": "criteria", "target_criteria": a, "pin_definitions": []});
    let e = c
        .bulk_create(
            ndjson(&[
                crit(json!({"a": 1, "b": {"c": 1, "d": 2}})),
                crit(json!({"b": {"d": 2, "c": 1}, "a": 1})),
                json!({"model": "m", "target_type": "all", "pin_definitions": []}),
                json!({"model": "m", "target_type": "all", "pin_definitions": [], "x": 1}),
                json!({"model": "n", "target_type": "all", "pin_definitions": []}),
            ]),
            ConflictStrategy::Raise,
        )
        .await
        .expect_err("conflict");
    let keys: Vec<String> = details(&e)
        .as_object()
        .expect("object")
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["line 2", "line 4"]);
    // Single create does not check conflicts.
    c.create(&item("basket", "/p/1")).await.expect("created");
    assert_eq!(r.count(TRACKER), Some(2));
}

#[tokio::test]
async fn ignore_keeps_what_is_stored_and_the_first_duplicate() {
    let r = emulator().await;
    let c = client(&r);
    c.bulk_create(ndjson(&[line("m", "/p/1", 0)]), ConflictStrategy::Raise)
        .await
        .expect("seed");
    let before = all_rows(&c).await;
    c.bulk_create(
        ndjson(&[
            line("m", "/p/1", 1),
            line("m", "/p/2", 2),
            line("m", "/p/2", 3),
            line("m", "/p/3", 4),
        ]),
        ConflictStrategy::Ignore,
    )
    .await
    .expect("ignore");
    let rows = all_rows(&c).await;
    assert_eq!(rows.len(), 3);
    let by_identity = |id: &str| {
        rows.iter()
            .find(|r| r.target_identity() == Some(id))
            .cloned()
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    assert_eq!(by_identity("/p/1"), before[0]);
    assert_eq!(marker(&by_identity("/p/2")), 2);
    assert_eq!(marker(&by_identity("/p/3")), 4);
}

#[tokio::test]
async fn override_replaces_in_place_and_the_last_duplicate_wins() {
    let r = emulator().await;
    let c = client(&r);
    c.bulk_create(
        ndjson(&[line("m", "/p/1", 0), line("m", "/p/9", 0)]),
        ConflictStrategy::Raise,
    )
    .await
    .expect("seed");
    let before = all_rows(&c).await;
    let old = before
        .iter()
        .find(|r| r.target_identity() == Some("/p/1"))
        .expect("seeded")
        .clone();
    let mut replacement = line("m", "/p/1", 2);
    replacement["tags"] = json!(["new"]);
    c.bulk_create(
        ndjson(&[
            line("m", "/p/1", 1),
            line("m", "/p/2", 3),
            replacement,
            line("m", "/p/2", 4),
        ]),
        ConflictStrategy::Override,
    )
    .await
    .expect("override");
    let rows = all_rows(&c).await;
    assert_eq!(rows.len(), 3);
    let p1 = c.get(old.id().expect("id")).await.expect("same id");
    assert_eq!(p1.created_at(), old.created_at());
    assert_eq!(marker(&p1), 2);
    assert_eq!(p1.tags().collect::<Vec<_>>(), ["new"]);
    let p2 = rows
        .iter()
        .find(|r| r.target_identity() == Some("/p/2"))
        .expect("created");
    assert_eq!(marker(p2), 4);
    let p9 = rows
        .iter()
        .find(|r| r.target_identity() == Some("/p/9"))
        .expect("untouched");
    assert_eq!(marker(p9), 0);
}
