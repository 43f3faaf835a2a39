//! The health targets measured in CPU time of the thread, which a loaded machine does not
//! inflate as it does wall time (criterion's `cargo bench --bench health` and `--bench
//! editor` measure wall time): the agenda of 30 days and lint of everything over 100,000
//! customizations and 300,000 pins, and a key plus a frame in a 50-pin form with the live
//! warnings on. The tracker and the form are built as in those benches.
//!
//! `cargo run --release --example health_cpu`

use crossterm::event::KeyCode;
use jiff::tz::TimeZone;
use pinscope::health::agenda::{Period, PinIndex};
use pinscope::health::lint::lint;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec that we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

#[path = "../benches/common/health_data.rs"]
mod health_data;
use health_data::*;

#[path = "../benches/common/editor_app.rs"]
mod editor_app;
use editor_app::*;

fn main() {
    {
        let mut app = app_with_warnings();
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        let n = 2000;
        let t = cpu();
        for i in 0..n {
            let k = if i % 2 == 1 {
                key(KeyCode::Backspace)
            } else {
                key(KeyCode::Char('x'))
            };
            std::hint::black_box(app.update(k));
            terminal.draw(|f| app.render(f)).expect("draw");
        }
        println!(
            "cpu: editor 50 pins with live warnings: key + frame {:.3} ms",
            (cpu() - t) * 1e3 / n as f64
        );
    }

    let scopes = tracker();
    let tz = TimeZone::get("Europe/Prague").expect("zone");
    let now = now();
    for _ in 0..3 {
        let t = cpu();
        let index = PinIndex::build(&scopes);
        let t1 = cpu();
        let period = Period::next_days(now, &tz, 30).expect("p");
        let n = 20;
        for _ in 0..n {
            std::hint::black_box(index.agenda(period, now, &tz));
        }
        let t2 = cpu();
        let f = lint(&scopes, now);
        let t3 = cpu();
        println!(
            "cpu: index build {:.1} ms, agenda 30d {:.2} ms, lint {:.1} ms ({} findings)",
            (t1 - t) * 1e3,
            (t2 - t1) * 1e3 / n as f64,
            (t3 - t2) * 1e3,
            f.len()
        );
    }
}
