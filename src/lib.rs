//! onsendo: records onsen visits in SQLite, one database per environment, every access guarded.
//!
//! The binaries (`onsendo`, `xtask`) are thin: they parse flags and render; everything that
//! touches a database lives here and goes through [`session`].

pub mod audit;
pub mod backup;
pub mod config;
pub mod copy;
pub mod db;
pub mod digest;
pub mod direct;
pub mod doctor;
pub mod durable;
pub mod env;
pub mod error;
pub mod failpoint;
pub mod guard;
pub mod hint;
pub mod lock;
pub mod manifest;
pub mod migrate;
pub mod mock;
pub mod paths;
pub mod records;
pub mod reset;
pub mod restore;
pub mod seed;
pub mod session;
pub mod settings;
pub mod split;
pub mod stamp;
pub mod statements;
pub mod store;
pub mod time;
pub mod ui;
pub mod verify;

pub use env::Environment;
pub use error::{Error, Kind, Result};
