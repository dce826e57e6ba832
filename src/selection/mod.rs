//! Selection: which database a command works on (steps 1–2 of the flow).
//!
//! - `env`: the environments and their names;
//! - `paths`: where things live under the root, finding the root, and what a path names on disk;
//! - `config`: the resolver, the only way to get a [`config::DatabaseConfig`];
//! - `hint`: "what to do next" command lines built from the selection.
//!
//! May use: `shared`.

pub mod config;
pub(crate) mod env;
pub mod hint;
pub mod paths;
