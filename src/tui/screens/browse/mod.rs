//! The home screen: a table of customizations, paged from the list endpoint as the user
//! scrolls, with server-side filters and sort and a fuzzy narrowing of the loaded rows;
//! and the selection of rows for work on many at once ([`selection`]).

mod selection;
pub use selection::Selection;

use crate::tui::widgets::dialog;
use std::collections::HashSet;

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use crate::api::model::PinState;
use crate::api::{Customization, ExportQuery, ListQuery, Summary, TargetType};
use crate::batch::Outcome;
use crate::mirror::browse::{BrowseQuery, PinStateFilter, SortColumn};
use crate::tui::fmt;
use crate::tui::keys::{Action, Context};
use crate::tui::msg::{ApiEvent, ApiReply, ApiRequest, Remote, ReqId};
use crate::tui::msg::{BatchReply, ImportReply};
use crate::tui::screens::{Ctx, Env, Input, Route, Screen};
use crate::tui::widgets::list::Scroll;
use crate::tui::widgets::text_field::TextField;
use crate::tui::widgets::{centered, theme, truncate};

/// Rows asked for per request.
pub const PAGE_SIZE: u32 = 100;

/// The sort orders `s` offers: the list endpoint's `sort` first ([`SERVER_SORTS`] of
/// them), then the orders only the mirror can give (every column).
pub const SORTS: [&str; 14] = [
    "created_at:desc",
    "created_at:asc",
    "model:asc",
    "model:desc",
    "target_type:asc",
    "target_type:desc",
    "target:asc",
    "target:desc",
    "pins:desc",
    "pins:asc",
    "tags:asc",
    "tags:desc",
    "id:asc",
    "id:desc",
];

/// How many of [`SORTS`] the list endpoint knows.
pub const SERVER_SORTS: usize = 6;

/// Rows read from the mirror at a time, around the cursor.
const WINDOW: u64 = 240;

/// One loaded customization, with the text of its cells worked out once.
#[derive(Debug, Clone)]
pub struct Row {
    /// The customization as JSON text, parsed again when it is opened: kept parsed, the
    /// loaded rows were a third of the TUI's heap.
    json: Box<str>,
    /// Each pin's window, for the ACTIVE column (which changes with the clock).
    windows: Box<[(Option<Timestamp>, Option<Timestamp>)]>,
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
    /// The customization, parsed from the text it was loaded as.
    pub fn customization(&self) -> Option<Customization> {
        serde_json::from_str(&self.json).ok()
    }

    /// How many of its pins are active at `now`.
    pub fn active_at(&self, now: Timestamp) -> usize {
        self.windows
            .iter()
            .filter(|(from, to)| PinState::of_window(*from, *to, now) == PinState::Active)
            .count()
    }

    pub fn new(c: &Customization, tz: &TimeZone) -> Row {
        let json = serde_json::to_string(c).unwrap_or_default();
        Row::with_json(c, json, tz)
    }

    /// A row of a mirror's customization: its text is kept as the mirror stored it
    /// instead of written again.
    pub fn of_stored(s: &crate::mirror::Stored, tz: &TimeZone) -> Option<Row> {
        let c = s.customization()?;
        Some(Row::with_json(&c, s.json.clone(), tz))
    }

