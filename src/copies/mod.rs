//! Copies: the copy engine and what is built on it.
//!
//! - `direct`: large writes and read-backs past the page cache;
//! - `records`: the logical hash kept in manifests;
//! - `copy`: a snapshot of a database, copied and checked equal;
//! - `manifest`: the record written beside each backup;
//! - `verify`: the checks of a database and of a backup against its manifest (a copy is
//!   verified by it before it is placed, so it sits here, below the backup);
//! - `backup`: backups made, listed, chosen and removed;
//! - `offsite`: backups sent to a restic repository, listed, fetched back and forgotten;
//! - `retention`: which backups stay: prune's rules, the safety-copy policy applied after the
//!   session's automatic backup, the notice when backups take too much room;
//! - `restore`: putting a backup's content back into the live file;
//! - `compact`: a live database compacted in place, through a checked vacuumed copy;
//! - `split`: the one-time split of a legacy database into one per environment.
//!
//! May use: `shared`, `selection`, `ui`, `migrate`, `access`.

pub mod backup;
pub mod compact;
pub(crate) mod copy;
pub(crate) mod direct;
pub mod manifest;
pub mod offsite;
pub(crate) mod records;
pub mod restore;
pub mod retention;
pub mod split;
pub mod verify;
