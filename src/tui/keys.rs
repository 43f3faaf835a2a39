//! Keys become named [`Action`]s here, before any screen sees them.
//!
//! Every action has a name (used in the config's `[keys]` table), a description (shown by
//! help) and default keys. Each screen declares a [`Context`]: the actions it understands.
//! The same key may mean different actions in different contexts, never two in one.
//! Ctrl-C is not an action: the app handles it first, always.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Declares the actions: variant, config name, description, default keys.
macro_rules! actions {
    ($( $variant:ident = $name:literal, $desc:literal, [$($key:literal),*]; )*) => {
        /// Something a key can ask for.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action { $($variant),* }

        impl Action {
            /// Every action, in declaration order.
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            /// The name used in the config's `[keys]` table.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name),* }
            }

            /// What help says about it.
            pub fn description(self) -> &'static str {
                match self { $(Action::$variant => $desc),* }
            }

            /// The keys bound to it when the config says nothing.
            pub fn default_keys(self) -> &'static [&'static str] {
                match self { $(Action::$variant => &[$($key),*]),* }
            }
        }
    };
}

actions! {
    Quit = "quit", "quit pinscope", ["q"];
    Back = "back", "go back / close", ["esc"];
    Help = "help", "show the keys of this screen", ["?", "f1"];
    Retry = "retry", "retry the request that failed", ["R"];
    Up = "up", "move up", ["up", "k"];
    Down = "down", "move down", ["down", "j"];
    PageUp = "page_up", "page up", ["pageup", "ctrl-u"];
    PageDown = "page_down", "page down", ["pagedown", "ctrl-d"];
    Top = "top", "go to the first line", ["home"];
    Bottom = "bottom", "go to the last line", ["end", "G"];
    Open = "open", "open the selected customization", ["enter"];
    Confirm = "confirm", "confirm", ["enter"];
    Refresh = "refresh", "reload from the server", ["r"];
    Lookup = "lookup", "go to a customization by UUID", ["g"];
    Filter = "filter", "filter by model, tag, target type or identity", ["f"];
    Search = "search", "search the whole tracker (without a mirror: narrow the loaded rows)", ["/"];
    WherePinned = "where", "where is an item pinned, across the tracker", ["w"];
    Sort = "sort", "choose the sort order", ["s"];
    ClearFilters = "clear_filters", "clear filters and narrowing", ["c"];
    NextField = "next_field", "next section", ["tab"];
    PrevField = "prev_field", "previous section", ["backtab"];
    Toggle = "toggle", "toggle the selected choice", ["space"];
    Select = "select", "select or unselect the row (ends a range)", ["space"];
    SelectRange = "select_range", "start a range; moving extends it, v or Space ends it", ["v"];
    SelectAll = "select_all", "select everything the filters and search match", ["*"];
    CopyId = "copy_id", "copy the id (OSC 52)", ["y"];
    CopyJson = "copy_json", "copy the JSON (OSC 52)", ["Y"];
    RawJson = "raw_json", "show the raw JSON", ["o"];
    Delete = "delete", "delete (asks for the id's first 8 characters)", ["d"];
    Import = "import", "import customizations from an NDJSON file", ["i"];
    Export = "export", "export the current filters to an NDJSON file", ["x"];
    Complete = "complete", "complete the path", ["tab"];
    Cancel = "cancel", "cancel the import (the requests in flight finish)", ["c"];
    New = "new", "create a new customization", ["n"];
    Edit = "edit", "edit this customization", ["e"];
    Duplicate = "duplicate", "duplicate it as a new customization", ["N"];
    Save = "save", "save (an edit is reviewed before it is sent)", ["ctrl-s"];
    ExternalEditor = "external_editor", "edit all of it as JSON in $VISUAL / $EDITOR", ["E", "ctrl-o"];
    AddPin = "add_pin", "add a pin", ["a", "insert"];
    DuplicatePin = "duplicate_pin", "duplicate the selected pin", ["c"];
    DeletePin = "delete_pin", "delete the selected pin", ["x", "delete"];
    MoveUp = "move_up", "move the selected pin up", ["K", "alt-up"];
    MoveDown = "move_down", "move the selected pin down", ["J", "alt-down"];
    Restore = "restore", "restore the draft", ["r"];
    Discard = "discard", "discard the changes", ["d"];
    KeepDraft = "keep_draft", "leave, keeping the changes as a draft", ["k"];
    Replace = "replace", "replace the existing file", ["y"];
    Keep = "keep", "keep the existing file (the default)", ["n", "enter"];
    Agenda = "agenda", "the agenda: pins that start or end soon", ["A"];
    Health = "health", "health: lint findings across the tracker", ["L"];
    Window = "window", "change the window: today, 7 days, 30 days, custom", ["t"];
    OpenOther = "open_other", "open the customization that already uses this target", ["ctrl-t"];
    Batch = "batch", "change the selected customizations at once (a plan comes first)", ["b"];
    History = "history", "the history of writes (undo from there)", ["H"];
    Undo = "undo", "plan the undo of this operation", ["u"];
    IncludeChanged = "include_changed", "include what changed on the service since (overwrite it)", ["f"];
}

