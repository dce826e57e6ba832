//! Shared leaves: the error type, time, crash-safe placement of files, fingerprints.

pub(crate) mod digest;
pub mod durable;
pub(crate) mod error;
pub mod time;
