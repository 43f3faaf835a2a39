//! The first steps: the file (typed, completed or recent) and its validation.

use super::*;

#[derive(Debug, Clone, Default)]
pub struct ScanProgress {
    pub(super) lines: u64,
    pub(super) bytes: u64,
    pub(super) total_bytes: Option<u64>,
    pub(super) rate: f64,
}

impl ImportScreen {
    pub(super) fn submit_file(&mut self, ctx: &mut Ctx) {
        let text = self.path.value().trim().to_string();
        if text.is_empty() {
            self.set_file_error(Some("Type the path of a file, or pick a recent one".into()));
            return;
        }
        let path = self.path.path();
        self.input = std::path::absolute(&path).unwrap_or(path);
        let cancel = Shared::new(CancelToken::new());
        self.cancel = Some(cancel.clone());
        self.invalid.clear();
        self.planned = None;
        let id = ctx.request(ApiRequest::ImportScan(ScanJob {
            path: self.input.clone(),
            cancel,
            remember_in: self.recent_list(),
        }));
        self.job = Remote::Loading(id);
        self.step = Step::Validating(ScanProgress::default());
    }

    pub(super) fn pick_recent(&mut self, delta: isize) {
        let n = self.recent.len();
        if n == 0 {
            return;
        }
        let next = match self.recent_sel {
            // Up or Down: the most recent first, as a shell's history.
            None => 0,
            Some(i) => {
                let j = i as isize + delta;
                if j < 0 {
                    self.recent_sel = None;
                    self.path.set_value("");
                    return;
                }
                (j as usize).min(n - 1)
            }
        };
        self.recent_sel = Some(next);
        if let Some(f) = self.recent.get(next) {
            self.path.set_value(f);
        }
        self.set_file_error(None);
    }

    pub(super) fn on_file_input(&mut self, input: Input, ctx: &mut Ctx) {
        match input {
            Input::Action(Action::Back) => ctx.close(),
            Input::Action(Action::Confirm) => self.submit_file(ctx),
            Input::Action(Action::Complete) => {
                self.path.complete();
                self.recent_sel = None;
                self.set_file_error(None);
            }
            Input::Action(Action::Down) => self.pick_recent(1),
            Input::Action(Action::Up) => self.pick_recent(-1),
            Input::Key(k) => {
                if self.path.input(k) {
                    self.set_file_error(None);
                    self.recent_sel = None;
                }
            }
            Input::Action(_) => {}
        }
    }

    pub(super) fn stop_validation(&mut self, ctx: &mut Ctx) {
        if let Some(c) = &self.cancel {
            c.cancel();
        }
        self.job = Remote::Idle;
        self.step = Step::File { error: None };
        ctx.toast("Validation stopped; nothing was sent");
    }

    /// `DATA_DIR/imports/NAME-YYYYMMDD-HHMMSS.report.ndjson`, or beside the input when
    /// there is no data dir. A report (or its journal) that exists belongs to another import:
    /// a new run takes the next free name, `NAME-YYYYMMDD-HHMMSS-2.report.ndjson`...
    pub(super) fn report_path(&self, now: Timestamp, tz: &TimeZone) -> PathBuf {
        let stamp = now.to_zoned_datetime(tz.clone()).strftime("%Y%m%d-%H%M%S");
        let stem = self.input.file_stem().map_or_else(
            || "import".to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        let at = |name: String| match &self.data_dir {
            Some(d) => d.join("imports").join(name),
            None => self.input.with_file_name(name),
        };
        let taken = |p: &PathBuf| {
            std::fs::symlink_metadata(p).is_ok()
                || crate::import::journal::default_path(&self.input, Some(p))
                    .is_some_and(|j| std::fs::symlink_metadata(j).is_ok())
        };
        let first = at(format!("{stem}-{stamp}.report.ndjson"));
        if !taken(&first) {
            return first;
        }
        (2..10_000)
            .map(|n| at(format!("{stem}-{stamp}-{n}.report.ndjson")))
            .find(|p| !taken(p))
            .unwrap_or(first)
    }

    /// Says why the path was not taken (`None` clears it); only on the file step.
    fn set_file_error(&mut self, why: Option<String>) {
        if let Step::File { error } = &mut self.step {
            *error = why;
        }
    }

    pub(super) fn render_file(
        &self,
        frame: &mut Frame,
        area: Rect,
        env: &Env,
        file_error: Option<&str>,
    ) {
        let [intro, field, feedback, list] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(3),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(Line::raw(truncate(
                " An NDJSON file: one customization a line. Nothing is sent before you confirm.",
                intro.width as usize,
            ))),
            intro,
        );
        let border = if file_error.is_some() {
            Style::new().fg(theme::ERROR)
        } else {
            Style::new()
        };
        let field = Rect {
            x: field.x + 1,
            width: field.width.saturating_sub(2),
            ..field
        };
        self.path.render(
            frame,
            field,
            Some(Block::bordered().border_style(border).title(" File ")),
        );
        let line = if let Some(e) = file_error {
            Line::styled(
                truncate(&format!(" ✗ {e}"), feedback.width as usize),
                theme::error(),
            )
        } else if self.path.no_match() {
            Line::styled(" no file matches", theme::muted())
        } else {
            Line::raw("")
        };
        frame.render_widget(Paragraph::new(line), feedback);
        let width = list.width as usize;
        let mut lines = Vec::new();
        if !self.path.candidates().is_empty() {
            lines.push(Line::styled(
                format!(
                    " Matches ({}; type more and press {} again)",
                    self.path.candidates().len(),
                    env.keymap.hint(Action::Complete)
                ),
                theme::label(),
            ));
            for c in self.path.candidates() {
                lines.push(Line::raw(truncate(&format!("   {c}"), width)));
            }
        } else if !self.recent.is_empty() {
            lines.push(Line::styled(" Recent files", theme::label()));
            for (i, f) in self.recent.iter().enumerate() {
                let mut line = Line::raw(truncate(&format!("   {f}"), width));
                if self.recent_sel == Some(i) {
                    line = line.style(theme::selected());
                }
                lines.push(line);
            }
        }
        frame.render_widget(Paragraph::new(lines), list);
    }

    pub(super) fn render_validating(&self, frame: &mut Frame, area: Rect, s: &ScanProgress) {
        let [head, gauge, rest] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(vec![
                Line::raw(truncate(
                    &format!(" Validating {}", self.input_name()),
                    head.width as usize,
                )),
                Line::styled(" Nothing is sent while the file is read.", theme::muted()),
            ]),
            head,
        );
        let gauge_area = Rect {
            x: gauge.x + 1,
            width: gauge.width.saturating_sub(2),
            ..gauge
        };
        if let Some(total) = s.total_bytes.filter(|t| *t > 0) {
            frame.render_widget(
                theme::gauge(s.bytes, total).label(format!(
                    "{} of {}",
                    bytes(s.bytes),
                    bytes(total)
                )),
                gauge_area,
            );
        }
        let lines = vec![
            Line::raw(""),
            field_line("lines", &thousands(s.lines)),
            field_line("rate", &format!("{} lines/s", thousands(s.rate as u64))),
            field_line(
                "invalid",
                &format!("{} so far", thousands(self.invalid.len() as u64)),
            ),
        ];
        frame.render_widget(Paragraph::new(lines), rest);
    }
}
