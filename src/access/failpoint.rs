//! Failpoints for the fault tests: `ONSENDO_FAILPOINT=NAME:error` makes the step named NAME fail,
//! `NAME:crash` kills the process there, as a power cut would, `NAME:pause` holds it there for two
//! seconds (for a second process to meet it mid-step); `NAME#N:…` acts only at the Nth
//! time the step is reached (a restore copies twice: its pre-restore backup, then the staged copy).
//! Honoured only under tests (inside a test sandbox), so they can never fire on a real database.

use crate::access::guard;
use crate::shared::error::{Error, Result};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The variable that names the failpoint and its action.
pub(crate) const FAILPOINT_VAR: &str = "ONSENDO_FAILPOINT";

/// How many times this process has reached the step the variable names.
static REACHED: AtomicUsize = AtomicUsize::new(0);

/// Passes, fails or crashes, as `ONSENDO_FAILPOINT` says for the step `name`.
pub(crate) fn hit(name: &str) -> Result<()> {
    if !guard::under_test() {
        return Ok(());
    }
    let Ok(setting) = std::env::var(FAILPOINT_VAR) else {
        return Ok(());
    };
    let Some((spec, action)) = setting.split_once(':') else {
        return Ok(());
    };
    // `NAME#N`: only the Nth time (a malformed N never fires); `NAME`: every time.
    let (point, nth) = match spec.split_once('#') {
        Some((point, n)) => (point, Some(n.parse::<usize>().unwrap_or(0))),
        None => (spec, None),
    };
    if point != name {
        return Ok(());
    }
    let reached = REACHED.fetch_add(1, Ordering::SeqCst) + 1;
    let fires = nth.is_none_or(|n| n == reached);
    match action {
        "error" if fires => Err(Error::failed(format!(
            "failpoint `{spec}` fired (set by {FAILPOINT_VAR})"
        ))),
        "crash" if fires => {
            eprintln!("failpoint `{spec}`: crashing");
            std::process::abort()
        }
        "pause" if fires => {
            eprintln!("failpoint `{spec}`: pausing");
            std::thread::sleep(std::time::Duration::from_secs(2));
            Ok(())
        }
        _ => Ok(()),
    }
}
