//! The editor: create and edit a customization in a form, safely.
//!
//! - `n` on browse opens it on a new customization, `e` on detail on the one shown, `N` on
//!   detail on a copy of it (saved as a new one).
//! - The form edits the customization's JSON object in place (`form.rs`): fields it does not
//!   know, and key order, go back to the service as they came.
//! - The shared rules ([`crate::api::validate`]) run after every change; each error sits
//!   next to its field, and saving is refused with the list. A 422 from the service is
//!   placed on the fields it names.
//! - Saving a new customization creates it and opens its detail. Saving an edit first
//!   fetches the service's current version and shows what the replace will change (and
//!   whether someone changed it since the form was opened) before anything is sent.
//! - Nothing typed is lost: a draft is written to the data dir shortly after each change
//!   (a timer, not a tick) and offered back when the same customization (or a new one) is
//!   opened again; `Esc` with unsaved changes asks.
//! - `E` / `Ctrl-O` opens the whole object in `$VISUAL` / `$EDITOR`; what comes back is
//!   parsed and checked, with problems given by line.
//! - On a read-only profile the form only shows.

mod form;
mod view;

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::api::model::{ConflictKey, PinType, TargetType};
use crate::api::{ApiError, Customization, ListQuery, Summary};
use crate::diff::{Change, diff};
use crate::health::lint::{Finding, Neighbours, Rule};
use crate::tui::drafts::{self, Draft};
use crate::tui::keys::{Action, Context};
use crate::tui::msg::{ApiEvent, ApiReply, ApiRequest, Remote, ReqId};
use crate::tui::screens::{Ctx, Env, Input, Route, Screen, Tone};
use crate::tui::widgets::json_field::JsonError;
use crate::tui::widgets::list::Scroll;

pub use form::{Field, Form, PinField, Place, PosKind, place_of};

/// How long after the last change the draft is written.
pub const DRAFT_DEBOUNCE: SignedDuration = SignedDuration::from_millis(800);

/// How long after the last change of the target the service is asked who else holds it.
pub const TARGET_DEBOUNCE: SignedDuration = SignedDuration::from_millis(500);

/// Rows of the pin table shown at once.
pub const PIN_ROWS: usize = 10;

/// What the form is for.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// A customization not created yet (perhaps a copy of another).
    New { duplicated_from: Option<String> },
    /// The customization with this id.
    Edit { id: String },
}

/// Which form is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Main,
    /// The form of pin `i`.
    Pin(usize),
}

/// The field under a mouse click, in the form that is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clicked {
    Main(Field),
    Pin(PinField),
}

/// What a save will change, shown before an update is sent.
#[derive(Debug, Clone)]
pub struct Review {
    /// The service's version, fetched just now.
    pub current: Customization,
    /// From the service's version to the form's.
    pub changes: Vec<Change>,
    /// From the version the form was opened on to the service's (someone else's edits).
    pub server_changed: Vec<Change>,
    /// What changed on the service while this review was shown (Enter fetched again and
    /// found a newer version: this review is of that one, and nothing was sent).
    pub moved_while_reviewing: Vec<Change>,
    pub scroll: usize,
}

/// A dialog over the form.
#[derive(Debug, Clone)]
pub enum Overlay {
    /// A draft was found: restore it?
    Restore {
        draft: Box<Draft>,
        /// What the draft changes, against what the form starts from.
        changes: Vec<Change>,
        /// The service's version differs from the one the draft was based on.
        server_moved: bool,
    },
    /// Unsaved changes: discard, keep as a draft, or stay?
    Leave,
    /// Things to fix (save refused, or the editor's JSON).
    Problems {
        title: String,
        lines: Vec<String>,
        scroll: usize,
    },
    Review(Box<Review>),
    /// A new customization with health warnings (a target already used): create anyway?
    Warnings(Vec<Finding>),
}

/// Where a save stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saving {
    Idle,
    Creating(ReqId),
    /// Fetching the service's current version for the review.
    Fetching(ReqId),
    /// Enter on the review: fetching again, to send only if it is still the one reviewed.
    Rechecking(ReqId),
    Updating(ReqId),
}

/// The editor screen.
pub struct Editor {
    mode: Mode,
    form: Form,
    /// What "unsaved changes" is measured against.
    original: Customization,
    /// The service's version the edit started from.
    base: Option<Customization>,
    view: View,
    focus: Field,
    pin_focus: PinField,
    pins_scroll: Scroll,
    overlay: Option<Overlay>,
    saving: Saving,
    summary: Remote<Summary>,
    banner: Option<(Tone, String)>,
    dirty: bool,
    /// When the draft is due to be written.
    draft_due: Option<Timestamp>,
    /// A draft file may exist for this form (so a clean form removes it).
    draft_on_disk: bool,
    /// Text from the external editor that did not parse, offered again next time.
    external_text: Option<String>,
    read_only: bool,
    /// What the editor knows of the other customizations: models (from the summary) and
    /// who holds the target (asked of the service).
    neighbours: Neighbours,
    /// The target whose holders were last asked for, and the request.
    target_asked: Option<ConflictKey>,
    target_check: Remote<()>,
    /// When the target is due to be looked up.
    target_due: Option<Timestamp>,
    /// The health rules, as they apply to the form now: shown as warnings.
    health: Vec<Finding>,
}

/// The object a new customization starts from.
pub fn template() -> Customization {
    let mut c = Customization::new();
    c.set("model", Value::from(""));
    c.set("target_type", Value::from("item"));
    c.set("target_identity", Value::from(""));
    c.set("pin_definitions", Value::Array(Vec::new()));
    c
}

impl Editor {
    pub const NAME: &'static str = "editor";