/// A set of actions that are understood together: one per screen or mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// Understood everywhere (unless a text field takes the key).
    Global,
    Browse,
    /// Browse with the search line focused.
    BrowseSearch,
    /// Browse's filter panel.
    Filter,
    /// Browse's filter panel with the target identity field focused.
    FilterText,
    Detail,
    /// Detail asking to type the id before deleting.
    ConfirmDelete,
    Lookup,
    Pager,
    Help,
    FirstRun,
    /// The import screen's file picker (a path field).
    ImportFile,
    /// The import screen's invalid lines and duplicates.
    ImportReview,
    /// The import screen's conflict strategy choice.
    ImportStrategy,
    /// A yes/no question on the import screen (send? cancel?).
    ImportAsk,
    /// Typing the line count to import into a production profile.
    ImportTyped,
    /// The import screen while a file is validated or sent.
    ImportRunning,
    /// The import screen's summary.
    ImportDone,
    /// The export dialog's path field.
    ExportFile,
    /// The export dialog asking whether to replace a file that exists.
    ExportOverwrite,
    /// The editor's form, focus on a choice, a flag or the pins table.
    Editor,
    /// The editor's form with a text field focused.
    EditorText,
    /// The form of one pin, focus on a choice or a flag.
    PinForm,
    /// The form of one pin with a text field focused.
    PinFormText,
    /// The editor asking what to do with unsaved changes.
    EditorLeave,
    /// The editor offering to restore a draft.
    EditorRestore,
    /// The editor showing what a save would change, before sending it.
    EditorReview,
    /// The editor listing what must be fixed before saving.
    EditorProblems,
    /// A failure in full, over the screen that failed.
    ErrorPopup,
    /// Browse's list of sort orders.
    SortPicker,
    /// The agenda of pin starts and ends.
    Agenda,
    /// The agenda asking for a custom window (from / to fields).
    AgendaCustom,
    /// The health screen's findings.
    Health,
    /// The detail's list of pinned items, for where-pinned.
    PinPicker,
    /// The change form of a batch, focus on a flag.
    BatchForm,
    /// The change form with a text field focused.
    BatchFormText,
    /// A batch's plan, before anything is sent.
    BatchPlan,
    /// An undo's plan, before anything is sent.
    UndoPlan,
    /// A yes/no question over a plan (apply? cancel?).
    BatchAsk,
    /// Typing the count to write into a production profile.
    BatchTyped,
    /// A batch or an undo being applied.
    BatchRunning,
    /// The report of a batch or an undo.
    BatchDone,
    /// The history of writes.
    History,
    /// One operation of the history, its customizations and their diffs.
    HistoryOp,
}

