//! Process file descriptors: a handle on one process that stays bound to it
//! even if its PID is reused, so signalling through it can never hit a
//! stranger. Polling a pidfd reports readable once the process has exited.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};
use rustix::process::{Pid, PidfdFlags};

use crate::signal::Signal;

/// An open pidfd together with the PID it was opened for.
#[derive(Debug)]
pub struct PidFd {
    fd: OwnedFd,
    pid: i32,
}

impl PidFd {
    /// Open a pidfd for `pid`. Fails with `ESRCH` when no such process exists
    /// (a zombie still has a pidfd), and `ENOSYS` on kernels before 5.3.
    pub fn open(pid: i32) -> io::Result<PidFd> {
        let raw = Pid::from_raw(pid).ok_or_else(|| io::Error::from_raw_os_error(libc::ESRCH))?;
        let fd = rustix::process::pidfd_open(raw, PidfdFlags::empty())?;
        Ok(PidFd { fd, pid })
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Send `signal` to exactly the process this pidfd refers to. Signal 0
    /// only checks that the process still exists (it fails with `ESRCH` once
    /// it has been reaped).
    pub fn send(&self, signal: Signal) -> io::Result<()> {
        // rustix's `pidfd_send_signal` takes a non-zero, non-real-time
        // `Signal`, so the raw syscall is used to allow 0 and RTMIN+N too.
        // SAFETY: the fd is a valid open pidfd owned by `self`; a null
        // siginfo and zero flags are the documented defaults.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.fd.as_raw_fd(),
                signal.number(),
                std::ptr::null::<libc::siginfo_t>(),
                0u32,
            )
        };
        if ret == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// True once the process has exited (it may still be an unreaped zombie).
    pub fn has_exited(&self) -> io::Result<bool> {
        Ok(!wait_any(&[self], Some(Duration::ZERO))?.is_empty())
    }

    /// Wait until the process exits or `timeout` passes; true when it exited.
    pub fn wait_timeout(&self, timeout: Option<Duration>) -> io::Result<bool> {
        Ok(!wait_any(&[self], timeout)?.is_empty())
    }
}

impl AsFd for PidFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Block until at least one of `fds` has exited or `timeout` passes (`None`
/// waits forever); returns the indexes of those that have exited. One
/// `poll(2)` over all of them: no busy-waiting.
pub fn wait_any(fds: &[&PidFd], timeout: Option<Duration>) -> io::Result<Vec<usize>> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let mut polls: Vec<PollFd<'_>> = fds
            .iter()
            .map(|fd| PollFd::new(*fd, PollFlags::IN))
            .collect();
        let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let spec = remaining.map(|r| rustix::time::Timespec {
            tv_sec: i64::try_from(r.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(r.subsec_nanos()),
        });
        match rustix::event::poll(&mut polls, spec.as_ref()) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
        let ready: Vec<usize> = polls
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.revents().is_empty())
            .map(|(i, _)| i)
            .collect();
        if !ready.is_empty() || remaining.is_some_and(|r| r.is_zero()) {
            return Ok(ready);
        }
    }
}

/// True when this kernel supports pidfds (Linux 5.3+).
pub fn supported() -> bool {
    match PidFd::open(crate::sys::own_pid()) {
        Ok(_) => true,
        Err(e) => e.raw_os_error() != Some(libc::ENOSYS),
    }
}

/// `kill(2)`, for kernels without pidfds. Callers re-check the start time
/// first, since a PID alone may have been reused.
pub fn kill(pid: i32, signal: Signal) -> io::Result<()> {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::try_from(signal.number()).ok(),
    )
    .map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_alive() -> io::Result<()> {
        let me = PidFd::open(crate::sys::own_pid())?;
        me.send(Signal::NULL)?;
        assert!(!me.has_exited()?);
        Ok(())
    }

    #[test]
    fn a_reaped_child_is_gone() -> io::Result<()> {
        let mut child = std::process::Command::new("true").spawn()?;
        let fd = PidFd::open(child.id() as i32)?;
        assert!(fd.wait_timeout(Some(Duration::from_secs(10)))?);
        child.wait()?;
        let err = fd.send(Signal::NULL).expect_err("reaped");
        assert_eq!(err.raw_os_error(), Some(libc::ESRCH));
        Ok(())
    }
}
