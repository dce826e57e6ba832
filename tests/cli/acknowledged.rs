//! Destructive changes need a reason: on prod, `migrate` refuses a destructive statement that no
//! `-- onsendo:destructive-ok <why>` acknowledges; acknowledging it (any comment) after a database
//! applied the file does not make the file "edited", also for ledger rows of the older checksum.

use crate::migrations::{add_migration, ledger, own_migrations, version, xtask};
use crate::support::{bytes, names_in, Sandbox};

const DROP_NOTES: &str = "ALTER TABLE visits DROP COLUMN notes;\n";

#[test]
fn prod_refuses_an_unacknowledged_destructive_statement_until_it_has_a_reason() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    sandbox.init("dev");
    let folder = own_migrations(&sandbox);
    add_migration(&folder, "02-drop-notes", DROP_NOTES, None);
    xtask(&sandbox, &["migrate", "--env", "dev", "--no-backup"]).ok();
    assert_eq!(version(&sandbox, "dev"), "2", "dev is not gated");

    let db = sandbox.db("prod");
    let before = bytes(&db);
    let up = folder.join("02-drop-notes").join("up.sql");
    for (text, args) in [
        (DROP_NOTES.to_string(), &["--yes"][..]),
        (DROP_NOTES.to_string(), &["--yes", "--dry-run"]),
        (
            format!("-- onsendo:destructive-ok\n{DROP_NOTES}"),
            &["--yes"],
        ),
    ] {
        std::fs::write(&up, &text).unwrap();
        let out = xtask(
            &sandbox,
            &[&["migrate", "--env", "prod"][..], args].concat(),
        )
        .code(3);
        assert!(
            out.stderr.contains(&format!(
                "refusing to migrate prod: 1 destructive statement not acknowledged (`{}`:{}: DROP COLUMN visits.notes); nothing ran; review each, then put `-- onsendo:destructive-ok <why>` on the line before it",
                up.display(),
                text.lines().count()
            )),
            "{text:?} {args:?}\n{}",
            out.stderr
        );
        assert_eq!(bytes(&db), before);
        assert!(names_in(&sandbox.backup_dir()).is_empty(), "no backup");
    }

    std::fs::write(
        &up,
        format!("-- Notes moved to visit_notes in 01.\n\n-- onsendo:destructive-ok nobody reads notes any more\n{DROP_NOTES}"),
    )
    .unwrap();
    xtask(&sandbox, &["status", "--env", "dev", "--check"]).ok();
    xtask(&sandbox, &["migrate", "--env", "prod", "--yes"]).ok();
    assert_eq!(version(&sandbox, "prod"), "2");
    assert_eq!(
        sandbox.sqlite(
            &db,
            "SELECT count(*) FROM pragma_table_info('visits') WHERE name = 'notes'"
        ),
        "0"
    );
}

/// The checksum ledgers recorded before comments were left out of it.
fn legacy_checksum(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    format!(
        "xxh3-128:{:032x}",
        xxhash_rust::xxh3::xxh3_128(text.as_bytes())
    )
}

#[test]
fn a_ledger_row_of_the_older_checksum_matches_its_file_until_a_comment_changes() {
    let sandbox = Sandbox::new();
    let folder = own_migrations(&sandbox);
    sandbox.init("dev");
    let db = sandbox.db("dev");
    let up = folder.join("01-initial").join("up.sql");
    let text = std::fs::read_to_string(&up).unwrap();
    sandbox.sqlite(
        &db,
        &format!(
            "UPDATE onsendo_migrations SET checksum = '{}' WHERE version = 1",
            legacy_checksum(&text)
        ),
    );
    xtask(&sandbox, &["status", "--env", "dev", "--check"]).ok();

    std::fs::write(&up, format!("-- reviewed\n{text}")).unwrap();
    let out = xtask(&sandbox, &["status", "--env", "dev", "--check"]).code(4);
    assert!(
        out.stdout.contains("✗ 01-initial  EDITED since applied"),
        "the older form covers comments\n{}",
        out.stdout
    );
    xtask(
        &sandbox,
        &["migrate", "--env", "dev", "--accept-edited", "1"],
    )
    .ok();
    assert_eq!(ledger(&sandbox, "dev"), "1:01-initial:accepted");
    assert!(sandbox
        .sqlite(&db, "SELECT checksum FROM onsendo_migrations")
        .starts_with("sql:xxh3-128:"));
    std::fs::write(
        &up,
        format!("-- reviewed twice\n\n{}", text.replace("    ", "\t")),
    )
    .unwrap();
    xtask(&sandbox, &["status", "--env", "dev", "--check"]).ok();
    std::fs::write(&up, text.replace("ban_number > 0", "ban_number >= 0")).unwrap();
    xtask(&sandbox, &["status", "--env", "dev", "--check"]).code(4);
}