impl Context {
    pub const ALL: &'static [Context] = &[
        Context::Global,
        Context::Browse,
        Context::BrowseSearch,
        Context::Filter,
        Context::FilterText,
        Context::Detail,
        Context::ConfirmDelete,
        Context::Lookup,
        Context::Pager,
        Context::Help,
        Context::FirstRun,
        Context::ImportFile,
        Context::ImportReview,
        Context::ImportStrategy,
        Context::ImportAsk,
        Context::ImportTyped,
        Context::ImportRunning,
        Context::ImportDone,
        Context::ExportFile,
        Context::ExportOverwrite,
        Context::Editor,
        Context::EditorText,
        Context::PinForm,
        Context::PinFormText,
        Context::EditorLeave,
        Context::EditorRestore,
        Context::EditorReview,
        Context::EditorProblems,
        Context::ErrorPopup,
        Context::SortPicker,
        Context::Agenda,
        Context::AgendaCustom,
        Context::Health,
        Context::PinPicker,
        Context::BatchForm,
        Context::BatchFormText,
        Context::BatchPlan,
        Context::UndoPlan,
        Context::BatchAsk,
        Context::BatchTyped,
        Context::BatchRunning,
        Context::BatchDone,
        Context::History,
        Context::HistoryOp,
    ];

    /// The actions of this context, in the order help lists them.
    pub fn actions(self) -> &'static [Action] {
        use Action::*;
        match self {
            Context::Global => &[Help, Retry],
            Context::Browse => &[
                Quit,
                Back,
                Up,
                Down,
                PageUp,
                PageDown,
                Top,
                Bottom,
                Open,
                Select,
                SelectRange,
                SelectAll,
                Lookup,
                Search,
                WherePinned,
                Filter,
                Sort,
                ClearFilters,
                Refresh,
                Import,
                Export,
                New,
                Agenda,
                Health,
                Batch,
                History,
            ],
            Context::BrowseSearch => &[Back, Confirm, Up, Down, PageUp, PageDown],
            Context::Filter => &[
                Back,
                Confirm,
                Up,
                Down,
                NextField,
                PrevField,
                Toggle,
                ClearFilters,
            ],
            Context::FilterText => &[Back, Confirm, NextField, PrevField],
            Context::Detail => &[
                Back,
                Up,
                Down,
                PageUp,
                PageDown,
                Top,
                Bottom,
                CopyId,
                CopyJson,
                RawJson,
                Delete,
                Refresh,
                Lookup,
                Edit,
                Duplicate,
                WherePinned,
            ],
            Context::ConfirmDelete => &[Back, Confirm],
            Context::Lookup => &[Back, Confirm, Up, Down],
            Context::Pager => &[Back, Up, Down, PageUp, PageDown, Top, Bottom, CopyJson],
            Context::Help => &[Back, Help, Up, Down, PageUp, PageDown, Top, Bottom],
            Context::FirstRun => &[Quit, Back],
            Context::ImportFile => &[Back, Confirm, Complete, Up, Down],
            Context::ImportReview => &[
                Back, Confirm, Up, Down, PageUp, PageDown, Top, Bottom, NextField, PrevField,
            ],
            Context::ImportStrategy => &[Back, Confirm, Up, Down],
            Context::ImportAsk | Context::ImportTyped => &[Back, Confirm],
            Context::ImportRunning => &[Cancel, Back],
            Context::ImportDone => &[Back, Confirm, Up, Down, PageUp, PageDown, Top, Bottom],
            Context::ExportFile => &[Back, Confirm, Complete],
            Context::ExportOverwrite => &[Replace, Keep, Back],
            Context::Editor => &[
                Back,
                Save,
                NextField,
                PrevField,
                Up,
                Down,
                Toggle,
                Open,
                AddPin,
                DuplicatePin,
                DeletePin,
                MoveUp,
                MoveDown,
                ExternalEditor,
                OpenOther,
            ],
            Context::EditorText => &[
                Back,
                Save,
                NextField,
                PrevField,
                Up,
                Down,
                ExternalEditor,
                OpenOther,
            ],
            Context::PinForm => &[
                Back,
                Save,
                NextField,
                PrevField,
                Up,
                Down,
                Toggle,
                DuplicatePin,
                DeletePin,
                ExternalEditor,
            ],
            Context::PinFormText => &[Back, Save, NextField, PrevField, Up, Down, ExternalEditor],
            Context::EditorLeave => &[Back, Discard, KeepDraft],
            Context::EditorRestore => &[Restore, Confirm, Discard, Back],
            Context::EditorReview => &[Confirm, Back, Up, Down, PageUp, PageDown],
            Context::EditorProblems => &[Back, Confirm, Up, Down],
            Context::SortPicker => &[Back, Confirm, Up, Down],
            Context::ErrorPopup => &[Back, Confirm, Up, Down, PageUp, PageDown, Top, Bottom, Quit],
            Context::Agenda => &[
                Back, Up, Down, PageUp, PageDown, Top, Bottom, Open, Window, Refresh,
            ],
            Context::AgendaCustom => &[Back, Confirm, NextField, PrevField],
            Context::Health => &[Back, Up, Down, PageUp, PageDown, Top, Bottom, Open, Refresh],
            Context::PinPicker => &[Back, Confirm, Up, Down],
            Context::BatchForm => &[Back, Confirm, Up, Down, NextField, PrevField, Toggle],
            Context::BatchFormText => &[Back, Confirm, Up, Down, NextField, PrevField],
            Context::BatchPlan => &[Confirm, Back, Up, Down, PageUp, PageDown, Top, Bottom],
            Context::UndoPlan => &[
                Confirm,
                IncludeChanged,
                Back,
                Up,
                Down,
                PageUp,
                PageDown,
                Top,
                Bottom,
            ],
            Context::BatchAsk | Context::BatchTyped => &[Confirm, Back],
            Context::BatchRunning => &[Cancel, Back],
            Context::BatchDone => &[Back, Up, Down, PageUp, PageDown, Top, Bottom],
            Context::History => &[
                Back, Up, Down, PageUp, PageDown, Top, Bottom, Open, Undo, Refresh,
            ],
            Context::HistoryOp => &[Back, Up, Down, PageUp, PageDown, Top, Bottom, Undo],
        }
    }

    /// Whether the global actions apply too: everywhere but help itself. In a text field
    /// their plain keys are typed (`?` is a character there), the others still work (F1).
    pub fn with_global(self) -> bool {
        !matches!(self, Context::Help | Context::Global)
    }

    /// What help calls this context, when it is a part of a screen with its own keys.
    pub fn title(self) -> Option<&'static str> {
        Some(match self {
            Context::BrowseSearch => "search",
            Context::Filter | Context::FilterText => "filter",
            Context::ConfirmDelete => "delete",
            Context::ExportOverwrite => "replace the file?",
            Context::PinForm | Context::PinFormText => "pin",
            Context::EditorLeave => "unsaved changes",
            Context::EditorRestore => "draft",
            Context::EditorReview => "review",
            Context::SortPicker => "sort",
            Context::PinPicker => "where is it pinned?",
            Context::EditorProblems => "problems",
            Context::BatchAsk => "confirm",
            Context::BatchTyped => "type the count",
            _ => return None,
        })
    }

    /// Whether a text field has the focus: plain characters are typed, not looked up.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Context::BrowseSearch
                | Context::FilterText
                | Context::ConfirmDelete
                | Context::Lookup
                | Context::ImportFile
                | Context::ImportTyped
                | Context::ExportFile
                | Context::EditorText
                | Context::PinFormText
                | Context::AgendaCustom
                | Context::BatchFormText
                | Context::BatchTyped
        )
    }
}

