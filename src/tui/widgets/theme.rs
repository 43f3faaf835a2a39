//! Colours and styles, in one place.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Gauge;

/// The variable that asks for no colours (<https://no-color.org>): set and not empty.
pub const NO_COLOR_ENV: &str = "NO_COLOR";

/// A progress bar at `done` of `total`, labelled with the percentage (empty while the
/// total is 0 or not known).
pub fn gauge(done: u64, total: u64) -> Gauge<'static> {
    let ratio = if total > 0 {
        (done as f64 / total as f64).clamp(0.0, 1.0)
    } else {
        0.0
    };
    Gauge::default()
        .gauge_style(Style::new().fg(ACCENT))
        .ratio(ratio)
        .label(format!("{:.0}%", ratio * 100.0))
}

/// Whether the environment asks for no colours.
pub fn no_color_requested() -> bool {
    std::env::var_os(NO_COLOR_ENV).is_some_and(|v| !v.is_empty())
}

/// Takes every colour out of a drawn frame, keeping bold, underline and reverse video
/// (which carry the selection and the emphasis without a hue).
pub fn strip_colors(buf: &mut Buffer) {
    for cell in &mut buf.content {
        cell.fg = Color::Reset;
        cell.bg = Color::Reset;
        cell.underline_color = Color::Reset;
    }
}

pub const ACCENT: Color = Color::Cyan;
pub const MUTED: Color = Color::DarkGray;
pub const ERROR: Color = Color::Red;
pub const OK: Color = Color::Green;
pub const WARN: Color = Color::Yellow;

pub fn title() -> Style {
    Style::new().fg(ACCENT).add_modifier(Modifier::BOLD)
}

pub fn header() -> Style {
    Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
}

pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

pub fn muted() -> Style {
    Style::new().fg(MUTED)
}

pub fn error() -> Style {
    Style::new().fg(ERROR).add_modifier(Modifier::BOLD)
}

pub fn key() -> Style {
    Style::new().fg(WARN).add_modifier(Modifier::BOLD)
}

pub fn label() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

/// A row marked for work on many at once (its mark, `●`, says so without colour).
pub fn marked() -> Style {
    Style::new().fg(ACCENT).add_modifier(Modifier::BOLD)
}

/// The colour of one difference: added green, removed red, changed yellow (the editor's
/// review and the campaign plans).
pub fn change(c: &crate::diff::Change) -> Style {
    use crate::diff::ChangeKind;
    match c.kind() {
        ChangeKind::Added => Style::new().fg(OK),
        ChangeKind::Removed => Style::new().fg(ERROR),
        ChangeKind::Changed => Style::new().fg(WARN),
    }
}
