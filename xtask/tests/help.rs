//! The xtask's command-line surface: every command documents itself with examples.
//! (This test target also makes `cargo test` build the xtask binary that `tests/cli` runs.)

#[path = "../../tests/support/mod.rs"]
mod support;

use support::Sandbox;

#[test]
fn every_command_has_help_with_examples() {
    let sandbox = Sandbox::new();
    for command in [
        vec![],
        vec!["database"],
        vec!["database", "init"],
        vec!["database", "path"],
        vec!["database", "env"],
        vec!["database", "stamp"],
        vec!["ci"],
    ] {
        let out = sandbox.xtask().args(&command).arg("--help").run().ok();
        assert!(
            out.stdout.contains("Example"),
            "{command:?}: {}",
            out.stdout
        );
        for flag in ["--env", "--database", "--dry-run", "--yes"] {
            assert!(out.stdout.contains(flag), "{command:?} --help lists {flag}");
        }
    }
}

#[test]
fn unknown_commands_and_environments_are_usage_errors() {
    let sandbox = Sandbox::new();
    sandbox
        .xtask()
        .args(["database", "frobnicate"])
        .run()
        .code(2);
    let out = sandbox
        .xtask()
        .args(["database", "init", "--env", "staging"])
        .run()
        .code(2);
    assert!(
        out.stderr.contains("valid names: dev, prod, test"),
        "{}",
        out.stderr
    );
}
