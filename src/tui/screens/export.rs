//! `x` on browse: export what the filters select into an NDJSON file.
//!
//! The export endpoint takes one value per filter, so a filter with several values is
//! exported one combination at a time and each customization written once. The file is
//! written under a temporary name and renamed into place: whole or not at all.
//!
//! A file already at the path is never replaced without asking: the dialog shows its size
//! and date and waits for a yes (the default is no). The question is the dialog's; the
//! writing is the worker's.

use crate::tui::widgets::dialog;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::api::ExportQuery;
use crate::tui::jobs::ExportJob;
use crate::tui::keys::{Action, Context};
use crate::tui::msg::{ApiEvent, ApiReply, ApiRequest, Remote};
use crate::tui::screens::{Ctx, Env, Input, Screen};
use crate::tui::widgets::path_field::PathField;
use crate::tui::widgets::{theme, truncate};

/// `pinscope-export-YYYYMMDD-HHMMSS.ndjson`, in `tz`.
pub fn default_file_name(now: Timestamp, tz: &TimeZone) -> String {
    format!(
        "pinscope-export-{}.ndjson",
        now.to_zoned_datetime(tz.clone()).strftime("%Y%m%d-%H%M%S")
    )
}

/// A file already at the path an export would write.
#[derive(Debug, Clone, PartialEq)]
pub struct Existing {
    pub path: PathBuf,
    pub size: u64,
    /// When it was last written, when the filesystem says.
    pub modified: Option<Timestamp>,
}

/// What is at `path` now, when it is something an export would replace. A directory is
/// not: the writer refuses it with its own message.
pub fn existing_file(path: &Path) -> Option<Existing> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_dir() {
        return None;
    }
    Some(Existing {
        path: path.to_path_buf(),
        size: meta.len(),
        modified: meta
            .modified()
            .ok()
            .and_then(|t| Timestamp::try_from(t).ok()),
    })
}

/// The export dialog.
pub struct ExportDialog {
    /// One export call each; together they select what the user chose.
    queries: Vec<ExportQuery>,
    /// What they select, in words ("every customization", "the customizations with ...").
    about: String,
    path: PathField,
    export: Remote<()>,
    /// Why the file could not be written.
    write_error: Option<String>,
    /// The file at the path exists: replace it? (asked before anything is fetched)
    asking: Option<Existing>,
    /// The path the user agreed to replace.
    replace_ok: Option<PathBuf>,
    /// The user kept an existing file.
    kept: Option<PathBuf>,
}

impl ExportDialog {
    pub const NAME: &'static str = "export";

    /// Exports what `queries` select (`about` says what, in words) into a file named after
    /// `now` in the current directory (the user may change it).
    pub fn new(
        queries: Vec<ExportQuery>,
        about: String,
        now: Timestamp,
        tz: &TimeZone,
    ) -> ExportDialog {
        let mut path = PathField::new("file to write");
        path.set_value(&default_file_name(now, tz));
        ExportDialog {
            queries,
            about,
            path,
            export: Remote::Idle,
            write_error: None,
            asking: None,
            replace_ok: None,
            kept: None,
        }
    }

    /// The question being asked about an existing file, if any.
    pub fn asking(&self) -> Option<&Existing> {
        self.asking.as_ref()
    }

    fn submit(&mut self, ctx: &mut Ctx) {
        if self.export.is_loading() {
            return;
        }
        let text = self.path.value().trim();
        if text.is_empty() || text.ends_with('/') {
            self.write_error = Some("Type the name of the file to write".into());
            return;
        }
        let path: PathBuf = self.path.path();
        self.write_error = None;
        self.kept = None;
        if self.replace_ok.as_ref() != Some(&path)
            && let Some(existing) = existing_file(&path)
        {
            self.asking = Some(existing);
            return;
        }
        let id = ctx.request(ApiRequest::ExportFile(ExportJob {
            queries: self.queries.clone(),
            path,
        }));
        self.export = Remote::Loading(id);
    }
}

