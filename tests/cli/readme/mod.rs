//! The README stays true: every example block in it runs, command by command, in a temporary root
//! (`onsendo` and `cargo xtask` are the built binaries), and prints what the README shows. The
//! rules for writing examples are in the README's "Tests" section.

mod blocks;
mod compare;

use crate::support::{bin_dir, Output, Sandbox};
use std::path::Path;

/// The README's root, which stands for the test's temporary root.
const README_ROOT: &str = "/home/me/onsendo";

/// The most examples that may be marked `skip`: what cannot run is the exception.
const MOST_SKIPPED: usize = 6;

/// A temporary root set up as a clone of the repository (so it is found as the root from the
/// current folder, as on a developer's machine), with `onsendo` and `cargo` on PATH running the
/// built binaries.
struct Root {
    sandbox: Sandbox,
    /// What stands for what between a run here and the README: this root for `/home/me/onsendo`,
    /// the built binaries' folder for its `target/debug`, this machine's host for `box`.
    names: Vec<(String, String)>,
    /// The folder of the `onsendo` and `cargo` put first on PATH.
    bin: tempfile::TempDir,
}

impl Root {
    fn new() -> Root {
        let sandbox = Sandbox::as_long_as_the_readme_root();
        let repository = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = sandbox.root();
        std::fs::write(root.join("Cargo.toml"), "").unwrap();
        std::fs::copy(repository.join("Makefile"), root.join("Makefile")).unwrap();
        copy_folder(&repository.join("migrations"), &root.join("migrations"));
        let bin = tempfile::tempdir().unwrap();
        shims(bin.path());
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        let names = vec![
            (
                bin_dir().display().to_string(),
                format!("{README_ROOT}/target/debug"),
            ),
            (
                root.to_str().expect("a UTF-8 root").to_string(),
                README_ROOT.to_string(),
            ),
            (format!("me@{}", host.trim()), "me@box".to_string()),
        ];
        Root {
            sandbox,
            names,
            bin,
        }
    }

    /// Runs `command` with bash in the root, as the user `me` at a prompt there: stderr joined to
    /// stdout, no terminal, no `ONSENDO_ENV`, `ONSENDO_ROOT` or `NO_COLOR`. (The sandbox's own
    /// variable, `ONSENDO_TEST_SANDBOX`, stays: its line in `config show` is left out of the
    /// output.)
    fn run(&self, command: &str) -> Output {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![self.bin.path().to_path_buf()];
        paths.extend(std::env::split_paths(&path));
        self.sandbox
            .command("bash")
            .arg("-c")
            .arg(format!("exec 2>&1\n{command}"))
            .env_remove("ONSENDO_ENV")
            .env_remove("ONSENDO_ROOT")
            .env_remove("NO_COLOR")
            .env("USER", "me")
            .env("PATH", std::env::join_paths(paths).unwrap())
            .run()
    }
}

/// `onsendo` and `cargo` in `bin`: the built app binary, and `cargo xtask …` as the built
/// developer tool (the Makefile's `cargo run --quiet --bin onsendo -- …` as the app): never a
/// nested cargo build.
fn shims(bin: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let built = bin_dir();
    std::os::unix::fs::symlink(built.join("onsendo"), bin.join("onsendo")).unwrap();
    let cargo = format!(
        "#!/bin/sh\n\
         case \"$*\" in\n\
         xtask|'xtask '*) shift; exec '{xtask}' \"$@\" ;;\n\
         'run --quiet --bin onsendo --'*) shift 4; exec '{onsendo}' \"$@\" ;;\n\
         esac\n\
         echo \"the README test runs the built binaries, not \\`cargo $*\\`\" >&2\n\
         exit 127\n",
        xtask = built.join("xtask").display(),
        onsendo = built.join("onsendo").display(),
    );
    std::fs::write(bin.join("cargo"), cargo).unwrap();
    std::fs::set_permissions(bin.join("cargo"), std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The failures of one block run in `root`, each a report naming its README line.
fn run_block(block: &blocks::Block, root: &Root) -> Vec<String> {
    for (line, command) in &block.directives.given {
        let out = root.run(command);
        if out.code != 0 {
            return vec![format!(
                "README.md:{line}: `given {command}` failed (exit {}):\n{}",
                out.code, out.stdout
            )];
        }
    }
    let end = block.steps.last().map_or(block.line, |s| {
        s.expected.last().map_or(s.line, |(line, _)| *line) + 1
    });
    let mut failures = Vec::new();
    for (k, step) in block.steps.iter().enumerate() {
        let out = root.run(&step.command);
        let actual = compare::normalise(&out.stdout, &root.names);
        let actual: Vec<&str> = actual
            .trim_end_matches('\n')
            .lines()
            .filter(|line| !line.starts_with("ONSENDO_TEST_SANDBOX "))
            .collect();
        let shown: Vec<(usize, String)> = step
            .expected
            .iter()
            .map(|(n, text)| (*n, compare::normalise(text, &root.names)))
            .collect();
        let expected: Vec<&str> = shown.iter().map(|(_, text)| text.as_str()).collect();
        let expected = trim_blank_end(&expected);
        if !compare::matches(expected, &actual) {
            let step_end = block.steps.get(k + 1).map_or(end, |next| next.line);
            failures.push(format!(
                "README.md:{}: $ {}\n{}\n--- the README shows\n{}\n--- the command printed (exit {})\n{}",
                step.line,
                step.command,
                compare::first_difference(&shown[..expected.len()], &actual, step_end),
                expected.join("\n"),
                out.code,
                actual.join("\n"),
            ));
        }
    }
    failures
}

/// `lines` without the blank lines at its end (the blank line before the next command).
fn trim_blank_end<'a, 'b>(lines: &'b [&'a str]) -> &'b [&'a str] {
    let keep = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(0, |i| i + 1);
    &lines[..keep]
}

#[test]
fn every_readme_example_prints_what_the_readme_shows() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let examples = blocks::examples(&readme).unwrap_or_else(|e| panic!("{e}"));
    let skipped: Vec<String> = examples
        .iter()
        .filter_map(|b| {
            b.directives
                .skip
                .as_ref()
                .map(|why| format!("README.md:{}: {why}", b.line))
        })
        .collect();
    assert!(
        skipped.len() <= MOST_SKIPPED,
        "more than {MOST_SKIPPED} examples are marked skip; make them run:\n{}",
        skipped.join("\n")
    );
    let mut root: Option<Root> = None;
    let mut failures = Vec::new();
    let mut ran = 0;
    for block in examples.iter().filter(|b| b.directives.skip.is_none()) {
        if !block.directives.continues || root.is_none() {
            root = Some(Root::new());
        }
        failures.extend(run_block(block, root.as_ref().unwrap()));
        ran += block.steps.len();
    }
    assert!(
        ran >= 40,
        "the README's examples were found: {ran} commands"
    );
    assert!(
        failures.is_empty(),
        "{} README example(s) print something else than the README shows (update the README, or the \
         binary if it is wrong):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
