//! pinscope: Luigi's Box recommendation customizations ("pin scopes") from the terminal.
//!
//! The library holds everything; `main.rs` is a thin shell. Modules:
//! - [`api`]: the contract (model, validation, signing, client);
//! - [`emulator`]: a faithful local stand-in for the service (`pinscope serve`);
//! - [`config`]: the config file, profiles and key sources;
//! - [`cli`]: the scripting subcommands;
//! - [`diff`]: field-level differences between two customizations;
//! - [`import`]: the bulk import engine (validate, chunk, send, journal, report);
//! - [`files`]: writing files whole, private dirs, locks (a leaf every floor may use).

/// The allocator of every program built on this library: `pinscope`, its tests and its
/// benchmarks. The emulator's bulk create makes a dozen small allocations per line and
/// keeps megabytes per request; with mimalloc it spends a fraction of the time the system
/// allocator does in consolidating free lists and faulting in fresh pages (`cargo bench
/// --bench emulator`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod api;
pub mod cli;
pub mod config;
pub mod diff;
pub mod emulator;
pub mod files;
pub mod import;
pub mod tui;
pub mod when;
