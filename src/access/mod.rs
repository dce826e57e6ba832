//! Access: the guarded road.

pub mod audit;
pub mod db;
pub(crate) mod failpoint;
pub(crate) mod guard;
pub(crate) mod lock;
pub mod session;
pub mod stamp;
