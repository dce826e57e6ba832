//! What both binaries show people: the prod banner, the dev line, the typed confirmation,
//! errors and JSON. Colour only on a terminal and never with `NO_COLOR`.
//! `progress` draws the progress line of long steps.
//!
//! May use: `shared`, `selection`.

pub(crate) mod progress;

use crate::selection::env::Environment;
use crate::shared::error::{exit_code_of, Error, Result};
use owo_colors::{OwoColorize, Stream};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

/// The banner shown on stderr before a write on prod.
pub(crate) fn banner_text(
    env: Environment,
    path: &Path,
    operation: &str,
    decided_by: &str,
) -> String {
    let rows = [
        format!("{} DATABASE", env.name().to_uppercase()),
        format!("environment: {env} (from {decided_by})"),
        format!("database:    {}", shown_path(path)),
        format!("operation:   {}", escape_controls(operation)),
    ];
    let width = rows.iter().map(|row| display_width(row)).max().unwrap_or(0) + 4;
    let rule = "=".repeat(width);
    let mut text = format!("{rule}\n");
    for row in rows {
        text.push_str(&format!("  {row}\n"));
    }
    text.push_str(&rule);
    text
}

/// Prints the prod banner on stderr.
pub(crate) fn show_banner(env: Environment, path: &Path, operation: &str, decided_by: &str) {
    let text = banner_text(env, path, operation, decided_by);
    eprintln!(
        "{}",
        text.if_supports_color(Stream::Stderr, |t| t.red().bold().to_string())
    );
}

/// The one line naming the database, shown on stderr before a write outside prod.
pub(crate) fn write_line(env: Environment, path: &Path, operation: &str, custom: bool) -> String {
    let label = if custom {
        format!("{env} care, custom database")
    } else {
        env.to_string()
    };
    format!(
        "{label}: {} on `{}`",
        escape_controls(operation),
        shown_path(path)
    )
}

/// Prints the one-line notice on stderr.
pub(crate) fn show_write_line(env: Environment, path: &Path, operation: &str, custom: bool) {
    let line = write_line(env, path, operation, custom);
    eprintln!(
        "{}",
        line.if_supports_color(Stream::Stderr, |t| t.dimmed().to_string())
    );
}

/// Whether a person can answer a question: stdin and stderr are terminals.
pub(crate) fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks on stderr for the environment name to be typed, reading the answer from `input`.
pub(crate) fn ask_typed(env: Environment, input: &mut impl BufRead) -> Result<()> {
    eprint!("Type `{env}` to continue, anything else to cancel: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    input
        .read_line(&mut answer)
        .map_err(|e| Error::failed("cannot read the confirmation").because(e))?;
    if answer.trim() == env.name() {
        Ok(())
    } else {
        Err(Error::refused(format!(
            "confirmation did not match `{env}`; nothing was changed"
        )))
    }
}

/// Set by the SIGINT handler that [`confirm_on_terminal`] installs while it waits.
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn on_interrupt(_signal: libc::c_int) {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// This process's stdin, read without a buffer of std's, whose read gives up when Ctrl-C
/// (SIGINT) arrives: the handler is installed without `SA_RESTART`, so the waiting read returns
/// `EINTR`, which std's readers would retry forever.
struct InterruptibleStdin;

impl std::io::Read for InterruptibleStdin {
    /// Waits for input in short polls, looking at the Ctrl-C flag between them, so a Ctrl-C that
    /// lands just before the wait starts is seen too (a plain `read` would block past it).
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let mut stdin = libc::pollfd {
            fd: libc::STDIN_FILENO,
            events: libc::POLLIN,
            revents: 0,
        };
        loop {
            if INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(std::io::Error::other("interrupted"));
            }
            // SAFETY: polls one descriptor described by a struct this function owns.
            let ready = unsafe { libc::poll(&mut stdin, 1, 100) };
            if ready == 0 {
                continue;
            }
            if ready < 0 {
                let error = std::io::Error::last_os_error();
                if error.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(error);
            }
            // SAFETY: reads into a buffer this function borrows mutably, at most its length.
            let read =
                unsafe { libc::read(libc::STDIN_FILENO, buffer.as_mut_ptr().cast(), buffer.len()) };
            if read >= 0 {
                return Ok(read as usize);
            }
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::Interrupted {
                return Err(error);
            }
        }
    }
}

