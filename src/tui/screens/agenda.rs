//! `A`: the agenda. Every pin that starts or ends in a window (today, 7 days, 30 days or a
//! custom one), grouped by day in the user's time zone, with a header that counts pins
//! active now, starting and ending in the window, and expired. Enter opens the
//! customization.
//!
//! The tracker comes from [`tracker::load`]; the events are computed by
//! [`crate::health::agenda`] (an index sorted once, so changing the window is a binary
//! search).

use jiff::Timestamp;
use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use crate::api::Customization;
use crate::api::text::strip_controls;
use crate::health::agenda::{Agenda, EventKind, Period, PinIndex};
use crate::tui::fmt;
use crate::tui::keys::{Action, Context};
use crate::tui::msg::{ApiEvent, ApiReply, Remote};
use crate::tui::screens::tracker::{self, describe};
use crate::tui::screens::{Ctx, Env, Input, Route, Screen};
use crate::tui::widgets::list::Scroll;
use crate::tui::widgets::text_field::TextField;
use crate::tui::widgets::{dialog, theme, truncate};

/// The windows `t` cycles through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Today,
    Days(u32),
    Custom(Period),
}

impl Window {
    fn period(self, now: Timestamp, tz: &TimeZone) -> Result<Period, String> {
        match self {
            Window::Today => Period::rest_of_today(now, tz),
            Window::Days(n) => Period::next_days(now, tz, n),
            Window::Custom(p) => Ok(p),
        }
    }

    fn label(self, tz: &TimeZone) -> String {
        match self {
            Window::Today => "today".into(),
            Window::Days(n) => format!("next {n} days"),
            Window::Custom(p) => format!(
                "{} → {}",
                fmt::date_time(p.from, tz),
                fmt::date_time(p.to, tz)
            ),
        }
    }
}

/// The custom window's two fields.
struct Custom {
    from: TextField,
    to: TextField,
    on_to: bool,
    error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Day(usize),
    Event(usize),
}

/// The agenda screen.
pub struct AgendaScreen {
    load: Remote<()>,
    scopes: std::sync::Arc<Vec<Customization>>,
    index: PinIndex,
    window: Window,
    agenda: Option<Agenda>,
    rows: Vec<Row>,
    scroll: Scroll,
    custom: Option<Custom>,
    error: Option<String>,
}

impl Default for AgendaScreen {
    fn default() -> Self {
        AgendaScreen::new()
    }
}

impl AgendaScreen {
    pub const NAME: &'static str = "agenda";

    /// The next 7 days.
    pub fn new() -> AgendaScreen {
        AgendaScreen {
            load: Remote::Idle,
            scopes: Default::default(),
            index: PinIndex::default(),
            window: Window::Days(7),
            agenda: None,
            rows: Vec::new(),
            scroll: Scroll::default(),
            custom: None,
            error: None,
        }
    }

    /// The agenda as computed, once loaded.
    pub fn agenda(&self) -> Option<&Agenda> {
        self.agenda.as_ref()
    }

    fn body_height(&self, ctx: &Ctx) -> usize {
        ctx.area.height.saturating_sub(4) as usize
    }

    fn reload(&mut self, ctx: &mut Ctx) {
        self.load = Remote::Loading(tracker::load(ctx));
    }

