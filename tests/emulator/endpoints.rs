//! Every endpoint through the real client, and each documented status.

use pinscope::api::{ApiError, ExportQuery, ListQuery};
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn create_answers_201_with_the_server_fields() {
    let r = emulator().await;
    let c = client(&r);
    let body = cust(json!({
        "model": "basket",
        "target_type": "item",
        "target_identity": "/p/123",
        "target_metadata": {"title": "Fender Telecaster", "image_link": "https://doe.com/123.jpg"},
        "pin_definitions": [{"position": 1, "pin_type": "item", "pin_identity": "/p/555",
                             "active_from": "2025-02-01T00:00:00Z"}]
    }));
    let created = c.create(&body).await.expect("created");
    let id = created.id().expect("an id").to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    assert!(created.created_at_ts().is_some(), "{created:?}");
    assert_eq!(created.creator(), Some("api"));
    assert_eq!(created.available(), Some(true));
    assert_eq!(created.title(), Some("Fender Telecaster"));
    // What was sent comes back, field for field, in order, between the server's fields.
    let keys: Vec<&String> = created.as_map().keys().collect();
    assert_eq!(
        keys,
        [
            "id",
            "created_at",
            "model",
            "target_type",
            "target_identity",
            "target_metadata",
            "pin_definitions",
            "creator",
            "available"
        ]
    );
    assert_eq!(c.get(&id).await.expect("get"), created);

    // The status is 201.
    let (status, _, v) = Raw::api("POST", "/scope")
        .body(serde_json::to_vec(&body).expect("json"))
        .send(&r)
        .await;
    assert_eq!(status, 201);
    assert_eq!(v["model"], "basket");
    assert_ne!(v["id"].as_str(), Some(id.as_str()));
}

#[tokio::test]
async fn create_sets_server_fields_whatever_the_body_says() {
    let r = emulator().await;
    let mut body = item("basket", "/p/1");
    body.set("id", json!("199620b4-df1a-46e8-ab59-9e9ed9af7106"));
    body.set("creator", json!("someone"));
    let (status, _, v) = Raw::api("POST", "/scope")
        .body(serde_json::to_vec(&body).expect("json"))
        .send(&r)
        .await;
    assert_eq!(status, 201);
    assert_ne!(v["id"], "199620b4-df1a-46e8-ab59-9e9ed9af7106");
    assert_eq!(v["creator"], "api");
}

#[tokio::test]
async fn create_400_and_422() {
    let r = emulator().await;
    let c = client(&r);
    for body in [&b"not json"[..], b"[1,2]", b"\"text\"", b""] {
        let (status, _, v) = Raw::api("POST", "/scope").body(body).send(&r).await;
        assert_eq!(status, 400, "{}", String::from_utf8_lossy(body));
        assert!(v["reason"].is_string(), "{v}");
        assert!(v["exception_details"]["body"][0].is_string(), "{v}");
    }
    // The documented example.
    let e = c
        .create(&cust(json!({"model": "basket", "target_type": "bogus",
                               "pin_definitions": [{"pin_type": "item", "pin_identity": "1"}]})))
        .await
        .expect_err("invalid");
    assert_eq!(status(&e), 422);
    assert_eq!(reason(&e), "Invalid pin definition provided");
    assert_eq!(
        details(&e),
        json!({"target_type": ["Must be one of: item, criteria, all"],
               "pin_definitions[0].position": ["Missing required field: position"]})
    );
    let e = c.create(&cust(json!({}))).await.expect_err("invalid");
    assert_eq!(status(&e), 422);
    assert_eq!(
        details(&e)["model"],
        json!(["Missing required field: model"])
    );
    assert_eq!(c.list(&ListQuery::default()).await.expect("list").total, 0);
}

