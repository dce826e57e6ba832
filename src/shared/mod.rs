//! Shared leaves: the error type, time, crash-safe placement of files, fingerprints.

pub mod digest;
pub mod durable;
pub mod error;
pub mod time;