/// [`ask_typed`] on the terminal: Ctrl-C while it waits is a refusal (exit 3), which the
/// session records in the audit log like any other, instead of killing the process unrecorded.
/// The previous SIGINT disposition is restored before it returns.
pub(crate) fn confirm_on_terminal(env: Environment) -> Result<()> {
    use std::sync::atomic::Ordering;
    INTERRUPTED.store(false, Ordering::SeqCst);
    // SAFETY: sigaction with a handler that only stores to an atomic (async-signal-safe), and
    // structs zeroed then filled as sigaction(2) describes; the old disposition is kept to
    // restore.
    let previous = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        let mut previous: libc::sigaction = std::mem::zeroed();
        (libc::sigaction(libc::SIGINT, &action, &mut previous) == 0).then_some(previous)
    };
    let answer = ask_typed(env, &mut std::io::BufReader::new(InterruptibleStdin));
    if let Some(previous) = previous {
        // SAFETY: puts back the disposition sigaction returned above.
        unsafe { libc::sigaction(libc::SIGINT, &previous, std::ptr::null_mut()) };
    }
    if INTERRUPTED.swap(false, Ordering::SeqCst) {
        eprintln!();
        return Err(Error::refused(format!(
            "interrupted (Ctrl-C) at the confirmation to type `{env}`; nothing was changed"
        )));
    }
    answer
}

/// The one-line notice of a command that waits for `who` (the lock's holder) to finish with
/// `database`.
pub(crate) fn waiting_for(database: &Path, who: &str) {
    eprintln!(
        "waiting for {who} to finish with `{}` …",
        escape_controls(&database.display().to_string())
    );
}

/// Prints an error as one line plus its causes, and returns its exit code.
pub fn report_error(error: &(dyn std::error::Error + 'static)) -> ExitCode {
    let label = "error:"
        .if_supports_color(Stream::Stderr, |t| t.red().bold().to_string())
        .to_string();
    eprintln!("{label} {}", error_line(error));
    ExitCode::from(exit_code_of(error))
}

/// An error and its causes on one line, control characters escaped ([`escape_controls`]); a
/// cause that only repeats the one before it is shown once, and SQLite's errors by their
/// message, without rusqlite's repetition of it under an error code number.
pub(crate) fn error_line(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut previous = String::new();
    let mut cause = error.source();
    while let Some(e) = cause {
        let shown = sqlite_message(e).unwrap_or_else(|| e.to_string());
        if shown != previous {
            text.push_str(&format!(": {shown}"));
        }
        previous = shown;
        cause = match e.downcast_ref::<rusqlite::Error>() {
            Some(rusqlite::Error::SqliteFailure(..)) => None,
            _ => e.source(),
        };
    }
    escape_controls(&text)
}

/// SQLite's own message for an error of SQLite's, without its code number.
fn sqlite_message(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let described = |e: &rusqlite::ffi::Error| rusqlite::ffi::code_to_str(e.extended_code);
    match error.downcast_ref::<rusqlite::Error>() {
        Some(rusqlite::Error::SqliteFailure(_, Some(message))) => Some(message.clone()),
        Some(rusqlite::Error::SqliteFailure(e, None)) => Some(described(e).to_string()),
        _ => error
            .downcast_ref::<rusqlite::ffi::Error>()
            .map(|e| described(e).to_string()),
    }
}

/// `text` with its control characters (a newline, a carriage return, ESC) written as escapes
/// (`\n`, `\r`, `\u{1b}`), so that a path or value in a message cannot forge lines or drive
/// the terminal. Every message that shows a user's path or value goes through it: errors (in
/// [`report_error`]), the banner and the write line.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c.is_control() {
            true => out.extend(c.escape_default()),
            false => out.push(c),
        }
    }
    out
}

/// A path as messages show it: through [`escape_controls`].
pub(crate) fn shown_path(path: &Path) -> String {
    escape_controls(&path.display().to_string())
}

