//! Two branches, one number: when two migration folders share a number, which to move, and where.
//! Those that a database of the root applied stay; the others go to the next free numbers.

use crate::shared::error::{Error, Result};
use std::path::Path;

/// What one database of the root has applied, as far as its ledger says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The database, for messages.
    pub database: String,
    /// Its `user_version`.
    pub version: usize,
    /// The names in its ledger; `None` when it has no ledger.
    pub names: Option<Vec<String>>,
}

/// One folder to rename.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// Its name now, `03-add-notes`.
    pub from: String,
    /// Its new name, `05-add-notes`.
    pub to: String,
}

/// The `NN-name` folders of a migrations folder, sorted, with their numbers; other entries are
/// left out, as the catalog leaves them out.
pub fn folders(folder: &Path) -> Result<Vec<(usize, String)>> {
    let cannot = |e| {
        Error::failed(format!(
            "cannot read the migrations folder `{}`",
            folder.display()
        ))
        .because(e)
    };
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder).map_err(cannot)? {
        let entry = entry.map_err(cannot)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let (true, Some(number)) = (entry.path().is_dir(), number_of(&name)) {
            found.push((number, name));
        }
    }
    found.sort();
    Ok(found)
}

/// The number in front of `NN-name`: `3` of `03-add-notes`.
pub(crate) fn number_of(name: &str) -> Option<usize> {
    let (number, rest) = name.split_once(['-', '_'])?;
    let digits = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
    (digits && !rest.is_empty()).then(|| number.parse().ok())?
}

/// The moves that leave every number used once: in each group of folders sharing a number, the
/// one a database applied stays (the first by name when none did), the others go to the numbers
/// after the highest, in order. Refused when two of a group were applied, or when a database at or
/// past that number has no ledger to tell which it ran.
pub fn plan(folders: &[(usize, String)], applied: &[Applied]) -> Result<Vec<Move>> {
    let mut next = folders.iter().map(|(n, _)| *n).max().unwrap_or(0) + 1;
    let mut moves = Vec::new();
    let mut index = 0;
    while index < folders.len() {
        let number = folders[index].0;
        let group: Vec<&String> = folders[index..]
            .iter()
            .take_while(|(n, _)| *n == number)
            .map(|(_, name)| name)
            .collect();
        index += group.len();
        if group.len() < 2 {
            continue;
        }
        if let Some(blind) = applied
            .iter()
            .find(|a| a.names.is_none() && a.version >= number)
        {
            return Err(Error::refused(format!(
                "cannot tell which migration {number} `{}` ran: it is at version {} and has no ledger; run its `database migrate` first (it records the ledger), then renumber",
                blind.database, blind.version
            )));
        }
        let ran = |name: &String| {
            applied
                .iter()
                .filter(|a| a.names.as_ref().is_some_and(|names| names.contains(name)))
                .map(|a| format!("`{}`", a.database))
                .collect::<Vec<_>>()
        };
        let kept: Vec<&&String> = group.iter().filter(|name| !ran(name).is_empty()).collect();
        if kept.len() > 1 {
            let who: Vec<String> = kept
                .iter()
                .map(|name| format!("{name} (by {})", ran(name).join(", ")))
                .collect();
            return Err(Error::refused(format!(
                "cannot renumber: migrations {} share number {number} and each was applied; nothing was moved; restore one database from a backup taken before, or rename one folder and fix that database by hand",
                who.join(" and ")
            )));
        }
        let stays = kept.first().map_or(group[0], |name| **name);
        for name in group.into_iter().filter(|name| *name != stays) {
            let rest = &name[name.find(['-', '_']).unwrap_or(0)..];
            moves.push(Move {
                from: name.clone(),
                to: format!("{next:02}{rest}"),
            });
            next += 1;
        }
    }
    Ok(moves)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folders(names: &[&str]) -> Vec<(usize, String)> {
        let mut found: Vec<_> = names
            .iter()
            .map(|n| (number_of(n).unwrap(), n.to_string()))
            .collect();
        found.sort();
        found
    }

    fn applied(names: &[&str]) -> Applied {
        Applied {
            database: "dev.db".into(),
            version: names.len(),
            names: Some(names.iter().map(|n| n.to_string()).collect()),
        }
    }

    fn moved(moves: &[Move]) -> Vec<(&str, &str)> {
        moves
            .iter()
            .map(|m| (m.from.as_str(), m.to.as_str()))
            .collect()
    }

    #[test]
    fn the_unapplied_one_moves_after_the_highest() {
        let found = folders(&["01-a", "02-b", "03-mood", "03-fav", "04-c"]);
        let dev = applied(&["01-a", "02-b", "03-mood", "04-c"]);
        let moves = plan(&found, &[dev]).unwrap();
        assert_eq!(moved(&moves), [("03-fav", "05-fav")]);
        let moves = plan(&found, &[]).unwrap();
        assert_eq!(
            moved(&moves),
            [("03-mood", "05-mood")],
            "none applied: the first by name stays"
        );
        assert!(plan(&folders(&["01-a", "02-b"]), &[]).unwrap().is_empty());
    }

    #[test]
    fn two_applied_or_a_database_without_ledger_is_refused() {
        let found = folders(&["01-a", "02-x", "02-y"]);
        let err = plan(
            &found,
            &[applied(&["01-a", "02-x"]), applied(&["01-a", "02-y"])],
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("02-x (by `dev.db`) and 02-y (by `dev.db`) share number 2"),
            "{err}"
        );
        let blind = Applied {
            database: "old.db".into(),
            version: 2,
            names: None,
        };
        let err = plan(&found, &[blind]).unwrap_err();
        assert!(
            err.to_string()
                .contains("cannot tell which migration 2 `old.db` ran"),
            "{err}"
        );
    }
}