    fn with(mode: Mode, obj: Customization, base: Option<Customization>) -> Editor {
        // A stand-in until `on_open`, which builds the form again with the user's zone and
        // the current time (dates typed as `+7d` need both).
        let form = Form::new(obj.clone(), Timestamp::UNIX_EPOCH, &jiff::tz::TimeZone::UTC);
        Editor {
            mode,
            form,
            original: obj,
            base,
            view: View::Main,
            focus: Field::Model,
            pin_focus: PinField::Position,
            pins_scroll: Scroll::default(),
            overlay: None,
            saving: Saving::Idle,
            summary: Remote::Idle,
            banner: None,
            dirty: false,
            draft_due: None,
            draft_on_disk: false,
            external_text: None,
            read_only: false,
            neighbours: Neighbours::default(),
            target_asked: None,
            target_check: Remote::Idle,
            target_due: None,
            health: Vec::new(),
        }
    }

    /// A new customization.
    pub fn create() -> Editor {
        Editor::with(
            Mode::New {
                duplicated_from: None,
            },
            template(),
            None,
        )
    }

    /// Edits `c` (as fetched: the service's current version).
    pub fn edit(c: Customization) -> Editor {
        let id = c.id().unwrap_or("").to_string();
        Editor::with(Mode::Edit { id }, c.clone(), Some(c))
    }

    /// A new customization that starts as a copy of `c` (without its server-set fields).
    pub fn duplicate(c: &Customization) -> Editor {
        Editor::with(
            Mode::New {
                duplicated_from: c.id().map(str::to_string),
            },
            c.without_server_fields(),
            None,
        )
    }

    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    pub fn form(&self) -> &Form {
        &self.form
    }

    /// The object as it would be sent.
    pub fn object(&self) -> &Customization {
        self.form.object()
    }

    pub fn view(&self) -> View {
        self.view
    }

    pub fn overlay(&self) -> Option<&Overlay> {
        self.overlay.as_ref()
    }

    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// The health rules' findings for the form as it is (shown as warnings).
    pub fn warnings(&self) -> &[Finding] {
        &self.health
    }

    /// Runs the health rules on the form (cheap: its own pins and a few lookups) and, when
    /// the target changed, schedules asking the service who else holds it.
    fn recheck(&mut self, now: Timestamp) -> Option<Timestamp> {
        self.health = self.neighbours.check(self.form.object(), now);
        let key = self.form.object().conflict_key();
        if key.is_some() && key != self.target_asked {
            let due = now.checked_add(TARGET_DEBOUNCE).unwrap_or(now);
            self.target_due = Some(due);
            return Some(due);
        }
        None
    }

    /// Asks the service for the customizations with the form's target.
    fn check_target(&mut self, ctx: &mut Ctx) {
        self.target_due = None;
        let c = self.form.object();
        let Some(key) = c.conflict_key() else {
            return;
        };
        let complete = match key.target_type {
            TargetType::Item | TargetType::Criteria => !key.target.is_empty(),
            TargetType::All => true,
        } && !key.model.is_empty();
        if !complete {
            return;
        }
        let mut q = ListQuery {
            models: vec![key.model.clone()],
            target_types: vec![key.target_type.as_str().to_string()],
            limit: Some(crate::api::client::MAX_PAGE),
            ..ListQuery::default()
        };
        match key.target_type {
            TargetType::Item => q.target_identities = vec![key.target.clone()],
            TargetType::Criteria => match c.target_criteria() {
                Some(m) if !m.is_empty() => q.criteria = vec![m.clone()],
                _ => return,
            },
            TargetType::All => {}
        }
        self.target_asked = Some(key);
        let id = ctx.request(ApiRequest::List(q));
        self.target_check = Remote::Loading(id);
    }

    /// The customization that already uses this target, if the form's target is taken.
    fn other_holder(&self) -> Option<&str> {
        self.health
            .iter()
            .find(|f| f.rule == Rule::DuplicateTarget)
            .and_then(|f| f.ids.first())
            .map(String::as_str)
    }

    fn id(&self) -> Option<&str> {
        match &self.mode {
            Mode::Edit { id } => Some(id),
            Mode::New { .. } => None,
        }
    }

    fn draft_path(&self, env: &Env) -> Option<std::path::PathBuf> {
        env.drafts_dir
            .as_ref()
            .map(|d| drafts::path(d, &env.profile.tracker, self.id()))
    }

    /// Rebuilds the form on `obj` (after a restore or the external editor).
    fn rebuild(&mut self, obj: Customization, env: &Env) {
        let quiet = self.form.quiet_missing;
        self.form = Form::new(obj, env.now, &env.tz);
        self.form.quiet_missing = quiet;
        self.form.revalidate();
        self.view = View::Main;
        self.focus = Field::Model;
        self.pin_focus = PinField::Position;
        self.pins_scroll = Scroll::default();
        self.set_focus_flag(true);
    }

    // ---- focus --------------------------------------------------------------------------

    /// Shows or hides the cursor of the focused input.
    fn set_focus_flag(&mut self, on: bool) {
        match self.view {
            View::Main => {
                let f = &mut self.form;
                match self.focus {
                    Field::Model => f.model.set_focused(on),
                    Field::Identity => f.identity.set_focused(on),
                    Field::Criteria => f.criteria.set_focused(on),
                    Field::Tags => f.tags.set_focused(on),
                    Field::Title => f.title.set_focused(on),
                    Field::Image => f.image.set_focused(on),
                    Field::MetaOther => f.meta_other.set_focused(on),
                    Field::TargetType | Field::Pins => {}
                }
            }
            View::Pin(i) => {
                let pf = self.pin_focus;
                if let Some(p) = self.form.pins.get_mut(i) {
                    p.set_focus(pf, on);
                }
            }
        }
    }

    fn move_focus(&mut self, delta: isize) {
        self.step_focus(delta, false);
    }

    /// Tab and Shift-Tab: like [`Editor::move_focus`], going round at either end.
    fn cycle_focus(&mut self, delta: isize) {
        self.step_focus(delta, true);
    }

