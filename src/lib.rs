//! pinscope: Luigi's Box recommendation customizations ("pin scopes") from the terminal.
//!
//! The library holds everything; `main.rs` is a thin shell. Modules:
//! - [`api`]: the contract (model, validation, signing, client);
//! - [`emulator`]: a faithful local stand-in for the service (`pinscope serve`);
//! - [`config`]: the config file, profiles and key sources;
//! - [`cli`]: the process shell: the command line, the subcommands, exit codes, and the
//!   launch of the TUI and the emulator;
//! - [`diff`]: field-level differences between two customizations;
//! - [`import`]: the bulk import engine (validate, chunk, send, journal, report);
//! - [`batch`]: one change over many customizations: plan, apply, undo;
//! - [`health`]: the agenda of pin changes and the lint rules (pure functions);
//! - [`mirror`]: the local SQLite mirror of a tracker (sync, search, where-pinned, short ids)
//!   and the history of writes;
//! - [`files`]: writing files whole, private dirs, locks (a leaf every floor may use).

pub mod api;
pub mod batch;
pub mod cli;
pub mod config;
pub mod diff;
pub mod emulator;
pub mod files;
pub mod health;
pub mod import;
pub mod mirror;
pub mod tui;
pub mod when;
