//! `database prune`: the retention rules, what survives every rule, prod's confirmation, and the order
//! of backups made in one second.

use crate::backup::{
    backup, backups_in_a_row, backups_on_disk, change_one_byte, edit_manifest, listing_row,
    manifest, manifest_path, name_of, verify, verify_file,
};
use crate::split::hashes_under;
use crate::support::{bytes, names_in, Output, Sandbox};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// `database prune --all-envs` (every environment's backups) with `args`.
fn prune(sandbox: &Sandbox, args: &[&str]) -> Output {
    sandbox
        .xtask()
        .args(["database", "prune", "--all-envs"])
        .args(args)
        .run()
        .ok()
}

/// Moves every backup's recorded creation time `days` into the past, keeping their order.
fn age_backups(sandbox: &Sandbox, days: i64) {
    for name in backups_on_disk(sandbox) {
        let path = sandbox.backup_dir().join(name);
        let created = manifest(&path)["created_unix"].as_i64().unwrap();
        edit_manifest(&path, "created_unix", Value::from(created - days * 86_400));
    }
}

#[test]
fn keep_one_leaves_the_newest_backup_of_each_environment() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    sandbox.init("test");
    let dev = backups_in_a_row(&sandbox, "dev", 4);
    let test = backups_in_a_row(&sandbox, "test", 2);
    let everything = names_in(&sandbox.backup_dir());
    assert_eq!(everything.len(), 12, "{everything:?}");

    let out = prune(&sandbox, &["--keep", "1", "--dry-run"]);
    assert!(
        out.stdout.contains("would remove 4 of 6 backups"),
        "{}",
        out.stdout
    );
    assert_eq!(
        names_in(&sandbox.backup_dir()),
        everything,
        "a dry run removes nothing"
    );

    let out = prune(&sandbox, &["--keep", "1"]);
    for gone in dev[..3].iter().chain(&test[..1]) {
        assert!(
            out.stdout.contains(&format!("removed {}", gone.display())),
            "{}: {}",
            gone.display(),
            out.stdout
        );
        assert!(!gone.exists() && !manifest_path(gone).exists());
    }
    assert!(
        out.stdout.contains("removed 4 of 6 backups"),
        "{}",
        out.stdout
    );
    let newest = [dev.last().unwrap(), test.last().unwrap()];
    let mut expected: Vec<String> = newest
        .iter()
        .flat_map(|path| [name_of(path), name_of(&manifest_path(path))])
        .collect();
    expected.sort();
    assert_eq!(names_in(&sandbox.backup_dir()), expected);
}

#[test]
fn prune_removes_a_manifest_left_by_a_crash_once_it_is_old() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let kept = backup(&sandbox, "dev", &[]);
    let crashed = sandbox
        .xtask()
        .args(["database", "backup", "--env", "dev"])
        .env("ONSENDO_FAILPOINT", "backup.place:crash")
        .run();
    assert_eq!(crashed.code, -1, "{}", crashed.stderr);
    let orphans: Vec<String> = names_in(&sandbox.backup_dir())
        .into_iter()
        .filter(|name| name.ends_with(".json") && name != &name_of(&manifest_path(&kept)))
        .collect();
    assert_eq!(
        orphans.len(),
        1,
        "the crash left a manifest alone: {orphans:?}"
    );
    let orphan = sandbox.backup_dir().join(&orphans[0]);
    assert!(!orphan.with_extension("db").exists());

    let out = prune(&sandbox, &[]);
    assert!(
        orphan.exists(),
        "a young manifest may be a backup being placed"
    );
    assert!(!out.stdout.contains("never placed"), "{}", out.stdout);

    make_older(&orphan, 3600);
    let out = prune(&sandbox, &["--dry-run"]);
    assert!(
        out.stdout
            .contains(&format!("would remove {}", orphan.display())),
        "{}",
        out.stdout
    );
    assert!(orphan.exists());
    let out = prune(&sandbox, &[]);
    assert!(
        out.stdout.contains(&format!(
            "removed {} (a manifest whose backup was never placed",
            orphan.display()
        )),
        "{}",
        out.stdout
    );
    assert!(!orphan.exists());
    assert_eq!(backups_on_disk(&sandbox), [name_of(&kept)]);
    verify_file(&sandbox, &kept).ok();
}

/// Sets a file's modification time `secs` into the past.
fn make_older(path: &Path, secs: u64) {
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(secs);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(then)
        .unwrap();
}