    fn step_focus(&mut self, delta: isize, wrap: bool) {
        let step = |at: usize, n: usize| -> usize {
            if wrap {
                (at as isize + delta).rem_euclid(n as isize) as usize
            } else {
                at.saturating_add_signed(delta).min(n - 1)
            }
        };
        self.set_focus_flag(false);
        match self.view {
            View::Main => {
                let fields = self.form.fields();
                let at = fields.iter().position(|f| *f == self.focus).unwrap_or(0);
                let next = step(at, fields.len());
                self.focus = fields[next];
            }
            View::Pin(i) => {
                let fields = self
                    .form
                    .pins
                    .get(i)
                    .map(|p| p.fields())
                    .unwrap_or_default();
                if !fields.is_empty() {
                    let at = fields
                        .iter()
                        .position(|f| *f == self.pin_focus)
                        .unwrap_or(0);
                    let next = step(at, fields.len());
                    self.pin_focus = fields[next];
                }
            }
        }
        self.set_focus_flag(true);
    }

    /// The focused input takes typing.
    fn focus_is_text(&self) -> bool {
        match self.view {
            View::Main => self.focus.is_text(),
            View::Pin(_) => self.pin_focus.is_text(),
        }
    }

    fn open_pin(&mut self, i: usize) {
        if i >= self.form.pins.len() {
            return;
        }
        self.set_focus_flag(false);
        self.view = View::Pin(i);
        self.pin_focus = PinField::Position;
        self.set_focus_flag(true);
    }

    fn close_pin(&mut self, i: usize) {
        self.set_focus_flag(false);
        self.view = View::Main;
        self.focus = Field::Pins;
        let n = self.form.pins.len();
        self.pins_scroll.select(i, n, PIN_ROWS);
        self.set_focus_flag(true);
    }

    // ---- changes and drafts -------------------------------------------------------------

    /// After any change: recompute "unsaved", schedule the draft.
    fn touched(&mut self, ctx: &mut Ctx) {
        self.dirty = self.form.object() != &self.original || !self.form.unparsed_texts().is_empty();
        if let Some(due) = self.recheck(ctx.env.now) {
            ctx.wake_at(due);
        }
        if matches!(self.banner, Some((Tone::Info, _))) {
            self.banner = None;
        }
        let due = ctx
            .env
            .now
            .checked_add(DRAFT_DEBOUNCE)
            .unwrap_or(ctx.env.now);
        self.draft_due = Some(due);
        ctx.wake_at(due);
    }

    fn draft(&self, env: &Env) -> Draft {
        Draft {
            version: drafts::VERSION,
            saved_at: env.now.to_string(),
            id: self.id().map(str::to_string),
            duplicated_from: match &self.mode {
                Mode::New { duplicated_from } => duplicated_from.clone(),
                Mode::Edit { .. } => None,
            },
            base: self.base.clone().map(Customization::into_value),
            original: self.original.clone().into_value(),
            object: self.form.object().clone().into_value(),
            texts: self.form.unparsed_texts(),
        }
    }

    /// Writes the draft now (or removes it when there is nothing unsaved).
    fn write_draft(&mut self, ctx: &mut Ctx) {
        self.draft_due = None;
        let Some(path) = self.draft_path(ctx.env) else {
            return;
        };
        if self.dirty {
            match serde_json::to_string_pretty(&self.draft(ctx.env)) {
                Ok(text) => {
                    ctx.save_draft(path, text);
                    self.draft_on_disk = true;
                }
                Err(e) => ctx.toast_error(format!("Cannot write the draft: {e}")),
            }
        } else if self.draft_on_disk {
            ctx.remove_draft(path);
            self.draft_on_disk = false;
        }
    }

    fn drop_draft(&mut self, ctx: &mut Ctx) {
        self.draft_due = None;
        if let Some(path) = self.draft_path(ctx.env) {
            ctx.remove_draft(path);
        }
        self.draft_on_disk = false;
    }

    fn offer_draft(&mut self, ctx: &mut Ctx) {
        let Some(path) = self.draft_path(ctx.env) else {
            return;
        };
        match drafts::load(&path) {
            Ok(Some(d)) => {
                self.draft_on_disk = true;
                let same =
                    d.object == self.form.object().clone().into_value() && d.texts.is_empty();
                if same {
                    return;
                }
                let changes = diff(&self.original.clone().into_value(), &d.object);
                let server_moved = match (&self.base, &d.base) {
                    (Some(now), Some(then)) => !diff(then, &now.clone().into_value()).is_empty(),
                    _ => false,
                };
                self.overlay = Some(Overlay::Restore {
                    draft: Box::new(d),
                    changes,
                    server_moved,
                });
            }
            Ok(None) => {}
            Err(e) => self.banner = Some((Tone::Error, e)),
        }
    }

    fn restore(&mut self, d: Draft, ctx: &mut Ctx) {
        let Some(obj) = Customization::from_value(d.object) else {
            self.banner = Some((Tone::Error, "The draft does not hold an object".into()));
            return;
        };
        if let Some(orig) = Customization::from_value(d.original) {
            self.original = orig;
        }
        if matches!(self.mode, Mode::Edit { .. }) {
            // The review before saving compares against what the draft was based on, so
            // changes made on the service since then are pointed out.
            if let Some(base) = d.base.and_then(Customization::from_value) {
                self.base = Some(base);
            }
        }
        self.rebuild(obj, ctx.env);
        self.form.restore_texts(&d.texts, ctx.env.now, &ctx.env.tz);
        self.dirty = self.form.object() != &self.original || !self.form.unparsed_texts().is_empty();
        self.draft_on_disk = true;
        let when = d
            .saved_at
            .parse::<Timestamp>()
            .map(|t| crate::tui::fmt::date_time(t, &ctx.env.tz))
            .unwrap_or(d.saved_at);
        self.banner = Some((Tone::Info, format!("Restored the draft saved {when}")));
    }

    // ---- leaving, saving ----------------------------------------------------------------

    fn leave(&mut self, ctx: &mut Ctx) {
        if self.dirty && !self.read_only {
            self.overlay = Some(Overlay::Leave);
        } else {
            if self.draft_on_disk || self.draft_due.is_some() {
                self.drop_draft(ctx);
            }
            ctx.close();
        }
    }

