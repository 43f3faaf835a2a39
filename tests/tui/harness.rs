//! Helpers: an app with fixed time, zone and size; answering its requests by hand; drawing
//! it to text; and running the real loop on a `TestBackend` with keys from a channel.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use pinscope::api::{ApiError, Client, ClientConfig, RetryPolicy, Secret, StatusError};
use pinscope::tui::app::{App, AppOptions, Effect, Exit, TuiOptions, run_tui};
use pinscope::tui::keys::Keymap;
use pinscope::tui::msg::{ApiEvent, ApiReply, ApiRequest, CallInfo, Msg, ReqId};
use pinscope::tui::screens::{ProfileInfo, Screen};
use pinscope::tui::worker;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use tokio::sync::mpsc;

/// The instant every snapshot is taken at.
pub const NOW: &str = "2025-06-15T10:00:00Z";

pub fn now() -> Timestamp {
    NOW.parse().expect("timestamp")
}

pub fn tz() -> TimeZone {
    TimeZone::get("Europe/Prague").expect("zone")
}

pub fn profile() -> ProfileInfo {
    ProfileInfo {
        label: "demo".into(),
        color: None,
        production: false,
        read_only: false,
        tracker: "demo".into(),
        host: "http://127.0.0.1:7700".into(),
        session_args: "--profile demo".into(),
    }
}

pub fn options(width: u16, height: u16) -> AppOptions {
    AppOptions {
        profile: profile(),
        keymap: Keymap::default(),
        tz: tz(),
        recent: Vec::new(),
        now: now(),
        size: (width, height),
    }
}

/// An app of this size with `root` open, and the effects of opening it.
pub fn app_with(opts: AppOptions, root: impl Screen + 'static) -> (App, Vec<Effect>) {
    let mut app = App::new(opts);
    app.open(root);
    let effects = app.take_effects();
    (app, effects)
}

/// The requests among `effects`.
pub fn requests(effects: &[Effect]) -> Vec<(ReqId, ApiRequest)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(id, req) => Some((*id, req.clone())),
            _ => None,
        })
        .collect()
}

/// An answer to `req`, as the worker would give it.
pub fn event(id: ReqId, req: &ApiRequest, result: Result<ApiReply, ApiError>) -> Msg {
    let status = match &result {
        Ok(_) => Some(req.success_status()),
        Err(e) => e.status(),
    };
    Msg::Api(Box::new(ApiEvent {
        id,
        call: CallInfo {
            method: req.method(),
            path: format!("/v1/recommender/pin/demo{}", req.sub_path()),
            status,
            latency: Duration::from_millis(12),
        },
        result,
    }))
}

/// Feeds `msgs`, returning every effect.
pub fn feed(app: &mut App, msgs: impl IntoIterator<Item = Msg>) -> Vec<Effect> {
    let mut out = Vec::new();
    for m in msgs {
        out.extend(app.update(m));
    }
    out
}

/// Answers every request in `effects` with `answer`, repeatedly, until no request is left
/// (answers may cause more requests). Returns the effects that were not requests.
pub fn answer_all(
    app: &mut App,
    mut effects: Vec<Effect>,
    mut answer: impl FnMut(&ApiRequest) -> Result<ApiReply, ApiError>,
) -> Vec<Effect> {
    let mut rest = Vec::new();
    for _ in 0..1000 {
        let reqs = requests(&effects);
        rest.extend(
            effects
                .into_iter()
                .filter(|e| !matches!(e, Effect::Send(..))),
        );
        if reqs.is_empty() {
            return rest;
        }
        effects = Vec::new();
        for (id, req) in reqs {
            let r = answer(&req);
            effects.extend(app.update(event(id, &req, r)));
        }
    }
    panic!("requests never stop");
}

pub fn not_found(path: &str) -> ApiError {
    ApiError::Status(Box::new(StatusError {
        status: 404,
        method: "GET".into(),
        path: path.into(),
        reason: "Customization not found".into(),
        details: Default::default(),
        retry_after: None,
        server_date: None,
        string_to_sign: None,
        non_json_body: None,
    }))
}

pub fn connect_error() -> ApiError {
    ApiError::Connect {
        url: "http://127.0.0.1:7700".into(),
        message: "connection refused".into(),
    }
}

