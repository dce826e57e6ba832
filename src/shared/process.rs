//! Facts about a process of this machine, from Linux's `/proc`: its parent, when it started, and
//! how many bytes it has read and written. Each is `None` (or 0) where `/proc` cannot tell.

/// The parent and the start time (clock ticks since boot) of process `pid`, from
/// `/proc/PID/stat`; `None` when there is no such process.
pub(crate) fn parent_and_start(pid: u32) -> Option<(u32, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces and parentheses; after it
    // come the state (field 3), the parent (4), …, the start time (22), numbered as in proc(5).
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    Some((fields.get(1)?.parse().ok()?, fields.get(19)?.parse().ok()?))
}

/// When process `pid` started, in clock ticks since boot; `None` when there is no such process.
pub(crate) fn start_time(pid: u32) -> Option<u64> {
    parent_and_start(pid).map(|(_, started)| started)
}

/// The descendants of process `pid` (children, their children, …), each with its start time.
pub(crate) fn descendants_of(pid: u32) -> Vec<(u32, u64)> {
    let processes: Vec<(u32, u32, u64)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|id| {
            let (parent, started) = parent_and_start(id)?;
            Some((id, parent, started))
        })
        .collect();
    let mut found: Vec<(u32, u64)> = Vec::new();
    let mut frontier = vec![pid];
    while let Some(parent) = frontier.pop() {
        for &(id, of, started) in &processes {
            if of == parent && !found.iter().any(|(seen, _)| *seen == id) {
                found.push((id, started));
                frontier.push(id);
            }
        }
    }
    found
}

/// The bytes process `pid` has read and written through system calls (files, pipes, sockets),
/// from `/proc/PID/io`; 0 when it cannot be read.
pub(crate) fn io_bytes(pid: u32) -> u64 {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/io")) else {
        return 0;
    };
    text.lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            matches!(name, "rchar" | "wchar")
                .then(|| value.trim().parse::<u64>().ok())
                .flatten()
        })
        .fold(0, u64::wrapping_add)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_and_a_child_are_seen() {
        let me = std::process::id();
        assert!(start_time(me).is_some());
        assert!(io_bytes(me) > 0, "reading /proc is itself a read");
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let found = descendants_of(me);
        assert!(found.iter().any(|(pid, _)| *pid == child.id()), "{found:?}");
        assert_eq!(
            parent_and_start(child.id()).map(|(parent, _)| parent),
            Some(me)
        );
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(start_time(child.id()), None, "reaped");
    }
}
