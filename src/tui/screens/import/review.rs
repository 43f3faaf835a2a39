//! What validation found (invalid lines, repeated targets), the strategy, and the
//! confirmation before anything is sent.

use super::*;

/// The areas of the review step, for drawing and for paging.
pub(super) struct ReviewAreas {
    pub(super) summary: Rect,
    pub(super) tabs: Rect,
    pub(super) header: Rect,
    pub(super) list: Rect,
    pub(super) detail: Rect,
}

pub(super) fn review_areas(area: Rect) -> ReviewAreas {
    let inner = frame_block().inner(area);
    // The selected line's reasons stay in view on small terminals too (a shorter pane).
    let detail = if inner.height >= 16 {
        5
    } else if inner.height >= 8 {
        3
    } else {
        0
    };
    let [summary, tabs, header, list, detail] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(detail),
    ])
    .areas(inner);
    ReviewAreas {
        summary,
        tabs,
        header,
        list,
        detail,
    }
}

/// The review step: which list is shown, and where each is scrolled.
pub struct ReviewView {
    pub(super) section: Section,
    pub(super) invalid_scroll: Scroll,
    pub(super) dup_scroll: Scroll,
}

impl ReviewView {
    /// The invalid lines first, when there are some.
    fn new(c: &crate::import::PlanCounts) -> ReviewView {
        ReviewView {
            section: if c.invalid > 0 {
                Section::Invalid
            } else {
                Section::Duplicates
            },
            invalid_scroll: Scroll::default(),
            dup_scroll: Scroll::default(),
        }
    }
}

/// The confirm step: where the report and the journal go, and the count typed on a
/// production profile.
pub struct Confirming {
    pub(super) report: PathBuf,
    pub(super) journal: Option<PathBuf>,
    pub(super) typed: TextField,
    pub(super) typed_wrong: bool,
}

impl ImportScreen {
    pub(super) fn on_planned(&mut self, planned: Box<Planned>) {
        let c = planned.counts;
        self.planned = Some(planned);
        if c.non_blank() == 0 {
            self.step = Step::File {
                error: Some(format!(
                    "{} holds no customization (every line is blank)",
                    self.input_name()
                )),
            };
            return;
        }
        self.step = if self.has_issues() {
            Step::Review(ReviewView::new(&c))
        } else {
            Step::Strategy
        };
    }

    /// The review when there is something to review, else the file.
    fn review_or_file(&self) -> Step {
        match &self.planned {
            Some(p) if self.has_issues() => Step::Review(ReviewView::new(&p.counts)),
            _ => Step::File { error: None },
        }
    }

    pub(super) fn review_list_height(&self, area: Rect) -> usize {
        review_areas(area).list.height as usize
    }

    pub(super) fn on_review_input(&mut self, input: Input, ctx: &mut Ctx) {
        let h = self.review_list_height(ctx.area);
        let sendable = self.to_send() > 0;
        let p = self.planned.as_ref();
        let both = p.is_some_and(|p| p.counts.invalid > 0 && p.counts.duplicate_targets > 0);
        let duplicates = p.map_or(0, |p| p.duplicates.len());
        match input {
            Input::Action(Action::Back) => {
                self.step = Step::File { error: None };
                return;
            }
            Input::Action(Action::Confirm) if sendable => {
                self.step = Step::Strategy;
                return;
            }
            _ => {}
        }
        let Step::Review(view) = &mut self.step else {
            return;
        };
        let (scroll, len) = match view.section {
            Section::Invalid => (&mut view.invalid_scroll, self.invalid.len()),
            Section::Duplicates => (&mut view.dup_scroll, duplicates),
        };
        let page = h.max(1) as isize;
        match input {
            // Tab switches between two lists, when there are two.
            Input::Action(Action::NextField | Action::PrevField) if both => {
                view.section = match view.section {
                    Section::Invalid => Section::Duplicates,
                    Section::Duplicates => Section::Invalid,
                };
            }
            Input::Action(Action::Up) => scroll.move_by(-1, len, h),
            Input::Action(Action::Down) => scroll.move_by(1, len, h),
            Input::Action(Action::PageUp) => scroll.move_by(-page, len, h),
            Input::Action(Action::PageDown) => scroll.move_by(page, len, h),
            Input::Action(Action::Top) => scroll.select(0, len, h),
            Input::Action(Action::Bottom) => scroll.select(len.saturating_sub(1), len, h),
            _ => {}
        }
    }