/// One key with its modifiers, normalised (`Char('Q')` carries no SHIFT, `BackTab` neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeyChord {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Self {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        if matches!(code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        let code = match code {
            // Terminals send Ctrl-letters lower case; a config may write them either way.
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            other => other,
        };
        KeyChord { code, mods }
    }

    pub fn from_event(ev: &KeyEvent) -> Self {
        KeyChord::new(ev.code, ev.modifiers)
    }

    /// Line editing in a text field, as in readline: Ctrl-U, Ctrl-W, Ctrl-A, Ctrl-E,
    /// Ctrl-K, Ctrl-H. A focused text field takes them, whatever they are bound to.
    pub fn is_line_edit(&self) -> bool {
        self.mods == KeyModifiers::CONTROL
            && matches!(self.code, KeyCode::Char('u' | 'w' | 'a' | 'e' | 'k' | 'h'))
    }

    /// Whether the key goes to the text field rather than to an action in `ctx`.
    pub fn is_typed_in(&self, ctx: Context) -> bool {
        ctx.is_text() && (self.is_plain_char() || self.is_line_edit())
    }

    /// A character typed without Ctrl or Alt: text, when a text field has the focus.
    pub fn is_plain_char(&self) -> bool {
        matches!(self.code, KeyCode::Char(_))
            && !self
                .mods
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    }

    /// Parses `q`, `Q`, `?`, `esc`, `enter`, `pagedown`, `f5`, `ctrl-u`, `alt-x`, `shift-tab`.
    pub fn parse(text: &str) -> Result<KeyChord, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (prefix_len, m) = if lower.starts_with("ctrl-") {
                (5, KeyModifiers::CONTROL)
            } else if lower.starts_with("alt-") {
                (4, KeyModifiers::ALT)
            } else if lower.starts_with("shift-") {
                (6, KeyModifiers::SHIFT)
            } else {
                break;
            };
            if rest.len() == prefix_len {
                break;
            }
            mods |= m;
            rest = &rest[prefix_len..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            (None, _) => return Err(format!("empty key name in {text:?}")),
            _ => match rest.to_ascii_lowercase().as_str() {
                "esc" | "escape" => KeyCode::Esc,
                "enter" | "return" => KeyCode::Enter,
                "tab" if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" | "pgdown" => KeyCode::PageDown,
                "space" => KeyCode::Char(' '),
                "minus" => KeyCode::Char('-'),
                "plus" => KeyCode::Char('+'),
                f if f.starts_with('f') && f.len() <= 3 => match f[1..].parse::<u8>() {
                    Ok(n) if (1..=24).contains(&n) => KeyCode::F(n),
                    _ => return Err(unknown_key(text)),
                },
                _ => return Err(unknown_key(text)),
            },
        };
        Ok(KeyChord::new(code, mods))
    }
}

