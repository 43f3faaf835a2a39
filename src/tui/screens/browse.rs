//! The home screen: a table of customizations, paged from the list endpoint as the user
//! scrolls, with server-side filters and sort and a fuzzy narrowing of the loaded rows.

use crate::tui::widgets::dialog;
use std::collections::HashSet;

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use jiff::tz::TimeZone;
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use crate::api::{Customization, ExportQuery, ListQuery, Summary, TargetType};
use crate::batch::Outcome;
use crate::tui::fmt;
use crate::tui::keys::{Action, Context};
use crate::tui::msg::{ApiEvent, ApiReply, ApiRequest, Remote};
use crate::tui::msg::{BatchReply, ImportReply};
use crate::tui::screens::{Ctx, Env, Input, Route, Screen};
use crate::tui::widgets::list::Scroll;
use crate::tui::widgets::text_field::TextField;
use crate::tui::widgets::{centered, theme, truncate};

/// Rows asked for per request.
pub const PAGE_SIZE: u32 = 100;

/// The sort orders `s` cycles through (the list endpoint's `sort`).
pub const SORTS: [&str; 6] = [
    "created_at:desc",
    "created_at:asc",
    "model:asc",
    "model:desc",
    "target_type:asc",
    "target_type:desc",
];

/// One loaded customization, with the text of its cells worked out once.
#[derive(Debug, Clone)]
pub struct Row {
    pub c: Customization,
    pub id: String,
    pub model: String,
    pub target: String,
    pub pins: usize,
    pub tags: String,
    pub created: String,
    /// What `/` matches against, converted once.
    haystack: Utf32String,
}

impl Row {
    pub fn new(c: Customization, tz: &TimeZone) -> Row {
        let id = c.id().unwrap_or("").to_string();
        let model = c.model().unwrap_or("").to_string();
        let kind = c.target_type().map_or("?", TargetType::as_str);
        let mut target = match c.target_type() {
            Some(TargetType::All) => "all".to_string(),
            _ => format!("{kind} {}", c.target_label()),
        };
        if let Some(title) = c.title() {
            target.push_str(" · ");
            target.push_str(title);
        }
        let tags = c.tags().collect::<Vec<_>>().join(", ");
        let created = c
            .created_at_ts()
            .map(|t| fmt::date(t, tz))
            .unwrap_or_default();
        let haystack = Utf32String::from(
            format!("{id} {model} {} {tags}", target.replace(" · ", " ")).as_str(),
        );
        Row {
            pins: c.pin_count(),
            c,
            id,
            model,
            target,
            tags,
            created,
            haystack,
        }
    }
}

/// The server-side filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub models: Vec<String>,
    pub tags: Vec<String>,
    pub target_types: Vec<TargetType>,
    pub identity: String,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
            && self.tags.is_empty()
            && self.target_types.is_empty()
            && self.identity.trim().is_empty()
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.models.is_empty() {
            parts.push(format!("model={}", self.models.join("|")));
        }
        if !self.tags.is_empty() {
            parts.push(format!("tag={}", self.tags.join("|")));
        }
        if !self.target_types.is_empty() {
            let t: Vec<&str> = self.target_types.iter().map(|t| t.as_str()).collect();
            parts.push(format!("type={}", t.join("|")));
        }
        if !self.identity.trim().is_empty() {
            parts.push(format!("identity={}", self.identity.trim()));
        }
        parts.join(" ")
    }

    /// The export requests that together select what these filters select: one per
    /// combination of their values (the export endpoint takes one value per filter).
    pub fn export_queries(&self) -> Vec<ExportQuery> {
        let filters = self;
        fn or_all(v: Vec<String>) -> Vec<Option<String>> {
            if v.is_empty() {
                vec![None]
            } else {
                v.into_iter().map(Some).collect()
            }
        }
        let models = or_all(filters.models.clone());
        let tags = or_all(filters.tags.clone());
        let types = or_all(
            filters
                .target_types
                .iter()
                .map(|t| t.as_str().to_string())
                .collect(),
        );
        let identity = Some(filters.identity.trim().to_string()).filter(|s| !s.is_empty());
        let mut out = Vec::new();
        for m in &models {
            for t in &tags {
                for ty in &types {
                    out.push(ExportQuery {
                        model: m.clone(),
                        tag: t.clone(),
                        target_type: ty.clone(),
                        target_identity: identity.clone(),
                        remove_expired_pins: false,
                        remove_nonexisting_item_pins: false,
                    });
                }
            }
        }
        out
    }

    /// What the filters select, in words, for the export dialog.
    pub fn in_words(&self) -> String {
        if self.is_empty() {
            return "every customization (no filter is set)".to_string();
        }
        let mut parts = Vec::new();
        if !self.models.is_empty() {
            parts.push(format!("model {}", self.models.join(" or ")));
        }
        if !self.tags.is_empty() {
            parts.push(format!("tag {}", self.tags.join(" or ")));
        }
        if !self.target_types.is_empty() {
            let t: Vec<&str> = self.target_types.iter().map(|t| t.as_str()).collect();
            parts.push(format!("target type {}", t.join(" or ")));
        }
        if !self.identity.trim().is_empty() {
            parts.push(format!("target identity {}", self.identity.trim()));
        }
        format!("the customizations with {}", parts.join(", "))
    }
}