impl Screen for ExportDialog {
    fn name(&self) -> &'static str {
        ExportDialog::NAME
    }

    fn context(&self) -> Context {
        if self.asking.is_some() {
            Context::ExportOverwrite
        } else {
            Context::ExportFile
        }
    }

    fn is_overlay(&self) -> bool {
        true
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        if let Some(existing) = &self.asking {
            match input {
                Input::Action(Action::Replace) => {
                    self.replace_ok = Some(existing.path.clone());
                    self.asking = None;
                    self.submit(ctx);
                }
                Input::Action(Action::Keep | Action::Back) => {
                    self.kept = Some(existing.path.clone());
                    self.asking = None;
                }
                _ => {}
            }
            return;
        }
        match input {
            Input::Action(Action::Back) => ctx.close(),
            Input::Action(Action::Confirm) => self.submit(ctx),
            Input::Action(Action::Complete) => {
                self.path.complete();
                self.write_error = None;
            }
            Input::Key(k) => {
                if self.path.input(k) {
                    self.write_error = None;
                    self.kept = None;
                    if !self.export.is_loading() {
                        self.export = Remote::Idle;
                    }
                }
            }
            Input::Action(_) => {}
        }
    }

    fn on_paste(&mut self, text: &str, _ctx: &mut Ctx) {
        if self.asking.is_some() {
            return;
        }
        self.kept = None;
        self.path.set_value("");
        self.path.paste(text);
        self.write_error = None;
    }

    fn on_retry(&mut self, ctx: &mut Ctx) {
        if matches!(self.export, Remote::Failed(_)) {
            self.submit(ctx);
        }
    }

    fn on_api(&mut self, ev: &ApiEvent, ctx: &mut Ctx) {
        if !self.export.waits_for(ev.id) {
            return;
        }
        match &ev.result {
            Ok(ApiReply::ExportFile(done)) => match &done.result {
                Ok(n) => {
                    self.export = Remote::Ready(());
                    let what = if *n == 1 {
                        "customization"
                    } else {
                        "customizations"
                    };
                    ctx.toast(format!("Exported {n} {what} to {}", done.path.display()));
                    ctx.close();
                }
                Err(e) => {
                    self.export = Remote::Idle;
                    self.write_error = Some(e.clone());
                }
            },
            Ok(_) => self.export = Remote::Idle,
            Err(e) => self.export = Remote::Failed(e.clone()),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, env: &Env) {
        let k = &env.keymap;
        let inner = dialog(
            frame,
            area,
            (72, 10),
            Span::styled(" Export to a file ", theme::title()),
            k.hints(&[
                (Action::Confirm, "export"),
                (Action::Complete, "complete"),
                (Action::Back, "close"),
            ]),
            Style::new(),
        );
        let [what, field, feedback] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(3),
            Constraint::Min(0),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(format!("Writes {}, one JSON object a line.", self.about))
                .wrap(Wrap { trim: true }),
            what,
        );
        let failed = self.write_error.is_some() || self.export.error().is_some();
        let border = if failed {
            Style::new().fg(theme::ERROR)
        } else {
            Style::new()
        };
        self.path.render(
            frame,
            field,
            Some(Block::bordered().border_style(border).title(" File ")),
        );
        let w = feedback.width as usize;
        let lines = match (&self.export, &self.write_error) {
            (Remote::Loading(_), _) => {
                vec![Line::raw(format!("{} exporting…", env.spinner_glyph()))]
            }
            (_, Some(e)) => vec![Line::styled(truncate(&format!("✗ {e}"), w), theme::error())],
            (Remote::Failed(e), _) => vec![
                Line::styled(truncate(&format!("✗ {}", e.explain()), w), theme::error()),
                // R would be typed into the path: Enter sends the export again.
                Line::styled(
                    format!("{} tries again", k.hint(Action::Confirm)),
                    theme::muted(),
                ),
            ],
            _ if self.kept.is_some() => vec![Line::styled(
                truncate(
                    "Kept the existing file: nothing was written. Type another name.",
                    w,
                ),
                theme::muted(),
            )],
            _ if !self.path.candidates().is_empty() => vec![Line::styled(
                truncate(&self.path.candidates().join("  "), w),
                theme::muted(),
            )],
            _ if self.path.no_match() => vec![Line::styled("no file matches", theme::muted())],
            _ => vec![Line::styled(
                "A relative path is in the directory pinscope was started from",
                theme::muted(),
            )],
        };
        frame.render_widget(Paragraph::new(lines), feedback);
        if let Some(existing) = &self.asking {
            render_overwrite_question(frame, area, env, existing);
        }
    }
}

/// "Replace the file?", with its size and date; the default answer keeps it.
fn render_overwrite_question(frame: &mut Frame, area: Rect, env: &Env, existing: &Existing) {
    let k = &env.keymap;
    let inner = dialog(
        frame,
        area,
        (66, 8),
        Span::styled(" Replace the file? ", theme::title()),
        k.hints(&[(Action::Replace, "replace"), (Action::Keep, "keep it")]),
        Style::new().fg(theme::WARN),
    );
    let modified = existing.modified.map_or_else(
        || "date unknown".to_string(),
        |t| format!("modified {}", crate::tui::fmt::date_time(t, &env.tz)),
    );
    let text = vec![
        Line::raw(format!("{} already exists", existing.path.display())),
        Line::raw(format!(
            "({}, {modified}).",
            crate::tui::fmt::bytes(existing.size)
        )),
        Line::raw(""),
        Line::styled(
            format!(
                "Replace it with the export? {} keeps it (the default).",
                k.label(Action::Keep)
            ),
            theme::muted(),
        ),
    ];
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_name_has_the_local_time() {
        let now: Timestamp = "2025-06-15T10:00:00Z".parse().expect("ts");
        let tz = TimeZone::get("Europe/Prague").expect("tz");
        assert_eq!(
            default_file_name(now, &tz),
            "pinscope-export-20250615-120000.ndjson"
        );
    }
}
