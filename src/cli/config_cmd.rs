//! `pinscope config path` and `pinscope config check`.

use std::io::Write;

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
    }
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
