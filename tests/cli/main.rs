//! Integration tests: the real `onsendo` and `xtask` binaries run as processes in temporary roots.

#[path = "../support/mod.rs"]
mod support;

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
mod offsite;
mod places;
mod progress;
mod prune;
mod readme;
mod reset;
mod restore;
mod retention;
mod rollback;
mod seed;
mod shell;
mod sigkill;
mod split;
mod sql;
mod tidy;
mod verify;
mod visits;
