//! `cargo xtask config show`: every setting, its value and where it came from.

use crate::cli_flags::GlobalArgs;
use clap::Subcommand;
use onsendo::checks::settings;
use onsendo::selection::config;
use onsendo::ui;
use serde_json::json;

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Show every setting the tools use, its value and its source (flag, variable, default);
    /// values of secret-looking names (token, password, secret, credential, private, signature,
    /// *_KEY…) and the secrets in URLs (passwords, such query parameters) are shown as ***
    /// unless --show-secrets
    #[command(
        after_help = "Examples:\n  cargo xtask config show\n  cargo xtask config show --env prod --json\n  ONSENDO_ENV=prod cargo xtask config show"
    )]
    Show {
        /// Show the values of secret-looking variables instead of ***
        #[arg(long)]
        show_secrets: bool,
    },
}

pub fn run(command: &ConfigCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    let ConfigCommand::Show { show_secrets } = command;
    let config = config::from_process(&global.options().flags)?;
    let vars: Vec<(String, String)> = std::env::vars_os()
        .map(|(name, value)| {
            (
                name.to_string_lossy().into_owned(),
                value.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let list = settings::list(&config, &vars, *show_secrets);
    if global.json {
        ui::print_json(&json!(list
            .iter()
            .map(|s| json!({ "name": s.name, "value": s.value, "source": s.source }))
            .collect::<Vec<_>>()));
    } else {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|s| vec![s.name.clone(), s.value.clone(), s.source.clone()])
            .collect();
        println!("{}", ui::table(&["setting", "value", "source"], &rows, ""));
    }
    Ok(())
}
