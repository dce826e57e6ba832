//! A child process run to its end under a watchdog: stopped when it shows no progress for longer
//! than a set time, so a store that stops answering cannot hang a command. Progress is what the
//! caller measures, the bytes the child writes to its pipes, and the bytes it reads and writes
//! through any file or socket (Linux's `/proc/PID/io`): an upload that goes on silently is
//! progress. Stopping asks first (SIGINT: restic then removes its lock and ends its own children)
//! and kills (SIGKILL) only the child and those descendants that outlive a grace period.

use crate::shared::process;
use std::io::Read;
use std::process::{Child, Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the child is looked at.
const POLL: Duration = Duration::from_millis(10);

/// How long a child asked to stop (SIGINT) has to end before it is killed.
const GRACE: Duration = Duration::from_secs(5);

/// Runs `command` (its stdout and stderr as the caller set them: piped ones are collected) to its
/// end: `Some` of what it did, or `None` when it was stopped because neither the bytes it wrote to
/// the pipes, nor its reads and writes, nor `progress()` changed for `stall`.
pub fn run(
    mut command: Command,
    stall: Duration,
    progress: &dyn Fn() -> u64,
) -> std::io::Result<Option<Output>> {
    let mut child = command.spawn()?;
    let written = Arc::new(AtomicU64::new(0));
    let stdout = child.stdout.take().map(|pipe| collect(pipe, &written));
    let stderr = child.stderr.take().map(|pipe| collect(pipe, &written));
    let pid = child.id();
    let finished = watch(&mut child, stall, &|| {
        progress()
            .wrapping_add(written.load(Ordering::Relaxed))
            .wrapping_add(process::io_bytes(pid))
    })?;
    // After a kill, a process the child started may still hold the pipes: its output is not
    // waited for past a grace period (the reading thread is left to end with it).
    let grace = Instant::now() + Duration::from_secs(1);
    let joined = |reader: Option<JoinHandle<Vec<u8>>>| match reader {
        Some(reader) if finished.is_some() => reader.join().unwrap_or_default(),
        Some(reader) => {
            while !reader.is_finished() && Instant::now() < grace {
                std::thread::sleep(POLL);
            }
            match reader.is_finished() {
                true => reader.join().unwrap_or_default(),
                false => Vec::new(),
            }
        }
        None => Vec::new(),
    };
    let (stdout, stderr) = (joined(stdout), joined(stderr));
    Ok(finished.map(|status| Output {
        status,
        stdout,
        stderr,
    }))
}

/// Waits for `child` to end: its status, or `None` once it was stopped ([`stop`]) for showing no
/// progress for `stall`.
fn watch(
    child: &mut Child,
    stall: Duration,
    progress: &dyn Fn() -> u64,
) -> std::io::Result<Option<std::process::ExitStatus>> {
    let mut seen = progress();
    let mut since = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = progress();
        if now != seen {
            (seen, since) = (now, Instant::now());
        } else if since.elapsed() > stall {
            stop(child)?;
            return Ok(None);
        }
        std::thread::sleep(POLL);
    }
}

/// Stops `child`: SIGINT, then, if it has not ended within [`GRACE`], SIGKILL; then SIGKILL for
/// each of its descendants (as they were when it was asked) that is still the same process.
fn stop(child: &mut Child) -> std::io::Result<()> {
    let pid = child.id();
    let descendants = process::descendants_of(pid);
    // SAFETY: `pid` is our own child, not reaped yet, so the id is still its own.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) };
    let deadline = Instant::now() + GRACE;
    while child.try_wait()?.is_none() {
        if Instant::now() >= deadline {
            child.kill()?;
            child.wait()?;
            break;
        }
        std::thread::sleep(POLL);
    }
    for (pid, started) in descendants {
        if process::start_time(pid) == Some(started) {
            // SAFETY: the same process as seen before (same start time), so not a reused id.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
    }
    Ok(())
}

/// Reads `pipe` to its end on a thread of its own, counting its bytes in `written`.
fn collect(mut pipe: impl Read + Send + 'static, written: &Arc<AtomicU64>) -> JoinHandle<Vec<u8>> {
    let written = Arc::clone(written);
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buffer = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut buffer) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buffer[..n]);
            written.fetch_add(n as u64, Ordering::Relaxed);
        }
        all
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Stdio;

    fn shell(script: &str) -> Command {
        let mut command = Command::new("sh");
        command
            .args(["-c", script])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    #[test]
    fn a_child_that_ends_gives_its_output() {
        let out = run(
            shell("echo out; echo err >&2"),
            Duration::from_secs(5),
            &|| 0,
        )
        .unwrap()
        .unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
    }

    #[test]
    fn a_silent_child_is_stopped_but_one_that_writes_is_not() {
        let started = Instant::now();
        let stopped = run(shell("sleep 30"), Duration::from_millis(200), &|| 0).unwrap();
        assert!(stopped.is_none());
        assert!(started.elapsed() < Duration::from_secs(10));
        let talking = "for i in 1 2 3 4 5 6; do echo $i; sleep 0.1; done";
        let out = run(shell(talking), Duration::from_millis(300), &|| 0).unwrap();
        assert!(out.is_some_and(|out| out.stdout.len() == 12));
    }

    #[test]
    fn a_child_that_reads_and_writes_silently_is_not_stopped() {
        // An upload that goes on without a word: reads and writes, no output.
        let mut command = Command::new("python3");
        command
            .args(["-c", "import os, time\nfor _ in range(8):\n    os.read(os.open('/dev/zero', os.O_RDONLY), 4096)\n    time.sleep(0.1)"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = run(command, Duration::from_millis(300), &|| 0).unwrap();
        assert!(out.is_some_and(|out| out.status.success()));
    }

    #[test]
    fn a_stopped_child_is_asked_first_then_killed_with_what_it_started() {
        // It ignores SIGINT, and has started a grandchild that would outlive it.
        let dir = tempfile::tempdir().unwrap();
        let noted = dir.path().join("grandchild");
        let script = format!(
            "trap '' INT; sleep 300 & echo $! > '{}'; wait",
            noted.display()
        );
        let started = Instant::now();
        let stopped = run(shell(&script), Duration::from_millis(300), &|| 0).unwrap();
        assert!(stopped.is_none());
        let took = started.elapsed();
        assert!(took >= GRACE && took < GRACE * 3, "{took:?}");
        let grandchild = std::fs::read_to_string(&noted).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", grandchild.trim()));
        assert!(
            cmdline.map_or(true, |line| !line.starts_with(b"sleep\x00300")),
            "the grandchild {} still runs",
            grandchild.trim()
        );
    }
}
