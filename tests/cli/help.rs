//! Every command of both binaries, found by walking their `--help`, has a help text with examples.

use crate::support::{Run, Sandbox};

/// The subcommands a help text lists, without `help` itself: under `Commands:`, or under the
/// task headings `database --help` groups them by (any heading before the arguments and options).
fn subcommands(help: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut listing = false;
    for line in help.lines() {
        if line == "Arguments:" || line == "Options:" {
            break;
        }
        if !line.starts_with(' ') {
            listing = line.ends_with(':') && !line.starts_with("Usage:");
            continue;
        }
        if let Some(name) = line.split_whitespace().next().filter(|_| listing) {
            if name != "help" && !name.starts_with('-') {
                names.push(name.to_string());
            }
        }
    }
    names
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
    let grouped = "About\n\nSet up:\n  init  Create\n\nBackups:\n  backup  Make one\n\nOptions:\n      --env <NAME>  Which\n\nExamples:\n  cargo xtask x";
    assert_eq!(subcommands(grouped), ["init", "backup"]);
}
