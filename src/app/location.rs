//! `onsendo location …`: list and add named places.

use super::render;
use crate::cli_flags::GlobalArgs;
use clap::Subcommand;
use onsendo::session::{self, Effect};
use onsendo::store::locations::{self, Location, NewLocation};
use onsendo::ui::{cell, table};
use serde_json::{json, Value};

#[derive(Subcommand, Debug)]
pub enum LocationCommand {
    /// List locations by name
    #[command(after_help = "Example:\n  onsendo location list")]
    List,
    /// Add a location
    #[command(
        after_help = "Example:\n  onsendo location add --name \"Beppu station\" --lat 33.2796 --lon 131.5006"
    )]
    Add {
        /// A unique name
        #[arg(long)]
        name: String,
        /// Latitude in degrees (-90..90), with --lon
        #[arg(long, allow_hyphen_values = true)]
        lat: Option<f64>,
        /// Longitude in degrees (-180..180), with --lat
        #[arg(long, allow_hyphen_values = true)]
        lon: Option<f64>,
        /// Free text
        #[arg(long)]
        description: Option<String>,
    },
}

pub fn run(command: &LocationCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    let options = global.options();
    match command {
        LocationCommand::List => {
            let list = session::run(&options, "location list", Effect::Read, |db| {
                locations::list(db.conn())
            })?;
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|l| {
                    vec![
                        l.id.to_string(),
                        l.name.clone(),
                        cell(&l.latitude),
                        cell(&l.longitude),
                    ]
                })
                .collect();
            let text = table(&["id", "name", "lat", "lon"], &rows, "no locations yet");
            render(
                global.json,
                Value::Array(list.iter().map(Location::to_json).collect()),
                text,
            );
        }
        LocationCommand::Add {
            name,
            lat,
            lon,
            description,
        } => {
            let new = NewLocation {
                name: name.clone(),
                latitude: *lat,
                longitude: *lon,
                description: description.clone(),
            };
            locations::validate(&new)?;
            let operation = format!("location add {}", name.trim());
            let id = session::run(&options, operation, Effect::Write, |db| {
                db.write(|tx| locations::add(tx, &new))
            })?;
            let dry_run = global.dry_run;
            let verb = if dry_run { "would add" } else { "added" };
            let text = format!("{verb} location {id}: {}", name.trim());
            render(global.json, json!({ "id": id, "dry_run": dry_run }), text);
        }
    }
    Ok(())
}
