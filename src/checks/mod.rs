//! Checks: reports over the whole setup, at the top of the library.
//!
//! - `doctor`: whether a setup is ready, one line per check;
//! - `settings`: every setting in effect and where it came from (`config show`);
//! - `schema`: the schema the migrations make, drift from it, and `migrations/schema.sql`.
//!
//! (`verify`, the check of one database or backup, lives in `copies`: every copy is verified by it.)
//!
//! May use: every other stage.

pub mod doctor;
pub mod schema;
pub mod settings;
