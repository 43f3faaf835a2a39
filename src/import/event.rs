//! What the engine tells its driver while it works, and how the driver stops it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use crate::api::validate::Violation;

/// Progress of an import, in the order it happens. A screen or a progress bar consumes these;
/// none of them is needed to get the result.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The validation pass read this far. Sent every 64k lines or so.
    Validating {
        lines: u64,
        bytes: u64,
        /// The input's size when known (a file, not stdin).
        total_bytes: Option<u64>,
        lines_per_sec: f64,
    },
    /// A line that cannot be sent. `text` is the start of the line (lossy UTF-8, at most
    /// [`crate::import::TEXT_PREVIEW_CHARS`] characters).
    Invalid {
        line: u64,
        text: String,
        reasons: Vec<Violation>,
    },
    /// Valid lines that share one target (ascending line numbers). Sent once per group,
    /// after the whole input is read, before [`Event::Validated`]; which of them is sent
    /// depends on the strategy (see [`crate::import`]).
    Duplicate { lines: Vec<u64> },
    /// The validation pass is over.
    Validated(crate::import::PlanCounts),
    /// How the engine learns which targets are already stored (see [`ExistingMode`]).
    CheckingTargets { mode: ExistingMode, stored: u64 },
    /// Listing the stored targets before anything is sent: `read` of `total` so far (sent
    /// per page of 1000, so a long listing does not look frozen).
    ListingStored { read: u64, total: u64 },
    /// Sending starts: `lines` to send in `chunks` requests; `already_done` lines were settled
    /// by an earlier run (resume).
    Sending {
        lines: u64,
        chunks: usize,
        already_done: u64,
    },
    /// A chunk's request goes out (`attempt` counts from 1).
    ChunkSent {
        chunk: usize,
        first_line: u64,
        last_line: u64,
        lines: usize,
        attempt: u32,
    },
    /// A request failed and is tried again after `delay`.
    Retry {
        chunk: usize,
        attempt: u32,
        delay: Duration,
        error: String,
    },
    /// A chunk is settled (or given up): its outcome counts, and the totals so far.
    ChunkDone {
        chunk: usize,
        counts: crate::import::Counts,
        lines_done: u64,
        lines_total: u64,
        lines_per_sec: f64,
        eta: Option<Duration>,
    },
    /// The run stopped early: cancelled, or a failure no retry can fix.
    Stopping { reason: String },
    /// The report file is written.
    ReportWritten { path: std::path::PathBuf },
}

/// How existing targets are found, chosen per run from the tracker's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExistingMode {
    /// The tracker stores nothing for the file's models: no look-ups at all.
    Empty,
    /// Every stored target of the file's models was listed once, before sending.
    Snapshot,
    /// Each chunk's targets are looked up just before it is sent.
    PerChunk,
}

impl ExistingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ExistingMode::Empty => "empty",
            ExistingMode::Snapshot => "snapshot",
            ExistingMode::PerChunk => "per-chunk",
        }
    }
}

/// Where events go. Cheap to clone; `Progress::none()` drops them.
#[derive(Clone)]
pub struct Progress(Option<Arc<dyn Fn(Event) + Send + Sync>>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

impl Progress {
    pub fn none() -> Self {
        Progress(None)
    }

    pub fn new(f: impl Fn(Event) + Send + Sync + 'static) -> Self {
        Progress(Some(Arc::new(f)))
    }

    /// Events into an unbounded channel (a screen's event loop reads the receiver).
    pub fn channel() -> (Self, tokio::sync::mpsc::UnboundedReceiver<Event>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (
            Progress::new(move |e| {
                // A closed receiver means nobody watches any more; the import goes on.
                let _ = tx.send(e);
            }),
            rx,
        )
    }

    pub fn emit(&self, e: Event) {
        if let Some(f) = &self.0 {
            f(e);
        }
    }

    /// Whether anyone listens (so costly events can be skipped).
    pub fn is_active(&self) -> bool {
        self.0.is_some()
    }
}

/// Asks a running import to stop: no new request starts, the ones in flight finish and are
/// recorded in the journal, and everything not sent ends `not_sent`.
#[derive(Clone, Debug, Default)]
pub struct CancelToken {
    inner: Arc<CancelInner>,
}

#[derive(Debug, Default)]
struct CancelInner {
    flag: AtomicBool,
    notify: Notify,
}

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.inner.flag.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.flag.load(Ordering::SeqCst)
    }

    /// Resolves once [`cancel`](Self::cancel) was called.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.inner.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }

    /// Sleeps for `d`; `false` when cancelled first.
    pub async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => !self.is_cancelled(),
            _ = self.cancelled() => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cancel_wakes_a_sleeper() {
        let t = CancelToken::new();
        let t2 = t.clone();
        let h = tokio::spawn(async move { t2.sleep(Duration::from_secs(30)).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        t.cancel();
        let finished = tokio::time::timeout(Duration::from_secs(5), h)
            .await
            .expect("woke")
            .expect("joined");
        assert!(!finished);
        assert!(t.is_cancelled());
        assert!(!t.sleep(Duration::from_secs(30)).await);
    }

    #[tokio::test]
    async fn uncancelled_sleep_completes() {
        assert!(CancelToken::new().sleep(Duration::from_millis(1)).await);
    }

    #[test]
    fn channel_progress_delivers() {
        let (p, mut rx) = Progress::channel();
        p.emit(Event::Stopping { reason: "x".into() });
        assert_eq!(
            rx.try_recv().expect("event"),
            Event::Stopping { reason: "x".into() }
        );
        Progress::none().emit(Event::Stopping { reason: "y".into() });
    }
}
