//! `onsendo onsen …`: list and show the reference onsens.

use super::render;
use crate::cli_flags::GlobalArgs;
use clap::Subcommand;
use onsendo::session::{self, Effect};
use onsendo::store::onsens;
use onsendo::ui::{cell, table};
use serde_json::Value;

#[derive(Subcommand, Debug)]
pub enum OnsenCommand {
    /// List every onsen by ban number
    #[command(after_help = "Example:\n  onsendo onsen list --json")]
    List,
    /// Show one onsen in full
    #[command(after_help = "Example:\n  onsendo onsen show 1")]
    Show {
        /// The onsen's id (see `onsen list`)
        id: i64,
    },
}

pub fn run(command: &OnsenCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    let options = global.options();
    match command {
        OnsenCommand::List => {
            let list = session::run(&options, "onsen list", Effect::Read, |db| {
                onsens::list(db.conn())
            })?;
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|o| {
                    vec![
                        o.id.to_string(),
                        o.ban_number.to_string(),
                        o.name.clone(),
                        cell(&o.region),
                    ]
                })
                .collect();
            let text = table(&["id", "ban", "name", "region"], &rows, "no onsens yet");
            render(
                global.json,
                Value::Array(list.iter().map(onsens::Onsen::to_json).collect()),
                text,
            );
        }
        OnsenCommand::Show { id } => {
            let onsen = session::run(&options, format!("onsen show {id}"), Effect::Read, |db| {
                onsens::get(db.conn(), *id)
            })?;
            let text = [
                format!("{} (ban {})", onsen.name, onsen.ban_number),
                format!("id:             {}", onsen.id),
                format!("region:         {}", cell(&onsen.region)),
                format!("address:        {}", cell(&onsen.address)),
                format!(
                    "coordinates:    {}, {}",
                    cell(&onsen.latitude),
                    cell(&onsen.longitude)
                ),
                format!("spring quality: {}", cell(&onsen.spring_quality)),
                format!("description:    {}", cell(&onsen.description)),
            ]
            .join("\n");
            render(global.json, onsen.to_json(), text);
        }
    }
    Ok(())
}
