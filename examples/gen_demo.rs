//! Writes `assets/demo.ndjson`: the sample music shop of `pinscope demo`.
//!
//! `cargo run --example gen_demo > assets/demo.ndjson`
//!
//! The output is the same on every run (a fixed seed and a generator written here, so no
//! crate upgrade changes it). Dates are written around `pinscope::tui::demo::ANCHOR`; when
//! the demo starts they are moved forward by the days since the anchor, so pins stay
//! active, scheduled and expired in any year. The customization of the vendor's docs is
//! kept exactly as documented.

use serde_json::{Map, Value, json};

/// splitmix64: tiny, good enough, and frozen.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn uuid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        let a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
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

/// (id number, title, category, brand)
const PRODUCTS: &[(u32, &str, &str, &str)] = &[
    (
        101,
        "Fender Stratocaster Player",
        "Electric Guitars",
        "Fender",
    ),
    (
        102,
        "Gibson Les Paul Standard '50s",
        "Electric Guitars",
        "Gibson",
    ),
    (103, "Epiphone SG Standard", "Electric Guitars", "Epiphone"),
    (104, "Ibanez RG550 Genesis", "Electric Guitars", "Ibanez"),
    (105, "PRS SE Custom 24", "Electric Guitars", "PRS"),
    (
        106,
        "Gretsch G2622 Streamliner",
        "Electric Guitars",
        "Gretsch",
    ),
    (
        107,
        "Squier Classic Vibe '60s Jazzmaster",
        "Electric Guitars",
        "Squier",
    ),
    (108, "Yamaha Pacifica 112V", "Electric Guitars", "Yamaha"),
    (
        109,
        "Fender Player Telecaster HH",
        "Electric Guitars",
        "Fender",
    ),
    (110, "ESP LTD EC-256", "Electric Guitars", "ESP"),
    (131, "Martin D-28", "Acoustic Guitars", "Martin"),
    (132, "Taylor 214ce", "Acoustic Guitars", "Taylor"),
    (133, "Yamaha FG800", "Acoustic Guitars", "Yamaha"),
    (134, "Cordoba C5 Classical", "Acoustic Guitars", "Cordoba"),
    (135, "Gibson J-45 Standard", "Acoustic Guitars", "Gibson"),
    (136, "Takamine GD30CE", "Acoustic Guitars", "Takamine"),
    (137, "Lakewood M-14", "Acoustic Guitars", "Lakewood"),
    (151, "Fender Precision Bass", "Basses", "Fender"),
    (152, "Fender Jazz Bass", "Basses", "Fender"),
    (153, "Music Man StingRay Special", "Basses", "Music Man"),
    (154, "Ibanez SR300E", "Basses", "Ibanez"),
    (155, "Squier Affinity Jazz Bass", "Basses", "Squier"),
    (156, "Hofner Violin Bass", "Basses", "Hofner"),
    (171, "Yamaha P-45 Digital Piano", "Keys", "Yamaha"),
    (172, "Roland FP-30X", "Keys", "Roland"),
    (173, "Korg Minilogue XD", "Keys", "Korg"),
    (174, "Nord Stage 4", "Keys", "Nord"),
    (175, "Arturia KeyLab Essential 61", "Keys", "Arturia"),
    (176, "Casio CT-S1", "Keys", "Casio"),
    (177, "Novation Launchkey 49", "Keys", "Novation"),
    (178, "Moog Subsequent 37", "Keys", "Moog"),
    (191, "Roland TD-07KV V-Drums", "Drums", "Roland"),
    (192, "Pearl Export EXX", "Drums", "Pearl"),
    (193, "Tama Imperialstar", "Drums", "Tama"),
    (194, "Zildjian A Custom Cymbal Pack", "Drums", "Zildjian"),
    (195, "Vic Firth 5A Sticks", "Drums", "Vic Firth"),
    (196, "Meinl Cajon Headliner", "Drums", "Meinl"),
    (197, "Alesis Nitro Max", "Drums", "Alesis"),
    (211, "Boss Katana-50 MkII", "Amplifiers", "Boss"),
    (212, "Fender Blues Junior IV", "Amplifiers", "Fender"),
    (213, "Marshall DSL20CR", "Amplifiers", "Marshall"),
    (214, "Vox AC30C2", "Amplifiers", "Vox"),
    (215, "Orange Crush 20", "Amplifiers", "Orange"),
    (216, "Positive Grid Spark 40", "Amplifiers", "Positive Grid"),
    (231, "Boss DS-1 Distortion", "Effects", "Boss"),
    (
        232,
        "Electro-Harmonix Big Muff Pi",
        "Effects",
        "Electro-Harmonix",
    ),
    (233, "Ibanez TS9 Tube Screamer", "Effects", "Ibanez"),
    (234, "Strymon BigSky", "Effects", "Strymon"),
    (235, "MXR Phase 90", "Effects", "MXR"),
    (236, "TC Electronic PolyTune 3", "Effects", "TC Electronic"),
    (237, "Line 6 HX Stomp", "Effects", "Line 6"),
    (251, "Shure SM58", "Studio", "Shure"),
    (252, "Focusrite Scarlett 2i2", "Studio", "Focusrite"),
    (253, "Audio-Technica ATH-M50x", "Studio", "Audio-Technica"),
    (254, "Rode NT1 5th Gen", "Studio", "Rode"),
    (255, "Yamaha HS5 Monitors", "Studio", "Yamaha"),
    (256, "Universal Audio Volt 276", "Studio", "Universal Audio"),
    (257, "Shure SM57", "Studio", "Shure"),
    (
        271,
        "Ernie Ball Regular Slinky Strings",
        "Accessories",
        "Ernie Ball",
    ),
    (272, "D'Addario EXP16 Strings", "Accessories", "D'Addario"),
    (273, "Dunlop Tortex Picks 12-pack", "Accessories", "Dunlop"),
    (274, "Fender Deluxe Gig Bag", "Accessories", "Fender"),
    (
        275,
        "Hercules GS414B Guitar Stand",
        "Accessories",
        "Hercules",
    ),
    (276, "Snark SN-5 Clip-on Tuner", "Accessories", "Snark"),
    (
        277,
        "Planet Waves Instrument Cable 3m",
        "Accessories",
        "Planet Waves",
    ),
    (278, "Kyser Quick-Change Capo", "Accessories", "Kyser"),
    (279, "Levy's Leather Strap", "Accessories", "Levy's"),
    (291, "Hal Leonard Guitar Method", "Books", "Hal Leonard"),
    (292, "Alfred's Basic Piano Library", "Books", "Alfred"),
    (
        293,
        "Stick Control for the Snare Drummer",
        "Books",
        "Stick Control",
    ),
];

