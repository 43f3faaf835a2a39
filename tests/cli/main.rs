//! The `pinscope` binary driven as a user would, against the emulator on a loopback port.
//!
//! Every test has its own emulator, temp dir, config file and data dir; nothing touches the
//! real user config (`HOME`, `XDG_CONFIG_HOME`, `PINSCOPE_CONFIG` and `PINSCOPE_DATA_DIR`
//! all point into the temp dir).

mod harness;

mod architecture;

mod batch;
mod commands;
mod config;
mod hardening;
mod health;
mod hostile;
mod inputs;
mod mirror;
mod secrets;
mod terminal;
