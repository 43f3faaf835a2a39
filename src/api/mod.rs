//! The service's contract: model, validation (over any JSON reader, see [`json`]), signing and
//! the client.

pub mod client;
pub mod error;
pub mod host;
pub mod ids;
pub mod json;
pub mod model;
pub mod sign;
pub mod text;
pub mod time;
pub mod validate;

pub use client::{Client, ClientConfig, ExportQuery, ExportStream, ListQuery, RetryPolicy};
pub use error::{ApiError, StatusError};
pub use model::{
    ConflictStrategy, Customization, Page, Pin, PinState, PinType, Position, Summary, TargetType,
};
pub use sign::Secret;
