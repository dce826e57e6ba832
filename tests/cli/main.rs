//! Integration tests: the real `onsendo` and `xtask` binaries run as processes in temporary roots.

#[path = "../support/mod.rs"]
mod support;

mod app;
mod audit_start;
mod backup;
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
mod makefile;
mod migrations;
mod mock_data;
mod places;
mod progress;
mod reset;
mod seed;
mod shell;
mod split;
mod sql;
mod tidy;
mod visits;
