//! `cargo xtask database shell`: the real `sqlite3` shell after the guards; prod read-only unless
//! `--write`, which asks and backs up first; a missing `sqlite3` says how to install it.

use crate::support::{bytes, names_in, Sandbox};

fn shell(sandbox: &Sandbox, args: &[&str], input: &str) -> crate::support::Output {
    sandbox
        .xtask()
        .args(["database", "shell"])
        .args(args)
        .stdin(input)
        .run()
}

#[test]
fn the_shell_reads_and_writes_a_dev_database() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let out = shell(
        &sandbox,
        &[],
        "DELETE FROM onsens WHERE id = 1;\nSELECT count(*) FROM onsens WHERE id = 1;\n",
    )
    .ok();
    assert_eq!(out.stdout.trim(), "0");
    assert_eq!(
        sandbox.sqlite(
            &sandbox.db("test"),
            "SELECT count(*) FROM onsens WHERE id = 1"
        ),
        "0"
    );
}

#[test]
fn no_shell_reaches_prod_around_the_guards() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    sandbox.init("dev");
    let prod = sandbox.db("prod");
    let before = bytes(&prod);
    let escapes = [
        (
            vec!["--env", "prod"],
            format!(".open '{}'\nDELETE FROM onsens;\n", prod.display()),
        ),
        (
            vec!["--env", "dev"],
            format!("ATTACH '{}' AS p;\nDELETE FROM p.onsens;\n", prod.display()),
        ),
        (
            vec!["--env", "dev"],
            format!(".shell sqlite3 '{}' 'DELETE FROM onsens'\n", prod.display()),
        ),
    ];
    for (args, input) in escapes {
        let out = shell(&sandbox, &args, &input).code(3);
        let said = if input.starts_with("ATTACH") {
            "(`ATTACH`, line 1) is not allowed".to_string()
        } else {
            let name = input.split_whitespace().next().unwrap();
            format!("`{name}` is not allowed: it reaches another file or program")
        };
        assert!(out.stderr.contains(&said), "{input}: {}", out.stderr);
        assert_eq!(bytes(&prod), before, "{input}");
    }
}

#[test]
fn the_shell_input_passes_the_statement_gate_and_the_session_goes_on() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let db = sandbox.db("test");
    let input = "INSERT INTO onsens (ban_number, name) VALUES (900, '温泉 $x; COMMIT');\n\
        -- a note\n\
        .dbc writable_schema on\n\
        BEGIN;\n\
        PRAGMA \"foreign_keys\"\n\
        = OFF;\n\
        SELECT name\n\
        FROM onsens WHERE ban_number = 900\n\
        go\n\
        # a comment sqlite3 skips\n\
        PRAGMA foreign_keys;\n\
        VACUUM\n";
    let out = shell(&sandbox, &[], input).code(3);
    assert_eq!(out.stdout, "温泉 $x; COMMIT\n1\n", "{}", out.stderr);
    for said in [
        "`.dbc` is not allowed",
        "statement 1 (`BEGIN`, line 1) is not allowed",
        "statement 1 (`PRAGMA foreign_keys`, line 1) is not allowed",
        "statement 1 (`VACUUM`, line 1) is not allowed",
        "4 statement(s) of the input did not run",
    ] {
        assert!(out.stderr.contains(said), "{said}: {}", out.stderr);
    }
    assert_eq!(
        sandbox.sqlite(&db, "SELECT count(*) FROM onsens WHERE ban_number = 900"),
        "1"
    );
}

#[test]
fn prod_opens_read_only_without_write() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let db = sandbox.db("prod");
    let before = bytes(&db);
    let out = shell(
        &sandbox,
        &["--env", "prod"],
        "SELECT count(*) FROM onsens;\nDELETE FROM onsens;\n",
    );
    assert_eq!(out.code, 1);
    let count = sandbox.sqlite(&db, "SELECT count(*) FROM onsens");
    assert_eq!(out.stdout.trim(), count, "reads work");
    assert!(out.stderr.contains("readonly"), "{}", out.stderr);
    assert!(out.stderr.contains("--write"), "{}", out.stderr);
    assert_eq!(bytes(&db), before);
    assert!(names_in(&sandbox.backup_dir()).is_empty());
}

#[test]
fn prod_write_asks_then_backs_up_first_and_is_audited() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let db = sandbox.db("prod");
    let before = bytes(&db);
    let refused = shell(
        &sandbox,
        &["--env", "prod", "--write"],
        "DELETE FROM onsens;\n",
    );
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    assert_eq!(bytes(&db), before);
    assert_eq!(sandbox.last_audit()["confirmation"], "refused");

    shell(
        &sandbox,
        &["--env", "prod", "--write", "--yes"],
        "DELETE FROM onsens WHERE id = 1;\n",
    )
    .ok();
    assert_eq!(
        sandbox.sqlite(&db, "SELECT count(*) FROM onsens WHERE id = 1"),
        "0"
    );
    let record = sandbox.last_audit();
    assert_eq!(record["outcome"], "ok");
    let backup = std::path::PathBuf::from(record["backup"].as_str().expect("a backup is recorded"));
    assert_eq!(
        bytes(&backup),
        before,
        "the backup was taken before the shell wrote"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&bytes(&backup.with_extension("json"))).unwrap();
    assert_eq!(manifest["reason"], "pre-shell");
}

#[test]
fn a_missing_sqlite3_says_how_to_install_it_and_touches_nothing() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let db = sandbox.db("test");
    let before = bytes(&db);
    let empty = sandbox.root().join("empty bin");
    std::fs::create_dir(&empty).unwrap();
    let out = sandbox
        .xtask()
        .args(["database", "shell"])
        .env("PATH", &empty)
        .run();
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("apt-get install sqlite3"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&db), before);
}

#[test]
fn at_a_terminal_a_refused_command_is_said_and_the_session_goes_on_to_a_clean_quit() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let command = format!(
        "'{}' database shell --env test",
        crate::support::bin_dir().join("xtask").display()
    );
    let input = ".shell ls\n.o /tmp/elsewhere\n.c /tmp/clone.db\n.sha3sum\nSELECT 40 + 2;\n.quit\n";
    let out = sandbox.on_a_terminal(&command).stdin(input).run().ok();
    for said in [
        "`.shell` is not allowed",
        "`.o` is not allowed",
        "`.c` is not allowed",
        "the session goes on",
        "42",
    ] {
        assert!(out.stdout.contains(said), "{said}: {}", out.stdout);
    }
    assert!(!out.stdout.contains("safe mode"), "{}", out.stdout);
    assert!(!std::path::Path::new("/tmp/elsewhere").exists());
}
