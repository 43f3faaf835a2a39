//! The command line: parsing, and the subcommands that need no terminal UI.
//!
//! stdout carries data, stderr carries words for people. Exit codes are in [`exit`].
//!
//! A subcommand is a variant of [`Command`] and one arm in [`run`]; it takes the
//! [`GlobalArgs`] and returns an [`Outcome`]. [`Target::open`] picks the profile,
//! [`Target::refuse_writes`] stops a write on a read-only profile, and [`Target::connect`]
//! resolves the key and builds the client.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::api::client::Deadline;
use crate::api::text::strip_controls;
use crate::api::{ApiError, Client};
use crate::config::{self, Choice, Config, ConfigError, Selected, Session};

pub mod batch;
pub mod body;
pub mod commands;
pub mod config_cmd;
pub mod health;
pub mod import;
pub mod launch;
pub mod logging;
pub mod mirror_cmd;
pub mod output;
pub mod serve;

/// Exit codes shared by every subcommand.
pub mod exit {
    pub const OK: u8 = 0;
    /// The service or the network failed.
    pub const API: u8 = 1;
    /// The command line or the config is wrong.
    pub const USAGE: u8 = 2;
    /// The input failed local validation; nothing was sent.
    pub const INVALID: u8 = 3;
    /// Partly done (import).
    pub const PARTIAL: u8 = 4;
    /// A question was answered no: nothing was done.
    pub const DECLINED: u8 = 5;
}

#[derive(Debug, Parser)]
#[command(
    name = "pinscope",
    version,
    about = "Luigi's Box pin scopes from the terminal",
    long_about = "Luigi's Box pin scopes from the terminal.\n\n\
        Without a subcommand, opens the terminal UI on the default profile. The subcommands \
        print data (JSON, or NDJSON one customization a line) on stdout and messages on \
        stderr.\n\n\
        Exit codes: 0 ok, 1 API or network error, 2 usage or config error, 3 the input \
        failed local validation (nothing was sent), 4 partly done, 5 a question was answered \
        no (nothing was done)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every subcommand takes, before or after its name.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// The config file [default: the platform config dir, e.g. ~/.config/pinscope/config.toml]
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "PINSCOPE_CONFIG",
        hide_env_values = true
    )]
    pub config: Option<PathBuf>,
    /// The profile to use [default: default_profile in the config]
    #[arg(
        long,
        short = 'p',
        global = true,
        value_name = "NAME",
        env = "PINSCOPE_PROFILE",
        hide_env_values = true
    )]
    pub profile: Option<String>,
    /// The service's host; with --tracker-id and no profile, an ad hoc session whose key is
    /// in PINSCOPE_PRIVATE_KEY
    #[arg(long, global = true, value_name = "URL")]
    pub host: Option<String>,
    /// The tracker (site) id; without --profile, an ad hoc session
    #[arg(long, global = true, value_name = "ID")]
    pub tracker_id: Option<String>,
    /// Where to write the log [default: pinscope.log in the data dir]
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// The command's overall time limit: no request starts and no retry waits past it.
    /// Seconds, or with a unit: 90s, 10m, 2h [default: timeout_secs in the config, 300;
    /// import, copy, export and sync: bulk_timeout_secs, 21600]
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,
}

/// `90` (seconds), or a duration as the config writes one (`90s`, `10m`, `1h 30m`): more
/// than zero.
fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = match s.trim().parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => config::parse_duration(s)?,
    };
    if d.is_zero() {
        return Err("must be more than 0".into());
    }
    Ok(d)
}

impl GlobalArgs {
    /// What the options ask for.
    /// An empty `--profile` (often an empty `PINSCOPE_PROFILE`) means none; an empty
    /// `--host` or `--tracker-id` is kept, so that it is refused rather than replaced by a
    /// default.
    pub fn choice(&self) -> Choice {
        let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
        Choice {
            profile: nonempty(&self.profile),
            host: self.host.clone(),
            tracker_id: self.tracker_id.clone(),
        }
    }

