//! Signalling by number: the one kill(2) wrapper, its process-group form,
//! and what a signal's disposition is here. Signals are raw numbers
//! (`libc::SIGTERM`, `SIGRTMIN() + 3`); naming them is the crate's
//! business above.
//!
//! kill(2) reaches whoever holds a PID now, so it is for processes that
//! cannot have been replaced: ptool's own unreaped children, or targets
//! whose start time was checked through a pin just before (kernels without
//! pidfds). Everything else goes through a pidfd
//! ([`crate::sys::pidfd::PidFd::send`]).

use std::io;

/// `kill(2)` to one process. Only positive PIDs are accepted: to kill(2), 0
/// means "my process group" and negative numbers mean groups or every
/// process, and none of that may happen by accident here. Signal 0 checks
/// that the process exists; real-time signals are passed as they are (nix's
/// `Signal` has none, hence the raw call).
pub fn kill(pid: i32, signo: i32) -> io::Result<()> {
    if pid <= 0 {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: kill(2) takes two integers and touches no memory of ours.
    let ret = unsafe { libc::kill(pid, signo) };
    crate::sys::zero_or_errno(ret)
}

/// Send `signo` to every process in group `pgid` (`killpg`). Refuses the
/// groups that kill(2) would read as something wider (0, 1 and below).
pub fn kill_group(pgid: i32, signo: i32) -> io::Result<()> {
    if pgid <= 1 {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: killpg takes plain integers; pgid > 1 names one group.
    let ret = unsafe { libc::killpg(pgid, signo) };
    crate::sys::zero_or_errno(ret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_refuses_groups_and_everyone() {
        for pid in [0, -1, -2] {
            let err = kill(pid, 0).expect_err("refused");
            assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{pid}");
        }
        assert!(kill(crate::sys::own_pid(), 0).is_ok());
        for pgid in [0, 1, -5] {
            assert!(kill_group(pgid, 0).is_err(), "{pgid}");
        }
    }

    #[test]
    fn kill_delivers_real_time_signals() -> io::Result<()> {
        // A child dies of RTMIN+1 (default action: terminate), which shows
        // that the number reached kill(2) rather than being dropped to 0.
        use std::os::unix::process::ExitStatusExt;
        let mut child = std::process::Command::new("sleep").arg("30").spawn()?;
        let rt = libc::SIGRTMIN() + 1;
        let sent = kill(child.id() as i32, rt);
        if sent.is_err() {
            let _ = child.kill();
        }
        let status = child.wait()?;
        sent?;
        assert_eq!(status.signal(), Some(rt));
        Ok(())
    }
}
