//! The system side of a job pool (`ptool fork`): children started through
//! std's `Command` (so `posix_spawn`, a `vfork`-style clone, whenever std can
//! use it: the cheapest way to start thousands of short jobs), each leading
//! its own process group, watched through a pidfd (or SIGCHLD where pidfds
//! are missing), stopped as a group, reaped by PID. The event loop around
//! them uses [`crate::sys::sigwatch`], [`crate::sys::poll`] and
//! [`crate::sys::child::reap_orphans`]; [`crate::sys::child`] is the
//! step-by-step launcher (`spawn`), which reports each start-up step.
//!
//! Signalling a process group is only safe while its number cannot be reused.
//! A PGID is the PID of the group's leader, and the kernel keeps that number
//! allocated while the leader exists, zombie included. So a [`GroupChild`]
//! signals its group only until it has been reaped, and callers send their
//! last signal to the group before [`GroupChild::reap`].

use std::io;
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus};

use super::pidfd::{self, PidFd};
use super::poll::set_nonblocking;

/// A child running as the leader of its own process group.
#[derive(Debug)]
pub struct GroupChild {
    child: Child,
    pidfd: Option<PidFd>,
}

impl GroupChild {
    /// Start `cmd` as the leader of a new process group. std reports a
    /// failed `exec` (not found, not executable) as the error here. std
    /// clears the signal mask in the child; caught signals return to their
    /// defaults at exec (see [`crate::sys::sigwatch`]).
    pub fn spawn(cmd: &mut Command) -> io::Result<GroupChild> {
        let child = cmd.process_group(0).spawn()?;
        // The child is not reaped until `reap`, so its PID cannot have been
        // reused by the time the pidfd is opened.
        let pidfd = match PidFd::open(child.id() as i32) {
            Ok(fd) => Some(fd),
            Err(e) if pidfd::unavailable(&e) => None,
            Err(e) => {
                let mut child = child;
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        Ok(GroupChild { child, pidfd })
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// The pidfd to poll for the child's exit; `None` on kernels without
    /// pidfds, where the caller watches SIGCHLD and asks [`Self::has_exited`].
    pub fn pidfd(&self) -> Option<&PidFd> {
        self.pidfd.as_ref()
    }

    /// The child's stdin pipe, switched to non-blocking writes.
    pub fn take_stdin(&mut self) -> io::Result<Option<std::process::ChildStdin>> {
        self.child
            .stdin
            .take()
            .map(|p| set_nonblocking(p.as_fd()).map(|()| p))
            .transpose()
    }

    /// The child's stdout pipe, switched to non-blocking reads.
    pub fn take_stdout(&mut self) -> io::Result<Option<ChildStdout>> {
        self.child
            .stdout
            .take()
            .map(|p| set_nonblocking(p.as_fd()).map(|()| p))
            .transpose()
    }

    /// The child's stderr pipe, switched to non-blocking reads.
    pub fn take_stderr(&mut self) -> io::Result<Option<ChildStderr>> {
        self.child
            .stderr
            .take()
            .map(|p| set_nonblocking(p.as_fd()).map(|()| p))
            .transpose()
    }

    /// True once the leader has exited (it stays a zombie until reaped, so
    /// its group can still be signalled).
    pub fn has_exited(&self) -> io::Result<bool> {
        match &self.pidfd {
            Some(fd) => fd.has_exited(),
            None => super::child::has_exited(self.pid()),
        }
    }

    /// Send signal `signo` to every process in the child's group
    /// (`killpg`). `ESRCH` (nobody left) is success.
    pub fn signal_group(&self, signo: i32) -> io::Result<()> {
        match super::kill::kill_group(self.pid(), signo) {
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
            other => other,
        }
    }

    /// Reap the leader (`waitpid` on its PID), waiting for it to exit if it
    /// has not. After this its group may no longer be signalled.
    pub fn reap(mut self) -> io::Result<ExitStatus> {
        self.child.wait()
    }
}

/// Ask for a pipe buffer of `bytes` (`F_SETPIPE_SZ`), so a writer feeding
/// a job (`fork --pipe`) wakes up less often. Best effort: the kernel caps
/// it at `/proc/sys/fs/pipe-max-size` for unprivileged callers.
pub fn set_pipe_size(fd: std::os::fd::BorrowedFd<'_>, bytes: usize) {
    let _ = rustix::pipe::fcntl_setpipe_size(fd, bytes);
}

/// Move up to `len` bytes of `file` from `offset` into `pipe` without
/// copying them through user space (`splice(2)`, for `fork --pipepart`);
/// advances `offset`. Returns 0 at the end of the file; `WouldBlock` when
/// the pipe is full.
pub fn splice_to_pipe(
    file: std::os::fd::BorrowedFd<'_>,
    offset: &mut u64,
    pipe: std::os::fd::BorrowedFd<'_>,
    len: usize,
) -> io::Result<usize> {
    let flags = rustix::pipe::SpliceFlags::NONBLOCK | rustix::pipe::SpliceFlags::MOVE;
    Ok(rustix::pipe::splice(
        file,
        Some(offset),
        pipe,
        None,
        len,
        flags,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::exitwatch::{ExitWatch, Probe};
    use std::process::Stdio;
    use std::time::Duration;

    #[test]
    fn a_group_child_leads_its_own_group_and_is_reaped() -> io::Result<()> {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "exit 7"]).stdout(Stdio::null());
        let child = GroupChild::spawn(&mut cmd)?;
        let pgid = rustix::process::getpgid(rustix::process::Pid::from_raw(child.pid()));
        // The child may already be a zombie; a zombie still has its group.
        if let Ok(pgid) = pgid {
            assert_eq!(pgid.as_raw_nonzero().get(), child.pid());
        }
        if let Some(fd) = child.pidfd() {
            let mut watch = ExitWatch::new()?;
            watch.add(fd, 0)?;
            let exited = watch.wait(Some(Duration::from_secs(10)), |_| Probe::Running)?;
            assert_eq!(exited.first().map(|c| c.key), Some(0));
        }
        child.signal_group(0)?;
        let status = child.reap()?;
        assert_eq!(status.code(), Some(7));
        Ok(())
    }
}
