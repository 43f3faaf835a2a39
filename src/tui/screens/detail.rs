//! One customization: every field, its pins in words and on a timeline; copy, raw JSON and
//! delete.

use crate::tui::widgets::dialog;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use serde_json::Value;

use crate::api::model::{FIELDS, PIN_FIELDS, is_server_field};
use crate::api::model::{Pin, PinState};
use crate::api::{Customization, TargetType};
use crate::tui::fmt;
use crate::tui::keys::{Action, Context};
use crate::tui::msg::{ApiEvent, ApiReply, ApiRequest, Remote};
use crate::tui::screens::pager::Pager;
use crate::tui::screens::{Ctx, Env, Input, Route, Screen};
use crate::tui::widgets::list::Scroll;
use crate::tui::widgets::text_field::TextField;
use crate::tui::widgets::{theme, truncate, wrap};

/// Fields shown in their own rows: the contract's and the server's; anything else is
/// listed under "other fields".
fn shown(k: &str) -> bool {
    FIELDS.contains(&k) || is_server_field(k)
}

/// Pin fields the pin's sentence shows (and a pin's `id`, when the service sends one).
fn pin_shown(k: &str) -> bool {
    PIN_FIELDS.contains(&k) || k == "id"
}

/// Where a pin's sentence starts: after the position and the state.
const PIN_INDENT: usize = 21;

/// How many characters of the id must be typed to delete.
const CONFIRM_CHARS: usize = 8;

struct ConfirmDelete {
    field: TextField,
    delete: Remote<()>,
    mismatch: bool,
}

/// The detail screen.
pub struct Detail {
    id: String,
    /// What is shown (from the list, the lookup or the last GET).
    shown: Option<Customization>,
    fetch: Remote<()>,
    fetch_on_open: bool,
    scroll: Scroll,
    confirm: Option<ConfirmDelete>,
    /// The service answered 404 for it: shown as deleted, offered only as a copy.
    deleted: bool,
    /// The service could not be reached: what is shown is the mirror's row.
    offline: bool,
    /// The mirror's row, asked for when the service could not be reached.
    from_mirror: Remote<()>,
    /// `w` with several pinned items: which one to look up, and the cursor.
    pick: Option<(Vec<String>, usize)>,
}

impl Detail {
    pub const NAME: &'static str = "detail";

    /// Shows a row from the list at once and fetches the current version.
    pub fn from_list(c: Customization) -> Detail {
        Detail {
            id: c.id().unwrap_or("").to_string(),
            shown: Some(c),
            fetch: Remote::Idle,
            fetch_on_open: true,
            scroll: Scroll::default(),
            confirm: None,
            deleted: false,
            offline: false,
            from_mirror: Remote::Idle,
            pick: None,
        }
    }

    /// Shows a customization that was just fetched.
    pub fn loaded(c: Customization) -> Detail {
        Detail {
            fetch_on_open: false,
            ..Detail::from_list(c)
        }
    }

    /// Fetches the customization with this id.
    pub fn fetch(id: impl Into<String>) -> Detail {
        Detail {
            id: id.into(),
            shown: None,
            fetch: Remote::Idle,
            fetch_on_open: true,
            scroll: Scroll::default(),
            confirm: None,
            deleted: false,
            offline: false,
            from_mirror: Remote::Idle,
            pick: None,
        }
    }

    /// The items its pins pin, each once, in pin order.
    fn pinned_items(&self) -> Vec<String> {
        let mut items: Vec<String> = Vec::new();
        if let Some(c) = &self.shown {
            for p in c.pins() {
                if let Some(i) = p.identity()
                    && !items.iter().any(|x| x == i)
                {
                    items.push(i.to_string());
                }
            }
        }
        items
    }

    /// `w`: where the pin's item is pinned across the tracker; with several items, a
    /// list to choose from first.
    fn where_pinned(&mut self, ctx: &mut Ctx) {
        if ctx.env.mirror.is_none() {
            ctx.toast_error("Where-pinned needs the local mirror (pinscope sync)");
            return;
        }
        let mut items = self.pinned_items();
        match items.len() {
            0 => ctx.toast_error("No pin here pins an item"),
            1 => ctx.open(Route::WherePinnedItem(items.remove(0))),
            _ => self.pick = Some((items, 0)),
        }
    }

