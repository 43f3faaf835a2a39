//! `pinscope serve`: the emulator as a process.
//!
//! Once it listens it prints exactly one line, `listening on http://ADDR` (the real port),
//! to stdout, so scripts and tests can wait for it; the request log goes to stderr. It
//! stops on Ctrl-C or SIGTERM, after writing the data file, with the exit status 128 + the
//! signal's number (130 or 143), as a shell expects of a process a signal ended.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::exit;
use crate::api::sign::Secret;
use crate::emulator::{EmulatorConfig, Faults, start};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port. Loopback only unless --allow-remote.
    #[arg(long, default_value = "127.0.0.1:7700", value_name = "ADDR")]
    pub addr: SocketAddr,

    /// A tracker and its private key, as ID:KEY (repeatable; the first one receives
    /// --load). The key shows in the process list: prefer --tracker-file on shared machines.
    #[arg(long = "tracker", value_name = "ID:KEY", value_parser = secret_arg)]
    pub trackers: Vec<Secret>,

    /// A file of trackers, one ID:KEY a line (blank lines and lines starting with # are
    /// skipped). Read after --tracker.
    #[arg(long, value_name = "FILE")]
    pub tracker_file: Option<PathBuf>,

    /// Keep the customizations in this file (written atomically) and reload them on start.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,

    /// Load customizations from an NDJSON file in export format into the first tracker;
    /// `id` and `created_at` in a line are kept (repeatable).
    #[arg(long = "load", value_name = "FILE.ndjson")]
    pub load: Vec<PathBuf>,

    /// Inject faults, e.g. `429=0.04,500=0.03,503=0.03,drop=0.03,delay-ms=0..200`.
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<Faults>,

    /// Seed of the fault sequence, so that a run repeats exactly.
    #[arg(long, value_name = "N")]
    pub fault_seed: Option<u64>,

    /// Close a connection that has had no request in flight for this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = crate::emulator::DEFAULT_IDLE_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,

    /// Connections served at once; at the cap a new one closes the one idle the longest.
    #[arg(long, value_name = "N", default_value_t = crate::emulator::DEFAULT_MAX_CONNECTIONS, value_parser = parse_max_connections)]
    pub max_connections: usize,

    /// Allow listening on an address that is not loopback.
    #[arg(long)]
    pub allow_remote: bool,

    /// Do not log requests to stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Takes `ID:KEY` as it is, so that clap never echoes a key in an error; it is checked in
/// [`parse_tracker`].
fn secret_arg(s: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(s))
}

fn parse_max_connections(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("expected a number of connections, at least 1".into()),
    }
}

/// Splits `ID:KEY`; the error never contains the key.
pub fn parse_tracker(raw: &str) -> Result<(String, Secret), String> {
    let Some((id, key)) = raw.split_once(':') else {
        return Err("a tracker must be given as ID:KEY (no ':' found)".into());
    };
    let id = id.trim();
    if id.is_empty() {
        return Err("a tracker must be given as ID:KEY (the ID is empty)".into());
    }
    if key.is_empty() {
        return Err(format!("tracker {id}: the key is empty"));
    }
    Ok((id.to_string(), Secret::new(key)))
}

fn read_tracker_file(path: &Path) -> Result<Vec<(String, Secret)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(parse_tracker(line).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?);
    }
    Ok(out)
}

fn config(args: &ServeArgs) -> Result<EmulatorConfig, String> {
    let mut trackers = Vec::new();
    for raw in &args.trackers {
        trackers.push(parse_tracker(raw.expose()).map_err(|e| format!("--tracker: {e}"))?);
    }
    if let Some(path) = &args.tracker_file {
        trackers.extend(read_tracker_file(path)?);
    }
    if trackers.is_empty() {
        return Err("give at least one tracker: --tracker ID:KEY (or --tracker-file FILE)".into());
    }
    if !args.addr.ip().is_loopback() && !args.allow_remote {
        return Err(format!(
            "refusing to listen on {}, which is not loopback: anyone who can reach it could \
             use the emulator; pass --allow-remote to do it anyway",
            args.addr
        ));
    }
    let mut cfg = EmulatorConfig::new(args.addr, trackers);
    cfg.data = args.data.clone();
    cfg.load = args.load.clone();
    cfg.faults = args.faults.unwrap_or_default();
    cfg.fault_seed = args.fault_seed;
    cfg.log_requests = !args.quiet;
    cfg.idle_timeout = std::time::Duration::from_secs(args.idle_timeout);
    cfg.max_connections = args.max_connections;
    Ok(cfg)
}

/// SIGINT and SIGTERM, listened for from the moment this is made: a script that stops the
/// server right after reading the `listening on` line must not kill it before its data is
/// written.
struct StopSignal {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl StopSignal {
    fn install() -> StopSignal {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signals = match (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) {
                (Ok(int), Ok(term)) => Some((int, term)),
                _ => None,
            };
            StopSignal { signals }
        }
        #[cfg(not(unix))]
        {
            StopSignal {}
        }
    }

    /// Waits for SIGINT or SIGTERM and returns its number.
    async fn wait(self) -> u8 {
        #[cfg(unix)]
        if let Some((mut int, mut term)) = self.signals {
            return tokio::select! {
                _ = int.recv() => 2,
                _ = term.recv() => 15,
            };
        }
        let _ = tokio::signal::ctrl_c().await;
        2
    }
}

pub fn run(args: ServeArgs) -> ExitCode {
    let cfg = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pinscope serve: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pinscope serve: cannot start the runtime: {e}");
            return ExitCode::from(exit::API);
        }
    };
    runtime.block_on(async move {
        let ids: Vec<String> = cfg.trackers.iter().map(|(id, _)| id.clone()).collect();
        let faults = cfg.faults;
        let data = cfg.data.clone();
        let running = match start(cfg).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("pinscope serve: {e}");
                return ExitCode::from(exit::API);
            }
        };
        let stop = StopSignal::install();
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "listening on {}", running.url());
            let _ = out.flush();
        }
        let mut about = format!("pinscope serve: trackers {}", ids.join(", "));
        for id in &ids {
            if let Some(n) = running.count(id) {
                about.push_str(&format!("; {id}: {n} customizations"));
            }
        }
        if !faults.is_none() {
            about.push_str(&format!("; faults {faults}"));
        }
        if let Some(d) = &data {
            about.push_str(&format!("; data {}", d.display()));
        }
        eprintln!("{about}");
        let signal = stop.wait().await;
        eprintln!("pinscope serve: stopping");
        match running.stop().await {
            // Stopped cleanly, data written: the exit status says which signal stopped it
            // (128 + its number), as a shell expects of a process ended by a signal.
            Ok(()) => ExitCode::from(128 + signal),
            Err(e) => {
                eprintln!("pinscope serve: {e}");
                ExitCode::from(exit::API)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_args() {
        let (id, key) = parse_tracker("1234-5678:your:key").expect("valid");
        assert_eq!(id, "1234-5678");
        assert_eq!(key.expose(), "your:key");
        for (raw, want) in [
            ("hunter2", "no ':'"),
            (":hunter2", "ID is empty"),
            ("1234-5678:", "key is empty"),
        ] {
            let e = parse_tracker(raw).expect_err(raw);
            assert!(e.contains(want), "{raw}: {e}");
            assert!(!e.contains("hunter2"), "{e}");
        }
    }
}
