//! `database prune --offsite`: the retention rules on the restic repository's snapshots of one
//! environment, checked with restic's own listing: which go, the newest always stays, other
//! environments' stay, a dry run changes nothing, prod's need its confirmation and are audited.

use crate::offsite::{send, Offsite};
use crate::support::{Output, Sandbox};

/// `prune --offsite` of `env` with `args`.
fn prune(offsite: &Offsite, sandbox: &Sandbox, env: &str, args: &[&str]) -> Output {
    offsite
        .xtask(sandbox)
        .args(["database", "prune", "--offsite", "--env", env])
        .args(args)
        .run()
}

/// The ids of `env`'s snapshots in the repository, by restic's own listing.
fn ids_of(offsite: &Offsite, sandbox: &Sandbox, env: &str) -> Vec<String> {
    let found = offsite.in_repository(sandbox).into_iter();
    found.filter(|(_, e)| e == env).map(|(id, _)| id).collect()
}

/// `backups --offsite`'s snapshots of `env`, newest first: their ids.
fn newest_first(offsite: &Offsite, sandbox: &Sandbox, env: &str) -> Vec<String> {
    let listed = offsite.listed(sandbox, env).into_iter();
    listed
        .map(|s| s["snapshot"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn prune_offsite_forgets_the_environments_oldest_snapshots_and_nothing_else() {
    let sandbox = Sandbox::new();
    let Some(offsite) = Offsite::new(&sandbox) else {
        return;
    };
    sandbox.init("dev");
    sandbox.init("test");
    for _ in 0..3 {
        send(&offsite, &sandbox, "dev");
    }
    send(&offsite, &sandbox, "test");
    let everything = offsite.in_repository(&sandbox);
    let dev = newest_first(&offsite, &sandbox, "dev");
    assert_eq!(dev.len(), 3);

    let out = prune(&offsite, &sandbox, "dev", &["--keep", "1", "--dry-run"]).ok();
    assert!(
        out.stdout
            .contains("would remove 2 of 3 off-site snapshots of dev"),
        "{}",
        out.stdout
    );
    assert_eq!(
        offsite.in_repository(&sandbox),
        everything,
        "a dry run forgets nothing"
    );

    let out = prune(&offsite, &sandbox, "dev", &["--keep", "1"]).ok();
    assert!(
        out.stdout
            .contains("removed 2 of 3 off-site snapshots of dev"),
        "{}",
        out.stdout
    );
    assert_eq!(
        ids_of(&offsite, &sandbox, "dev"),
        vec![dev[0].clone()],
        "the newest stays"
    );
    assert_eq!(
        ids_of(&offsite, &sandbox, "test"),
        ids_of_in(&everything, "test"),
        "test's snapshots are untouched"
    );
    offsite.check(&sandbox);

    let out = prune(
        &offsite,
        &sandbox,
        "dev",
        &["--keep", "0", "--older-than", "0"],
    )
    .ok();
    assert!(out.stdout.contains("removed 0 of 1"), "{}", out.stdout);
    assert_eq!(ids_of(&offsite, &sandbox, "dev"), vec![dev[0].clone()]);
}

/// The ids of `env`'s snapshots in a listing of [`Offsite::in_repository`].
fn ids_of_in(listing: &[(String, String)], env: &str) -> Vec<String> {
    let found = listing.iter().filter(|(_, e)| e == env);
    found.map(|(id, _)| id.clone()).collect()
}

/// A sandbox whose prod database was sent off-site twice; `None` without restic.
fn prod_sent_twice() -> Option<(Sandbox, Offsite)> {
    let sandbox = Sandbox::new();
    let offsite = Offsite::new(&sandbox)?;
    sandbox.init("prod");
    send(&offsite, &sandbox, "prod");
    send(&offsite, &sandbox, "prod");
    Some((sandbox, offsite))
}

#[test]
fn removing_prod_snapshots_takes_prods_confirmation_and_is_audited() {
    let Some((sandbox, offsite)) = prod_sent_twice() else {
        return;
    };
    let before = offsite.in_repository(&sandbox);
    let out = prune(&offsite, &sandbox, "prod", &["--keep", "1"]).code(3);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert_eq!(offsite.in_repository(&sandbox), before, "nothing forgotten");

    prune(&offsite, &sandbox, "prod", &["--keep", "1", "--yes"]).ok();
    assert_eq!(offsite.in_repository(&sandbox).len(), 1);
    let record = sandbox.last_audit();
    assert_eq!(record["outcome"], "ok", "{record}");
    let words: Vec<&str> = record["command"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str())
        .collect();
    assert_eq!(words[1..4], ["database", "prune", "--offsite"], "{record}");
    assert_eq!(record["confirmation"], "--yes", "{record}");
    offsite.check(&sandbox);
}

#[test]
fn the_make_target_prunes_env_with_keep_and_dry_run() {
    let Some((sandbox, offsite)) = prod_sent_twice() else {
        return;
    };
    let make = |args: &[&str]| offsite.with(crate::makefile::make(&sandbox, args)).run();
    let before = offsite.in_repository(&sandbox);
    let out = make(&["prune-offsite", "ENV=prod", "KEEP=1", "DRY_RUN=1"]).ok();
    assert!(out.stdout.contains("would remove 1 of 2"), "{}", out.stdout);
    assert_eq!(offsite.in_repository(&sandbox), before);
    make(&["prune-offsite", "ENV=prod", "OLDER_THAN=1", "YES=1"]).ok();
    assert_eq!(offsite.in_repository(&sandbox), before, "none is a day old");
    make(&["prune-offsite", "ENV=prod", "KEEP=1", "YES=1"]).ok();
    assert_eq!(ids_of(&offsite, &sandbox, "prod").len(), 1);
}

/// Leaves in the repository the exclusive lock of a `restic check` killed while it ran (what a
/// run the watchdog or a user stopped hard leaves), after giving it enough data to read.
fn leave_a_dead_exclusive_lock(offsite: &Offsite, sandbox: &Sandbox) {
    let blob = sandbox.root().join("blob");
    let noise: Vec<u8> = (0..64_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&blob, noise).unwrap();
    let location = offsite.repo.display().to_string();
    offsite
        .restic(
            sandbox,
            &location,
            &[
                "backup",
                "--quiet",
                "--tag",
                "not-ours",
                &blob.display().to_string(),
            ],
        )
        .ok();
    let locks = offsite.repo.join("locks");
    for _ in 0..20 {
        let mut check = offsite
            .restic_command(sandbox, &location)
            .args(["check", "--read-data"])
            .spawn();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        // A lock file with its content (restic ignores one it cannot read), a moment to be
        // whole on disk.
        let written = || {
            std::fs::read_dir(&locks)
                .unwrap()
                .flatten()
                .any(|lock| lock.metadata().is_ok_and(|m| m.len() > 0))
        };
        while !written()
            && check.try_wait().unwrap().is_none()
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        check.kill().ok();
        check.wait().unwrap();
        // The lock counts once restic itself refuses to work for it (a kill before its lock
        // file was whole leaves one restic ignores).
        let listed = offsite.restic(sandbox, &location, &["snapshots"]);
        if listed.stderr.contains("already locked exclusively") {
            return;
        }
        offsite
            .restic(sandbox, &location, &["unlock", "--remove-all"])
            .ok();
    }
    panic!("restic check never held its lock long enough to be killed");
}

#[test]
fn a_dead_runs_exclusive_lock_is_named_with_the_way_out_and_prune_removes_it_first() {
    let sandbox = Sandbox::new();
    let Some(offsite) = Offsite::new(&sandbox) else {
        return;
    };
    sandbox.init("dev");
    send(&offsite, &sandbox, "dev");
    send(&offsite, &sandbox, "dev");
    leave_a_dead_exclusive_lock(&offsite, &sandbox);

    let listed = offsite
        .xtask(&sandbox)
        .args(["database", "backups", "--offsite", "--env", "dev"])
        .run()
        .code(1);
    for words in ["already locked exclusively", "`restic unlock`"] {
        assert!(listed.stderr.contains(words), "{words}: {}", listed.stderr);
    }

    let out = prune(&offsite, &sandbox, "dev", &["--keep", "1"]).ok();
    assert!(
        out.stdout
            .contains("removed 1 of 2 off-site snapshots of dev"),
        "{}",
        out.stdout
    );
    assert_eq!(ids_of(&offsite, &sandbox, "dev").len(), 1);
    offsite.check(&sandbox);
}
