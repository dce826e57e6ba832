//! Failpoints for the fault tests: `ONSENDO_FAILPOINT=NAME:error` makes the step named NAME fail,
//! `NAME:crash` kills the process there, as a power cut would. Honoured only under tests (inside a
//! test sandbox), so they can never fire on a real database.

use crate::error::{Error, Result};
use crate::guard;

/// The variable that names the failpoint and its action.
pub const FAILPOINT_VAR: &str = "ONSENDO_FAILPOINT";

/// Passes, fails or crashes, as `ONSENDO_FAILPOINT` says for the step `name`.
pub fn hit(name: &str) -> Result<()> {
    if !guard::under_test() {
        return Ok(());
    }
    let Ok(setting) = std::env::var(FAILPOINT_VAR) else {
        return Ok(());
    };
    match setting.split_once(':') {
        Some((point, "error")) if point == name => Err(Error::failed(format!(
            "failpoint `{name}` fired (set by {FAILPOINT_VAR})"
        ))),
        Some((point, "crash")) if point == name => {
            eprintln!("failpoint `{name}`: crashing");
            std::process::abort()
        }
        _ => Ok(()),
    }
}
