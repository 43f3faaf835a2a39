//! Export, import into an empty tracker, export again: the same customizations, byte for
//! byte once the server's fields are set aside (key order of criteria and unknown fields
//! included).

use pinscope::api::ExportQuery;
use pinscope::api::model::ConflictStrategy;
use serde_json::{Value, json};

use crate::helpers::*;

/// Customizations with everything a file can hold.
pub fn varied() -> Vec<Value> {
    let mut v = vec![
        json!({"model": "basket", "target_type": "item", "target_identity": "/p/1",
               "tags": ["summer", "sale"], "target_metadata": {"title": "Shoe", "image_link": "https://x/1.png"},
               "pin_definitions": [
                   {"position": 1, "pin_type": "item", "pin_identity": "/p/9", "widget_id": "w1",
                    "active_from": "2025-01-01T00:00:00Z", "active_to": "2030-01-01T00:00:00+02:00"},
                   {"position": 0, "pin_type": "item", "pin_identity": "/p/8", "is_block_pin": true},
                   {"position": -1, "pin_type": "criteria", "pin_criteria": {"z": [3, {"b": 1, "a": 2}], "a": "x"},
                    "is_bundle_pin": false}
               ],
               "x_future": {"nested": [1, "two", null], "k": true}}),
        json!({"target_type": "criteria", "model": "home",
               "target_criteria": {"zeta": {"y": 1, "x": [2, 1]}, "alpha": "A"},
               "pin_definitions": []}),
        json!({"model": "home", "target_type": "all",
               "pin_definitions": [{"position": 3, "pin_type": "item", "pin_identity": "é/ü ?&="}]}),
    ];
    v.extend((0..40).map(|i| item("basket", &format!("/bulk/{i}"), &format!("v{i}"))));
    v
}

/// `without_server_fields` as text, per conflict key.
fn texts(rows: &[pinscope::api::Customization]) -> std::collections::BTreeMap<String, String> {
    rows.iter()
        .map(|c| {
            (
                c.conflict_key().expect("key").to_string(),
                serde_json::to_string(&c.without_server_fields()).expect("json"),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_import_export_gives_the_same_customizations() {
    let r = emulator(varied()).await;
    let a = client(&r);
    let b = other_client(&r);
    let exported = a.export(&ExportQuery::default()).await.expect("export");
    assert_eq!(exported.len(), 43);
    // The export as `pinscope export` writes it: server fields included.
    let dir = tempfile::tempdir().expect("dir");
    let lines: Vec<String> = exported
        .iter()
        .map(|c| serde_json::to_string(c).expect("json"))
        .collect();
    assert!(lines[0].contains("\"id\""));
    let path = write(dir.path(), "export.ndjson", ndjson(&lines));
    let plan = scan(&path);
    let res = run(&plan, &b, &opts(ConflictStrategy::Raise, 7)).await;
    assert_eq!(res.summary.counts.created, 43, "{:?}", res.summary);
    let again = b.export(&ExportQuery::default()).await.expect("export");
    assert_eq!(texts(&again), texts(&exported));
    // New ids in the other tracker: the old ones were not sent.
    let old: std::collections::HashSet<&str> = exported.iter().filter_map(|c| c.id()).collect();
    assert!(
        again
            .iter()
            .all(|c| c.id().is_some_and(|id| !old.contains(id)))
    );
}
