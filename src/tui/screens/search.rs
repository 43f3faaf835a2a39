//! `/` on browse with a mirror: searches the whole tracker as you type (every word a
//! prefix, ranked), with the matching words highlighted; Enter opens one.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use crate::api::Customization;
use crate::mirror::Stored;
use crate::tui::keys::{Action, Context};
use crate::tui::msg::{ApiEvent, ApiReply, ApiRequest, Remote};
use crate::tui::screens::{Ctx, Env, Input, Route, Screen};
use crate::tui::widgets::finder::Finder;
use crate::tui::widgets::text_field::TextField;
use crate::tui::widgets::{theme, truncate};

/// How many hits a keystroke asks for.
pub const LIMIT: usize = 200;

/// The whole-tracker search.
pub struct Search {
    field: TextField,
    hits: Remote<Vec<Stored>>,
    cursor: usize,
    /// Only one-character words typed: not searched yet (one letter matches nearly every
    /// row, and ranking them all would keep the next keystroke waiting).
    too_short: bool,
    /// `*` asked for every match, for browse's selection.
    selecting: Option<crate::tui::msg::ReqId>,
}

impl Default for Search {
    fn default() -> Self {
        Search::new()
    }
}

/// Splits `text` into spans, the parts that start with one of `words` (case aside)
/// highlighted: what the search matched, as the user typed it.
pub fn highlight(text: &str, words: &[String], base: Style) -> Vec<Span<'static>> {
    let hl = base.add_modifier(Modifier::BOLD).fg(theme::ACCENT);
    let mut spans = Vec::new();
    let mut plain = String::new();
    let mut prev: Option<char> = None;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let at_word_start = prev.is_none_or(|p| !p.is_alphanumeric()) && c.is_alphanumeric();
        let hit = if at_word_start {
            let lower = rest.to_lowercase();
            words
                .iter()
                .filter(|w| !w.is_empty() && lower.starts_with(w.as_str()))
                .map(|w| w.chars().count())
                .max()
        } else {
            None
        };
        match hit {
            Some(n) => {
                if !plain.is_empty() {
                    spans.push(Span::styled(std::mem::take(&mut plain), base));
                }
                let end = rest.char_indices().nth(n).map_or(rest.len(), |(i, _)| i);
                spans.push(Span::styled(rest[..end].to_string(), hl));
                prev = rest[..end].chars().last();
                rest = &rest[end..];
            }
            None => {
                plain.push(c);
                prev = Some(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if !plain.is_empty() {
        spans.push(Span::styled(plain, base));
    }
    spans
}

/// The words of a query as the index sees them: lower case, split at anything that is not
/// a letter, a digit, `-` or `_` (those two stay inside a word: `w-home`), without a `-` or
/// `_` at either end.
pub fn query_words(query: &str) -> Vec<String> {
    let joiner = |c: char| c == '-' || c == '_';
    query
        .split(|c: char| !(c.is_alphanumeric() || joiner(c)))
        .map(|w| w.trim_matches(joiner))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

impl Search {
    pub const NAME: &'static str = "search";

    pub fn new() -> Search {
        Search {
            field: TextField::new("type to search the whole tracker"),
            hits: Remote::Idle,
            cursor: 0,
            too_short: false,
            selecting: None,
        }
    }

    /// The hits shown now.
    pub fn hits(&self) -> &[Stored] {
        match &self.hits {
            Remote::Ready(h) => h,
            _ => &[],
        }
    }

    fn ask(&mut self, ctx: &mut Ctx) {
        let query = self.field.value().to_string();
        let longest = query_words(&query)
            .iter()
            .map(|w| w.chars().count())
            .max()
            .unwrap_or(0);
        self.too_short = longest == 1;
        if crate::mirror::fts_query(&query).is_none() || self.too_short {
            self.hits = Remote::Idle;
            self.cursor = 0;
            return;
        }
        let id = ctx.request(ApiRequest::MirrorSearch {
            query,
            limit: LIMIT,
        });
        self.hits = Remote::Loading(id);
    }

    /// `*`: every match of the query, not just the hits shown, joins browse's selection.
    fn select_all(&mut self, ctx: &mut Ctx) {
        let query = self.field.value().to_string();
        if self.too_short || crate::mirror::fts_query(&query).is_none() {
            ctx.toast("Type a search first: * selects everything it finds");
            return;
        }
        self.selecting = Some(ctx.request(ApiRequest::SearchIds { query }));
    }

    fn open_selected(&self, ctx: &mut Ctx) {
        if let Some(c) = self.hits().get(self.cursor).and_then(Stored::customization) {
            ctx.open(Route::Detail(c));
        }
    }

    fn row_line(s: &Stored, words: &[String], width: usize, selected: bool) -> Line<'static> {
        let base = if selected {
            theme::selected()
        } else {
            Style::new()
        };
        let short: String = s.id.chars().take(8).collect();
        let mut text = format!(
            "{short}  {:<14} {}",
            truncate(s.model.as_deref().unwrap_or(""), 14),
            s.target_label()
        );
        if let Some(t) = &s.title {
            text.push_str(" · ");
            text.push_str(t);
        }
        if !s.tags.is_empty() {
            text.push_str("  #");
            text.push_str(&s.tags.join(" #"));
        }
        let text: String = truncate(&text, width)
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        Line::from(highlight(&text, words, base)).style(base)
    }
}

impl Screen for Search {
    fn name(&self) -> &'static str {
        Search::NAME
    }

    fn context(&self) -> Context {
        Context::BrowseSearch
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        let n = self.hits().len();
        match input {
            Input::Action(Action::Back) => ctx.close(),
            Input::Action(Action::Confirm) => self.open_selected(ctx),
            Input::Action(Action::Up) => self.cursor = self.cursor.saturating_sub(1),
            Input::Action(Action::Down) => self.cursor = (self.cursor + 1).min(n.saturating_sub(1)),
            Input::Action(Action::PageUp) => self.cursor = self.cursor.saturating_sub(10),
            Input::Action(Action::PageDown) => {
                self.cursor = (self.cursor + 10).min(n.saturating_sub(1))
            }
            // `*` is no part of a search word, so the key browse selects everything with
            // selects every match here.
            Input::Key(k)
                if ctx.env.keymap.resolve(Context::Browse, &k) == Some(Action::SelectAll) =>
            {
                self.select_all(ctx)
            }
            Input::Key(k) => {
                if self.field.input(k) {
                    self.ask(ctx);
                }
            }
            Input::Action(_) => {}
        }
    }

    fn on_paste(&mut self, text: &str, ctx: &mut Ctx) {
        if self.field.paste(text) {
            self.ask(ctx);
        }
    }

    fn on_api(&mut self, ev: &ApiEvent, ctx: &mut Ctx) {
        if self.selecting == Some(ev.id) {
            self.selecting = None;
            match &ev.result {
                Ok(ApiReply::SearchSelection { ids, .. }) => {
                    ctx.toast(format!("{} found, added to browse's selection", ids.len()))
                }
                Ok(_) => {}
                Err(e) => ctx.toast_error(format!("Could not select the matches: {e}")),
            }
            return;
        }
        if !self.hits.waits_for(ev.id) {
            return;
        }
        match &ev.result {
            Ok(ApiReply::MirrorHits { hits, .. }) => {
                self.hits = Remote::Ready(hits.clone());
                self.cursor = 0;
            }
            Ok(_) => {}
            Err(e) => self.hits = Remote::Failed(e.clone()),
        }
    }

    fn counts(&self) -> Option<String> {
        match &self.hits {
            Remote::Ready(h) if h.len() >= LIMIT => Some(format!("{LIMIT}+ found")),
            Remote::Ready(h) => Some(format!("{} found", h.len())),
            _ => None,
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let k = &env.keymap;
        let words = query_words(self.field.value());
        let note = match &self.hits {
            Remote::Idle if self.too_short => Line::styled(
                "type one more character: a single letter matches nearly everything",
                theme::muted(),
            ),
            Remote::Idle => Line::styled(
                "identities, titles, metadata, criteria, tags, pins, widgets and ids; every word a prefix",
                theme::muted(),
            ),
            Remote::Loading(_) => Line::raw(format!("{} searching…", env.spinner_glyph())),
            Remote::Failed(e) => Line::styled(truncate(&e.to_string(), 200), theme::error()),
            Remote::Ready(h) if h.is_empty() => Line::styled("nothing found", theme::muted()),
            Remote::Ready(h) => {
                Line::styled(format!("{} found, best first", h.len()), theme::muted())
            }
        };
        let hits = self.hits();
        Finder {
            title: "Search the whole tracker",
            hints: format!(
                " {} open · {}/{} move · {} select all · {} back ",
                k.hint(Action::Confirm),
                k.hint(Action::Up),
                k.hint(Action::Down),
                k.hint_in(Context::Browse, Action::SelectAll),
                k.hint(Action::Back)
            ),
            field: &self.field,
            field_block: Block::bordered(),
            note,
            len: hits.len(),
            cursor: self.cursor,
        }
        .render(frame, area, |i, width, selected| {
            Search::row_line(&hits[i], &words, width, selected)
        });
    }
}

/// A customization known only by the columns of a mirror row: enough for the detail to
/// fetch the current version.
pub fn skeleton(id: &str, model: Option<&str>) -> Customization {
    let mut c = Customization::new();
    c.set("id", serde_json::Value::String(id.to_string()));
    if let Some(m) = model {
        c.set("model", serde_json::Value::String(m.to_string()));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_word_prefixes_only() {
        let words = query_words("fend /p/27");
        assert_eq!(words, ["fend", "p", "27"]);
        assert_eq!(
            bold(&highlight(
                "Fender at /p/274 defender",
                &words,
                Style::new()
            )),
            ["Fend", "p", "27"]
        );
        // `-` stays inside a word; a part after one is a word start of its own.
        let words = query_words("holiday-g -home_");
        assert_eq!(words, ["holiday-g", "home"]);
        assert_eq!(
            bold(&highlight(
                "#holiday-gifts w-home-top gear",
                &words,
                Style::new()
            )),
            ["holiday-g", "home"]
        );
    }

    /// The highlighted parts.
    fn bold(spans: &[Span<'static>]) -> Vec<String> {
        spans
            .iter()
            .filter(|s| s.style.add_modifier.contains(Modifier::BOLD))
            .map(|s| s.content.to_string())
            .collect()
    }
}
