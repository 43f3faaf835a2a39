//! Shared set-up: an emulator, clients, input files, and the expected result of sending
//! the lines one by one in file order.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pinscope::api::model::{ConflictStrategy, Customization};
use pinscope::api::{Client, ClientConfig, ExportQuery, RetryPolicy, Secret};
use pinscope::emulator::{EmulatorConfig, Faults, Running, start};
use pinscope::import::{
    self, CancelToken, Event, ImportOptions, ImportResult, Outcome, Plan, Progress, Source,
};
use serde_json::{Value, json};

pub const TRACKER: &str = "1234-5678";
pub const KEY: &str = "import-test-key";
pub const OTHER_TRACKER: &str = "8765-4321";
pub const OTHER_KEY: &str = "import-test-key-2";

pub fn config(preload: Vec<Value>) -> EmulatorConfig {
    let mut cfg = EmulatorConfig::new(
        "127.0.0.1:0".parse().expect("address"),
        vec![
            (TRACKER.to_string(), Secret::new(KEY)),
            (OTHER_TRACKER.to_string(), Secret::new(OTHER_KEY)),
        ],
    );
    cfg.preload = preload.into_iter().map(cust).collect();
    cfg
}

pub async fn emulator(preload: Vec<Value>) -> Running {
    start(config(preload)).await.expect("emulator starts")
}

pub async fn emulator_with_faults(preload: Vec<Value>, faults: &str, seed: u64) -> Running {
    let mut cfg = config(preload);
    cfg.faults = faults.parse::<Faults>().expect("fault spec");
    cfg.fault_seed = Some(seed);
    start(cfg).await.expect("emulator starts")
}

/// Quick retries, so faults cost little time.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 12,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(100),
    }
}

pub fn client_for(url: &str, tracker: &str, key: &str) -> Client {
    Client::new(ClientConfig::new(url, tracker, Secret::new(key)))
        .expect("client")
        .with_retry(fast_retry())
}

pub fn client(r: &Running) -> Client {
    client_for(&r.url(), TRACKER, KEY)
}

pub fn other_client(r: &Running) -> Client {
    client_for(&r.url(), OTHER_TRACKER, OTHER_KEY)
}

pub fn cust(v: Value) -> Customization {
    Customization::from_value(v).expect("an object")
}

/// A valid item customization whose pin names `version`.
pub fn item(model: &str, identity: &str, version: &str) -> Value {
    json!({
        "model": model,
        "target_type": "item",
        "target_identity": identity,
        "pin_definitions": [{"position": 1, "pin_type": "item", "pin_identity": format!("/p/{version}")}]
    })
}

pub fn criteria(model: &str, crit: Value, version: &str) -> Value {
    json!({
        "model": model,
        "target_type": "criteria",
        "target_criteria": crit,
        "pin_definitions": [{"position": 2, "pin_type": "item", "pin_identity": format!("/c/{version}")}]
    })
}

pub fn all(model: &str, version: &str) -> Value {
    json!({
        "model": model,
        "target_type": "all",
        "pin_definitions": [{"position": -1, "pin_type": "item", "pin_identity": format!("/a/{version}")}]
    })
}

/// Writes `text` to `dir/name`.
pub fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write input");
    p
}