    fn on_pick_input(&mut self, input: Input, ctx: &mut Ctx) {
        let Some((items, at)) = &mut self.pick else {
            return;
        };
        match input {
            Input::Action(Action::Back) => self.pick = None,
            Input::Action(Action::Up) => *at = at.saturating_sub(1),
            Input::Action(Action::Down) => *at = (*at + 1).min(items.len().saturating_sub(1)),
            Input::Action(Action::Confirm) => {
                if let Some(item) = items.get(*at).cloned() {
                    self.pick = None;
                    ctx.open(Route::WherePinnedItem(item));
                }
            }
            _ => {}
        }
    }

    fn render_pick(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let Some((items, at)) = &self.pick else {
            return;
        };
        let n = items.len();
        let inner = dialog(
            frame,
            area,
            (50, (n as u16).saturating_add(2)),
            Span::styled(" Where is it pinned? ", theme::title()),
            env.keymap
                .hints(&[(Action::Confirm, "look up"), (Action::Back, "close")]),
            Style::new(),
        );
        let h = inner.height as usize;
        let mut scroll = Scroll {
            selected: *at,
            offset: 0,
        };
        scroll.fit(n, h);
        let lines: Vec<Line> = scroll
            .visible(n, h)
            .map(|i| {
                let line = Line::raw(truncate(&items[i], inner.width as usize));
                if i == *at {
                    line.style(theme::selected())
                } else {
                    line
                }
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// What is shown, if anything.
    pub fn customization(&self) -> Option<&Customization> {
        self.shown.as_ref()
    }

    fn get(&mut self, ctx: &mut Ctx) {
        let id = ctx.request(ApiRequest::Get(self.id.clone()));
        self.fetch = Remote::Loading(id);
    }

    fn short_id(&self) -> &str {
        self.id.get(..CONFIRM_CHARS).unwrap_or(&self.id)
    }

    fn pretty_json(&self) -> String {
        self.shown
            .as_ref()
            .and_then(|c| serde_json::to_string_pretty(c).ok())
            .unwrap_or_default()
    }

    fn body_height(area: Rect) -> usize {
        area.height.saturating_sub(2) as usize
    }

    fn scroll_by(&mut self, delta: isize, ctx: &Ctx) {
        let len = self.lines(ctx.env, ctx.area.width).len();
        let h = Detail::body_height(ctx.area);
        self.scroll.scroll_by(delta, len, h);
    }

    fn on_confirm_input(&mut self, input: Input, ctx: &mut Ctx) {
        let Some(confirm) = &mut self.confirm else {
            return;
        };
        if confirm.delete.is_loading() {
            return;
        }
        match input {
            Input::Action(Action::Back) => self.confirm = None,
            Input::Action(Action::Confirm) => {
                let typed = confirm.field.value().trim().to_ascii_lowercase();
                let short = self.id.get(..CONFIRM_CHARS).unwrap_or(&self.id);
                if typed == short {
                    let id = ctx.request(ApiRequest::Delete(self.id.clone()));
                    confirm.delete = Remote::Loading(id);
                    confirm.mismatch = false;
                } else {
                    confirm.mismatch = true;
                }
            }
            Input::Key(k) => {
                if confirm.field.input(k) {
                    confirm.mismatch = false;
                    confirm.delete = Remote::Idle;
                }
            }
            Input::Action(_) => {}
        }
    }

    /// Every line of the body, for the current width.
    fn lines(&self, env: &Env, width: u16) -> Vec<Line<'static>> {
        let Some(c) = &self.shown else {
            return Vec::new();
        };
        let tz = &env.tz;
        let mut out: Vec<Line<'static>> = Vec::new();
        let field = |name: &str, value: String| -> Line<'static> {
            Line::from(vec![
                Span::styled(format!(" {name:<10} "), theme::label()),
                Span::raw(value),
            ])
        };
        out.push(field("id", self.id.clone()));
        out.push(field("model", c.model().unwrap_or("").to_string()));
        let tt = c.target_type();
        out.push(field(
            "target",
            match tt {
                Some(TargetType::Item) => {
                    format!("item {}", c.target_identity().unwrap_or(""))
                }
                Some(TargetType::Criteria) => "criteria".to_string(),
                Some(TargetType::All) => "all (every page)".to_string(),
                None => format!(
                    "{} (unknown target type)",
                    c.get("target_type")
                        .map(Value::to_string)
                        .unwrap_or_default()
                ),
            },
        ));
        if let Some(crit) = c.get("target_criteria") {
            push_json(&mut out, "criteria", crit);
        }
        if let Some(meta) = c.target_metadata() {
            if meta.is_empty() {
                out.push(field("metadata", "{}".into()));
            }
            for (i, (k, v)) in meta.iter().enumerate() {
                let value = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                out.push(field(
                    if i == 0 { "metadata" } else { "" },
                    format!("{k}: {value}"),
                ));
            }
        }
        let tags: Vec<&str> = c.tags().collect();
        out.push(field(
            "tags",
            if tags.is_empty() {
                "none".to_string()
            } else {
                tags.join(", ")
            },
        ));
        let created = match c.created_at_ts() {
            Some(t) => fmt::date_time(t, tz),
            None => c.created_at().unwrap_or("unknown").to_string(),
        };
        let by = c.creator().map(|b| format!(" by {b}")).unwrap_or_default();
        out.push(field("created", format!("{created}{by}")));
        let active = c.active_pins_at(env.now);
        out.push(field(
            "active now",
            if active > 0 {
                format!("yes ({active} of {} pins)", c.pin_count())
            } else {
                format!("no (0 of {} pins)", c.pin_count())
            },
        ));
        for (k, v) in c.as_map() {
            if !shown(k) {
                push_json(&mut out, k, v);
            }
        }

        let mut pins: Vec<Pin> = c.pins().collect();
        pins.sort_by_key(|p| p.position().map(|p| p.sort_key()).unwrap_or((3, 0)));
        out.push(Line::raw(""));
        out.push(Line::styled(
            format!(" Pins ({})", pins.len()),
            theme::title(),
        ));
        if pins.is_empty() {
            out.push(Line::styled("  no pins", theme::muted()));
        }
        for p in &pins {
            let state = p.state_at(env.now);
            let pos = p
                .position()
                .map_or_else(|| "?".to_string(), |p| p.to_string());
            // The sentence wraps under itself.
            let room = (width as usize).saturating_sub(PIN_INDENT + 1).max(20);
            let sentence = wrap(&fmt::pin_sentence(p, tz), room);
            for (i, part) in sentence.into_iter().enumerate() {
                if i == 0 {
                    out.push(Line::from(vec![
                        Span::raw(format!("  {pos:<9}")),
                        Span::styled(format!("{:<10}", state.as_str()), state_style(state)),
                        Span::raw(part),
                    ]));
                } else {
                    out.push(Line::raw(format!("{:PIN_INDENT$}{part}", "")));
                }
            }
            for (k, v) in p.raw() {
                if !pin_shown(k) {
                    out.push(Line::styled(format!("{:21}{k}: {v}", ""), theme::muted()));
                }
            }
        }
        if pins
            .iter()
            .any(|p| p.active_from().is_some() || p.active_to().is_some())
        {
            out.push(Line::raw(""));
            out.push(Line::styled(" Timeline", theme::title()));
            out.extend(timeline(&pins, env.now, tz, width.saturating_sub(16)));
        }
        out
    }

    fn render_confirm(&self, frame: &mut Frame, area: Rect, confirm: &ConfirmDelete, env: &Env) {
        let inner = dialog(
            frame,
            area,
            (64, 8),
            Span::styled(" Delete this customization? ", theme::error()),
            env.keymap
                .hints(&[(Action::Confirm, "delete"), (Action::Back, "cancel")]),
            Style::new().fg(theme::ERROR),
        );
        let [text, field, feedback] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(3),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(vec![
                Line::raw(format!(
                    "It cannot be undone. Type {} (the id's",
                    self.short_id()
                )),
                Line::raw(format!("first {CONFIRM_CHARS} characters) to delete it.")),
            ]),
            text,
        );
        confirm.field.render(frame, field, Some(Block::bordered()));
        let line = match &confirm.delete {
            Remote::Loading(_) => Line::raw(format!("{} deleting…", env.spinner_glyph())),
            Remote::Failed(e) => Line::styled(truncate(&e.to_string(), 60), theme::error()),
            _ if confirm.mismatch => {
                Line::styled(format!("That is not {}", self.short_id()), theme::error())
            }
            _ => Line::raw(""),
        };
        frame.render_widget(Paragraph::new(line), feedback);
    }
}