    /// Loads the config (`--config`, `PINSCOPE_CONFIG` or the platform path) and prints its
    /// warnings on stderr.
    pub fn load_config(&self) -> Result<Config, Failure> {
        let cfg = config::load_default(self.config.as_deref())?;
        for w in &cfg.warnings {
            warn(w);
        }
        Ok(cfg)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print one customization as JSON
    Get(commands::GetArgs),
    /// List customizations, one JSON object a line (NDJSON)
    List(commands::ListArgs),
    /// Create a customization from a JSON file (or stdin) and print it with its id
    Create(commands::CreateArgs),
    /// Replace a customization's whole definition with a JSON file (or stdin)
    Update(commands::UpdateArgs),
    /// Delete a customization
    Delete(commands::DeleteArgs),
    /// Print the counts per model and the tags in use, as JSON
    Summary,
    /// Export customizations as NDJSON, one a line
    Export(commands::ExportArgs),
    /// Check an NDJSON file against the API's rules as `import` would, offline
    Validate(body::ValidateArgs),
    /// Print every pin that starts or ends in a window (default: the next 7 days), one
    /// event a line (NDJSON), in time order
    Agenda(health::AgendaArgs),
    /// Check the whole tracker against the health rules; NDJSON findings, exit 3 when one is
    /// at or above --fail-on
    Lint(health::LintArgs),
    /// Print a shell completion script
    Completions(commands::CompletionsArgs),
    /// Print the man page (roff), e.g. `pinscope man > ~/.local/share/man/man1/pinscope.1`
    Man,
    /// Show or check the config
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
    /// Run the local emulator of the customizations API.
    Serve(serve::ServeArgs),
    /// Import an NDJSON file of customizations: validated first, sent in chunks, every line
    /// accounted for
    Import(import::ImportArgs),
    /// Copy customizations from one profile's tracker into another's
    Copy(import::CopyArgs),
    /// Change many customizations at once: plan first (--dry-run prints it), then apply
    Batch(batch::BatchArgs),
    /// The history of writes, newest first, one operation a line (NDJSON)
    History(batch::HistoryArgs),
    /// Undo a recorded operation (see `pinscope history`)
    Undo(batch::UndoArgs),
    /// Open the terminal UI on a built-in emulator with a sample shop (no account needed).
    Demo(launch::DemoArgs),
    /// Refresh the local mirror of the tracker (one export, swapped in whole)
    Sync(mirror_cmd::SyncArgs),
    /// Search the whole tracker in the mirror; NDJSON of customizations, best first
    Search(mirror_cmd::SearchArgs),
    /// Every pin of an item across the tracker, from the mirror; NDJSON, one pin a line
    Where(mirror_cmd::WhereArgs),
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The emulator logs requests to stderr itself, and the demo keeps its promise to write
    // nothing but recent lookups: both write a log file only when asked, so running them
    // (in tests too) never touches the user's data dir.
    let quiet = matches!(cli.command, Some(Command::Serve(_) | Command::Demo(_)));
    if (!quiet || cli.global.log_file.is_some())
        && let Err(f) = logging::init(cli.global.log_file.as_deref())
    {
        return finish(Err(f));
    }
    if !matches!(cli.command, Some(Command::Serve(_))) {
        tighten_data_dirs();
    }
    run(cli)
}

/// Directories an earlier version created 0755 are made private (0700): the imports and
/// drafts folders of the data dir, and the platform's data dir itself. A data dir named by
/// `PINSCOPE_DATA_DIR` is the user's choice and is left as it is.
fn tighten_data_dirs() {
    let Some(dir) = config::data_dir() else {
        return;
    };
    let mut dirs = vec![dir.join("imports"), dir.join("drafts")];
    if std::env::var_os(config::DATA_DIR_ENV).is_none() {
        dirs.push(dir);
    }
    for d in dirs {
        match crate::files::tighten_dir(&d) {
            Ok(true) => tracing::info!(dir = %d.display(), "made private (0700)"),
            Ok(false) => {}
            Err(e) => tracing::warn!(dir = %d.display(), error = %e, "cannot make private"),
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let g = &cli.global;
    let result = match cli.command {
        Some(Command::Serve(args)) => return serve::run(args),
        Some(Command::Get(a)) => commands::get(g, a),
        Some(Command::List(a)) => commands::list(g, a),
        Some(Command::Create(a)) => commands::create(g, a),
        Some(Command::Update(a)) => commands::update(g, a),
        Some(Command::Delete(a)) => commands::delete(g, a),
        Some(Command::Summary) => commands::summary(g),
        Some(Command::Export(a)) => commands::export(g, a),
        Some(Command::Validate(a)) => body::validate_cmd(a),
        Some(Command::Agenda(a)) => health::agenda(g, a),
        Some(Command::Lint(a)) => health::lint(g, a),
        Some(Command::Completions(a)) => commands::completions(a),
        Some(Command::Man) => man(),
        Some(Command::Config(c)) => config_cmd::run(g, c),
        Some(Command::Import(a)) => import::import(g, a),
        Some(Command::Copy(a)) => import::copy(g, a),
        Some(Command::Batch(a)) => batch::batch(g, a),
        Some(Command::History(a)) => batch::history(g, a),
        Some(Command::Undo(a)) => batch::undo(g, a),
        Some(Command::Demo(a)) => return launch::demo(g, a),
        Some(Command::Sync(a)) => mirror_cmd::sync(g, a),
        Some(Command::Search(a)) => mirror_cmd::search(g, a),
        Some(Command::Where(a)) => mirror_cmd::where_cmd(g, a),
        None => return launch::launch_default(g),
    };
    finish(result)
}

/// `pinscope man`: the man page of the whole command line, from the same definition as
/// `--help`, so the two never disagree.
fn man() -> Outcome {
    use clap::CommandFactory;
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| Failure::new(exit::API, format!("cannot render the man page: {e}")))?;
    output::print_bytes(&page)
}

/// Why a command stopped, and the exit code to stop with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: u8,
    /// Printed after `error: `; empty when everything was already said.
    pub message: String,
}

/// What a subcommand returns.
pub type Outcome = Result<(), Failure>;

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// A wrong command line or config (exit 2).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(exit::USAGE, message)
    }

    /// The input failed local validation; nothing was sent (exit 3).
    pub fn invalid(message: impl Into<String>) -> Failure {
        Failure::new(exit::INVALID, message)
    }

    /// Stop with `code` and say nothing more.
    pub fn quiet(code: u8) -> Failure {
        Failure::new(code, "")
    }

    /// An API or network error (exit 1), explained: details one a line, a 401's causes.
    /// A client that could not be set up (bad host) is a config error (exit 2).
    pub fn api(e: &ApiError) -> Failure {
        let code = match e {
            ApiError::Config(_) => exit::USAGE,
            _ => exit::API,
        };
        Failure::new(code, e.explain())
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Failure {
        Failure::usage(e.to_string())
    }
}

