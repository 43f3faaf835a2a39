//! `b` in browse: the change form. The one vocabulary (the CLI's `pinscope batch`
//! operations, [`crate::batch::ops`]): tags, pins' windows, widget, expired pins, delete,
//! and which pins the pin operations touch. Each field is checked as it is typed (dates
//! with the editor's parsing, [`crate::when`]); Enter plans the change, which sends
//! nothing.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use crate::batch::{ChangeSpec, Op, PinMatcher, PinOp, SpecError};
use crate::tui::keys::{Action, Context};
use crate::tui::msg::Shared;
use crate::tui::screens::{Ctx, Env, Input, Route, Screen};
use crate::tui::widgets::date_field::describe as describe_date;
use crate::tui::widgets::text_field::TextField;
use crate::tui::widgets::{theme, truncate};
use crate::when;

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Tags, separated by commas.
    Tags,
    /// A date as people type it (`2025-07-01`, `tomorrow`, `+7d`).
    Date,
    /// A duration with a sign (`+7d`, `-2h`).
    Shift,
    /// Free text (an item id, a widget id).
    Text,
    /// A whole number (a pin position).
    Number,
    /// On or off.
    Flag,
}

/// One field: its label, kind and what it says when empty.
struct Field {
    label: &'static str,
    kind: Kind,
    hint: &'static str,
}

const ADD_TAGS: usize = 0;
const REMOVE_TAGS: usize = 1;
const SET_FROM: usize = 2;
const SET_TO: usize = 3;
const SHIFT_FROM: usize = 4;
const SHIFT_TO: usize = 5;
const START_NOW: usize = 6;
const END_NOW: usize = 7;
const REMOVE_EXPIRED: usize = 8;
const SET_WIDGET: usize = 9;
const CLEAR_WIDGET: usize = 10;
const DELETE: usize = 11;
const PIN_ITEM: usize = 12;
const PIN_WIDGET: usize = 13;
const PIN_POSITION: usize = 14;

const FIELDS: [Field; 15] = [
    Field {
        label: "add tags",
        kind: Kind::Tags,
        hint: "tags to add, separated by commas",
    },
    Field {
        label: "remove tags",
        kind: Kind::Tags,
        hint: "tags to remove, separated by commas",
    },
    Field {
        label: "set active_from",
        kind: Kind::Date,
        hint: "2025-07-01, 2025-07-01 14:00, tomorrow, +7d… (your time zone)",
    },
    Field {
        label: "set active_to",
        kind: Kind::Date,
        hint: "2025-07-31, 2025-07-31 23:59, +7d… (your time zone)",
    },
    Field {
        label: "shift active_from",
        kind: Kind::Shift,
        hint: "move each pin's start by +7d, -2h, +30m, +1w",
    },
    Field {
        label: "shift active_to",
        kind: Kind::Shift,
        hint: "move each pin's end by +7d, -2h, +30m, +1w",
    },
    Field {
        label: "start now",
        kind: Kind::Flag,
        hint: "active_from = now",
    },
    Field {
        label: "end now",
        kind: Kind::Flag,
        hint: "active_to = now",
    },
    Field {
        label: "remove expired pins",
        kind: Kind::Flag,
        hint: "remove the pins whose window has ended",
    },
    Field {
        label: "set widget_id",
        kind: Kind::Text,
        hint: "the widget the pins show in",
    },
    Field {
        label: "clear widget_id",
        kind: Kind::Flag,
        hint: "remove the pins' widget_id",
    },
    Field {
        label: "delete them",
        kind: Kind::Flag,
        hint: "delete the customizations (alone: no other operation)",
    },
    Field {
        label: "only pins of item",
        kind: Kind::Text,
        hint: "pin operations touch only item pins of this id (empty: all pins)",
    },
    Field {
        label: "only pins of widget",
        kind: Kind::Text,
        hint: "pin operations touch only pins of this widget (empty: any)",
    },
    Field {
        label: "only pins at position",
        kind: Kind::Number,
        hint: "-1 global, 0 block, 1.. a slot (empty: any)",
    },
];

/// What was typed into the form, kept while the plan is looked at (Esc there comes back
/// to it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchDraft {
    texts: Vec<String>,
    flags: Vec<bool>,
    focus: usize,
}

impl BatchDraft {
    /// A draft with these fields set, by label (for tests and the demo).
    pub fn with(values: &[(&str, &str)]) -> BatchDraft {
        let mut d = BatchDraft {
            texts: vec![String::new(); FIELDS.len()],
            flags: vec![false; FIELDS.len()],
            focus: 0,
        };
        for (label, value) in values {
            if let Some(i) = FIELDS.iter().position(|f| f.label == *label) {
                if FIELDS[i].kind == Kind::Flag {
                    d.flags[i] = !value.is_empty();
                } else {
                    d.texts[i] = value.to_string();
                }
            }
        }
        d
    }
}

