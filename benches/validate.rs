//! `validate` of one customization with four pins (target <= 2 us).
//!
//! Run: `cargo bench --bench validate` (add `-- --quick` for a short run).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pinscope::api::validate::validate;
use serde_json::json;

fn bench(c: &mut Criterion) {
    let v = json!({
        "model": "basket",
        "target_type": "item",
        "target_identity": "/p/123",
        "tags": ["summer", "sale"],
        "target_metadata": {"title": "Fender Telecaster", "image_link": "https://doe.com/123.jpg"},
        "pin_definitions": [
            {"position": 1, "pin_type": "item", "pin_identity": "/p/555", "active_from": "2025-02-01T00:00:00Z"},
            {"position": 2, "pin_type": "item", "pin_identity": "/p/556", "widget_id": "w1",
             "active_from": "2025-02-01T00:00:00+01:00", "active_to": "2025-03-01T00:00:00Z"},
            {"position": -1, "pin_type": "criteria", "pin_criteria": {"brand": "Fender"}, "is_bundle_pin": true},
            {"position": 0, "pin_type": "item", "pin_identity": "/p/9", "is_block_pin": true}
        ]
    });
    assert!(validate(&v).is_empty());
    c.bench_function("validate_4_pins", |b| b.iter(|| validate(black_box(&v))));
}

criterion_group!(benches, bench);
criterion_main!(benches);