    fn refuse_read_only(&self, ctx: &mut Ctx) -> bool {
        if self.read_only {
            ctx.toast_error("This profile is read-only: the form cannot change or save anything");
        }
        self.read_only
    }

    fn save(&mut self, ctx: &mut Ctx) {
        if self.refuse_read_only(ctx) || self.saving != Saving::Idle {
            return;
        }
        self.form.quiet_missing = false;
        self.form.revalidate();
        let problems = self.form.problems();
        if !problems.is_empty() {
            let n = problems.len();
            self.overlay = Some(Overlay::Problems {
                title: format!(
                    "Cannot save yet: {n} problem{} to fix",
                    if n == 1 { "" } else { "s" }
                ),
                lines: problems,
                scroll: 0,
            });
            return;
        }
        self.banner = None;
        match &self.mode {
            Mode::New { .. } if self.health.iter().any(|f| f.rule == Rule::DuplicateTarget) => {
                self.overlay = Some(Overlay::Warnings(self.health.clone()));
            }
            Mode::New { .. } => self.send_create(ctx),
            Mode::Edit { id } => {
                let rid = ctx.request(ApiRequest::Get(id.clone()));
                self.saving = Saving::Fetching(rid);
            }
        }
    }

    fn send_create(&mut self, ctx: &mut Ctx) {
        let id = ctx.request(ApiRequest::Create(self.form.object().clone()));
        self.saving = Saving::Creating(id);
        self.overlay = None;
    }

    fn send_update(&mut self, ctx: &mut Ctx) {
        let Mode::Edit { id } = &self.mode else {
            return;
        };
        let rid = ctx.request(ApiRequest::Update {
            id: id.clone(),
            body: self.form.object().clone(),
        });
        self.saving = Saving::Updating(rid);
        self.overlay = None;
    }

    /// The service's version, fetched again on Enter in the review: send if it is the one
    /// reviewed, else show the review of the new one.
    fn recheck_done(&mut self, result: &Result<ApiReply, ApiError>, ctx: &mut Ctx) {
        let Some(Overlay::Review(review)) = &mut self.overlay else {
            return;
        };
        match result {
            Ok(ApiReply::Customization(now)) if *now == review.current => self.send_update(ctx),
            Ok(ApiReply::Customization(now)) => {
                let mine = self.form.object().clone().into_value();
                let theirs = now.clone().into_value();
                review.moved_while_reviewing = diff(&review.current.clone().into_value(), &theirs);
                review.server_changed = match &self.base {
                    Some(base) => diff(&base.clone().into_value(), &theirs),
                    None => Vec::new(),
                };
                review.changes = diff(&theirs, &mine);
                review.current = now.clone();
                review.scroll = 0;
            }
            Ok(_) => {}
            Err(e) if e.status() == Some(404) => {
                self.overlay = None;
                self.deleted_on_service(ctx);
            }
            Err(e) => {
                self.overlay = None;
                self.banner = Some((
                    Tone::Error,
                    format!(
                        "Could not check the service's version before sending: {e}. Nothing was sent."
                    ),
                ));
            }
        }
    }

    /// The customization being edited is gone from the service: nothing was sent. The
    /// form is kept, as a new customization that Save creates.
    fn deleted_on_service(&mut self, ctx: &mut Ctx) {
        let Mode::Edit { id } = &self.mode else {
            return;
        };
        let id = id.clone();
        let obj = self.form.object().without_server_fields();
        self.mode = Mode::New {
            duplicated_from: Some(id.clone()),
        };
        self.base = None;
        self.rebuild(obj, ctx.env);
        self.dirty = true;
        self.banner = Some((
            Tone::Error,
            format!(
                "{id} was deleted on the service: nothing was sent. Your form is kept as a \
                 new customization; {} saves it as new.",
                ctx.env.keymap.hint(Action::Save)
            ),
        ));
    }

    fn save_failed(&mut self, e: &ApiError, creating: bool) {
        let retry = "Nothing is lost: the form and its draft are kept";
        if let Some(s) = e.as_status()
            && matches!(s.status, 400 | 422)
            && !s.details.is_empty()
        {
            self.form.set_server_errors(e.detail_lines());
            self.banner = Some((
                Tone::Error,
                format!(
                    "The service refused it ({} {}): its reasons are on the fields, marked \"service:\"",
                    s.status, s.reason
                ),
            ));
            // On the main form, point the pin table at the first pin the service named.
            let first_pin = self
                .form
                .server_errors()
                .iter()
                .find_map(|(p, _)| match place_of(p) {
                    Place::Pin(i, _) => Some(i),
                    _ => None,
                });
            if self.view == View::Main
                && let Some(i) = first_pin
            {
                self.set_focus_flag(false);
                self.focus = Field::Pins;
                self.pins_scroll.select(i, self.form.pins.len(), PIN_ROWS);
            }
            return;
        }
        let maybe = if creating && e.may_have_been_applied() {
            " It may have been created anyway: look in browse before saving again."
        } else {
            ""
        };
        self.banner = Some((Tone::Error, format!("Could not save: {e}. {retry}.{maybe}")));
    }

    // ---- the external editor ------------------------------------------------------------

    fn pretty(&self) -> String {
        let mut s = serde_json::to_string_pretty(self.form.object()).unwrap_or_default();
        s.push('\n');
        s
    }

    fn open_external(&mut self, ctx: &mut Ctx) {
        if self.refuse_read_only(ctx) {
            return;
        }
        let text = self.external_text.clone().unwrap_or_else(|| self.pretty());
        ctx.external_edit(text);
    }

