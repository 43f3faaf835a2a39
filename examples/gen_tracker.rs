//! Writes a generated tracker as NDJSON, one customization a line, for
//! `pinscope serve --load` (the mirror's benchmarks and manual trials).
//!
//! `cargo run --release --example gen_tracker -- [COUNT] [SEED] > tracker.ndjson`
//!
//! COUNT defaults to 100000 (about 300000 pins), SEED to 1; the same seed gives the same
//! tracker (see `pinscope::mirror::generate`).

use std::io::{BufWriter, Write};

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let parse = |a: Option<String>, default: u64, what: &str| match a {
        None => Ok(default),
        Some(s) => s
            .parse::<u64>()
            .map_err(|_| format!("{what} must be a whole number, not {s:?}")),
    };
    let (count, seed) = match (
        parse(args.next(), 100_000, "COUNT"),
        parse(args.next(), 1, "SEED"),
    ) {
        (Ok(c), Ok(s)) => (c, s),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}\nusage: gen_tracker [COUNT] [SEED]");
            return std::process::ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    for c in pinscope::mirror::generate::tracker(count, seed) {
        if writeln!(out, "{c}").is_err() {
            return std::process::ExitCode::from(1);
        }
    }
    if out.flush().is_err() {
        return std::process::ExitCode::from(1);
    }
    std::process::ExitCode::SUCCESS
}
