//! Colours and styles, in one place.

use ratatui::style::{Color, Modifier, Style};

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
