//! `pinscope config path|check|init|edit`.

use std::io::Write;
use std::path::Path;

use clap::Subcommand;

use super::output::print_lines;
use super::{Failure, GlobalArgs, Outcome, block_on, exit, note, warn};
use crate::api::{Client, RetryPolicy};
use crate::config::{self, ConfigError, Profile};

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the path of the config file in use (whether or not it exists)
    Path,
    /// Load the config, resolve each profile's key (without printing it) and say what is
    /// wrong; exit 2 on any problem
    Check(CheckArgs),
    /// Write a commented starter config to the config path (never over an existing file)
    Init,
    /// Open the config in $VISUAL or $EDITOR (writing the starter first if there is none),
    /// then check it; exit 2 if it still has problems
    Edit,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Also sign in to each profile's tracker (one summary request each); exit 1 when one
    /// fails and the config itself is fine
    #[arg(long)]
    pub online: bool,
}

pub fn run(g: &GlobalArgs, c: ConfigCommand) -> Outcome {
    match c {
        ConfigCommand::Path => path(g),
        ConfigCommand::Check(a) => check(g, a.online),
        ConfigCommand::Init => init(g),
        ConfigCommand::Edit => edit(g),
    }
}

/// Creates `path` holding the starter config; an existing file is left alone (`Ok(false)`).
/// The file is created with `create_new`, so one that appears meanwhile is not replaced
/// either, and readable by its owner only (it may come to hold a key).
fn write_starter(path: &Path) -> Result<bool, Failure> {
    let fail = |e: std::io::Error| Failure::usage(format!("cannot write {}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = match opts.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(fail(e)),
    };
    file.write_all(config::STARTER.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(fail)?;
    Ok(true)
}

fn init(g: &GlobalArgs) -> Outcome {
    let path = config::config_path(g.config.as_deref())?;
    if !write_starter(&path)? {
        return Err(Failure::usage(format!(
            "{} already exists; it was left as it is (change it with `pinscope config edit`)",
            path.display()
        )));
    }
    print_lines([path.display().to_string()])?;
    note("wrote a starter config: fill in a profile, then run `pinscope config check`");
    Ok(())
}

fn edit(g: &GlobalArgs) -> Outcome {
    let path = config::config_path(g.config.as_deref())?;
    if write_starter(&path)? {
        note(&format!(
            "{} did not exist: starting from the starter config",
            path.display()
        ));
    }
    let editor = crate::tui::external::editor_command();
    loop {
        crate::tui::external::run_editor(&editor, &path).map_err(Failure::usage)?;
        let problems = match config::load(&path) {
            Ok(cfg) => {
                for w in &cfg.warnings {
                    warn(w);
                }
                note(&format!("{}: ok", path.display()));
                return Ok(());
            }
            Err(ConfigError::Invalid(problems)) => problems,
            Err(e) => return Err(e.into()),
        };
        let mut err = std::io::stderr().lock();
        for p in &problems {
            let _ = writeln!(err, "error: {p}");
        }
        drop(err);
        if !super::interactive() || !ask_again()? {
            tracing::warn!(problems = problems.len(), "config edit left problems");
            return Err(Failure::quiet(exit::USAGE));
        }
    }
}

/// Asks whether to open the editor again; Enter means yes.
fn ask_again() -> Result<bool, Failure> {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "Edit again? [Y/n] ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Failure::usage(format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "" | "y" | "Y" | "yes"))
}

fn path(g: &GlobalArgs) -> Outcome {
    let p = config::config_path(g.config.as_deref())?;
    print_lines([p.display().to_string()])?;
    if !p.exists() {
        note("(no file there yet: defaults are in use; see config.example.toml)");
    }
    Ok(())
}

fn describe(p: &Profile) -> String {
    let mut s = format!("{}, tracker {}", p.host, p.tracker_id);
    if p.label != p.name {
        s.push_str(&format!(", label {:?}", p.label));
    }
    if p.production {
        s.push_str(", production");
    }
    if p.read_only {
        s.push_str(", read-only");
    }
    s
}

fn check(g: &GlobalArgs, online: bool) -> Outcome {
    let path = config::config_path(g.config.as_deref())?;
    let cfg = match config::load(&path) {
        Ok(c) => c,
        Err(ConfigError::Invalid(problems)) => {
            let mut err = std::io::stderr().lock();
            for p in &problems {
                let _ = writeln!(err, "error: {p}");
            }
            tracing::warn!(problems = problems.len(), "config check failed");
            return Err(Failure::quiet(exit::USAGE));
        }
        Err(e) => return Err(e.into()),
    };
    let mut lines = vec![if cfg.exists {
        format!("config: {}", path.display())
    } else {
        format!("config: {} (no file: defaults)", path.display())
    }];
    for w in &cfg.warnings {
        warn(w);
    }
    let mut problems = 0usize;
    let mut online_failures = 0usize;
    let choice = g.choice();
    let selected: Vec<_> = if choice != config::Choice::default() {
        vec![cfg.select(&choice)]
    } else if cfg.profiles.is_empty() {
        vec![Err(ConfigError::NoProfile {
            path: path.clone(),
            exists: cfg.exists,
        })]
    } else {
        if let Err(e) = cfg.select(&choice) {
            lines.push(format!("note: {e}"));
        }
        cfg.profiles
            .keys()
            .map(|name| {
                cfg.select(&config::Choice {
                    profile: Some(name.clone()),
                    ..config::Choice::default()
                })
            })
            .collect()
    };
    let default = cfg.select(&config::Choice::default()).ok();
    for s in selected {
        let s = match s {
            Ok(s) => s,
            Err(e) => {
                problems += 1;
                let _ = writeln!(std::io::stderr().lock(), "error: {e}");
                continue;
            }
        };
        let is_default = default
            .as_ref()
            .is_some_and(|d| d.profile.name == s.profile.name && !s.adhoc);
        let name = format!(
            "{}{}",
            s.profile.name,
            if is_default { " (default)" } else { "" }
        );
        match s.resolve() {
            Ok(r) => {
                for w in &r.warnings {
                    warn(w);
                }
                let client = match Client::new(r.session.client.clone()) {
                    Ok(c) => c.with_retry(RetryPolicy::NONE),
                    Err(e) => {
                        problems += 1;
                        let _ = writeln!(std::io::stderr().lock(), "error: profile {name}: {e}");
                        continue;
                    }
                };
                let mut line = format!(
                    "ok: profile {name}: {}; key from {}",
                    describe(&s.profile),
                    r.key_source
                );
                if online {
                    match block_on(client.summary())? {
                        Ok(sum) => {
                            let total: u64 = sum.counts().iter().map(|(_, n)| n).sum();
                            line.push_str(&format!("; signed in ({total} customizations)"));
                        }
                        Err(e) => {
                            online_failures += 1;
                            let _ = writeln!(
                                std::io::stderr().lock(),
                                "error: profile {name}: {}",
                                e.explain()
                            );
                            continue;
                        }
                    }
                }
                lines.push(line);
            }
            Err(e) => {
                problems += 1;
                let _ = writeln!(std::io::stderr().lock(), "error: {e}");
            }
        }
    }
    if !cfg.keys.is_empty() {
        lines.push(format!(
            "keys: {} action(s) rebound ({})",
            cfg.keys.len(),
            cfg.keys.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    print_lines(lines)?;
    if problems == 0 && online_failures > 0 {
        return Err(Failure::new(
            exit::API,
            format!(
                "{online_failures} profile{} could not sign in",
                if online_failures == 1 { "" } else { "s" }
            ),
        ));
    }
    if problems > 0 {
        return Err(Failure::usage(format!(
            "{problems} problem{} in the config",
            if problems == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}
