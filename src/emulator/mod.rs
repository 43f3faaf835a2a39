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
use std::sync::atomic::{AtomicU64, Ordering};
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
fn build_app(cfg: &EmulatorConfig) -> Result<App, EmulatorError> {
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
        let mut loaded: HashMap<String, Vec<store::Prepared>> = HashMap::new();
        for row in rows {
            match trackers.get(&row.tracker) {
                Some(_) => {
                    let p = store::Prepared::from_stored(row.scope).map_err(|v| {
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
        for (i, c) in cfg.preload.iter().enumerate() {
            let p =
                store::Prepared::from_stored(c.0.clone()).map_err(|v| EmulatorError::Preload {
                    index: i,
                    message: crate::api::validate::describe(&v),
                })?;
            ps.push(p);
        }
        added = !ps.is_empty();
        s.insert_all(ps, now);
    }
    let persist = cfg.data.as_ref().map(|path| Persist {
        path: path.clone(),
        version: AtomicU64::new(u64::from(added)),
        written: tokio::sync::Mutex::new(0),
        dirty: Notify::new(),
        dormant,
    });
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
pub async fn start(cfg: EmulatorConfig) -> Result<Running, EmulatorError> {
    let app = Arc::new(build_app(&cfg)?);
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
    let task = tokio::spawn(serve(listener, app.clone(), router, stopped));
    Ok(Running {
        addr,
        app,
        stop: Some(stop),
        task: Some(task),
    })
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
    loop {
        if stopping(&stop) {
            break;
        }
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    conns.spawn(connection(stream, router.clone(), stop.clone()));
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

/// Serves one connection; a `drop` fault ends it at once, with no answer.
async fn connection(stream: TcpStream, router: axum::Router, mut stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let cutoff = Arc::new(Notify::new());
    let svc = {
        let cutoff = cutoff.clone();
        hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(routes::Cutoff(cutoff.clone()));
            let mut router = router.clone();
            async move {
                tower_service::Service::call(&mut router, req.map(axum::body::Body::new)).await
            }
        })
    };
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
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = cutoff.notified() => return,
            _ = stop.changed(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}
