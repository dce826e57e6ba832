//! `cargo xtask database exec` and `database sql`: read-only by default, the destructive rules
//! with `--write` and for files, one transaction, dry runs that change nothing.

use crate::support::{bytes, names_in, Sandbox};

fn names(sandbox: &Sandbox, env: &str) -> String {
    sandbox.sqlite(
        &sandbox.db(env),
        "SELECT group_concat(region, ',') FROM (SELECT region FROM onsens ORDER BY id)",
    )
}

#[test]
fn exec_reads_as_tab_separated_text_or_json() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let out = sandbox
        .xtask()
        .args(["database", "exec", "SELECT ban_number, name, NULL AS gone FROM onsens WHERE ban_number <= 2 ORDER BY ban_number"])
        .run()
        .ok();
    let expected = sandbox.sqlite(
        &sandbox.db("test"),
        "SELECT ban_number || char(9) || name FROM onsens WHERE ban_number <= 2 ORDER BY ban_number",
    );
    let rows: String = expected.lines().map(|line| format!("{line}\t\n")).collect();
    assert_eq!(
        out.stdout,
        format!("ban_number\tname\tgone\n{rows}"),
        "NULL is an empty cell"
    );
    let json = sandbox
        .xtask()
        .args([
            "database",
            "exec",
            "--json",
            "SELECT count(*) AS n, NULL AS empty FROM onsens",
        ])
        .run()
        .ok()
        .json();
    let count: i64 = sandbox
        .sqlite(&sandbox.db("test"), "SELECT count(*) FROM onsens")
        .parse()
        .unwrap();
    assert_eq!(
        json["statements"][0]["columns"],
        serde_json::json!(["n", "empty"])
    );
    assert_eq!(
        json["statements"][0]["rows"],
        serde_json::json!([[count, null]])
    );
}

#[test]
fn exec_refuses_a_write_without_write_and_changes_nothing() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let db = sandbox.db("test");
    let before = bytes(&db);
    let out = sandbox
        .xtask()
        .args(["database", "exec", "SELECT 1; DELETE FROM onsens"])
        .run()
        .code(3);
    assert!(
        out.stderr
            .contains("statement 2 (line 1) changes the database"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--write"), "{}", out.stderr);
    assert_eq!(bytes(&db), before);
}

#[test]
fn exec_write_changes_data_and_its_dry_run_changes_nothing() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let db = sandbox.db("test");
    let before = bytes(&db);
    let dry = sandbox
        .xtask()
        .args([
            "database",
            "exec",
            "--write",
            "--dry-run",
            "UPDATE onsens SET region = 'Oita'",
        ])
        .run()
        .ok();
    assert!(dry.stdout.contains("row(s) changed"), "{}", dry.stdout);
    assert!(dry.stdout.contains("rolled back"), "{}", dry.stdout);
    assert_eq!(
        bytes(&db),
        before,
        "a dry run leaves the file byte-identical"
    );

    sandbox
        .xtask()
        .args([
            "database",
            "exec",
            "--write",
            "UPDATE onsens SET region = 'Oita' WHERE id = 1",
        ])
        .run()
        .ok();
    assert!(names(&sandbox, "test").starts_with("Oita,"));
    assert!(
        names_in(&sandbox.backup_dir()).is_empty(),
        "no backup outside prod"
    );
}

#[test]
fn exec_write_and_sql_on_prod_need_a_confirmation_back_up_first_and_are_audited() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let db = sandbox.db("prod");
    let script = sandbox.root().join("delete two.sql");
    std::fs::write(&script, "DELETE FROM onsens WHERE id = 2;\n").unwrap();
    let script = script.display().to_string();
    let commands: [(&[&str], &str); 2] = [
        (&["exec", "--write", "DELETE FROM onsens WHERE id = 1"], "1"),
        (&["sql", &script], "2"),
    ];
    for (command, deleted) in commands {
        let before = bytes(&db);
        let refused = sandbox
            .xtask()
            .args(["database", "--env", "prod"])
            .args(command)
            .run()
            .code(3);
        assert!(
            refused.stderr.contains("PROD DATABASE"),
            "{command:?}: {}",
            refused.stderr
        );
        assert_eq!(bytes(&db), before, "{command:?}: refused, unchanged");
        let record = sandbox.last_audit();
        assert_eq!(record["confirmation"], "refused", "{command:?}");
        assert!(record["outcome"].as_str().unwrap().starts_with("refused"));

        sandbox
            .xtask()
            .args(["database", "--env", "prod", "--yes"])
            .args(command)
            .run()
            .ok();
        let record = sandbox.last_audit();
        assert_eq!(record["outcome"], "ok", "{command:?}");
        assert_eq!(record["confirmation"], "--yes", "{command:?}");
        let backup =
            std::path::PathBuf::from(record["backup"].as_str().expect("a backup is recorded"));
        let manifest: serde_json::Value =
            serde_json::from_slice(&bytes(&backup.with_extension("json"))).unwrap();
        assert_eq!(manifest["reason"], "pre-sql", "{command:?}");
        assert_eq!(
            bytes(&backup),
            before,
            "{command:?}: the backup holds the data before the change"
        );
        sandbox
            .xtask()
            .args(["database", "verify"])
            .arg(&backup)
            .run()
            .ok();
        assert_eq!(
            sandbox.sqlite(
                &db,
                &format!("SELECT count(*) FROM onsens WHERE id = {deleted}")
            ),
            "0",
            "{command:?}"
        );
    }
}