fn toggle<T: PartialEq>(list: &mut Vec<T>, value: T) {
    if let Some(i) = list.iter().position(|v| *v == value) {
        list.remove(i);
    } else {
        list.push(value);
    }
}

/// The filter panel's sections.
const SECTIONS: [&str; 4] = ["Model", "Tag", "Target type", "Target identity"];

#[derive(Debug, Clone, Default)]
struct FilterPanel {
    section: usize,
    cursor: [usize; 3],
    identity: TextField,
}

enum Mode {
    Table,
    Search,
    Filter(Box<FilterPanel>),
    /// `s`: the sort orders listed, this one under the cursor.
    Sort(usize),
}

/// What each of [`SORTS`] means, for the sort picker.
const SORT_WORDS: [&str; 6] = [
    "newest first",
    "oldest first",
    "model A to Z",
    "model Z to A",
    "target type A to Z",
    "target type Z to A",
];

/// Areas of the browse screen, computed the same way for drawing and for mouse clicks.
struct Areas {
    table: Rect,
    header: Rect,
    body: Rect,
    footer: Rect,
}

fn areas(area: Rect, footer: bool) -> Areas {
    let [table, footer_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(u16::from(footer))]).areas(area);
    let inner = Block::bordered().inner(table);
    let [header, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    Areas {
        table,
        header,
        body,
        footer: footer_area,
    }
}

/// The browse screen.
pub struct Browse {
    rows: Vec<Row>,
    ids: HashSet<String>,
    total: Option<u64>,
    /// The latest page request.
    page: Remote<()>,
    summary: Remote<Summary>,
    filters: Filters,
    sort: usize,
    search: TextField,
    /// Indices into `rows`, best match first, while `/` narrows.
    narrowed: Option<Vec<u32>>,
    /// The query `narrowed` was computed for.
    narrowed_for: String,
    scroll: Scroll,
    mode: Mode,
    matcher: Matcher,
    page_size: u32,
    /// Where the import screen keeps recent files and reports (`None`: the data dir).
    data_dir: Option<std::path::PathBuf>,
    /// A refresh is asked for: the rows shown stay until its first page comes (a failed
    /// refresh keeps them).
    refreshing: bool,
}

impl Default for Browse {
    fn default() -> Self {
        Browse::new()
    }
}

impl Browse {
    pub const NAME: &'static str = "browse";

    pub fn new() -> Browse {
        Browse {
            rows: Vec::new(),
            ids: HashSet::new(),
            total: None,
            page: Remote::Idle,
            summary: Remote::Idle,
            filters: Filters::default(),
            sort: 0,
            search: TextField::new("type to narrow the loaded rows"),
            narrowed: None,
            narrowed_for: String::new(),
            scroll: Scroll::default(),
            mode: Mode::Table,
            matcher: Matcher::new(Config::DEFAULT),
            page_size: PAGE_SIZE,
            data_dir: None,
            refreshing: false,
        }
    }

    /// Asks for `page_size` rows a request instead of [`PAGE_SIZE`].
    pub fn with_page_size(mut self, n: u32) -> Browse {
        self.page_size = n.max(1);
        self
    }

    /// Keeps the import screen's recent files and reports under `dir` instead of the data
    /// dir.
    pub fn with_data_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Browse {
        self.data_dir = Some(dir.into());
        self
    }