/// Prints the failure (if any) on stderr, logs it, and turns it into the exit code.
pub fn finish(result: Outcome) -> ExitCode {
    match result {
        Ok(()) => {
            tracing::info!("done");
            ExitCode::from(exit::OK)
        }
        Err(f) => {
            if !f.message.is_empty() {
                tracing::warn!(code = f.code, error = %f.message, "failed");
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "error: {}", strip_controls(&f.message));
            } else {
                tracing::info!(code = f.code, "stopped");
            }
            ExitCode::from(f.code)
        }
    }
}

/// A warning for people, on stderr (and in the log).
pub fn warn(message: &str) {
    tracing::warn!("{message}");
    let _ = writeln!(
        std::io::stderr().lock(),
        "warning: {}",
        strip_controls(message)
    );
}

/// A note for people, on stderr (and in the log). Every message for people passes
/// [`strip_controls`] on its way to stderr, whatever server text it quotes.
pub fn note(message: &str) {
    tracing::info!("{message}");
    let _ = writeln!(std::io::stderr().lock(), "{}", strip_controls(message));
}

/// Whether a person is at the keyboard: stdin and stderr are terminals.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Runs a future to completion on a runtime of its own.
pub fn block_on<F: Future>(f: F) -> Result<F::Output, Failure> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(exit::API, format!("cannot start the async runtime: {e}")))?;
    Ok(rt.block_on(f))
}

