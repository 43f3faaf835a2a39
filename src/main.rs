//! The process shell: everything lives in the library; this only hands over to it.

/// The allocator of the `pinscope` binary. A library does not choose its users' allocator, so
/// it is chosen here and not in `lib.rs`.
///
/// mimalloc for `serve`: the emulator's bulk create makes a dozen small allocations per line
/// and keeps megabytes per request, where the system allocator spends its time consolidating
/// free lists (`cargo bench --bench emulator`). Built with `no_thp`: mimalloc otherwise asks
/// for transparent huge pages, and each 2 MiB page it touches counts whole in the resident
/// set; that, not the allocator, had the TUI at 28 MB where it needs 14 (measured with
/// `scripts/bench-tui.py`, and with `MIMALLOC_ALLOW_THP=0` on the older build).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    pinscope::cli::main()
}
