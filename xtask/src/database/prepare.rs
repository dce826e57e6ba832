//! `database prepare`: the one command a deploy script runs: create the database when it is
//! missing (as `init` does), else apply its pending migrations (as `migrate` does: the plan, prod's
//! confirmation, a backup checked equal to the database first), else nothing.

use crate::cli_flags::GlobalArgs;
use crate::database::{init, migrate};
use onsendo::selection::config;

pub fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let config = config::from_process(&global.options().flags)?;
    if config.path.exists() {
        let args = migrate::MigrateArgs {
            to: None,
            no_backup: false,
            accept_edited: Vec::new(),
        };
        migrate::run_as(&args, global, "database prepare")
    } else {
        init::run_as(global, "database prepare")
    }
}
