//! Selection: which database.

pub mod config;
pub(crate) mod env;
pub mod hint;
pub mod paths;