    pub(super) fn on_strategy_input(&mut self, input: Input, ctx: &mut Ctx) {
        let n = STRATEGIES.len();
        match input {
            Input::Action(Action::Back) => self.step = self.review_or_file(),
            Input::Action(Action::Up) => self.strategy = (self.strategy + n - 1) % n,
            Input::Action(Action::Down) => self.strategy = (self.strategy + 1) % n,
            Input::Action(Action::Confirm) => {
                let report = self.report_path(ctx.env.now, &ctx.env.tz);
                self.step = Step::Confirm(Box::new(Confirming {
                    journal: crate::import::journal::default_path(&self.input, Some(&report)),
                    report,
                    typed: TextField::new(""),
                    typed_wrong: false,
                }));
            }
            _ => {}
        }
    }

    pub(super) fn on_confirm_input(&mut self, input: Input, ctx: &mut Ctx) {
        let to_send = self.to_send().to_string();
        let Step::Confirm(c) = &mut self.step else {
            return;
        };
        match input {
            Input::Action(Action::Back) => self.step = Step::Strategy,
            Input::Action(Action::Confirm) => {
                if ctx.env.profile.production {
                    let digits: String = c
                        .typed
                        .value()
                        .chars()
                        .filter(|c| !matches!(c, ',' | '_' | ' '))
                        .collect();
                    if digits != to_send {
                        c.typed_wrong = true;
                        return;
                    }
                }
                self.start_send(ctx);
            }
            Input::Key(k) if c.typed.input(k) => c.typed_wrong = false,
            _ => {}
        }
    }