    /// Works the agenda out again for the current window and time.
    fn compute(&mut self, now: Timestamp, tz: &TimeZone) {
        match self.window.period(now, tz) {
            Ok(period) => {
                let agenda = self.index.agenda(period, now, tz);
                self.rows.clear();
                for (d, day) in agenda.days.iter().enumerate() {
                    self.rows.push(Row::Day(d));
                    self.rows.extend((day.start..day.end).map(Row::Event));
                }
                self.agenda = Some(agenda);
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
        // The first event, below its day's header.
        self.scroll = Scroll {
            selected: usize::from(self.rows.len() > 1),
            offset: 0,
        };
    }

    fn next_window(&mut self, ctx: &mut Ctx) {
        self.window = match self.window {
            Window::Today => Window::Days(7),
            Window::Days(7) => Window::Days(30),
            Window::Days(_) => {
                let mut from = TextField::new("e.g. today, 2025-07-01, -2d");
                from.set_value("today");
                from.set_focused(true);
                let mut to = TextField::new("e.g. +14d, 2025-08-01 12:00");
                to.set_value("+14d");
                to.set_focused(false);
                self.custom = Some(Custom {
                    from,
                    to,
                    on_to: false,
                    error: None,
                });
                return;
            }
            Window::Custom(_) => Window::Today,
        };
        self.compute(ctx.env.now, &ctx.env.tz);
    }

    fn custom_input(&mut self, input: Input, ctx: &mut Ctx) {
        let Some(c) = self.custom.as_mut() else {
            return;
        };
        match input {
            Input::Action(Action::Back) => self.custom = None,
            Input::Action(Action::NextField | Action::PrevField) => {
                c.on_to = !c.on_to;
                c.from.set_focused(!c.on_to);
                c.to.set_focused(c.on_to);
            }
            Input::Action(Action::Confirm) => {
                let (now, tz) = (ctx.env.now, &ctx.env.tz);
                let read = |label: &str, f: &TextField| {
                    crate::when::parse_input(f.value(), now, tz)
                        .map_err(|e| format!("{label}: {e}"))
                };
                let period = read("from", &c.from)
                    .and_then(|from| read("to", &c.to).map(|to| (from, to)))
                    .and_then(|(from, to)| Period::new(from, to));
                match period {
                    Ok(p) => {
                        self.custom = None;
                        self.window = Window::Custom(p);
                        self.compute(ctx.env.now, &ctx.env.tz);
                    }
                    Err(e) => c.error = Some(e),
                }
            }
            Input::Key(k) => {
                let field = if c.on_to { &mut c.to } else { &mut c.from };
                if field.input(k) {
                    c.error = None;
                }
            }
            Input::Action(_) => {}
        }
    }

    fn open_selected(&mut self, ctx: &mut Ctx) {
        let Some(agenda) = &self.agenda else {
            return;
        };
        if let Some(Row::Event(i)) = self.rows.get(self.scroll.selected)
            && let Some(e) = agenda.events.get(*i)
            && let Some(c) = self.scopes.get(e.scope)
        {
            ctx.open(Route::Detail(c.clone()));
        }
    }

    fn header(&self, env: &Env) -> Line<'static> {
        match (&self.load, &self.agenda) {
            (Remote::Loading(_), _) => {
                Line::raw(format!("{} loading the tracker…", env.spinner_glyph()))
            }
            (Remote::Failed(e), _) => Line::styled(
                truncate(&format!("✗ cannot load the tracker: {e}"), 200),
                theme::error(),
            ),
            (_, Some(a)) => {
                let c = a.counts;
                Line::from(vec![
                    Span::styled(
                        format!("{} active now", c.active_now),
                        Style::new().fg(theme::OK),
                    ),
                    Span::raw(format!(
                        " · {} starting · {} ending in the window · ",
                        c.starting, c.ending
                    )),
                    Span::styled(format!("{} expired", c.expired), theme::muted()),
                ])
            }
            _ => Line::raw(""),
        }
    }

    fn row_line(&self, row: Row, width: usize, env: &Env) -> Line<'static> {
        let Some(a) = &self.agenda else {
            return Line::raw("");
        };
        match row {
            Row::Day(d) => {
                let Some(day) = a.days.get(d) else {
                    return Line::raw("");
                };
                let n = day.end - day.start;
                Line::styled(
                    format!(
                        "{} · {n} change{}",
                        day.date.strftime("%a %Y-%m-%d"),
                        if n == 1 { "" } else { "s" }
                    ),
                    theme::label(),
                )
            }
            Row::Event(i) => {
                let Some(e) = a.events.get(i) else {
                    return Line::raw("");
                };
                let Some(c) = self.scopes.get(e.scope) else {
                    return Line::raw("");
                };
                let pin = c.pins().nth(e.pin);
                let time =
                    e.at.to_zoned_datetime(env.tz.clone())
                        .strftime("%H:%M")
                        .to_string();
                let position = pin
                    .and_then(|p| p.position())
                    .map_or_else(|| "?".to_string(), |p| p.to_string());
                let what = pin
                    .map(|p| strip_controls(&p.what()).into_owned())
                    .unwrap_or_default();
                let widget = pin.and_then(|p| p.widget_id()).map_or_else(
                    || "every widget".to_string(),
                    |w| strip_controls(w).into_owned(),
                );
                let (kind, style) = match e.kind {
                    EventKind::Starts => ("starts", Style::new().fg(theme::OK)),
                    EventKind::Ends => ("ends  ", Style::new().fg(theme::WARN)),
                };
                let rest = width.saturating_sub(2 + 6 + 7 + 10 + 3);
                let what_w = (rest / 3).clamp(8, 30);
                let widget_w = (rest / 5).clamp(6, 16);
                let scope_w = rest.saturating_sub(what_w + widget_w + 2);
                Line::from(vec![
                    Span::raw(format!("  {time} ")),
                    Span::styled(format!("{kind} "), style),
                    Span::raw(format!("{:<9} ", truncate(&position, 9))),
                    Span::styled(
                        format!("{:<what_w$} ", truncate(&what, what_w)),
                        Style::new().add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(
                        format!("{:<widget_w$} ", truncate(&widget, widget_w)),
                        theme::muted(),
                    ),
                    Span::raw(truncate(&describe(c), scope_w)),
                ])
            }
        }
    }
}

impl Screen for AgendaScreen {
    fn name(&self) -> &'static str {
        AgendaScreen::NAME
    }

    fn context(&self) -> Context {
        if self.custom.is_some() {
            Context::AgendaCustom
        } else {
            Context::Agenda
        }
    }

