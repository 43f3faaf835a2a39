//! The process shell: everything lives in the library; this only hands over to it.

/// The allocator of the `pinscope` binary. A library does not choose its users' allocator, so
/// it is chosen here and not in `lib.rs`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    pinscope::cli::main()
}
