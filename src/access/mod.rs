//! Access: the guarded road to a database file (steps 3–6 of the flow).
//!
//! - `guard`: the confirmation policy and the test sandbox rule;
//! - `failpoint`: the test-only failpoints, honoured only inside a test sandbox;
//! - `stamp`: the environment recorded inside each database;
//! - `db`: the one way to open a database (file checks, identity, stamp, schema version);
//! - `lock`: one advisory lock per database file;
//! - `audit`: the prod audit log;
//! - `session`: the road itself, which every command takes.
//!
//! May use: `shared`, `selection`, `ui`, `migrate`.

pub mod audit;
pub mod db;
pub(crate) mod failpoint;
pub(crate) mod guard;
pub(crate) mod lock;
pub mod session;
pub mod stamp;
