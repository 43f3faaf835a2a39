//! `pinscope demo`: the emulator in this process on a free loopback port, loaded with a
//! sample music shop, and the TUI on it. Nothing is written to the user's files except
//! recent lookups.

use jiff::{SignedDuration, Timestamp};
use rand::RngExt as _;
use serde_json::Value;

use crate::api::time::{format_utc, parse_rfc3339};
use crate::api::{ClientConfig, Customization, Secret};
use crate::config::Session;
use crate::emulator::{EmulatorConfig, start};
use crate::tui::screens::browse::Browse;
use crate::tui::{Launch, open, recent, system_time_zone};

/// The sample data, in export format (`cargo run --example gen_demo` writes it).
pub const DATA: &str = include_str!("../../assets/demo.ndjson");

/// The day the sample's dates are written around. When the demo starts they move forward
/// by the whole days since, so pins stay active, scheduled and expired in any year.
pub const ANCHOR: &str = "2025-06-01T00:00:00Z";

/// The customization of the vendor's docs: kept exactly as documented, never moved.
pub const DOCS_ID: &str = "199620b4-df1a-46e8-ab59-9e9ed9af7106";

/// The demo's tracker.
pub const TRACKER: &str = "demo";

/// How the demo runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct DemoOptions {
    /// A read-only profile: writes are refused.
    pub read_only: bool,
    /// Panic in a background task once the UI is up, to check that the terminal is restored
    /// (used by the tests).
    pub crash_after_start: bool,
}

/// Whole days from the anchor to `now` (never negative).
pub fn days_since_anchor(now: Timestamp) -> i64 {
    let anchor = parse_rfc3339(ANCHOR).unwrap_or(now);
    (now.as_second() - anchor.as_second()).max(0) / 86_400
}

fn shift_field(m: &mut serde_json::Map<String, Value>, key: &str, by: SignedDuration) {
    if let Some(Value::String(s)) = m.get_mut(key)
        && let Some(t) = parse_rfc3339(s)
        && let Ok(moved) = t.checked_add(by)
    {
        *s = format_utc(moved);
    }
}

/// Moves a customization's dates (`created_at`, every pin's window) by `days`.
pub fn shift(c: &mut Customization, days: i64) {
    let by = SignedDuration::from_hours(24 * days);
    shift_field(c.as_map_mut(), "created_at", by);
    if let Some(Value::Array(pins)) = c.as_map_mut().get_mut("pin_definitions") {
        for p in pins {
            if let Value::Object(p) = p {
                shift_field(p, "active_from", by);
                shift_field(p, "active_to", by);
            }
        }
    }
}

/// The sample data as of `now`: parsed, and every date but the docs customization's moved
/// forward by the days since [`ANCHOR`].
pub fn data_at(now: Timestamp) -> Result<Vec<Customization>, String> {
    let days = days_since_anchor(now);
    let mut out = Vec::new();
    for (i, line) in DATA.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut c: Customization =
            serde_json::from_str(line).map_err(|e| format!("assets/demo.ndjson:{}: {e}", i + 1))?;
        if c.id() != Some(DOCS_ID) {
            shift(&mut c, days);
        }
        out.push(c);
    }
    Ok(out)
}

/// Runs the demo until the user quits: the emulator on a free loopback port, loaded with
/// the sample data, and the TUI on it, with the key bindings `keys`.
pub async fn run(
    options: DemoOptions,
    keys: std::collections::BTreeMap<String, Vec<String>>,
) -> Result<crate::tui::Exit, String> {
    let tz = system_time_zone();
    // A fresh key each run: the emulator and the client share it and nobody else does.
    let key: String = {
        let mut rng = rand::rng();
        (0..32)
            .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
            .collect()
    };
    let key = Secret::new(key);
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let mut cfg = EmulatorConfig::new(loopback, vec![(TRACKER.to_string(), key.clone())]);
    cfg.preload = data_at(Timestamp::now())?;
    let running = start(cfg)
        .await
        .map_err(|e| format!("cannot start the demo's emulator: {e}"))?;
    let session = Session {
        profile_name: TRACKER.into(),
        label: TRACKER.into(),
        color: Some("green".into()),
        production: false,
        read_only: options.read_only,
        client: ClientConfig::new(running.url(), TRACKER, key),
        keys,
    };
    // The demo's mirror lives in memory: it never writes the user's data dir. It is
    // synced from the demo's emulator as the UI starts.
    let mirror =
        crate::mirror::Mirror::open_in_memory(&crate::mirror::Scope::new(running.url(), TRACKER))
            .ok()
            .map(|m| (m, std::time::Duration::ZERO));
    // The demo keeps its history in memory: it writes nothing but recent lookups.
    let recording = crate::mirror::history::History::in_memory(&crate::mirror::Scope::new(
        &session.client.host,
        &session.client.tracker_id,
    ))
    .ok()
    .map(|h| crate::tui::worker::Recording {
        history: std::sync::Arc::new(h),
        origin: crate::mirror::history::Origin {
            profile: session.profile_name.clone(),
            host: session.client.host.clone(),
            tracker: session.client.tracker_id.clone(),
        },
    });
    let launch = Launch {
        session,
        recent_file: recent::LOOKUPS.default_path(),
        tz,
        mirror,
        recording,
        config: None,
        warnings: Vec::new(),
    };
    if options.crash_after_start {
        tokio::spawn(async {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            panic!("deliberate crash (pinscope demo --crash-after-start)");
        });
    }
    let result = open(launch, Box::new(Browse::new())).await;
    running.shutdown().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_every_date_but_the_docs_one() {
        let now: Timestamp = "2027-03-10T15:00:00Z".parse().expect("ts");
        let days = days_since_anchor(now);
        assert_eq!(days, 647);
        let data = data_at(now).expect("data");
        let docs = data.iter().find(|c| c.id() == Some(DOCS_ID)).expect("docs");
        assert_eq!(docs.created_at(), Some("2025-01-22T08:49:58Z"));
        let original: Customization =
            serde_json::from_str(DATA.lines().nth(1).expect("line")).expect("json");
        let moved = data
            .iter()
            .find(|c| c.id() == original.id())
            .expect("same id");
        let before = original.created_at_ts().expect("created");
        let after = moved.created_at_ts().expect("created");
        assert_eq!(after.as_second() - before.as_second(), days * 86_400);
        assert_eq!(
            days_since_anchor("2020-01-01T00:00:00Z".parse().expect("ts")),
            0
        );
    }
}