/// The buffer as text: one line per row, trailing blanks cut.
pub fn buffer_text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..area.width {
            let cell = &buf[(x, y)];
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = cell.symbol();
            line.push_str(sym);
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Draws the app as text at its size.
pub fn draw(app: &App) -> String {
    let size = app.env().size;
    let mut terminal =
        Terminal::new(TestBackend::new(size.width, size.height)).expect("test terminal");
    let frame = terminal.draw(|f| app.render(f)).expect("draw");
    buffer_text(frame.buffer)
}

pub fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub fn typed(text: &str) -> Vec<Msg> {
    text.chars().map(key).collect()
}

/// A client for a server at `url` with tracker `demo`, retrying nothing (tests want to see
/// failures at once).
pub fn client(url: &str, key: &str) -> Client {
    let mut cfg = ClientConfig::new(url, "demo", Secret::new(key));
    cfg.retry = RetryPolicy::NONE;
    cfg.connect_timeout = Duration::from_secs(2);
    cfg.request_timeout = Duration::from_secs(10);
    Client::new(cfg).expect("client")
}

/// The emulator on a free port, holding `preload` for tracker `demo` under `key`, and a
/// client of it.
pub async fn start_emulator(
    key: &str,
    preload: Vec<pinscope::api::Customization>,
) -> (pinscope::emulator::Running, Client) {
    let mut cfg = pinscope::emulator::EmulatorConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        vec![("demo".to_string(), Secret::new(key))],
    );
    cfg.preload = preload;
    let running = pinscope::emulator::start(cfg)
        .await
        .expect("emulator starts");
    let client = client(&running.url(), key);
    (running, client)
}

/// A generated tracker of `n` customizations (`seed`) with `planted` inserted at `at`.
pub fn tracker_with(
    n: u64,
    seed: u64,
    at: usize,
    planted: serde_json::Value,
) -> Vec<pinscope::api::Customization> {
    let mut rows: Vec<serde_json::Value> = pinscope::mirror::generate::tracker(n, seed).collect();
    rows.insert(at, planted);
    rows.into_iter()
        .map(|v| pinscope::api::Customization::from_value(v).expect("object"))
        .collect()
}

/// The real loop, running on a `TestBackend` in a task; keys go in through a channel, the
/// latest frame comes out as text.
pub struct Running {
    pub input: mpsc::UnboundedSender<Msg>,
    pub screen: Arc<Mutex<String>>,
    pub copied: Arc<Mutex<Vec<String>>>,
    pub task: tokio::task::JoinHandle<(Exit, App)>,
}

impl Running {
    pub fn start(client: Client, opts: AppOptions, root: impl Screen + 'static) -> Running {
        Running::start_with(client, opts, root, None)
    }

    pub fn start_with(
        client: Client,
        opts: AppOptions,
        root: impl Screen + 'static,
        recent_file: Option<std::path::PathBuf>,
    ) -> Running {
        Running::start_full(client, opts, root, recent_file, None, None)
    }

    /// With a local mirror: synced on start when older than `max_age`, as `pinscope` does.
    pub fn start_with_mirror(
        client: Client,
        opts: AppOptions,
        root: impl Screen + 'static,
        mirror: pinscope::mirror::Mirror,
        max_age: Duration,
    ) -> Running {
        Running::start_full(client, opts, root, None, Some((mirror, max_age)), None)
    }

    /// With a local mirror (synced on start) and a history in memory that records every
    /// write the TUI makes, as `pinscope` does.
    pub fn start_recording(
        client: Client,
        opts: AppOptions,
        root: impl Screen + 'static,
        mirror: pinscope::mirror::Mirror,
    ) -> Running {
        let scope = mirror.scope().clone();
        let history = pinscope::mirror::history::History::in_memory(&scope).expect("history");
        let recording = worker::Recording {
            history: Arc::new(history),
            origin: pinscope::mirror::history::Origin {
                profile: "demo".into(),
                host: scope.host.clone(),
                tracker: scope.tracker.clone(),
            },
        };
        Running::start_full(
            client,
            opts,
            root,
            None,
            Some((mirror, Duration::from_secs(300))),
            Some(recording),
        )
    }

