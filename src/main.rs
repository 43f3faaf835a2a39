//! The process shell: everything lives in the library; this only hands over to it.
//!
//! The binary keeps the system allocator. mimalloc made the emulator's bulk create faster,
//! but it kept each size class's pages for reuse, and the TUI, which is most of what people
//! run, paid for that in resident memory: with the allocator changed back, the demo's peak
//! fell by about 2 MB (`scripts/bench-tui.py`), while the emulator still answers a bulk
//! create of 5000 lines well inside its 25 ms on one core (`cargo bench --bench emulator`).

fn main() -> std::process::ExitCode {
    pinscope::cli::main()
}