fn state_style(state: PinState) -> Style {
    match state {
        PinState::Active => Style::new().fg(theme::OK).add_modifier(Modifier::BOLD),
        PinState::Scheduled => Style::new().fg(theme::WARN),
        PinState::Expired => theme::muted(),
    }
}

fn push_json(out: &mut Vec<Line<'static>>, name: &str, v: &Value) {
    let text = serde_json::to_string_pretty(v).unwrap_or_default();
    for (i, l) in text.lines().enumerate() {
        out.push(Line::from(vec![
            Span::styled(
                format!(" {:<10} ", if i == 0 { name } else { "" }),
                theme::label(),
            ),
            Span::raw(l.to_string()),
        ]));
    }
}

/// One bar per pin across the span of all their windows (and now), with now marked.
pub fn timeline(pins: &[Pin], now: Timestamp, tz: &TimeZone, width: u16) -> Vec<Line<'static>> {
    let width = width.clamp(10, 80) as i64;
    let mut lo = now;
    let mut hi = now;
    for p in pins {
        for t in [p.active_from(), p.active_to()].into_iter().flatten() {
            lo = lo.min(t);
            hi = hi.max(t);
        }
    }
    let span = (hi.as_second() - lo.as_second()).max(86_400);
    // A margin so that open ends and now are not on the very edge.
    let margin = span / 20;
    let start = lo.as_second() - margin;
    let total = span + 2 * margin;
    let col =
        |t: Timestamp| -> i64 { ((t.as_second() - start) * width / total).clamp(0, width - 1) };
    let now_col = col(now);
    let mut out = Vec::new();
    for (i, p) in pins.iter().enumerate() {
        let from = p.active_from().map_or(0, col);
        let to = p
            .active_to()
            .map_or(width - 1, |t| col(t).saturating_sub(1).max(from));
        let state = p.state_at(now);
        let mut bar = String::new();
        for c in 0..width {
            let inside = c >= from && c <= to;
            bar.push(match (c == now_col, inside) {
                (true, _) => '│',
                (false, true) => '━',
                (false, false) => '·',
            });
        }
        let pos = p
            .position()
            .map_or_else(|| "?".to_string(), |p| p.to_string());
        // The pin's number (from 1, as everywhere on screen) tells rows of the same
        // position apart: several `block` rows are `1 block`, `2 block`.
        out.push(Line::from(vec![
            Span::raw(format!("{:>2} {:<8}", i + 1, truncate(&pos, 7))),
            Span::styled(bar, state_style(state)),
        ]));
    }
    let left = fmt::short(Timestamp::from_second(start).unwrap_or(lo), tz);
    let right = fmt::short(Timestamp::from_second(start + total).unwrap_or(hi), tz);
    let mut axis = format!("{:11}{left}", "");
    let now_label = "▲ now";
    let now_at = 11 + now_col as usize;
    let right_at = 11 + width as usize - right.chars().count();
    let now_fits = axis.chars().count() < now_at && now_at + now_label.chars().count() < right_at;
    if now_fits {
        let pad = now_at - axis.chars().count();
        axis.push_str(&" ".repeat(pad));
        axis.push_str(now_label);
    }
    let pad = right_at.saturating_sub(axis.chars().count()).max(1);
    axis.push_str(&" ".repeat(pad));
    axis.push_str(&right);
    out.push(Line::styled(axis, theme::muted()));
    if !now_fits {
        // Under the now column on a line of its own, or to its left near the right edge.
        let label = "▲ now";
        let at = if now_at + label.chars().count() <= 11 + width as usize {
            now_at
        } else {
            now_at.saturating_sub(4)
        };
        out.push(Line::styled(format!("{:at$}{label}", ""), theme::muted()));
    }
    out
}

