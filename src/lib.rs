//! onsendo: records onsen visits in SQLite, one database per environment, every access guarded.
//!
//! The binaries (`onsendo`, `xtask`) are thin: they parse flags and render; everything that
//! touches a database lives here and goes through [`access::session`].
//!
//! The library is grouped by the stages of the flow, one folder a stage; from the leaves up:
//! [`shared`], [`selection`], [`ui`], [`migrate`], [`access`], [`copies`], [`data`], [`store`],
//! [`checks`]. A file imports only from its own stage's lower files or from the stages before
//! its own (the tidy test `imports_run_down_the_layers` keeps it so). The public API is what the
//! binaries use; the rest is `pub(crate)`.

pub mod access;
pub mod checks;
pub mod copies;
pub mod data;
pub mod migrate;
pub mod selection;
pub mod shared;
pub mod store;
pub mod ui;

pub use selection::env::Environment;
pub use shared::error::{Error, Kind, Result};
