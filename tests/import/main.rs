//! The import engine and `pinscope import` / `pinscope copy` against the real emulator on a
//! random loopback port: faults, races, cancel and resume, round trips, exit codes.

mod cli;
mod engine;
mod faults;
mod helpers;
mod resume;
pub mod roundtrip;
