//! Drawing the editor. Reads only.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use serde_json::Value;

use super::form::{Field, PinField, Place, PosKind};
use super::{Clicked, Editor, Mode, Overlay, PIN_ROWS, Saving, View};
use crate::api::model::{Pin, PinType, TargetType};
use crate::api::time::parse_rfc3339;
use crate::diff::Change;
use crate::tui::fmt;
use crate::tui::keys::Action;
use crate::tui::screens::{Env, Tone};
use crate::tui::widgets::date_field::{DateField, DateState, describe};
use crate::tui::widgets::{centered, theme, truncate, wrap};

/// Width of the label column.
const LABEL_W: u16 = 14;
/// The most lines a JSON input takes.
const JSON_MAX: usize = 8;

type Draw<'a> = Box<dyn Fn(&mut Frame, Rect) + 'a>;

/// One block of the form: a field with what goes under it.
struct Row<'a> {
    height: u16,
    focused: bool,
    draw: Draw<'a>,
}

fn error_lines(msgs: &[String], width: u16) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for m in msgs {
        for (i, part) in wrap(m, width.saturating_sub(2) as usize)
            .into_iter()
            .enumerate()
        {
            let lead = if i == 0 { "✗ " } else { "  " };
            out.push(Line::styled(format!("{lead}{part}"), theme::error()));
        }
    }
    out
}

fn label_span(label: &str, focused: bool) -> Span<'static> {
    if focused {
        Span::styled(
            format!("▸ {label:<w$}", w = LABEL_W as usize - 2),
            theme::title(),
        )
    } else {
        Span::styled(
            format!("  {label:<w$}", w = LABEL_W as usize - 2),
            theme::label(),
        )
    }
}

/// A labelled row: the label, `content_h` lines drawn by `content`, then `below`.
fn labelled<'a>(
    label: &str,
    focused: bool,
    content_h: u16,
    content: Draw<'a>,
    below: Vec<Line<'static>>,
) -> Row<'a> {
    let label = label_span(label, focused);
    let below_h = below.len() as u16;
    Row {
        height: content_h + below_h,
        focused,
        draw: Box::new(move |frame, r| {
            if r.height == 0 {
                return;
            }
            frame.render_widget(
                Paragraph::new(Line::from(label.clone())),
                Rect::new(r.x, r.y, LABEL_W.min(r.width), 1),
            );
            let x = r.x + LABEL_W.min(r.width);
            let w = r.width.saturating_sub(LABEL_W);
            let ch = content_h.min(r.height);
            content(frame, Rect::new(x, r.y, w, ch));
            let bh = r.height.saturating_sub(ch);
            if bh > 0 {
                frame.render_widget(Paragraph::new(below.clone()), Rect::new(x, r.y + ch, w, bh));
            }
        }),
    }
}

fn choice_line(options: &[&str], selected: Option<usize>, focused: bool) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, o) in options.iter().enumerate() {
        let on = selected == Some(i);
        let mark = if on { "(•) " } else { "( ) " };
        let style = if on {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        spans.push(Span::styled(format!("{mark}{o}"), style));
        spans.push(Span::raw("   "));
    }
    if focused {
        spans.push(Span::styled("←/→ or Space", theme::muted()));
    }
    Line::from(spans)
}

/// A change over as many lines as it needs: a value is never cut (a narrow terminal shows
/// it whole, wrapped, the continuation indented).
fn change_lines(c: &Change, width: usize) -> Vec<Line<'static>> {
    let style = theme::change(c);
    let text = c.to_string();
    let mut out = Vec::new();
    for (i, part) in wrap(&text, width.saturating_sub(4).max(8))
        .into_iter()
        .enumerate()
    {
        let part = if i == 0 { part } else { format!("    {part}") };
        out.push(Line::styled(part, style));
    }
    out
}

/// A stored date for the table: in words when it parses, else as stored.
fn table_date(v: Option<&Value>, tz: &jiff::tz::TimeZone) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => parse_rfc3339(s).map_or_else(|| s.clone(), |t| fmt::human(t, tz)),
        Some(other) => other.to_string(),
    }
}

/// `text` in a column `width` wide: cut to leave one blank, then padded.
fn cell(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    let t = truncate(text, width.saturating_sub(1));
    let pad = width.saturating_sub(t.width());
    format!("{t}{}", " ".repeat(pad))
}

