//! The `onsendo` app: its commands with good and bad input, and the global flags' placement.

use crate::support::{bytes, Sandbox};

fn ready() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    sandbox
}

#[test]
fn onsens_are_listed_and_shown() {
    let sandbox = ready();
    let out = sandbox.onsendo().args(["onsen", "list"]).run().ok();
    assert!(out.stdout.starts_with("id  ban  name"), "{}", out.stdout);
    assert!(out.stdout.contains("Takegawara Onsen"), "{}", out.stdout);
    let list = sandbox
        .onsendo()
        .args(["onsen", "list", "--json"])
        .run()
        .ok()
        .json();
    let count = sandbox.sqlite(&sandbox.db("test"), "SELECT count(*) FROM onsens");
    assert_eq!(list.as_array().unwrap().len().to_string(), count);
    let out = sandbox.onsendo().args(["onsen", "show", "1"]).run().ok();
    assert!(
        out.stdout.contains("Takegawara Onsen (ban 1)"),
        "{}",
        out.stdout
    );
    let out = sandbox
        .onsendo()
        .args(["onsen", "show", "999"])
        .run()
        .code(2);
    assert!(
        out.stderr.contains("no onsen with id 999"),
        "{}",
        out.stderr
    );
}

#[test]
fn visits_are_added_listed_filtered_and_deleted() {
    let sandbox = ready();
    let add = |onsen: &str, date: &str| {
        sandbox
            .onsendo()
            .args([
                "visit",
                "add",
                "--onsen",
                onsen,
                "--date",
                date,
                "--rating",
                "8",
                "--fee",
                "300",
                "--minutes",
                "45",
                "--notes",
                "milky water",
            ])
            .run()
            .ok()
    };
    assert!(add("1", "2026-01-05").stdout.contains("recorded visit 1"));
    add("2", "2026-03-10");
    add("1", "2026-11-22");
    let all = sandbox
        .onsendo()
        .args(["visit", "list", "--json"])
        .run()
        .ok()
        .json();
    let dates: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["visited_at"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-11-22", "2026-03-10", "2026-01-05"]);
    assert_eq!(all[0]["onsen_name"], "Takegawara Onsen");
    assert_eq!(all[0]["notes"], "milky water");
    let filtered = sandbox
        .onsendo()
        .args([
            "visit",
            "list",
            "--onsen",
            "1",
            "--since",
            "2026-02-01",
            "--json",
        ])
        .run()
        .ok()
        .json();
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    let text = sandbox.onsendo().args(["visit", "list"]).run().ok().stdout;
    assert!(
        text.lines().next().unwrap().starts_with("id  date"),
        "{text}"
    );
    let out = sandbox.onsendo().args(["visit", "delete", "2"]).run().ok();
    assert!(
        out.stdout
            .contains("deleted visit 2 (2026-03-10 at Ekimae Koutou Onsen)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("test: visit delete 2 on"),
        "the one-line notice names the database: {}",
        out.stderr
    );
    assert_eq!(
        sandbox.sqlite(&sandbox.db("test"), "SELECT group_concat(id) FROM visits"),
        "1,3"
    );
    sandbox
        .onsendo()
        .args(["visit", "delete", "2"])
        .run()
        .code(2);
}

#[test]
fn invalid_visits_are_usage_errors_and_write_nothing() {
    let sandbox = ready();
    let before = bytes(&sandbox.db("test"));
    let cases: [(&[&str], &str); 6] = [
        (
            &["--onsen", "99", "--date", "2026-11-22", "--rating", "5"],
            "no onsen with id 99",
        ),
        (
            &["--onsen", "1", "--date", "2026-11-22", "--rating", "11"],
            "rating 11 is out of range",
        ),
        (
            &["--onsen", "1", "--date", "2026-11-22", "--rating", "-1"],
            "rating -1 is out of range",
        ),
        (
            &["--onsen", "1", "--date", "22/11/2026", "--rating", "5"],
            "invalid date `22/11/2026`",
        ),
        (
            &["--onsen", "1", "--date", "2026-02-29", "--rating", "5"],
            "invalid date `2026-02-29`",
        ),
        (
            &[
                "--onsen",
                "1",
                "--date",
                "2026-11-22",
                "--rating",
                "5",
                "--fee",
                "-300",
            ],
            "--fee cannot be negative",
        ),
    ];
    for (args, message) in cases {
        let out = sandbox
            .onsendo()
            .args(["visit", "add"])
            .args(args)
            .run()
            .code(2);
        assert!(out.stderr.contains(message), "{args:?}: {}", out.stderr);
        let errors: Vec<&str> = out
            .stderr
            .lines()
            .filter(|line| line.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "one clear line: {}", out.stderr);
        assert_eq!(
            out.stderr.lines().last(),
            errors.first().copied(),
            "{}",
            out.stderr
        );
    }
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
            "ten",
        ])
        .run()
        .code(2);
    assert!(out.stderr.contains("invalid value 'ten'"), "{}", out.stderr);
    sandbox
        .onsendo()
        .args(["visit", "list", "--since", "yesterday"])
        .run()
        .code(2);
    assert_eq!(bytes(&sandbox.db("test")), before, "nothing was written");
}

