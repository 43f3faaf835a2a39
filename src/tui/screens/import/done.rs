//! The summary: every line's outcome counted, the report, and how to resume.

use super::*;

/// The last step: how the run ended (or why it did not start).
pub struct Done {
    /// The file that was imported (for the command that resumes it).
    pub(super) input: PathBuf,
    pub(super) finished: Option<Box<Finished>>,
    /// Why the send could not start.
    pub(super) failed: Option<String>,
    /// How far the summary is scrolled.
    pub(super) offset: usize,
    /// Ctrl-C confirmed the cancel: pinscope quits now that the run has ended.
    pub(super) quit_when_done: bool,
}

impl ImportScreen {
    pub(super) fn on_done_input(&mut self, input: Input, ctx: &mut Ctx) {
        if let Step::Done(done) = &mut self.step {
            done.on_input(input, ctx);
        }
    }
}

impl Done {
    fn height(area: Rect) -> usize {
        frame_block().inner(area).height as usize
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        let h = Self::height(ctx.area);
        let len = self.lines(ctx.env, ctx.area.width).len();
        let max = len.saturating_sub(h);
        let page = h.max(1);
        match input {
            Input::Action(Action::Back | Action::Confirm) => ctx.close(),
            Input::Action(Action::Up) => self.offset = self.offset.saturating_sub(1),
            Input::Action(Action::Down) => self.offset = (self.offset + 1).min(max),
            Input::Action(Action::PageUp) => self.offset = self.offset.saturating_sub(page),
            Input::Action(Action::PageDown) => self.offset = (self.offset + page).min(max),
            Input::Action(Action::Top) => self.offset = 0,
            Input::Action(Action::Bottom) => self.offset = max,
            _ => {}
        }
    }

    /// The summary, scrolled.
    pub(super) fn render(&self, frame: &mut Frame, inner: Rect, env: &Env, width: u16) {
        let lines = self.lines(env, width);
        let max = lines.len().saturating_sub(inner.height as usize);
        let start = self.offset.min(max);
        let visible: Vec<Line> = lines.into_iter().skip(start).collect();
        frame.render_widget(Paragraph::new(visible), inner);
    }

    /// The summary, as lines.
    fn lines(&self, env: &Env, width: u16) -> Vec<Line<'static>> {
        let w = frame_block().inner(Rect::new(0, 0, width, 3)).width;
        let mut out = Vec::new();
        if let Some(why) = &self.failed {
            out.push(Line::styled(" Import failed", theme::error()));
            for l in field_lines("why", why, w, Style::new()) {
                out.push(l);
            }
            out.push(Line::raw(""));
            out.push(Line::styled(
                " The import did not start: nothing was sent.".to_string(),
                theme::muted(),
            ));
            return out;
        }
        let Some(f) = &self.finished else {
            return out;
        };
        let s = &f.summary;
        let c = &s.counts;
        let (title, style) = if s.cancelled {
            ("Import cancelled", Style::new().fg(theme::WARN))
        } else if s.stopped.is_some() {
            ("Import stopped", theme::error())
        } else if c.all_ok() {
            ("Import done", Style::new().fg(theme::OK))
        } else {
            (
                "Import done, with lines rejected",
                Style::new().fg(theme::WARN),
            )
        };
        out.push(Line::styled(
            format!(" {title}"),
            style.add_modifier(Modifier::BOLD),
        ));
        out.push(Line::raw(truncate(
            &format!(
                " {} · {} · {} · {} · {}",
                plural(s.lines, "line", "lines"),
                s.strategy.as_str(),
                duration(s.elapsed),
                plural(s.requests, "request", "requests"),
                plural(s.retries, "retry", "retries")
            ),
            w as usize,
        )));
        out.push(Line::raw(""));
        let rows: [(&str, u64, Style); 5] = [
            ("created", c.created, Style::new().fg(theme::OK)),
            ("replaced", c.replaced, Style::new().fg(theme::OK)),
            ("skipped", c.skipped, Style::new()),
            ("rejected", c.rejected, Style::new().fg(theme::ERROR)),
            ("not sent", c.not_sent, Style::new().fg(theme::WARN)),
        ];
        let num_w = rows.iter().map(|r| thousands(r.1).len()).max().unwrap_or(1);
        for (label, n, st) in rows {
            let st = if n == 0 { theme::muted() } else { st };
            out.push(Line::from(vec![
                Span::styled(format!(" {label:<9}"), theme::label()),
                Span::styled(format!("{:>num_w$}", thousands(n)), st),
            ]));
        }
        out.push(Line::raw(""));
        if let Some(stopped) = &s.stopped
            && !s.cancelled
        {
            out.extend(field_lines("stopped", stopped, w, theme::error()));
        }
        match (&s.report, &f.report_error) {
            (Some(r), _) => {
                out.extend(field_lines(
                    "report",
                    &r.display().to_string(),
                    w,
                    Style::new(),
                ));
                out.push(Line::styled(
                    truncate(
                        " (one JSON object per line: line, outcome, target, reason)",
                        w as usize,
                    ),
                    theme::muted(),
                ));
            }
            (None, Some(e)) => out.extend(field_lines("report", e, w, theme::error())),
            (None, None) => {}
        }
        if let Some(j) = &s.journal
            && !c.all_ok()
            && (s.cancelled || s.stopped.is_some())
            && c.not_sent > 0
        {
            out.extend(field_lines(
                "journal",
                &j.display().to_string(),
                w,
                Style::new(),
            ));
            let resume = self.resume_command(env).unwrap_or_default();
            out.extend(field_lines(
                "resume",
                &resume,
                w,
                Style::new().fg(theme::ACCENT),
            ));
        }
        if !f.notable.is_empty() {
            out.push(Line::raw(""));
            let shown = f.notable.len() as u64;
            let all = c.rejected + c.not_sent;
            let head = if all > shown {
                format!(" Lines rejected or not sent (first {})", thousands(shown))
            } else {
                " Lines rejected or not sent".to_string()
            };
            out.push(Line::styled(head, theme::label()));
            let line_w = f.notable.last().map_or(1, |n| n.line.to_string().len());
            for n in &f.notable {
                let what = match n.outcome {
                    Outcome::Rejected => "rejected",
                    _ => "not sent",
                };
                out.push(Line::raw(truncate(
                    &format!(" {:>line_w$}  {what:<8}  {}", n.line, n.reason),
                    w as usize,
                )));
            }
        }
        out
    }

    /// The command that continues an import that did not finish, as it can be run: with
    /// the options that choose this profile, the paths quoted for the shell.
    pub(super) fn resume_command(&self, env: &Env) -> Option<String> {
        let f = self.finished.as_ref()?;
        let s = &f.summary;
        let c = &s.counts;
        let j = s.journal.as_ref()?;
        if c.all_ok() || !(s.cancelled || s.stopped.is_some()) || c.not_sent == 0 {
            return None;
        }
        let quote = |p: &std::path::Path| shell_quote(&p.display().to_string());
        let tail = match &s.report {
            Some(r) => format!("--report {}", quote(r)),
            None => format!("--journal {}", quote(j)),
        };
        let mut cmd = String::from("pinscope ");
        if !env.profile.session_args.is_empty() {
            cmd.push_str(&env.profile.session_args);
            cmd.push(' ');
        }
        cmd.push_str(&format!("import {} --resume {tail}", quote(&self.input)));
        Some(cmd)
    }
}
