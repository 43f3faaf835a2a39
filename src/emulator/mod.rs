//! A faithful local emulator of the customizations API (`pinscope serve`).
//!
//! It speaks the contract of `shared/API.md`, decisions included: every request is signed
//! and checked, the store is in memory (optionally persisted to a file), and faults can be
//! injected so that clients can prove they lose nothing.
//!
//! Where the contract leaves room, the emulator decides:
//! - auth: a missing or malformed header, an unparsable `Date`, more than 5 s of skew, a
//!   tracker in the header that is not the one in the path, or a wrong signature is a 401
//!   whose `reason` says which; a tracker the emulator does not serve is a 404;
//! - a body that is not JSON, or not an object, is a 400 (`exception_details.body`); a
//!   list or export parameter that is wrong is a 422 naming it;
//! - bulk lines are numbered from 1 over the whole body, blank lines included (they are
//!   skipped, not renumbered), so a number points at the line of the file that was sent;
//!   an empty body creates nothing and answers 200; a line that is valid and holds no
//!   server-set field is stored as sent (same text), anything else is serialized again;
//! - `override` replaces every stored customization with the line's conflict key (single
//!   creates may have left several), each keeping its id, `created_at` and `creator`;
//! - list: ties in the sort are broken by `id` in the same direction; several `criteria`
//!   elements match a customization that matches any of them;
//! - export lists oldest first (`created_at`, then `id`); see [`store::Store::export_json`]
//!   for `remove_nonexisting_item_pins`;
//! - faults come before everything else, the signature check included.
//!
//! ```no_run
//! # async fn demo() -> Result<(), pinscope::emulator::EmulatorError> {
//! use pinscope::api::Secret;
//! use pinscope::emulator::{EmulatorConfig, start};
//!
//! let cfg = EmulatorConfig::new(
//!     "127.0.0.1:0".parse().expect("address"),
//!     vec![("1234-5678".to_string(), Secret::new("your_private_api_key"))],
//! );
//! let running = start(cfg).await?;
//! println!("{}", running.url());
//! running.shutdown().await;
//! # Ok(())
//! # }
//! ```

pub mod faults;
pub mod persist;
mod routes;
pub mod store;

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::api::model::Customization;
use crate::api::sign::Secret;

pub use faults::{Fault, FaultSpecError, Faults};
pub use routes::{DEFAULT_LIMIT, MAX_BULK_LINES, MAX_LIMIT, MAX_SKEW};
pub use store::Store;

/// How long changes wait before the data file is rewritten, so that a burst of requests
/// costs one write.
pub const WRITE_DEBOUNCE: Duration = Duration::from_millis(200);

/// How long a shutdown waits for requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection with no request in flight is closed after this long.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections served at once. At the cap, a new connection closes the one idle the
/// longest; when none is idle, the new one is closed at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// What to run.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free port (see [`Running::addr`]).
    pub addr: SocketAddr,
    /// The trackers served and their private keys. The first one receives `load` and
    /// `preload`.
    pub trackers: Vec<(String, Secret)>,
    /// Persist to this file (atomically, rewritten shortly after each change and on
    /// shutdown) and reload it on start.
    pub data: Option<PathBuf>,
    /// NDJSON files in export format, loaded into the FIRST tracker on start. `id`,
    /// `created_at` and `creator` in a line are kept; a line whose id is already stored
    /// (from `data`, or an earlier line) replaces that customization. An invalid line is
    /// an error naming the file and the line.
    pub load: Vec<PathBuf>,
    /// Customizations stored in the FIRST tracker on start, after `load`, treated like
    /// loaded lines (`id`, `created_at` and `creator` kept when present).
    pub preload: Vec<Customization>,
    /// Faults to inject (none by default).
    pub faults: Faults,
    /// Seed of the fault sequence, for runs that repeat exactly.
    pub fault_seed: Option<u64>,
    /// Log one line per request (method, path, status, latency) to stderr.
    pub log_requests: bool,
    /// A connection with no request in flight (none started, or the last one answered)
    /// is closed after this long: idle and half-sent requests cannot hold a slot.
    pub idle_timeout: Duration,
    /// Connections served at once (see [`DEFAULT_MAX_CONNECTIONS`]).
    pub max_connections: usize,
}

