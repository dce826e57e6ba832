//! Every command of both binaries, found by walking their `--help`, has a help text with examples.

use crate::support::{Run, Sandbox};

/// The subcommands listed under `Commands:` in a help text, without `help` itself.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// Walks the command tree from `path`, checking each help text; returns how many were checked.
fn check_tree(program: &dyn Fn() -> Run, path: Vec<String>) -> usize {
    let out = program().args(&path).arg("--help").run().ok();
    assert!(
        out.stdout.contains("Example"),
        "{path:?} --help has no example:\n{}",
        out.stdout
    );
    1 + subcommands(&out.stdout)
        .into_iter()
        .map(|name| {
            let mut child = path.clone();
            child.push(name);
            check_tree(program, child)
        })
        .sum::<usize>()
}

#[test]
fn every_app_command_has_examples_in_its_help() {
    let sandbox = Sandbox::new();
    let checked = check_tree(&|| sandbox.onsendo(), vec![]);
    assert!(
        checked >= 20,
        "the walk found the app's commands: {checked}"
    );
}

#[test]
fn every_developer_command_has_examples_in_its_help() {
    let sandbox = Sandbox::new();
    let checked = check_tree(&|| sandbox.xtask(), vec![]);
    assert!(
        checked >= 30,
        "the walk found the tool's commands: {checked}"
    );
}

#[test]
fn the_walk_finds_subcommands_and_skips_help() {
    let help = "About\n\nCommands:\n  add   Add one\n  list  List them\n  help  Print this\n\nOptions:\n  -h";
    assert_eq!(subcommands(help), ["add", "list"]);
    assert!(subcommands("no commands here").is_empty());
}