#[tokio::test]
async fn unknown_tracker_is_404_on_every_endpoint() {
    let r = emulator().await;
    let c = client_for(&r, "0000-0000", KEY);
    let errors = [
        c.create(&item("m", "x")).await.expect_err("create"),
        c.bulk_create(ndjson(&[item("m", "x").into_value()]), Default::default())
            .await
            .expect_err("bulk"),
        c.get("199620b4-df1a-46e8-ab59-9e9ed9af7106")
            .await
            .expect_err("get"),
        c.list(&ListQuery::default()).await.expect_err("list"),
        c.update("199620b4-df1a-46e8-ab59-9e9ed9af7106", &item("m", "x"))
            .await
            .expect_err("update"),
        c.delete("199620b4-df1a-46e8-ab59-9e9ed9af7106")
            .await
            .expect_err("delete"),
        c.summary().await.expect_err("summary"),
        c.export(&ExportQuery::default()).await.expect_err("export"),
    ];
    for e in errors {
        assert_eq!(status(&e), 404, "{e:?}");
        assert_eq!(reason(&e), "Tracker not found");
    }
}

#[tokio::test]
async fn get_update_delete_and_their_404s() {
    let r = emulator().await;
    let c = client(&r);
    let created = c
        .create(&cust(json!({
            "model": "basket", "target_type": "item", "target_identity": "/p/1",
            "tags": ["summer"], "target_metadata": {"title": "Old"},
            "pin_definitions": [{"position": 1, "pin_type": "item", "pin_identity": "/p/2"}]
        })))
        .await
        .expect("created");
    let id = created.id().expect("id").to_string();

    let missing = "199620b4-df1a-46e8-ab59-9e9ed9af7106";
    for e in [
        c.get(missing).await.expect_err("get"),
        c.update(missing, &item("m", "x"))
            .await
            .expect_err("update"),
        c.delete(missing).await.expect_err("delete"),
    ] {
        assert_eq!(status(&e), 404);
        assert_eq!(reason(&e), "Customization not found");
    }
    // The client sends nothing for an id that is not a UUID...
    for e in [
        c.get("not-a-uuid").await.expect_err("get"),
        c.update("..", &item("m", "x")).await.expect_err("update"),
        c.delete("../summary").await.expect_err("delete"),
    ] {
        assert!(matches!(e, ApiError::Config(_)), "{e:?}");
    }
    // ...and the emulator answers one that is sent anyway with a 404, as the service does.
    for method in ["GET", "PUT", "DELETE"] {
        let (code, _, body) = Raw::api(method, "/scope/not-a-uuid")
            .body(item("m", "x").into_value().to_string())
            .send(&r)
            .await;
        assert_eq!(code, 404, "{method}");
        assert_eq!(body["reason"], "Customization not found", "{method}");
    }

    // Full replace: fields not sent are gone; id and created_at stay.
    let replacement = cust(json!({
        "target_type": "criteria", "model": "home", "target_criteria": {"brand": "Fender"},
        "pin_definitions": []
    }));
    c.update(&id, &replacement).await.expect("updated");
    let got = c.get(&id).await.expect("get");
    assert_eq!(got.id(), created.id());
    assert_eq!(got.created_at(), created.created_at());
    assert_eq!(got.model(), Some("home"));
    assert!(got.get("tags").is_none());
    assert!(got.get("target_metadata").is_none());
    assert!(got.get("target_identity").is_none());
    assert_eq!(got.available(), Some(false));

    // Statuses: 204 with an empty body.
    let (s, _, v) = Raw::api("PUT", &format!("/scope/{id}"))
        .body(serde_json::to_vec(&item("m", "y")).expect("json"))
        .send(&r)
        .await;
    assert_eq!((s, v), (204, Value::Null));
    let (s, _, v) = Raw::api("PUT", &format!("/scope/{id}"))
        .body("{oops")
        .send(&r)
        .await;
    assert_eq!(s, 400, "{v}");
    let e = c
        .update(
            &id,
            &cust(json!({"model": "m", "target_type": "item", "pin_definitions": []})),
        )
        .await
        .expect_err("invalid");
    assert_eq!(status(&e), 422);
    assert_eq!(
        details(&e),
        json!({"target_identity": ["Missing required field: target_identity"]})
    );
    assert_eq!(
        c.get(&id).await.expect("unchanged").target_identity(),
        Some("y")
    );

    let (s, _, v) = Raw::api("DELETE", &format!("/scope/{id}")).send(&r).await;
    assert_eq!((s, v), (204, Value::Null));
    assert_eq!(status(&c.get(&id).await.expect_err("gone")), 404);
    assert_eq!(status(&c.delete(&id).await.expect_err("gone")), 404);
}