    fn external_done(&mut self, text: String, ctx: &mut Ctx) {
        if self.external_text.is_none() && text == self.pretty() {
            self.banner = Some((Tone::Info, "No changes from the editor".into()));
            return;
        }
        let fail = |this: &mut Editor, text: String, e: JsonError| {
            this.external_text = Some(text);
            this.overlay = Some(Overlay::Problems {
                title: "The JSON from the editor cannot be read; the form is unchanged".into(),
                lines: vec![
                    e.to_string(),
                    String::new(),
                    "Open the editor again to fix it: your text is kept.".into(),
                ],
                scroll: 0,
            });
        };
        let value = match serde_json::from_str::<Value>(&text) {
            Ok(v) => v,
            Err(e) => return fail(self, text, JsonError::from_serde(&e)),
        };
        let Some(obj) = Customization::from_value(value) else {
            let e = JsonError {
                line: 1,
                column: 1,
                message: "must be a JSON object {...}".into(),
            };
            return fail(self, text, e);
        };
        self.external_text = None;
        self.form.quiet_missing = false;
        self.rebuild(obj, ctx.env);
        self.touched(ctx);
        let lines = crate::api::field_lines::FieldLines::new(&text);
        let violations = self.form.violations();
        if violations.is_empty() {
            self.banner = Some((Tone::Info, "Updated from the editor".into()));
        } else {
            let n = violations.len();
            let listed = violations
                .iter()
                .map(|v| format!("line {}: {v}", lines.line_of(&v.path)))
                .collect();
            self.overlay = Some(Overlay::Problems {
                title: format!(
                    "Updated from the editor, with {n} problem{} (also shown on the fields)",
                    if n == 1 { "" } else { "s" }
                ),
                lines: listed,
                scroll: 0,
            });
        }
    }

    // ---- input ----------------------------------------------------------------------------

    fn overlay_input(&mut self, input: Input, ctx: &mut Ctx) {
        let Input::Action(action) = input else {
            return;
        };
        match (&mut self.overlay, action) {
            (Some(Overlay::Restore { .. }), Action::Restore | Action::Confirm) => {
                if let Some(Overlay::Restore { draft, .. }) = self.overlay.take() {
                    self.restore(*draft, ctx);
                }
            }
            (Some(Overlay::Restore { .. }), Action::Discard) => {
                self.overlay = None;
                self.drop_draft(ctx);
                self.banner = Some((Tone::Info, "Discarded the draft".into()));
            }
            // Leave without deciding: the draft stays for next time.
            (Some(Overlay::Restore { .. }), Action::Back) => ctx.close(),
            (Some(Overlay::Leave), Action::Discard) => {
                self.overlay = None;
                self.drop_draft(ctx);
                ctx.close();
            }
            (Some(Overlay::Leave), Action::KeepDraft) => {
                self.overlay = None;
                self.write_draft(ctx);
                ctx.close();
            }
            (Some(Overlay::Leave), Action::Back) => self.overlay = None,
            (Some(Overlay::Problems { .. }), Action::Back | Action::Confirm) => self.overlay = None,
            (Some(Overlay::Problems { lines, scroll, .. }), Action::Up | Action::Down) => {
                *scroll = if action == Action::Up {
                    scroll.saturating_sub(1)
                } else {
                    (*scroll + 1).min(lines.len().saturating_sub(1))
                };
            }
            // Already checking: wait for the answer (Esc stops waiting).
            (Some(Overlay::Review(_)), Action::Confirm) if self.saving != Saving::Idle => {}
            (Some(Overlay::Review(_)), Action::Back) if self.saving != Saving::Idle => {
                self.saving = Saving::Idle;
            }
            (Some(Overlay::Review(r)), Action::Confirm) => {
                if r.changes.is_empty() {
                    self.overlay = None;
                    self.drop_draft(ctx);
                    ctx.toast("Nothing to save: the service already has exactly this");
                    ctx.close();
                } else if let Mode::Edit { id } = &self.mode {
                    // Someone may have changed it while the review was shown: look again,
                    // and send only if the service still has the version reviewed.
                    let rid = ctx.request(ApiRequest::Get(id.clone()));
                    self.saving = Saving::Rechecking(rid);
                }
            }
            (Some(Overlay::Review(_)), Action::Back) => self.overlay = None,
            (Some(Overlay::Warnings(_)), Action::Confirm) => self.send_create(ctx),
            (Some(Overlay::Warnings(_)), Action::Back) => self.overlay = None,
            (Some(Overlay::Review(r)), Action::Up) => r.scroll = r.scroll.saturating_sub(1),
            (Some(Overlay::Review(r)), Action::Down) => r.scroll += 1,
            (Some(Overlay::Review(r)), Action::PageUp) => r.scroll = r.scroll.saturating_sub(10),
            (Some(Overlay::Review(r)), Action::PageDown) => r.scroll += 10,
            _ => {}
        }
    }