#[test]
fn prune_touches_only_the_backups_this_tool_made_and_takes_any_age_limit() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let made = backups_in_a_row(&sandbox, "dev", 2);
    age_backups(&sandbox, 30);
    let hand_copy = sandbox.backup_dir().join("hand copy.db");
    std::fs::copy(&made[0], &hand_copy).unwrap();
    let notes = sandbox.backup_dir().join("notes.json");
    std::fs::write(&notes, r#"{"my": "notes"}"#).unwrap();
    for path in [&hand_copy, &notes] {
        make_older(path, 90 * 86_400);
    }

    for huge in ["18446744073709551615", "213503982334602"] {
        let out = prune(&sandbox, &["--keep", "0", "--older-than", huge]);
        assert!(
            out.stdout.contains("removed 0 of 2 backups"),
            "{huge}: {}",
            out.stdout
        );
    }
    edit_manifest(&made[0], "created_unix", Value::from(i64::MIN));
    let out = prune(&sandbox, &["--keep", "0", "--older-than", "1", "--dry-run"]);
    assert!(
        out.stdout.contains("would remove 1 of 2 backups"),
        "{}",
        out.stdout
    );

    let out = prune(&sandbox, &["--keep", "0", "--older-than", "1"]);
    assert!(!made[0].exists() && made[1].exists(), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!(
            "left {} alone: it has no readable manifest",
            hand_copy.display()
        )),
        "{}",
        out.stdout
    );
    assert!(hand_copy.exists() && notes.exists(), "{}", out.stdout);
    assert_eq!(bytes(&notes), br#"{"my": "notes"}"#);
}

#[test]
fn a_manifest_that_names_another_environment_is_flagged_and_pruning_it_takes_prods_rules() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let made = backups_in_a_row(&sandbox, "prod", 2);
    edit_manifest(&made[0], "environment", Value::from("dev"));

    let listing = sandbox
        .xtask()
        .args(["database", "backups", "--check"])
        .run()
        .code(4)
        .stdout;
    let row = listing_row(&listing, &name_of(&made[0]));
    assert!(
        row.contains("NO: the manifest says dev, but the backup is stamped prod"),
        "{row}"
    );

    let before = hashes_under(&sandbox.backup_dir());
    let out = sandbox
        .xtask()
        .args(["database", "prune", "--all-envs", "--keep", "0"])
        .run()
        .code(3);
    assert!(out.stderr.contains("prod"), "{}", out.stderr);
    assert_eq!(hashes_under(&sandbox.backup_dir()), before);
    prune(&sandbox, &["--keep", "0", "--yes"]);
    assert!(!made[0].exists() && made[1].exists());
}

#[test]
fn the_newest_backup_that_still_matches_its_manifest_survives_every_rule() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let made = backups_in_a_row(&sandbox, "dev", 3);
    let (oldest, middle, newest) = (&made[0], &made[1], &made[2]);
    change_one_byte(newest);
    age_backups(&sandbox, 30);

    let out = prune(&sandbox, &["--keep", "0", "--older-than", "0"]);
    assert!(
        out.stdout.contains("removed 2 of 3 backups"),
        "{}",
        out.stdout
    );
    assert!(!oldest.exists() && !manifest_path(oldest).exists());
    assert!(!newest.exists() && !manifest_path(newest).exists());
    assert!(middle.exists() && manifest_path(middle).exists());
    verify_file(&sandbox, middle).ok();

    let out = prune(&sandbox, &["--keep", "0", "--older-than", "0"]);
    assert!(
        out.stdout.contains("removed 0 of 1 backups"),
        "{}",
        out.stdout
    );
    assert!(middle.exists());
}

#[test]
fn older_than_keeps_young_backups() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let old = backups_in_a_row(&sandbox, "dev", 2);
    age_backups(&sandbox, 40);
    let young = backups_in_a_row(&sandbox, "dev", 2);
    let out = prune(&sandbox, &["--older-than", "30", "--json"]).json();
    assert_eq!(out["dry_run"], false);
    assert_eq!(out["kept"], 2);
    let removed: Vec<String> = out["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["path"].as_str().unwrap().to_string())
        .collect();
    let old_paths: Vec<String> = old.iter().map(|p| p.display().to_string()).collect();
    assert_eq!(removed, old_paths);
    assert!(old.iter().all(|path| !path.exists()));
    assert!(young.iter().all(|path| path.exists()));
}

