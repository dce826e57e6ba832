//! Timing a whole process and reading its peak memory (`wait4`'s `ru_maxrss`).

use anyhow::{bail, Context};
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// One run of one process.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Wall-clock seconds, spawn to exit.
    pub seconds: f64,
    /// Peak resident memory in KiB (the largest process of the tree that was waited for).
    pub peak_kib: u64,
}

/// Runs `program args…` to completion with stdout discarded; fails when it exits non-zero,
/// showing its stderr (kept in `log`).
pub fn run<S: AsRef<OsStr>>(
    program: impl AsRef<OsStr>,
    args: &[S],
    log: &Path,
) -> anyhow::Result<Sample> {
    let program = program.as_ref();
    let stderr =
        std::fs::File::create(log).with_context(|| format!("cannot write {}", log.display()))?;
    let started = Instant::now();
    let child = Command::new(program)
        .args(args)
        .env_remove("ONSENDO_ENV")
        .env_remove("ONSENDO_ROOT")
        .env_remove("ONSENDO_TEST_SANDBOX")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("cannot start {}", program.to_string_lossy()))?;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; the pointers are to live locals.
    let waited = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let seconds = started.elapsed().as_secs_f64();
    if waited < 0 {
        bail!("cannot wait for {}", program.to_string_lossy());
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        bail!(
            "{} failed (status {status}):\n{text}",
            program.to_string_lossy()
        );
    }
    Ok(Sample {
        seconds,
        peak_kib: usage.ru_maxrss as u64,
    })
}

/// The median of some values (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.is_empty() {
        f64::NAN
    } else if sorted.len() % 2 == 1 {
        sorted[middle]
    } else {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    }
}

/// The median wall-clock time of some runs, in seconds.
pub fn median_seconds(samples: &[Sample]) -> f64 {
    median(&samples.iter().map(|s| s.seconds).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn a_process_is_timed_and_its_memory_read() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let sample = run(
            "sh",
            &["-c", "head -c 20000000 /dev/zero | tail -c 1 >/dev/null"],
            &log,
        )
        .unwrap();
        assert!(sample.seconds > 0.0);
        assert!(sample.peak_kib > 0);
        let err = run("sh", &["-c", "echo broken >&2; exit 3"], &log).unwrap_err();
        assert!(format!("{err}").contains("broken"), "{err}");
    }
}
