//! `onsendo onsen …`: list, show, add and modify the onsens.

use super::{render, render_modified};
use crate::cli_flags::GlobalArgs;
use clap::{Args, Subcommand};
use onsendo::access::session::Effect;
use onsendo::store::onsens::{self, Details, NewOnsen, Onsen, OnsenChanges};
use onsendo::ui::{cell, escape_controls, table};
use serde_json::{json, Value};

#[derive(Subcommand, Debug)]
pub enum OnsenCommand {
    /// List every onsen by ban number
    #[command(after_help = "Example:\n  onsendo onsen list --json")]
    List,
    /// Show one onsen in full
    #[command(after_help = "Example:\n  onsendo onsen show 1")]
    Show {
        /// The onsen's id (see `onsen list`)
        #[arg(value_parser = super::whole_number)]
        id: i64,
    },
    /// Add an onsen
    #[command(
        after_help = "Examples:\n  onsendo onsen add --ban 9 --name \"Tsurumi Onsen\"\n  onsendo onsen add --ban 10 --name \"Shibaseki Onsen\" --region Shibaseki --lat 33.3008 --lon 131.4601 --spring-quality \"simple spring\""
    )]
    Add {
        /// The official ban number, above 0 and unique
        #[arg(long, value_parser = super::whole_number, allow_hyphen_values = true)]
        ban: i64,
        /// The onsen's name
        #[arg(long)]
        name: String,
        #[command(flatten)]
        details: DetailArgs,
    },
    /// Change some fields of an onsen (destructive: on prod, confirm by typing `prod` or pass --yes)
    #[command(
        after_help = "Only the fields given change; an empty value (--region \"\") clears an optional field.\n\nExamples:\n  onsendo onsen modify 9 --region Kannawa --description \"Neighbourhood bath\"\n  onsendo --env prod onsen modify 9 --ban 11 --dry-run\n  onsendo --env prod onsen modify 9 --ban 11 --yes"
    )]
    Modify {
        /// The onsen's id (see `onsen list`)
        #[arg(value_parser = super::whole_number)]
        id: i64,
        /// A new ban number, above 0 and unique
        #[arg(long, value_parser = super::whole_number, allow_hyphen_values = true)]
        ban: Option<i64>,
        /// A new name
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        details: DetailArgs,
    },
}

/// An onsen's optional facts, taken by `add` and `modify`.
#[derive(Args, Debug)]
pub struct DetailArgs {
    /// The district, such as Kannawa
    #[arg(long)]
    region: Option<String>,
    /// The street address
    #[arg(long)]
    address: Option<String>,
    /// Latitude in degrees (-90..90); an onsen has both coordinates or neither
    #[arg(long, allow_hyphen_values = true)]
    lat: Option<f64>,
    /// Longitude in degrees (-180..180); an onsen has both coordinates or neither
    #[arg(long, allow_hyphen_values = true)]
    lon: Option<f64>,
    /// The kind of water, such as "sodium chloride"
    #[arg(long)]
    spring_quality: Option<String>,
    /// Free text
    #[arg(long)]
    description: Option<String>,
}

impl DetailArgs {
    fn details(&self) -> Details {
        Details {
            region: self.region.clone(),
            address: self.address.clone(),
            latitude: self.lat,
            longitude: self.lon,
            spring_quality: self.spring_quality.clone(),
            description: self.description.clone(),
        }
    }
}

pub fn run(command: &OnsenCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    let options = global.options();
    match command {
        OnsenCommand::List => {
            let list = super::run(&options, "onsen list", Effect::Read, |db| {
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
                Value::Array(list.iter().map(Onsen::to_json).collect()),
                text,
            );
        }
        OnsenCommand::Show { id } => {
            let onsen = super::run(&options, format!("onsen show {id}"), Effect::Read, |db| {
                onsens::get(db.conn(), *id)
            })?;
            let text = [
                format!(
                    "{} (ban {})",
                    escape_controls(&onsen.name),
                    onsen.ban_number
                ),
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
        OnsenCommand::Add { ban, name, details } => {
            let new = NewOnsen {
                ban_number: *ban,
                name: name.clone(),
                details: details.details(),
            };
            onsens::validate(&new)?;
            let id = super::run(
                &options,
                format!("onsen add --ban {ban}"),
                Effect::Write,
                |db| db.write(|tx| onsens::add(tx, &new)),
            )?;
            let dry_run = global.dry_run;
            let verb = if dry_run { "would add" } else { "added" };
            let text = format!(
                "{verb} onsen {id} (ban {ban}): {}",
                escape_controls(name.trim())
            );
            render(global.json, json!({ "id": id, "dry_run": dry_run }), text);
        }
        OnsenCommand::Modify {
            id,
            ban,
            name,
            details,
        } => {
            let changes = OnsenChanges {
                ban_number: *ban,
                name: name.clone(),
                details: details.details(),
            };
            changes.validate()?;
            let modified = super::run(
                &options,
                format!("onsen modify {id}"),
                Effect::Destructive,
                |db| db.write(|tx| onsens::modify(tx, *id, &changes)),
            )?;
            render_modified(
                global.json,
                global.dry_run,
                &format!("onsen {id}"),
                modified.map(Onsen::to_json),
            );
        }
    }
    Ok(())
}