impl Screen for Detail {
    fn name(&self) -> &'static str {
        Detail::NAME
    }

    fn context(&self) -> Context {
        if self.confirm.is_some() {
            Context::ConfirmDelete
        } else if self.pick.is_some() {
            Context::PinPicker
        } else {
            Context::Detail
        }
    }

    fn on_open(&mut self, ctx: &mut Ctx) {
        if self.fetch_on_open {
            self.get(ctx);
        }
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        if self.confirm.is_some() {
            self.on_confirm_input(input, ctx);
            return;
        }
        if self.pick.is_some() {
            self.on_pick_input(input, ctx);
            return;
        }
        let h = Detail::body_height(ctx.area) as isize;
        let Input::Action(action) = input else {
            return;
        };
        match action {
            Action::Back => ctx.close(),
            Action::Up => self.scroll_by(-1, ctx),
            Action::Down => self.scroll_by(1, ctx),
            Action::PageUp => self.scroll_by(-h, ctx),
            Action::PageDown => self.scroll_by(h, ctx),
            Action::Top => self.scroll_by(isize::MIN / 2, ctx),
            Action::Bottom => self.scroll_by(isize::MAX / 2, ctx),
            Action::Refresh => self.get(ctx),
            Action::Lookup => ctx.open(Route::Lookup),
            Action::WherePinned => self.where_pinned(ctx),
            Action::Edit if self.deleted => ctx.toast_error(format!(
                "It was deleted on the service: {} saves a copy as new",
                ctx.env.keymap.hint(Action::Duplicate)
            )),
            Action::Duplicate if ctx.env.profile.read_only => ctx.toast_error(format!(
                "Profile {} is read-only: creating is turned off",
                ctx.env.profile.label
            )),
            Action::Edit if self.shown.is_some() => {
                if let Some(c) = self.shown.clone() {
                    ctx.open(Route::Edit(c));
                }
            }
            Action::Duplicate => {
                if let Some(c) = &self.shown {
                    ctx.open(Route::Duplicate(c.clone()));
                }
            }
            Action::CopyId => ctx.copy(self.id.clone(), "the id"),
            Action::CopyJson if self.shown.is_some() => ctx.copy(self.pretty_json(), "the JSON"),
            Action::RawJson if self.shown.is_some() => ctx.push(Pager::new(
                format!("JSON of {}", self.id),
                &self.pretty_json(),
                "the JSON",
            )),
            Action::Delete => {
                if ctx.env.profile.read_only {
                    ctx.toast_error("This profile is read-only: deleting is off");
                } else if self.shown.is_some() {
                    let mut field = TextField::new("first 8 characters of the id");
                    field.set_focused(true);
                    self.confirm = Some(ConfirmDelete {
                        field,
                        delete: Remote::Idle,
                        mismatch: false,
                    });
                }
            }
            _ => {}
        }
    }

    fn on_paste(&mut self, text: &str, _ctx: &mut Ctx) {
        if let Some(c) = &mut self.confirm {
            c.field.paste(text);
        }
    }

    fn on_mouse(&mut self, ev: crossterm::event::MouseEvent, ctx: &mut Ctx) {
        use crossterm::event::MouseEventKind;
        match ev.kind {
            MouseEventKind::ScrollDown => self.scroll_by(3, ctx),
            MouseEventKind::ScrollUp => self.scroll_by(-3, ctx),
            _ => {}
        }
    }

    fn on_api(&mut self, ev: &ApiEvent, ctx: &mut Ctx) {
        // A 404 for this id, whoever asked (this screen, or the editor saving it): gone.
        if let Err(e) = &ev.result
            && e.status() == Some(404)
            && !self.id.is_empty()
            && ev.call.path.ends_with(&format!("/scope/{}", self.id))
        {
            self.deleted = true;
        }
        if let Ok(ApiReply::Customization(c)) = &ev.result
            && c.id() == Some(self.id.as_str())
        {
            self.deleted = false;
        }
        if self.from_mirror.waits_for(ev.id) {
            self.from_mirror = Remote::Ready(());
            match (&ev.result, self.fetch.error()) {
                (Ok(ApiReply::MirrorRow(Some(c))), _) => {
                    self.shown = Some((**c).clone());
                    self.offline = true;
                }
                // Not in the mirror either: the failure in full.
                (_, Some(e)) => ctx.open(Route::Error {
                    title: "Could not load the customization".into(),
                    error: e.clone(),
                }),
                _ => {}
            }
            return;
        }
        if self.fetch.waits_for(ev.id) {
            match &ev.result {
                Ok(ApiReply::Customization(c)) => {
                    self.shown = Some(c.clone());
                    self.fetch = Remote::Ready(());
                    self.offline = false;
                }
                Ok(_) => self.fetch = Remote::Idle,
                // The service cannot be reached: the mirror's row stands in for it.
                Err(e)
                    if crate::tui::screens::service_unreachable(e)
                        && ctx
                            .env
                            .mirror
                            .as_ref()
                            .is_some_and(|m| m.synced_at.is_some()) =>
                {
                    self.fetch = Remote::Failed(e.clone());
                    if self.shown.is_some() {
                        self.offline = true;
                    } else {
                        self.from_mirror =
                            Remote::Loading(ctx.request(ApiRequest::MirrorGet(self.id.clone())));
                    }
                }
                Err(e) => {
                    self.fetch = Remote::Failed(e.clone());
                    // The whole error, scrollable, over the screen (a 404 is said by the
                    // deleted mark instead).
                    if e.status() != Some(404) {
                        ctx.open(Route::Error {
                            title: "Could not load the customization".into(),
                            error: e.clone(),
                        });
                    }
                }
            }
            return;
        }
        // Saved by the editor: show the new version.
        if let Ok(ApiReply::Updated(id)) = &ev.result
            && *id == self.id
        {
            self.get(ctx);
            return;
        }
        if let Some(confirm) = &mut self.confirm
            && confirm.delete.waits_for(ev.id)
        {
            match &ev.result {
                Ok(_) => {
                    ctx.toast(format!("Deleted {}", self.id));
                    ctx.close();
                }
                Err(e) => confirm.delete = Remote::Failed(e.clone()),
            }
        }
    }

    fn on_retry(&mut self, ctx: &mut Ctx) {
        if matches!(self.fetch, Remote::Failed(_)) {
            self.get(ctx);
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let k = &env.keymap;
        let common = [
            (Action::CopyId, "copy id"),
            (Action::CopyJson, "copy JSON"),
            (Action::RawJson, "raw"),
            (Action::Delete, "delete"),
            (Action::Back, "back"),
        ];
        let hints = if area.width >= 110 {
            let mut all = if self.deleted {
                vec![(Action::Duplicate, "save as new")]
            } else if env.profile.read_only {
                vec![(Action::Edit, "view as a form")]
            } else {
                vec![(Action::Edit, "edit"), (Action::Duplicate, "duplicate")]
            };
            all.extend(common);
            if env.mirror.is_some() {
                all.insert(all.len() - 1, (Action::WherePinned, "where"));
            }
            k.hints(&all)
        } else if area.width >= 80 {
            k.hints(&common)
        } else {
            k.hints(&[(Action::Back, "back")])
        };
        let mut title = vec![Span::styled(" Customization ", theme::title())];
        if self.deleted {
            title.push(Span::styled(
                "DELETED on the service ",
                theme::error().add_modifier(ratatui::style::Modifier::BOLD),
            ));
        }
        if let Some(c) = &self.shown
            && let Some(t) = c.title()
        {
            title.push(Span::raw(format!("{t} ")));
        }
        if self.offline
            && let Some(banner) = crate::tui::screens::offline_banner(env)
        {
            title.push(Span::styled(
                format!("{banner} "),
                Style::new()
                    .fg(theme::WARN)
                    .add_modifier(Modifier::REVERSED),
            ));
        }
        if self.fetch.is_loading() {
            title.push(Span::raw(format!("{} ", env.spinner_glyph())));
        }
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .title(Line::from(title))
            .title_bottom(Line::from(hints).right_aligned());
        let inner = block.inner(area);
        frame.render_widget(Clear, area);
        frame.render_widget(block, area);
        let mut lines = self.lines(env, inner.width);
        if let Some(e) = self.fetch.error().filter(|_| !self.offline) {
            let text = if e.status() == Some(404) {
                format!("No customization with id {} (deleted?)", self.id)
            } else {
                format!("Could not load it: {}", truncate(&e.to_string(), 160))
            };
            lines.insert(0, Line::styled(format!(" {text}"), theme::error()));
        } else if self.shown.is_none() {
            lines.push(Line::raw(format!(
                " {} Loading {}…",
                env.spinner_glyph(),
                self.id
            )));
        }
        let range = self.scroll.visible(lines.len(), inner.height as usize);
        let visible: Vec<Line> = lines.drain(range).collect();
        frame.render_widget(Paragraph::new(visible), inner);
        if let Some(confirm) = &self.confirm {
            self.render_confirm(frame, area, confirm, env);
        }
        self.render_pick(frame, area, env);
    }
}
