//! Damaged files made by byte surgery on a real database, of the kinds a parallel "proof" of
//! `integrity_check` once missed: index cells or leaf pages out of order, an index definition
//! changed under its pages, a NULL retyped, a rowid shifted. The `sqlite3` CLI confirms each is
//! damaged; `verify`, `backup --thorough`, `restore` and `migrate-to-envs` must all say so.

use crate::support::{bytes, names_in, Sandbox};
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------------
// Reading the file format (https://sqlite.org/fileformat2.html)
// ---------------------------------------------------------------------------------------------

fn page_size(file: &[u8]) -> usize {
    match u16::from_be_bytes([file[16], file[17]]) {
        1 => 65_536,
        n => usize::from(n),
    }
}

/// A varint at `at`: its value and its length.
fn varint(file: &[u8], at: usize) -> (u64, usize) {
    let mut value = 0u64;
    for i in 0..8 {
        let byte = file[at + i];
        value = (value << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return (value, i + 1);
        }
    }
    ((value << 8) | u64::from(file[at + 8]), 9)
}

/// Where page `number` starts in the file, and where its b-tree header starts.
fn page_start(file: &[u8], number: u32) -> (usize, usize) {
    let start = (number as usize - 1) * page_size(file);
    (start, if number == 1 { start + 100 } else { start })
}

/// The offsets in the file of the cell pointers of an index leaf page.
fn cell_pointers(file: &[u8], number: u32) -> Vec<usize> {
    let (_, header) = page_start(file, number);
    assert_eq!(file[header], 0x0a, "page {number} is an index leaf");
    let count = usize::from(u16::from_be_bytes([file[header + 3], file[header + 4]]));
    (0..count).map(|i| header + 8 + 2 * i).collect()
}

/// The offset in the file of cell `i` of an index leaf page.
fn cell(file: &[u8], number: u32, i: usize) -> usize {
    let (start, _) = page_start(file, number);
    let pointer = cell_pointers(file, number)[i];
    start + usize::from(u16::from_be_bytes([file[pointer], file[pointer + 1]]))
}

/// An index record: for each field, the offset of its serial type and its serial type; and the
/// offset of the body (the first field's value).
struct Record {
    types: Vec<(usize, u64)>,
    body: usize,
}

fn record(file: &[u8], cell: usize) -> Record {
    let (_, payload_size_length) = varint(file, cell);
    let header = cell + payload_size_length;
    let (header_size, mut at) = varint(file, header);
    at += header;
    let body = header + header_size as usize;
    let mut types = Vec::new();
    while at < body {
        let (serial, length) = varint(file, at);
        types.push((at, serial));
        at += length;
    }
    Record { types, body }
}

/// The size of a value of serial type `serial`.
fn value_size(serial: u64) -> usize {
    match serial {
        0 | 8 | 9 => 0,
        1..=4 => serial as usize,
        5 => 6,
        6 | 7 => 8,
        n => ((n - 12) / 2) as usize,
    }
}