#[tokio::test]
async fn unknown_fields_survive_every_path() {
    let r = emulator().await;
    let c = client(&r);
    let text = r#"{"zeta":{"b":1,"a":[{"y":2,"x":1}]},"model":"basket","target_type":"criteria","target_criteria":{"z":1,"a":{"d":1,"c":2}},"pin_definitions":[{"position":1,"pin_type":"item","pin_identity":"/p/1","future_flag":true,"is_bundle_pin":false}],"alpha":null}"#;
    let sent: pinscope::api::Customization = serde_json::from_str(text).expect("json");
    let strip = |c: &pinscope::api::Customization| {
        serde_json::to_string(&c.without_server_fields()).expect("json")
    };
    let created = c.create(&sent).await.expect("created");
    assert_eq!(strip(&created), text);
    let id = created.id().expect("id").to_string();
    assert_eq!(strip(&c.get(&id).await.expect("get")), text);

    let mut changed = created.clone();
    changed.set("model", json!("home"));
    c.update(&id, &changed).await.expect("update");
    let want = text.replace("\"basket\"", "\"home\"");
    assert_eq!(strip(&c.get(&id).await.expect("get")), want);
    let page = c.list(&ListQuery::default()).await.expect("list");
    assert_eq!(strip(&page.results[0]), want);
    let exported = c.export(&ExportQuery::default()).await.expect("export");
    assert_eq!(strip(&exported[0]), want);
    let exported = c
        .export(&ExportQuery {
            remove_expired_pins: true,
            ..ExportQuery::default()
        })
        .await
        .expect("export");
    assert_eq!(strip(&exported[0]), want);

    c.bulk_create(
        ndjson(&[serde_json::from_str(text).expect("json")]),
        Default::default(),
    )
    .await
    .expect("bulk");
    let rows = c
        .list(&ListQuery {
            models: vec!["basket".into()],
            ..ListQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(strip(&rows.results[0]), text);
}

#[tokio::test]
async fn available_follows_the_pins_windows() {
    let r = emulator().await;
    let c = client(&r);
    let pin = |from: Option<&str>, to: Option<&str>| {
        let mut p = json!({"position": 1, "pin_type": "item", "pin_identity": "/p/1"});
        if let Some(f) = from {
            p["active_from"] = json!(f);
        }
        if let Some(t) = to {
            p["active_to"] = json!(t);
        }
        p
    };
    let cases = [
        (vec![pin(None, None)], true),
        (
            vec![pin(
                Some("2000-01-01T00:00:00Z"),
                Some("2001-01-01T00:00:00Z"),
            )],
            false,
        ),
        (vec![pin(Some("2999-01-01T00:00:00Z"), None)], false),
        (
            vec![
                pin(None, Some("2001-01-01T00:00:00+02:00")),
                pin(Some("2001-01-01T00:00:00Z"), Some("2999-01-01T00:00:00Z")),
            ],
            true,
        ),
        (
            vec![
                pin(Some("2000-01-01T00:00:00Z"), Some("2001-01-01T00:00:00Z")),
                pin(None, None),
            ],
            true,
        ),
        (vec![], false),
    ];
    for (pins, want) in cases {
        let created = c
            .create(&cust(
                json!({"model": "m", "target_type": "all", "pin_definitions": pins}),
            ))
            .await
            .expect("created");
        assert_eq!(created.available(), Some(want), "{pins:?}");
        let got = c.get(created.id().expect("id")).await.expect("get");
        assert_eq!(got.available(), Some(want));
    }
}

#[tokio::test]
async fn summary_counts_models_and_lists_tags() {
    let r = emulator().await;
    let c = client(&r);
    let s = c.summary().await.expect("summary");
    assert!(s.scope_counts.is_empty() && s.user_tags.is_empty());
    for (model, tags) in [
        ("basket", json!(["summer", "sale"])),
        ("basket", json!(["sale"])),
        ("home", json!([])),
    ] {
        c.create(&cust(
            json!({"model": model, "target_type": "all", "tags": tags,
                               "pin_definitions": []}),
        ))
        .await
        .expect("created");
    }
    // The other tracker's data is its own.
    client_for(&r, OTHER_TRACKER, OTHER_KEY)
        .create(&cust(
            json!({"model": "detail", "target_type": "all", "tags": ["x"], "pin_definitions": []}),
        ))
        .await
        .expect("created");
    let s = c.summary().await.expect("summary");
    assert_eq!(
        s.counts(),
        [("basket".to_string(), 2), ("home".to_string(), 1)]
    );
    assert_eq!(s.user_tags, ["sale", "summer"]);
}

#[tokio::test]
async fn export_filters_and_pin_removal() {
    let r = emulator().await;
    let c = client(&r);
    c.create(&cust(json!({
        "model": "basket", "target_type": "item", "target_identity": "/p/1", "tags": ["a"],
        "pin_definitions": [
            {"position": 1, "pin_type": "item", "pin_identity": "/p/2", "active_to": "2001-01-01T00:00:00Z"},
            {"position": 2, "pin_type": "item", "pin_identity": "/p/2"},
            {"position": 3, "pin_type": "item", "pin_identity": "/p/unknown"},
            {"position": 4, "pin_type": "criteria", "pin_criteria": {"brand": "x"}}
        ]})))
        .await
        .expect("created");
    c.create(&item("basket", "/p/2")).await.expect("created");
    c.create(&cust(
        json!({"model": "home", "target_type": "all", "tags": ["b"], "pin_definitions": []}),
    ))
    .await
    .expect("created");

    let models = |rows: &[pinscope::api::Customization]| -> Vec<String> {
        rows.iter()
            .map(|r| r.model().unwrap_or("").to_string())
            .collect()
    };
    let all = c.export(&ExportQuery::default()).await.expect("export");
    assert_eq!(all.len(), 3);
    let q = |f: fn(&mut ExportQuery)| {
        let mut q = ExportQuery::default();
        f(&mut q);
        q
    };
    let got = c
        .export(&q(|q| q.model = Some("home".into())))
        .await
        .expect("export");
    assert_eq!(models(&got), ["home"]);
    let got = c
        .export(&q(|q| q.tag = Some("a".into())))
        .await
        .expect("export");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].pin_count(), 4);
    let got = c
        .export(&q(|q| q.target_type = Some("item".into())))
        .await
        .expect("export");
    assert_eq!(models(&got), ["basket", "basket"]);
    let got = c
        .export(&q(|q| q.target_identity = Some("/p/2".into())))
        .await
        .expect("export");
    assert_eq!(got.len(), 1);

    let positions = |c: &pinscope::api::Customization| -> Vec<i64> {
        c.pins()
            .filter_map(|p| p.position().map(|x| x.to_i64()))
            .collect()
    };
    let got = c
        .export(&q(|q| {
            q.tag = Some("a".into());
            q.remove_expired_pins = true;
        }))
        .await
        .expect("export");
    assert_eq!(positions(&got[0]), [2, 3, 4]);
    let got = c
        .export(&q(|q| {
            q.tag = Some("a".into());
            q.remove_nonexisting_item_pins = true;
        }))
        .await
        .expect("export");
    assert_eq!(positions(&got[0]), [1, 2, 4]);
    // Nothing stored changed.
    let got = c
        .export(&q(|q| q.tag = Some("a".into())))
        .await
        .expect("export");
    assert_eq!(positions(&got[0]), [1, 2, 3, 4]);

    // Export filters are single-valued; bad values are 422.
    for target in [
        "/scopes/export?model=a&model=b",
        "/scopes/export?target_type=thing",
        "/scopes/export?remove_expired_pins=maybe",
    ] {
        let (s, _, v) = Raw::api("POST", target).send(&r).await;
        assert_eq!(s, 422, "{target}: {v}");
        assert!(
            v["exception_details"]
                .as_object()
                .is_some_and(|d| !d.is_empty()),
            "{v}"
        );
    }
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let r = emulator().await;
    let (s, _, v) = Raw::new("GET", "/nothing/here").send(&r).await;
    assert_eq!(s, 404);
    assert_eq!(v["reason"], "Not found");
    let (s, _, _) = Raw::api("PATCH", "/scope/199620b4-df1a-46e8-ab59-9e9ed9af7106")
        .send(&r)
        .await;
    assert_eq!(s, 405);
}
