//! A generated tracker: many plausible customizations, the same for the same seed, for
//! tests and benchmarks of the mirror (and of anything that reads it). Tests plant their
//! own rows among these; the word lists here never contain the planted words of the tests
//! (`Fender`, `Telecaster`, `/p/555`...).
//!
//! `cargo run --release --example gen_tracker -- 100000 > big.ndjson` writes one for
//! `pinscope serve --load`.

use serde_json::{Map, Value, json};

/// splitmix64: tiny and frozen, so a seed always gives the same tracker.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A version-4 UUID.
    pub fn uuid(&mut self) -> String {
        let a = (self.next_u64() & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        let b = (self.next_u64() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFFF,
            b >> 48,
            b & 0xFFFF_FFFF_FFFF
        )
    }
}

const MODELS: [&str; 4] = ["basket", "home", "product_detail", "category"];
const BRANDS: [&str; 8] = [
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka",
];
const ADJECTIVES: [&str; 8] = [
    "Classic", "Deluxe", "Compact", "Vintage", "Studio", "Travel", "Pro", "Mini",
];
const NOUNS: [&str; 8] = [
    "Guitar",
    "Amplifier",
    "Cable",
    "Pedal",
    "Drum",
    "Keyboard",
    "Microphone",
    "Stand",
];
const TAGS: [&str; 6] = ["sale", "summer", "winter", "clearance", "new", "staff-pick"];
const WIDGETS: [&str; 4] = ["w-home-top", "w-basket", "w-detail-similar", "w-category"];

/// Seconds since the epoch of 2025-01-01T00:00:00Z, where `created_at` starts.
const CREATED_BASE: i64 = 1_735_689_600;

fn rfc3339(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(crate::api::time::format_utc)
        .unwrap_or_else(|_| "2025-01-01T00:00:00Z".into())
}

/// The `i`-th customization of the tracker with this seed's state: an item target
/// (`/p/NNNNNNN`) four times in five, else criteria or all; three pins on average.
pub fn customization(rng: &mut Rng, i: u64, now_secs: i64) -> Value {
    let model = *rng.pick(&MODELS);
    let brand = *rng.pick(&BRANDS);
    let title = format!("{brand} {} {} {i}", rng.pick(&ADJECTIVES), rng.pick(&NOUNS));
    let mut m = Map::new();
    m.insert("id".into(), Value::String(rng.uuid()));
    m.insert(
        "created_at".into(),
        Value::String(rfc3339(CREATED_BASE + i as i64 * 60)),
    );
    m.insert("model".into(), json!(model));
    match rng.below(10) {
        0 => {
            m.insert("target_type".into(), json!("criteria"));
            m.insert(
                "target_criteria".into(),
                json!({"brand": brand, "category": rng.pick(&NOUNS)}),
            );
        }
        1 if rng.below(4) == 0 => {
            m.insert("target_type".into(), json!("all"));
        }
        _ => {
            m.insert("target_type".into(), json!("item"));
            m.insert("target_identity".into(), json!(format!("/p/{:07}", i)));
        }
    }
    m.insert(
        "target_metadata".into(),
        json!({"title": title, "image_link": format!("https://img.example/{i}.jpg")}),
    );
    let ntags = rng.below(3);
    let tags: Vec<&str> = (0..ntags).map(|_| *rng.pick(&TAGS)).collect();
    m.insert("tags".into(), json!(tags));
    let npins = 1 + rng.below(5); // 1..=5, three on average
    let pins: Vec<Value> = (0..npins)
        .map(|k| {
            let mut p = Map::new();
            let position: i64 = match rng.below(10) {
                0 => -1,
                1 => 0,
                _ => 1 + k as i64,
            };
            p.insert("position".into(), json!(position));
            if rng.below(20) == 0 {
                p.insert("pin_type".into(), json!("criteria"));
                p.insert("pin_criteria".into(), json!({"brand": rng.pick(&BRANDS)}));
            } else {
                p.insert("pin_type".into(), json!("item"));
                p.insert(
                    "pin_identity".into(),
                    json!(format!("/p/{:07}", rng.below(200_000))),
                );
            }
            if position == 0 {
                p.insert("is_block_pin".into(), json!(true));
            }
            if rng.below(4) == 0 {
                p.insert("widget_id".into(), json!(rng.pick(&WIDGETS)));
            }
            match rng.below(6) {
                0 => {
                    // expired
                    p.insert("active_from".into(), json!(rfc3339(now_secs - 90 * 86_400)));
                    p.insert("active_to".into(), json!(rfc3339(now_secs - 30 * 86_400)));
                }
                1 => {
                    // scheduled
                    p.insert("active_from".into(), json!(rfc3339(now_secs + 10 * 86_400)));
                }
                2 => {
                    // active, ending soon
                    p.insert(
                        "active_to".into(),
                        json!(rfc3339(now_secs + (1 + rng.below(20) as i64) * 86_400)),
                    );
                }
                _ => {}
            }
            Value::Object(p)
        })
        .collect();
    m.insert("pin_definitions".into(), Value::Array(pins));
    Value::Object(m)
}

/// `n` customizations of the tracker with this seed, one at a time.
pub fn tracker(n: u64, seed: u64) -> impl Iterator<Item = Value> {
    let mut rng = Rng(seed);
    let now = jiff::Timestamp::now().as_second();
    (0..n).map(move |i| customization(&mut rng, i, now))
}