    /// The loaded rows, in server order.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn filters(&self) -> &Filters {
        &self.filters
    }

    /// How many rows are shown (after narrowing).
    pub fn shown(&self) -> usize {
        self.narrowed.as_ref().map_or(self.rows.len(), Vec::len)
    }

    /// The ids a batch change works on: the cursor row's.
    pub fn selected_ids(&self) -> Vec<String> {
        self.row_at(self.scroll.selected)
            .and_then(|r| r.c.id())
            .map(|id| vec![id.to_string()])
            .unwrap_or_default()
    }

    fn row_at(&self, i: usize) -> Option<&Row> {
        match &self.narrowed {
            Some(n) => n.get(i).and_then(|&r| self.rows.get(r as usize)),
            None => self.rows.get(i),
        }
    }

    fn query(&self, offset: u64) -> ListQuery {
        let ident = self.filters.identity.trim();
        ListQuery {
            models: self.filters.models.clone(),
            tags: self.filters.tags.clone(),
            target_types: self
                .filters
                .target_types
                .iter()
                .map(|t| t.as_str().to_string())
                .collect(),
            target_identities: if ident.is_empty() {
                Vec::new()
            } else {
                vec![ident.to_string()]
            },
            sort: Some(SORTS[self.sort].to_string()),
            limit: Some(self.page_size),
            offset: Some(offset),
            criteria: Vec::new(),
        }
    }

    fn more_on_server(&self) -> bool {
        self.total.is_none_or(|t| (self.rows.len() as u64) < t)
    }

    /// Asks for the next page unless one is on its way or everything is loaded.
    fn load_more(&mut self, ctx: &mut Ctx) {
        if self.page.is_loading() || self.refreshing || !self.more_on_server() {
            return;
        }
        let id = ctx.request(ApiRequest::List(self.query(self.rows.len() as u64)));
        self.page = Remote::Loading(id);
    }

    /// Forgets the rows and loads from the first page (filters or sort changed, or `r`).
    fn reload(&mut self, ctx: &mut Ctx) {
        self.refreshing = false;
        self.rows.clear();
        self.ids.clear();
        self.total = None;
        self.narrowed = self.narrowed.as_ref().map(|_| Vec::new());
        self.scroll = Scroll::default();
        self.page = Remote::Idle;
        self.load_more(ctx);
    }

    /// Loads the same query again from its first page, keeping the rows on screen until
    /// the answer comes: a refresh that fails leaves the list as it was.
    fn refresh(&mut self, ctx: &mut Ctx) {
        if self.rows.is_empty() {
            self.reload(ctx);
            return;
        }
        self.refreshing = true;
        let id = ctx.request(ApiRequest::List(self.query(0)));
        self.page = Remote::Loading(id);
    }

    fn load_summary(&mut self, ctx: &mut Ctx) {
        let id = ctx.request(ApiRequest::Summary);
        self.summary = Remote::Loading(id);
    }

    fn body_height(&self, ctx: &Ctx) -> usize {
        areas(ctx.area, self.has_footer()).body.height as usize
    }

    fn has_footer(&self) -> bool {
        matches!(self.mode, Mode::Search) || self.narrowed.is_some()
    }

    /// Loads more when the selection comes near the end of what is loaded.
    fn after_move(&mut self, ctx: &mut Ctx) {
        let h = self.body_height(ctx).max(1);
        if self.narrowed.is_none() && self.scroll.selected + 2 * h >= self.rows.len() {
            self.load_more(ctx);
        }
    }

    fn move_by(&mut self, delta: isize, ctx: &mut Ctx) {
        let h = self.body_height(ctx);
        self.scroll.move_by(delta, self.shown(), h);
        self.after_move(ctx);
    }

    /// Narrows all loaded rows again (rows arrived or went).
    fn renarrow(&mut self) {
        self.narrow(false);
    }

    /// Narrows after the user typed: may look only at the rows that matched before.
    fn renarrow_typed(&mut self) {
        self.narrow(true);
    }

    fn narrow(&mut self, incremental: bool) {
        let query = self.search.value().trim().to_string();
        let query = query.as_str();
        if query.is_empty() {
            self.narrowed_for.clear();
            self.narrowed = if matches!(self.mode, Mode::Search) {
                Some((0..self.rows.len() as u32).collect())
            } else {
                None
            };
            return;
        }
        // Typing on extends the query: only the rows that matched before can match now
        // (unless the query uses the pattern syntax, where that need not hold).
        let extends = incremental
            && !self.narrowed_for.is_empty()
            && query.starts_with(self.narrowed_for.as_str())
            && !query.contains(['!', '^', '$', '\'', '\\']);
        let candidates: Vec<u32> = match (&self.narrowed, extends) {
            (Some(n), true) => {
                let mut c = n.clone();
                c.sort_unstable();
                c
            }
            _ => (0..self.rows.len() as u32).collect(),
        };
        let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
        let mut hits: Vec<(u32, u32)> = Vec::new();
        for i in candidates {
            if let Some(row) = self.rows.get(i as usize)
                && let Some(score) = pattern.score(row.haystack.slice(..), &mut self.matcher)
            {
                hits.push((score, i));
            }
        }
        hits.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        self.narrowed_for = query.to_string();
        self.narrowed = Some(hits.into_iter().map(|(_, i)| i).collect());
    }

    fn clear_narrowing(&mut self) {
        self.search.clear();
        self.narrowed = None;
        self.mode = Mode::Table;
    }

    fn open_selected(&mut self, ctx: &mut Ctx) {
        if let Some(row) = self.row_at(self.scroll.selected) {
            ctx.open(Route::Detail(row.c.clone()));
        }
    }

    fn on_table_action(&mut self, action: Action, ctx: &mut Ctx) {
        let h = self.body_height(ctx) as isize;
        match action {
            Action::Quit => ctx.quit(),
            Action::Back if self.narrowed.is_some() => self.clear_narrowing(),
            Action::Up => self.move_by(-1, ctx),
            Action::Down => self.move_by(1, ctx),
            Action::PageUp => self.move_by(-h.max(1), ctx),
            Action::PageDown => self.move_by(h.max(1), ctx),
            Action::Top => self.move_by(isize::MIN / 2, ctx),
            Action::Bottom => self.move_by(isize::MAX / 2, ctx),
            Action::Open => self.open_selected(ctx),
            Action::Lookup => ctx.open(Route::Lookup),
            Action::New if ctx.env.profile.read_only => ctx.toast_error(format!(
                "Profile {} is read-only: creating is turned off",
                ctx.env.profile.label
            )),
            Action::Batch => {
                let ids = self.selected_ids();
                if ids.is_empty() {
                    ctx.toast_error("Nothing selected to change");
                } else {
                    ctx.open(Route::Batch { ids, draft: None });
                }
            }
            Action::History => ctx.open(Route::History),
            Action::Agenda => ctx.open(Route::Agenda),
            Action::Health => ctx.open(Route::Health),
            Action::New => ctx.open(Route::Create),
            // With a mirror, `/` searches the whole tracker; without, it narrows the
            // loaded rows.
            Action::Search if ctx.env.mirror.is_some() => ctx.open(Route::Search),
            Action::Search => {
                self.mode = Mode::Search;
                self.renarrow();
            }
            Action::WherePinned if ctx.env.mirror.is_some() => ctx.open(Route::WherePinned),
            Action::WherePinned => {
                ctx.toast_error("Where-pinned needs the local mirror (pinscope sync)".to_string())
            }
            Action::Filter => {
                if !self.summary.is_loading() && self.summary.ready().is_none() {
                    self.load_summary(ctx);
                }
                let mut panel = FilterPanel::default();
                panel.identity.set_value(&self.filters.identity);
                panel.identity.set_focused(false);
                self.mode = Mode::Filter(Box::new(panel));
            }
            // A picker: the orders listed, not cycled through blindly.
            Action::Sort => self.mode = Mode::Sort(self.sort),
            Action::ClearFilters => {
                let had_filters = !self.filters.is_empty();
                self.filters = Filters::default();
                self.clear_narrowing();
                if had_filters {
                    self.reload(ctx);
                }
            }
            Action::Refresh => {
                self.refresh(ctx);
                self.load_summary(ctx);
                if ctx.env.mirror.as_ref().is_some_and(|m| m.syncing.is_none()) {
                    ctx.request(ApiRequest::MirrorSync);
                }
            }
            Action::Import => {
                if ctx.env.profile.read_only {
                    ctx.toast_error(format!(
                        "Profile {} is read-only: importing is turned off",
                        ctx.env.profile.label
                    ));
                } else {
                    let dir = self.data_dir.clone().or_else(crate::config::data_dir);
                    ctx.open(Route::Import(dir));
                }
            }
            Action::Export => {
                ctx.open(Route::Export {
                    queries: self.filters.export_queries(),
                    about: self.filters.in_words(),
                });
            }
            _ => {}
        }
    }

    fn on_search_input(&mut self, input: Input, ctx: &mut Ctx) {
        match input {
            Input::Action(Action::Back) => {
                self.clear_narrowing();
                self.scroll = Scroll::default();
            }
            // Enter opens the selected row at once (the narrowing stays for when you come
            // back); with nothing typed it just closes the prompt.
            Input::Action(Action::Confirm) => {
                self.mode = Mode::Table;
                if self.search.value().trim().is_empty() {
                    self.narrowed = None;
                } else {
                    self.open_selected(ctx);
                }
            }
            Input::Action(Action::Up) => self.move_by(-1, ctx),
            Input::Action(Action::Down) => self.move_by(1, ctx),
            Input::Action(Action::PageUp) => {
                let h = self.body_height(ctx) as isize;
                self.move_by(-h, ctx)
            }
            Input::Action(Action::PageDown) => {
                let h = self.body_height(ctx) as isize;
                self.move_by(h, ctx)
            }
            Input::Key(k) => {
                if self.search.input(k) {
                    self.renarrow_typed();
                    self.scroll = Scroll::default();
                }
            }
            Input::Action(_) => {}
        }
    }

    fn filter_choices(&self, section: usize) -> Vec<(String, bool)> {
        match section {
            0 => self
                .summary
                .ready()
                .map(|s| {
                    s.counts()
                        .into_iter()
                        .map(|(m, n)| {
                            let on = self.filters.models.contains(&m);
                            (format!("{m} ({n})"), on)
                        })
                        .collect()
                })
                .unwrap_or_default(),
            1 => self
                .summary
                .ready()
                .map(|s| {
                    s.user_tags
                        .iter()
                        .map(|t| (t.clone(), self.filters.tags.contains(t)))
                        .collect()
                })
                .unwrap_or_default(),
            2 => TargetType::ALL
                .iter()
                .map(|t| (t.to_string(), self.filters.target_types.contains(t)))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn on_filter_input(&mut self, input: Input, ctx: &mut Ctx) {
        let Mode::Filter(panel) = &mut self.mode else {
            return;
        };
        let section = panel.section;
        let mut apply_identity = false;
        let mut toggled: Option<usize> = None;
        let mut close = false;
        match input {
            Input::Action(Action::Back | Action::Confirm) => {
                apply_identity = true;
                close = true;
            }
            Input::Action(Action::NextField) => {
                panel.section = (section + 1) % SECTIONS.len();
                apply_identity = section == 3;
            }
            Input::Action(Action::PrevField) => {
                panel.section = (section + SECTIONS.len() - 1) % SECTIONS.len();
                apply_identity = section == 3;
            }
            Input::Action(Action::Up) if section < 3 => {
                panel.cursor[section] = panel.cursor[section].saturating_sub(1);
            }
            Input::Action(Action::Down) if section < 3 => {
                panel.cursor[section] += 1;
            }
            Input::Action(Action::Toggle) if section < 3 => toggled = Some(panel.cursor[section]),
            Input::Action(Action::ClearFilters) => {
                panel.identity.clear();
                self.filters = Filters::default();
                self.reload(ctx);
                return;
            }
            Input::Key(k) if section == 3 => {
                panel.identity.input(k);
            }
            _ => {}
        }
        if let Mode::Filter(panel) = &mut self.mode {
            panel.identity.set_focused(panel.section == 3);
            let len = self.filter_choices(section).len();
            if section < 3 {
                let Mode::Filter(panel) = &mut self.mode else {
                    return;
                };
                panel.cursor[section] = panel.cursor[section].min(len.saturating_sub(1));
            }
        }
        let mut changed = false;
        if let Some(i) = toggled {
            match section {
                0 => {
                    if let Some((m, _)) = self
                        .summary
                        .ready()
                        .and_then(|s| s.counts().into_iter().nth(i))
                    {
                        toggle(&mut self.filters.models, m);
                        changed = true;
                    }
                }
                1 => {
                    if let Some(t) = self
                        .summary
                        .ready()
                        .and_then(|s| s.user_tags.get(i).cloned())
                    {
                        toggle(&mut self.filters.tags, t);
                        changed = true;
                    }
                }
                2 => {
                    if let Some(&t) = TargetType::ALL.get(i) {
                        toggle(&mut self.filters.target_types, t);
                        changed = true;
                    }
                }
                _ => {}
            }
        }
        if apply_identity && let Mode::Filter(panel) = &self.mode {
            let ident = panel.identity.value().trim().to_string();
            if ident != self.filters.identity {
                self.filters.identity = ident;
                changed = true;
            }
        }
        if close {
            self.mode = Mode::Table;
        }
        if changed {
            self.reload(ctx);
        }
    }

    fn on_page(&mut self, result: &Result<ApiReply, crate::api::ApiError>, ctx: &mut Ctx) {
        match result {
            Ok(ApiReply::Page(page)) => {
                self.page = Remote::Ready(());
                if self.refreshing {
                    // The refresh's first page: it replaces what was shown.
                    self.refreshing = false;
                    self.rows.clear();
                    self.ids.clear();
                    if self.narrowed.is_some() {
                        self.narrowed = Some(Vec::new());
                    }
                }
                self.total = Some(page.total);
                let got = page.results.len();
                for c in &page.results {
                    let row = Row::new(c.clone(), &ctx.env.tz);
                    if self.ids.insert(row.id.clone()) {
                        self.rows.push(row);
                    }
                }
                if got == 0 {
                    // The server has fewer than it said (rows deleted meanwhile).
                    self.total = Some(self.rows.len() as u64);
                }
                if self.narrowed.is_some() {
                    self.renarrow();
                }
                let h = self.body_height(ctx);
                self.scroll.fit(self.shown(), h);
                self.after_move(ctx);
            }
            Ok(_) => {}
            Err(e) => {
                self.page = Remote::Failed(e.clone());
                // The rows stay; the whole error, scrollable, over them.
                ctx.open(Route::Error {
                    title: "Could not load the customizations".into(),
                    error: e.clone(),
                });
            }
        }
    }

    fn remove_row(&mut self, id: &str, ctx: &Ctx) {
        if !self.ids.remove(id) {
            return;
        }
        self.rows.retain(|r| r.id != id);
        self.total = self.total.map(|t| t.saturating_sub(1));
        if self.narrowed.is_some() {
            self.renarrow();
        }
        let h = self.body_height(ctx);
        self.scroll.fit(self.shown(), h);
    }

    fn render_table(&self, frame: &mut Frame, a: &Areas, env: &Env) {
        let width = a.table.width;
        let title = {
            let mut spans = vec![Span::styled(" Customizations ", theme::title())];
            if let Some(t) = self.total {
                spans.push(Span::raw(format!("{t} ")));
            }
            if width >= 60 {
                spans.push(Span::styled(
                    format!("· {} ", SORTS[self.sort].replace(':', " ")),
                    theme::muted(),
                ));
            }
            if !self.filters.is_empty() {
                spans.push(Span::styled(
                    format!("· {} ", self.filters.describe()),
                    Style::new().fg(theme::WARN),
                ));
            }
            Line::from(spans)
        };
        let k = &env.keymap;
        // `/` searches the whole tracker when there is a mirror, else narrows the loaded rows.
        let slash = if env.mirror.is_some() {
            "/ search"
        } else {
            "/ narrow"
        };
        let after_narrow = [
            (Action::Filter, "filter"),
            (Action::Sort, "sort"),
            (Action::Refresh, "refresh"),
            (Action::Quit, "quit"),
        ];
        let hints = if width >= 140 {
            let before = k.hints(&[
                (Action::Open, "open"),
                (Action::Lookup, "lookup"),
                (Action::New, "new"),
                (Action::Import, "import"),
                (Action::Export, "export"),
            ]);
            format!("{before}· {slash} ·{}", k.hints(&after_narrow))
        } else if width >= 90 {
            let before = k.hints(&[(Action::Open, "open"), (Action::Lookup, "lookup")]);
            format!("{before}· {slash} ·{}", k.hints(&after_narrow))
        } else {
            String::new()
        };
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .title(title)
            .title_bottom(Line::from(hints).right_aligned());
        frame.render_widget(block, a.table);

        let wide = width >= 150;
        let narrow = width < 70;
        let height = a.body.height as usize;
        let shown = self.shown();
        let range = self.scroll.visible(shown, height);
        // Sized to the visible rows only.
        let model_width = range
            .clone()
            .filter_map(|i| self.row_at(i))
            .map(|r| r.model.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(5, if narrow { 10 } else { 16 }) as u16;
        let mut cols: Vec<(&str, Constraint)> = vec![
            ("", Constraint::Length(1)),
            ("ID", Constraint::Length(if wide { 36 } else { 8 })),
        ];
        // The model says which recommender a row is for: it keeps a (narrower) column down
        // to 50 columns, where the target gives up room first.
        if width >= 50 {
            cols.push(("MODEL", Constraint::Length(model_width)));
        }
        cols.push(("TARGET", Constraint::Fill(1)));
        if narrow {
            cols.push(("PINS", Constraint::Length(5)));
        } else {
            cols.push(("PINS", Constraint::Length(4)));
            cols.push(("ACTIVE", Constraint::Length(6)));
        }
        if width >= 100 {
            cols.push(("TAGS", Constraint::Length(if wide { 30 } else { 18 })));
        }
        if !narrow {
            cols.push(("CREATED", Constraint::Length(10)));
        }
        // Cells are written straight into the buffer: no widget per cell, and only the
        // visible rows are touched.
        let col_rects = Layout::horizontal(cols.iter().map(|(_, c)| *c))
            .spacing(1)
            .split(Rect::new(a.body.x, 0, a.body.width, 1));
        let buf = frame.buffer_mut();
        buf.set_style(a.header, theme::header());
        for ((h, _), r) in cols.iter().zip(col_rects.iter()) {
            buf.set_stringn(r.x, a.header.y, h, r.width as usize, Style::new());
        }

        if shown == 0 {
            let msg = self.empty_message(env);
            frame.render_widget(
                Paragraph::new(msg).centered(),
                centered(a.body, a.body.width, 3),
            );
            return;
        }
        let buf = frame.buffer_mut();
        let active_style = Style::new().fg(theme::OK);
        let mut number = String::with_capacity(16);
        for (line, i) in range.enumerate() {
            let Some(r) = self.row_at(i) else { continue };
            let y = a.body.y + line as u16;
            let selected = i == self.scroll.selected;
            if selected {
                buf.set_style(Rect::new(a.body.x, y, a.body.width, 1), theme::selected());
            }
            let active = r.c.active_pins_at(env.now);
            let id = if wide {
                r.id.as_str()
            } else {
                r.id.get(..8).unwrap_or(&r.id)
            };
            let mut col = col_rects.iter();
            let mut put = |text: &str, style: Style, right: bool| {
                if let Some(rect) = col.next() {
                    let w = rect.width as usize;
                    let len = text.chars().count();
                    let x = if right && len < w {
                        rect.x + (w - len) as u16
                    } else {
                        rect.x
                    };
                    buf.set_stringn(x, y, text, w, style);
                }
            };
            put(if selected { "›" } else { "" }, Style::new(), false);
            put(id, Style::new(), false);
            if width >= 50 {
                put(&r.model, Style::new(), false);
            }
            put(&r.target, Style::new(), false);
            number.clear();
            if narrow {
                use std::fmt::Write as _;
                let _ = write!(number, "{active}/{}", r.pins);
                put(&number, Style::new(), false);
            } else {
                use std::fmt::Write as _;
                let _ = write!(number, "{}", r.pins);
                put(&number, Style::new(), true);
                number.clear();
                let _ = write!(number, "{active}");
                let style = if active > 0 {
                    active_style
                } else {
                    theme::muted()
                };
                put(&number, style, true);
            }
            if width >= 100 {
                put(&r.tags, Style::new(), false);
            }
            if !narrow {
                put(&r.created, Style::new(), false);
            }
        }
    }

    fn empty_message(&self, env: &Env) -> Vec<Line<'static>> {
        if let Some(e) = self.page.error() {
            return vec![
                Line::styled("Could not load the customizations", theme::error()),
                Line::raw(truncate(&e.to_string(), 200)),
                Line::styled(
                    format!("{} retries", env.keymap.hint(Action::Retry))
                        .replace("retries", "to retry"),
                    theme::muted(),
                ),
            ];
        }
        if self.page.is_loading() || self.total.is_none() {
            return vec![Line::raw(format!("{} Loading…", env.spinner_glyph()))];
        }
        if self.narrowed.is_some() && !self.rows.is_empty() {
            return vec![Line::raw("No loaded row matches")];
        }
        if !self.filters.is_empty() {
            return vec![
                Line::raw("No customization matches the filters"),
                Line::styled(
                    format!("{} clears them", env.keymap.hint(Action::ClearFilters)),
                    theme::muted(),
                ),
            ];
        }
        vec![Line::raw("No customizations yet")]
    }

    fn render_footer(&self, frame: &mut Frame, area: Rect) {
        let [label, field, count] = Layout::horizontal([
            Constraint::Length(2),
            Constraint::Fill(1),
            Constraint::Length(24),
        ])
        .areas(area);
        frame.render_widget(Span::styled("/ ", theme::key()), label);
        self.search.render(frame, field, None);
        let n = self.shown();
        frame.render_widget(
            Line::from(format!("{n} of {} loaded", self.rows.len()))
                .right_aligned()
                .style(theme::muted()),
            count,
        );
    }

    fn render_filter(&self, frame: &mut Frame, area: Rect, panel: &FilterPanel) {
        let inner = dialog(
            frame,
            area,
            (70, 18),
            Span::styled(" Filters ", theme::title()),
            " Tab section · Space toggle · Enter close · c clear ".to_string(),
            Style::new(),
        );
        let [lists, ident] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(3)]).areas(inner);
        let cols: [Rect; 3] = Layout::horizontal([
            Constraint::Ratio(1, 3),
            Constraint::Ratio(1, 3),
            Constraint::Ratio(1, 3),
        ])
        .areas(lists);
        for (section, col) in cols.iter().enumerate() {
            let focused = panel.section == section;
            let title_style = if focused {
                theme::key()
            } else {
                theme::label()
            };
            let mut lines = vec![Line::styled(SECTIONS[section], title_style)];
            let choices = self.filter_choices(section);
            if section < 2 && choices.is_empty() {
                let text = match &self.summary {
                    Remote::Loading(_) | Remote::Idle => "loading…",
                    Remote::Failed(_) => "could not load",
                    Remote::Ready(_) => "none",
                };
                lines.push(Line::styled(text, theme::muted()));
            }
            let h = col.height.saturating_sub(1) as usize;
            let mut scroll = Scroll {
                selected: panel.cursor[section],
                offset: 0,
            };
            scroll.fit(choices.len(), h);
            for i in scroll.visible(choices.len(), h) {
                let (text, on) = &choices[i];
                let mark = if *on { "[x] " } else { "[ ] " };
                let mut line = Line::raw(format!(
                    "{mark}{}",
                    truncate(text, col.width.saturating_sub(5) as usize)
                ));
                if focused && i == panel.cursor[section] {
                    line = line.style(theme::selected());
                }
                lines.push(line);
            }
            frame.render_widget(Paragraph::new(lines), *col);
        }
        let focused = panel.section == 3;
        let style = if focused {
            theme::key()
        } else {
            theme::label()
        };
        let block = Block::bordered().title(Span::styled(" Target identity ", style));
        panel.identity.render(frame, ident, Some(block));
    }
}

