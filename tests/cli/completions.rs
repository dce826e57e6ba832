//! `onsendo completions` and `cargo xtask completions`: scripts that real bash loads and completes
//! with, and the zsh and fish forms.

use crate::support::Sandbox;

/// What bash completes for `line` (the words so far, the last one being completed) after
/// loading `script`.
fn bash_completes(sandbox: &Sandbox, script: &str, function: &str, words: &[&str]) -> Vec<String> {
    let path = sandbox.root().join("completion.bash");
    std::fs::write(&path, script).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source \"$1\"; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}; {function} {} \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        quoted.join(" "),
        words.len() - 1,
        words[0],
    );
    let out = sandbox
        .command("bash")
        .args(["-c", &program, "bash"])
        .arg(&path)
        .run()
        .ok();
    out.stdout.lines().map(String::from).collect()
}

#[test]
fn bash_completes_onsendo_subcommands_and_flags() {
    let sandbox = Sandbox::new();
    let script = sandbox
        .onsendo()
        .args(["completions", "bash"])
        .run()
        .ok()
        .stdout;
    let top = bash_completes(&sandbox, &script, "_onsendo", &["onsendo", ""]);
    for expected in ["onsen", "visit", "location", "completions", "--env"] {
        assert!(top.contains(&expected.to_string()), "{expected} in {top:?}");
    }
    let visit = bash_completes(&sandbox, &script, "_onsendo", &["onsendo", "visit", ""]);
    assert!(visit.contains(&"add".to_string()), "{visit:?}");
}

#[test]
fn bash_completes_xtask_database_commands() {
    let sandbox = Sandbox::new();
    let script = sandbox
        .xtask()
        .args(["completions", "bash"])
        .run()
        .ok()
        .stdout;
    let database = bash_completes(&sandbox, &script, "_xtask", &["xtask", "database", ""]);
    for expected in [
        "migrate-to-envs",
        "backup",
        "restore",
        "seed",
        "reset",
        "mock-data",
        "exec",
        "shell",
    ] {
        assert!(
            database.contains(&expected.to_string()),
            "{expected} in {database:?}"
        );
    }
}

#[test]
fn zsh_and_fish_scripts_name_their_command_and_an_unknown_shell_is_a_usage_error() {
    let sandbox = Sandbox::new();
    let zsh = sandbox
        .onsendo()
        .args(["completions", "zsh"])
        .run()
        .ok()
        .stdout;
    assert!(
        zsh.starts_with("#compdef onsendo"),
        "{}",
        &zsh[..zsh.len().min(80)]
    );
    let fish = sandbox
        .xtask()
        .args(["completions", "fish"])
        .run()
        .ok()
        .stdout;
    assert!(
        fish.contains("complete -c xtask"),
        "fish script names xtask"
    );
    assert!(fish.contains("migrate-to-envs"));
    let bad = sandbox.onsendo().args(["completions", "tcsh"]).run();
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("bash"),
        "lists the valid shells: {}",
        bad.stderr
    );
}

#[test]
fn bash_completes_env_with_the_environments_and_database_with_files() {
    let sandbox = Sandbox::new();
    std::fs::write(sandbox.root().join("onsen.copy.db"), "").unwrap();
    for (program, function, words) in [
        (
            "onsendo",
            "_onsendo",
            &["onsendo", "visit", "list", "--env", ""][..],
        ),
        (
            "xtask",
            "_xtask",
            &["xtask", "database", "status", "--env", ""],
        ),
    ] {
        let run = if program == "xtask" {
            sandbox.xtask()
        } else {
            sandbox.onsendo()
        };
        let script = run.args(["completions", "bash"]).run().ok().stdout;
        let mut envs = bash_completes(&sandbox, &script, function, words);
        envs.sort();
        assert_eq!(envs, ["dev", "prod", "test"], "{program}");
        let mut database_words = words[..words.len() - 2].to_vec();
        database_words.extend(["--database", "onsen.c"]);
        let files = bash_completes(&sandbox, &script, function, &database_words);
        assert_eq!(files, ["onsen.copy.db"], "{program}");
    }
}

#[test]
fn help_shows_a_commands_own_flags_first_and_the_global_ones_under_their_heading() {
    let sandbox = Sandbox::new();
    for (run, args) in [
        (sandbox.onsendo(), &["visit", "list", "--help"][..]),
        (sandbox.xtask(), &["database", "backup", "--help"]),
    ] {
        let help = run.args(args).run().ok().stdout;
        let own = help.find("\nOptions:\n").expect("own options");
        let global = help.find("\nGlobal options:\n").expect("global heading");
        let env = help.find("--env <NAME>").unwrap();
        assert!(own < global && global < env, "{help}");
        assert!(
            help.contains("[possible values: dev, prod, test]"),
            "{help}"
        );
    }
}