    fn main_input(&mut self, input: Input, ctx: &mut Ctx) {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let f = self.focus;
        let raw = |code| KeyEvent::new(code, KeyModifiers::NONE);
        match input {
            Input::Action(Action::Back) => self.leave(ctx),
            Input::Action(Action::Save) => self.save(ctx),
            Input::Action(Action::ExternalEditor) => self.open_external(ctx),
            Input::Action(Action::OpenOther) => match self.other_holder() {
                Some(id) => ctx.open(Route::DetailById(id.to_string())),
                None => ctx.toast("No other customization uses this target"),
            },
            Input::Action(Action::NextField) => self.cycle_focus(1),
            Input::Action(Action::PrevField) => self.cycle_focus(-1),
            Input::Action(Action::Up) => match f {
                Field::Criteria if self.form.criteria.cursor_line() > 0 => {
                    self.form.type_main(f, raw(KeyCode::Up));
                }
                Field::MetaOther if self.form.meta_other.cursor_line() > 0 => {
                    self.form.type_main(f, raw(KeyCode::Up));
                }
                Field::Pins if self.pins_scroll.selected > 0 => {
                    self.pins_scroll.move_by(-1, self.form.pins.len(), PIN_ROWS)
                }
                _ => self.move_focus(-1),
            },
            Input::Action(Action::Down) => match f {
                Field::Criteria
                    if self.form.criteria.cursor_line() + 1 < self.form.criteria.line_count() =>
                {
                    self.form.type_main(f, raw(KeyCode::Down));
                }
                Field::MetaOther
                    if self.form.meta_other.cursor_line() + 1
                        < self.form.meta_other.line_count() =>
                {
                    self.form.type_main(f, raw(KeyCode::Down));
                }
                Field::Pins if self.pins_scroll.selected + 1 < self.form.pins.len() => {
                    self.pins_scroll.move_by(1, self.form.pins.len(), PIN_ROWS)
                }
                _ => self.move_focus(1),
            },
            Input::Action(Action::Toggle) if f == Field::TargetType => self.cycle_target(1, ctx),
            Input::Action(Action::Open) if f == Field::Pins => {
                if self.form.pin(self.pins_scroll.selected).is_some() {
                    self.open_pin(self.pins_scroll.selected);
                } else if !self.form.pins.is_empty() {
                    ctx.toast_error(
                        "This pin is not a JSON object: fix it with the external editor",
                    );
                }
            }
            Input::Action(Action::AddPin) => {
                if self.refuse_read_only(ctx) {
                    return;
                }
                if !self.form.pins_editable() {
                    ctx.toast_error(
                        "pin_definitions is not a list: fix it with the external editor",
                    );
                    return;
                }
                let i = self.form.add_pin(ctx.env.now, &ctx.env.tz);
                self.touched(ctx);
                self.open_pin(i);
            }
            Input::Action(
                a @ (Action::DuplicatePin | Action::DeletePin | Action::MoveUp | Action::MoveDown),
            ) if f == Field::Pins => {
                if self.refuse_read_only(ctx) || self.form.pins.is_empty() {
                    return;
                }
                let i = self.pins_scroll.selected;
                let n = self.form.pins.len();
                let (changed, sel) = match a {
                    Action::DuplicatePin => match self.form.duplicate_pin(i) {
                        Some(j) => (true, j),
                        None => (false, i),
                    },
                    Action::DeletePin => (self.form.delete_pin(i), i.min(n.saturating_sub(2))),
                    Action::MoveUp if i > 0 => (self.form.swap_pins(i, i - 1), i - 1),
                    Action::MoveDown => (self.form.swap_pins(i, i + 1), i + 1),
                    _ => (false, i),
                };
                if changed {
                    self.pins_scroll.select(sel, self.form.pins.len(), PIN_ROWS);
                    self.touched(ctx);
                }
            }
            Input::Key(k) => match f {
                Field::TargetType => match k.code {
                    KeyCode::Left => self.cycle_target(-1, ctx),
                    KeyCode::Right => self.cycle_target(1, ctx),
                    _ => {}
                },
                Field::Pins => {}
                _ => {
                    let single = !matches!(f, Field::Criteria | Field::MetaOther);
                    if single && k.code == KeyCode::Enter {
                        self.move_focus(1);
                        return;
                    }
                    if single
                        && k.code == KeyCode::Right
                        && let Some(done) = self.completion(f)
                    {
                        if !self.refuse_read_only(ctx) {
                            self.form.set_main_text(f, &done);
                            self.touched(ctx);
                        }
                        return;
                    }
                    if self.read_only {
                        if is_edit_key(&k) {
                            self.refuse_read_only(ctx);
                        } else {
                            self.form.type_main(f, k);
                        }
                        return;
                    }
                    if self.form.type_main(f, k) {
                        self.touched(ctx);
                    }
                }
            },
            Input::Action(_) => {}
        }
    }

    fn cycle_target(&mut self, delta: isize, ctx: &mut Ctx) {
        if self.refuse_read_only(ctx) {
            return;
        }
        let all = TargetType::ALL;
        let at = self
            .form
            .target
            .and_then(|t| all.iter().position(|x| *x == t))
            .map_or(0, |i| {
                (i as isize + delta).rem_euclid(all.len() as isize) as usize
            });
        self.form.set_target(all[at]);
        self.touched(ctx);
    }

    /// What Right at the end of the model or tags field completes it to.
    fn completion(&self, f: Field) -> Option<String> {
        let s = self.summary.ready()?;
        match f {
            Field::Model => {
                let typed = self.form.model.value();
                if !self.form.model.cursor_at_end() || typed.is_empty() {
                    return None;
                }
                s.scope_counts
                    .keys()
                    .find(|m| m.starts_with(typed) && m.as_str() != typed)
                    .cloned()
            }
            Field::Tags => {
                let text = self.form.tags.value();
                if !self.form.tags.cursor_at_end() {
                    return None;
                }
                let (head, last) = match text.rfind(',') {
                    Some(i) => (&text[..=i], text[i + 1..].trim_start()),
                    None => ("", text),
                };
                if last.is_empty() {
                    return None;
                }
                let have: Vec<&str> = text.split(',').map(str::trim).collect();
                let tag = s.user_tags.iter().find(|t| {
                    t.starts_with(last) && t.as_str() != last && !have.contains(&t.as_str())
                })?;
                let sep = if head.is_empty() { "" } else { " " };
                Some(format!("{head}{sep}{tag}"))
            }
            _ => None,
        }
    }

