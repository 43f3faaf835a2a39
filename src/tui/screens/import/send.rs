//! Sending: the engine's progress, and the cancel (asked, then done; the requests in
//! flight finish).

use super::*;

#[derive(Debug, Clone, Default)]
pub(super) struct SendProgress {
    pub(super) lines_total: u64,
    pub(super) chunks_total: usize,
    pub(super) chunks_done: usize,
    pub(super) lines_done: u64,
    pub(super) already_done: u64,
    pub(super) rate: f64,
    pub(super) eta: Option<std::time::Duration>,
    pub(super) retries: u64,
    pub(super) last_retry: Option<String>,
    pub(super) counts: Counts,
    pub(super) existing: Option<(ExistingMode, u64)>,
    /// Listing the stored targets before sending: read of total.
    pub(super) listing: Option<(u64, u64)>,
    pub(super) stopping: Option<String>,
    /// Chunks whose request went out and that are not settled yet.
    pub(super) in_flight: std::collections::BTreeSet<usize>,
}

/// The send step: the engine's progress, and the cancel.
pub struct Sending {
    pub(super) progress: SendProgress,
    /// The file sent and the strategy, as the heading says them.
    pub(super) input: PathBuf,
    pub(super) strategy: ConflictStrategy,
    /// "Cancel the import?" is open.
    pub(super) asking_cancel: bool,
    /// The cancel is confirmed: the requests in flight finish, nothing more is sent.
    pub(super) cancelling: bool,
    /// Ctrl-C confirmed the cancel: quit once the requests in flight have finished.
    pub(super) quit_when_done: bool,
}

impl SendProgress {
    /// Still listing what is stored: nothing is sent yet.
    fn listing_now(&self) -> Option<(u64, u64)> {
        self.listing
            .filter(|(read, total)| read < total && self.existing.is_none())
    }
}

pub(super) fn render_cancel_question(frame: &mut Frame, area: Rect, env: &Env) {
    let k = &env.keymap;
    let inner = dialog(
        frame,
        area,
        (62, 7),
        Span::styled(" Cancel the import? ", theme::title()),
        k.hints(&[(Action::Confirm, "cancel it"), (Action::Back, "keep going")]),
        Style::new().fg(theme::WARN),
    );
    let text = "The requests in flight finish and are recorded in the journal; \
                the lines not sent yet end as not_sent, and the import can be resumed.";
    frame.render_widget(
        Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }),
        inner,
    );
}

impl ImportScreen {
    pub(super) fn start_send(&mut self, ctx: &mut Ctx) {
        let (Some(planned), Step::Confirm(confirm)) = (&self.planned, &self.step) else {
            return;
        };
        let cancel = Shared::new(CancelToken::new());
        self.cancel = Some(cancel.clone());
        let id = ctx.request(ApiRequest::ImportSend(SendJob {
            plan: planned.plan.clone(),
            strategy: self.strategy(),
            chunk_size: self.chunk_size,
            concurrency: CONCURRENCY,
            report: confirm.report.clone(),
            journal: confirm.journal.clone(),
            cancel,
        }));
        self.job = Remote::Loading(id);
        self.step = Step::Sending(Box::new(Sending {
            progress: SendProgress {
                chunks_total: planned.chunks_for(self.strategy()),
                lines_total: planned.counts.to_send(),
                ..SendProgress::default()
            },
            input: self.input.clone(),
            strategy: self.strategy(),
            asking_cancel: false,
            cancelling: false,
            quit_when_done: false,
        }));
    }

    /// Cancels the send: the requests in flight finish and are recorded.
    pub(super) fn cancel_send(&mut self) {
        if let Some(c) = &self.cancel {
            c.cancel();
        }
        if let Step::Sending(s) = &mut self.step {
            s.cancelling = true;
            s.asking_cancel = false;
        }
    }

    pub(super) fn on_sending_input(&mut self, input: Input) {
        let Step::Sending(s) = &mut self.step else {
            return;
        };
        if s.asking_cancel {
            match input {
                Input::Action(Action::Confirm) => self.cancel_send(),
                Input::Action(Action::Back) => s.asking_cancel = false,
                _ => {}
            }
            return;
        }
        if matches!(input, Input::Action(Action::Cancel | Action::Back)) && !s.cancelling {
            s.asking_cancel = true;
        }
    }

