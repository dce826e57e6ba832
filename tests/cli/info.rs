//! `database path` and `database env`: resolution shown to people and scripts.

use crate::support::Sandbox;

#[test]
fn path_follows_the_resolution_order() {
    let sandbox = Sandbox::new();
    let path = |run: crate::support::Run| {
        run.args(["database", "path"])
            .run()
            .ok()
            .stdout
            .trim()
            .to_string()
    };
    let shown = |env: &str| sandbox.db(env).display().to_string();
    assert_eq!(
        path(sandbox.xtask().env_remove("ONSENDO_ENV")),
        shown("dev")
    );
    assert_eq!(path(sandbox.xtask().env("ONSENDO_ENV", "")), shown("dev"));
    assert_eq!(path(sandbox.xtask()), shown("test"));
    assert_eq!(
        path(sandbox.xtask().env("ONSENDO_ENV", " Dev ")),
        shown("dev")
    );
    assert_eq!(path(sandbox.xtask().args(["--env", "prod"])), shown("prod"));
    assert_eq!(
        path(
            sandbox
                .xtask()
                .args(["--env", "prod", "--database", "x.db"])
        ),
        sandbox.root().join("x.db").display().to_string(),
        "a relative --database is shown absolute"
    );
    let other = sandbox.root().join("elsewhere");
    std::fs::create_dir(&other).unwrap();
    let out = sandbox
        .xtask()
        .args(["database", "path", "--root"])
        .arg(&other)
        .run()
        .ok();
    assert_eq!(
        out.stdout.trim(),
        other.join("data/db/onsen.test.db").display().to_string()
    );
}

#[test]
fn env_names_the_rule_that_decided() {
    let sandbox = Sandbox::new();
    let out = sandbox.xtask().args(["database", "env"]).run().ok();
    assert!(
        out.stdout.contains("environment: test (from ONSENDO_ENV)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("file:        missing"),
        "{}",
        out.stdout
    );
    let out = sandbox
        .xtask()
        .args(["database", "env", "--env", "dev"])
        .run()
        .ok();
    assert!(
        out.stdout.contains("environment: dev (from --env)"),
        "{}",
        out.stdout
    );
    let out = sandbox
        .xtask()
        .args(["database", "env"])
        .env_remove("ONSENDO_ENV")
        .run()
        .ok();
    assert!(
        out.stdout.contains("environment: dev (from default)"),
        "{}",
        out.stdout
    );
    sandbox.init("test");
    let json = sandbox
        .xtask()
        .args(["database", "env", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(json["environment"], "test");
    assert_eq!(json["decided_by"], "ONSENDO_ENV");
    assert_eq!(json["stamp"], "test");
    assert_eq!(json["version"], json["head"]);
    assert_eq!(json["exists"], true);
    let json = sandbox
        .xtask()
        .args([
            "database",
            "env",
            "--json",
            "--database",
            "data/db/onsen.test.db",
        ])
        .run()
        .ok()
        .json();
    assert_eq!(
        (json["environment"].as_str(), json["decided_by"].as_str()),
        (Some("test"), Some("--database"))
    );
}

#[test]
fn a_custom_database_gets_dev_care_and_its_path_shown() {
    let sandbox = Sandbox::new();
    let custom = sandbox.root().join("scratch área.db");
    sandbox
        .xtask()
        .args(["database", "init", "--database"])
        .arg(&custom)
        .run()
        .ok();
    let json = sandbox
        .xtask()
        .args(["database", "env", "--json", "--database"])
        .arg(&custom)
        .run()
        .ok()
        .json();
    assert_eq!(
        (json["environment"].as_str(), json["custom"].as_bool()),
        (Some("dev"), Some(true))
    );
    let out = sandbox
        .onsendo()
        .args([
            "visit",
            "add",
            "--onsen",
            "1",
            "--date",
            "2026-11-22",
            "--rating",
            "9",
            "--database",
        ])
        .arg(&custom)
        .run()
        .ok();
    assert!(out.stderr.contains("custom database"), "{}", out.stderr);
    assert!(out.stderr.contains("scratch área.db"), "{}", out.stderr);
}

#[test]
fn output_cut_short_by_a_closed_pipe_ends_quietly() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    sandbox.sqlite(
        &sandbox.db("test"),
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000)
         INSERT INTO visits (onsen_id, visited_at, personal_rating, notes)
         SELECT 1, '2026-11-22', 5, 'a note long enough to fill the pipe quickly' FROM c",
    );
    let out = sandbox
        .command("sh")
        .arg("-c")
        .arg(r#""$1" visit list --json | head -c 1"#)
        .arg("sh")
        .arg(sandbox.onsendo_path())
        .run()
        .ok();
    assert_eq!(out.stdout, "[");
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(!out.stderr.contains("Broken pipe"), "{}", out.stderr);
}
