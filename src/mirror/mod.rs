//! The tracker's local database (SQLite).
//!
//! - [`history`]: every write pinscope makes, with before and after images, for undo.

pub mod history;