/// A few words for a retry note: `503 Service Unavailable`, `cannot connect to URL`.
pub fn short_error(e: &ApiError) -> String {
    match e {
        ApiError::Status(s) => format!("{} {}", s.status, s.reason),
        ApiError::Connect { url, .. } => format!("cannot connect to {url}"),
        ApiError::Timeout { after, .. } => format!("no answer in {}s", after.as_secs_f32()),
        ApiError::Network { .. } => "the connection broke".to_string(),
        other => other.to_string(),
    }
}

/// The profile a command runs against, before its key is resolved.
#[derive(Debug)]
pub struct Target {
    pub config: Config,
    pub selected: Selected,
    /// `--timeout`, when given.
    pub timeout: Option<Duration>,
}

/// A session with its client.
#[derive(Debug)]
pub struct Connection {
    pub session: Session,
    pub client: Client,
    /// The time limit of work that moves a whole tracker (see [`Connection::bulk_client`]).
    pub bulk_limit: Duration,
}

impl Connection {
    /// Starts the time limit again, `limit` from now: after a question, so that time spent
    /// answering it does not count.
    pub fn restart_clock(&mut self, limit: Duration) {
        self.client = self.client.clone().with_deadline(Deadline::after(limit));
    }

    /// The client with the bulk time limit starting now: for an export or a sync of the
    /// whole tracker, which may take longer than an ordinary command.
    pub fn bulk_client(&self) -> Client {
        self.client
            .clone()
            .with_deadline(Deadline::after(self.bulk_limit))
    }
}

impl Target {
    /// Loads the config and picks the profile the options ask for.
    pub fn open(g: &GlobalArgs) -> Result<Target, Failure> {
        let config = g.load_config()?;
        let selected = config.select(&g.choice())?;
        tracing::info!(
            profile = %selected.profile.name,
            host = %selected.profile.host,
            tracker = %selected.profile.tracker_id,
            "profile chosen"
        );
        Ok(Target {
            config,
            selected,
            timeout: g.timeout,
        })
    }

    /// Picks the profile `name` of a loaded config (for commands that take profiles by
    /// name, such as a copy between two trackers: the config is loaded, and its warnings
    /// printed, once).
    pub fn open_profile(g: &GlobalArgs, config: &Config, name: &str) -> Result<Target, Failure> {
        let config = config.clone();
        let selected = config.select(&Choice {
            profile: Some(name.to_string()),
            ..Choice::default()
        })?;
        Ok(Target {
            config,
            selected,
            timeout: g.timeout,
        })
    }

    /// Refuses `action` (`create`, `delete`...) on a read-only profile (exit 2).
    pub fn refuse_writes(&self, action: &str) -> Outcome {
        if self.selected.profile.read_only {
            return Err(Failure::usage(format!(
                "profile {:?} is read-only: refusing to {action}",
                self.selected.profile.name
            )));
        }
        Ok(())
    }

    /// The overall time limit of an ordinary command.
    pub fn time_limit(&self) -> Duration {
        self.timeout.unwrap_or(self.config.timeout)
    }

    /// The overall time limit of a command that moves a whole tracker (import, copy,
    /// export, sync).
    pub fn bulk_time_limit(&self) -> Duration {
        self.timeout.unwrap_or(self.config.bulk_timeout)
    }

    /// Where this profile's writes are recorded.
    pub fn origin(&self) -> crate::mirror::history::Origin {
        crate::mirror::history::Origin {
            profile: self.selected.profile.name.clone(),
            host: self.selected.profile.host.clone(),
            tracker: self.selected.profile.tracker_id.clone(),
        }
    }