#[test]
fn locations_are_added_and_listed() {
    let sandbox = ready();
    let out = sandbox
        .onsendo()
        .args([
            "location",
            "add",
            "--name",
            "Beppu station",
            "--lat",
            "33.2796",
            "--lon",
            "131.5006",
        ])
        .run()
        .ok();
    assert!(
        out.stdout.contains("added location 1: Beppu station"),
        "{}",
        out.stdout
    );
    let list = sandbox
        .onsendo()
        .args(["location", "list", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(list[0]["name"], "Beppu station");
    assert_eq!(list[0]["latitude"], 33.2796);
    let out = sandbox
        .onsendo()
        .args(["location", "add", "--name", "Beppu station"])
        .run()
        .code(2);
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    let out = sandbox
        .onsendo()
        .args([
            "location", "add", "--name", "Nowhere", "--lat", "123", "--lon", "0",
        ])
        .run()
        .code(2);
    assert!(
        out.stderr.contains("--lat must be between -90 and 90"),
        "{}",
        out.stderr
    );
    let out = sandbox
        .onsendo()
        .args(["location", "add", "--name", "Half", "--lat", "33"])
        .run()
        .code(2);
    assert!(
        out.stderr.contains("both --lat and --lon"),
        "{}",
        out.stderr
    );
    let out = sandbox
        .onsendo()
        .args(["location", "add", "--name", "Dry", "--dry-run"])
        .run()
        .ok();
    assert!(out.stdout.contains("would add"), "{}", out.stdout);
    assert_eq!(
        sandbox.sqlite(&sandbox.db("test"), "SELECT count(*) FROM locations"),
        "1"
    );
}

#[test]
fn global_flags_work_before_and_after_the_subcommand() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let env = sandbox.db("dev");
    for args in [
        vec!["--env", "dev", "--json", "onsen", "list"],
        vec!["onsen", "--env", "dev", "list", "--json"],
        vec!["onsen", "list", "--json", "--env", "DEV"],
    ] {
        let out = sandbox.onsendo().args(&args).run().ok();
        assert!(out.json().as_array().is_some(), "{args:?}");
    }
    let out = sandbox
        .onsendo()
        .args(["onsen", "list", "--database"])
        .arg(&env)
        .run()
        .ok();
    assert!(out.stdout.contains("Takegawara"), "{}", out.stdout);
    let out = sandbox
        .onsendo()
        .args(["onsen", "list", "--env", "staging"])
        .run()
        .code(2);
    assert!(
        out.stderr
            .contains("unknown environment `staging` from --env; valid names: dev, prod, test"),
        "{}",
        out.stderr
    );
    let out = sandbox
        .onsendo()
        .args(["onsen", "list"])
        .env("ONSENDO_ENV", "qa")
        .run()
        .code(2);
    assert!(out.stderr.contains("from ONSENDO_ENV"), "{}", out.stderr);
}

#[test]
fn a_value_that_is_not_a_number_or_not_a_day_is_named_plainly() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    for (args, said) in [
        (
            &[
                "visit",
                "add",
                "--onsen",
                "Hyotan",
                "--date",
                "2026-11-22",
                "--rating",
                "5",
            ][..],
            "`Hyotan` is not a whole number",
        ),
        (
            &[
                "visit",
                "add",
                "--onsen",
                "1",
                "--date",
                "2026-11-31",
                "--rating",
                "5",
            ],
            "invalid date `2026-11-31`: November 2026 has 30 days",
        ),
        (
            &["onsen", "show", ""],
            "the value is empty; give a whole number, such as 3",
        ),
        (
            &["visit", "show", "99999999999999999999"],
            "is too large a number",
        ),
    ] {
        let out = sandbox.onsendo().args(args).run().code(2);
        assert!(out.stderr.contains(said), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("invalid digit"), "{}", out.stderr);
    }
    assert_eq!(
        sandbox.sqlite(&sandbox.db("test"), "SELECT count(*) FROM visits"),
        "0"
    );
}

#[test]
fn a_global_flag_a_command_does_nothing_with_is_a_usage_error() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let before = bytes(&sandbox.db("test"));
    for (xtask, args, said) in [
        (
            false,
            &["stats", "--yes"][..],
            "`stats` does nothing with --yes: it never asks for a confirmation",
        ),
        (
            false,
            &["visit", "list", "--dry-run"],
            "`visit list` does nothing with --dry-run: it changes nothing",
        ),
        (
            false,
            &[
                "visit",
                "add",
                "--onsen",
                "1",
                "--date",
                "2026-11-22",
                "--rating",
                "5",
                "--yes",
            ],
            "`visit add` does nothing with --yes",
        ),
        (
            false,
            &["completions", "bash", "--dry-run"],
            "`completions` does nothing with --dry-run",
        ),
        (
            true,
            &["ci", "--database", "x.db"],
            "`ci` does nothing with --database: it works on no database",
        ),
        (
            true,
            &["database", "status", "--yes"],
            "`database status` does nothing with --yes",
        ),
        (
            true,
            &["database", "shell", "--json"],
            "`database shell` does nothing with --json: it has no JSON output",
        ),
    ] {
        let run = if xtask {
            sandbox.xtask()
        } else {
            sandbox.onsendo()
        };
        let out = run.args(args).run().code(2);
        assert!(out.stderr.contains(said), "{args:?}: {}", out.stderr);
    }
    assert_eq!(bytes(&sandbox.db("test")), before, "nothing ran");
    sandbox
        .onsendo()
        .args([
            "visit",
            "add",
            "--onsen",
            "1",
            "--date",
            "2026-11-22",
            "--rating",
            "5",
            "--dry-run",
        ])
        .run()
        .ok();
}