/// What a field's text means.
#[derive(Debug, Clone, PartialEq)]
enum Reading {
    Empty,
    /// Valid; the words say what it means (a date in full).
    Ok(String),
    Invalid(String),
}

/// The change form over `ids`.
pub struct ChangeForm {
    ids: Vec<String>,
    fields: Vec<TextField>,
    flags: Vec<bool>,
    focus: usize,
    /// The first row shown.
    offset: usize,
}

fn split_tags(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

impl ChangeForm {
    pub const NAME: &'static str = "batch";

    pub fn new(ids: Vec<String>, draft: Option<BatchDraft>) -> ChangeForm {
        let mut fields: Vec<TextField> = FIELDS.iter().map(|f| TextField::new(f.hint)).collect();
        let mut flags = vec![false; FIELDS.len()];
        let mut focus = 0;
        if let Some(d) = draft {
            for (f, t) in fields.iter_mut().zip(&d.texts) {
                f.set_value(t);
            }
            for (slot, v) in flags.iter_mut().zip(&d.flags) {
                *slot = *v;
            }
            focus = d.focus.min(FIELDS.len() - 1);
        }
        let mut form = ChangeForm {
            ids,
            fields,
            flags,
            focus,
            offset: 0,
        };
        form.focus_to(focus);
        form
    }

    fn draft(&self) -> BatchDraft {
        BatchDraft {
            texts: self.fields.iter().map(|f| f.value().to_string()).collect(),
            flags: self.flags.clone(),
            focus: self.focus,
        }
    }

    fn focus_to(&mut self, i: usize) {
        self.focus = i.min(FIELDS.len() - 1);
        for (j, f) in self.fields.iter_mut().enumerate() {
            f.set_focused(j == self.focus && FIELDS[j].kind != Kind::Flag);
        }
    }

    fn read(&self, i: usize, now: Timestamp, tz: &TimeZone) -> Reading {
        let field = &FIELDS[i];
        if field.kind == Kind::Flag {
            return if self.flags[i] {
                Reading::Ok("on".into())
            } else {
                Reading::Empty
            };
        }
        let text = self.fields[i].value().trim();
        if text.is_empty() {
            return Reading::Empty;
        }
        match field.kind {
            Kind::Tags => {
                let tags = split_tags(text);
                if tags.is_empty() {
                    Reading::Empty
                } else {
                    Reading::Ok(format!(
                        "{} tag{}",
                        tags.len(),
                        if tags.len() == 1 { "" } else { "s" }
                    ))
                }
            }
            Kind::Date => match when::parse_input(text, now, tz) {
                Ok(at) => Reading::Ok(describe_date(at, tz)),
                Err(e) => Reading::Invalid(e),
            },
            Kind::Shift => match when::parse_offset(text) {
                Ok(_) => Reading::Ok(text.to_string()),
                Err(e) => Reading::Invalid(e),
            },
            Kind::Number => match text.parse::<i64>() {
                Ok(n) if n >= -1 => Reading::Ok(n.to_string()),
                _ => Reading::Invalid(format!(
                    "{text:?} is not a position (-1 global, 0 block, 1.. a slot)"
                )),
            },
            Kind::Text | Kind::Flag => Reading::Ok(text.to_string()),
        }
    }

    /// The change the form asks for, or why it cannot be planned.
    fn spec(&self, now: Timestamp, tz: &TimeZone) -> Result<ChangeSpec, String> {
        if (0..FIELDS.len()).any(|i| matches!(self.read(i, now, tz), Reading::Invalid(_))) {
            return Err("fix the fields marked ✗ first".into());
        }
        let text = |i: usize| {
            let t = self.fields[i].value().trim();
            (!t.is_empty()).then(|| t.to_string())
        };
        let mut ops = Vec::new();
        // The order of the CLI's flags, so the two describe a change the same way.
        ops.extend(
            split_tags(self.fields[ADD_TAGS].value())
                .into_iter()
                .map(Op::AddTag),
        );
        ops.extend(
            split_tags(self.fields[REMOVE_TAGS].value())
                .into_iter()
                .map(Op::RemoveTag),
        );
        if self.flags[REMOVE_EXPIRED] {
            ops.push(Op::RemoveExpiredPins);
        }
        let date = |i: usize| text(i).and_then(|t| when::parse_input(&t, now, tz).ok());
        let shift = |i: usize| text(i).and_then(|t| when::parse_offset(&t).ok());
        if let Some(t) = date(SET_FROM) {
            ops.push(Op::Pin(PinOp::SetFrom(t)));
        }
        if let Some(t) = date(SET_TO) {
            ops.push(Op::Pin(PinOp::SetTo(t)));
        }
        if let Some(s) = shift(SHIFT_FROM) {
            ops.push(Op::Pin(PinOp::ShiftFrom(s)));
        }
        if let Some(s) = shift(SHIFT_TO) {
            ops.push(Op::Pin(PinOp::ShiftTo(s)));
        }
        if self.flags[START_NOW] {
            ops.push(Op::Pin(PinOp::StartNow));
        }
        if self.flags[END_NOW] {
            ops.push(Op::Pin(PinOp::EndNow));
        }
        if let Some(w) = text(SET_WIDGET) {
            ops.push(Op::Pin(PinOp::SetWidget(w)));
        }
        if self.flags[CLEAR_WIDGET] {
            ops.push(Op::Pin(PinOp::ClearWidget));
        }
        if self.flags[DELETE] {
            ops.push(Op::Delete);
        }
        let spec = ChangeSpec {
            ops,
            pins: PinMatcher {
                item: text(PIN_ITEM),
                widget: text(PIN_WIDGET),
                position: text(PIN_POSITION).and_then(|t| t.parse().ok()),
            },
            now,
            tz: tz.clone(),
        };
        spec.check().map_err(|e| match e {
            SpecError::Empty => "no operation yet: fill in a field or turn one on".to_string(),
            SpecError::DeleteWithOthers => {
                "delete cannot be combined with other operations".to_string()
            }
            other => other.to_string(),
        })?;
        Ok(spec)
    }

    fn plan(&mut self, ctx: &mut Ctx) {
        match self.spec(ctx.env.now, &ctx.env.tz) {
            Ok(spec) => ctx.replace(Route::BatchPlan {
                ids: self.ids.clone(),
                spec: Shared::new(spec),
                draft: self.draft(),
            }),
            Err(e) => ctx.toast_error(e),
        }
    }

    fn body_height(area: Rect) -> usize {
        area.height.saturating_sub(5) as usize
    }

    fn keep_visible(&mut self, height: usize) {
        if height == 0 {
            return;
        }
        if self.focus < self.offset {
            self.offset = self.focus;
        } else if self.focus >= self.offset + height {
            self.offset = self.focus + 1 - height;
        }
    }
}

impl Screen for ChangeForm {
    fn name(&self) -> &'static str {
        ChangeForm::NAME
    }

    fn context(&self) -> Context {
        if FIELDS[self.focus].kind == Kind::Flag {
            Context::BatchForm
        } else {
            Context::BatchFormText
        }
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        let n = FIELDS.len();
        match input {
            Input::Action(Action::Back) => ctx.close(),
            Input::Action(Action::Confirm) => self.plan(ctx),
            Input::Action(Action::Up) => self.focus_to(self.focus.saturating_sub(1)),
            Input::Action(Action::Down) => self.focus_to(self.focus + 1),
            Input::Action(Action::NextField) => self.focus_to((self.focus + 1) % n),
            Input::Action(Action::PrevField) => self.focus_to((self.focus + n - 1) % n),
            Input::Action(Action::Toggle) if FIELDS[self.focus].kind == Kind::Flag => {
                self.flags[self.focus] = !self.flags[self.focus];
            }
            Input::Key(k) if FIELDS[self.focus].kind != Kind::Flag => {
                self.fields[self.focus].input(k);
            }
            _ => {}
        }
        self.keep_visible(ChangeForm::body_height(ctx.area));
    }

    fn on_paste(&mut self, text: &str, _ctx: &mut Ctx) {
        if FIELDS[self.focus].kind != Kind::Flag {
            self.fields[self.focus].paste(text);
        }
    }

    fn on_resize(&mut self, ctx: &mut Ctx) {
        self.keep_visible(ChangeForm::body_height(ctx.area));
    }

    fn counts(&self) -> Option<String> {
        Some(format!("{} selected", self.ids.len()))
    }

    fn render(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let k = &env.keymap;
        let ctx = self.context();
        let mut hints: Vec<(Action, &str)> = vec![(Action::Confirm, "plan")];
        if ctx == Context::BatchForm {
            hints.push((Action::Toggle, "on/off"));
        }
        hints.push((Action::NextField, "next"));
        hints.push((Action::Back, "back"));
        let hint_line = if area.width >= 50 {
            k.hints_in(ctx, &hints)
        } else {
            String::new()
        };
        let n = self.ids.len();
        let mut title = vec![Span::styled(
            format!(
                " Change {n} customization{} ",
                if n == 1 { "" } else { "s" }
            ),
            theme::title(),
        )];
        if env.profile.read_only {
            title.push(Span::styled("· read-only: plan only ", theme::error()));
        }
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .title(Line::from(title))
            .title_bottom(Line::from(hint_line).right_aligned());
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [body, _gap, note, change] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(inner);
        // The longest label, its mark and a space.
        let label_w: u16 = 24;
        let height = body.height as usize;
        let mut offset = self.offset;
        if height > 0 {
            if self.focus < offset {
                offset = self.focus;
            } else if self.focus >= offset + height {
                offset = self.focus + 1 - height;
            }
        }
        for (row, i) in (offset..FIELDS.len()).take(height).enumerate() {
            let y = body.y + row as u16;
            let focused = i == self.focus;
            let field = &FIELDS[i];
            let reading = self.read(i, env.now, &env.tz);
            let mark = match &reading {
                Reading::Invalid(_) => Span::styled("✗ ", theme::error()),
                Reading::Ok(_) => Span::styled("● ", Style::new().fg(theme::OK)),
                Reading::Empty => Span::raw("  "),
            };
            let label_style = if focused {
                theme::label().add_modifier(Modifier::REVERSED)
            } else {
                theme::label()
            };
            let label = Line::from(vec![
                mark,
                Span::styled(
                    format!(
                        "{:<w$}",
                        field.label,
                        w = label_w.saturating_sub(3) as usize
                    ),
                    label_style,
                ),
                Span::raw(" "),
            ]);
            frame.render_widget(
                Paragraph::new(label),
                Rect::new(body.x, y, label_w.min(body.width), 1),
            );
            let rest = body.width.saturating_sub(label_w);
            let value_area = Rect::new(body.x + label_w.min(body.width), y, rest, 1);
            if field.kind == Kind::Flag {
                let text = if self.flags[i] { "[x]" } else { "[ ]" };
                let style = if focused {
                    theme::selected()
                } else {
                    Style::new()
                };
                let mut spans = vec![Span::styled(text, style)];
                if rest > 8 {
                    spans.push(Span::styled(
                        format!(" {}", truncate(field.hint, rest as usize - 5)),
                        theme::muted(),
                    ));
                }
                frame.render_widget(Paragraph::new(Line::from(spans)), value_area);
            } else {
                let field_w = if rest >= 60 { 30 } else { rest };
                let f_area = Rect::new(value_area.x, y, field_w, 1);
                if !focused && self.fields[i].value().is_empty() {
                    frame.render_widget(Paragraph::new(Line::styled("·", theme::muted())), f_area);
                } else {
                    self.fields[i].render(frame, f_area, None);
                }
                if rest >= 60 {
                    let words = match &reading {
                        Reading::Ok(w) if field.kind == Kind::Date => {
                            Span::styled(format!(" {w}"), theme::muted())
                        }
                        Reading::Invalid(e) => Span::styled(format!(" {e}"), theme::error()),
                        _ => Span::raw(""),
                    };
                    frame.render_widget(
                        Paragraph::new(
                            Line::from(truncate(&words.content, (rest - 31) as usize))
                                .style(words.style),
                        ),
                        Rect::new(value_area.x + 31, y, rest - 31, 1),
                    );
                }
            }
        }
        // The focused field in full: what it means, or what is wrong.
        let w = note.width as usize;
        let field = &FIELDS[self.focus];
        let note_line = match self.read(self.focus, env.now, &env.tz) {
            Reading::Invalid(e) => Line::styled(
                truncate(&format!("✗ {}: {e}", field.label), w),
                theme::error(),
            ),
            Reading::Ok(words) if field.kind == Kind::Date => Line::styled(
                truncate(&format!("{}: {words}", field.label), w),
                theme::muted(),
            ),
            _ => Line::styled(truncate(field.hint, w), theme::muted()),
        };
        frame.render_widget(Paragraph::new(note_line), note);
        let change_line = match self.spec(env.now, &env.tz) {
            Ok(spec) => Line::from(vec![
                Span::styled("change: ", theme::label()),
                Span::raw(truncate(&spec.describe(), w.saturating_sub(8))),
            ]),
            Err(e) => Line::styled(truncate(&e, w), Style::new().fg(theme::WARN)),
        };
        frame.render_widget(Paragraph::new(change_line), change);
    }
}
