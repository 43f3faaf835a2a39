//! `w` on browse: asks for an item id, then lists every pin of that item across the
//! tracker from the mirror: customization, model, target, slot / global / block, widget,
//! window and state now. Enter opens the customization.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Block;

use crate::mirror::StoredPin;
use crate::tui::keys::{Action, Context};
use crate::tui::msg::{ApiEvent, ApiReply, ApiRequest, Remote};
use crate::tui::screens::search::skeleton;
use crate::tui::screens::{Ctx, Env, Input, Route, Screen};
use crate::tui::widgets::finder::Finder;
use crate::tui::widgets::text_field::TextField;
use crate::tui::widgets::{theme, truncate};

/// Where an item is pinned.
pub struct WherePinned {
    field: TextField,
    /// The item asked about.
    item: String,
    pins: Remote<Vec<StoredPin>>,
    cursor: usize,
    ask_on_open: bool,
}

impl Default for WherePinned {
    fn default() -> Self {
        WherePinned::new()
    }
}

impl WherePinned {
    pub const NAME: &'static str = "where";

    pub fn new() -> WherePinned {
        WherePinned {
            field: TextField::new("an item id, e.g. /p/555"),
            item: String::new(),
            pins: Remote::Idle,
            cursor: 0,
            ask_on_open: false,
        }
    }

    /// Asks about `item` as it opens.
    pub fn with_item(item: &str) -> WherePinned {
        let mut w = WherePinned::new();
        w.field.set_value(item);
        w.ask_on_open = true;
        w
    }

    /// Already asked about `item` (from a pin in the detail).
    pub fn for_item(item: &str, ctx: &mut Ctx) -> WherePinned {
        let mut w = WherePinned::new();
        w.field.set_value(item);
        w.ask(ctx);
        w
    }

    /// The pins shown now.
    pub fn pins(&self) -> &[StoredPin] {
        match &self.pins {
            Remote::Ready(p) => p,
            _ => &[],
        }
    }

    fn ask(&mut self, ctx: &mut Ctx) {
        let item = self.field.value().trim().to_string();
        if item.is_empty() {
            return;
        }
        self.item = item.clone();
        self.pins = Remote::Loading(ctx.request(ApiRequest::MirrorWhere(item)));
        self.cursor = 0;
    }

    fn line(p: &StoredPin, env: &Env, width: usize, selected: bool) -> Line<'static> {
        let short: String = p.id.chars().take(8).collect();
        let target = match (&p.target_identity, &p.target_criteria) {
            (Some(i), _) => i.clone(),
            (None, Some(c)) => c.clone(),
            _ => p.target_type.clone().unwrap_or_default(),
        };
        let position = match (p.kind.as_deref(), p.position) {
            (Some("slot"), Some(n)) => format!("slot {n}"),
            (Some(k), _) => k.to_string(),
            _ => "?".into(),
        };
        let when = |s: Option<i64>| {
            s.and_then(|s| jiff::Timestamp::from_second(s).ok())
                .map(|t| crate::tui::fmt::date(t, &env.tz))
        };
        let window = match (when(p.active_from), when(p.active_to)) {
            (None, None) => "always".to_string(),
            (Some(f), None) => format!("from {f}"),
            (None, Some(t)) => format!("until {t}"),
            (Some(f), Some(t)) => format!("{f} – {t}"),
        };
        let state = p.state_at(env.now);
        let text = format!(
            "{short}  {:<12} {:<24} {:<8} {:<12} {:<26} {}",
            truncate(p.model.as_deref().unwrap_or(""), 12),
            truncate(&target, 24),
            position,
            truncate(p.widget_id.as_deref().unwrap_or("-"), 12),
            window,
            state.as_str()
        );
        let text: String = truncate(&text, width)
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        let style = if selected {
            theme::selected()
        } else {
            match state {
                crate::api::PinState::Active => Style::new(),
                _ => theme::muted(),
            }
        };
        Line::styled(text, style)
    }
}

impl Screen for WherePinned {
    fn name(&self) -> &'static str {
        WherePinned::NAME
    }

    fn on_open(&mut self, ctx: &mut Ctx) {
        if self.ask_on_open {
            self.ask(ctx);
        }
    }

    fn context(&self) -> Context {
        Context::BrowseSearch
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        let n = self.pins().len();
        match input {
            Input::Action(Action::Back) => ctx.close(),
            Input::Action(Action::Confirm) => {
                if self.field.value().trim() != self.item || self.pins().is_empty() {
                    self.ask(ctx);
                } else if let Some(p) = self.pins().get(self.cursor) {
                    ctx.open(Route::Detail(skeleton(&p.id, p.model.as_deref())));
                }
            }
            Input::Action(Action::Up) => self.cursor = self.cursor.saturating_sub(1),
            Input::Action(Action::Down) => self.cursor = (self.cursor + 1).min(n.saturating_sub(1)),
            Input::Key(k) => {
                self.field.input(k);
            }
            Input::Action(_) => {}
        }
    }

    fn on_paste(&mut self, text: &str, _ctx: &mut Ctx) {
        self.field.paste(text.trim());
    }

    fn on_api(&mut self, ev: &ApiEvent, _ctx: &mut Ctx) {
        if !self.pins.waits_for(ev.id) {
            return;
        }
        match &ev.result {
            Ok(ApiReply::MirrorPins { pins, .. }) => self.pins = Remote::Ready(pins.clone()),
            Ok(_) => {}
            Err(e) => self.pins = Remote::Failed(e.clone()),
        }
    }

    fn counts(&self) -> Option<String> {
        match &self.pins {
            Remote::Ready(p) => Some(format!("{} pins of {}", p.len(), self.item)),
            _ => None,
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let k = &env.keymap;
        let note = match &self.pins {
            Remote::Idle => Line::styled(
                "every pin of the item across the tracker, from the mirror",
                theme::muted(),
            ),
            Remote::Loading(_) => Line::raw(format!("{} looking…", env.spinner_glyph())),
            Remote::Failed(e) => Line::styled(truncate(&e.to_string(), 200), theme::error()),
            Remote::Ready(p) if p.is_empty() => {
                Line::styled(format!("{} is pinned nowhere", self.item), theme::muted())
            }
            Remote::Ready(p) => Line::styled(
                format!(
                    "{} pin{} of {}",
                    p.len(),
                    if p.len() == 1 { "" } else { "s" },
                    self.item
                ),
                theme::muted(),
            ),
        };
        let pins = self.pins();
        Finder {
            title: "Where is it pinned?",
            hints: format!(
                " {} look up / open · {}/{} move · {} back ",
                k.hint(Action::Confirm),
                k.hint(Action::Up),
                k.hint(Action::Down),
                k.hint(Action::Back)
            ),
            field: &self.field,
            field_block: Block::bordered().title(" item "),
            note,
            len: pins.len(),
            cursor: self.cursor,
        }
        .render(frame, area, |i, width, selected| {
            WherePinned::line(&pins[i], env, width, selected)
        });
    }
}
