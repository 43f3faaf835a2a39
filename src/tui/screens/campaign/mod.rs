//! Campaigns in the TUI ([`crate::batch`]): `b` on browse's selection opens the change
//! [`form`]; its plan, apply and report, and an undo's, are [`run`]; `H` opens the
//! [`history`] of writes.

pub mod form;
pub mod history;
pub mod run;

pub use form::{BatchDraft, ChangeForm};
pub use history::{HistoryList, OperationView};
pub use run::PlanRun;
