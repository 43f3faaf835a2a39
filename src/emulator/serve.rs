//! `pinscope serve`.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {}

pub fn run(_args: ServeArgs) -> ExitCode {
    eprintln!("not built yet");
    ExitCode::from(crate::cli::exit::USAGE)
}
