//! Selection: which database.

pub mod config;
pub mod env;
pub mod hint;
pub mod paths;
