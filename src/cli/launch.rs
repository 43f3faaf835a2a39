//! The terminal UI as a process: `pinscope` with no subcommand, and `pinscope demo`. The
//! TUI itself (`crate::tui`) knows nothing of processes or exit codes; this turns how it ended
//! into an exit code and a message on stderr, once the terminal is restored.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{GlobalArgs, exit, finish as finish_cli, warn};
use crate::config::{Choice, Session};
use crate::mirror::{Mirror, Scope};
use crate::tui::demo::DemoOptions;
use crate::tui::{self, Exit, ExitReason, Launch};

/// `pinscope demo`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DemoArgs {
    /// Open the demo as a read-only profile (writes are refused).
    #[arg(long)]
    pub read_only: bool,
    /// Panic in a background task once the UI is up, to check that the terminal is
    /// restored (used by the tests).
    #[arg(long, hide = true)]
    pub crash_after_start: bool,
}

/// A current-thread runtime: one thread is plenty for a UI and the worker, and it keeps
/// start-up fast and memory small.
fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start: {e}");
            ExitCode::from(exit::USAGE)
        })
}

/// Turns how the TUI ended into an exit code, printing any message (the terminal is
/// already restored).
fn finish(result: Result<Exit, String>) -> ExitCode {
    match result {
        Ok(Exit {
            reason: ExitReason::Quit | ExitReason::Terminated | ExitReason::InputClosed,
            message,
        }) => {
            // Notes the screens left for after the end (how to resume an import, say).
            if let Some(m) = message {
                eprintln!("{m}");
            }
            ExitCode::SUCCESS
        }
        // The shell's convention: 128 + the signal's number (130 for SIGINT).
        Ok(Exit {
            reason: ExitReason::Signal(n),
            message,
        }) => {
            if let Some(m) = message {
                eprintln!("{m}");
            }
            ExitCode::from(u8::try_from(128 + n.clamp(0, 127)).unwrap_or(u8::MAX))
        }
        Ok(Exit { message, .. }) => {
            if let Some(m) = message {
                eprintln!("error: {}", crate::api::text::strip_controls(&m));
            }
            ExitCode::from(exit::API)
        }
        Err(e) => {
            eprintln!("error: {}", crate::api::text::strip_controls(&e));
            ExitCode::from(exit::USAGE)
        }
    }
}

/// The tracker's mirror in the data dir; trouble with it is said on stderr and the TUI
/// runs without it (search and where off).
fn open_mirror(session: &Session) -> Option<Mirror> {
    let path = crate::mirror::default_path()?;
    let scope = Scope::new(
        session.client.host.clone(),
        session.client.tracker_id.clone(),
    );
    match Mirror::open(&path, &scope) {
        Ok(m) => Some(m),
        Err(e) => {
            warn(&format!("{e}; search and where are off"));
            None
        }
    }
}

/// `pinscope` with a session: the TUI on browse, its writes recorded in the history (kept
/// `keep_days`), its mirror synced when older than `max_age`. `config` is the config file
/// named on the command line, if any; `warnings` are shown in the UI and printed after it.
fn launch(
    session: Session,
    keep_days: u32,
    max_age: std::time::Duration,
    config: Option<PathBuf>,
    warnings: Vec<String>,
) -> ExitCode {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let mirror = open_mirror(&session).map(|m| (m, max_age));
    let recording = tui::open_recording(&session, keep_days);
    let launch = Launch {
        session,
        recent_file: tui::recent::LOOKUPS.default_path(),
        tz: tui::system_time_zone(),
        mirror,
        recording,
        config,
        warnings,
    };
    finish(rt.block_on(tui::browse(launch)))
}

/// `pinscope` with no subcommand: the TUI on the chosen profile (`--profile`, else the
/// config's default), or the first-run screen when there is no config. This is the one
/// place the TUI's config is read.
pub fn launch_default(g: &GlobalArgs) -> ExitCode {
    // Warnings are not printed before the UI: the alternate screen would hide them.
    let cfg = match crate::config::load_default(g.config.as_deref()) {
        Ok(cfg) => cfg,
        Err(e) => return finish_cli(Err(e.into())),
    };
    let choice = g.choice();
    if cfg.is_first_run() && choice == Choice::default() {
        for w in &cfg.warnings {
            warn(w);
        }
        let rt = match runtime() {
            Ok(rt) => rt,
            Err(code) => return code,
        };
        return finish(rt.block_on(tui::first_run(cfg.path.display().to_string())));
    }
    match cfg.session(&choice) {
        Ok(resolved) => {
            let mut warnings = cfg.warnings.clone();
            warnings.extend(resolved.warnings.iter().cloned());
            for w in &warnings {
                tracing::warn!("{w}");
            }
            launch(
                resolved.session,
                cfg.history_keep_days,
                cfg.mirror.max_age,
                g.config.clone(),
                warnings,
            )
        }
        Err(e) => finish_cli(Err(e.into())),
    }
}

/// `pinscope demo`: runs until the user quits. The config is read only for its `[keys]`; a
/// config that cannot be read is reported and the default keys are used.
pub fn demo(g: &GlobalArgs, args: DemoArgs) -> ExitCode {
    let keys = match g.load_config() {
        Ok(cfg) => cfg.keys,
        Err(f) => {
            warn(&format!("{}; the demo uses the default keys", f.message));
            Default::default()
        }
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let options = DemoOptions {
        read_only: args.read_only,
        crash_after_start: args.crash_after_start,
    };
    finish(rt.block_on(tui::demo::run(options, keys)))
}