impl Editor {
    fn title_line(&self, env: &Env) -> Line<'static> {
        let mut spans = vec![Span::styled(
            match &self.mode {
                Mode::New {
                    duplicated_from: None,
                } => " New customization ".to_string(),
                Mode::New {
                    duplicated_from: Some(id),
                } => format!(" New customization (a copy of {}) ", truncate(id, 13)),
                Mode::Edit { id } => format!(" Edit {id} "),
            },
            theme::title(),
        )];
        if self.read_only {
            spans.push(Span::styled(
                "read-only ",
                Style::new().fg(theme::WARN).add_modifier(Modifier::BOLD),
            ));
        }
        if self.dirty {
            spans.push(Span::styled("● unsaved ", Style::new().fg(theme::WARN)));
        }
        match self.saving {
            Saving::Idle => {}
            Saving::Fetching(_) | Saving::Rechecking(_) => spans.push(Span::raw(format!(
                "{} fetching the service's version… ",
                env.spinner_glyph()
            ))),
            Saving::Creating(_) | Saving::Updating(_) => {
                spans.push(Span::raw(format!("{} saving… ", env.spinner_glyph())))
            }
        }
        Line::from(spans)
    }

    fn hints(&self, env: &Env, width: u16) -> Line<'static> {
        use crate::tui::screens::Screen as _;
        let k = &env.keymap;
        // Only the keys that work with the current focus (`E`, `c` and `x` are typed in a
        // text field) and the profile (a read-only one saves nothing).
        let ctx = self.context();
        // A question over the form says its own keys; the form's do nothing meanwhile.
        if self.overlay.is_some() {
            return Line::default();
        }
        let mut wanted: Vec<(Action, &str)> = Vec::new();
        if !self.read_only {
            wanted.push((Action::Save, "save"));
        }
        match self.view {
            View::Main if width >= 90 => {
                wanted.push((Action::NextField, "next field"));
                wanted.push((Action::ExternalEditor, "all as JSON in $EDITOR"));
                wanted.push((Action::Back, "back"));
            }
            View::Pin(_) if width >= 90 => {
                wanted.push((Action::NextField, "next field"));
                if !self.read_only {
                    wanted.push((Action::DuplicatePin, "duplicate"));
                    wanted.push((Action::DeletePin, "delete"));
                }
                wanted.push((Action::Back, "back to the pins"));
            }
            _ => wanted.push((Action::Back, "back")),
        }
        let text: Vec<String> = wanted
            .into_iter()
            .filter_map(|(action, what)| {
                // Every key that works for the external editor (`E/Ctrl-o`), the first
                // one for the rest.
                let keys = if action == Action::ExternalEditor {
                    k.label_in(ctx, action)
                } else {
                    k.key_in(ctx, action)
                };
                keys.map(|keys| format!("{keys} {what}"))
            })
            .collect();
        Line::from(format!(" {} ", text.join(" · "))).right_aligned()
    }

    /// The health warnings, one `⚠ rule: message` each (wrapped), with the key that opens
    /// the customization already using the target.
    fn warning_lines(&self, env: &Env, width: usize) -> Vec<Line<'static>> {
        let mut out = Vec::new();
        for f in &self.health {
            let mut text = format!(
                "{}: {}",
                f.rule.id(),
                crate::api::text::strip_controls(&f.message)
            );
            // The key works in the main form, where the target is edited.
            if f.rule == crate::health::lint::Rule::DuplicateTarget && self.view == View::Main {
                text.push_str(&format!(
                    " ({} opens it)",
                    env.keymap.hint(Action::OpenOther)
                ));
            }
            for (i, l) in wrap(&text, width.saturating_sub(2)).into_iter().enumerate() {
                let lead = if i == 0 { "⚠ " } else { "  " };
                out.push(Line::styled(
                    format!("{lead}{l}"),
                    Style::new().fg(theme::WARN),
                ));
            }
        }
        out
    }

    /// Lines above the form: read-only note, the banner, errors that belong to no field,
    /// the health warnings.
    fn head_lines(&self, width: u16, env: &Env) -> Vec<Line<'static>> {
        let mut out = Vec::new();
        let w = width as usize;
        if self.read_only {
            out.push(Line::styled(
                truncate(
                    "Read-only profile: the form shows, it cannot change or save anything.",
                    w,
                ),
                Style::new().fg(theme::WARN),
            ));
        }
        if let Some((tone, text)) = &self.banner {
            let style = match tone {
                Tone::Info => Style::new().fg(theme::OK),
                Tone::Error => theme::error(),
            };
            for l in wrap(text, w) {
                out.push(Line::styled(l, style));
            }
        }
        for e in self.form.stray_errors() {
            for (i, l) in wrap(e, w.saturating_sub(2)).into_iter().enumerate() {
                let lead = if i == 0 { "✗ " } else { "  " };
                out.push(Line::styled(format!("{lead}{l}"), theme::error()));
            }
        }
        out.extend(self.warning_lines(env, w));
        out
    }

    pub(super) fn render_all(&self, frame: &mut Frame, area: Rect, env: &Env) {
        frame.render_widget(Clear, area);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .title(self.title_line(env))
            .title_bottom(self.hints(env, area.width));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let head = self.head_lines(inner.width, env);
        let head_h = (head.len() as u16).min(inner.height / 2);
        let [head_area, body] =
            Layout::vertical([Constraint::Length(head_h), Constraint::Min(0)]).areas(inner);
        frame.render_widget(Paragraph::new(head), head_area);
        let rows = match self.view {
            View::Main => self.main_rows(env, body.width),
            View::Pin(i) => self.pin_rows(i, env, body.width),
        };
        draw_rows(frame, body, &rows);
        if let Some(o) = &self.overlay {
            self.render_overlay(frame, area, env, o);
        }
    }

    /// The field drawn at `(x, y)` when the screen is `area`, in the main form or the pin
    /// form, laid out as [`Editor::render_all`] lays it out (for a mouse click).
    pub(super) fn field_at(&self, env: &Env, area: Rect, x: u16, y: u16) -> Option<Clicked> {
        if self.overlay.is_some() {
            return None;
        }
        let inner = Block::bordered().inner(area);
        let head_h = (self.head_lines(inner.width, env).len() as u16).min(inner.height / 2);
        let [_, body] =
            Layout::vertical([Constraint::Length(head_h), Constraint::Min(0)]).areas(inner);
        if !body.contains(ratatui::layout::Position { x, y }) {
            return None;
        }
        let rows = match self.view {
            View::Main => self.main_rows(env, body.width),
            View::Pin(i) => self.pin_rows(i, env, body.width),
        };
        let (tops, offset) = layout_rows(&rows, body.height);
        let at = u32::from(y - body.y) + offset;
        let row = rows
            .iter()
            .zip(&tops)
            .position(|(r, top)| *top <= at && at < top + u32::from(r.height))?;
        match self.view {
            View::Main => self.form.fields().get(row).copied().map(Clicked::Main),
            // The pin form's first row is the pin's heading, not a field.
            View::Pin(i) => {
                let fields = self.form.pins.get(i)?.fields();
                fields.get(row.checked_sub(1)?).copied().map(Clicked::Pin)
            }
        }
    }

    fn main_rows<'a>(&'a self, env: &'a Env, width: u16) -> Vec<Row<'a>> {
        let f = &self.form;
        let ew = width.saturating_sub(LABEL_W);
        let errs = |field: Field| error_lines(f.errors_at(Place::Field(field)), ew);
        let mut rows = Vec::new();
        for field in f.fields() {
            let focused = self.view == View::Main && self.focus == field;
            let row = match field {
                Field::Model => {
                    let mut below = Vec::new();
                    if focused && let Some(s) = self.summary.ready() {
                        let typed = f.model.value().to_lowercase();
                        let known: Vec<String> = s
                            .scope_counts
                            .iter()
                            .filter(|(m, _)| m.to_lowercase().contains(&typed))
                            .take(6)
                            .map(|(m, n)| format!("{m} ({n})"))
                            .collect();
                        if !known.is_empty() {
                            let mut text = format!("models: {}", known.join(" · "));
                            if let Some(c) = self.completion(Field::Model) {
                                text.push_str(&format!("   → completes to {c}"));
                            }
                            below.push(Line::styled(truncate(&text, ew as usize), theme::muted()));
                        }
                    }
                    below.extend(errs(field));
                    labelled(
                        "Model",
                        focused,
                        1,
                        Box::new(move |fr, r| f.model.render(fr, r, None)),
                        below,
                    )
                }
                Field::TargetType => {
                    let sel = f
                        .target
                        .and_then(|t| TargetType::ALL.iter().position(|x| *x == t));
                    let mut line = choice_line(&["item", "criteria", "all"], sel, focused);
                    if f.target.is_none() {
                        let shown = f
                            .object()
                            .get("target_type")
                            .map_or_else(|| "missing".to_string(), |v| v.to_string());
                        line.spans
                            .push(Span::styled(format!("  (now: {shown})"), theme::error()));
                    }
                    labelled(
                        "Target type",
                        focused,
                        1,
                        Box::new(move |fr, r| fr.render_widget(Paragraph::new(line.clone()), r)),
                        errs(field),
                    )
                }
                Field::Identity => labelled(
                    "Target item",
                    focused,
                    1,
                    Box::new(move |fr, r| f.identity.render(fr, r, None)),
                    errs(field),
                ),
                Field::Criteria => {
                    let h = f.criteria.line_count().clamp(1, JSON_MAX) as u16;
                    labelled(
                        "Criteria",
                        focused,
                        h,
                        Box::new(move |fr, r| f.criteria.render(fr, r)),
                        errs(field),
                    )
                }
                Field::Tags => {
                    let mut below = Vec::new();
                    if focused && let Some(c) = self.completion(Field::Tags) {
                        below.push(Line::styled(format!("→ completes to {c}"), theme::muted()));
                    }
                    below.extend(errs(field));
                    labelled(
                        "Tags",
                        focused,
                        1,
                        Box::new(move |fr, r| f.tags.render(fr, r, None)),
                        below,
                    )
                }
                Field::Title => labelled(
                    "Title",
                    focused,
                    1,
                    Box::new(move |fr, r| f.title.render(fr, r, None)),
                    errs(field),
                ),
                Field::Image => labelled(
                    "Image link",
                    focused,
                    1,
                    Box::new(move |fr, r| f.image.render(fr, r, None)),
                    errs(field),
                ),
                Field::MetaOther => {
                    let h = f.meta_other.line_count().clamp(1, JSON_MAX) as u16;
                    labelled(
                        "Other meta",
                        focused,
                        h,
                        Box::new(move |fr, r| f.meta_other.render(fr, r)),
                        errs(field),
                    )
                }
                Field::Pins => self.pins_row(env, focused, width),
            };
            rows.push(row);
        }
        let kept = f.kept_fields();
        if !kept.is_empty() {
            let text = format!(
                "{} (not edited here; sent back as they are)",
                kept.join(", ")
            );
            rows.push(labelled(
                "Kept as is",
                false,
                1,
                Box::new(move |fr, r| {
                    fr.render_widget(
                        Paragraph::new(Line::styled(
                            truncate(&text, r.width as usize),
                            theme::muted(),
                        )),
                        r,
                    )
                }),
                Vec::new(),
            ));
        }
        rows
    }

    fn pins_row<'a>(&'a self, env: &'a Env, focused: bool, width: u16) -> Row<'a> {
        let f = &self.form;
        let n = f.pins.len();
        let range = self.pins_scroll.visible(n, PIN_ROWS);
        let selected = self.pins_scroll.selected;
        let full = width >= 100;
        // Column widths, each with room for one blank after its widest value: the columns
        // never run together (`15 Nov 2026 18:00` is 17 wide).
        const NUM: usize = 4;
        const POS: usize = 9;
        const TYPE: usize = 9;
        const WIDGET: usize = 11;
        const DATE: usize = 18;
        let what_w = if full {
            (width as usize).saturating_sub(2 + NUM + POS + TYPE + WIDGET + 2 * DATE + 10)
        } else {
            (width as usize).saturating_sub(2 + NUM + POS + TYPE + 10)
        }
        .max(8);
        let header = if full {
            format!(
                "  {}{}{}{}{}{}{}now",
                cell("#", NUM),
                cell("position", POS),
                cell("type", TYPE),
                cell("what", what_w),
                cell("widget", WIDGET),
                cell("from", DATE),
                cell("to", DATE)
            )
        } else {
            format!(
                "  {}{}{}{}now",
                cell("#", NUM),
                cell("position", POS),
                cell("type", TYPE),
                cell("what", what_w)
            )
        };
        let mut lines: Vec<Line<'a>> = vec![Line::styled(
            truncate(&header, width as usize),
            theme::header(),
        )];
        if n == 0 {
            lines.push(Line::styled(
                format!(
                    "  no pins yet: {} adds one",
                    env.keymap.hint(Action::AddPin)
                ),
                theme::muted(),
            ));
        }
        for i in range {
            let mark = if f.pin_has_errors(i) { "⚠ " } else { "  " };
            let num = cell(&(i + 1).to_string(), NUM);
            let text = match f.pin(i) {
                Some(m) => {
                    let p = Pin(m);
                    let pos = match p.position() {
                        Some(pos) => pos.to_string(),
                        None => m.get("position").map_or("?".into(), |v| v.to_string()),
                    };
                    let ty = p.pin_type().map_or("?", |t| t.as_str());
                    let what = fmt::pin_what(&p);
                    let state = p.state_at(env.now).as_str();
                    if full {
                        format!(
                            "{mark}{num}{}{}{}{}{}{}{state}",
                            cell(&pos, POS),
                            cell(ty, TYPE),
                            cell(&what, what_w),
                            cell(p.widget_id().unwrap_or(""), WIDGET),
                            cell(&table_date(m.get("active_from"), &env.tz), DATE),
                            cell(&table_date(m.get("active_to"), &env.tz), DATE),
                        )
                    } else {
                        format!(
                            "{mark}{num}{}{}{}{state}",
                            cell(&pos, POS),
                            cell(ty, TYPE),
                            cell(&what, what_w),
                        )
                    }
                }
                None => format!("{mark}{num}(not a JSON object: fix it with the external editor)"),
            };
            let text = truncate(&text, width as usize);
            let style = if i == selected && focused {
                theme::selected()
            } else if f.pin_has_errors(i) {
                Style::new().fg(theme::ERROR)
            } else {
                Style::new()
            };
            lines.push(Line::styled(text, style));
        }
        if focused {
            let k = &env.keymap;
            lines.push(Line::styled(
                truncate(
                    &format!(
                        "  {} edit · {} add · {} duplicate · {} delete · {}/{} move up/down",
                        k.hint(Action::Open),
                        k.hint(Action::AddPin),
                        k.hint(Action::DuplicatePin),
                        k.hint(Action::DeletePin),
                        k.hint(Action::MoveUp),
                        k.hint(Action::MoveDown)
                    ),
                    width as usize,
                ),
                theme::muted(),
            ));
        }
        for e in error_lines(f.errors_at(Place::Field(Field::Pins)), width) {
            lines.push(e);
        }
        let label = label_span(&format!("Pins ({n})"), focused);
        let height = 1 + lines.len() as u16;
        Row {
            height,
            focused,
            draw: Box::new(move |fr, r| {
                let mut all = vec![Line::from(label.clone())];
                all.extend(lines.iter().cloned());
                fr.render_widget(Paragraph::new(all), r);
            }),
        }
    }

    fn pin_rows<'a>(&'a self, i: usize, env: &'a Env, width: u16) -> Vec<Row<'a>> {
        let f = &self.form;
        let Some(p) = f.pins.get(i) else {
            return Vec::new();
        };
        let ew = width.saturating_sub(LABEL_W);
        let errs = |pf: PinField| error_lines(f.errors_at(Place::Pin(i, Some(pf))), ew);
        let mut rows = Vec::new();
        // The pin as a whole: number, state, errors that name no field.
        let mut head = vec![Line::styled(
            format!("Pin {} of {}", i + 1, f.pins.len()),
            theme::title(),
        )];
        if let Some(m) = f.pin(i) {
            head.push(Line::styled(
                truncate(&fmt::pin_sentence(&Pin(m), &env.tz), width as usize),
                theme::muted(),
            ));
        }
        head.extend(error_lines(f.errors_at(Place::Pin(i, None)), width));
        let head_h = head.len() as u16;
        rows.push(Row {
            height: head_h + 1,
            focused: false,
            draw: Box::new(move |fr, r| fr.render_widget(Paragraph::new(head.clone()), r)),
        });
        let fields = p.fields();
        for pf in &fields {
            let pf = *pf;
            let focused = self.pin_focus == pf;
            let row = match pf {
                PinField::Position => {
                    let sel = p
                        .kind
                        .and_then(|k| PosKind::ALL.iter().position(|x| *x == k));
                    let line = choice_line(&["slot N", "global", "block"], sel, focused);
                    // Position errors show under the slot number when it is there.
                    let below = if fields.contains(&PinField::Slot) {
                        Vec::new()
                    } else {
                        errs(PinField::Position)
                    };
                    labelled(
                        "Position",
                        focused,
                        1,
                        Box::new(move |fr, r| fr.render_widget(Paragraph::new(line.clone()), r)),
                        below,
                    )
                }
                PinField::Slot => {
                    let mut below = errs(PinField::Position);
                    if let Some(e) = &p.slot_error {
                        below.insert(0, Line::styled(format!("✗ {e}"), theme::error()));
                    }
                    labelled(
                        "Slot",
                        focused,
                        1,
                        Box::new(move |fr, r| p.slot.render(fr, r, None)),
                        below,
                    )
                }
                PinField::Type => {
                    let sel = match p.pin_type {
                        Some(PinType::Item) => Some(0),
                        Some(PinType::Criteria) => Some(1),
                        None => None,
                    };
                    let line = choice_line(&["item", "criteria"], sel, focused);
                    labelled(
                        "Type",
                        focused,
                        1,
                        Box::new(move |fr, r| fr.render_widget(Paragraph::new(line.clone()), r)),
                        errs(pf),
                    )
                }
                PinField::Identity => labelled(
                    "Item",
                    focused,
                    1,
                    Box::new(move |fr, r| p.identity.render(fr, r, None)),
                    errs(pf),
                ),
                PinField::Criteria => {
                    let h = p.criteria.line_count().clamp(1, JSON_MAX) as u16;
                    let mut below = Vec::new();
                    if let Some(e) = p.criteria.error() {
                        below.extend(error_lines(&[format!("JSON {e}")], ew));
                    } else {
                        below.extend(errs(pf));
                    }
                    labelled(
                        "Criteria",
                        focused,
                        h,
                        Box::new(move |fr, r| p.criteria.render(fr, r)),
                        below,
                    )
                }
                PinField::Widget => labelled(
                    "Widget",
                    focused,
                    1,
                    Box::new(move |fr, r| p.widget.render(fr, r, None)),
                    errs(pf),
                ),
                PinField::Bundle => {
                    let on = f
                        .pin(i)
                        .and_then(|m| m.get("is_bundle_pin"))
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    let mut spans = vec![Span::raw(format!(
                        "[{}] a bundle pin",
                        if on { "x" } else { " " }
                    ))];
                    if focused {
                        spans.push(Span::styled("   Space toggles", theme::muted()));
                    }
                    let line = Line::from(spans);
                    labelled(
                        "Bundle",
                        focused,
                        1,
                        Box::new(move |fr, r| fr.render_widget(Paragraph::new(line.clone()), r)),
                        errs(pf),
                    )
                }
                PinField::From | PinField::To => {
                    let (label, field) = if pf == PinField::From {
                        ("Active from", &p.from)
                    } else {
                        ("Active to", &p.to)
                    };
                    self.date_row(label, field, focused, errs(pf), ew, env)
                }
            };
            rows.push(row);
        }
        let kept = f.kept_pin_fields(i);
        if !kept.is_empty() {
            let text = format!("{} (sent back as they are)", kept.join(", "));
            rows.push(labelled(
                "Kept as is",
                false,
                1,
                Box::new(move |fr, r| {
                    fr.render_widget(
                        Paragraph::new(Line::styled(
                            truncate(&text, r.width as usize),
                            theme::muted(),
                        )),
                        r,
                    )
                }),
                Vec::new(),
            ));
        }
        rows
    }

    fn date_row<'a>(
        &'a self,
        label: &str,
        field: &'a DateField,
        focused: bool,
        errs: Vec<Line<'static>>,
        ew: u16,
        env: &Env,
    ) -> Row<'a> {
        let info: Option<Line<'static>> = match field.state() {
            DateState::Ok { at, send } => Some(Line::styled(
                format!("→ {} · sent as {send}", describe(*at, &env.tz)),
                Style::new().fg(theme::ACCENT),
            )),
            DateState::Empty => None,
            DateState::Invalid(e) => {
                let mut lines = error_lines(std::slice::from_ref(e), ew);
                let first = lines.remove(0);
                return labelled(
                    label,
                    focused,
                    1,
                    Box::new(move |fr, r| field.render(fr, r)),
                    std::iter::once(first).chain(lines).collect(),
                );
            }
        };
        let input_w: u16 = 28;
        let side = ew >= input_w + 30;
        let mut below = Vec::new();
        if !side && let Some(l) = &info {
            below.push(l.clone());
        }
        below.extend(errs);
        labelled(
            label,
            focused,
            1,
            Box::new(move |fr, r| {
                if side {
                    field.render(fr, Rect::new(r.x, r.y, input_w.min(r.width), r.height));
                    if let Some(l) = &info {
                        let x = r.x + input_w + 1;
                        fr.render_widget(
                            Paragraph::new(l.clone()),
                            Rect::new(x, r.y, r.width.saturating_sub(input_w + 1), 1),
                        );
                    }
                } else {
                    field.render(fr, r);
                }
            }),
            below,
        )
    }

    fn render_overlay(&self, frame: &mut Frame, area: Rect, env: &Env, o: &Overlay) {
        let k = &env.keymap;
        let width = area.width.saturating_sub(4).min(100);
        let tw = width.saturating_sub(4) as usize;
        let (title, mut lines, footer, scroll, danger): (String, Vec<Line>, String, usize, bool) =
            match o {
                Overlay::Restore {
                    draft,
                    changes,
                    server_moved,
                } => {
                    let when = draft
                        .saved_at
                        .parse::<jiff::Timestamp>()
                        .map(|t| fmt::date_time(t, &env.tz))
                        .unwrap_or_else(|_| draft.saved_at.clone());
                    let mut lines = vec![Line::raw(format!(
                        "A draft of this form was saved {when}, and not sent."
                    ))];
                    if changes.is_empty() {
                        lines.push(Line::raw("It holds text that did not parse yet."));
                    } else {
                        lines.push(Line::raw(format!(
                            "It changes {} field{}:",
                            changes.len(),
                            if changes.len() == 1 { "" } else { "s" }
                        )));
                        lines.extend(changes.iter().take(12).flat_map(|c| change_lines(c, tw)));
                        if changes.len() > 12 {
                            lines.push(Line::styled(
                                format!("… and {} more", changes.len() - 12),
                                theme::muted(),
                            ));
                        }
                    }
                    if *server_moved {
                        lines.push(Line::raw(""));
                        lines.push(Line::styled(
                            "⚠ The service's version changed since the draft was made; the review before saving shows how.",
                            Style::new().fg(theme::WARN),
                        ));
                    }
                    (
                        " Restore the draft? ".into(),
                        lines,
                        k.hints(&[
                            (Action::Restore, "restore"),
                            (Action::Discard, "discard it"),
                            (Action::Back, "leave (the draft stays)"),
                        ]),
                        0,
                        false,
                    )
                }
                Overlay::Leave => (
                    " Unsaved changes ".into(),
                    vec![
                        Line::raw("This form has changes that are not saved."),
                        Line::raw(""),
                        Line::raw(format!("{}  discard them", k.hint(Action::Discard))),
                        Line::raw(format!(
                            "{}  keep them as a draft (offered when this form is opened again)",
                            k.hint(Action::KeepDraft)
                        )),
                        Line::raw(format!("{}  keep editing", k.hint(Action::Back))),
                    ],
                    String::new(),
                    0,
                    true,
                ),
                Overlay::Problems {
                    title,
                    lines,
                    scroll,
                } => {
                    let mut out = Vec::new();
                    for l in lines {
                        for (i, part) in wrap(l, tw).into_iter().enumerate() {
                            let text = if i == 0 { part } else { format!("  {part}") };
                            out.push(Line::raw(text));
                        }
                    }
                    (
                        format!(" {title} "),
                        out,
                        format!(" {} back to the form ", k.hint(Action::Back)),
                        *scroll,
                        true,
                    )
                }
                Overlay::Warnings(_) => {
                    let mut lines = vec![Line::raw(
                        "The health rules have something to say about this customization:",
                    )];
                    lines.extend(self.warning_lines(env, tw));
                    (
                        " Create anyway? ".into(),
                        lines,
                        k.hints(&[
                            (Action::Confirm, "create anyway"),
                            (Action::Back, "back to the form"),
                        ]),
                        0,
                        true,
                    )
                }
                Overlay::Review(r) => {
                    let mut lines = self.warning_lines(env, tw);
                    if !lines.is_empty() {
                        lines.push(Line::raw(""));
                    }
                    if !r.moved_while_reviewing.is_empty() {
                        lines.push(Line::styled(
                            format!(
                                "⚠ Changed on the service while you reviewed ({} field{}); nothing was sent:",
                                r.moved_while_reviewing.len(),
                                if r.moved_while_reviewing.len() == 1 { "" } else { "s" }
                            ),
                            Style::new().fg(theme::ERROR).add_modifier(Modifier::BOLD),
                        ));
                        lines.extend(
                            r.moved_while_reviewing
                                .iter()
                                .flat_map(|c| change_lines(c, tw)),
                        );
                        lines.push(Line::styled(
                            "  Below is what sending would change now.",
                            Style::new().fg(theme::WARN),
                        ));
                        lines.push(Line::raw(""));
                    }
                    if !r.server_changed.is_empty() {
                        lines.push(Line::styled(
                            format!(
                                "⚠ The service's version changed since this form was opened ({} field{}):",
                                r.server_changed.len(),
                                if r.server_changed.len() == 1 { "" } else { "s" }
                            ),
                            Style::new().fg(theme::WARN).add_modifier(Modifier::BOLD),
                        ));
                        lines.extend(r.server_changed.iter().flat_map(|c| change_lines(c, tw)));
                        lines.push(Line::styled(
                            "  Saving now undoes them, unless the form has the same.",
                            Style::new().fg(theme::WARN),
                        ));
                        lines.push(Line::raw(""));
                    }
                    if r.changes.is_empty() {
                        lines.push(Line::raw(
                            "Nothing to change: the service already has exactly this.",
                        ));
                    } else {
                        let head = format!(
                            "Sending replaces the whole customization. On the service, {}:",
                            if r.changes.len() == 1 {
                                "1 field changes".to_string()
                            } else {
                                format!("{} fields change", r.changes.len())
                            }
                        );
                        lines.extend(wrap(&head, tw.max(8)).into_iter().map(Line::raw));
                        lines.extend(r.changes.iter().flat_map(|c| change_lines(c, tw)));
                    }
                    let send = if r.changes.is_empty() {
                        "close the form"
                    } else {
                        "send"
                    };
                    let footer = if matches!(self.saving, Saving::Rechecking(_)) {
                        format!(
                            " {} checking the service's version… · {} stop ",
                            env.spinner_glyph(),
                            k.hint(Action::Back)
                        )
                    } else {
                        k.hints(&[(Action::Confirm, send), (Action::Back, "back to the form")])
                    };
                    (
                        format!(" Review: replace {} ", self.id().unwrap_or("")),
                        lines,
                        footer,
                        r.scroll,
                        false,
                    )
                }
            };
        let max_h = area.height.saturating_sub(2);
        let height = (lines.len() as u16 + 2).min(max_h).max(3);
        let rect = centered(area, width, height);
        frame.render_widget(Clear, rect);
        let border = if danger {
            Style::new().fg(theme::WARN)
        } else {
            Style::new().fg(theme::ACCENT)
        };
        let mut block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(border)
            .title(Span::styled(title, theme::title()));
        if !footer.is_empty() {
            block = block.title_bottom(Line::from(footer).right_aligned());
        }
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let visible = inner.height as usize;
        let start = scroll.min(lines.len().saturating_sub(visible));
        let shown: Vec<Line> = lines.drain(start..).take(visible).collect();
        frame.render_widget(Paragraph::new(shown), inner);
    }
}

/// Draws the rows that fit, scrolled so the focused one is fully in view.
/// Where each row starts, and how far the rows are scrolled so the focused one is in view.
fn layout_rows(rows: &[Row], height: u16) -> (Vec<u32>, u32) {
    let mut tops = Vec::with_capacity(rows.len());
    let mut y: u32 = 0;
    for r in rows {
        tops.push(y);
        y += u32::from(r.height);
    }
    let h = u32::from(height);
    let offset = rows.iter().position(|r| r.focused).map_or(0, |i| {
        let bottom = tops[i] + u32::from(rows[i].height);
        let offset = bottom.saturating_sub(h);
        offset.min(tops[i])
    });
    (tops, offset)
}

fn draw_rows(frame: &mut Frame, area: Rect, rows: &[Row]) {
    let (tops, offset) = layout_rows(rows, area.height);
    let h = u32::from(area.height);
    for (r, top) in rows.iter().zip(tops) {
        if top < offset {
            continue;
        }
        let rel = top - offset;
        if rel >= h {
            break;
        }
        let height = u32::from(r.height).min(h - rel) as u16;
        (r.draw)(
            frame,
            Rect::new(area.x, area.y + rel as u16, area.width, height),
        );
    }
}
