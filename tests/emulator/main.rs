//! The real client against the real emulator on a random loopback port, plus
//! `pinscope serve` as a process and the vendor's shell recipe.

mod auth;
mod bulk;
mod cli;
mod endpoints;
mod faults;
mod helpers;
mod hostile;
mod limits;
mod list;
mod persist;