/// Prints a JSON value on stdout, pretty.
pub fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// A JSON array written as its items come, one object a line, in constant memory: `[` then each
/// item, and `]` at [`JsonArrayWriter::finish`] (`[]` when none came).
pub struct JsonArrayWriter<W: std::io::Write> {
    out: W,
    items: u64,
}

impl<W: std::io::Write> JsonArrayWriter<W> {
    /// Starts the array.
    pub fn new(mut out: W) -> std::io::Result<Self> {
        out.write_all(b"[")?;
        Ok(Self { out, items: 0 })
    }

    /// Writes one item.
    pub fn item(&mut self, value: &serde_json::Value) -> std::io::Result<()> {
        let separator = if self.items == 0 { "\n  " } else { ",\n  " };
        self.items += 1;
        write!(self.out, "{separator}{value}")
    }

    /// Ends the array; returns how many items it holds.
    pub fn finish(mut self) -> std::io::Result<u64> {
        let end: &[u8] = if self.items == 0 { b"]\n" } else { b"\n]\n" };
        self.out.write_all(end)?;
        self.out.flush()?;
        Ok(self.items)
    }
}

/// How many columns `text` takes on a terminal: two for each wide character (漢字, かな, full-width
/// forms), none for combining marks, as Unicode's East Asian Width says.
pub fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// Rows as an aligned text table with a header line; an empty list says so.
pub fn table(headers: &[&str], rows: &[Vec<String>], empty: &str) -> String {
    let mut out = Vec::new();
    let mut writer = TableWriter::new(&mut out, headers);
    for row in rows {
        writer.row(row.clone()).expect("writing to memory");
    }
    writer.finish(empty).expect("writing to memory");
    String::from_utf8_lossy(&out)
        .trim_end_matches('\n')
        .to_string()
}

/// How many rows a [`TableWriter`] holds to measure its columns before it writes.
pub const ALIGN_ROWS: usize = 1000;

/// An aligned text table written as its rows come, in constant memory: the header and the first
/// [`ALIGN_ROWS`] rows set the column widths, then rows are written as they arrive (a later cell
/// longer than its column pushes the rest of its line right). A table of fewer rows is aligned
/// exactly, as [`table`] is.
pub struct TableWriter<W: std::io::Write> {
    out: W,
    /// The header line, until it is written.
    headers: Option<Vec<String>>,
    widths: Vec<usize>,
    held: Vec<Vec<String>>,
    rows: u64,
}

impl<W: std::io::Write> TableWriter<W> {
    pub fn new(out: W, headers: &[&str]) -> Self {
        Self {
            out,
            headers: Some(headers.iter().map(ToString::to_string).collect()),
            widths: headers.iter().map(|h| display_width(h)).collect(),
            held: Vec::new(),
            rows: 0,
        }
    }

    /// Adds a row: held while the widths are measured, written at once after. Control characters
    /// in a cell (a newline in a note, an escape sequence) are shown escaped (`\n`, `\u{1b}`):
    /// one row stays one line, and no value can drive the terminal.
    pub fn row(&mut self, cells: Vec<String>) -> std::io::Result<()> {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|cell| match cell.contains(char::is_control) {
                true => escape_controls(&cell),
                false => cell,
            })
            .collect();
        self.rows += 1;
        if self.rows as usize > ALIGN_ROWS {
            return self.write_line(&cells);
        }
        for (width, cell) in self.widths.iter_mut().zip(&cells) {
            *width = (*width).max(display_width(cell));
        }
        self.held.push(cells);
        if self.held.len() == ALIGN_ROWS {
            self.write_held()?;
        }
        Ok(())
    }

    /// Writes what is still held, or `empty` when no row came; returns how many rows came.
    pub fn finish(mut self, empty: &str) -> std::io::Result<u64> {
        if self.rows == 0 {
            writeln!(self.out, "{empty}")?;
        } else {
            self.write_held()?;
        }
        self.out.flush()?;
        Ok(self.rows)
    }

    fn write_held(&mut self) -> std::io::Result<()> {
        if let Some(headers) = self.headers.take() {
            self.write_line(&headers)?;
        }
        for cells in std::mem::take(&mut self.held) {
            self.write_line(&cells)?;
        }
        Ok(())
    }

    fn write_line(&mut self, cells: &[String]) -> std::io::Result<()> {
        let padded: Vec<String> = cells
            .iter()
            .zip(&self.widths)
            .map(|(cell, width)| {
                // Padded by hand: `format!`'s width stops at 65,535, and a note can be longer.
                let pad = width.saturating_sub(display_width(cell));
                format!("{cell}{}", " ".repeat(pad))
            })
            .collect();
        writeln!(self.out, "{}", padded.join("  ").trim_end())
    }
}

