//! Campaigns: one change applied to many customizations, with a plan first and every write
//! recorded. No terminal code lives here: the CLI (`pinscope batch`, `pinscope undo`) and
//! the TUI drive the same engine.
//!
//! - [`ops`]: the vocabulary (tags, pins' windows, widget, expired pins, delete) and the pin
//!   matchers, applied to the exact JSON (unknown fields and key order kept).
//! - [`plan`]: per customization the field-level diff ([`crate::diff`]), the result
//!   validated ([`crate::api::validate`]); totals. Nothing is sent.
//! - [`apply`]: fetch the current version, skip it as `changed_on_server` when its
//!   definition differs from the plan's, else PUT or DELETE; bounded concurrency; each write
//!   recorded in the history ([`crate::mirror::history`]) as it succeeds.
//! - [`undo`]: the plan that reverses a recorded operation.

pub mod apply;
pub mod ops;
pub mod plan;
pub mod undo;

pub use apply::{
    ApplyOptions, Cancel, DEFAULT_CONCURRENCY, ItemReport, Outcome, Recorder, Report, Tick,
    same_definition,
};
pub use ops::{ChangeSpec, Edit, Op, PinMatcher, PinOp, SpecError};
pub use plan::{Action, Plan, PlanItem, Totals};