    /// The history of this profile's tracker (in the mirror's database), pruned to
    /// `history.keep_days`.
    pub fn open_history(&self) -> Result<crate::mirror::history::History, Failure> {
        use crate::mirror::{Scope, default_path, history::History};
        let path = default_path().ok_or_else(|| {
            Failure::usage("no data dir for the history: set PINSCOPE_DATA_DIR".to_string())
        })?;
        let p = &self.selected.profile;
        let h = History::open(&path, &Scope::new(&p.host, &p.tracker_id))
            .map_err(|e| Failure::new(exit::API, e.to_string()))?;
        if let Err(e) = h.prune(self.config.history_keep_days, jiff::Timestamp::now()) {
            warn(&e.to_string());
        }
        Ok(h)
    }

    /// The history for recording a write: a history that cannot be opened is a warning,
    /// not a reason to refuse the write.
    pub fn history_for_writes(&self) -> Option<crate::mirror::history::History> {
        match self.open_history() {
            Ok(h) => Some(h),
            Err(f) => {
                warn(&format!(
                    "{}; this write will not be in the history",
                    f.message
                ));
                None
            }
        }
    }

    /// Where an import into this profile records what it creates and replaces.
    pub fn import_history(&self, summary: &str) -> Option<crate::import::ImportHistory> {
        self.history_for_writes()
            .map(|h| crate::import::ImportHistory {
                history: Arc::new(h),
                origin: self.origin(),
                summary: summary.to_string(),
            })
    }

    /// Records one single write (create, update or delete) in the history.
    pub fn record_write(
        &self,
        kind: crate::mirror::history::OpKind,
        id: &str,
        before: Option<&crate::api::Customization>,
        after: Option<&crate::api::Customization>,
    ) {
        let Some(h) = self.history_for_writes() else {
            return;
        };
        let summary = format!("{} {id}", kind.as_str());
        if let Err(e) = h.record_all(
            &self.origin(),
            kind,
            &summary,
            jiff::Timestamp::now(),
            &[(id, before, after)],
        ) {
            warn(&format!("{e}; this write is not in the history"));
        }
    }

    /// Resolves the key and builds a client whose retries are noted on stderr, with the
    /// command's time limit starting now.
    pub fn connect(&self) -> Result<Connection, Failure> {
        let resolved = self.selected.resolve()?;
        for w in &resolved.warnings {
            warn(w);
        }
        tracing::info!(key_source = %resolved.key_source, "key resolved");
        let max = resolved.session.client.retry.max_retries;
        let client = Client::new(resolved.session.client.clone())
            .map_err(|e| Failure::api(&e))?
            .with_retry_hook(Arc::new(move |attempt, delay, err| {
                note(&format!(
                    "note: {}; retrying in {:.1}s (retry {attempt} of {max})",
                    short_error(err),
                    delay.as_secs_f32()
                ));
            }))
            .with_deadline(Deadline::after(self.time_limit()));
        Ok(Connection {
            session: resolved.session,
            client,
            bulk_limit: self.bulk_time_limit(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_go_before_or_after_the_subcommand() {
        let a = Cli::try_parse_from(["pinscope", "--profile", "x", "get", "id"]).expect("parse");
        let b = Cli::try_parse_from(["pinscope", "get", "id", "--profile", "x"]).expect("parse");
        assert_eq!(a.global.profile.as_deref(), Some("x"));
        assert_eq!(b.global.profile.as_deref(), Some("x"));
        let c = Cli::try_parse_from([
            "pinscope",
            "list",
            "--host",
            "http://127.0.0.1:1",
            "--tracker-id",
            "t",
        ])
        .expect("parse");
        assert_eq!(
            c.global.choice(),
            Choice {
                profile: None,
                host: Some("http://127.0.0.1:1".into()),
                tracker_id: Some("t".into()),
            }
        );
    }

    #[test]
    fn failures_map_to_exit_codes() {
        let e = ApiError::Connect {
            url: "u".into(),
            message: "refused".into(),
        };
        assert_eq!(Failure::api(&e).code, exit::API);
        assert_eq!(
            Failure::api(&ApiError::Config("bad host".into())).code,
            exit::USAGE
        );
        assert_eq!(
            Failure::from(ConfigError::Usage("x".into())).code,
            exit::USAGE
        );
    }
}