const MODELS: &[&str] = &[
    "basket",
    "product_detail",
    "homepage",
    "category_listing",
    "checkout",
];

const TAGS: &[&str] = &[
    "summer-sale",
    "black-friday",
    "new-arrivals",
    "clearance",
    "staff-picks",
    "back-to-school",
    "bundle-deals",
    "b2b",
    "holiday-gifts",
];

const WIDGETS: &[&str] = &[
    "pdp-similar",
    "pdp-accessories",
    "cart-upsell",
    "home-hero",
    "checkout-addons",
];

/// The date the file is written around: `pinscope::tui::demo::ANCHOR`.
const ANCHOR_SECS: i64 = 1_748_736_000; // 2025-06-01T00:00:00Z
const DAY: i64 = 86_400;

fn date(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .expect("in range")
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn product_link(id: u32) -> String {
    format!("/p/{id}")
}

fn image(id: u32) -> String {
    format!("https://cdn.harmonyhall.example/img/p{id}.jpg")
}

/// A window relative to the anchor: active now, scheduled, expired, or open.
fn window(rng: &mut Rng, pin: &mut Map<String, Value>) {
    let hour = rng.below(24) as i64 * 3600;
    match rng.below(10) {
        // Active: started before, ends after (or never).
        0..=3 => {
            pin.insert(
                "active_from".into(),
                date(ANCHOR_SECS - (1 + rng.below(60) as i64) * DAY + hour).into(),
            );
            if rng.chance(60) {
                pin.insert(
                    "active_to".into(),
                    date(ANCHOR_SECS + (3 + rng.below(60) as i64) * DAY).into(),
                );
            }
        }
        // Scheduled.
        4 | 5 => {
            let start = ANCHOR_SECS + (2 + rng.below(45) as i64) * DAY;
            pin.insert("active_from".into(), date(start).into());
            if rng.chance(70) {
                pin.insert(
                    "active_to".into(),
                    date(start + (7 + rng.below(30) as i64) * DAY).into(),
                );
            }
        }
        // Expired.
        6 | 7 => {
            let end = ANCHOR_SECS - (2 + rng.below(90) as i64) * DAY;
            if rng.chance(70) {
                pin.insert(
                    "active_from".into(),
                    date(end - (7 + rng.below(40) as i64) * DAY).into(),
                );
            }
            pin.insert("active_to".into(), date(end).into());
        }
        // No window: always on.
        _ => {}
    }
}

fn pins(rng: &mut Rng, target: u32) -> Vec<Value> {
    let n = match rng.below(10) {
        0 => 0,
        1..=3 => 1,
        4..=6 => 2,
        7 | 8 => 3,
        _ => 4 + rng.below(3) as usize,
    };
    let mut out = Vec::new();
    let mut slot = 1;
    for _ in 0..n {
        let mut pin = Map::new();
        let kind = rng.below(10);
        let position: i64 = match kind {
            0 => 0,
            1 => -1,
            _ => {
                let s = slot;
                slot += 1 + rng.below(2) as i64;
                s
            }
        };
        pin.insert("position".into(), position.into());
        if rng.chance(15) {
            let (_, _, category, brand) = rng.pick(PRODUCTS);
            pin.insert("pin_type".into(), "criteria".into());
            let criteria = if rng.chance(50) {
                json!({ "brand": brand })
            } else {
                json!({ "category": category })
            };
            pin.insert("pin_criteria".into(), criteria);
        } else {
            let mut p = rng.pick(PRODUCTS).0;
            if p == target {
                p = PRODUCTS[0].0;
            }
            pin.insert("pin_type".into(), "item".into());
            pin.insert("pin_identity".into(), product_link(p).into());
        }
        if position == 0 {
            pin.insert("is_block_pin".into(), true.into());
        }
        if rng.chance(20) {
            pin.insert("widget_id".into(), (*rng.pick(WIDGETS)).into());
        }
        if position > 0 && rng.chance(8) {
            pin.insert("is_bundle_pin".into(), true.into());
        }
        window(rng, &mut pin);
        out.push(Value::Object(pin));
    }
    out
}

fn tags(rng: &mut Rng) -> Vec<Value> {
    let n = match rng.below(10) {
        0..=2 => 0,
        3..=7 => 1,
        _ => 2,
    };
    let mut out: Vec<Value> = Vec::new();
    while out.len() < n {
        let t: Value = (*rng.pick(TAGS)).into();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The response object of the vendor's "get customization" page, verbatim.
fn docs_customization() -> Value {
    json!({
        "id": "199620b4-df1a-46e8-ab59-9e9ed9af7106",
        "created_at": "2025-01-22T08:49:58Z",
        "model": "basket",
        "target_type": "item",
        "target_identity": "/p/123",
        "target_metadata": {
            "title": "Fender Telecaster",
            "image_link": "https://doe.com/123.jpg"
        },
        "pin_definitions": [
            {
                "position": 1,
                "pin_type": "item",
                "pin_identity": "/p/555",
                "active_from": "2025-02-01T00:00:00Z"
            }
        ]
    })
}

fn main() {
    print!("{}", generate());
}

/// The whole file.
pub fn generate() -> String {
    let mut rng = Rng(0x5049_4E53_434F_5045); // "PINSCOPE"
    let mut lines: Vec<Value> = vec![docs_customization()];
    let mut seen = std::collections::HashSet::new();
    seen.insert((
        "basket".to_string(),
        "item".to_string(),
        "/p/123".to_string(),
    ));

    let categories: Vec<&str> = {
        let mut c: Vec<&str> = PRODUCTS.iter().map(|p| p.2).collect();
        c.dedup();
        c
    };
    let brands: Vec<&str> = {
        let mut b: Vec<&str> = PRODUCTS.iter().map(|p| p.3).collect();
        b.sort();
        b.dedup();
        b
    };

    let mut n = 0;
    while lines.len() < 340 {
        n += 1;
        let model = *rng.pick(MODELS);
        let roll = rng.below(100);
        let mut c = Map::new();
        c.insert("id".into(), rng.uuid().into());
        c.insert("model".into(), model.into());
        let target_id;
        let key;
        if roll < 78 {
            let (pid, title, category, brand) = *rng.pick(PRODUCTS);
            target_id = pid;
            key = (model.to_string(), "item".to_string(), product_link(pid));
            c.insert("target_type".into(), "item".into());
            c.insert("target_identity".into(), product_link(pid).into());
            let mut meta = Map::new();
            meta.insert("title".into(), title.into());
            meta.insert("image_link".into(), image(pid).into());
            if rng.chance(30) {
                meta.insert("category".into(), category.into());
            }
            if rng.chance(20) {
                meta.insert("brand".into(), brand.into());
            }
            c.insert("target_metadata".into(), Value::Object(meta));
        } else if roll < 96 {
            target_id = 0;
            let criteria = if rng.chance(60) {
                json!({ "category": rng.pick(&categories) })
            } else if rng.chance(70) {
                json!({ "brand": rng.pick(&brands) })
            } else {
                json!({ "category": rng.pick(&categories), "brand": rng.pick(&brands) })
            };
            key = (
                model.to_string(),
                "criteria".to_string(),
                criteria.to_string(),
            );
            c.insert("target_type".into(), "criteria".into());
            c.insert("target_criteria".into(), criteria);
            if rng.chance(40) {
                c.insert(
                    "target_metadata".into(),
                    json!({ "title": format!("Campaign {}", 100 + n) }),
                );
            }
        } else {
            target_id = 0;
            key = (model.to_string(), "all".to_string(), String::new());
            c.insert("target_type".into(), "all".into());
        }
        if !seen.insert(key) {
            continue;
        }
        c.insert("tags".into(), Value::Array(tags(&mut rng)));
        c.insert(
            "pin_definitions".into(),
            Value::Array(pins(&mut rng, target_id)),
        );
        if rng.chance(4) {
            // A field this version of the API does not know: kept on every round trip.
            c.insert(
                "x_merchandiser_note".into(),
                json!({ "by": "catalog-team", "ticket": format!("MERCH-{}", 1000 + n) }),
            );
        }
        let created = ANCHOR_SECS - rng.below(420) as i64 * DAY - rng.below(DAY as u64) as i64;
        c.insert("created_at".into(), date(created).into());
        c.insert("creator".into(), "api".into());
        lines.push(Value::Object(c));
    }
    let mut out = String::new();
    for l in &lines {
        out.push_str(&serde_json::to_string(l).expect("json"));
        out.push('\n');
    }
    out
}
