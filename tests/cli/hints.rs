//! "What to do next" hints: each carries the selection (`--env`, `--database`, `--root`), so that
//! pasting it, as printed, in a shell where `ONSENDO_ENV` and `ONSENDO_ROOT` say otherwise acts on
//! the same database.

use crate::support::{hint_in, pasted_words, Output, Sandbox};
use std::ffi::OsString;
use std::path::PathBuf;

/// Another shell: `ONSENDO_ENV=dev` and `ONSENDO_ROOT` naming another folder of the sandbox.
fn elsewhere(sandbox: &Sandbox) -> PathBuf {
    let other = sandbox.root().join("elsewhere");
    std::fs::create_dir_all(&other).unwrap();
    other
}

/// Runs a pasted `cargo xtask …` line (the xtask binary for `cargo xtask`) in another shell.
fn paste(sandbox: &Sandbox, line: &str, before: &[&str]) -> Output {
    let words = pasted_words(line);
    let (cargo, rest) = words.split_at(2);
    let rerun = cargo != [OsString::from("cargo"), OsString::from("xtask")];
    let args = if rerun { &words[..] } else { rest };
    sandbox
        .xtask()
        .args(before)
        .args(args)
        .env("ONSENDO_ENV", "dev")
        .env("ONSENDO_ROOT", elsewhere(sandbox))
        .run()
}

fn dev_elsewhere(sandbox: &Sandbox) -> PathBuf {
    elsewhere(sandbox)
        .join("data")
        .join("db")
        .join("onsen.dev.db")
}

#[test]
fn a_hint_under_env_prod_creates_prod_when_pasted() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .onsendo()
        .args(["visit", "list", "--env", "prod"])
        .run()
        .code(1);
    let hint = hint_in(&out.stderr, "cargo xtask database init");
    assert!(hint.contains(" --env prod"), "{hint}");
    paste(&sandbox, &hint, &[]).ok();
    assert!(sandbox.db("prod").exists(), "{hint}");
    assert!(!dev_elsewhere(&sandbox).exists());
}

#[test]
fn a_hint_under_onsendo_env_prod_says_env_prod() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .onsendo()
        .args(["onsen", "list"])
        .env("ONSENDO_ENV", "prod")
        .run()
        .code(1);
    let hint = hint_in(&out.stderr, "cargo xtask database init");
    assert!(hint.contains(" --env prod"), "{hint}");
    paste(&sandbox, &hint, &[]).ok();
    assert!(sandbox.db("prod").exists());
    assert!(!dev_elsewhere(&sandbox).exists());
}

#[test]
fn a_hint_keeps_a_database_path_with_any_bytes() {
    let sandbox = Sandbox::new();
    let db = sandbox.root().join("it's $HOME; `x` \"温泉\"\nnew line.db");
    let out = sandbox
        .xtask()
        .args(["database", "status", "--database"])
        .arg(&db)
        .run()
        .code(1);
    let hint = hint_in(&out.stderr, "cargo xtask database init");
    assert!(!hint.contains('\n'), "one line: {hint}");
    assert!(hint.contains(" --database "), "{hint}");
    paste(&sandbox, &hint, &[]).ok();
    assert!(db.is_file(), "{hint}");
    assert!(!dev_elsewhere(&sandbox).exists());
}

#[test]
fn a_hint_under_root_keeps_the_root() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .xtask()
        .args(["database", "doctor", "--env", "prod", "--root"])
        .arg(sandbox.root())
        .env_remove("ONSENDO_ROOT")
        .run();
    assert_eq!(out.code, 4, "{}", out.stdout);
    let hint = hint_in(&out.stdout, "cargo xtask database init");
    assert!(hint.contains(" --root "), "{hint}");
    paste(&sandbox, &hint, &[]).ok();
    assert!(sandbox.db("prod").exists());
}

#[test]
fn the_yes_hint_names_prod_and_confirms_it_when_pasted() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    let db = sandbox.db("prod");
    let write = [
        "database",
        "exec",
        "--write",
        "UPDATE onsens SET name = name || ' (renamed)' WHERE id = 1",
    ];
    let out = sandbox
        .xtask()
        .args(write)
        .env("ONSENDO_ENV", "prod")
        .run()
        .code(3);
    let root = sandbox.root().display();
    let hint = format!("--env prod --root '{root}' --yes");
    assert!(
        out.stderr.contains(&format!(
            "re-run with `{hint}` to confirm, or with `--env prod --root '{root}' --dry-run` to preview"
        )),
        "{}",
        out.stderr
    );
    let renamed = "SELECT count(*) FROM onsens WHERE name LIKE '%(renamed)'";
    assert_eq!(sandbox.sqlite(&db, renamed), "0", "refused: nothing ran");
    paste(&sandbox, &hint, &write).ok();
    assert_eq!(sandbox.sqlite(&db, renamed), "1", "the paste changed prod");
    assert_eq!(sandbox.last_audit()["confirmation"], "--yes");
}

#[test]
fn an_app_hint_under_env_prod_lists_prod_when_pasted() {
    let sandbox = Sandbox::new();
    sandbox.init("prod");
    sandbox
        .onsendo()
        .args(["--env", "prod", "visit", "add", "--onsen", "1"])
        .args([
            "--date",
            "2026-11-01",
            "--rating",
            "7",
            "--notes",
            "prod's visit",
        ])
        .run()
        .ok();
    let out = sandbox
        .onsendo()
        .args(["--env", "prod", "visit", "show", "99"])
        .run()
        .code(2);
    let hint = hint_in(&out.stderr, "onsendo visit list");
    assert!(hint.contains(" --env prod"), "{hint}");
    let words = pasted_words(&hint);
    let listed = sandbox
        .onsendo()
        .args(&words[1..])
        .env("ONSENDO_ENV", "dev")
        .env("ONSENDO_ROOT", elsewhere(&sandbox))
        .run()
        .ok();
    assert!(listed.stdout.contains("prod's visit"), "{}", listed.stdout);
}