/// Backups made within one second are named `_2` … `_10` …; the tenth is still the newest for
/// `--latest`, the listing and prune (plain name order would put `_10` before `_9`).
#[test]
fn the_order_backups_were_made_in_holds_past_nine_in_one_second() {
    let sandbox = Sandbox::new();
    sandbox.init("dev");
    let mut made = Vec::new();
    while !made
        .last()
        .is_some_and(|path: &PathBuf| name_of(path).ends_with("Z_10.db"))
    {
        assert!(made.len() < 500, "ten backups within one second");
        made.push(backup(&sandbox, "dev", &[]));
    }
    let newest = made.last().unwrap();
    let out = verify(&sandbox, &["--latest", "--env", "dev"]).run().ok();
    assert_eq!(
        out.stdout.lines().next().unwrap(),
        newest.display().to_string()
    );

    let listing = sandbox
        .xtask()
        .args(["database", "backups", "--json"])
        .run()
        .ok()
        .json();
    let listed: Vec<String> = listing
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["path"].as_str().unwrap().to_string())
        .collect();
    let made_names: Vec<String> = made.iter().map(|p| p.display().to_string()).collect();
    assert_eq!(listed, made_names, "listed in the order they were made");

    prune(&sandbox, &["--keep", "1"]);
    assert_eq!(backups_on_disk(&sandbox), [name_of(newest)]);
}

#[test]
fn pruning_prod_backups_takes_prods_confirmation_and_is_audited() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    sandbox.init("dev");
    for env in ["prod", "prod", "dev", "dev"] {
        backup(&sandbox, env, &[]);
    }
    let refused = sandbox
        .xtask()
        .args(["database", "prune", "--all-envs", "--keep", "1"])
        .run()
        .code(3);
    assert_eq!(
        backups_on_disk(&sandbox).len(),
        4,
        "nothing removed when refused"
    );
    assert!(
        refused.stderr.contains("PROD DATABASE"),
        "{}",
        refused.stderr
    );
    assert!(
        sandbox.last_audit()["outcome"]
            .as_str()
            .unwrap()
            .starts_with("refused"),
        "the refusal is audited"
    );

    let out = sandbox
        .xtask()
        .args(["database", "prune", "--all-envs", "--keep", "1", "--yes"])
        .run()
        .ok();
    assert!(
        out.stdout.contains("removed 2 of 4 backups"),
        "{}",
        out.stdout
    );
    assert_eq!(backups_on_disk(&sandbox).len(), 2);
    let audit = sandbox.last_audit();
    assert_eq!(audit["outcome"], "ok");
    assert_eq!(audit["confirmation"], "--yes");
    assert!(audit["command"].to_string().contains("prune"), "{audit}");

    sandbox.init("test");
    backup(&sandbox, "test", &[]);
    backup(&sandbox, "test", &[]);
    let log_before = std::fs::read_to_string(sandbox.audit_log()).unwrap();
    let out = sandbox
        .xtask()
        .args(["database", "prune", "--all-envs", "--keep", "1"])
        .run()
        .ok();
    assert!(
        out.stdout.contains("removed 1 of 4 backups"),
        "{}",
        out.stdout
    );
    assert_eq!(
        std::fs::read_to_string(sandbox.audit_log()).unwrap(),
        log_before,
        "pruning no prod backup needs no confirmation and writes no prod audit line"
    );
}

#[test]
fn prune_acts_on_the_selected_environment_unless_all_envs() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    sandbox.init("test");
    let prod = backups_in_a_row(&sandbox, "prod", 2);
    let test = backups_in_a_row(&sandbox, "test", 2);
    let out = sandbox
        .xtask()
        .args(["database", "prune", "--keep", "1"])
        .run()
        .ok();
    assert!(
        out.stdout.contains("removed 1 of 2 backups (test)"),
        "ONSENDO_ENV=test selects test's backups: {}",
        out.stdout
    );
    assert!(!test[0].exists() && test[1].exists());
    assert!(prod.iter().all(|p| p.exists()), "prod's backups untouched");
    let out = sandbox
        .xtask()
        .args(["database", "prune", "--keep", "1", "--database"])
        .arg(sandbox.db("prod"))
        .run()
        .code(2);
    assert!(
        out.stderr.contains("add --env NAME, or --all-envs"),
        "{}",
        out.stderr
    );
    let out = sandbox
        .xtask()
        .args(["database", "prune", "--keep", "1", "--all-envs", "--yes"])
        .run()
        .ok();
    assert!(
        out.stdout
            .contains("removed 1 of 3 backups (every environment)"),
        "{}",
        out.stdout
    );
    assert!(!prod[0].exists() && prod[1].exists());
}
