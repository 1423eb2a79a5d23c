//! The system side of a job pool (`ptool fork`): children started through
//! std's `Command` (so `posix_spawn`, a `vfork`-style clone, whenever std can
//! use it: the cheapest way to start thousands of short jobs), each leading
//! its own process group, watched through a pidfd (or SIGCHLD where pidfds
//! are missing), stopped as a group, reaped by PID; and the pieces the event
//! loop around them needs: signals as a readable fd (a self-pipe), one
//! `poll(2)` over many fds, non-blocking pipes, orphan reaping for a
//! subreaper, and the open-files limit. [`crate::sys::child`] is the
//! hand-rolled fork + exec launcher (`spawn`), which reports each start-up
//! step; the group and reaping helpers there are shared.
//!
//! Signalling a process group is only safe while its number cannot be reused.
//! A PGID is the PID of the group's leader, and the kernel keeps that number
//! allocated while the leader exists, zombie included. So a [`GroupChild`]
//! signals its group only until it has been reaped, and callers send their
//! last signal to the group before [`GroupChild::reap`].

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal as NixSignal, sigaction};
use nix::sys::wait::{Id, WaitPidFlag};
use rustix::event::{PollFd, PollFlags};

use crate::signal::Signal;
use crate::sys::pidfd::{self, PidFd};

/// A child running as the leader of its own process group.
#[derive(Debug)]
pub struct GroupChild {
    child: Child,
    pidfd: Option<PidFd>,
}

