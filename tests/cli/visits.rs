//! The app's visit commands beyond add/list/delete (show, modify, import, export), and `stats`: real binaries on real files.

use crate::support::{assert_one_row_changed, bytes, Sandbox};

fn add(sandbox: &Sandbox, onsen: &str, date: &str, rating: &str, fee: &str) {
    sandbox
        .onsendo()
        .args([
            "visit", "add", "--onsen", onsen, "--date", date, "--rating", rating, "--fee", fee,
        ])
        .run()
        .ok();
}

#[test]
fn visit_show_prints_one_visit_and_an_unknown_id_is_a_usage_error() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    add(&sandbox, "4", "2026-11-22", "9", "1000");
    let out = sandbox.onsendo().args(["visit", "show", "1"]).run().ok();
    assert!(
        out.stdout.contains("visit 1 on 2026-11-22"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("rating:  9"), "{}", out.stdout);
    let json = sandbox
        .onsendo()
        .args(["visit", "show", "1", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(json["onsen_id"], 4);
    assert_eq!(json["entry_fee_yen"], 1000);
    let missing = sandbox.onsendo().args(["visit", "show", "7"]).run().code(2);
    assert!(
        missing.stderr.contains("no visit with id 7"),
        "{}",
        missing.stderr
    );
}

#[test]
fn stats_counts_months_favourites_and_ratings() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let empty = sandbox.onsendo().arg("stats").run().ok();
    assert!(empty.stdout.contains("no visits yet"), "{}", empty.stdout);
    add(&sandbox, "1", "2026-01-05", "8", "300");
    add(&sandbox, "1", "2026-01-20", "6", "300");
    add(&sandbox, "2", "2026-03-01", "10", "200");
    let json = sandbox
        .onsendo()
        .args(["stats", "--json", "--top", "1"])
        .run()
        .ok()
        .json();
    assert_eq!(json["visits"], 3);
    assert_eq!(json["onsens"], 2);
    assert_eq!(json["total_fees_yen"], 800);
    assert_eq!(json["average_rating"], 8.0);
    assert_eq!(
        json["per_month"][0],
        serde_json::json!({"month": "2026-01", "visits": 2, "average_rating": 7.0})
    );
    assert_eq!(json["per_month"][1]["month"], "2026-03");
    assert_eq!(json["favourites"].as_array().unwrap().len(), 1);
    assert_eq!(json["favourites"][0]["onsen_id"], 1);
    let since = sandbox
        .onsendo()
        .args(["stats", "--since", "2026-02-01", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(since["visits"], 1);
    let text = sandbox.onsendo().arg("stats").run().ok().stdout;
    assert!(
        text.starts_with("3 visits to 2 onsens, average rating 8.0, 800 yen in fees"),
        "{text}"
    );
    sandbox
        .onsendo()
        .args(["stats", "--since", "2026-02-30"])
        .run()
        .code(2);
}

const CSV: &str = "visited_at,onsen_ban,rating,fee_yen,notes\n2026-01-02,1,8,300,\"hot, steamy\"\n2026-02-30,1,8,,\n2026-01-05,4,9,1000,\n";

#[test]
fn an_import_with_one_bad_row_writes_nothing_and_names_the_line() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let db = sandbox.db("test");
    let file = sandbox.root().join("visits ✓.csv");
    std::fs::write(&file, CSV).unwrap();
    let before = bytes(&db);
    let out = sandbox
        .onsendo()
        .args(["visit", "import"])
        .arg(&file)
        .run()
        .code(2);
    assert!(
        out.stderr.contains("line 3: invalid date `2026-02-30`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("nothing was imported"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&db), before);

    let dry = sandbox
        .onsendo()
        .args(["visit", "import", "--skip-invalid", "--dry-run"])
        .arg(&file)
        .run()
        .ok();
    assert!(
        dry.stdout.contains("would import 2 visits"),
        "{}",
        dry.stdout
    );
    assert_eq!(bytes(&db), before);

    let json = sandbox
        .onsendo()
        .args(["visit", "import", "--skip-invalid", "--json"])
        .arg(&file)
        .run()
        .ok()
        .json();
    assert_eq!(json["imported"], 2);
    assert_eq!(json["skipped"][0]["line"], 3);
    assert_eq!(
        sandbox.sqlite(&db, "SELECT group_concat(visited_at || ' ' || onsen_id || ' ' || ifnull(notes, '-'), '|') FROM (SELECT * FROM visits ORDER BY id)"),
        "2026-01-02 1 hot, steamy|2026-01-05 4 -"
    );
}

#[test]
fn an_export_imports_into_another_database_as_the_same_visits() {
    let first = Sandbox::new();
    first.init("test");
    add(&first, "4", "2026-11-22", "9", "1000");
    add(&first, "2", "2026-11-20", "6", "0");
    first
        .onsendo()
        .args([
            "visit",
            "add",
            "--onsen",
            "1",
            "--date",
            "2026-11-21",
            "--rating",
            "7",
            "--notes",
            "quotes \" and, commas\nand a newline",
        ])
        .run()
        .ok();
    let csv = first.onsendo().args(["visit", "export"]).run().ok().stdout;
    assert!(
        csv.starts_with(
            "visited_at,onsen_ban,onsen_name,rating,fee_yen,minutes,notes\n2026-11-20,"
        ),
        "{csv}"
    );

    let second = Sandbox::new();
    second.init("test");
    let file = second.root().join("export.csv");
    std::fs::write(&file, &csv).unwrap();
    second
        .onsendo()
        .args(["visit", "import"])
        .arg(&file)
        .run()
        .ok();
    let again = second.onsendo().args(["visit", "export"]).run().ok().stdout;
    assert_eq!(again, csv, "the round trip keeps every field");
    let json = second
        .onsendo()
        .args(["visit", "export", "--format", "json"])
        .run()
        .ok()
        .json();
    assert_eq!(json.as_array().unwrap().len(), 3);
    assert_eq!(json[1]["notes"], "quotes \" and, commas\nand a newline");
}

#[test]
fn import_checks_the_file_itself_and_on_prod_shows_the_banner_and_is_audited() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let missing = sandbox
        .onsendo()
        .args(["--env", "prod", "visit", "import", "no such.csv"])
        .run()
        .code(2);
    assert!(missing.stderr.contains("cannot open"), "{}", missing.stderr);
    let wrong = sandbox.root().join("wrong.csv");
    std::fs::write(&wrong, "date,onsen,rating\n2026-01-01,1,5\n").unwrap();
    let out = sandbox
        .onsendo()
        .args(["--env", "prod", "visit", "import"])
        .arg(&wrong)
        .run()
        .code(2);
    assert!(
        out.stderr.contains("unknown column `date`"),
        "{}",
        out.stderr
    );
    let good = sandbox.root().join("good.csv");
    std::fs::write(&good, "visited_at,onsen_ban,rating\n2026-01-01,1,5\n").unwrap();
    let out = sandbox
        .onsendo()
        .args(["--env", "prod", "visit", "import"])
        .arg(&good)
        .run()
        .ok();
    assert!(out.stderr.contains("PROD DATABASE"), "{}", out.stderr);
    assert_eq!(sandbox.last_audit()["outcome"], "ok");
    assert_eq!(
        sandbox.sqlite(&sandbox.db("prod"), "SELECT count(*) FROM visits"),
        "1"
    );
}

#[test]
fn visit_modify_changes_only_the_given_fields() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    add(&sandbox, "1", "2026-11-22", "7", "300");
    add(&sandbox, "1", "2026-11-23", "5", "300");
    let db = sandbox.db("test");
    let copy = sandbox.root().join("before.db");
    std::fs::copy(&db, &copy).unwrap();
    let out = sandbox
        .onsendo()
        .args(["visit", "modify", "1", "--onsen", "4", "--rating", "9"])
        .args(["--date", "2026-11-21", "--notes", "after the rain"])
        .run()
        .ok();
    assert_eq!(
        out.stdout.trim(),
        "changed visit 1:\n  notes: - → after the rain\n  onsen_id: 1 → 4\n  onsen_name: Takegawara Onsen → Hyotan Onsen\n  personal_rating: 7 → 9\n  visited_at: 2026-11-22 → 2026-11-21"
    );
    assert!(
        out.stderr.contains("test: visit modify 1 on"),
        "{}",
        out.stderr
    );
    assert_one_row_changed(
        &sandbox.differences(&copy, &db, None),
        "INSERT INTO visits VALUES(1,1,'2026-11-22',300,NULL,7,NULL,",
        "INSERT INTO visits VALUES(1,4,'2026-11-21',300,NULL,9,'after the rain',",
    );
    let json = sandbox
        .onsendo()
        .args(["visit", "modify", "1", "--minutes", "50", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(json["changed"], serde_json::json!(["stay_minutes"]));
    assert_eq!(json["after"]["entry_fee_yen"], 300, "untouched");
    assert_eq!(
        sandbox.sqlite(&db, "SELECT id, onsen_id, visited_at, entry_fee_yen, stay_minutes, personal_rating, notes FROM visits ORDER BY id"),
        "1|4|2026-11-21|300|50|9|after the rain\n2|1|2026-11-23|300||5|",
        "the other visit is as it was"
    );
}

#[test]
fn visit_modify_with_bad_input_writes_nothing() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    add(&sandbox, "1", "2026-11-22", "7", "300");
    let db = sandbox.db("test");
    let before = bytes(&db);
    for (args, message) in [
        (
            &["1"][..],
            "nothing to change; give at least one of --onsen",
        ),
        (&["1", "--rating", "11"], "rating 11 is out of range"),
        (&["1", "--date", "2026-02-29"], "2026-02-29"),
        (&["1", "--fee", "-5"], "--fee cannot be negative"),
        (&["1", "--minutes", "0"], "--minutes must be positive"),
        (&["1", "--onsen", "99"], "no onsen with id 99"),
        (&["7", "--rating", "3"], "no visit with id 7"),
    ] {
        let out = sandbox
            .onsendo()
            .args(["visit", "modify"])
            .args(args)
            .run()
            .code(2);
        assert!(out.stderr.contains(message), "{args:?}: {}", out.stderr);
    }
    assert_eq!(bytes(&db), before, "nothing was written");
}

#[test]
fn reads_on_prod_ask_nothing_change_nothing_and_are_audited() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    sandbox
        .onsendo()
        .args(["--env", "prod", "visit", "add", "--onsen", "4"])
        .args(["--date", "2026-11-22", "--rating", "9", "--notes", "sand"])
        .run()
        .ok();
    let db = sandbox.db("prod");
    let before = bytes(&db);
    let reads: [(&str, &[&str], &str); 6] = [
        ("onsendo", &["visit", "show", "1"], "notes:   sand"),
        ("onsendo", &["stats"], "1 visit to 1 onsen,"),
        (
            "onsendo",
            &["visit", "export"],
            "2026-11-22,4,Hyotan Onsen,9,,,sand",
        ),
        (
            "onsendo",
            &["visit", "export", "--json"],
            "\"notes\":\"sand\"",
        ),
        ("onsendo", &["onsen", "list"], "Hyotan Onsen"),
        (
            "xtask",
            &["database", "exec", "SELECT count(*) FROM visits"],
            "1",
        ),
    ];
    for (program, args, shown) in reads {
        let run = if program == "xtask" {
            sandbox.xtask()
        } else {
            sandbox.onsendo()
        };
        let out = run.args(["--env", "prod"]).args(args).run().ok();
        assert!(out.stdout.contains(shown), "{args:?}: {}", out.stdout);
        assert!(
            !out.stderr.contains("PROD DATABASE"),
            "{args:?}: no banner for a read: {}",
            out.stderr
        );
        let record = sandbox.last_audit();
        assert_eq!(
            (record["outcome"].as_str(), record["confirmation"].as_str()),
            (Some("ok"), Some("not needed")),
            "{args:?}"
        );
        assert!(
            record["command"].to_string().contains(args[0]),
            "{args:?}: {record}"
        );
    }
    assert_eq!(bytes(&db), before, "reads change nothing");
}

#[test]
fn export_json_and_clearing_notes_and_bad_stats_flags() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    add(&sandbox, "4", "2026-11-22", "9", "1000");
    let out = sandbox
        .onsendo()
        .args(["visit", "modify", "1", "--notes", "sand bath"])
        .run()
        .ok();
    assert!(
        out.stdout.contains("notes: - → sand bath"),
        "{}",
        out.stdout
    );
    let out = sandbox
        .onsendo()
        .args(["visit", "modify", "1", "--notes", ""])
        .run()
        .ok();
    assert!(
        out.stdout.contains("notes: sand bath → -"),
        "{}",
        out.stdout
    );
    let db = sandbox.db("test");
    assert_eq!(
        sandbox.sqlite(&db, "SELECT typeof(notes) FROM visits WHERE id = 1"),
        "null",
        "an empty --notes clears them"
    );
    let exported = sandbox
        .onsendo()
        .args(["visit", "export", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(exported[0]["onsen_ban"], 4, "{exported}");
    let csv = sandbox
        .onsendo()
        .args(["visit", "export", "--json", "--format", "csv"])
        .run()
        .ok();
    assert!(csv.stdout.starts_with("visited_at,"), "--format wins");
    for bad in [["stats", "--top", "0"], ["visit", "export", "--format"]] {
        sandbox.onsendo().args(bad).run().code(2);
    }
    let out = sandbox
        .onsendo()
        .args(["visit", "export", "--format", "xml"])
        .run()
        .code(2);
    assert!(out.stderr.contains("csv, json"), "{}", out.stderr);
}

/// Inserts `n` visits to onsen 1..=`onsens`, one a day from 2020-01-01, with the `sqlite3` CLI.
fn many_visits(sandbox: &Sandbox, n: u64, onsens: u64) {
    sandbox.sqlite(
        &sandbox.db("test"),
        &format!(
            "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < {n} - 1)
             INSERT INTO visits (onsen_id, visited_at, personal_rating, notes)
             SELECT 1 + i % {onsens}, date('2020-01-01', '+' || i || ' days'), 1 + i % 10, 'visit ' || i FROM k;"
        ),
    );
}

#[test]
fn visit_list_shows_the_newest_fifty_then_how_many_more_and_how_to_see_them() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    many_visits(&sandbox, 120, 3);
    let list = |args: &[&str]| sandbox.onsendo().args(["visit", "list"]).args(args).run();
    let out = list(&[]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1 + 50 + 1,
        "header, 50 rows, the last line: {}",
        out.stdout
    );
    assert!(
        lines[1].starts_with("120  2020-04-29"),
        "newest first: {}",
        lines[1]
    );
    assert_eq!(
        lines[51],
        "… and 70 more visits; show more with --limit N, or all with --all"
    );
    let out = list(&["--limit", "3"]).ok();
    assert_eq!(out.stdout.lines().count(), 1 + 3 + 1);
    assert!(out
        .stdout
        .ends_with("… and 117 more visits; show more with --limit N, or all with --all\n"));
    let out = list(&["--all"]).ok();
    assert_eq!(
        out.stdout.lines().count(),
        1 + 120,
        "every row, no last line"
    );
    let out = list(&["--limit", "120"]).ok();
    assert!(
        !out.stdout.contains("more visits"),
        "exactly all: {}",
        out.stdout
    );

    let json = list(&["--limit", "2", "--json"]).ok();
    let rows = json.json();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(rows[0]["id"], 120);
    assert!(
        json.stderr.contains("note: … and 118 more visits"),
        "{}",
        json.stderr
    );
    let empty = list(&["--since", "2030-01-01", "--json"]).ok().json();
    assert_eq!(empty, serde_json::json!([]));

    let out = list(&["--since", "2020-01-05", "--until", "2020-01-07"]).ok();
    let dates: Vec<&str> = out
        .stdout
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(dates, ["2020-01-07", "2020-01-06", "2020-01-05"]);
    let out = list(&["--onsen", "2", "--until", "2020-01-10", "--all"]).ok();
    assert_eq!(
        out.stdout.lines().count(),
        1 + 3,
        "days 2, 5, 8: {}",
        out.stdout
    );

    for (args, said) in [
        (&["--limit", "3", "--all"][..], "cannot be used with"),
        (&["--limit", "-1"], "-1"),
        (&["--until", "2026-11-31"], "2026-11-31"),
        (
            &["--since", "2026-12-01", "--until", "2026-11-01"],
            "is after --until",
        ),
    ] {
        let out = list(args).code(2);
        assert!(out.stderr.contains(said), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn a_bad_import_lists_ten_problems_and_counts_the_rest_and_writes_nothing() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let mut csv = String::from("visited_at,onsen_ban,rating\n2026-01-01,1,5\n");
    csv.push_str(&"2026-02-30,1,8\n".repeat(2024));
    let before = bytes(&sandbox.db("test"));
    let out = import_csv(&sandbox, &csv, &[]).run().code(2);
    assert!(
        out.stderr.contains("has 2024 invalid rows"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.matches("line ").count(), 10, "{}", out.stderr);
    assert!(out.stderr.contains("… and 2014 more"), "{}", out.stderr);
    assert!(
        out.stderr.len() < 2000,
        "one short line: {}",
        out.stderr.len()
    );
    assert_eq!(bytes(&sandbox.db("test")), before);
    let out = import_csv(&sandbox, &csv, &["--skip-invalid", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(out["imported"], 1);
    assert_eq!(out["skipped_count"], 2024);
    assert_eq!(out["skipped"].as_array().unwrap().len(), 10);
}

#[test]
fn past_ten_thousand_more_the_last_line_says_over_ten_thousand() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    many_visits(&sandbox, 10_051, 3);
    let out = sandbox.onsendo().args(["visit", "list"]).run().ok();
    assert!(
        out.stdout.ends_with(
            "\n… and over 10000 more visits; show more with --limit N, or all with --all\n"
        ),
        "{}",
        out.stdout
    );
    let out = sandbox
        .onsendo()
        .args(["visit", "list", "--limit", "51"])
        .run()
        .ok();
    assert!(
        out.stdout
            .ends_with("\n… and 10000 more visits; show more with --limit N, or all with --all\n"),
        "exactly the bound: {}",
        out.stdout
    );
}

/// Imports `csv` (written to a file) with `flags`; returns the run's output.
fn import_csv(sandbox: &Sandbox, csv: &str, flags: &[&str]) -> crate::support::Run {
    let file = sandbox.root().join("visits to import.csv");
    std::fs::write(&file, csv).unwrap();
    sandbox
        .onsendo()
        .args(["visit", "import"])
        .args(flags)
        .arg(file)
}

#[test]
fn a_csv_that_could_be_misread_is_refused_naming_the_line_and_nothing_is_written() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let db = sandbox.db("test");
    let before = bytes(&db);
    let header = "visited_at,onsen_ban,rating,notes\n";
    let open_quote =
        format!("{header}2026-01-01,1,5,fine\n2026-01-02,1,6,\"open\n2026-01-03,1,7,swallowed\n");
    for flags in [&[][..], &["--skip-invalid"]] {
        let out = import_csv(&sandbox, &open_quote, flags).run().code(2);
        assert!(
            out.stderr
                .contains("line 3: a quoted field starts there and is never closed"),
            "{flags:?}: {}",
            out.stderr
        );
    }
    let twice = "visited_at,onsen_ban,rating,rating\n2026-01-01,1,5,9\n";
    let out = import_csv(&sandbox, twice, &[]).run().code(2);
    assert!(
        out.stderr.contains("the column `rating` twice"),
        "{}",
        out.stderr
    );
    let ragged = format!(
        "{header}2026-01-01,1,5,fine\n2026-01-02,1\n2026-01-03,1,7,x,extra\n2026-01-04,1,8,-\n"
    );
    let out = import_csv(&sandbox, &ragged, &[]).run().code(2);
    assert!(
        out.stderr
            .contains("line 3: 2 fields where the header has 4")
            && out
                .stderr
                .contains("line 4: 5 fields where the header has 4"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&db), before, "nothing written");
    let out = import_csv(&sandbox, &ragged, &["--skip-invalid"])
        .run()
        .ok();
    assert!(
        out.stdout.contains("imported 2 visits") && out.stdout.contains("skipped 2 invalid rows"),
        "{}",
        out.stdout
    );
    let fee =
        "visited_at,onsen_ban,rating,fee_yen,minutes\n2026-01-01,1,5,-3,\n2026-01-01,1,5,,0\n";
    let out = import_csv(&sandbox, fee, &[]).run().code(2);
    assert!(
        out.stderr.contains("fee_yen cannot be negative")
            && out.stderr.contains("minutes must be positive")
            && !out.stderr.contains("--fee"),
        "the file's columns, not the flags: {}",
        out.stderr
    );
}

#[test]
fn importing_the_same_file_again_is_refused_unless_duplicates_are_allowed() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let db = sandbox.db("test");
    let csv =
        "visited_at,onsen_ban,rating,notes\n2026-01-01,1,5,温泉 \"quoted\"\n2026-01-02,2,6,\n";
    import_csv(&sandbox, csv, &[]).run().ok();
    let before = bytes(&db);
    let out = import_csv(&sandbox, csv, &[]).run().code(3);
    assert!(
        out.stderr.contains("is recorded already") && out.stderr.contains("--allow-duplicates"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&db), before);
    let one_new = format!("{csv}2026-01-03,3,7,\n");
    let out = import_csv(&sandbox, &one_new, &[]).run().ok();
    assert!(
        out.stdout.contains("imported 3 visits")
            && out.stdout.contains("(2 of them recorded already)"),
        "{}",
        out.stdout
    );
    import_csv(&sandbox, csv, &["--allow-duplicates"])
        .run()
        .ok();
    assert_eq!(sandbox.sqlite(&db, "SELECT count(*) FROM visits"), "7");
}

#[test]
fn control_characters_in_values_are_shown_escaped_and_kept_as_they_are() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let notes = "first line\nsecond 温泉 \"q\" $HOME\t\u{1b}[31mred";
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
            "7",
        ])
        .args(["--notes", notes])
        .run()
        .ok();
    sandbox
        .onsendo()
        .args([
            "onsen",
            "add",
            "--ban",
            "900",
            "--name",
            "bad\u{1b}]0;title\u{7}name",
        ])
        .run()
        .ok();
    let shown = "first line\\nsecond 温泉 \"q\" $HOME\\t\\u{1b}[31mred";
    let list = sandbox.onsendo().args(["visit", "list"]).run().ok();
    assert_eq!(
        list.stdout.lines().count(),
        2,
        "one line a visit: {}",
        list.stdout
    );
    assert!(list.stdout.contains(shown), "{}", list.stdout);
    let show = sandbox.onsendo().args(["visit", "show", "1"]).run().ok();
    assert!(
        show.stdout.contains(&format!("notes:   {shown}")),
        "{}",
        show.stdout
    );
    let onsens = sandbox.onsendo().args(["onsen", "list"]).run().ok();
    for out in [&list.stdout, &show.stdout, &onsens.stdout] {
        assert!(
            !out.contains('\u{1b}'),
            "no raw escape reaches the terminal: {out:?}"
        );
    }
    assert!(
        onsens.stdout.contains("bad\\u{1b}]0;title\\u{7}name"),
        "{}",
        onsens.stdout
    );
    // The data itself is unchanged: JSON and the database hold the exact text.
    let json = sandbox
        .onsendo()
        .args(["visit", "show", "1", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(json["notes"], notes);
    let stored = sandbox.sqlite(
        &sandbox.db("test"),
        "SELECT hex(notes) FROM visits WHERE id = 1",
    );
    let hex: String = notes.bytes().map(|b| format!("{b:02X}")).collect();
    assert_eq!(stored, hex);
}