fn unknown_key(text: &str) -> String {
    format!(
        "unknown key {text:?} (use a character like \"q\", a name like esc, enter, tab, \
         backtab, backspace, delete, up, down, left, right, home, end, pageup, pagedown, \
         space, f1..f24, optionally prefixed by ctrl-, alt- or shift-)"
    )
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Delete"),
            KeyCode::Insert => f.write_str("Insert"),
            KeyCode::Up => f.write_str("Up"),
            KeyCode::Down => f.write_str("Down"),
            KeyCode::Left => f.write_str("Left"),
            KeyCode::Right => f.write_str("Right"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// A wrong `[keys]` table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeysError {
    #[error("[keys]: unknown action {name:?}; the actions are: {known}")]
    UnknownAction { name: String, known: String },
    #[error("[keys] {action}: {message}")]
    BadKey { action: String, message: String },
    #[error(
        "[keys]: {key} is bound to both {first} and {second}, which work on the same screen; \
         give one of them another key"
    )]
    Conflict {
        key: String,
        first: String,
        second: String,
    },
}

/// Action -> keys, with the config's overrides applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    bindings: BTreeMap<Action, Vec<KeyChord>>,
}

impl Default for Keymap {
    fn default() -> Self {
        let mut bindings = BTreeMap::new();
        for &a in Action::ALL {
            let keys = a
                .default_keys()
                .iter()
                .filter_map(|k| KeyChord::parse(k).ok())
                .collect();
            bindings.insert(a, keys);
        }
        Keymap { bindings }
    }
}