impl GroupChild {
    /// Start `cmd` as the leader of a new process group. std reports a
    /// failed `exec` (not found, not executable) as the error here. The
    /// child inherits ptool's signal mask, so ptool blocks none (see
    /// [`SignalWatch`]).
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
            None => crate::sys::child::has_exited(self.pid()),
        }
    }

    /// Send `signal` to every process in the child's group (`killpg`).
    /// `ESRCH` (nobody left) is success.
    pub fn signal_group(&self, signal: Signal) -> io::Result<()> {
        match crate::sys::child::signal_group(self.pid(), signal) {
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

/// What [`reap_orphans`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Orphans {
    /// Adopted children reaped by this call.
    pub reaped: usize,
    /// Children remain: running, or a zombie leader left to its owner.
    pub remaining: bool,
}

/// Reap the zombie children that are not `is_leader`: orphans this
/// subreaper ([`crate::sys::child::become_subreaper`]) adopted. Each is first looked at without reaping (`WNOWAIT`)
/// and then reaped by its PID, so a leader, whose zombie pins its process
/// group and whose status belongs to its [`GroupChild`], is never taken.
/// A zombie leader found first ends the sweep (the kernel offers the
/// same one again and again); call again after reaping it.
pub fn reap_orphans(is_leader: impl Fn(i32) -> bool) -> io::Result<Orphans> {
    let mut found = Orphans::default();
    let peek = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    loop {
        match nix::sys::wait::waitid(Id::All, peek) {
            Err(nix::errno::Errno::ECHILD) => return Ok(found),
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
            Ok(status) => {
                let Some(pid) = status.pid() else {
                    found.remaining = true;
                    return Ok(found);
                };
                if is_leader(pid.as_raw()) {
                    found.remaining = true;
                    return Ok(found);
                }
                match nix::sys::wait::waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
                    Ok(_) | Err(nix::errno::Errno::ECHILD) => found.reaped += 1,
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
}

/// The write end of the active [`SignalWatch`]'s pipe, for the handler.
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(signo: libc::c_int) {
    // Only async-signal-safe work here: one write(2), errno kept intact.
    // SAFETY: __errno_location returns this thread's errno slot.
    let saved = unsafe { *libc::__errno_location() };
    let fd = SIGNAL_PIPE.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = u8::try_from(signo).unwrap_or(0);
        // SAFETY: `byte` is valid for one byte; a failed write (pipe full:
        // that signal is already pending there) is of no consequence.
        unsafe { libc::write(fd, std::ptr::from_ref(&byte).cast(), 1) };
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = saved };
}

/// Signals delivered as readable data on a pipe (the self-pipe trick), for
/// an event loop. A handler rather than a blocked mask and a signalfd: a
/// caught signal goes back to its default action in a child at `exec`, while
/// a blocked mask would be inherited by every job ptool starts. Signals that
/// were ignored when ptool started (`nohup`, a background job of a
/// non-interactive shell) stay ignored, for ptool and for its children.
#[derive(Debug)]
pub struct SignalWatch {
    read: OwnedFd,
    write: OwnedFd,
    old: Vec<(NixSignal, SigAction)>,
}

impl SignalWatch {
    /// Catch `signals`; only one watch may exist at a time.
    pub fn new(signals: &[Signal]) -> io::Result<SignalWatch> {
        let (read, write) = rustix::pipe::pipe_with(
            rustix::pipe::PipeFlags::CLOEXEC | rustix::pipe::PipeFlags::NONBLOCK,
        )?;
        SIGNAL_PIPE
            .compare_exchange(-1, write.as_raw_fd(), Ordering::SeqCst, Ordering::SeqCst)
            .map_err(|_| io::Error::other("signals are already being watched"))?;
        let mut watch = SignalWatch {
            read,
            write,
            old: Vec::new(),
        };
        let catch = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::SA_RESTART | SaFlags::SA_NOCLDSTOP,
            SigSet::empty(),
        );
        for signal in signals {
            let sig = NixSignal::try_from(signal.number()).map_err(io::Error::from)?;
            // SAFETY: `on_signal` is async-signal-safe (see there).
            let old = unsafe { sigaction(sig, &catch) }.map_err(io::Error::from)?;
            if matches!(old.handler(), SigHandler::SigIgn) && sig != NixSignal::SIGCHLD {
                // SAFETY: restoring the disposition that was there before.
                unsafe { sigaction(sig, &old) }.map_err(io::Error::from)?;
            } else {
                watch.old.push((sig, old));
            }
        }
        Ok(watch)
    }

    /// The signals that arrived since the last call, in order.
    pub fn take(&self) -> io::Result<Vec<Signal>> {
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            match rustix::io::read(&self.read, &mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend(
                    buf[..n]
                        .iter()
                        .filter_map(|&b| Signal::from_number(i32::from(b))),
                ),
                Err(rustix::io::Errno::AGAIN) => break,
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(got)
    }
}

impl AsFd for SignalWatch {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }
}

impl Drop for SignalWatch {
    fn drop(&mut self) {
        for (sig, old) in self.old.drain(..) {
            // SAFETY: putting back the disposition found at `new`.
            let _ = unsafe { sigaction(sig, &old) };
        }
        let _ = SIGNAL_PIPE.compare_exchange(
            self.write.as_raw_fd(),
            -1,
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
    }
}

/// Block until one of `fds` is readable, hung up or in error, or `timeout`
/// passes (`None`: no limit). `ready` gets one flag per fd. An interrupted
/// poll returns with nothing ready; callers loop anyway.
pub fn poll_readable(
    fds: &[BorrowedFd<'_>],
    timeout: Option<Duration>,
    ready: &mut Vec<bool>,
) -> io::Result<()> {
    let mut polls: Vec<PollFd<'_>> = fds
        .iter()
        .map(|fd| PollFd::new(fd, PollFlags::IN))
        .collect();
    let spec = timeout.map(crate::sys::time::timespec);
    ready.clear();
    match rustix::event::poll(&mut polls, spec.as_ref()) {
        Ok(_) => ready.extend(polls.iter().map(|p| !p.revents().is_empty())),
        Err(rustix::io::Errno::INTR) => ready.resize(fds.len(), false),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Like [`poll_readable`], but an fd paired with `true` waits for room to
/// write instead (a job's stdin under `fork --pipe`).
pub fn poll_fds(
    fds: &[(BorrowedFd<'_>, bool)],
    timeout: Option<Duration>,
    ready: &mut Vec<bool>,
) -> io::Result<()> {
    let mut polls: Vec<PollFd<'_>> = fds
        .iter()
        .map(|(fd, write)| {
            PollFd::new(
                fd,
                if *write {
                    PollFlags::OUT
                } else {
                    PollFlags::IN
                },
            )
        })
        .collect();
    let spec = timeout.map(crate::sys::time::timespec);
    ready.clear();
    match rustix::event::poll(&mut polls, spec.as_ref()) {
        Ok(_) => ready.extend(polls.iter().map(|p| !p.revents().is_empty())),
        Err(rustix::io::Errno::INTR) => ready.resize(fds.len(), false),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Ask for a pipe buffer of `bytes` (`F_SETPIPE_SZ`), so a writer feeding
/// a job wakes up less often. Best effort: the kernel caps it at
/// `/proc/sys/fs/pipe-max-size` for unprivileged callers.
pub fn set_pipe_size(fd: BorrowedFd<'_>, bytes: usize) {
    let _ = rustix::pipe::fcntl_setpipe_size(fd, bytes);
}

/// Move up to `len` bytes of `file` from `offset` into `pipe` without
/// copying them through user space (`splice(2)`); advances `offset`.
/// Returns 0 at the end of the file; `WouldBlock` when the pipe is full.
pub fn splice_to_pipe(
    file: BorrowedFd<'_>,
    offset: &mut u64,
    pipe: BorrowedFd<'_>,
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

/// Make reads on `fd` return `WouldBlock` instead of waiting.
pub fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    let flags = rustix::fs::fcntl_getfl(fd)?;
    rustix::fs::fcntl_setfl(fd, flags | rustix::fs::OFlags::NONBLOCK)?;
    Ok(())
}

/// Raise the soft limit on open files to at least `want` (up to the hard
/// limit); returns the soft limit now in force.
pub fn raise_open_files(want: u64) -> io::Result<u64> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).map_err(io::Error::from)?;
    if soft >= want {
        return Ok(soft);
    }
    let new = want.min(hard);
    setrlimit(Resource::RLIMIT_NOFILE, new, hard).map_err(io::Error::from)?;
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Stdio;

    #[test]
    fn a_group_child_leads_its_own_group_and_is_reaped() -> io::Result<()> {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "exit 7"]).stdout(Stdio::null());
        let child = GroupChild::spawn(&mut cmd)?;
        let pgid = nix::unistd::getpgid(Some(nix::unistd::Pid::from_raw(child.pid())));
        // The child may already be a zombie; a zombie still has its group.
        if let Ok(pgid) = pgid {
            assert_eq!(pgid.as_raw(), child.pid());
        }
        if let Some(fd) = child.pidfd() {
            assert!(fd.wait_timeout(Some(Duration::from_secs(10)))?);
        }
        child.signal_group(Signal::NULL)?;
        let status = child.reap()?;
        assert_eq!(status.code(), Some(7));
        Ok(())
    }

    #[test]
    fn caught_signals_arrive_on_the_pipe_and_handlers_are_restored() -> io::Result<()> {
        let watch = SignalWatch::new(&[Signal::USR2])?;
        assert!(SignalWatch::new(&[Signal::USR1]).is_err(), "one at a time");
        nix::sys::signal::raise(NixSignal::SIGUSR2).map_err(io::Error::from)?;
        let mut ready = Vec::new();
        poll_readable(&[watch.as_fd()], Some(Duration::from_secs(5)), &mut ready)?;
        assert_eq!(ready, [true]);
        assert_eq!(watch.take()?, [Signal::USR2]);
        assert!(watch.take()?.is_empty());
        drop(watch);
        // SAFETY: only reads the current disposition back by setting it.
        let now = unsafe {
            sigaction(
                NixSignal::SIGUSR2,
                &SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty()),
            )
        }
        .map_err(io::Error::from)?;
        assert!(matches!(now.handler(), SigHandler::SigDfl));
        Ok(())
    }

    #[test]
    fn poll_reports_a_hung_up_pipe() -> io::Result<()> {
        let (r, w) = rustix::pipe::pipe()?;
        let mut ready = Vec::new();
        poll_readable(&[r.as_fd()], Some(Duration::ZERO), &mut ready)?;
        assert_eq!(ready, [false]);
        drop(w);
        poll_readable(&[r.as_fd()], Some(Duration::from_secs(5)), &mut ready)?;
        assert_eq!(ready, [true]);
        Ok(())
    }
}
