//! The status line at the bottom, and toasts just above it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::api::ApiError;
use crate::tui::keys::{Action, Context};
use crate::tui::msg::{CallInfo, Trouble};
use crate::tui::screens::{Env, Tone};
use crate::tui::widgets::{theme, truncate};

/// What the status line shows: profile, tracker, counts, the last request or the trouble.
pub struct StatusLine<'a> {
    pub env: &'a Env,
    pub counts: Option<&'a str>,
    pub busy: bool,
    pub last_call: Option<&'a CallInfo>,
    pub trouble: Option<&'a Trouble>,
    /// The context of the screen on top: which keys work with its focus.
    pub context: Context,
}

/// `/scopes` from `/v1/recommender/pin/TRACKER/scopes`.
pub fn short_path<'p>(path: &'p str, tracker: &str) -> &'p str {
    let prefix = format!("/v1/recommender/pin/{tracker}");
    match path.strip_prefix(prefix.as_str()) {
        Some(rest) if !rest.is_empty() => rest,
        _ => path,
    }
}

/// A one-line description of a request: `POST /scopes 200 12ms`.
pub fn describe_call(call: &CallInfo, tracker: &str) -> String {
    if call.method == "JOB" {
        return format!("{} {}ms", call.path, call.latency.as_millis());
    }
    let status = call
        .status
        .map_or_else(|| "---".to_string(), |s| s.to_string());
    format!(
        "{} {} {} {}ms",
        call.method,
        short_path(&call.path, tracker),
        status,
        call.latency.as_millis()
    )
}

/// A one-line description of a network-class error.
pub fn describe_trouble(e: &ApiError) -> String {
    match e {
        ApiError::Connect { url, .. } => format!("cannot connect to {url}"),
        ApiError::Timeout { after, .. } => format!("no answer after {}s", after.as_secs()),
        ApiError::Network { .. } => "connection lost before the answer".to_string(),
        ApiError::Status(s) => format!("the service answered {} {}", s.status, s.reason),
        other => other.to_string(),
    }
}

impl StatusLine<'_> {
    pub fn render(&self, frame: &mut Frame, area: Rect) {
        let env = self.env;
        let p = &env.profile;
        let width = area.width as usize;
        let label_style = if p.production {
            Style::new()
                .bg(p.color.unwrap_or(Color::Red))
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new()
                .fg(p.color.unwrap_or(theme::ACCENT))
                .add_modifier(Modifier::BOLD)
        };
        let label = format!(" {} ", p.label);
        let spinner = if self.busy {
            format!("{} ", env.spinner_glyph())
        } else {
            String::new()
        };
        // The keys that work with the focus of the screen on top: in a text field `?` and
        // `R` are typed, so help is F1 there and retry has no key until the focus moves.
        let help = env
            .keymap
            .key_in(self.context, Action::Help)
            .map_or_else(String::new, |k| format!("  {k} help "));
        let (news, news_style, retry) = match (self.trouble, self.last_call) {
            (Some(t), _) => (
                format!("⚠ {}", describe_trouble(&t.error)),
                theme::error(),
                env.keymap
                    .key_in(self.context, Action::Retry)
                    .map_or_else(String::new, |k| format!(" · {k} retry")),
            ),
            (None, Some(call)) => {
                let ok = call.status.is_some_and(|s| s < 400);
                let style = if ok {
                    theme::muted()
                } else {
                    Style::new().fg(theme::ERROR)
                };
                (describe_call(call, &p.tracker), style, String::new())
            }
            (None, None) => (String::new(), Style::new(), String::new()),
        };
        let w = |s: &str| unicode_width::UnicodeWidthStr::width(s);
        // What must stay: the label, the spinner, the retry key and help. Then, as room
        // allows: the counts, the tracker, the last request (cut to fit).
        let fixed = w(&label) + w(&spinner) + w(&retry) + w(&help);
        let mut room = width.saturating_sub(fixed);
        let mut take = |s: String, gap: usize| -> Option<String> {
            if s.is_empty() || w(&s) + gap > room {
                return None;
            }
            room -= w(&s) + gap;
            Some(s)
        };
        let counts = self.counts.and_then(|c| take(c.to_string(), 2));
        let tracker = take(p.tracker.clone(), 1);
        let mirror = env
            .mirror
            .as_ref()
            .and_then(|m| take(format!("· {}", m.words(env.now)), 1));
        let read_only = if p.read_only {
            take(" read-only".to_string(), 0)
        } else {
            None
        };
        let news = if room >= 8 && !news.is_empty() {
            Some(truncate(&news, room.saturating_sub(1)))
        } else {
            None
        };
        let mut left = vec![Span::styled(label, label_style)];
        if let Some(t) = tracker {
            left.push(Span::raw(" "));
            left.push(Span::styled(t, theme::muted()));
        }
        if let Some(m) = mirror {
            left.push(Span::raw(" "));
            left.push(Span::styled(m, theme::muted()));
        }
        if let Some(r) = read_only {
            left.push(Span::styled(r, Style::new().fg(theme::WARN)));
        }
        if let Some(c) = counts {
            left.push(Span::raw("  "));
            left.push(Span::raw(c));
        }
        let mut right = Vec::new();
        if !spinner.is_empty() {
            right.push(Span::styled(spinner, Style::new().fg(theme::ACCENT)));
        }
        if let Some(n) = news {
            right.push(Span::styled(n, news_style));
        }
        if !retry.is_empty() {
            right.push(Span::styled(retry, theme::key()));
        }
        right.push(Span::styled(help, theme::muted()));
        let used: usize = left.iter().chain(right.iter()).map(Span::width).sum();
        let mut spans = left;
        spans.push(Span::raw(" ".repeat(width.saturating_sub(used))));
        spans.extend(right);
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
    }
}

/// A toast on the last line of `area`, right-aligned.
pub fn render_toast(frame: &mut Frame, area: Rect, tone: Tone, text: &str) {
    if area.height == 0 {
        return;
    }
    // On the top border's right, where no screen puts anything: the key hints on the
    // bottom border and the rows stay readable.
    let margin = u16::from(area.width >= 6);
    let room = area.width.saturating_sub(2 * margin);
    let text = truncate(text, room.saturating_sub(2) as usize);
    let width = (unicode_width::UnicodeWidthStr::width(text.as_str()) as u16 + 2).min(room);
    let rect = Rect::new(area.x + area.width - margin - width, area.y, width, 1);
    let style = match tone {
        Tone::Info => Style::new().bg(Color::Green).fg(Color::Black),
        Tone::Error => Style::new().bg(Color::Red).fg(Color::White),
    };
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(format!(" {text} ")).style(style), rect);
}