impl Keymap {
    /// The defaults with the config's `[keys]` overrides: each named action gets exactly the
    /// keys listed (an empty list unbinds it).
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> Result<Keymap, KeysError> {
        let mut map = Keymap::default();
        for (name, keys) in overrides {
            let action = Action::ALL
                .iter()
                .copied()
                .find(|a| a.name() == name)
                .ok_or_else(|| KeysError::UnknownAction {
                    name: name.clone(),
                    known: Action::ALL
                        .iter()
                        .map(|a| a.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            let chords = keys
                .iter()
                .map(|k| KeyChord::parse(k))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|message| KeysError::BadKey {
                    action: name.clone(),
                    message,
                })?;
            map.bindings.insert(action, chords);
        }
        map.check_conflicts()?;
        Ok(map)
    }

    fn check_conflicts(&self) -> Result<(), KeysError> {
        for &ctx in Context::ALL {
            let mut actions: Vec<Action> = ctx.actions().to_vec();
            if ctx.with_global() && ctx != Context::Global {
                actions.extend_from_slice(Context::Global.actions());
            }
            let mut seen: Vec<(KeyChord, Action)> = Vec::new();
            for a in actions {
                for k in self.keys(a) {
                    if let Some((_, other)) = seen.iter().find(|(s, o)| s == k && *o != a) {
                        return Err(KeysError::Conflict {
                            key: k.to_string(),
                            first: other.name().to_string(),
                            second: a.name().to_string(),
                        });
                    }
                    seen.push((*k, a));
                }
            }
        }
        Ok(())
    }

    /// The keys bound to `action`.
    pub fn keys(&self, action: Action) -> &[KeyChord] {
        self.bindings.get(&action).map_or(&[], Vec::as_slice)
    }

    /// The keys of `action` for display: `q` or `Up/k`.
    pub fn label(&self, action: Action) -> String {
        let keys = self.keys(action);
        if keys.is_empty() {
            return "(unbound)".to_string();
        }
        keys.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The keys of `action` that work in `ctx` (a focused text field takes characters and
    /// line-editing keys), for display: `Ctrl-o` where `E/Ctrl-o` would type an `E`.
    /// `None` when no key of it works there.
    pub fn label_in(&self, ctx: Context, action: Action) -> Option<String> {
        let keys: Vec<String> = self
            .keys(action)
            .iter()
            .filter(|k| !k.is_typed_in(ctx))
            .map(ToString::to_string)
            .collect();
        (!keys.is_empty()).then(|| keys.join("/"))
    }

    /// The first key of `action` that works in `ctx`, for hints.
    pub fn hint_in(&self, ctx: Context, action: Action) -> String {
        self.keys(action)
            .iter()
            .find(|k| !k.is_typed_in(ctx))
            .map_or_else(|| "(unbound)".to_string(), ToString::to_string)
    }

    /// The first key that asks for `action` in `ctx`; `None` when `ctx` does not know the
    /// action, or every key of it would be typed into the focused field (a hint for it
    /// would be false there).
    pub fn key_in(&self, ctx: Context, action: Action) -> Option<String> {
        let known = ctx.actions().contains(&action)
            || (ctx.with_global() && Context::Global.actions().contains(&action));
        if !known {
            return None;
        }
        self.keys(action)
            .iter()
            .find(|k| !k.is_typed_in(ctx))
            .map(ToString::to_string)
    }

    /// The first key of `action`, for hints (`? help`).
    pub fn hint(&self, action: Action) -> String {
        self.keys(action)
            .first()
            .map_or_else(|| "(unbound)".to_string(), ToString::to_string)
    }

    /// A hint line for a border: ` KEY label · KEY label `, each action with its first key.
    pub fn hints(&self, items: &[(Action, &str)]) -> String {
        hint_line(items, |a| self.hint(a))
    }

    /// [`Keymap::hints`] with the first key of each action that works in `ctx`.
    pub fn hints_in(&self, ctx: Context, items: &[(Action, &str)]) -> String {
        hint_line(items, |a| self.hint_in(ctx, a))
    }

    /// The action `key` asks for in `ctx`; `None` when it means nothing there. In a text
    /// context, plain characters are never actions: they are typed.
    pub fn resolve(&self, ctx: Context, key: &KeyEvent) -> Option<Action> {
        let chord = KeyChord::from_event(key);
        if chord.is_typed_in(ctx) {
            return None;
        }
        let global: &[Action] = if ctx.with_global() {
            Context::Global.actions()
        } else {
            &[]
        };
        ctx.actions()
            .iter()
            .chain(global)
            .copied()
            .find(|&a| self.keys(a).contains(&chord))
    }

    /// `(keys, description)` for every action of `ctx` (and the global ones), for help.
    pub fn help_lines(&self, ctx: Context) -> Vec<(String, &'static str)> {
        let global: &[Action] = if ctx.with_global() {
            Context::Global.actions()
        } else {
            &[]
        };
        ctx.actions()
            .iter()
            .chain(global)
            .filter_map(|&a| Some((self.label_in(ctx, a)?, describe(ctx, a))))
            .collect()
    }
}

/// What help says `action` does in `ctx` (the same key may do a different thing on
/// another screen).
pub fn describe(ctx: Context, action: Action) -> &'static str {
    match (ctx, action) {
        (Context::Editor, Action::Open) => "edit the selected pin",
        (Context::Filter | Context::FilterText, Action::Confirm) => "apply the filters",
        (Context::BrowseSearch, Action::Confirm) => "open the selected customization",
        (Context::Browse, Action::Back) => "clear the selection (then the narrowing)",
        (Context::SortPicker, Action::Confirm) => "sort by the selected order",
        (Context::ImportRunning, Action::Back) => "cancel the import (asks first)",
        (Context::BatchForm | Context::BatchFormText, Action::Confirm) => {
            "plan the change (nothing is sent)"
        }
        (Context::BatchForm, Action::Toggle) => "turn the selected operation on or off",
        (Context::BatchPlan | Context::UndoPlan, Action::Confirm) => "apply (asks first)",
        (Context::BatchPlan | Context::UndoPlan, Action::Up) => "scroll up",
        (Context::BatchPlan | Context::UndoPlan, Action::Down) => "scroll down",
        (Context::BatchAsk, Action::Confirm) => "yes",
        (Context::BatchAsk, Action::Back) => "no",
        (Context::BatchTyped, Action::Confirm) => "apply, once the count is typed",
        (Context::BatchRunning, Action::Cancel) => {
            "cancel (asks first; the requests in flight finish)"
        }
        (Context::BatchRunning, Action::Back) => "cancel (asks first)",
        (Context::History, Action::Open) => "show the operation's customizations and diffs",
        (Context::BatchDone | Context::History | Context::HistoryOp, Action::Back) => "close",
        _ => action.description(),
    }
}

/// Whether a key is Ctrl-C, which always quits.
pub fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL)
        && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C'))
}

/// ` KEY label · KEY label `, the key of each action from `key`.
fn hint_line(items: &[(Action, &str)], key: impl Fn(Action) -> String) -> String {
    let mut out = String::from(" ");
    for (i, (action, label)) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(" · ");
        }
        out.push_str(&key(*action));
        out.push(' ');
        out.push_str(label);
    }
    out.push(' ');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn defaults_have_no_conflicts_and_parse() {
        let map = Keymap::default();
        map.check_conflicts().expect("defaults are consistent");
        for &a in Action::ALL {
            assert_eq!(
                map.keys(a).len(),
                a.default_keys().len(),
                "{} has a default key that does not parse",
                a.name()
            );
        }
    }

    #[test]
    fn resolves_per_context() {
        let map = Keymap::default();
        let enter = key(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(map.resolve(Context::Browse, &enter), Some(Action::Open));
        assert_eq!(map.resolve(Context::Lookup, &enter), Some(Action::Confirm));
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(map.resolve(Context::Browse, &q), Some(Action::Quit));
        assert_eq!(map.resolve(Context::Detail, &q), None);
        let help = key(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(map.resolve(Context::Detail, &help), Some(Action::Help));
        let big_y = key(KeyCode::Char('Y'), KeyModifiers::SHIFT);
        assert_eq!(map.resolve(Context::Detail, &big_y), Some(Action::CopyJson));
    }

    #[test]
    fn text_contexts_type_plain_characters() {
        let map = Keymap::default();
        let k = key(KeyCode::Char('k'), KeyModifiers::NONE);
        assert_eq!(map.resolve(Context::Lookup, &k), None);
        assert_eq!(map.resolve(Context::Browse, &k), Some(Action::Up));
        let up = key(KeyCode::Up, KeyModifiers::NONE);
        assert_eq!(map.resolve(Context::Lookup, &up), Some(Action::Up));
        let esc = key(KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(map.resolve(Context::BrowseSearch, &esc), Some(Action::Back));
    }

    #[test]
    fn parses_key_names() {
        let cases = [
            ("q", KeyCode::Char('q'), KeyModifiers::NONE),
            ("Q", KeyCode::Char('Q'), KeyModifiers::NONE),
            ("ctrl-U", KeyCode::Char('u'), KeyModifiers::CONTROL),
            ("alt-x", KeyCode::Char('x'), KeyModifiers::ALT),
            ("shift-tab", KeyCode::BackTab, KeyModifiers::NONE),
            ("F5", KeyCode::F(5), KeyModifiers::NONE),
            ("PgDn", KeyCode::PageDown, KeyModifiers::NONE),
            ("space", KeyCode::Char(' '), KeyModifiers::NONE),
            ("-", KeyCode::Char('-'), KeyModifiers::NONE),
            ("ctrl--", KeyCode::Char('-'), KeyModifiers::CONTROL),
        ];
        for (text, code, mods) in cases {
            let chord = KeyChord::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(chord, KeyChord::new(code, mods), "{text}");
        }
        assert!(KeyChord::parse("ctrl-").is_err());
        assert!(KeyChord::parse("hyper-x").is_err());
        assert!(KeyChord::parse("f99").is_err());
        assert!(KeyChord::parse("").is_err());
    }

    #[test]
    fn overrides_replace_keys_and_are_checked() {
        let mut o = BTreeMap::new();
        o.insert(
            "refresh".to_string(),
            vec!["F5".to_string(), "ctrl-r".to_string()],
        );
        let map = Keymap::with_overrides(&o).expect("valid");
        let f5 = key(KeyCode::F(5), KeyModifiers::NONE);
        let r = key(KeyCode::Char('r'), KeyModifiers::NONE);
        assert_eq!(map.resolve(Context::Browse, &f5), Some(Action::Refresh));
        assert_eq!(map.resolve(Context::Browse, &r), None);
        assert_eq!(map.label(Action::Refresh), "F5/Ctrl-r");

        let mut bad = BTreeMap::new();
        bad.insert("refrsh".to_string(), vec!["r".to_string()]);
        let err = Keymap::with_overrides(&bad).expect_err("unknown action");
        assert!(
            err.to_string().contains("unknown action \"refrsh\""),
            "{err}"
        );
        assert!(err.to_string().contains("refresh"), "{err}");

        let mut bad = BTreeMap::new();
        bad.insert("refresh".to_string(), vec!["ctrl-banana".to_string()]);
        let err = Keymap::with_overrides(&bad).expect_err("bad key");
        assert!(
            err.to_string().starts_with("[keys] refresh: unknown key"),
            "{err}"
        );

        let mut clash = BTreeMap::new();
        clash.insert("refresh".to_string(), vec!["j".to_string()]);
        let err = Keymap::with_overrides(&clash).expect_err("conflict");
        assert_eq!(
            err.to_string(),
            "[keys]: j is bound to both down and refresh, which work on the same screen; give one of them another key"
        );
    }

    #[test]
    fn ctrl_c_is_recognised() {
        assert!(is_ctrl_c(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)));
        assert!(!is_ctrl_c(&key(KeyCode::Char('c'), KeyModifiers::NONE)));
    }
}
