//! Data work.

pub mod mock;
pub mod reset;
pub mod seed;