    fn on_open(&mut self, ctx: &mut Ctx) {
        self.reload(ctx);
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        if self.custom.is_some() {
            self.custom_input(input, ctx);
            return;
        }
        let h = self.body_height(ctx);
        let n = self.rows.len();
        match input {
            Input::Action(Action::Back) => ctx.close(),
            Input::Action(Action::Up) => self.scroll.move_by(-1, n, h),
            Input::Action(Action::Down) => self.scroll.move_by(1, n, h),
            Input::Action(Action::PageUp) => self.scroll.move_by(-(h.max(1) as isize), n, h),
            Input::Action(Action::PageDown) => self.scroll.move_by(h.max(1) as isize, n, h),
            Input::Action(Action::Top) => self.scroll.select(0, n, h),
            Input::Action(Action::Bottom) => self.scroll.select(n.saturating_sub(1), n, h),
            Input::Action(Action::Open) => self.open_selected(ctx),
            Input::Action(Action::Window) => self.next_window(ctx),
            Input::Action(Action::Refresh) => self.reload(ctx),
            _ => {}
        }
    }

    fn on_paste(&mut self, text: &str, _ctx: &mut Ctx) {
        if let Some(c) = self.custom.as_mut() {
            let field = if c.on_to { &mut c.to } else { &mut c.from };
            field.paste(text);
        }
    }

    fn on_api(&mut self, ev: &ApiEvent, ctx: &mut Ctx) {
        if !self.load.waits_for(ev.id) {
            return;
        }
        match &ev.result {
            Ok(ApiReply::Tracker(scopes)) => {
                self.load = Remote::Ready(());
                self.scopes = scopes.0.clone();
                self.index = PinIndex::build(&self.scopes);
                self.compute(ctx.env.now, &ctx.env.tz);
            }
            Ok(_) => self.load = Remote::Idle,
            // What was shown stays: a failed refresh empties nothing.
            Err(e) => self.load = Remote::Failed(e.clone()),
        }
    }

    fn on_retry(&mut self, ctx: &mut Ctx) {
        if matches!(self.load, Remote::Failed(_)) {
            self.reload(ctx);
        }
    }

    fn counts(&self) -> Option<String> {
        self.agenda
            .as_ref()
            .map(|a| crate::tui::fmt::plural(a.events.len(), "change", "changes"))
    }

    fn render(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let k = &env.keymap;
        let title = Line::from(vec![
            Span::styled(" Agenda ", theme::title()),
            Span::raw(format!("· {} ", self.window.label(&env.tz))),
        ]);
        let hints = if area.width >= 70 {
            // Enter opens only a pin's row, not a day's heading or an empty agenda.
            let on_event = matches!(self.rows.get(self.scroll.selected), Some(Row::Event(_)));
            let mut items = vec![
                (Action::Window, "window"),
                (Action::Refresh, "refresh"),
                (Action::Back, "back"),
            ];
            if on_event {
                items.insert(0, (Action::Open, "open"));
            }
            k.hints(&items)
        } else {
            String::new()
        };
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .title(title)
            .title_bottom(Line::from(hints).right_aligned());
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [head, _gap, body] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(inner);
        let mut head_line = self.header(env);
        if let Some(e) = &self.error {
            head_line = Line::styled(format!("✗ {e}"), theme::error());
        }
        frame.render_widget(Paragraph::new(head_line), head);
        let height = body.height as usize;
        let lines: Vec<Line> = if self.agenda.is_some() && self.rows.is_empty() {
            vec![Line::styled(
                format!(
                    "No pin starts or ends in this window. {} changes it.",
                    k.hint(Action::Window)
                ),
                theme::muted(),
            )]
        } else {
            let mut scroll = self.scroll;
            scroll.fit(self.rows.len(), height);
            scroll
                .visible(self.rows.len(), height)
                .map(|i| {
                    let line = self.row_line(self.rows[i], body.width as usize, env);
                    if i == scroll.selected {
                        line.style(theme::selected())
                    } else {
                        line
                    }
                })
                .collect()
        };
        frame.render_widget(Paragraph::new(lines), body);
        if let Some(c) = &self.custom {
            let inner = dialog(
                frame,
                area,
                (60, 10),
                Span::styled(" Custom window ", theme::title()),
                k.hints(&[
                    (Action::Confirm, "show"),
                    (Action::NextField, "next field"),
                    (Action::Back, "cancel"),
                ]),
                Style::new(),
            );
            let [from, to, err] = Layout::vertical([
                Constraint::Length(3),
                Constraint::Length(3),
                Constraint::Min(0),
            ])
            .areas(inner);
            c.from
                .render(frame, from, Some(Block::bordered().title(" From ")));
            c.to.render(frame, to, Some(Block::bordered().title(" To (excluded) ")));
            if let Some(e) = &c.error {
                frame.render_widget(
                    Paragraph::new(Line::styled(truncate(e, 200), theme::error())),
                    err,
                );
            }
        }
    }
}
