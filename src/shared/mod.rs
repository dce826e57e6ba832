//! Shared leaves: what every stage uses and which uses nothing of the library above it.
//!
//! - `error`: the error type, its exit-code kinds, and the one mapping of SQLite's errors;
//! - `time`: dates and UTC time stamps;
//! - `durable`: crash-safe placement of new files (temporary name, fsync, link into place);
//! - `digest`: fingerprints of a file's bytes and of a database's values;
//! - `process`: a process's parent, start time and I/O counters, from `/proc`;
//! - `watched`: a child process stopped when it shows no progress for too long.
//!
//! May use: nothing of the library (the standard library and the crates only).

pub(crate) mod digest;
pub mod durable;
pub(crate) mod error;
pub(crate) mod process;
pub mod time;
pub(crate) mod watched;