    fn with_json(c: &Customization, json: String, tz: &TimeZone) -> Row {
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
            windows: c.pins().map(|p| (p.active_from(), p.active_to())).collect(),
            json: json.into_boxed_str(),
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
    /// Only with the mirror: some pin has this widget.
    pub widget: String,
    /// Only with the mirror: some pin pins this item.
    pub pinned_item: String,
    /// Only with the mirror: the pins' state now.
    pub pin_state: Option<PinStateFilter>,
}

/// The pin states the filter panel offers.
pub const PIN_STATES: [PinStateFilter; 6] = [
    PinStateFilter::Active,
    PinStateFilter::Scheduled,
    PinStateFilter::Expired,
    PinStateFilter::ExpiringWithin(1),
    PinStateFilter::ExpiringWithin(7),
    PinStateFilter::ExpiringWithin(30),
];

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
            && self.tags.is_empty()
            && self.target_types.is_empty()
            && self.identity.trim().is_empty()
            && !self.has_pin_filters()
    }

    /// Whether a filter only the mirror answers is set.
    pub fn has_pin_filters(&self) -> bool {
        !self.widget.trim().is_empty()
            || !self.pinned_item.trim().is_empty()
            || self.pin_state.is_some()
    }

    /// The filters the service has that are set: a short name, the name in words, the
    /// values (any of them matches).
    fn service_filters(&self) -> Vec<(&'static str, &'static str, Vec<&str>)> {
        let mut set = Vec::new();
        if !self.models.is_empty() {
            set.push((
                "model",
                "model",
                self.models.iter().map(String::as_str).collect(),
            ));
        }
        if !self.tags.is_empty() {
            set.push(("tag", "tag", self.tags.iter().map(String::as_str).collect()));
        }
        if !self.target_types.is_empty() {
            let t = self.target_types.iter().map(|t| t.as_str()).collect();
            set.push(("type", "target type", t));
        }
        if !self.identity.trim().is_empty() {
            set.push(("identity", "target identity", vec![self.identity.trim()]));
        }
        set
    }

    fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .service_filters()
            .into_iter()
            .map(|(name, _, values)| format!("{name}={}", values.join("|")))
            .collect();
        if !self.widget.trim().is_empty() {
            parts.push(format!("widget={}", self.widget.trim()));
        }
        if !self.pinned_item.trim().is_empty() {
            parts.push(format!("pinned={}", self.pinned_item.trim()));
        }
        if let Some(p) = self.pin_state {
            parts.push(p.words());
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
        let parts: Vec<String> = self
            .service_filters()
            .into_iter()
            .map(|(_, words, values)| format!("{words} {}", values.join(" or ")))
            .collect();
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

/// The filter panel's sections: four lists (`section < LISTS`), then three text fields.
const SECTIONS: [&str; 7] = [
    "Model",
    "Tag",
    "Target type",
    "Pin state",
    "Target identity",
    "Widget",
    "Pinned item",
];
const LISTS: usize = 4;
/// The sections with the mirror, and without (the service's list filters only).
const MIRROR_SECTIONS: [usize; 7] = [0, 1, 2, 3, 4, 5, 6];
const SERVER_SECTIONS: [usize; 4] = [0, 1, 2, 4];

#[derive(Debug, Clone, Default)]
struct FilterPanel {
    section: usize,
    cursor: [usize; LISTS],
    /// Target identity, widget, pinned item.
    texts: [TextField; 3],
}

impl FilterPanel {
    fn text(&mut self, section: usize) -> Option<&mut TextField> {
        section
            .checked_sub(LISTS)
            .and_then(|i| self.texts.get_mut(i))
    }
}

enum Mode {
    Table,
    Search,
    Filter(Box<FilterPanel>),
    /// `s`: the sort orders listed, this one under the cursor.
    Sort(usize),
}

/// What each of [`SORTS`] means, for the sort picker.
const SORT_WORDS: [&str; 14] = [
    "newest first",
    "oldest first",
    "model A to Z",
    "model Z to A",
    "target type A to Z",
    "target type Z to A",
    "target A to Z",
    "target Z to A",
    "most pins first",
    "fewest pins first",
    "tags A to Z",
    "tags Z to A",
    "id A to Z",
    "id Z to A",
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
    /// The rows marked for work on many at once.
    selection: Selection,
    /// The ids asked for to add to the selection (`*`, a range over rows not loaded).
    selecting: Option<ReqId>,
    /// Reading the synced mirror: `rows` is one window of the view, from `window_start`,
    /// and `total` the view's real size.
    from_mirror: bool,
    window_start: usize,
    /// The service could not be reached lately: what is shown is the mirror's.
    offline: bool,
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
            selection: Selection::default(),
            selecting: None,
            from_mirror: false,
            window_start: 0,
            offline: false,
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

    /// The selection, or the cursor row's id when nothing is selected (empty when there
    /// are no rows). A range being drawn counts as selected.
    pub fn selected_ids(&self) -> Vec<String> {
        if self.selection.is_empty() && self.selection.anchor().is_none() {
            return self
                .row_at(self.scroll.selected)
                .map(|r| vec![r.id.clone()])
                .unwrap_or_default();
        }
        let mut with_range = self.selection.clone();
        if let Some(r) = self.selection.range(self.scroll.selected) {
            for i in r {
                if let Some(row) = self.row_at(i) {
                    with_range.insert(&row.id);
                }
            }
        }
        with_range.ids()
    }

    /// The marked rows.
    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    /// How many rows are selected, the range being drawn included.
    pub fn selected_count(&self) -> usize {
        let mut n = self.selection.len();
        if let Some(r) = self.selection.range(self.scroll.selected) {
            for i in r {
                match self.row_at(i) {
                    Some(row) if self.selection.contains(&row.id) => {}
                    _ => n += 1,
                }
            }
        }
        n
    }

    fn is_marked(&self, i: usize, id: &str) -> bool {
        self.selection
            .range(self.scroll.selected)
            .is_some_and(|r| r.contains(&i))
            || self.selection.contains(id)
    }

    /// Space: ends a range, else marks or unmarks the cursor row and moves down.
    fn toggle_mark(&mut self, ctx: &mut Ctx) {
        if self.selection.anchor().is_some() {
            self.end_range(ctx);
            return;
        }
        if let Some(id) = self.row_at(self.scroll.selected).map(|r| r.id.clone()) {
            self.selection.toggle(&id);
            self.move_by(1, ctx);
        }
    }

    /// `v`: starts a range at the cursor, or ends the one being drawn.
    fn range_key(&mut self, ctx: &mut Ctx) {
        if self.selection.anchor().is_some() {
            self.end_range(ctx);
        } else if self.shown() > 0 {
            self.selection.start_range(self.scroll.selected);
        }
    }

    /// Adds the range's rows to the selection.
    fn end_range(&mut self, ctx: &mut Ctx) {
        let Some(r) = self.selection.end_range(self.scroll.selected) else {
            return;
        };
        let (first, last) = (*r.start(), *r.end());
        let mut missing = false;
        for i in r {
            match self.row_at(i).map(|row| row.id.clone()) {
                Some(id) => {
                    self.selection.insert(&id);
                }
                None => missing = true,
            }
        }
        if missing && self.from_mirror {
            // Rows between that are not loaded: their ids come from the mirror.
            let id = ctx.request(ApiRequest::MatchingIds {
                query: self.mirror_query(ctx.env.now),
                exports: Vec::new(),
                offset: first as u64,
                limit: Some((last - first + 1) as u64),
            });
            self.selecting = Some(id);
        }
    }

    /// The view is about to change (filters, sort, search): a range being drawn ends with
    /// the rows it covers now.
    fn settle_range(&mut self) {
        if let Some(r) = self.selection.end_range(self.scroll.selected) {
            for i in r {
                if let Some(id) = self.row_at(i).map(|row| row.id.clone()) {
                    self.selection.insert(&id);
                }
            }
        }
    }

    /// `*`: everything the filters and the search match, loaded or not.
    fn select_all(&mut self, ctx: &mut Ctx) {
        self.settle_range();
        if !self.from_mirror && (self.narrowed.is_some() || !self.more_on_server()) {
            // The narrowing sees the loaded rows only: what it shows is what it matches.
            let ids: Vec<String> = (0..self.shown())
                .filter_map(|i| self.row_at(i).map(|r| r.id.clone()))
                .collect();
            self.selection.extend(ids.iter().map(String::as_str));
            return;
        }
        let id = ctx.request(ApiRequest::MatchingIds {
            query: self.mirror_query(ctx.env.now),
            exports: self.filters.export_queries(),
            offset: 0,
            limit: None,
        });
        self.selecting = Some(id);
        ctx.toast("Selecting everything that matches…");
    }

    /// The current filters and order as a question to the mirror.
    pub fn mirror_query(&self, now: jiff::Timestamp) -> BrowseQuery {
        let (column, dir) = SORTS[self.sort].split_once(':').unwrap_or(("", ""));
        let sort = match column {
            "model" => SortColumn::Model,
            "target_type" => SortColumn::TargetType,
            "target" => SortColumn::Target,
            "pins" => SortColumn::Pins,
            "tags" => SortColumn::Tags,
            "id" => SortColumn::Id,
            _ => SortColumn::Created,
        };
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let ident = self.filters.identity.trim();
        BrowseQuery {
            models: self.filters.models.clone(),
            tags: self.filters.tags.clone(),
            target_types: self
                .filters
                .target_types
                .iter()
                .map(|t| t.as_str().to_string())
                .collect(),
            identity: text(ident),
            widget: text(&self.filters.widget),
            pinned_item: text(&self.filters.pinned_item),
            pin_state: self.filters.pin_state,
            now: now.as_second(),
            sort,
            descending: dir == "desc",
        }
    }

    /// How many rows are shown (after narrowing); with the mirror, how many the view
    /// holds, loaded or not.
    pub fn shown(&self) -> usize {
        if self.from_mirror {
            return self
                .total
                .map_or(0, |t| usize::try_from(t).unwrap_or(usize::MAX));
        }
        self.narrowed.as_ref().map_or(self.rows.len(), Vec::len)
    }

    /// Whether the rows come from the local mirror (else from the list endpoint's pages).
    pub fn reads_mirror(&self) -> bool {
        self.from_mirror
    }

    /// The index of the cursor's row in the view.
    pub fn cursor(&self) -> usize {
        self.scroll.selected
    }

    /// The customization at row `i` of the view, when it is loaded.
    pub fn row(&self, i: usize) -> Option<&Row> {
        self.row_at(i)
    }

    fn row_at(&self, i: usize) -> Option<&Row> {
        if self.from_mirror {
            return i
                .checked_sub(self.window_start)
                .and_then(|j| self.rows.get(j));
        }
        match &self.narrowed {
            Some(n) => n.get(i).and_then(|&r| self.rows.get(r as usize)),
            None => self.rows.get(i),
        }
    }

    /// The sort orders offered: every column with the mirror.
    fn sorts(&self) -> usize {
        if self.from_mirror {
            SORTS.len()
        } else {
            SERVER_SORTS
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
        if self.from_mirror {
            self.load_window(ctx);
            return;
        }
        if self.page.is_loading() || self.refreshing || !self.more_on_server() {
            return;
        }
        let id = ctx.request(ApiRequest::List(self.query(self.rows.len() as u64)));
        self.page = Remote::Loading(id);
    }

    /// Asks the mirror for the window of rows around the cursor (the one on its way is
    /// forgotten: the cursor moved on).
    fn load_window(&mut self, ctx: &mut Ctx) {
        let h = self.body_height(ctx).max(1) as u64;
        // Room to scroll both ways, on a terminal of any height.
        let limit = WINDOW.max(3 * h);
        let start = (self.scroll.offset as u64).saturating_sub(limit.saturating_sub(h) / 2);
        let id = ctx.request(ApiRequest::MirrorBrowse {
            query: self.mirror_query(ctx.env.now),
            offset: start,
            limit,
        });
        self.page = Remote::Loading(id);
    }

    /// Whether rows on screen are not in the loaded window.
    fn window_misses(&self, ctx: &Ctx) -> bool {
        if self.total.is_none() {
            return true;
        }
        let h = self.body_height(ctx);
        let first = self.scroll.offset;
        let last = (first + h).min(self.shown());
        first < self.window_start || last > self.window_start + self.rows.len()
    }

    /// Switches to reading the mirror (it was synced): the window at the top of the view.
    fn use_mirror(&mut self, ctx: &mut Ctx) {
        self.from_mirror = true;
        self.narrowed = None;
        self.narrowed_for.clear();
        self.search.clear();
        if matches!(self.mode, Mode::Search) {
            self.mode = Mode::Table;
        }
        self.refreshing = false;
        // The pages loaded so far are the view's first rows, in the same order: they stay
        // (and the cursor with them) until the mirror's window replaces them, so a key
        // pressed meanwhile still finds its row.
        self.ids.clear();
        self.window_start = 0;
        let h = self.body_height(ctx);
        self.scroll.fit(self.shown(), h);
        self.load_window(ctx);
        // The models and tags are read when the filter panel needs them, not on start.
        self.summary = Remote::Idle;
    }

    /// The models and tags may have changed: with the mirror they are read again when the
    /// filter panel next needs them (at once if it is open); from the service, now.
    fn summary_changed(&mut self, ctx: &mut Ctx) {
        if self.from_mirror && !matches!(self.mode, Mode::Filter(_)) {
            self.summary = Remote::Idle;
        } else {
            self.load_summary(ctx);
        }
    }

    /// Forgets the rows and loads from the first page (filters or sort changed, or `r`).
    fn reload(&mut self, ctx: &mut Ctx) {
        self.settle_range();
        self.selecting = None;
        if self.from_mirror {
            // Local and quick: the old rows go at once.
            self.rows.clear();
            self.window_start = 0;
            self.total = None;
            self.scroll = Scroll::default();
            self.load_window(ctx);
            return;
        }
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
        if self.from_mirror {
            // The rows stay until the new window comes.
            self.load_window(ctx);
            return;
        }
        if self.rows.is_empty() {
            self.reload(ctx);
            return;
        }
        self.refreshing = true;
        let id = ctx.request(ApiRequest::List(self.query(0)));
        self.page = Remote::Loading(id);
    }

    fn load_summary(&mut self, ctx: &mut Ctx) {
        let req = if self.from_mirror {
            ApiRequest::MirrorSummary
        } else {
            ApiRequest::Summary
        };
        let id = ctx.request(req);
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
        if self.from_mirror {
            if self.window_misses(ctx) {
                self.load_window(ctx);
            }
            return;
        }
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
        self.settle_range();
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
        if let Some(c) = self
            .row_at(self.scroll.selected)
            .and_then(Row::customization)
        {
            ctx.open(Route::Detail(c));
        }
    }

    fn on_table_action(&mut self, action: Action, ctx: &mut Ctx) {
        let h = self.body_height(ctx) as isize;
        match action {
            Action::Quit => ctx.quit(),
            Action::Back if !self.selection.is_empty() || self.selection.anchor().is_some() => {
                self.selection.clear();
                self.selecting = None;
            }
            Action::Back if self.narrowed.is_some() => self.clear_narrowing(),
            Action::Select => self.toggle_mark(ctx),
            Action::SelectRange => self.range_key(ctx),
            Action::SelectAll => self.select_all(ctx),
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
                let values = [
                    &self.filters.identity,
                    &self.filters.widget,
                    &self.filters.pinned_item,
                ];
                for (field, value) in panel.texts.iter_mut().zip(values) {
                    field.set_value(value);
                    field.set_focused(false);
                }
                self.mode = Mode::Filter(Box::new(panel));
            }
            // A picker: the orders listed, not cycled through blindly.
            Action::Sort => self.mode = Mode::Sort(self.sort.min(self.sorts() - 1)),
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
                self.summary_changed(ctx);
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
            Action::Export if self.filters.has_pin_filters() => ctx.toast_error(
                "The export cannot filter by pins: clear the widget, item and pin state filters"
                    .to_string(),
            ),
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
            3 => PIN_STATES
                .iter()
                .map(|p| {
                    let words = match p {
                        PinStateFilter::Active => "active".to_string(),
                        PinStateFilter::Scheduled => "scheduled".to_string(),
                        PinStateFilter::Expired => "expired".to_string(),
                        PinStateFilter::ExpiringWithin(d) => format!("ends ≤{d}d"),
                    };
                    (words, self.filters.pin_state == Some(*p))
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The panel's sections, in Tab order.
    fn sections(&self) -> &'static [usize] {
        if self.from_mirror {
            &MIRROR_SECTIONS
        } else {
            &SERVER_SECTIONS
        }
    }

    fn on_filter_input(&mut self, input: Input, ctx: &mut Ctx) {
        let sections = self.sections();
        let Mode::Filter(panel) = &mut self.mode else {
            return;
        };
        let section = panel.section;
        let at = sections.iter().position(|&s| s == section).unwrap_or(0);
        let mut apply_texts = false;
        let mut toggled: Option<usize> = None;
        let mut close = false;
        match input {
            Input::Action(Action::Back | Action::Confirm) => {
                apply_texts = true;
                close = true;
            }
            Input::Action(Action::NextField) => {
                panel.section = sections[(at + 1) % sections.len()];
                apply_texts = section >= LISTS;
            }
            Input::Action(Action::PrevField) => {
                panel.section = sections[(at + sections.len() - 1) % sections.len()];
                apply_texts = section >= LISTS;
            }
            Input::Action(Action::Up) if section < LISTS => {
                panel.cursor[section] = panel.cursor[section].saturating_sub(1);
            }
            Input::Action(Action::Down) if section < LISTS => {
                panel.cursor[section] += 1;
            }
            Input::Action(Action::Toggle) if section < LISTS => {
                toggled = Some(panel.cursor[section])
            }
            Input::Action(Action::ClearFilters) => {
                for t in &mut panel.texts {
                    t.clear();
                }
                self.filters = Filters::default();
                self.reload(ctx);
                return;
            }
            Input::Key(k) if section >= LISTS => {
                if let Some(t) = panel.text(section) {
                    t.input(k);
                }
            }
            _ => {}
        }
        let len = self.filter_choices(section).len();
        if let Mode::Filter(panel) = &mut self.mode {
            for (i, t) in panel.texts.iter_mut().enumerate() {
                t.set_focused(panel.section == LISTS + i);
            }
            if section < LISTS {
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
                3 => {
                    if let Some(&p) = PIN_STATES.get(i) {
                        // One state at a time: choosing the chosen one clears it.
                        self.filters.pin_state = if self.filters.pin_state == Some(p) {
                            None
                        } else {
                            Some(p)
                        };
                        changed = true;
                    }
                }
                _ => {}
            }
        }
        if apply_texts && let Mode::Filter(panel) = &self.mode {
            let [ident, widget, item] = &panel.texts;
            let targets = [
                (ident, &mut self.filters.identity),
                (widget, &mut self.filters.widget),
                (item, &mut self.filters.pinned_item),
            ];
            for (field, value) in targets {
                let typed = field.value().trim().to_string();
                if typed != *value {
                    *value = typed;
                    changed = true;
                }
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
            Ok(ApiReply::MirrorWindow {
                total,
                offset,
                rows,
            }) => {
                self.page = Remote::Ready(());
                self.total = Some(*total);
                self.window_start = usize::try_from(*offset).unwrap_or(usize::MAX);
                self.rows = rows
                    .iter()
                    .filter_map(|s| Row::of_stored(s, &ctx.env.tz))
                    .collect();
                let h = self.body_height(ctx);
                self.scroll.fit(self.shown(), h);
                if self.window_misses(ctx) && (*offset > 0 || !self.rows.is_empty()) {
                    // The cursor moved on meanwhile.
                    self.load_window(ctx);
                }
            }
            Err(e) if self.from_mirror => {
                // The rows shown stay.
                self.page = Remote::Failed(e.clone());
                ctx.toast_error(format!("Could not read the mirror: {e}"));
            }
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
                    let row = Row::new(c, &ctx.env.tz);
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
        self.settle_range();
        self.selection.remove(id);
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
            if self.offline
                && self.from_mirror
                && let Some(banner) = crate::tui::screens::offline_banner(env)
            {
                spans.push(Span::styled(
                    format!("{banner} "),
                    Style::new()
                        .fg(theme::WARN)
                        .add_modifier(ratatui::style::Modifier::REVERSED),
                ));
            }
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
                (Action::Select, "select"),
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
        // The cursor and the selection's mark.
        let mut cols: Vec<(&str, Constraint)> = vec![
            ("", Constraint::Length(2)),
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
            let marked = self.is_marked(i, &r.id);
            if marked {
                buf.set_style(Rect::new(a.body.x, y, a.body.width, 1), theme::marked());
            }
            if selected {
                buf.set_style(Rect::new(a.body.x, y, a.body.width, 1), theme::selected());
            }
            let active = r.active_at(env.now);
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
            let lead = match (selected, marked) {
                (true, true) => "›●",
                (true, false) => "›",
                (false, true) => " ●",
                (false, false) => "",
            };
            put(lead, Style::new(), false);
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
        let sections = self.sections();
        let lists: Vec<usize> = sections.iter().copied().filter(|&s| s < LISTS).collect();
        let texts: Vec<usize> = sections.iter().copied().filter(|&s| s >= LISTS).collect();
        let inner = dialog(
            frame,
            area,
            (if self.from_mirror { 96 } else { 70 }, 18),
            Span::styled(" Filters ", theme::title()),
            " Tab section · Space toggle · Enter close · c clear ".to_string(),
            Style::new(),
        );
        let [lists_area, texts_area] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(3)]).areas(inner);
        let cols = Layout::horizontal(
            lists
                .iter()
                .map(|_| Constraint::Ratio(1, lists.len() as u32)),
        )
        .split(lists_area);
        for (&section, col) in lists.iter().zip(cols.iter()) {
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
        let boxes = Layout::horizontal(
            texts
                .iter()
                .map(|_| Constraint::Ratio(1, texts.len() as u32)),
        )
        .split(texts_area);
        for (&section, rect) in texts.iter().zip(boxes.iter()) {
            let style = if panel.section == section {
                theme::key()
            } else {
                theme::label()
            };
            let block =
                Block::bordered().title(Span::styled(format!(" {} ", SECTIONS[section]), style));
            if let Some(field) = panel.texts.get(section - LISTS) {
                field.render(frame, *rect, Some(block));
            }
        }
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
            Mode::Filter(p) if p.section >= LISTS => Context::FilterText,
            Mode::Filter(_) => Context::Filter,
            Mode::Sort(_) => Context::SortPicker,
        }
    }

    fn on_open(&mut self, ctx: &mut Ctx) {
        if ctx
            .env
            .mirror
            .as_ref()
            .is_some_and(|m| m.synced_at.is_some())
        {
            self.use_mirror(ctx);
            return;
        }
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
                let n = self.sorts();
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
            Mode::Filter(p) if p.section >= LISTS => {
                let section = p.section;
                if let Some(t) = p.text(section) {
                    t.paste(text);
                }
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
        // The search screen's `*`: every match joins the selection.
        if let Ok(ApiReply::SearchSelection { ids, .. }) = &ev.result {
            self.selection.merge(ids);
            return;
        }
        if self.selecting == Some(ev.id) {
            self.selecting = None;
            match &ev.result {
                Ok(ApiReply::Ids(ids)) => self.selection.merge(ids),
                Ok(_) => {}
                Err(e) => ctx.toast_error(format!("Could not select everything: {e}")),
            }
            return;
        }
        // The service answered, or could not be reached.
        match &ev.result {
            Err(e) if crate::tui::screens::service_unreachable(e) => self.offline = true,
            Ok(r) if !r.is_local() && !matches!(r, ApiReply::Summary(_)) => self.offline = false,
            _ => {}
        }
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
        // The mirror was synced (on start, or on `r`): browse reads it from now on.
        if let Ok(ApiReply::MirrorSynced { .. }) = &ev.result {
            if self.from_mirror {
                self.refresh(ctx);
                self.summary_changed(ctx);
            } else if ctx.env.mirror.is_some() {
                self.use_mirror(ctx);
            }
            return;
        }
        // Other screens' writes (the worker has brought the mirror's rows up to date).
        match &ev.result {
            Ok(ApiReply::Deleted(id)) if self.from_mirror => {
                self.settle_range();
                self.selection.remove(id);
                self.refresh(ctx);
            }
            Ok(ApiReply::Created(_) | ApiReply::Updated(_)) if self.from_mirror => {
                self.refresh(ctx);
            }
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
        let selected = self.selected_count();
        let selected = if selected > 0 || self.selecting.is_some() {
            let more = if self.selecting.is_some() { "+…" } else { "" };
            format!(" · {selected}{more} selected")
        } else {
            String::new()
        };
        let total = self.total?;
        if self.from_mirror {
            return Some(format!("{total} customizations{selected}"));
        }
        let loaded = self.rows.len();
        Some(match &self.narrowed {
            Some(n) => format!("{} shown · {loaded} of {total} loaded{selected}", n.len()),
            None if loaded as u64 >= total => format!("{total} customizations{selected}"),
            None => format!("{loaded} of {total} loaded{selected}"),
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
        let n = self.sorts();
        let inner = crate::tui::widgets::dialog(
            frame,
            area,
            (52, n as u16 + 2),
            Span::styled(" Sort by ", theme::title()),
            k.hints(&[(Action::Confirm, "sort"), (Action::Back, "close")]),
            Style::new(),
        );
        // A short terminal shows the part of the list around the cursor.
        let h = inner.height as usize;
        let mut scroll = Scroll {
            selected: at,
            offset: 0,
        };
        scroll.fit(n, h);
        let lines: Vec<Line> = scroll
            .visible(n, h)
            .map(|i| {
                let mark = if i == at { "›" } else { " " };
                let now = if i == self.sort { " (now)" } else { "" };
                let line = Line::raw(format!(
                    "{mark} {:<17} {}{now}",
                    SORTS[i].replace(':', " "),
                    SORT_WORDS[i]
                ));
                if i == at {
                    line.style(theme::selected())
                } else {
                    line
                }
            })
            .collect();
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
            ..Filters::default()
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