impl EmulatorConfig {
    /// No data file, nothing loaded, no faults, no request log.
    pub fn new(addr: SocketAddr, trackers: Vec<(String, Secret)>) -> Self {
        EmulatorConfig {
            addr,
            trackers,
            data: None,
            load: Vec::new(),
            preload: Vec::new(),
            faults: Faults::none(),
            fault_seed: None,
            log_requests: false,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Why the emulator could not start (or save).
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("{0}")]
    Config(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    File {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write the data file {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("preloaded customization {index}: {message}")]
    Preload { index: usize, message: String },
    /// Another emulator serves the same data file.
    #[error("{0}: two emulators on one data file would lose each other's changes")]
    Locked(#[from] crate::files::LockError),
}

pub(crate) struct Tracker {
    pub key: Secret,
    pub store: RwLock<Store>,
}

struct Persist {
    path: PathBuf,
    /// Bumped on every change.
    version: AtomicU64,
    /// The version last written; the lock also keeps two writes apart.
    written: tokio::sync::Mutex<u64>,
    dirty: Notify,
    /// Rows of trackers in the data file that are not served now, kept so they survive.
    dormant: Vec<(String, Vec<store::StoredText>)>,
    /// Held while the emulator lives: a second one on this file is refused.
    _lock: crate::files::Lock,
}

pub(crate) struct App {
    pub trackers: HashMap<String, Tracker>,
    /// Tracker ids in the order given.
    order: Vec<String>,
    dice: Mutex<faults::FaultDice>,
    pub log_requests: bool,
    persist: Option<Persist>,
}

impl App {
    pub(crate) fn roll(&self) -> (Fault, Duration) {
        self.dice
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .roll()
    }

    /// Records that the stores changed, for the data file.
    pub(crate) fn changed(&self) {
        if let Some(p) = &self.persist {
            p.version.fetch_add(1, Ordering::SeqCst);
            p.dirty.notify_one();
        }
    }

    fn snapshot(&self) -> Vec<(String, Vec<store::StoredText>)> {
        let mut out = Vec::with_capacity(self.order.len());
        for id in &self.order {
            if let Some(t) = self.trackers.get(id) {
                let s = t.store.read().unwrap_or_else(PoisonError::into_inner);
                out.push((id.clone(), s.rows().map(store::Row::stored_text).collect()));
            }
        }
        if let Some(p) = &self.persist {
            out.extend(p.dormant.iter().cloned());
        }
        out
    }

    /// Writes the data file if anything changed since the last write.
    async fn flush(&self) -> Result<(), EmulatorError> {
        let Some(p) = &self.persist else {
            return Ok(());
        };
        let mut written = p.written.lock().await;
        let version = p.version.load(Ordering::SeqCst);
        if version == *written {
            return Ok(());
        }
        let snapshot = self.snapshot();
        let path = p.path.clone();
        let result = tokio::task::spawn_blocking(move || persist::write_data(&path, &snapshot))
            .await
            .unwrap_or_else(|e| Err(io::Error::other(e.to_string())));
        result.map_err(|source| EmulatorError::Write {
            path: p.path.clone(),
            source,
        })?;
        *written = version;
        Ok(())
    }
}

/// A running emulator. Dropping it stops the server (without waiting); [`Running::shutdown`]
/// stops it, waits for requests in flight and writes the data file.
pub struct Running {
    /// The address it listens on (the real port when 0 was asked for).
    pub addr: SocketAddr,
    app: Arc<App>,
    stop: Option<watch::Sender<bool>>,
    task: Option<tokio::task::JoinHandle<Result<(), EmulatorError>>>,
    /// Connections open now.
    live: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// `http://ADDR`, the host for a client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish, writes the data file.
    pub async fn shutdown(self) {
        if let Err(e) = self.stop().await {
            eprintln!("pinscope serve: {e}");
        }
    }

    /// Like [`Running::shutdown`], returning the error of the last write of the data file.
    pub async fn stop(mut self) -> Result<(), EmulatorError> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(true);
        }
        match self.task.take() {
            Some(t) => t
                .await
                .unwrap_or_else(|e| Err(EmulatorError::Config(format!("server task: {e}")))),
            None => Ok(()),
        }
    }

    /// Writes the data file now if anything changed (a no-op without `data`).
    pub async fn flush(&self) -> Result<(), EmulatorError> {
        self.app.flush().await
    }

    /// Changes the faults injected from the next request on.
    pub fn set_faults(&self, faults: Faults) {
        self.app
            .dice
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .set_faults(faults);
    }

    pub fn faults(&self) -> Faults {
        self.app
            .dice
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .faults()
    }

    /// Connections open now.
    pub fn connections(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// How many customizations a tracker holds (`None` for a tracker not served).
    pub fn count(&self, tracker: &str) -> Option<usize> {
        self.app
            .trackers
            .get(tracker)
            .map(|t| t.store.read().unwrap_or_else(PoisonError::into_inner).len())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(true);
        }
    }
}

fn check_tracker_id(id: &str) -> Result<(), EmulatorError> {
    if id.is_empty() || id.chars().any(|c| c.is_whitespace() || "/?#%:".contains(c)) {
        return Err(EmulatorError::Config(format!(
            "invalid tracker id {id:?}: it must be non-empty, without spaces or any of / ? # % :"
        )));
    }
    Ok(())
}

/// Builds the stores: data file, then `load`, then `preload`.
fn build_app(cfg: &EmulatorConfig, preload: Vec<Customization>) -> Result<App, EmulatorError> {
    // Before the file is read: what another emulator is about to write would be lost.
    let lock = match &cfg.data {
        Some(path) => Some(crate::files::Lock::try_take(path)?),
        None => None,
    };
    if cfg.trackers.is_empty() {
        return Err(EmulatorError::Config(
            "at least one tracker (ID and key) is needed".into(),
        ));
    }
    let mut trackers = HashMap::new();
    let mut order = Vec::new();
    for (id, key) in &cfg.trackers {
        check_tracker_id(id)?;
        if key.is_empty() {
            return Err(EmulatorError::Config(format!(
                "tracker {id}: the key is empty"
            )));
        }
        if trackers.contains_key(id) {
            return Err(EmulatorError::Config(format!(
                "tracker {id} is given twice"
            )));
        }
        trackers.insert(
            id.clone(),
            Tracker {
                key: key.clone(),
                store: RwLock::new(Store::new()),
            },
        );
        order.push(id.clone());
    }
    let now = store::now_seconds();
    let mut dormant: Vec<(String, Vec<store::StoredText>)> = Vec::new();
    if let Some(path) = &cfg.data
        && let Some(rows) = persist::read_data(path)?
    {
        // Each tracker's rows are stored together and ordered once.
        let mut loaded: HashMap<String, Vec<store::PreparedLine>> = HashMap::new();
        for row in rows {
            match trackers.get(&row.tracker) {
                Some(_) => {
                    let p = store::PreparedLine::from_stored(row.scope).map_err(|v| {
                        EmulatorError::File {
                            path: path.clone(),
                            line: row.line,
                            message: crate::api::validate::describe(&v),
                        }
                    })?;
                    loaded.entry(row.tracker).or_default().push(p);
                }
                None => {
                    let text =
                        store::StoredText::Whole(Arc::from(Value::Object(row.scope).to_string()));
                    match dormant.iter_mut().find(|(id, _)| *id == row.tracker) {
                        Some((_, rows)) => rows.push(text),
                        None => dormant.push((row.tracker, vec![text])),
                    }
                }
            }
        }
        for (id, ps) in loaded {
            if let Some(t) = trackers.get_mut(&id) {
                t.store
                    .get_mut()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert_all(ps, now);
            }
        }
    }
    let first = &order[0];
    let mut added = false;
    if let Some(t) = trackers.get_mut(first) {
        let s = t.store.get_mut().unwrap_or_else(PoisonError::into_inner);
        let mut ps = Vec::new();
        for path in &cfg.load {
            ps.extend(persist::read_ndjson(path)?);
        }
        // Taken, not copied: the demo's sample would otherwise be held twice while the
        // store is built.
        for (i, c) in preload.into_iter().enumerate() {
            let p = store::PreparedLine::from_stored(c.0).map_err(|v| EmulatorError::Preload {
                index: i,
                message: crate::api::validate::describe(&v),
            })?;
            ps.push(p);
        }
        added = !ps.is_empty();
        s.insert_all(ps, now);
    }
    let persist = match (&cfg.data, lock) {
        (Some(path), Some(lock)) => Some(Persist {
            path: path.clone(),
            version: AtomicU64::new(u64::from(added)),
            written: tokio::sync::Mutex::new(0),
            dirty: Notify::new(),
            dormant,
            _lock: lock,
        }),
        _ => None,
    };
    Ok(App {
        trackers,
        order,
        dice: Mutex::new(faults::FaultDice::new(cfg.faults, cfg.fault_seed)),
        log_requests: cfg.log_requests,
        persist,
    })
}

/// Starts the emulator: loads the data, binds, and serves in the background. Call it
/// inside a Tokio runtime, which then runs the server.
pub async fn start(mut cfg: EmulatorConfig) -> Result<Running, EmulatorError> {
    let preload = std::mem::take(&mut cfg.preload);
    let app = Arc::new(build_app(&cfg, preload)?);
    let listener = TcpListener::bind(cfg.addr)
        .await
        .map_err(|source| EmulatorError::Bind {
            addr: cfg.addr,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| EmulatorError::Bind {
            addr: cfg.addr,
            source,
        })?;
    let (stop, stopped) = watch::channel(false);
    let router = routes::router(app.clone());
    let limits = Limits {
        idle: cfg.idle_timeout.max(Duration::from_millis(1)),
        max: cfg.max_connections.max(1),
    };
    let live = Arc::new(AtomicUsize::new(0));
    let task = tokio::spawn(serve(
        listener,
        app.clone(),
        router,
        stopped,
        limits,
        live.clone(),
    ));
    Ok(Running {
        addr,
        app,
        stop: Some(stop),
        task: Some(task),
        live,
    })
}

/// How many connections, and how long one may idle.
#[derive(Debug, Clone, Copy)]
struct Limits {
    idle: Duration,
    max: usize,
}

/// What the accept loop knows of one connection.
struct ConnState {
    /// Requests being answered.
    in_flight: AtomicUsize,
    /// When the last request started or ended (or the connection opened).
    last_active: Mutex<tokio::time::Instant>,
    /// Close now (to make room for a new connection).
    evict: Notify,
    closed: std::sync::atomic::AtomicBool,
}

impl ConnState {
    fn new() -> ConnState {
        ConnState {
            in_flight: AtomicUsize::new(0),
            last_active: Mutex::new(tokio::time::Instant::now()),
            evict: Notify::new(),
            closed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn touch(&self) {
        *self
            .last_active
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = tokio::time::Instant::now();
    }

    fn last_active(&self) -> tokio::time::Instant {
        *self
            .last_active
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn idle(&self) -> bool {
        self.in_flight.load(Ordering::SeqCst) == 0
    }
}

/// Counts a request in flight for as long as it lives.
struct InFlight(Arc<ConnState>);

impl InFlight {
    fn start(s: Arc<ConnState>) -> InFlight {
        s.in_flight.fetch_add(1, Ordering::SeqCst);
        s.touch();
        InFlight(s)
    }
}

/// A response body that keeps its connection counted busy while it is sent.
struct Answering {
    inner: axum::body::Body,
    _busy: InFlight,
}

impl hyper::body::Body for Answering {
    type Data = <axum::body::Body as hyper::body::Body>::Data;
    type Error = <axum::body::Body as hyper::body::Body>::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Makes room for one more connection: `true` when there is room (perhaps after asking
/// the connection idle the longest to close), `false` when every one is busy.
fn make_room(conns: &mut Vec<Arc<ConnState>>, max: usize) -> bool {
    conns.retain(|c| !c.closed.load(Ordering::SeqCst));
    if conns.len() < max {
        return true;
    }
    let oldest = conns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.idle())
        .min_by_key(|(_, c)| c.last_active())
        .map(|(i, _)| i);
    match oldest {
        Some(i) => {
            let c = conns.swap_remove(i);
            c.evict.notify_one();
            true
        }
        None => false,
    }
}

/// Whether the stop signal was given (or its sender is gone).
fn stopping(rx: &watch::Receiver<bool>) -> bool {
    *rx.borrow() || rx.has_changed().is_err()
}

async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
    limits: Limits,
    live: Arc<AtomicUsize>,
) -> Result<(), EmulatorError> {
    let writer = app
        .persist
        .is_some()
        .then(|| tokio::spawn(writer(app.clone(), stop.clone())));
    if app
        .persist
        .as_ref()
        .is_some_and(|p| p.version.load(Ordering::SeqCst) > 0)
        && let Some(p) = &app.persist
    {
        p.dirty.notify_one();
    }
    let mut conns = JoinSet::new();
    let mut states: Vec<Arc<ConnState>> = Vec::new();
    loop {
        if stopping(&stop) {
            break;
        }
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    if !make_room(&mut states, limits.max) {
                        // Every slot is answering a request: this one waits its turn
                        // elsewhere rather than starve them.
                        if app.log_requests {
                            eprintln!(
                                "pinscope serve: {} connections busy; closed the one from {peer}",
                                limits.max
                            );
                        }
                        drop(stream);
                        continue;
                    }
                    let state = Arc::new(ConnState::new());
                    states.push(state.clone());
                    live.fetch_add(1, Ordering::SeqCst);
                    let live = live.clone();
                    let conn = connection(stream, router.clone(), stop.clone(), state, limits.idle);
                    conns.spawn(async move {
                        conn.await;
                        live.fetch_sub(1, Ordering::SeqCst);
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, keep serving.
                    if app.log_requests {
                        eprintln!("pinscope serve: accept failed: {e}");
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = stop.changed() => {}
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        conns.abort_all();
    }
    if let Some(w) = writer {
        let _ = w.await;
    }
    app.flush().await
}

/// Rewrites the data file a little after each burst of changes. The pause grows with the
/// time a write takes (twice it), so a big store under steady changes spends at most a
/// third of the time writing.
async fn writer(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let Some(p) = &app.persist else {
        return;
    };
    let mut pause = WRITE_DEBOUNCE;
    loop {
        tokio::select! {
            _ = p.dirty.notified() => {}
            _ = stop.changed() => return,
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => return,
        }
        let started = std::time::Instant::now();
        if let Err(e) = app.flush().await {
            eprintln!("pinscope serve: {e}");
        }
        pause = WRITE_DEBOUNCE.max(started.elapsed() * 2);
    }
}

/// Serves one connection; a `drop` fault ends it at once, with no answer. It is closed
/// when it has had no request in flight for `idle`, or when the accept loop needs its slot.
async fn connection(
    stream: TcpStream,
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
    state: Arc<ConnState>,
    idle: Duration,
) {
    let _ = stream.set_nodelay(true);
    let cutoff = Arc::new(Notify::new());
    let svc = {
        let cutoff = cutoff.clone();
        let state = state.clone();
        hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(routes::Cutoff(cutoff.clone()));
            let mut router = router.clone();
            let busy = InFlight::start(state.clone());
            async move {
                let answer =
                    tower_service::Service::call(&mut router, req.map(axum::body::Body::new)).await;
                // Busy until the answer's body is written (or dropped), not just built: a
                // long export is not idle while it is being sent.
                answer.map(|resp| resp.map(|inner| Answering { inner, _busy: busy }))
            }
        })
    };
    let _closed = Closed(state.clone());
    let conn = hyper::server::conn::http1::Builder::new()
        // No timer is set, so say there is no header timeout rather than have hyper
        // warn about it on every connection.
        .header_read_timeout(None)
        .serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(conn);
    let mut closing = false;
    if stopping(&stop) {
        conn.as_mut().graceful_shutdown();
        closing = true;
    }
    loop {
        let wake = if state.idle() {
            state.last_active() + idle
        } else {
            tokio::time::Instant::now() + idle
        };
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = cutoff.notified() => return,
            _ = state.evict.notified() => return,
            _ = tokio::time::sleep_until(wake) => {
                if state.idle() && state.last_active().elapsed() >= idle {
                    return;
                }
            }
            _ = stop.changed(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Marks a connection closed when its task ends, however it ends.
struct Closed(Arc<ConnState>);

impl Drop for Closed {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::SeqCst);
    }
}
