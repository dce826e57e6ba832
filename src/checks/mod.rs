//! Checks.

pub mod doctor;
pub mod settings;