    fn start_full(
        client: Client,
        opts: AppOptions,
        root: impl Screen + 'static,
        recent_file: Option<std::path::PathBuf>,
        mirror: Option<(pinscope::mirror::Mirror, Duration)>,
        recording: Option<worker::Recording>,
    ) -> Running {
        let (tx, rx) = mpsc::unbounded_channel::<Msg>();
        let screen = Arc::new(Mutex::new(String::new()));
        let copied = Arc::new(Mutex::new(Vec::new()));
        let (w, h) = opts.size;
        let mut app = App::new(opts);
        let status = mirror
            .as_ref()
            .map(|(m, max_age)| pinscope::tui::screens::MirrorStatus {
                synced_at: m.synced_at().expect("synced_at"),
                max_age: *max_age,
                syncing: None,
                progress: None,
            });
        app.set_mirror(status);
        app.open(root);
        if app
            .env()
            .mirror
            .as_ref()
            .is_some_and(|m| m.is_stale(Timestamp::now()))
        {
            app.sync_mirror();
        }
        let worker = worker::spawn_full(client, mirror.map(|(m, _)| m), recording);
        let frames = screen.clone();
        let clip = copied.clone();
        let task = tokio::spawn(async move {
            let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
            let input = Box::pin(futures::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|m| (m, rx))
            }));
            let exit = run_tui(
                &mut terminal,
                &mut app,
                input,
                worker,
                TuiOptions {
                    clock: Arc::new(Timestamp::now),
                    clipboard: Box::new(move |t| clip.lock().expect("lock").push(t.to_string())),
                    on_frame: Some(Box::new(move |buf| {
                        *frames.lock().expect("lock") = buffer_text(buf);
                    })),
                    recent_file,
                    external_editor: None,
                },
            )
            .await
            .expect("run");
            (exit, app)
        });
        Running {
            input: tx,
            screen,
            copied,
            task,
        }
    }

    pub fn send(&self, msg: Msg) {
        self.input.send(msg).expect("the loop is running");
    }

    pub fn send_all(&self, msgs: impl IntoIterator<Item = Msg>) {
        for m in msgs {
            self.send(m);
        }
    }

    pub fn text(&self) -> String {
        self.screen.lock().expect("lock").clone()
    }

    /// Waits until the screen shows `needle`; panics with the screen after 15 s.
    pub async fn wait_for(&self, needle: &str) -> String {
        self.wait_until(needle, |s| s.contains(needle)).await
    }

    /// Waits until the screen no longer shows `needle`.
    pub async fn wait_gone(&self, needle: &str) -> String {
        self.wait_until(&format!("not {needle}"), |s| !s.contains(needle))
            .await
    }

    pub async fn wait_until(&self, what: &str, f: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let s = self.text();
            if f(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; the screen shows:\n{s}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for the loop to end.
    pub async fn finish(self) -> (Exit, App) {
        tokio::time::timeout(Duration::from_secs(15), self.task)
            .await
            .expect("the loop ends")
            .expect("the loop did not panic")
    }
}

/// The customization of the vendor's docs.
pub fn docs_customization() -> pinscope::api::Customization {
    serde_json::from_value(serde_json::json!({
        "id": "199620b4-df1a-46e8-ab59-9e9ed9af7106",
        "model": "basket",
        "target_type": "item",
        "target_identity": "/p/123",
        "target_metadata": {"title": "Fender Telecaster", "image_link": "https://doe.com/123.jpg"},
        "tags": ["guitars"],
        "pin_definitions": [
            {"position": 1, "pin_type": "item", "pin_identity": "/p/555",
             "active_from": "2025-02-01T00:00:00Z"}
        ],
        "created_at": "2025-01-22T08:49:58Z",
        "creator": "api",
        "available": true
    }))
    .expect("customization")
}

/// `n` deterministic customizations over three models and all target types, with pins
/// active, scheduled and expired at [`NOW`].
pub fn sample(n: usize) -> Vec<pinscope::api::Customization> {
    let models = ["basket", "home", "product_detail"];
    let items = [
        "Gibson Les Paul",
        "Yamaha P-45",
        "Shure SM58",
        "Roland TD-07",
        "Boss DS-1",
    ];
    (0..n)
        .map(|i| {
            let mut v = serde_json::json!({
                "id": format!("00000000-0000-4000-8000-{:012x}", i + 1),
                "model": models[i % 3],
                "tags": if i % 2 == 0 { vec!["summer"] } else { vec!["clearance", "drums"] },
                "created_at": format!("2025-05-{:02}T09:00:00Z", 28 - (i % 28)),
                "creator": "api",
            });
            let pins = serde_json::json!([
                {"position": 1, "pin_type": "item", "pin_identity": format!("/p/{}", 1000 + i)},
                {"position": 2, "pin_type": "item", "pin_identity": format!("/p/{}", 2000 + i),
                 "active_from": "2025-07-01T00:00:00Z"},
                {"position": 0, "pin_type": "criteria", "pin_criteria": {"brand": "Behringer"},
                 "active_to": "2025-06-01T00:00:00Z"}
            ]);
            let pins = match i % 4 {
                0 => pins,
                1 => serde_json::json!([pins[1].clone()]),
                2 => serde_json::json!([pins[0].clone(), pins[2].clone()]),
                _ => serde_json::json!([]),
            };
            v["pin_definitions"] = pins;
            match i % 5 {
                3 => {
                    v["target_type"] = "criteria".into();
                    v["target_criteria"] = serde_json::json!({"category": "Drums"});
                }
                4 => v["target_type"] = "all".into(),
                _ => {
                    v["target_type"] = "item".into();
                    v["target_identity"] = format!("/p/{}", 100 + i).into();
                    v["target_metadata"] = serde_json::json!({"title": items[i % items.len()]});
                }
            }
            serde_json::from_value(v).expect("customization")
        })
        .collect()
}

/// Answers like a server holding `data` (no filtering beyond offset/limit; a summary of
/// the models and tags in it; get by id; delete).
pub fn serve(
    data: &[pinscope::api::Customization],
) -> impl FnMut(&ApiRequest) -> Result<ApiReply, ApiError> + '_ {
    move |req| match req {
        ApiRequest::List(q) => {
            let offset = q.offset.unwrap_or(0) as usize;
            let limit = q.limit.unwrap_or(10) as usize;
            Ok(ApiReply::Page(pinscope::api::Page {
                total: data.len() as u64,
                results: data.iter().skip(offset).take(limit).cloned().collect(),
            }))
        }
        ApiRequest::Summary => {
            let mut s = pinscope::api::Summary::default();
            for c in data {
                let m = c.model().unwrap_or("").to_string();
                let n = s.scope_counts.get(&m).and_then(|v| v.as_u64()).unwrap_or(0);
                s.scope_counts.insert(m, (n + 1).into());
                for t in c.tags() {
                    if !s.user_tags.iter().any(|x| x == t) {
                        s.user_tags.push(t.to_string());
                    }
                }
            }
            Ok(ApiReply::Summary(s))
        }
        ApiRequest::Get(id) => data
            .iter()
            .find(|c| c.id() == Some(id))
            .cloned()
            .map(ApiReply::Customization)
            .ok_or_else(|| not_found(&format!("/v1/recommender/pin/demo/scope/{id}"))),
        ApiRequest::Delete(id) => Ok(ApiReply::Deleted(id.clone())),
        // What the export calls for the filters would return (models and tags honoured).
        ApiRequest::MatchingIds { query, .. } => Ok(ApiReply::Ids({
            let ids: Vec<String> = data
                .iter()
                .filter(|c| {
                    query.models.is_empty()
                        || c.model()
                            .is_some_and(|m| query.models.iter().any(|x| x == m))
                })
                .filter(|c| {
                    query.tags.is_empty() || c.tags().any(|t| query.tags.iter().any(|x| x == t))
                })
                .filter_map(|c| c.id().map(str::to_string))
                .collect();
            let mut s = pinscope::tui::screens::browse::Selection::default();
            s.extend(ids.iter().map(String::as_str));
            s
        })),
        ApiRequest::Tracker => Ok(ApiReply::Tracker(pinscope::tui::msg::Shared::new(
            data.to_vec(),
        ))),
        other => panic!("unexpected request {other:?}"),
    }
}