    pub(super) fn on_event(&mut self, e: &Event) {
        match (&mut self.step, e) {
            (
                Step::Validating(scanned),
                Event::Validating {
                    lines,
                    bytes,
                    total_bytes,
                    lines_per_sec,
                },
            ) => {
                *scanned = ScanProgress {
                    lines: *lines,
                    bytes: *bytes,
                    total_bytes: *total_bytes,
                    rate: *lines_per_sec,
                };
            }
            (
                Step::Sending(sending),
                Event::Sending {
                    lines,
                    chunks,
                    already_done,
                },
            ) => {
                let s = &mut sending.progress;
                s.lines_total = *lines;
                s.chunks_total = *chunks;
                s.already_done = *already_done;
                s.lines_done = *already_done;
            }
            (Step::Sending(sending), Event::ChunkSent { chunk, .. }) => {
                sending.progress.in_flight.insert(*chunk);
            }
            (Step::Sending(sending), Event::ListingStored { read, total }) => {
                sending.progress.listing = Some((*read, *total));
            }
            (Step::Sending(sending), Event::CheckingTargets { mode, stored }) => {
                sending.progress.existing = Some((*mode, *stored));
            }
            (
                Step::Sending(sending),
                Event::Retry {
                    chunk,
                    attempt,
                    delay,
                    error,
                },
            ) => {
                // A retried chunk is still in flight.
                sending.progress.in_flight.insert(*chunk);
                sending.progress.retries += 1;
                sending.progress.last_retry = Some(format!(
                    "chunk {}: {error}; try {} in {:.1}s",
                    chunk + 1,
                    attempt + 1,
                    delay.as_secs_f64()
                ));
            }
            (
                Step::Sending(sending),
                Event::ChunkDone {
                    chunk,
                    counts,
                    lines_done,
                    lines_total,
                    lines_per_sec,
                    eta,
                },
            ) => {
                let s = &mut sending.progress;
                s.in_flight.remove(chunk);
                s.chunks_done += 1;
                s.lines_done = *lines_done;
                s.lines_total = *lines_total;
                s.rate = *lines_per_sec;
                s.eta = *eta;
                s.counts.created += counts.created;
                s.counts.replaced += counts.replaced;
                s.counts.skipped += counts.skipped;
                s.counts.rejected += counts.rejected;
                s.counts.not_sent += counts.not_sent;
            }
            (Step::Sending(sending), Event::Stopping { reason }) => {
                sending.progress.stopping = Some(reason.clone());
            }
            _ => {}
        }
    }
}

impl Sending {
    /// `finishing 2 requests in flight…`, as far as the events have told.
    pub(super) fn finishing(&self) -> String {
        match self.progress.in_flight.len() {
            0 => "finishing the requests in flight…".to_string(),
            1 => "finishing 1 request in flight…".to_string(),
            n => format!("finishing {n} requests in flight…"),
        }
    }

    pub(super) fn render(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let s = &self.progress;
        let [head, gauge, rest] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(area);
        let w = area.width as usize;
        let head_text = if self.cancelling {
            Line::styled(
                truncate(
                    &format!(
                        " {} Cancelling: {} nothing more is sent{}",
                        env.spinner_glyph(),
                        self.finishing(),
                        if self.quit_when_done {
                            "; then pinscope quits"
                        } else {
                            ""
                        }
                    ),
                    w,
                ),
                Style::new().fg(theme::WARN),
            )
        } else if let Some((read, total)) = s.listing_now() {
            Line::raw(truncate(
                &format!(
                    " {} Checking stored targets: {} of {} (nothing is sent before this ends)",
                    env.spinner_glyph(),
                    thousands(read),
                    thousands(total)
                ),
                w,
            ))
        } else {
            Line::raw(truncate(
                &format!(
                    " {} Sending {} · {}",
                    env.spinner_glyph(),
                    self.input
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    self.strategy.as_str()
                ),
                w,
            ))
        };
        frame.render_widget(Paragraph::new(vec![head_text]), head);
        frame.render_widget(
            theme::gauge(s.lines_done, s.lines_total),
            Rect {
                x: gauge.x + 1,
                width: gauge.width.saturating_sub(2),
                ..gauge
            },
        );
        let eta = match s.eta {
            Some(d) if s.lines_done < s.lines_total => format!(" · ETA {}", duration(d)),
            _ => String::new(),
        };
        let mut lines = vec![
            Line::raw(""),
            field_line(
                "chunks",
                &format!(
                    "{} of {} done",
                    thousands(s.chunks_done as u64),
                    thousands(s.chunks_total as u64)
                ),
            ),
            field_line(
                "lines",
                &format!(
                    "{} of {}",
                    thousands(s.lines_done),
                    thousands(s.lines_total)
                ),
            ),
            field_line(
                "rate",
                &if s.chunks_done == 0 {
                    "measured after the first chunk".to_string()
                } else {
                    format!("{} lines/s{eta}", thousands(s.rate as u64))
                },
            ),
            field_line("retries", &thousands(s.retries)),
            field_line(
                "so far",
                &format!(
                    "{} created · {} replaced · {} skipped · {} rejected",
                    thousands(s.counts.created),
                    thousands(s.counts.replaced),
                    thousands(s.counts.skipped),
                    thousands(s.counts.rejected)
                ),
            ),
        ];
        if let Some((read, total)) = s.listing_now() {
            lines.push(field_line(
                "targets",
                &format!(
                    "checking stored targets: {} of {}",
                    thousands(read),
                    thousands(total)
                ),
            ));
        }
        if let Some((mode, stored)) = s.existing {
            let how = match mode {
                ExistingMode::Empty => "none stored for these models".to_string(),
                ExistingMode::Snapshot => format!("{} stored, listed once", thousands(stored)),
                ExistingMode::PerChunk => {
                    format!("{} stored, looked up per chunk", thousands(stored))
                }
            };
            lines.push(field_line("targets", &how));
        }
        if let Some(r) = &s.last_retry {
            lines.push(Line::styled(
                truncate(&format!(" ⚠ {r}"), w),
                Style::new().fg(theme::WARN),
            ));
        }
        if let Some(r) = &s.stopping {
            lines.push(Line::styled(
                truncate(&format!(" stopping: {r}"), w),
                Style::new().fg(theme::WARN),
            ));
        }
        let lines: Vec<Line> = lines.into_iter().map(|l| truncate_line(l, w)).collect();
        frame.render_widget(Paragraph::new(lines), rest);
    }
}
