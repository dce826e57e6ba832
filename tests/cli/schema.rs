//! The committed schema (`migrations/schema.sql`) and drift: a schema changed by hand, or a ledger
//! row removed, reported by `status` and `doctor`.

use crate::migrations::{add_migration, dev_with_two_pending, own_migrations, xtask};
use crate::support::Sandbox;
use std::path::Path;

/// What `sqlite3` finds in the schema of `db`, in `schema.sql`'s order and form: each object's
/// statement as SQLite stored it, bookkeeping tables left out, a blank line between.
fn schema_by_sqlite3(sandbox: &Sandbox, db: &Path) -> String {
    sandbox.sqlite(
        db,
        "SELECT group_concat(sql || ';', char(10) || char(10)) FROM (
            SELECT replace(sql, char(13) || char(10), char(10)) AS sql FROM sqlite_schema
            WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
              AND tbl_name NOT IN ('onsendo_meta', 'onsendo_migrations')
            ORDER BY tbl_name, CASE type WHEN 'table' THEN 0 WHEN 'view' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, name)",
    )
}

/// Why `folder/schema.sql` is not what the migrations in `folder` make, or `None` when it is: a
/// fresh test database is built from them by `database init` in `sandbox` (whose root holds
/// `folder`), and `sqlite3` reads its schema.
fn schema_file_disagrees(sandbox: &Sandbox, folder: &Path) -> Option<String> {
    let db = sandbox.db("test");
    let _ = std::fs::remove_file(&db);
    sandbox.init("test");
    let made = schema_by_sqlite3(sandbox, &db);
    let head = sandbox.sqlite(&db, "PRAGMA user_version");
    let file = std::fs::read_to_string(folder.join("schema.sql")).unwrap_or_default();
    let (header, body) = file.split_once("\n\n").unwrap_or_default();
    if body.trim_end() != made {
        return Some(format!(
            "the migrations make:\n{made}\n\nschema.sql holds:\n{body}"
        ));
    }
    let named = format!("-- The schema the migrations make at version {head},");
    (!header.starts_with(&named))
        .then(|| format!("its header does not name version {head}:\n{header}"))
}

#[test]
fn the_committed_schema_is_what_the_migrations_make() {
    let sandbox = Sandbox::new();
    let folder = own_migrations(&sandbox);
    if let Some(why) = schema_file_disagrees(&sandbox, &folder) {
        panic!("migrations/schema.sql is not what the migrations make; `cargo xtask database migrate` on dev (or `database new`) rewrites it. {why}");
    }
    add_migration(
        &folder,
        "02-visit-mood",
        "ALTER TABLE visits ADD COLUMN mood TEXT;\n",
        None,
    );
    let why = schema_file_disagrees(&sandbox, &folder).expect("a new migration makes it stale");
    assert!(why.contains("mood TEXT"), "{why}");
}

#[test]
fn migrate_and_rollback_on_dev_keep_schema_sql_current_and_others_do_not() {
    let (sandbox, folder) = dev_with_two_pending();
    let file = folder.join("schema.sql");
    let committed = std::fs::read_to_string(&file).unwrap();

    xtask(&sandbox, &["migrate", "--env", "dev", "--dry-run"]).ok();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        committed,
        "a dry run writes nothing"
    );
    let out = xtask(&sandbox, &["migrate", "--env", "dev"]).ok();
    assert!(
        out.stdout
            .contains(&format!("updated `{}`", file.display())),
        "{}",
        out.stdout
    );
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("CREATE TABLE favourites ("), "{written}");
    assert_eq!(schema_file_disagrees(&sandbox, &folder), None);

    let out = xtask(&sandbox, &["rollback", "--env", "dev"]).ok();
    assert!(
        !out.stdout.contains("updated `"),
        "the head is unchanged: {}",
        out.stdout
    );
    std::fs::write(
        folder.join("03-favourites").join("up.sql"),
        "CREATE TABLE favourites (onsen_id INTEGER NOT NULL REFERENCES onsens (id));\nCREATE INDEX favourites_by_onsen ON favourites (onsen_id);\n",
    )
    .unwrap();
    let out = xtask(&sandbox, &["migrate", "--env", "dev", "--json"]).ok();
    assert_eq!(out.json()["schema_file"], file.display().to_string());
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("CREATE INDEX favourites_by_onsen ON favourites (onsen_id);"));
    assert_eq!(schema_file_disagrees(&sandbox, &folder), None);

    add_migration(
        &folder,
        "04-notes",
        "CREATE TABLE notes (text TEXT);\n",
        None,
    );
    sandbox.init("prod");
    let before = std::fs::read_to_string(&file).unwrap();
    let out = xtask(&sandbox, &["migrate", "--env", "prod", "--yes"]).ok();
    assert!(!out.stdout.contains("updated `"), "{}", out.stdout);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        before,
        "only dev writes it"
    );

    std::fs::remove_file(&file).unwrap();
    let out = xtask(&sandbox, &["new", "visit mood"]).ok();
    assert!(out.stdout.contains("updated `"), "{}", out.stdout);
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("CREATE TABLE notes (text TEXT);"));
}

