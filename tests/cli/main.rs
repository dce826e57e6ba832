//! Integration tests: the real `onsendo` and `xtask` binaries run as processes in temporary roots.

#[path = "../support/mod.rs"]
mod support;

mod acknowledged;
mod app;
mod audit_start;
mod backup;
mod compact;
mod completions;
mod concurrency;
mod damage;
mod diagnostics;
mod doctor;
mod faults;
mod files;
mod guards;
mod help;
mod hints;
mod identity;
mod info;
mod init;
mod locked_or_full;
mod makefile;
mod migrations;
mod mock_data;
mod new_and_lint;
mod places;
mod prepare_redo_history;
mod progress;
mod prune;
mod readme;
mod rebuilds;
mod renumber;
mod reset;
mod restore;
mod retention;
mod rollback;
mod schema;
mod seed;
mod shell;
mod sigkill;
mod split;
mod sql;
mod tidy;
mod verify;
mod visits;