/// The leaf pages of an index, in key order, from the `sqlite3` CLI's `dbstat`.
fn leaves(sandbox: &Sandbox, db: &Path, index: &str) -> Vec<u32> {
    sandbox
        .sqlite(
            db,
            &format!(
                "SELECT pageno FROM dbstat WHERE name = '{index}' AND pagetype = 'leaf' ORDER BY path"
            ),
        )
        .lines()
        .map(|line| line.parse().unwrap())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The damage
// ---------------------------------------------------------------------------------------------

/// Two cells of an index leaf page swapped (their pointers), every byte of each cell intact.
fn swap_two_cells(sandbox: &Sandbox, db: &Path) {
    let page = leaves(sandbox, db, "visits_by_date")[1];
    let mut file = bytes(db);
    let pointers = cell_pointers(&file, page);
    let (a, b) = (pointers[3], pointers[4]);
    for i in 0..2 {
        file.swap(a + i, b + i);
    }
    std::fs::write(db, file).unwrap();
}

/// Two leaf pages of an index swapped whole.
fn swap_two_leaves(sandbox: &Sandbox, db: &Path) {
    let pages = leaves(sandbox, db, "visits_by_date");
    assert!(pages.len() >= 4, "{pages:?}");
    let mut file = bytes(db);
    let size = page_size(&file);
    let (a, _) = page_start(&file, pages[1]);
    let (b, _) = page_start(&file, pages[pages.len() - 2]);
    let first = file[a..a + size].to_vec();
    file.copy_within(b..b + size, a);
    file[b..b + size].copy_from_slice(&first);
    std::fs::write(db, file).unwrap();
}

/// The index's definition says `DESC`; its pages are in ascending order.
fn declare_descending(sandbox: &Sandbox, db: &Path) {
    sandbox.sqlite(
        db,
        "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE INDEX visits_by_date ON visits (visited_at DESC)' WHERE name = 'visits_by_date'",
    );
}

/// A NULL in an index record written as serial type 8 (the integer 0: no bytes either).
fn retype_a_null(sandbox: &Sandbox, db: &Path) {
    let page = leaves(sandbox, db, "onsens_by_region")[0];
    let mut file = bytes(db);
    let count = cell_pointers(&file, page).len();
    let at = (0..count)
        .map(|i| record(&file, cell(&file, page, i)))
        .find(|r| r.types[0].1 == 0)
        .expect("an entry with a NULL region")
        .types[0]
        .0;
    file[at] = 8;
    std::fs::write(db, file).unwrap();
}

/// The rowid at the end of an index record one higher, in the same number of bytes.
fn shift_a_rowid(sandbox: &Sandbox, db: &Path) {
    let page = leaves(sandbox, db, "visits_by_date")[1];
    let mut file = bytes(db);
    let entry = record(&file, cell(&file, page, 5));
    let (_, serial) = *entry.types.last().unwrap();
    assert!((1..=4).contains(&serial), "serial type {serial}");
    let rowid_at: usize = entry.body
        + entry.types[..entry.types.len() - 1]
            .iter()
            .map(|(_, s)| value_size(*s))
            .sum::<usize>();
    let last = rowid_at + value_size(serial) - 1;
    assert!(file[last] < 0xff, "room to add one");
    file[last] += 1;
    std::fs::write(db, file).unwrap();
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

/// A dev database made by the tool: 3000 mock visits (several index leaf pages) and three onsens
/// with no region (NULLs in `onsens_by_region`).
fn healthy_dev(sandbox: &Sandbox) -> PathBuf {
    sandbox.init("dev");
    sandbox
        .xtask()
        .args(["database", "mock-data", "--env", "dev", "--visits", "3000"])
        .run()
        .ok();
    let db = sandbox.db("dev");
    sandbox.sqlite(
        &db,
        "INSERT INTO onsens (ban_number, name, region)
         SELECT max(ban_number) + n, '名無し $''\"' || n, NULL FROM onsens, (SELECT 1 AS n UNION SELECT 2 UNION SELECT 3) GROUP BY n",
    );
    assert_eq!(sandbox.sqlite(&db, "PRAGMA integrity_check"), "ok");
    db
}

/// SQLite's `integrity_check` lines from the `sqlite3` CLI.
fn cli_findings(sandbox: &Sandbox, db: &Path) -> Vec<String> {
    let out = sandbox
        .command("sqlite3")
        .arg(db)
        .arg("PRAGMA integrity_check")
        .run();
    format!("{}{}", out.stdout, out.stderr)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Every road that claims health refuses the file `damage` makes of a healthy database.
fn every_check_finds(damage: fn(&Sandbox, &Path)) {
    let sandbox = Sandbox::new();
    let db = healthy_dev(&sandbox);
    let healthy = bytes(&db);
    damage(&sandbox, &db);
    let damaged = bytes(&db);
    assert_ne!(damaged, healthy);
    let theirs = cli_findings(&sandbox, &db);
    assert_ne!(theirs, ["ok"], "the sqlite3 CLI sees the damage");

    // verify: exit 4, SQLite's own findings shown, all of them in the JSON.
    let out = sandbox
        .xtask()
        .args(["database", "verify", "--env", "dev"])
        .run()
        .code(4);
    let ours = sandbox
        .xtask()
        .args(["database", "verify", "--env", "dev", "--json"])
        .run()
        .code(4)
        .json();
    let check = ours["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "integrity_check")
        .unwrap()
        .clone();
    assert_eq!(check["passed"], false, "{ours}");
    let findings: Vec<String> = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line.as_str().unwrap().to_string())
        .collect();
    assert!(!findings.is_empty() && findings != ["ok"], "{ours}");
    assert_eq!(
        findings, theirs,
        "SQLite's own lines, as the CLI gives them"
    );
    assert!(
        out.stdout
            .contains(&format!("✗ integrity_check: {}", findings[0])),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains(&findings[0]), "{}", out.stderr);
    assert_eq!(bytes(&db), damaged, "verify changes nothing");

    // doctor: not ready, with the same finding.
    let out = sandbox
        .xtask()
        .args(["database", "doctor", "--env", "dev"])
        .run()
        .code(4);
    let line = out
        .stdout
        .lines()
        .find(|line| line.starts_with("✗ integrity"))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(line.contains(&findings[0]), "{}", out.stdout);

    // backup --thorough: refused, nothing placed.
    let out = sandbox
        .xtask()
        .args(["database", "backup", "--env", "dev", "--thorough"])
        .run()
        .code(4);
    assert!(
        out.stderr.contains("is not healthy, so no backup was made"),
        "{}",
        out.stderr
    );
    assert_eq!(names_in(&sandbox.backup_dir()), Vec::<String>::new());

    // A plain backup copies it as it is (equal to its source), and says only that.
    let out = sandbox
        .xtask()
        .args(["database", "backup", "--env", "dev"])
        .run()
        .ok();
    assert!(out.stderr.contains("equal to its source"), "{}", out.stderr);
    assert!(!out.stderr.contains("integrity_check"), "{}", out.stderr);
    let backup = PathBuf::from(out.stdout.trim());
    assert_eq!(bytes(&backup), damaged);
    sandbox
        .xtask()
        .args(["database", "verify", "--latest", "--env", "dev"])
        .run()
        .code(4);

    // restore of that backup into a healthy live database: refused, the live file as it was.
    std::fs::write(&db, &healthy).unwrap();
    let out = sandbox
        .xtask()
        .args(["database", "restore", "--env", "dev", "--yes"])
        .arg(&backup)
        .run()
        .code(4);
    assert!(out.stderr.contains("refusing to restore"), "{}", out.stderr);
    assert_eq!(bytes(&db), healthy, "the live database is untouched");
    assert_eq!(
        names_in(&sandbox.backup_dir()).len(),
        2,
        "no pre-restore backup"
    );

    // migrate-to-envs from the damaged file as the legacy database: nothing placed.
    let split = Sandbox::new();
    let legacy = split.root().join("data").join("db").join("onsen.db");
    std::fs::create_dir_all(legacy.parent().unwrap()).unwrap();
    std::fs::write(&legacy, &damaged).unwrap();
    let out = split
        .xtask()
        .args(["database", "migrate-to-envs", "--yes"])
        .run()
        .code(4);
    assert!(
        out.stderr.contains("is not healthy, so nothing was split"),
        "{}",
        out.stderr
    );
    assert!(!split.db("prod").exists() && !split.db("dev").exists());
    assert!(
        names_in(&split.backup_dir())
            .iter()
            .all(|name| name.starts_with('.') || !name.ends_with(".db")),
        "{:?}",
        names_in(&split.backup_dir())
    );
    assert_eq!(bytes(&legacy), damaged);
}

#[test]
fn two_index_cells_swapped_within_a_leaf_are_found() {
    every_check_finds(swap_two_cells);
}

#[test]
fn two_index_leaf_pages_swapped_are_found() {
    every_check_finds(swap_two_leaves);
}

#[test]
fn an_index_declared_descending_over_ascending_pages_is_found() {
    every_check_finds(declare_descending);
}

#[test]
fn a_null_written_with_another_serial_type_is_found() {
    every_check_finds(retype_a_null);
}

#[test]
fn a_rowid_shifted_inside_an_index_record_is_found() {
    every_check_finds(shift_a_rowid);
}

/// The `verify --json` report's `integrity_check` findings, and the human report and error.
fn verify_findings(sandbox: &Sandbox, file: &Path) -> (Vec<String>, String, String) {
    let report = sandbox
        .xtask()
        .args(["database", "verify", "--json"])
        .arg(file)
        .run()
        .code(4)
        .json();
    let findings = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "integrity_check")
        .and_then(|c| c["findings"].as_array())
        .unwrap_or_else(|| panic!("{report}"))
        .iter()
        .map(|line| line.as_str().unwrap().to_string())
        .collect();
    let out = sandbox
        .xtask()
        .args(["database", "verify"])
        .arg(file)
        .run()
        .code(4);
    (findings, out.stdout, out.stderr)
}

#[test]
fn more_than_ten_findings_show_the_first_ten_and_how_many_more() {
    let sandbox = Sandbox::new();
    let db = healthy_dev(&sandbox);
    declare_descending(&sandbox, &db);
    let theirs = cli_findings(&sandbox, &db);
    let (findings, stdout, stderr) = verify_findings(&sandbox, &db);
    assert_eq!(findings, theirs, "every line, in the JSON");
    assert!(findings.len() > 11, "{findings:?}");
    let more = format!("… and {} more", findings.len() - 10);
    let shown = format!("{}; {more}", findings[..10].join("; "));
    assert!(
        stdout.contains(&format!("✗ integrity_check: {shown}\n")),
        "{stdout}"
    );
    assert!(stderr.contains(&shown), "{stderr}");
    assert!(!stdout.contains(&findings[10]), "{stdout}");
}

#[test]
fn findings_before_an_error_are_shown_with_the_error() {
    let sandbox = Sandbox::new();
    let db = healthy_dev(&sandbox);
    // The right-most child of the visits table's interior page points past the end of the file:
    // SQLite reports it, then stops with an error when its scan of the table reaches it.
    let page: u32 = sandbox
        .sqlite(
            &db,
            "SELECT pageno FROM dbstat WHERE name = 'visits' AND pagetype = 'internal' LIMIT 1",
        )
        .parse()
        .unwrap();
    let mut file = bytes(&db);
    let (_, header) = page_start(&file, page);
    assert_eq!(file[header], 0x05, "a table interior page");
    file[header + 8..header + 12].copy_from_slice(&99_999u32.to_be_bytes());
    std::fs::write(&db, file).unwrap();
    let cli = sandbox
        .command("sqlite3")
        .arg(&db)
        .arg("PRAGMA integrity_check")
        .run();
    assert!(cli.stdout.contains("99999"), "{}", cli.stdout);
    assert!(cli.stderr.contains("malformed"), "{}", cli.stderr);

    let (findings, stdout, stderr) = verify_findings(&sandbox, &db);
    assert!(
        findings
            .iter()
            .any(|line| line.contains("invalid page number 99999")),
        "{findings:?}"
    );
    assert_eq!(
        findings.last().unwrap(),
        "the check stopped: database disk image is malformed"
    );
    for text in [&stdout, &stderr] {
        assert!(text.contains("invalid page number 99999"), "{text}");
        assert!(
            text.contains("the check stopped: database disk image is malformed"),
            "{text}"
        );
    }
}
