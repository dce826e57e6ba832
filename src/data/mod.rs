//! Data work: filling and emptying a database's application data.
//!
//! - `seed`: the reference data (and the unit tests' in-memory fixtures);
//! - `reset`: dropping and rebuilding a throwaway database;
//! - `mock`: generated visits for throwaway databases.
//!
//! May use: `shared`, `selection`, `ui`, `migrate`, `access`, `copies`.

pub mod mock;
pub mod reset;
pub mod seed;