    fn pin_input(&mut self, i: usize, input: Input, ctx: &mut Ctx) {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let f = self.pin_focus;
        let raw = |code| KeyEvent::new(code, KeyModifiers::NONE);
        let (now, tz) = (ctx.env.now, ctx.env.tz.clone());
        let json_line = |e: &Editor| {
            e.form.pins.get(i).map_or((0, 1), |p| {
                (p.criteria.cursor_line(), p.criteria.line_count())
            })
        };
        match input {
            Input::Action(Action::Back) => self.close_pin(i),
            Input::Action(Action::Save) => self.save(ctx),
            Input::Action(Action::ExternalEditor) => self.open_external(ctx),
            Input::Action(Action::NextField) => self.cycle_focus(1),
            Input::Action(Action::PrevField) => self.cycle_focus(-1),
            Input::Action(Action::Up) => {
                if f == PinField::Criteria && json_line(self).0 > 0 {
                    self.form.type_pin(i, f, raw(KeyCode::Up), now, &tz);
                } else {
                    self.move_focus(-1);
                }
            }
            Input::Action(Action::Down) => {
                let (line, count) = json_line(self);
                if f == PinField::Criteria && line + 1 < count {
                    self.form.type_pin(i, f, raw(KeyCode::Down), now, &tz);
                } else {
                    self.move_focus(1);
                }
            }
            Input::Action(Action::Toggle) => self.pin_choice(i, 1, ctx),
            Input::Action(Action::DuplicatePin) => {
                if self.refuse_read_only(ctx) {
                    return;
                }
                if let Some(j) = self.form.duplicate_pin(i) {
                    self.touched(ctx);
                    self.open_pin(j);
                    ctx.toast(format!("Duplicated: this is pin {} now", j + 1));
                }
            }
            Input::Action(Action::DeletePin) => {
                if self.refuse_read_only(ctx) {
                    return;
                }
                if self.form.delete_pin(i) {
                    self.touched(ctx);
                    self.close_pin(i.min(self.form.pins.len().saturating_sub(1)));
                    ctx.toast(format!("Deleted pin {}", i + 1));
                }
            }
            Input::Key(k) => {
                if !f.is_text() {
                    match k.code {
                        KeyCode::Left => self.pin_choice(i, -1, ctx),
                        KeyCode::Right => self.pin_choice(i, 1, ctx),
                        _ => {}
                    }
                    return;
                }
                if f != PinField::Criteria && k.code == KeyCode::Enter {
                    self.move_focus(1);
                    return;
                }
                if self.read_only {
                    if is_edit_key(&k) {
                        self.refuse_read_only(ctx);
                    } else {
                        self.form.type_pin(i, f, k, now, &tz);
                    }
                    return;
                }
                if self.form.type_pin(i, f, k, now, &tz) {
                    self.touched(ctx);
                }
            }
            Input::Action(_) => {}
        }
    }

    fn pin_choice(&mut self, i: usize, delta: isize, ctx: &mut Ctx) {
        let Some(p) = self.form.pins.get(i) else {
            return;
        };
        if !matches!(
            self.pin_focus,
            PinField::Position | PinField::Type | PinField::Bundle
        ) || self.refuse_read_only(ctx)
        {
            return;
        }
        match self.pin_focus {
            PinField::Position => {
                let all = PosKind::ALL;
                let at = p
                    .kind
                    .and_then(|k| all.iter().position(|x| *x == k))
                    .map_or(0, |i| (i as isize + delta).rem_euclid(3) as usize);
                self.form.set_pin_kind(i, all[at]);
            }
            PinField::Type => {
                let t = match p.pin_type {
                    Some(PinType::Item) => PinType::Criteria,
                    _ => PinType::Item,
                };
                self.form.set_pin_type(i, t);
            }
            _ => self.form.toggle_bundle(i),
        }
        self.touched(ctx);
    }
}

/// Keys that would change a text (refused on a read-only profile); the rest only move.
fn is_edit_key(k: &crossterm::event::KeyEvent) -> bool {
    use crossterm::event::KeyCode;
    !matches!(
        k.code,
        KeyCode::Left
            | KeyCode::Right
            | KeyCode::Up
            | KeyCode::Down
            | KeyCode::Home
            | KeyCode::End
            | KeyCode::PageUp
            | KeyCode::PageDown
    )
}