/// A byte count for people: `812 B`, `4.0 KiB`, `1.2 GiB`.
pub fn size(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// How many lines of a list [`at_most`] shows.
pub(crate) const SHOWN_LINES: usize = 10;

/// The first [`SHOWN_LINES`] of `lines`, then `… and N more` for the rest: what a report shows of
/// a long list (SQLite's findings, files found), never hiding how many there were.
pub fn at_most(lines: &[String]) -> Vec<String> {
    let mut shown: Vec<String> = lines.iter().take(SHOWN_LINES).cloned().collect();
    if lines.len() > SHOWN_LINES {
        shown.push(format!("… and {} more", lines.len() - SHOWN_LINES));
    }
    shown
}

/// An optional value as table text (`-` when absent), control characters escaped.
pub fn cell<T: std::fmt::Display>(value: &Option<T>) -> String {
    value
        .as_ref()
        .map_or_else(|| "-".to_string(), |v| escape_controls(&v.to_string()))
}

/// A count with its noun, singular for one: `1 visit`, `3 visits`. `noun` is the singular, and
/// its plural adds `s`.
pub fn counted(n: impl std::fmt::Display, noun: &str) -> String {
    let n = n.to_string();
    let plural = if n == "1" { "" } else { "s" };
    format!("{n} {noun}{plural}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::error::Kind;

    #[test]
    fn long_lists_show_ten_lines_and_count_the_rest() {
        let lines = |n: usize| (1..=n).map(|i| format!("line {i}")).collect::<Vec<_>>();
        assert_eq!(at_most(&lines(3)), lines(3));
        assert_eq!(at_most(&lines(10)), lines(10));
        let shown = at_most(&lines(23));
        assert_eq!(shown.len(), 11);
        assert_eq!(shown[..10], lines(10)[..]);
        assert_eq!(shown[10], "… and 13 more");
    }

    #[test]
    fn counts_are_singular_for_one() {
        assert_eq!(counted(1, "visit"), "1 visit");
        assert_eq!(counted(0usize, "visit"), "0 visits");
        assert_eq!(counted(12i64, "invalid row"), "12 invalid rows");
    }

    #[test]
    fn banner_names_environment_path_operation_and_rule() {
        let text = banner_text(
            Environment::Prod,
            Path::new("/r/data/db/onsen.prod.db"),
            "visit delete 3",
            "--env",
        );
        assert!(text.contains("PROD DATABASE"));
        assert!(text.contains("environment: prod (from --env)"));
        assert!(text.contains("database:    /r/data/db/onsen.prod.db"));
        assert!(text.contains("operation:   visit delete 3"));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.first(), lines.last());
        assert!(lines
            .iter()
            .all(|line| line.chars().count() <= lines[0].len()));
    }

    #[test]
    fn tables_align_columns() {
        let rows = vec![
            vec!["1".to_string(), "Takegawara".to_string()],
            vec!["12".to_string(), "-".to_string()],
        ];
        assert_eq!(
            table(&["id", "name"], &rows, "none"),
            "id  name\n1   Takegawara\n12  -"
        );
        assert_eq!(table(&["id"], &[], "no rows"), "no rows");
    }

    #[test]
    fn wide_characters_take_two_columns_and_keep_the_columns_after_them_aligned() {
        let rows = vec![
            vec!["1".to_string(), "竹瓦温泉".to_string(), "Beppu".to_string()],
            vec![
                "2".to_string(),
                "Hyotan Onsen".to_string(),
                "Kannawa".to_string(),
            ],
        ];
        let text = table(&["id", "name", "region"], &rows, "none");
        let starts: Vec<usize> = text
            .lines()
            .map(|line| display_width(&line[..line.rfind("  ").unwrap() + 2]))
            .collect();
        assert_eq!(starts, [18, 18, 18], "{text}");
        assert_eq!(display_width("竹瓦温泉"), 8);
    }

    #[test]
    fn a_long_table_streams_with_the_widths_of_its_first_rows() {
        let mut out = Vec::new();
        let mut writer = TableWriter::new(&mut out, &["id", "name"]);
        for id in 0..ALIGN_ROWS + 2 {
            writer.row(vec![id.to_string(), "x".into()]).unwrap();
            if id == ALIGN_ROWS - 2 {
                assert!(out_is_empty(&writer), "held while measuring");
            }
        }
        assert_eq!(writer.finish("none").unwrap(), ALIGN_ROWS as u64 + 2);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), ALIGN_ROWS + 3, "one header, every row");
        assert_eq!(lines[0], "id   name");
        assert_eq!(lines[1], "0    x");
        assert_eq!(
            lines[ALIGN_ROWS + 1],
            "1000  x",
            "wider than measured: pushed right"
        );
    }

    fn out_is_empty(writer: &TableWriter<&mut Vec<u8>>) -> bool {
        writer.out.is_empty()
    }

    #[test]
    fn a_cell_longer_than_formats_width_limit_is_printed_whole() {
        let long = "x".repeat(70_000);
        let rows = vec![
            vec!["1".to_string(), long.clone()],
            vec!["2".to_string(), "short".to_string()],
        ];
        let lines: Vec<String> = table(&["id", "notes"], &rows, "none")
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(lines[1], format!("1   {long}"));
        assert_eq!(lines[2], "2   short");
    }

    #[test]
    fn sqlite_errors_are_shown_by_their_message_once_without_a_code_number() {
        let sqlite = |message: Option<&str>| {
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                message.map(str::to_string),
            )
        };
        for message in [None, Some("database disk image is malformed")] {
            let error = Error::failed("database `d.db` is damaged").because(sqlite(message));
            assert_eq!(
                error_line(&error),
                "database `d.db` is damaged: database disk image is malformed"
            );
        }
        let io = std::io::Error::other("disk");
        let repeated = Error::failed("cannot read").because(Error::failed("disk").because(io));
        assert_eq!(error_line(&repeated), "cannot read: disk");
    }

    #[test]
    fn control_characters_in_messages_are_escaped() {
        let error = Error::failed("cannot open `a\nerror: forged\u{1b}[2J.db`");
        assert_eq!(
            error_line(&error),
            "cannot open `a\\nerror: forged\\u{1b}[2J.db`"
        );
        let line = write_line(Environment::Dev, Path::new("x\ry.db"), "visit\tadd", false);
        assert_eq!(line, "dev: visit\\tadd on `x\\ry.db`");
        let banner = banner_text(Environment::Prod, Path::new("p\n.db"), "op", "--env");
        assert!(banner.contains("database:    p\\n.db"), "{banner}");
        assert_eq!(escape_controls("温泉 $'\"` ok"), "温泉 $'\"` ok");
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size(812), "812 B");
        assert_eq!(size(4096), "4.0 KiB");
        assert_eq!(size(1_288_490_189), "1.2 GiB");
    }

    #[test]
    fn write_line_names_the_database() {
        let line = write_line(Environment::Dev, Path::new("d.db"), "visit delete 3", false);
        assert_eq!(line, "dev: visit delete 3 on `d.db`");
        assert!(
            write_line(Environment::Dev, Path::new("x.db"), "op", true).contains("custom database")
        );
    }

    #[test]
    fn only_the_exact_name_confirms() {
        assert!(ask_typed(Environment::Prod, &mut " prod\n".as_bytes()).is_ok());
        for answer in ["PROD\n", "yes\n", "\n", ""] {
            let err = ask_typed(Environment::Prod, &mut answer.as_bytes()).unwrap_err();
            assert_eq!(err.kind(), Kind::Refused, "{answer:?}");
        }
    }
}
