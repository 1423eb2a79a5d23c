//! Setting a process's niceness (setpriority(2) on one PID).

use std::io;

/// Set the niceness of process `pid` (its main thread: setpriority with
/// PRIO_PROCESS acts on the one task the PID names) to `nice`, -20..19.
pub fn set_nice(pid: i32, nice: i32) -> io::Result<()> {
    let pid = rustix::process::Pid::from_raw(pid)
        .ok_or_else(|| io::Error::from_raw_os_error(libc::ESRCH))?;
    rustix::process::setpriority_process(Some(pid), nice).map_err(io::Error::from)
}
