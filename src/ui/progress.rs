//! A progress line on stderr for work that can take more than a second (copies, checks, mock
//! data, imports): drawn only when stderr is a terminal, only once the work has run for a
//! second, at most ten times a second, and erased when the work ends. Pipes never see it.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Nothing is drawn before the work has run this long.
const QUIET_FOR: Duration = Duration::from_secs(1);
/// At most one redraw per this interval.
const REDRAW_EVERY: Duration = Duration::from_millis(100);
const WIDTH: usize = 24;

/// What the counts are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Bytes,
    Items(&'static str),
}

/// One progress line. Dropping it erases what it drew.
#[derive(Debug)]
pub(crate) struct Progress {
    label: &'static str,
    total: Option<u64>,
    unit: Unit,
    started: Instant,
    last_draw: Option<Instant>,
    terminal: bool,
}

impl Progress {
    fn new(label: &'static str, total: Option<u64>, unit: Unit) -> Progress {
        Progress {
            label,
            total,
            unit,
            started: Instant::now(),
            last_draw: None,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// Progress through `total` bytes.
    pub(crate) fn bytes(label: &'static str, total: u64) -> Progress {
        Progress::new(label, Some(total), Unit::Bytes)
    }

    /// Progress through `total` items, named `noun` (`visits`, `rows`).
    pub(crate) fn items(label: &'static str, total: u64, noun: &'static str) -> Progress {
        Progress::new(label, Some(total), Unit::Items(noun))
    }

    /// Records that `done` of the total are done, redrawing when it is time to.
    pub(crate) fn set(&mut self, done: u64) {
        if !self.terminal || self.started.elapsed() < QUIET_FOR {
            return;
        }
        if self.last_draw.is_some_and(|at| at.elapsed() < REDRAW_EVERY) {
            return;
        }
        self.last_draw = Some(Instant::now());
        let line = self.line(done);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
    }

    /// The text of the line for `done`.
    fn line(&self, done: u64) -> String {
        let seconds = self.started.elapsed().as_secs();
        let amount = |n: u64| match self.unit {
            Unit::Bytes => super::size(n),
            Unit::Items(_) => n.to_string(),
        };
        let Some(total) = self.total.filter(|t| *t > 0) else {
            return format!("{} … {seconds} s", self.label);
        };
        let done = done.min(total);
        let filled = (done as u128 * WIDTH as u128 / total as u128) as usize;
        let noun = match self.unit {
            Unit::Bytes => "",
            Unit::Items(noun) => noun,
        };
        format!(
            "{} [{}{}] {:>3}%  {} / {} {noun}  {seconds} s",
            self.label,
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            done as u128 * 100 / total as u128,
            amount(done),
            amount(total),
        )
        .trim_end()
        .to_string()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.last_draw.is_some() {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}

/// Runs `work`, showing `label` and the elapsed time while it runs (for work whose progress
/// cannot be counted, such as `PRAGMA integrity_check`).
pub(crate) fn while_running<T>(label: &'static str, work: impl FnOnce() -> T) -> T {
    if !std::io::stderr().is_terminal() {
        return work();
    }
    let finished = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut progress = Progress::new(label, None, Unit::Bytes);
            while !finished.load(Ordering::Relaxed) {
                progress.set(0);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let result = work();
        finished.store(true, Ordering::Relaxed);
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_show_a_bar_counts_and_time() {
        let bar = Progress::bytes("copying", 4 * 1024 * 1024);
        let line = bar.line(1024 * 1024);
        assert!(
            line.starts_with("copying [######------------------]  25%  1.0 MiB / 4.0 MiB"),
            "{line}"
        );
        let items = Progress::items("importing", 200, "visits");
        assert!(
            items.line(200).contains("100%  200 / 200 visits"),
            "{}",
            items.line(200)
        );
        assert!(items.line(900).contains("100%"), "never past the total");
        let spinner = Progress::new("checking", None, Unit::Bytes);
        assert_eq!(spinner.line(0), "checking … 0 s");
    }

    #[test]
    fn nothing_is_drawn_in_the_first_second() {
        let mut bar = Progress::items("importing", 10, "visits");
        bar.terminal = true;
        bar.set(5);
        assert!(bar.last_draw.is_none());
    }
}