#[test]
fn bad_sql_on_prod_fails_before_the_backup_and_changes_nothing() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let db = sandbox.db("prod");
    let before = bytes(&db);
    for sql in [
        "UPDATE nosuch SET a = 1",
        "DELETE FROM visits; UPDATE onsens SET nosuch = 1",
        "DELETE FROM visits; COMMIT",
    ] {
        let out = sandbox
            .xtask()
            .args(["database", "exec", "--env", "prod", "--write", "--yes", sql])
            .run();
        assert!(out.code == 1 || out.code == 3, "{sql}: {}", out.stderr);
        assert!(out.stderr.contains("statement"), "{sql}: {}", out.stderr);
        assert!(
            names_in(&sandbox.backup_dir()).is_empty(),
            "{sql}: no backup for SQL that cannot run"
        );
        let record = sandbox.last_audit();
        assert_eq!(record["backup"], serde_json::Value::Null, "{sql}");
        assert!(
            !record["outcome"].as_str().unwrap().starts_with("ok"),
            "{sql}: {record}"
        );
    }
    assert_eq!(bytes(&db), before);
}

#[test]
fn statements_that_escape_the_transaction_reach_another_file_or_switch_off_checks_are_refused() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let db = sandbox.db("test");
    let before = bytes(&db);
    for sql in [
        "COMMIT",
        "ATTACH 'other.db' AS other",
        "VACUUM",
        "PRAGMA foreign_keys=OFF; DELETE FROM onsens WHERE id = 1",
        "PRAGMA user_version = 99",
    ] {
        let out = sandbox
            .xtask()
            .args(["database", "exec", "--write", sql])
            .run()
            .code(3);
        assert!(
            out.stderr.contains("is not allowed"),
            "{sql}: {}",
            out.stderr
        );
    }
    assert_eq!(bytes(&db), before);
    assert!(!sandbox.root().join("other.db").exists());
}

#[test]
fn a_sql_file_runs_in_one_transaction_and_a_failure_keeps_the_file_byte_identical() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let db = sandbox.db("test");
    let file = sandbox.root().join("fix regions ✓.sql");
    std::fs::write(
        &file,
        "UPDATE onsens SET region = 'Oita';\nINSERT INTO onsens (ban_number, name) VALUES (1, 'duplicate ban');\n",
    )
    .unwrap();
    let before = bytes(&db);
    let out = sandbox
        .xtask()
        .args(["database", "sql"])
        .arg(&file)
        .run()
        .code(1);
    assert!(
        out.stderr.contains("statement 2 (line 2) failed on `"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("UNIQUE"), "{}", out.stderr);
    assert_eq!(
        bytes(&db),
        before,
        "the first statement was rolled back too"
    );

    std::fs::write(
        &file,
        "UPDATE onsens SET region = 'Oita' WHERE id <= 3;\nDELETE FROM onsens WHERE id = 8;\n",
    )
    .unwrap();
    let dry = sandbox
        .xtask()
        .args(["database", "sql", "--dry-run", "--json"])
        .arg(&file)
        .run()
        .ok()
        .json();
    let changes: Vec<_> = dry["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["changes"].as_u64().unwrap())
        .collect();
    assert_eq!(changes, [3, 1]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(bytes(&db), before);

    sandbox
        .xtask()
        .args(["database", "sql"])
        .arg(&file)
        .run()
        .ok();
    assert_eq!(
        sandbox.sqlite(&db, "SELECT count(*) FROM onsens WHERE region = 'Oita'"),
        "3"
    );
    assert_eq!(
        sandbox.sqlite(&db, "SELECT count(*) FROM onsens WHERE id = 8"),
        "0"
    );
}

#[test]
fn a_missing_sql_file_is_a_usage_error() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let out = sandbox
        .xtask()
        .args(["database", "sql", "no such file.sql"])
        .run()
        .code(2);
    assert!(
        out.stderr.contains("cannot read the SQL file"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_gate_reads_the_whole_text_first_through_quotes_and_explain() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let db = sandbox.db("prod");
    let file = sandbox.root().join("sneaky.sql");
    std::fs::write(
        &file,
        "CREATE TABLE scratch (x);\nEXPLAIN PRAGMA ignore_check_constraints = 1;\nINSERT INTO onsens (ban_number, name) VALUES (-1, '');\n",
    )
    .unwrap();
    let before = bytes(&db);
    let out = sandbox
        .xtask()
        .args(["database", "sql", "--env", "prod", "--yes"])
        .arg(&file)
        .run()
        .code(3);
    assert!(
        out.stderr
            .contains("statement 2 (`PRAGMA ignore_check_constraints`, line 2) is not allowed"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&db), before);
    assert!(
        names_in(&sandbox.backup_dir()).is_empty(),
        "refused before the backup"
    );

    for sql in [
        "PRAGMA \"foreign_keys\" = OFF",
        "SELECT 1; /* ; */ pragma [main].'writable_schema'=1",
    ] {
        let out = sandbox
            .xtask()
            .args(["database", "exec", "--env", "prod", "--write", "--yes", sql])
            .run()
            .code(3);
        assert!(
            out.stderr.contains("is not allowed"),
            "{sql}: {}",
            out.stderr
        );
    }
    assert_eq!(bytes(&db), before);

    let value = "温泉 $HOME 'q'; COMMIT; -- \n\"x\"";
    let quoted = value.replace('\'', "''");
    sandbox
        .xtask()
        .args(["database", "exec", "--env", "prod", "--write", "--yes"])
        .arg(format!(
            "INSERT INTO onsens (ban_number, name) VALUES (901, '{quoted}')"
        ))
        .run()
        .ok();
    assert_eq!(
        sandbox.sqlite(&db, "SELECT name FROM onsens WHERE ban_number = 901"),
        value.trim()
    );
}
