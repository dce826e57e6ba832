//! Progress lines: drawn on a terminal for work that takes more than a second (mock data, an
//! import), never on a pipe.

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
    let on_terminal = sandbox.on_a_terminal(&command).run().ok();
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

#[test]
fn a_long_import_shows_its_bar_on_a_terminal() {
    let sandbox = Sandbox::new();
    sandbox.init("test");
    let rows = 300_000;
    let mut csv = String::from("visited_at,onsen_ban,rating\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "2026-0{}-1{},{},{}\n",
            1 + i % 9,
            i % 9,
            1 + i % 8,
            1 + i % 10
        ));
    }
    let file = sandbox.root().join("many visits.csv");
    std::fs::write(&file, csv).unwrap();
    let command = format!(
        "'{}' visit import '{}'",
        sandbox.onsendo_path().display(),
        file.display()
    );
    let on_terminal = sandbox.on_a_terminal(&command).run().ok();
    assert!(
        on_terminal.stdout.contains("importing [#"),
        "a bar on the terminal: {}",
        on_terminal.stdout.len()
    );
    let size = std::fs::metadata(&file).unwrap().len();
    assert!(
        on_terminal
            .stdout
            .contains(&format!(" / {:.1} MiB", size as f64 / 1024.0 / 1024.0)),
        "the bar counts the file's bytes, as the import reads it in one pass"
    );
    assert!(on_terminal.stdout.contains("imported 300000 visits"));
    assert_eq!(
        sandbox.sqlite(&sandbox.db("test"), "SELECT count(*) FROM visits"),
        "300000"
    );
}
