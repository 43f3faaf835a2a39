//! How long the editor takes to take one key and draw the frame, on a customization with
//! 50 pins (target: at most 1 ms).
//!
//! `cargo bench --bench editor`

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::KeyCode;
use pinscope::tui::app::App;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[path = "common/editor_app.rs"]
mod editor_app;
use editor_app::*;

/// Types `x` then Backspace, over and over, drawing after each key.
fn type_and_draw(c: &mut Criterion, name: &str, mut app: App) {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    terminal.draw(|f| app.render(f)).expect("draw");
    let mut flip = false;
    c.bench_function(name, |b| {
        b.iter(|| {
            let k = if flip {
                key(KeyCode::Backspace)
            } else {
                key(KeyCode::Char('x'))
            };
            flip = !flip;
            std::hint::black_box(app.update(k));
            terminal.draw(|f| app.render(f)).expect("draw");
        })
    });
}

fn bench(c: &mut Criterion) {
    // For comparison: the frame alone, nothing typed.
    let app0 = app();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    c.bench_function("editor 50 pins: frame only", |b| {
        b.iter(|| {
            terminal.draw(|f| app0.render(f)).expect("draw");
        })
    });

    // The model field of the main form (the 50-pin table is drawn below it).
    type_and_draw(c, "editor 50 pins: key in the model field + frame", app());

    // The same with the health warnings fed (models from the summary, the target held by
    // another customization): every key runs the rules on the form.
    type_and_draw(
        c,
        "editor 50 pins, live warnings: key in the model field + frame",
        app_with_warnings(),
    );

    // The active_to date of pin 25 (the date is parsed on every key).
    let mut app = app();
    for _ in 0..7 {
        app.update(key(KeyCode::Tab));
    }
    for _ in 0..24 {
        app.update(key(KeyCode::Down));
    }
    app.update(key(KeyCode::Enter));
    for _ in 0..7 {
        app.update(key(KeyCode::Tab));
    }
    for c in "2025-07-01 14:0".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    type_and_draw(c, "editor 50 pins: key in a pin's date field + frame", app);
}

criterion_group!(benches, bench);
criterion_main!(benches);
