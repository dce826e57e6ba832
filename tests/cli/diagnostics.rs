//! `config show` (sources, redaction) and `database audit` (rotated files, damaged lines).

use crate::support::Sandbox;

const SECRET: &str = "s3cret-value-42";

fn setting<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    json.as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no setting {name}: {json}"))
}

#[test]
fn config_show_names_each_source() {
    let sandbox = Sandbox::new();
    let json = sandbox
        .xtask()
        .args(["config", "show", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(setting(&json, "environment")["value"], "test");
    assert_eq!(setting(&json, "environment")["source"], "ONSENDO_ENV");
    assert_eq!(setting(&json, "root")["source"], "ONSENDO_ROOT");
    assert_eq!(
        setting(&json, "database")["value"],
        sandbox.db("test").display().to_string()
    );
    assert_eq!(setting(&json, "busy timeout")["value"], "5 s");
    assert_eq!(
        setting(&json, "migrations")["source"],
        "default: the root has no migrations/ folder"
    );

    let json = sandbox
        .xtask()
        .args(["config", "show", "--json", "--env", "prod"])
        .run()
        .ok()
        .json();
    assert_eq!(setting(&json, "environment")["source"], "--env");
    let json = sandbox
        .xtask()
        .args(["config", "show", "--json"])
        .env_remove("ONSENDO_ENV")
        .run()
        .ok()
        .json();
    assert_eq!(
        (
            setting(&json, "environment")["value"].as_str(),
            setting(&json, "environment")["source"].as_str()
        ),
        (Some("dev"), Some("default"))
    );
    let text = sandbox.xtask().args(["config", "show"]).run().ok().stdout;
    assert!(text.starts_with("setting "), "{text}");
    assert!(
        text.contains("colour") && text.contains("NO_COLOR"),
        "{text}"
    );
    assert!(
        !sandbox.db("test").exists(),
        "config show opens no database"
    );
}

#[test]
fn secrets_in_the_environment_never_reach_output_or_the_audit_log() {
    let sandbox = Sandbox::new();
    let with_secrets = |run: crate::support::Run| {
        run.env("ONSENDO_API_TOKEN", SECRET)
            .env("ONSENDO_DB_PASSWORD", SECRET)
            .env("ONSENDO_BACKUP_URL", format!("sftp://me:{SECRET}@host/x"))
    };
    for args in [&["config", "show"][..], &["config", "show", "--json"]] {
        let out = with_secrets(sandbox.xtask().args(args)).run().ok();
        assert!(
            !out.stdout.contains(SECRET) && !out.stderr.contains(SECRET),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains("ONSENDO_DB_PASSWORD"), "{}", out.stdout);
        assert!(
            out.stdout.contains("sftp://me:***@host/x"),
            "{}",
            out.stdout
        );
    }
    let shown = with_secrets(sandbox.xtask().args(["config", "show", "--show-secrets"]))
        .run()
        .ok();
    assert!(shown.stdout.contains(SECRET), "{}", shown.stdout);

    with_secrets(sandbox.xtask().args(["database", "init", "--env", "prod"]))
        .run()
        .ok();
    with_secrets(
        sandbox
            .xtask()
            .args(["database", "backup", "--env", "prod"]),
    )
    .run()
    .ok();
    let note = format!("api_token={SECRET}");
    with_secrets(
        sandbox
            .onsendo()
            .args(["--env", "prod", "visit", "add", "--onsen", "1"]),
    )
    .args(["--date", "2026-11-01", "--rating", "7", "--notes", &note])
    .run()
    .ok();
    let log = std::fs::read_to_string(sandbox.audit_log()).unwrap();
    // Three operations: a start line and an outcome line each.
    assert_eq!(log.lines().count(), 6, "{log}");
    assert_eq!(log.matches(r#""event":"ended""#).count(), 3, "{log}");
    assert!(log.contains("api_token=***"), "{log}");
    assert!(!log.contains(SECRET), "{log}");
    let audit = with_secrets(sandbox.xtask().args(["database", "audit", "--json"]))
        .run()
        .ok();
    assert!(!audit.stdout.contains(SECRET), "{}", audit.stdout);
}

#[test]
fn audit_reads_rotated_files_oldest_first_and_reports_damaged_lines() {
    let sandbox = Sandbox::new();
    let out = sandbox.xtask().args(["database", "audit"]).run().ok();
    assert!(
        out.stdout.starts_with("no audit records yet"),
        "{}",
        out.stdout
    );

    let record = |n: usize| {
        format!(
            r#"{{"time":"2026-11-0{n}T08:00:00Z","user":"me","host":"box","command":["xtask","database","backup","--env","prod"],"database":"/x/onsen.prod.db","confirmation":"not needed","outcome":"ok","duration_ms":5,"backup":null}}"#
        )
    };
    let log = sandbox.audit_log();
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    std::fs::write(format!("{}.2", log.display()), record(1) + "\n").unwrap();
    std::fs::write(
        format!("{}.1", log.display()),
        record(2) + "\nnot json at all\n",
    )
    .unwrap();
    std::fs::write(&log, record(3) + "\n").unwrap();

    let out = sandbox.xtask().args(["database", "audit"]).run().ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", out.stdout);
    assert!(lines[0].starts_with("2026-11-01T08:00:00Z  me@box  ok  confirmation: not needed  xtask database backup --env prod"), "{}", lines[0]);
    assert!(
        lines[2].contains("line 2 of") && lines[2].contains("prod_audit.log.1"),
        "{}",
        lines[2]
    );
    assert!(lines[3].starts_with("2026-11-03"), "{}", lines[3]);

    let json = sandbox
        .xtask()
        .args(["database", "audit", "--tail", "2", "--json"])
        .run()
        .ok()
        .json();
    let shown = json.as_array().unwrap();
    assert_eq!(shown.len(), 2);
    assert_eq!(shown[0]["unreadable"]["line"], 2);
    assert_eq!(shown[1]["time"], "2026-11-03T08:00:00Z");

    sandbox.init("prod");
    sandbox
        .xtask()
        .args(["database", "backup", "--env", "prod"])
        .run()
        .ok();
    let out = sandbox
        .xtask()
        .args(["database", "audit", "--tail", "1"])
        .run()
        .ok();
    assert!(
        out.stdout.contains("database backup --env prod") && out.stdout.contains("backup: "),
        "{}",
        out.stdout
    );
}