#[test]
fn an_index_dropped_by_hand_on_prod_is_drift() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let db = sandbox.db("prod");
    xtask(&sandbox, &["status", "--env", "prod", "--check"]).ok();
    sandbox.sqlite(&db, "DROP INDEX visits_by_date");

    let out = xtask(&sandbox, &["status", "--env", "prod", "--check"]).code(4);
    let expected = "✗ schema drift: the schema is not what the migrations make at version 1: index `visits_by_date` is missing; repair it with `cargo xtask database sql --env prod";
    assert!(out.stdout.contains(expected), "{}", out.stdout);
    assert!(
        out.stdout
            .contains(" FILE` or a new migration, or restore a backup\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("index `visits_by_date` is missing"),
        "{}",
        out.stderr
    );
    let json = xtask(&sandbox, &["status", "--env", "prod", "--json"])
        .ok()
        .json();
    assert_eq!(json["current"], false);
    assert_eq!(json["drift"][0]["kind"], "index");
    assert_eq!(json["drift"][0]["name"], "visits_by_date");
    assert_eq!(json["drift"][0]["what"], "is missing");

    let out = xtask(&sandbox, &["doctor", "--env", "prod"]).code(4);
    let line = out
        .stdout
        .lines()
        .find(|line| line.contains(" schema "))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(line.starts_with("✗ schema"), "{line}");
    assert!(line.contains("index `visits_by_date` is missing"), "{line}");
    assert!(out.stdout.ends_with("NOT READY\n"), "{}", out.stdout);

    sandbox.sqlite(&db, "CREATE INDEX visits_by_date ON visits (visited_at)");
    xtask(&sandbox, &["status", "--env", "prod", "--check"]).ok();
    xtask(&sandbox, &["doctor", "--env", "prod"]).ok();
}

#[test]
fn a_column_added_by_exec_write_is_drift_and_spacing_is_not() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let db = sandbox.db("test");
    xtask(
        &sandbox,
        &["exec", "--write", "ALTER TABLE visits ADD COLUMN mood TEXT"],
    )
    .ok();
    let out = xtask(&sandbox, &["status", "--check"]).code(4);
    assert!(
        out.stdout
            .contains("table `visits` has column `mood`, which the migrations do not make"),
        "{}",
        out.stdout
    );
    xtask(
        &sandbox,
        &["exec", "--write", "ALTER TABLE visits DROP COLUMN mood"],
    )
    .ok();
    xtask(&sandbox, &["status", "--check"]).ok();

    // The same index written another way (case, spacing, a comment) is the same schema.
    sandbox.sqlite(
        &db,
        "DROP INDEX visits_by_date; create index VISITS_BY_DATE on visits(\n  visited_at -- day\n)",
    );
    let out = xtask(&sandbox, &["status", "--check"]).ok();
    assert!(
        out.stdout
            .contains("✓ at head, nothing edited, the schema is what the migrations make"),
        "{}",
        out.stdout
    );
    sandbox.sqlite(
        &db,
        "DROP INDEX visits_by_date; CREATE INDEX visits_by_date ON visits (onsen_id)",
    );
    let out = xtask(&sandbox, &["status", "--check"]).code(4);
    assert!(
        out.stdout
            .contains("index `visits_by_date` differs from what the migrations make"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_row_removed_from_the_ledger_is_drift_until_recorded_again() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    sandbox.sqlite(&sandbox.db("test"), "DELETE FROM onsendo_migrations");
    let out = xtask(&sandbox, &["status", "--check"]).code(4);
    assert!(
        out.stdout
            .contains("✗ 01-initial  applied, its ledger row MISSING"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("✗ ledger drift: applied migration(s) 1 (01-initial) have no row in the ledger (removed by hand?); if the files are what ran, record them again with `cargo xtask database migrate"),
        "{}",
        out.stdout
    );
    let out = xtask(&sandbox, &["doctor", "--serve"]).code(4);
    assert!(
        out.stdout.contains("✗ migrations    ledger drift"),
        "{}",
        out.stdout
    );
    xtask(&sandbox, &["migrate"]).ok();
    xtask(&sandbox, &["status", "--check"]).ok();
}

#[test]
fn an_edited_schema_sql_is_not_trusted_as_the_reference() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let folder = own_migrations(&sandbox);
    let file = folder.join("schema.sql");
    // The index taken out of the committed text, and out of the database: the text is no longer
    // what its fingerprint was made of, so the reference is built from the migrations again.
    let text = std::fs::read_to_string(&file).unwrap();
    let (header, body) = text.split_once("\n\n").unwrap();
    let edited: Vec<&str> = body
        .split("\n\n")
        .filter(|statement| !statement.contains("INDEX visits_by_date"))
        .collect();
    assert!(edited.len() < body.split("\n\n").count(), "{body}");
    std::fs::write(&file, format!("{header}\n\n{}", edited.join("\n\n"))).unwrap();
    sandbox.sqlite(&sandbox.db("prod"), "DROP INDEX visits_by_date");
    let out = xtask(&sandbox, &["status", "--env", "prod", "--check"]).code(4);
    assert!(
        out.stdout.contains("index `visits_by_date` is missing"),
        "{}",
        out.stdout
    );
}
