//! The tracker the health benchmarks measure: 100,000 customizations and 300,000 pins.
//! Shared by `benches/health.rs` and `examples/health_cpu.rs` (`#[path]`), so both measure
//! the same data.
#![allow(dead_code)]

use jiff::{Timestamp, ToSpan};
use pinscope::api::Customization;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

pub const SCOPES: usize = 100_000;
pub const PINS_EACH: usize = 3;

pub fn now() -> Timestamp {
    "2025-06-15T10:00:00Z".parse().expect("ts")
}

/// A shop: models of several sizes (and a few typos), item, criteria and all targets (some
/// duplicated), pins with windows from three months back to three months ahead, some open.
pub fn tracker() -> Vec<Customization> {
    let mut rng = SmallRng::seed_from_u64(13);
    let models = [
        "basket",
        "homepage",
        "product_detail",
        "category",
        "search",
        "cart_upsell",
    ];
    let at = |rng: &mut SmallRng| -> String {
        let hours: i64 = rng.random_range(-24 * 90..24 * 90);
        now()
            .checked_add(hours.hours())
            .expect("in range")
            .to_string()
    };
    (0..SCOPES)
        .map(|i| {
            let model = if i % 5000 == 7 {
                "homepageX".to_string()
            } else {
                models[i % models.len()].to_string()
            };
            let pins: Vec<Value> = (0..PINS_EACH)
                .map(|j| {
                    let mut p = json!({
                        "position": if j == 2 && i % 10 == 0 { 0 } else { j as i64 + 1 },
                        "pin_type": "item",
                        "pin_identity": format!("/p/{}", rng.random_range(0..50_000)),
                    });
                    if rng.random_bool(0.3) {
                        p["widget_id"] = json!(format!("w{}", rng.random_range(0..5)));
                    }
                    match rng.random_range(0..4) {
                        0 => {}
                        1 => p["active_from"] = json!(at(&mut rng)),
                        2 => p["active_to"] = json!(at(&mut rng)),
                        _ => {
                            let a = at(&mut rng);
                            let b = at(&mut rng);
                            let (from, to) = if a < b { (a, b) } else { (b, a) };
                            if from != to {
                                p["active_from"] = json!(from);
                                p["active_to"] = json!(to);
                            }
                        }
                    }
                    p
                })
                .collect();
            let mut c = json!({
                "id": format!("00000000-0000-4000-8000-{i:012x}"),
                "model": model,
                "pin_definitions": pins,
                "created_at": "2025-01-01T00:00:00Z",
            });
            match i % 10 {
                0..=6 => {
                    c["target_type"] = json!("item");
                    // One in a thousand repeats the target of the one before.
                    let n = if i % 1000 == 1 { i - 1 } else { i };
                    c["target_identity"] = json!(format!("/p/{n}"));
                    c["target_metadata"] = json!({"title": format!("Product {n}")});
                }
                7 | 8 => {
                    c["target_type"] = json!("criteria");
                    c["target_criteria"] =
                        json!({"brand": format!("b{}", i % 997), "category": format!("c{}", i)});
                }
                _ => c["target_type"] = json!("all"),
            }
            Customization::from_value(c).expect("object")
        })
        .collect()
}