impl Screen for Editor {
    fn name(&self) -> &'static str {
        Editor::NAME
    }

    fn context(&self) -> Context {
        match &self.overlay {
            Some(Overlay::Restore { .. }) => return Context::EditorRestore,
            Some(Overlay::Leave) => return Context::EditorLeave,
            Some(Overlay::Problems { .. }) => return Context::EditorProblems,
            Some(Overlay::Review(_) | Overlay::Warnings(_)) => return Context::EditorReview,
            None => {}
        }
        match (self.view, self.focus_is_text()) {
            (View::Main, true) => Context::EditorText,
            (View::Main, false) => Context::Editor,
            (View::Pin(_), true) => Context::PinFormText,
            (View::Pin(_), false) => Context::PinForm,
        }
    }

    fn on_open(&mut self, ctx: &mut Ctx) {
        self.read_only = ctx.env.profile.read_only;
        // Dates typed in the pin forms are read in the user's zone at the current time.
        self.form = Form::new(self.original.clone(), ctx.env.now, &ctx.env.tz);
        if let Mode::New { .. } = self.mode {
            self.form.quiet_missing = true;
            self.form.revalidate();
        }
        self.set_focus_flag(true);
        let id = ctx.request(ApiRequest::Summary);
        self.summary = Remote::Loading(id);
        self.recheck(ctx.env.now);
        self.check_target(ctx);
        if !self.read_only {
            self.offer_draft(ctx);
        }
    }

    fn on_input(&mut self, input: Input, ctx: &mut Ctx) {
        if self.overlay.is_some() {
            self.overlay_input(input, ctx);
            return;
        }
        match self.saving {
            Saving::Idle => {}
            // Only a read is in flight: Esc stops waiting for it (its answer is ignored).
            Saving::Fetching(_) | Saving::Rechecking(_) => {
                if input == Input::Action(Action::Back) {
                    self.saving = Saving::Idle;
                    self.banner = Some((Tone::Info, "Stopped: nothing was sent".into()));
                }
                return;
            }
            // A write is in flight: wait for its answer, whatever it is.
            Saving::Creating(_) | Saving::Updating(_) => return,
        }
        match self.view {
            View::Main => self.main_input(input, ctx),
            View::Pin(i) => self.pin_input(i, input, ctx),
        }
    }

    fn on_resize(&mut self, _ctx: &mut Ctx) {
        self.form.reset_views();
    }

    /// A click on a field of the main form or of the pin form focuses it.
    fn on_mouse(&mut self, ev: crossterm::event::MouseEvent, ctx: &mut Ctx) {
        use crossterm::event::{MouseButton, MouseEventKind};
        if ev.kind != MouseEventKind::Down(MouseButton::Left) || self.saving != Saving::Idle {
            return;
        }
        if let Some(clicked) = self.field_at(ctx.env, ctx.area, ev.column, ev.row) {
            self.set_focus_flag(false);
            match clicked {
                Clicked::Main(field) => self.focus = field,
                Clicked::Pin(field) => self.pin_focus = field,
            }
            self.set_focus_flag(true);
        }
    }

    fn on_paste(&mut self, text: &str, ctx: &mut Ctx) {
        if self.overlay.is_some() || self.saving != Saving::Idle || !self.focus_is_text() {
            return;
        }
        if self.refuse_read_only(ctx) {
            return;
        }
        let changed = match self.view {
            View::Main => self.form.paste_main(self.focus, text),
            View::Pin(i) => self
                .form
                .paste_pin(i, self.pin_focus, text, ctx.env.now, &ctx.env.tz),
        };
        if changed {
            self.touched(ctx);
        }
    }

    fn on_api(&mut self, ev: &ApiEvent, ctx: &mut Ctx) {
        if self.summary.waits_for(ev.id) {
            self.summary = match &ev.result {
                Ok(ApiReply::Summary(s)) => {
                    let own = match (&self.mode, self.base.as_ref().and_then(|b| b.model())) {
                        (Mode::Edit { id }, Some(model)) => Some((id.as_str(), model)),
                        _ => None,
                    };
                    self.neighbours.set_model_counts(
                        s.counts().into_iter().map(|(m, n)| (m, n as usize)),
                        own,
                    );
                    if let Some(due) = self.recheck(ctx.env.now) {
                        ctx.wake_at(due);
                    }
                    Remote::Ready(s.clone())
                }
                Ok(_) => Remote::Idle,
                Err(e) => Remote::Failed(e.clone()),
            };
            return;
        }
        if self.target_check.waits_for(ev.id) {
            self.target_check = Remote::Ready(());
            match &ev.result {
                Ok(ApiReply::Page(page)) => {
                    if let Some(key) = self.target_asked.clone() {
                        let held = page
                            .results
                            .iter()
                            .filter(|c| c.conflict_key().as_ref() == Some(&key))
                            .filter_map(|c| c.id().map(str::to_string))
                            .collect();
                        self.neighbours.set_holders(key, held);
                    }
                }
                Ok(_) => {}
                // A failed look-up only means no warning; a change of target asks again.
                Err(e) => self.target_check = Remote::Failed(e.clone()),
            }
            self.recheck(ctx.env.now);
            return;
        }
        match self.saving {
            Saving::Creating(id) if id == ev.id => {
                self.saving = Saving::Idle;
                match &ev.result {
                    Ok(ApiReply::Created(c)) => {
                        self.drop_draft(ctx);
                        ctx.toast(format!("Created {}", c.id().unwrap_or("it")));
                        ctx.replace(Route::DetailLoaded(c.clone()));
                    }
                    Ok(_) => {}
                    Err(e) => self.save_failed(e, true),
                }
            }
            Saving::Fetching(id) if id == ev.id => {
                self.saving = Saving::Idle;
                match &ev.result {
                    Ok(ApiReply::Customization(current)) => {
                        let mine = self.form.object().clone().into_value();
                        let theirs = current.clone().into_value();
                        let server_changed = match &self.base {
                            Some(base) => diff(&base.clone().into_value(), &theirs),
                            None => Vec::new(),
                        };
                        self.overlay = Some(Overlay::Review(Box::new(Review {
                            current: current.clone(),
                            changes: diff(&theirs, &mine),
                            server_changed,
                            moved_while_reviewing: Vec::new(),
                            scroll: 0,
                        })));
                    }
                    Ok(_) => {}
                    Err(e) if e.status() == Some(404) => self.deleted_on_service(ctx),
                    Err(e) => {
                        self.banner = Some((
                            Tone::Error,
                            format!(
                                "Could not fetch the service's version to review the changes: {e}. Nothing was sent."
                            ),
                        ))
                    }
                }
            }
            Saving::Rechecking(id) if id == ev.id => {
                self.saving = Saving::Idle;
                self.recheck_done(&ev.result, ctx);
            }
            Saving::Updating(id) if id == ev.id => {
                self.saving = Saving::Idle;
                match &ev.result {
                    Ok(ApiReply::Updated(id)) => {
                        self.drop_draft(ctx);
                        ctx.toast(format!("Saved {id}"));
                        ctx.close();
                    }
                    Ok(_) => {}
                    Err(e) if e.status() == Some(404) => self.deleted_on_service(ctx),
                    Err(e) => self.save_failed(e, false),
                }
            }
            _ => {}
        }
    }

    fn on_retry(&mut self, ctx: &mut Ctx) {
        if matches!(self.summary, Remote::Failed(_)) {
            let id = ctx.request(ApiRequest::Summary);
            self.summary = Remote::Loading(id);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx) {
        if let Some(due) = self.target_due {
            if due <= ctx.env.now {
                self.check_target(ctx);
            } else {
                ctx.wake_at(due);
            }
        }
        if let Some(due) = self.draft_due {
            if due <= ctx.env.now {
                self.write_draft(ctx);
            } else {
                ctx.wake_at(due);
            }
        }
    }

    fn on_external_edit(&mut self, result: Result<String, String>, ctx: &mut Ctx) {
        match result {
            Ok(text) => self.external_done(text, ctx),
            Err(e) => self.banner = Some((Tone::Error, format!("The editor did not run: {e}"))),
        }
    }

    fn on_quit(&mut self, ctx: &mut Ctx) {
        if self.draft_due.is_some() {
            self.write_draft(ctx);
        }
    }

    fn render(&self, frame: &mut ratatui::Frame, area: ratatui::layout::Rect, env: &Env) {
        self.render_all(frame, area, env);
    }
}
