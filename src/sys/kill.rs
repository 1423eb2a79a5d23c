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

/// Whether thread `tid` exists and belongs to thread group (process)
/// `tgid`: `tgkill(tgid, tid, 0)`, which sends nothing. The kernel looks
/// the TID up and fails with `ESRCH` unless the task it finds has `tgid` as
/// its thread group ID (kernel/signal.c, `do_send_specific`); `EPERM` when
/// the caller may not signal it, which tells nothing either way.
pub fn thread_exists(tgid: i32, tid: i32) -> io::Result<()> {
    if tgid <= 0 || tid <= 0 {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: tgkill takes three integers and touches no memory of ours;
    // signal 0 only checks.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_tgkill,
            libc::c_long::from(tgid),
            libc::c_long::from(tid),
            0 as libc::c_long,
        )
    };
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
    fn a_thread_exists_only_in_its_own_process() -> io::Result<()> {
        let me = crate::sys::own_pid();
        let tid = rustix::thread::gettid().as_raw_nonzero().get();
        assert!(thread_exists(me, tid).is_ok());
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let worker = std::thread::spawn(move || {
            let _ = tx.send(rustix::thread::gettid().as_raw_nonzero().get());
            let _ = stop_rx.recv();
        });
        let other = rx.recv().map_err(io::Error::other)?;
        let found = thread_exists(me, other);
        let _ = stop_tx.send(());
        let _ = worker.join();
        found?;
        // A child process's thread is not one of ours, nor ours its.
        let mut child = std::process::Command::new("sleep").arg("30").spawn()?;
        let pid = child.id() as i32;
        let theirs = thread_exists(me, pid).map_err(|e| e.raw_os_error());
        let mine = thread_exists(pid, tid).map_err(|e| e.raw_os_error());
        let _ = child.kill();
        child.wait()?;
        assert_eq!(theirs, Err(Some(libc::ESRCH)));
        assert_eq!(mine, Err(Some(libc::ESRCH)));
        assert!(thread_exists(0, tid).is_err());
        Ok(())
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
