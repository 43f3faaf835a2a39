//! The process shell: everything lives in the library; this only hands over to it.

fn main() -> std::process::ExitCode {
    pinscope::cli::main()
}
