//! Copies: the copy engine.

pub mod backup;
pub(crate) mod copy;
pub(crate) mod direct;
pub mod manifest;
pub(crate) mod records;
pub mod restore;
pub mod split;
pub mod verify;
