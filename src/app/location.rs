//! `onsendo location …`: list, add, modify and delete named places.

use super::{render, render_modified};
use crate::cli_flags::GlobalArgs;
use clap::{Args, Subcommand};
use onsendo::access::session::Effect;
use onsendo::store::locations::{self, Location, LocationChanges, NewLocation};
use onsendo::ui::{cell, escape_controls, table};
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
        #[command(flatten)]
        details: DetailArgs,
    },
    /// Change some fields of a location (destructive: on prod, confirm by typing `prod` or pass --yes)
    #[command(
        after_help = "Only the fields given change; an empty --description \"\" clears it.\n\nExamples:\n  onsendo location modify 1 --name \"Beppu station (east exit)\"\n  onsendo --env prod location modify 1 --lat 33.2797 --lon 131.5008 --dry-run\n  onsendo --env prod location modify 1 --description \"meeting point\" --yes"
    )]
    Modify {
        /// The location's id (see `location list`)
        #[arg(value_parser = super::whole_number)]
        id: i64,
        /// A new name, unique
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        details: DetailArgs,
    },
    /// Delete a location (destructive: on prod, confirm by typing `prod` or pass --yes)
    #[command(
        after_help = "Examples:\n  onsendo location delete 1\n  onsendo --env prod location delete 1 --dry-run\n  onsendo --env prod location delete 1 --yes"
    )]
    Delete {
        /// The location's id (see `location list`)
        #[arg(value_parser = super::whole_number)]
        id: i64,
    },
}

/// A location's optional facts, taken by `add` and `modify`.
#[derive(Args, Debug)]
pub struct DetailArgs {
    /// Latitude in degrees (-90..90); a location has both coordinates or neither
    #[arg(long, allow_hyphen_values = true)]
    lat: Option<f64>,
    /// Longitude in degrees (-180..180); a location has both coordinates or neither
    #[arg(long, allow_hyphen_values = true)]
    lon: Option<f64>,
    /// Free text
    #[arg(long)]
    description: Option<String>,
}

pub fn run(command: &LocationCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    let options = global.options();
    let dry_run = global.dry_run;
    match command {
        LocationCommand::List => {
            let list = super::run(&options, "location list", Effect::Read, |db| {
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
        LocationCommand::Add { name, details } => {
            let new = NewLocation {
                name: name.clone(),
                latitude: details.lat,
                longitude: details.lon,
                description: details.description.clone(),
            };
            locations::validate(&new)?;
            let operation = format!("location add {}", name.trim());
            let id = super::run(&options, operation, Effect::Write, |db| {
                db.write(|tx| locations::add(tx, &new))
            })?;
            let verb = if dry_run { "would add" } else { "added" };
            let text = format!("{verb} location {id}: {}", escape_controls(name.trim()));
            render(global.json, json!({ "id": id, "dry_run": dry_run }), text);
        }
        LocationCommand::Modify { id, name, details } => {
            let changes = LocationChanges {
                name: name.clone(),
                latitude: details.lat,
                longitude: details.lon,
                description: details.description.clone(),
            };
            changes.validate()?;
            let modified = super::run(
                &options,
                format!("location modify {id}"),
                Effect::Destructive,
                |db| db.write(|tx| locations::modify(tx, *id, &changes)),
            )?;
            render_modified(
                global.json,
                dry_run,
                &format!("location {id}"),
                modified.map(Location::to_json),
            );
        }
        LocationCommand::Delete { id } => {
            let location = super::run(
                &options,
                format!("location delete {id}"),
                Effect::Destructive,
                |db| db.write(|tx| locations::delete(tx, *id)),
            )?;
            let verb = if dry_run { "would delete" } else { "deleted" };
            let text = format!("{verb} location {id}: {}", escape_controls(&location.name));
            render(
                global.json,
                json!({ "deleted": location.to_json(), "dry_run": dry_run }),
                text,
            );
        }
    }
    Ok(())
}
