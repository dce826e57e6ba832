//! The app's onsen and location commands: add, modify and delete, with good and bad input, on test
//! and on prod (banner, confirmation, dry run, audit, with `visit modify` among them), checked with
//! the `sqlite3` CLI (`.dump`).

use crate::support::{assert_one_row_changed, bytes, Output, Sandbox};

fn ready(env: &str) -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.init(env);
    sandbox
}

/// `onsendo ARGS`, expecting a usage error whose one `error:` line contains `message`.
fn usage_error(sandbox: &Sandbox, args: &[&str], message: &str) -> Output {
    let out = sandbox.onsendo().args(args).run().code(2);
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|line| line.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{args:?}: one clear line: {}", out.stderr);
    assert!(errors[0].contains(message), "{args:?}: {}", out.stderr);
    out
}

/// A copy of `db` beside it, to compare by `.dump` later.
fn snapshot(sandbox: &Sandbox, db: &std::path::Path) -> std::path::PathBuf {
    let copy = sandbox.root().join("before.db");
    std::fs::copy(db, &copy).unwrap();
    copy
}

#[test]
fn onsens_are_added_and_seen_by_sqlite3() {
    let sandbox = ready("test");
    let db = sandbox.db("test");
    let out = sandbox
        .onsendo()
        .args([
            "onsen",
            "add",
            "--ban",
            "9",
            "--name",
            " Tsurumi Onsen ",
            "--region",
            "Tsurumi",
            "--address",
            "Tsurumi, Beppu, Oita",
            "--lat",
            "33.2968",
            "--lon",
            "131.4875",
            "--spring-quality",
            "simple spring",
            "--description",
            "Neighbourhood bath",
        ])
        .run()
        .ok();
    assert!(
        out.stdout.contains("added onsen 9 (ban 9): Tsurumi Onsen"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("test: onsen add --ban 9 on"),
        "{}",
        out.stderr
    );
    assert_eq!(
        sandbox.sqlite(
            &db,
            "SELECT ban_number, name, region, address, latitude, longitude, spring_quality, description
             FROM onsens WHERE id = 9"
        ),
        "9|Tsurumi Onsen|Tsurumi|Tsurumi, Beppu, Oita|33.2968|131.4875|simple spring|Neighbourhood bath"
    );
    let added = sandbox
        .onsendo()
        .args([
            "onsen",
            "add",
            "--ban",
            "10",
            "--name",
            "Shibaseki",
            "--json",
        ])
        .run()
        .ok()
        .json();
    assert_eq!(
        (added["id"].as_i64(), added["dry_run"].as_bool()),
        (Some(10), Some(false))
    );
    assert_eq!(
        sandbox.sqlite(
            &db,
            "SELECT ifnull(region, 'NULL') FROM onsens WHERE ban_number = 10"
        ),
        "NULL",
        "fields not given stay empty"
    );
    let before = bytes(&db);
    let out = sandbox
        .onsendo()
        .args(["onsen", "add", "--ban", "11", "--name", "Dry", "--dry-run"])
        .run()
        .ok();
    assert!(out.stdout.contains("would add onsen 11"), "{}", out.stdout);
    assert_eq!(bytes(&db), before, "a dry run writes nothing");
}

#[test]
fn invalid_onsens_are_usage_errors_and_write_nothing() {
    let sandbox = ready("test");
    let db = sandbox.db("test");
    let before = bytes(&db);
    let cases: [(&[&str], &str); 7] = [
        (&["--ban", "0", "--name", "X"], "ban number 0 is not valid"),
        (
            &["--ban", "-4", "--name", "X"],
            "ban number -4 is not valid",
        ),
        (&["--ban", "9", "--name", "  "], "an onsen needs a name"),
        (
            &["--ban", "9", "--name", "X", "--lat", "91", "--lon", "131"],
            "--lat must be between -90 and 90",
        ),
        (
            &["--ban", "9", "--name", "X", "--lat", "33", "--lon", "-181"],
            "--lon must be between -180 and 180",
        ),
        (
            &["--ban", "9", "--name", "X", "--lat", "33"],
            "give both --lat and --lon",
        ),
        (
            &["--ban", "1", "--name", "Another"],
            "ban number 1 is already onsen 1 (Takegawara Onsen)",
        ),
    ];
    for (args, message) in cases {
        let mut full = vec!["onsen", "add"];
        full.extend_from_slice(args);
        usage_error(&sandbox, &full, message);
    }
    let out = sandbox
        .onsendo()
        .args(["onsen", "add", "--ban", "nine", "--name", "X"])
        .run()
        .code(2);
    assert!(
        out.stderr.contains("invalid value 'nine'"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&db), before, "nothing was written");
    assert_eq!(sandbox.sqlite(&db, "SELECT count(*) FROM onsens"), "8");
}

#[test]
fn onsen_modify_changes_only_the_given_fields() {
    let sandbox = ready("test");
    let db = sandbox.db("test");
    let copy = snapshot(&sandbox, &db);
    let out = sandbox
        .onsendo()
        .args([
            "onsen",
            "modify",
            "4",
            "--region",
            "Kannawa district",
            "--spring-quality",
            "sodium chloride, iron",
        ])
        .run()
        .ok();
    assert_eq!(
        out.stdout.trim(),
        "changed onsen 4:\n  region: Kannawa → Kannawa district\n  spring_quality: sodium chloride → sodium chloride, iron"
    );
    assert!(
        out.stderr.contains("test: onsen modify 4 on"),
        "{}",
        out.stderr
    );
    assert_eq!(
        sandbox.differences(&copy, &db, None),
        "-INSERT INTO onsens VALUES(4,4,'Hyotan Onsen','Kannawa','159-2 Kannawa, Beppu, Oita',33.315800000000002968,131.47870000000000345,'sodium chloride','Gourd-shaped baths, steam and sand baths in the Kannawa district.');\n\
         +INSERT INTO onsens VALUES(4,4,'Hyotan Onsen','Kannawa district','159-2 Kannawa, Beppu, Oita',33.315800000000002968,131.47870000000000345,'sodium chloride, iron','Gourd-shaped baths, steam and sand baths in the Kannawa district.');",
        "one row, the two given columns"
    );
    let json = sandbox
        .onsendo()
        .args([
            "onsen", "modify", "4", "--ban", "40", "--lat", "33.3", "--json",
        ])
        .run()
        .ok()
        .json();
    assert_eq!(
        json["changed"],
        serde_json::json!(["ban_number", "latitude"])
    );
    assert_eq!(json["before"]["ban_number"], 4);
    assert_eq!(json["after"]["ban_number"], 40);
    assert_eq!(json["after"]["longitude"], 131.4787, "untouched");
    assert_eq!(json["dry_run"], false);
    assert_eq!(
        sandbox.sqlite(
            &db,
            "SELECT ban_number, name, latitude, longitude FROM onsens WHERE id = 4"
        ),
        "40|Hyotan Onsen|33.3|131.4787"
    );
    let out = sandbox
        .onsendo()
        .args(["onsen", "modify", "4", "--ban", "40"])
        .run()
        .ok();
    assert!(out.stdout.contains("nothing changed"), "{}", out.stdout);
}

#[test]
fn onsen_modify_needs_fields_a_known_id_and_valid_values() {
    let sandbox = ready("test");
    let db = sandbox.db("test");
    sandbox
        .onsendo()
        .args(["onsen", "add", "--ban", "9", "--name", "No coordinates"])
        .run()
        .ok();
    let before = bytes(&db);
    usage_error(
        &sandbox,
        &["onsen", "modify", "4"],
        "nothing to change; give at least one of --ban, --name",
    );
    usage_error(
        &sandbox,
        &["onsen", "modify", "99", "--name", "X"],
        "no onsen with id 99; list them with `onsendo onsen list --env test --root ",
    );
    usage_error(
        &sandbox,
        &["onsen", "modify", "4", "--ban", "2"],
        "ban number 2 is already onsen 2 (Ekimae Koutou Onsen)",
    );
    usage_error(
        &sandbox,
        &["onsen", "modify", "4", "--ban", "0"],
        "ban number 0 is not valid",
    );
    usage_error(
        &sandbox,
        &["onsen", "modify", "4", "--name", ""],
        "an onsen needs a name",
    );
    usage_error(
        &sandbox,
        &["onsen", "modify", "4", "--lon", "-200"],
        "--lon must be between -180 and 180",
    );
    usage_error(
        &sandbox,
        &["onsen", "modify", "9", "--lat", "33.3"],
        "give both --lat and --lon",
    );
    assert_eq!(bytes(&db), before, "nothing was written");
    let out = sandbox
        .onsendo()
        .args(["onsen", "modify", "4", "--lat", "33.32", "--dry-run"])
        .run()
        .ok();
    assert!(
        out.stdout
            .contains("would change onsen 4:\n  latitude: 33.3158 → 33.32"),
        "{}",
        out.stdout
    );
    assert_eq!(bytes(&db), before, "a dry run writes nothing");
}

#[test]
fn locations_are_modified_and_deleted() {
    let sandbox = ready("test");
    let db = sandbox.db("test");
    for name in ["home", "Beppu station"] {
        sandbox
            .onsendo()
            .args(["location", "add", "--name", name])
            .run()
            .ok();
    }
    let copy = snapshot(&sandbox, &db);
    let out = sandbox
        .onsendo()
        .args([
            "location",
            "modify",
            "1",
            "--lat",
            "33.28",
            "--lon",
            "131.50",
            "--description",
            "the flat",
        ])
        .run()
        .ok();
    assert!(
        out.stdout.starts_with("changed location 1:"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("  latitude: - → 33.28"),
        "{}",
        out.stdout
    );
    assert_one_row_changed(
        &sandbox.differences(&copy, &db, None),
        "INSERT INTO locations VALUES(1,'home',NULL,NULL,NULL,",
        "INSERT INTO locations VALUES(1,'home',33.280000000000001137,131.5,'the flat',",
    );
    let before = bytes(&db);
    usage_error(
        &sandbox,
        &["location", "modify", "1"],
        "nothing to change; give at least one of --name, --lat, --lon, --description",
    );
    usage_error(
        &sandbox,
        &["location", "modify", "7", "--name", "X"],
        "no location with id 7; list them with `onsendo location list --env test --root ",
    );
    usage_error(
        &sandbox,
        &["location", "modify", "1", "--name", "Beppu station"],
        "a location named `Beppu station` already exists (location 2)",
    );
    usage_error(
        &sandbox,
        &["location", "modify", "1", "--lat", "-95"],
        "--lat must be between -90 and 90",
    );
    usage_error(
        &sandbox,
        &["location", "modify", "2", "--lon", "131"],
        "give both --lat and --lon",
    );
    usage_error(
        &sandbox,
        &["location", "delete", "7"],
        "no location with id 7",
    );
    assert_eq!(bytes(&db), before, "nothing was written");
    let out = sandbox
        .onsendo()
        .args(["location", "delete", "2", "--dry-run"])
        .run()
        .ok();
    assert!(
        out.stdout
            .contains("would delete location 2: Beppu station"),
        "{}",
        out.stdout
    );
    assert_eq!(bytes(&db), before, "a dry run writes nothing");
    let out = sandbox
        .onsendo()
        .args(["location", "delete", "2", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(out["deleted"]["name"], "Beppu station");
    assert_eq!(
        sandbox.sqlite(&db, "SELECT group_concat(name) FROM locations"),
        "home"
    );
}

#[test]
fn prod_adds_with_a_banner_and_no_question() {
    let sandbox = ready("prod");
    let db = sandbox.db("prod");
    let out = sandbox
        .onsendo()
        .args([
            "--env",
            "prod",
            "onsen",
            "add",
            "--ban",
            "9",
            "--name",
            "Tsurumi Onsen",
        ])
        .run()
        .ok();
    assert!(out.stderr.contains("PROD DATABASE"), "{}", out.stderr);
    assert_eq!(
        sandbox.sqlite(&db, "SELECT name FROM onsens WHERE ban_number = 9"),
        "Tsurumi Onsen"
    );
    let record = sandbox.last_audit();
    assert_eq!(record["outcome"], "ok");
    assert_eq!(record["confirmation"], "not needed");
    let before = bytes(&db);
    let out = usage_error(
        &sandbox,
        &[
            "--env", "prod", "onsen", "add", "--ban", "10", "--name", "X", "--lat", "90.1",
            "--lon", "0",
        ],
        "--lat must be between -90 and 90",
    );
    assert!(
        !out.stderr.contains("PROD DATABASE"),
        "bad input is refused before the banner: {}",
        out.stderr
    );
    usage_error(
        &sandbox,
        &[
            "--env", "prod", "onsen", "add", "--ban", "9", "--name", "Again",
        ],
        "ban number 9 is already onsen 9 (Tsurumi Onsen)",
    );
    assert_eq!(bytes(&db), before, "nothing was written");
}

#[test]
fn prod_modify_and_delete_need_a_confirmation() {
    let sandbox = ready("prod");
    let db = sandbox.db("prod");
    sandbox
        .onsendo()
        .args(["--env", "prod", "location", "add", "--name", "home"])
        .run()
        .ok();
    sandbox
        .onsendo()
        .args(["--env", "prod", "visit", "add", "--onsen", "1"])
        .args(["--date", "2026-11-22", "--rating", "6"])
        .run()
        .ok();
    let commands: [&[&str]; 4] = [
        &["onsen", "modify", "1", "--description", "Renovated"],
        &["visit", "modify", "1", "--rating", "9"],
        &["location", "modify", "1", "--name", "base"],
        &["location", "delete", "1"],
    ];
    for command in commands {
        let before = bytes(&db);
        let out = sandbox
            .onsendo()
            .args(["--env", "prod"])
            .args(command)
            .run()
            .code(3);
        assert!(
            out.stderr.contains("PROD DATABASE"),
            "{command:?}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("--yes"), "{command:?}: {}", out.stderr);
        assert_eq!(bytes(&db), before, "{command:?}: refused, unchanged");
        let record = sandbox.last_audit();
        assert_eq!(record["confirmation"], "refused", "{command:?}");
        assert!(
            record["outcome"].as_str().unwrap().starts_with("refused"),
            "{command:?}: {record}"
        );
        let out = sandbox
            .onsendo()
            .args(["--env", "prod", "--dry-run"])
            .args(command)
            .run()
            .ok();
        assert!(
            out.stdout.starts_with("would "),
            "{command:?}: {}",
            out.stdout
        );
        assert_eq!(bytes(&db), before, "{command:?}: a dry run writes nothing");
        let out = sandbox
            .onsendo()
            .args(["--env", "prod"])
            .args(command)
            .arg("--yes")
            .run()
            .ok();
        assert!(
            out.stdout.starts_with("changed ") || out.stdout.starts_with("deleted "),
            "{command:?}: {}",
            out.stdout
        );
        assert_ne!(bytes(&db), before, "{command:?}: confirmed, changed");
        let record = sandbox.last_audit();
        assert_eq!(
            (record["confirmation"].as_str(), record["outcome"].as_str()),
            (Some("--yes"), Some("ok")),
            "{command:?}"
        );
    }
    assert_eq!(
        sandbox.sqlite(&db, "SELECT description FROM onsens WHERE id = 1"),
        "Renovated"
    );
    assert_eq!(sandbox.sqlite(&db, "SELECT count(*) FROM locations"), "0");
    assert_eq!(
        sandbox.sqlite(&db, "SELECT personal_rating FROM visits WHERE id = 1"),
        "9"
    );
}

#[test]
fn prod_modify_with_bad_input_changes_nothing_even_with_yes() {
    let sandbox = ready("prod");
    let db = sandbox.db("prod");
    let before = bytes(&db);
    let out = usage_error(
        &sandbox,
        &[
            "--env", "prod", "onsen", "modify", "1", "--lat", "-91", "--yes",
        ],
        "--lat must be between -90 and 90",
    );
    assert!(!out.stderr.contains("PROD DATABASE"), "{}", out.stderr);
    usage_error(
        &sandbox,
        &["--env", "prod", "onsen", "modify", "1", "--yes"],
        "nothing to change",
    );
    usage_error(
        &sandbox,
        &[
            "--env", "prod", "onsen", "modify", "1", "--ban", "3", "--yes",
        ],
        "ban number 3 is already onsen 3 (Kamegawa Hamada Onsen)",
    );
    assert!(
        sandbox.last_audit()["outcome"]
            .as_str()
            .unwrap()
            .starts_with("failed: ban number 3"),
        "the failed attempt is audited"
    );
    usage_error(
        &sandbox,
        &["--env", "prod", "location", "delete", "5", "--yes"],
        "no location with id 5",
    );
    assert_eq!(bytes(&db), before, "nothing was written");
}
