//! Copies: the copy engine.

pub mod backup;
pub mod copy;
pub mod direct;
pub mod manifest;
pub mod records;
pub mod restore;
pub mod split;
pub mod verify;