    pub(super) fn summary_line(&self, width: u16) -> Line<'static> {
        let Some(p) = &self.planned else {
            return Line::raw("");
        };
        let c = &p.counts;
        let mut parts = vec![
            plural(c.non_blank(), "line", "lines"),
            format!("{} valid", thousands(c.valid)),
            format!("{} invalid", thousands(c.invalid)),
        ];
        if c.duplicate_targets > 0 {
            parts.push(plural(
                c.duplicate_targets,
                "repeated target",
                "repeated targets",
            ));
        }
        let name = self
            .input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Line::raw(truncate(
            &format!(" {name}: {}", parts.join(" · ")),
            width as usize,
        ))
    }

    pub(super) fn render_review(
        &self,
        frame: &mut Frame,
        area: Rect,
        env: &Env,
        view: &ReviewView,
    ) {
        let a = review_areas(area);
        let Some(p) = &self.planned else { return };
        frame.render_widget(
            Paragraph::new(self.summary_line(a.summary.width)),
            a.summary,
        );
        let tab = |label: String, on: bool| {
            if on {
                Span::styled(format!(" {label} "), theme::selected())
            } else {
                Span::styled(format!(" {label} "), theme::muted())
            }
        };
        let mut tabs = Vec::new();
        if p.counts.invalid > 0 {
            tabs.push(tab(
                format!("Invalid lines {}", thousands(p.counts.invalid)),
                view.section == Section::Invalid,
            ));
            tabs.push(Span::raw(" "));
        }
        if p.counts.duplicate_targets > 0 {
            tabs.push(tab(
                format!("Repeated targets {}", thousands(p.counts.duplicate_targets)),
                view.section == Section::Duplicates,
            ));
        }
        frame.render_widget(Paragraph::new(Line::from(tabs)), a.tabs);
        match view.section {
            Section::Invalid => self.render_invalid(frame, &a, view.invalid_scroll),
            Section::Duplicates => self.render_duplicates(frame, &a, view.dup_scroll),
        }
        if self.to_send() == 0 && a.detail.height > 0 {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    " No line can be sent: fix the file and import it again",
                    theme::error(),
                )),
                Rect {
                    height: 1,
                    ..a.detail
                },
            );
        }
        let _ = env;
    }

    pub(super) fn render_invalid(&self, frame: &mut Frame, a: &ReviewAreas, mut scroll: Scroll) {
        let total = self.planned.as_ref().map_or(0, |p| p.counts.invalid);
        let w = a.list.width as usize;
        let line_w = self
            .invalid
            .last()
            .map_or(4, |l| l.line.to_string().len())
            .max(4);
        let text_w = if w >= 80 { w * 2 / 5 } else { w / 2 };
        let header = format!(
            " {:<line_w$}  {:<text_w$}  REASON",
            "LINE",
            "TEXT",
            text_w = text_w.saturating_sub(2)
        );
        frame.render_widget(
            Paragraph::new(Line::styled(truncate(&header, w), theme::header())),
            a.header,
        );
        let mut h = a.list.height as usize;
        let mut lines = Vec::new();
        // A JSON array is the usual mistake: say what is expected above the lines.
        if self
            .planned
            .as_ref()
            .is_some_and(|p| p.counts.looks_like_json_array)
            && h > 1
        {
            lines.push(Line::styled(
                truncate(
                    " The file looks like a JSON array: one customization a line (NDJSON) \
                     is expected; jq -c '.[]' converts it",
                    w,
                ),
                theme::error(),
            ));
            h -= 1;
        }
        scroll.fit(self.invalid.len(), h);
        for i in scroll.visible(self.invalid.len(), h) {
            let l = &self.invalid[i];
            let text = truncate(&l.text, text_w.saturating_sub(2));
            let reason = l.reasons.join("; ");
            let mark = if i == scroll.selected { "›" } else { " " };
            let row = format!(
                "{mark}{:<line_w$}  {:<text_w$}  {reason}",
                l.line,
                text,
                text_w = text_w.saturating_sub(2)
            );
            let mut line = Line::raw(truncate(&row, w));
            if i == scroll.selected {
                line = line.style(theme::selected());
            }
            lines.push(line);
        }
        if (self.invalid.len() as u64) < total && lines.len() < a.list.height as usize {
            lines.push(Line::styled(
                format!(
                    " … {} more (the report lists every line)",
                    thousands(total - self.invalid.len() as u64)
                ),
                theme::muted(),
            ));
        }
        frame.render_widget(Paragraph::new(lines), a.list);
        if a.detail.height > 0
            && let Some(l) = self.invalid.get(scroll.selected)
        {
            let mut lines = vec![Line::styled(
                format!(
                    " line {} · {}",
                    l.line,
                    plural(l.reasons.len() as u64, "reason", "reasons")
                ),
                theme::label(),
            )];
            // The reasons first: on a short pane they are what must stay.
            for r in &l.reasons {
                lines.push(Line::styled(
                    truncate(&format!(" • {r}"), a.detail.width as usize),
                    Style::new().fg(theme::ERROR),
                ));
            }
            let room = (a.detail.width as usize).saturating_sub(2).max(1);
            let chars: Vec<char> = l.text.chars().collect();
            for piece in chars.chunks(room).take(2) {
                lines.push(Line::styled(
                    format!(" {}", piece.iter().collect::<String>()),
                    theme::muted(),
                ));
            }
            frame.render_widget(Paragraph::new(lines), a.detail);
        }
    }

    pub(super) fn render_duplicates(&self, frame: &mut Frame, a: &ReviewAreas, mut scroll: Scroll) {
        let Some(p) = &self.planned else { return };
        let w = a.list.width as usize;
        let target_w = (w / 2).max(10);
        frame.render_widget(
            Paragraph::new(Line::styled(
                truncate(&format!(" {:<target_w$}  LINES", "TARGET"), w),
                theme::header(),
            )),
            a.header,
        );
        let h = a.list.height as usize;
        scroll.fit(p.duplicates.len(), h);
        let mut lines = Vec::new();
        for i in scroll.visible(p.duplicates.len(), h) {
            let g = &p.duplicates[i];
            let mut list: Vec<String> = g.lines.iter().map(u32::to_string).collect();
            if g.total > g.lines.len() {
                list.push(format!("… {} in all", g.total));
            }
            let mark = if i == scroll.selected { "›" } else { " " };
            let row = format!(
                "{mark}{:<target_w$}  {}",
                truncate(&g.target, target_w),
                list.join(", ")
            );
            let mut line = Line::raw(truncate(&row, w));
            if i == scroll.selected {
                line = line.style(theme::selected());
            }
            lines.push(line);
        }
        frame.render_widget(Paragraph::new(lines), a.list);
        if a.detail.height > 0 {
            let text = vec![
                Line::styled(" Only one line per target is sent:", theme::label()),
                Line::raw(truncate(
                    " raise and ignore send the first; override sends the last.",
                    w,
                )),
                Line::raw(truncate(
                    " The others are rejected under raise, skipped otherwise.",
                    w,
                )),
            ];
            frame.render_widget(Paragraph::new(text), a.detail);
        }
    }

    pub(super) fn render_strategy(&self, frame: &mut Frame, area: Rect) {
        let w = area.width as usize;
        let mut lines = vec![self.summary_line(area.width), Line::raw("")];
        lines.push(Line::styled(
            truncate(" When a line's target is already stored:", w),
            theme::label(),
        ));
        for (i, (s, what)) in STRATEGIES.iter().enumerate() {
            let on = i == self.strategy;
            let row = format!(" {} {:<9} {what}", if on { "›" } else { " " }, s.as_str());
            let style = if on { theme::selected() } else { Style::new() };
            lines.push(Line::styled(truncate(&row, w), style));
        }
        if let Some(p) = &self.planned
            && p.counts.duplicate_lines > 0
        {
            let c = p.counts;
            let (which, fate) = match self.strategy() {
                ConflictStrategy::Raise => ("first", "rejected"),
                ConflictStrategy::Ignore => ("first", "skipped"),
                ConflictStrategy::Override => ("last", "skipped"),
            };
            lines.push(Line::raw(""));
            lines.push(Line::raw(truncate(
                &format!(
                    " Repeated targets ({}): the {which} line of each is sent, {} {fate}.",
                    thousands(c.duplicate_targets),
                    plural(c.duplicate_lines, "other is", "others are")
                ),
                w,
            )));
        }
        frame.render_widget(Paragraph::new(lines), area);
    }

    pub(super) fn render_confirm(
        &self,
        frame: &mut Frame,
        area: Rect,
        env: &Env,
        confirm: &Confirming,
    ) {
        let Some(p) = &self.planned else { return };
        let c = p.counts;
        let s = self.strategy();
        let p_env = &env.profile;
        let w = area.width;
        let mut lines = vec![
            Line::from(vec![
                Span::raw(" Send "),
                Span::styled(plural(c.to_send(), "line", "lines"), theme::label()),
                Span::raw(format!(" to tracker {} ({})", p_env.tracker, p_env.label)),
            ]),
            Line::raw(""),
        ];
        lines.extend(field_lines("strategy", s.as_str(), w, Style::new()));
        lines.extend(field_lines(
            "requests",
            &format!(
                "{} of up to {} lines",
                thousands(p.chunks_for(s) as u64),
                thousands(self.chunk_size as u64)
            ),
            w,
            Style::new(),
        ));
        // Held back, in the words of the summary and the report: an invalid line ends as
        // rejected; a repeated target as rejected under raise, else skipped. "not sent"
        // is kept for lines a cancel or a stop leaves unsent.
        let mut rejected = Vec::new();
        let mut skipped = Vec::new();
        if c.invalid > 0 {
            rejected.push(format!("{} invalid", thousands(c.invalid)));
        }
        if c.duplicate_lines > 0 {
            let what = format!("{} with a repeated target", thousands(c.duplicate_lines));
            if s == ConflictStrategy::Raise {
                rejected.push(what);
            } else {
                skipped.push(what);
            }
        }
        for (label, held) in [("rejected", rejected), ("skipped", skipped)] {
            if !held.is_empty() {
                lines.extend(field_lines(
                    label,
                    &format!("{} (held back, in the report)", held.join(", ")),
                    w,
                    Style::new().fg(theme::WARN),
                ));
            }
        }
        {
            let r = &confirm.report;
            lines.extend(field_lines(
                "report",
                &r.display().to_string(),
                w,
                Style::new(),
            ));
        }
        if !p_env.production {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!(
                    " {} sends, {} goes back",
                    env.keymap.hint(Action::Confirm),
                    env.keymap.hint(Action::Back)
                ),
                theme::muted(),
            ));
            frame.render_widget(Paragraph::new(lines), area);
            return;
        }
        let needed = lines.len() as u16 + 1;
        let [text, question, field, feedback] = Layout::vertical([
            Constraint::Length(needed.min(area.height.saturating_sub(5))),
            Constraint::Length(1),
            Constraint::Length(3),
            Constraint::Length(1),
        ])
        .areas(area);
        frame.render_widget(Paragraph::new(lines), text);
        frame.render_widget(
            Paragraph::new(Line::styled(
                truncate(
                    &format!(
                        " ⚠ {} is production: type {} to send",
                        p_env.label,
                        c.to_send()
                    ),
                    question.width as usize,
                ),
                Style::new().fg(theme::ERROR).add_modifier(Modifier::BOLD),
            )),
            question,
        );
        let field = Rect {
            x: field.x + 1,
            width: field.width.saturating_sub(2).min(24),
            ..field
        };
        confirm.typed.render(frame, field, Some(Block::bordered()));
        if confirm.typed_wrong {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!(" That is not {}", c.to_send()),
                    theme::error(),
                )),
                feedback,
            );
        }
    }
}
