//! Access: the guarded road.

pub mod audit;
pub mod db;
pub mod failpoint;
pub mod guard;
pub mod lock;
pub mod session;
pub mod stamp;
