//! Progress lines: drawn on a terminal for work that takes more than a second, never on a pipe.

use crate::support::Sandbox;

/// Enough visits to take more than a second in a debug build.
const VISITS: &str = "400000";

#[test]
fn long_work_shows_a_progress_bar_on_a_terminal_and_nothing_on_a_pipe() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let piped = sandbox
        .xtask()
        .args(["database", "mock-data", "--visits", VISITS])
        .run()
        .ok();
    assert!(!piped.stderr.contains('\r'), "{}", piped.stderr);
    assert!(
        !piped.stderr.contains("adding mock data ["),
        "{}",
        piped.stderr
    );

    let xtask = sandbox.onsendo_path().with_file_name("xtask");
    let command = format!("'{}' database mock-data --visits {VISITS}", xtask.display());
    let on_terminal = sandbox
        .command("script")
        .args(["-qec", &command, "/dev/null"])
        .run()
        .ok();
    assert!(
        on_terminal.stdout.contains("adding mock data [#"),
        "a bar on the terminal: {}",
        on_terminal.stdout
    );
    assert!(
        on_terminal.stdout.contains(" visits "),
        "{}",
        on_terminal.stdout
    );
    assert!(
        on_terminal.stdout.contains("\r\x1b[2K"),
        "the line is erased when the work ends"
    );
    assert!(on_terminal.stdout.contains("added 400000 visits"));
}