/// NDJSON of `lines` (each written as given).
pub fn ndjson(lines: &[String]) -> String {
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

pub fn scan(path: &Path) -> Plan {
    import::scan(
        Source::Path(path.to_path_buf()),
        &Progress::none(),
        &CancelToken::new(),
    )
    .expect("scan")
}

pub fn opts(strategy: ConflictStrategy, chunk_size: usize) -> ImportOptions {
    ImportOptions {
        strategy,
        chunk_size,
        concurrency: 3,
        retry: fast_retry(),
        ..ImportOptions::default()
    }
}

/// Collects events (and can react to them) for a run.
#[derive(Clone, Default)]
pub struct Events(pub Arc<Mutex<Vec<Event>>>);

impl Events {
    pub fn progress(&self) -> Progress {
        let sink = self.0.clone();
        Progress::new(move |e| sink.lock().expect("lock").push(e))
    }

    pub fn all(&self) -> Vec<Event> {
        self.0.lock().expect("lock").clone()
    }
}

pub async fn run(plan: &Plan, client: &Client, opts: &ImportOptions) -> ImportResult {
    import::run_import(plan, client, opts, &Progress::none(), &CancelToken::new())
        .await
        .expect("run")
}

/// What the tracker holds: conflict key (as text) -> the definitions stored under it
/// (server fields removed), and their ids.
pub async fn state(c: &Client) -> BTreeMap<String, Vec<(String, Value)>> {
    let rows = c.export(&ExportQuery::default()).await.expect("export");
    let mut out: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
    for r in rows {
        let key = r.conflict_key().expect("stored rows have keys").to_string();
        let id = r.id().expect("stored rows have ids").to_string();
        out.entry(key)
            .or_default()
            .push((id, r.without_server_fields().into_value()));
    }
    out
}

/// The expectation for a file: each non-blank line's outcome, and the final definition per
/// target, computed the plain way (one line at a time, in file order) from the preloaded
/// set. Duplicate lines follow the engine's documented rule: raise and ignore send the first,
/// override the last; the others are rejected (raise) or skipped.
pub struct Expected {
    pub outcomes: BTreeMap<u64, Outcome>,
    pub state: BTreeMap<String, Value>,
}

pub fn expected(text: &[u8], preload: &[Value], strategy: ConflictStrategy) -> Expected {
    let mut state: BTreeMap<String, Value> = BTreeMap::new();
    for p in preload {
        let c = cust(p.clone());
        state.insert(
            c.conflict_key().expect("key").to_string(),
            c.without_server_fields().into_value(),
        );
    }
    let before: std::collections::HashSet<String> = state.keys().cloned().collect();
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    // (line, key, value) of valid lines.
    let mut valid: Vec<(u64, String, Value)> = Vec::new();
    let mut outcomes = BTreeMap::new();
    for (i, raw) in text.split(|b| *b == b'\n').enumerate() {
        let line = i as u64 + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
            continue;
        }
        let v: Option<Value> = std::str::from_utf8(raw)
            .ok()
            .and_then(|s| serde_json::from_str(s).ok());
        match v {
            Some(v) if pinscope::api::validate::validate(&v).is_empty() => {
                let c = cust(v.clone());
                valid.push((line, c.conflict_key().expect("key").to_string(), v));
            }
            _ => {
                outcomes.insert(line, Outcome::Rejected);
            }
        }
    }
    let mut last: HashMap<&str, u64> = HashMap::new();
    for (line, key, _) in &valid {
        last.insert(key, *line);
    }
    let mut seen: std::collections::HashSet<String> = Default::default();
    for (line, key, v) in &valid {
        let first = seen.insert(key.clone());
        let stored = before.contains(key);
        let o = match strategy {
            ConflictStrategy::Raise if !first || stored => Outcome::Rejected,
            ConflictStrategy::Ignore if !first || stored => Outcome::Skipped,
            ConflictStrategy::Override if last[key.as_str()] != *line => Outcome::Skipped,
            ConflictStrategy::Override if stored => Outcome::Replaced,
            _ => Outcome::Created,
        };
        if matches!(o, Outcome::Created | Outcome::Replaced) {
            state.insert(
                key.clone(),
                cust(v.clone()).without_server_fields().into_value(),
            );
        }
        outcomes.insert(*line, o);
    }
    Expected { outcomes, state }
}

/// Every non-blank line's outcome from a run.
pub fn outcomes_of(r: &ImportResult, lines: u64) -> BTreeMap<u64, Outcome> {
    (1..=lines)
        .filter_map(|l| r.outcomes.outcome(l).map(|o| (l, o)))
        .collect()
}

/// Asserts the tracker holds exactly `want`, one customization per target.
pub async fn assert_state(c: &Client, want: &BTreeMap<String, Value>) {
    let got = state(c).await;
    for (k, rows) in &got {
        assert_eq!(rows.len(), 1, "target {k} is stored {} times", rows.len());
    }
    let got: BTreeMap<String, Value> = got
        .into_iter()
        .map(|(k, mut rows)| (k, rows.remove(0).1))
        .collect();
    assert_eq!(got.len(), want.len(), "number of stored customizations");
    for (k, v) in want {
        assert_eq!(got.get(k), Some(v), "target {k}");
    }
}

/// Ids per target, for checking that override keeps them.
pub async fn ids(c: &Client) -> BTreeMap<String, String> {
    state(c)
        .await
        .into_iter()
        .map(|(k, rows)| (k, rows[0].0.clone()))
        .collect()
}
