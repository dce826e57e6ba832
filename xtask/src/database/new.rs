//! `database new NAME [--rebuild TABLE]`: the next numbered migration folder, with `up.sql` and
//! `down.sql` (for a rebuild, SQLite's procedure for that table).

use crate::cli_flags::GlobalArgs;
use onsendo::access::db;
use onsendo::checks::schema;
use onsendo::migrate::{rebuild, Catalog};
use onsendo::selection::config;
use onsendo::{ui, Error};
use serde_json::json;

/// The flags of `database new`.
#[derive(clap::Args, Debug)]
pub struct NewArgs {
    /// What the migration does, in a few words (letters, digits, spaces, - and _)
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Write SQLite's table-rebuild procedure for TABLE, as the migrations make it
    #[arg(long, value_name = "TABLE")]
    pub rebuild: Option<String>,
}

/// The selected root's `migrations/` folder, which the commands that write migration files need.
pub fn migrations_folder(global: &GlobalArgs) -> onsendo::Result<std::path::PathBuf> {
    let config = config::from_process(&global.options().flags)?;
    let folder = config.layout.migrations_dir();
    if !folder.is_dir() {
        return Err(Error::failed(format!(
            "there is no migrations folder `{}`; run inside the repository, or name its root with --root",
            folder.display()
        )));
    }
    Ok(folder)
}

pub fn run(args: &NewArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let folder = migrations_folder(global)?;
    let slug = slug(&args.name)?;
    let catalog = Catalog::from_folder(&folder)?;
    let version = catalog.head() + 1;
    let name = format!("{version:02}-{slug}");
    let (up_text, down_text) = match &args.rebuild {
        Some(table) => rebuild::skeleton(&db::scratch(&catalog, catalog.head())?, table, &name)?,
        None => (
            format!("-- {name}: {}\n-- Runs inside the migration's transaction; do not BEGIN or COMMIT here.\n\n", args.name.trim()),
            format!("-- Undoes {name}. Delete this file if it cannot be undone (rollback then refuses).\n\n"),
        ),
    };
    let dir = folder.join(&name);
    let (up, down) = (dir.join("up.sql"), dir.join("down.sql"));
    if !global.dry_run {
        let write = |path: &std::path::Path, text: String| {
            std::fs::write(path, text)
                .map_err(|e| Error::failed(format!("cannot write `{}`", path.display())).because(e))
        };
        std::fs::create_dir(&dir)
            .map_err(|e| Error::failed(format!("cannot create `{}`", dir.display())).because(e))?;
        write(&up, up_text)?;
        write(&down, down_text)?;
    }
    let schema_file = if global.dry_run {
        None
    } else {
        schema::keep_current(&Catalog::from_folder(&folder)?)?
    };
    if global.json {
        ui::print_json(&json!({
            "version": version,
            "name": name,
            "up": up.display().to_string(),
            "down": down.display().to_string(),
            "dry_run": global.dry_run,
            "schema_file": schema_file.as_ref().map(|p| p.display().to_string()),
        }));
    } else {
        let verb = if global.dry_run {
            "would create"
        } else {
            "created"
        };
        println!(
            "{verb} migration {version}:\n  {}\n  {}",
            up.display(),
            down.display()
        );
        if let Some(file) = &schema_file {
            println!("updated `{}`", file.display());
        }
    }
    Ok(())
}

/// `Add visit notes` → `add-visit-notes`.
fn slug(name: &str) -> onsendo::Result<String> {
    let words: Vec<String> = name
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    let valid = !words.is_empty()
        && words
            .iter()
            .all(|w| w.chars().all(|c| c.is_ascii_alphanumeric()));
    if valid {
        Ok(words.join("-"))
    } else {
        Err(Error::usage(format!(
            "`{name}` is not a migration name: use letters, digits, spaces, - and _ (e.g. `add visit notes`)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn names_become_slugs() {
        assert_eq!(slug("Add visit notes").unwrap(), "add-visit-notes");
        assert_eq!(slug(" drop_old--column ").unwrap(), "drop-old-column");
        assert!(slug("  ").is_err());
        assert!(slug("../etc").is_err());
        assert!(slug("naïve").is_err());
    }
}
