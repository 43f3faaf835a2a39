//! The command line: parsing, and the subcommands that need no terminal UI.
//!
//! stdout carries data, stderr carries words for people. Exit codes are in [`exit`].

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

#[derive(Debug, Parser)]
#[command(
    name = "pinscope",
    version,
    about = "Luigi's Box pin scopes from the terminal"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Run the local emulator of the customizations API.
    Serve(crate::emulator::serve::ServeArgs),
    /// Open the terminal UI on a built-in emulator with a sample shop (no account needed).
    Demo(crate::tui::demo::DemoArgs),
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Serve(args)) => crate::emulator::serve::run(args),
        Some(Command::Demo(args)) => crate::tui::demo::run(args),
        None => crate::tui::launch_default(),
    }
}