impl Screen for Browse {
    fn name(&self) -> &'static str {
        Browse::NAME
    }

    fn context(&self) -> Context {
        match &self.mode {
            Mode::Table => Context::Browse,
            Mode::Search => Context::BrowseSearch,
            Mode::Filter(p) if p.section == 3 => Context::FilterText,
            Mode::Filter(_) => Context::Filter,
            Mode::Sort(_) => Context::SortPicker,
        }
    }

    fn on_open(&mut self, ctx: &mut Ctx) {
        self.load_more(ctx);
        self.load_summary(ctx);
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        match &self.mode {
            Mode::Table => {
                if let Input::Action(a) = input {
                    self.on_table_action(a, ctx);
                }
            }
            Mode::Search => self.on_search_input(input, ctx),
            Mode::Filter(_) => self.on_filter_input(input, ctx),
            Mode::Sort(at) => {
                let at = *at;
                let n = SORTS.len();
                match input {
                    Input::Action(Action::Up) => self.mode = Mode::Sort((at + n - 1) % n),
                    Input::Action(Action::Down) => self.mode = Mode::Sort((at + 1) % n),
                    Input::Action(Action::Back) => self.mode = Mode::Table,
                    Input::Action(Action::Confirm) => {
                        self.mode = Mode::Table;
                        if at != self.sort {
                            self.sort = at;
                            self.reload(ctx);
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn on_paste(&mut self, text: &str, _ctx: &mut Ctx) {
        match &mut self.mode {
            Mode::Search if self.search.paste(text) => {
                self.renarrow_typed();
                self.scroll = Scroll::default();
            }
            Mode::Filter(p) if p.section == 3 => {
                p.identity.paste(text);
            }
            _ => {}
        }
    }

    fn on_mouse(&mut self, ev: MouseEvent, ctx: &mut Ctx) {
        if !matches!(self.mode, Mode::Table | Mode::Search) {
            return;
        }
        let a = areas(ctx.area, self.has_footer());
        let h = a.body.height as usize;
        match ev.kind {
            MouseEventKind::ScrollDown => {
                self.scroll.scroll_by(3, self.shown(), h);
                self.after_move(ctx);
            }
            MouseEventKind::ScrollUp => self.scroll.scroll_by(-3, self.shown(), h),
            MouseEventKind::Down(MouseButton::Left) => {
                let inside = ev.row >= a.body.y
                    && ev.row < a.body.y + a.body.height
                    && ev.column >= a.body.x
                    && ev.column < a.body.x + a.body.width;
                if inside {
                    let i = self.scroll.offset + (ev.row - a.body.y) as usize;
                    if i < self.shown() {
                        if i == self.scroll.selected {
                            self.open_selected(ctx);
                        } else {
                            self.scroll.select(i, self.shown(), h);
                            self.after_move(ctx);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn on_api(&mut self, ev: &ApiEvent, ctx: &mut Ctx) {
        if self.page.waits_for(ev.id) {
            self.on_page(&ev.result, ctx);
            return;
        }
        if self.summary.waits_for(ev.id) {
            self.summary = match &ev.result {
                Ok(ApiReply::Summary(s)) => Remote::Ready(s.clone()),
                Ok(_) => Remote::Idle,
                Err(e) => Remote::Failed(e.clone()),
            };
            return;
        }
        // Other screens' writes.
        match &ev.result {
            Ok(ApiReply::Deleted(id)) => self.remove_row(id, ctx),
            Ok(ApiReply::Created(_) | ApiReply::Updated(_)) => {
                self.reload(ctx);
                self.load_summary(ctx);
            }
            Ok(ApiReply::Import(ImportReply::Finished(_))) => {
                self.reload(ctx);
                self.load_summary(ctx);
            }
            Ok(ApiReply::Batch(BatchReply::Applied(r)))
                if r.items.iter().any(|i| {
                    matches!(
                        i.outcome,
                        Outcome::Updated | Outcome::Deleted | Outcome::Created
                    )
                }) =>
            {
                self.reload(ctx);
                self.load_summary(ctx);
            }
            _ => {}
        }
    }

    fn on_retry(&mut self, ctx: &mut Ctx) {
        if matches!(self.page, Remote::Failed(_)) {
            self.page = Remote::Idle;
            if self.refreshing {
                self.refresh(ctx);
            } else {
                self.load_more(ctx);
            }
        }
        if matches!(self.summary, Remote::Failed(_)) {
            self.load_summary(ctx);
        }
    }

    fn on_resize(&mut self, ctx: &mut Ctx) {
        let h = self.body_height(ctx);
        self.scroll.fit(self.shown(), h);
        self.after_move(ctx);
    }

    fn counts(&self) -> Option<String> {
        let total = self.total?;
        let loaded = self.rows.len();
        Some(match &self.narrowed {
            Some(n) => format!("{} shown · {loaded} of {total} loaded", n.len()),
            None if loaded as u64 >= total => format!("{total} customizations"),
            None => format!("{loaded} of {total} loaded"),
        })
    }

    fn render(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let a = areas(area, self.has_footer());
        self.render_table(frame, &a, env);
        if self.has_footer() {
            self.render_footer(frame, a.footer);
        }
        if let Mode::Filter(panel) = &self.mode {
            self.render_filter(frame, area, panel);
        }
        if let Mode::Sort(at) = self.mode {
            self.render_sort_picker(frame, area, at, env);
        }
    }
}

impl Browse {
    fn render_sort_picker(&self, frame: &mut Frame, area: Rect, at: usize, env: &Env) {
        let k = &env.keymap;
        let lines: Vec<Line> = SORTS
            .iter()
            .zip(SORT_WORDS)
            .enumerate()
            .map(|(i, (sort, words))| {
                let mark = if i == at { "›" } else { " " };
                let now = if i == self.sort { " (now)" } else { "" };
                let line = Line::raw(format!(
                    "{mark} {:<17} {words}{now}",
                    sort.replace(':', " ")
                ));
                if i == at {
                    line.style(theme::selected())
                } else {
                    line
                }
            })
            .collect();
        let inner = crate::tui::widgets::dialog(
            frame,
            area,
            (52, SORTS.len() as u16 + 2),
            Span::styled(" Sort by ", theme::title()),
            k.hints(&[(Action::Confirm, "sort"), (Action::Back, "close")]),
            Style::new(),
        );
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_query_per_combination() {
        assert_eq!(
            Filters::default().export_queries(),
            vec![ExportQuery::default()]
        );
        let f = Filters {
            models: vec!["basket".into(), "home".into()],
            tags: vec![],
            target_types: vec![TargetType::Item, TargetType::All],
            identity: " /p/1 ".into(),
        };
        let q = f.export_queries();
        assert_eq!(q.len(), 4);
        assert!(
            q.iter()
                .all(|q| q.target_identity.as_deref() == Some("/p/1") && q.tag.is_none())
        );
        let pairs: Vec<(Option<&str>, Option<&str>)> = q
            .iter()
            .map(|q| (q.model.as_deref(), q.target_type.as_deref()))
            .collect();
        assert_eq!(
            pairs,
            [
                (Some("basket"), Some("item")),
                (Some("basket"), Some("all")),
                (Some("home"), Some("item")),
                (Some("home"), Some("all")),
            ]
        );
    }
}
