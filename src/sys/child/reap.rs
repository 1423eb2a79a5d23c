//! Waiting for and reaping children: a started [`Child`], how it ended,
//! orphans adopted as a subreaper. wait(2)-family calls come from rustix,
//! which reports any signal number (nix's decoding refuses real-time ones).

use std::io;

use rustix::process::{Pid, WaitId, WaitIdOptions, WaitOptions};

/// A started child, not yet reaped. Dropping it does not reap it: a detached
/// command outlives ptool; a supervised one is reaped with [`Child::wait`].
#[derive(Debug)]
pub struct Child {
    pub(super) pid: i32,
}

/// How a child of ptool's ended, as waitpid(2) reported it (compare
/// `crate::ended::EndStatus`, which also covers "unknown").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildStatus {
    /// Its exit code, when it exited.
    pub code: Option<i32>,
    /// The signal that killed it, when one did.
    pub signal: Option<i32>,
}

impl ChildStatus {
    fn from_wait(status: rustix::process::WaitStatus) -> ChildStatus {
        ChildStatus {
            code: status.exit_status(),
            signal: status.terminating_signal(),
        }
    }
}

impl Child {
    pub fn pid(&self) -> i32 {
        self.pid
    }

    fn rpid(&self) -> Pid {
        // A child's PID from fork is always positive.
        Pid::from_raw(self.pid).unwrap_or(Pid::INIT)
    }

    /// Reap the child, blocking until it exits.
    pub fn wait(&self) -> io::Result<ChildStatus> {
        loop {
            match rustix::process::waitpid(Some(self.rpid()), WaitOptions::empty()) {
                Ok(Some((_, status))) => return Ok(ChildStatus::from_wait(status)),
                Ok(None) => {}
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Send `signal` to the child. Until it is reaped its PID cannot be
    /// reused, so plain `kill(2)` reaches this child and no other process.
    pub fn signal(&self, signo: i32) -> io::Result<()> {
        crate::sys::kill::kill(self.pid, signo)
    }

    /// True once the child has exited, without reaping it: while it is an
    /// unreaped zombie its PID, and so its process-group ID, cannot be
    /// reused, which keeps signalling its group safe.
    pub fn has_exited(&self) -> io::Result<bool> {
        has_exited(self.pid)
    }

    /// The signal that stopped the child, if it has stopped since the last
    /// call (consumes the stop report).
    pub fn stopped(&self) -> io::Result<Option<i32>> {
        // WSTOPPED without WEXITED: never reaps the child by accident. On a
        // zombie child this finds nothing to report and fails with ECHILD.
        match rustix::process::waitid(
            WaitId::Pid(self.rpid()),
            WaitIdOptions::STOPPED | WaitIdOptions::NOHANG,
        ) {
            Ok(status) => Ok(status.and_then(|s| s.stopping_signal())),
            Err(rustix::io::Errno::CHILD) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// True once the child `pid` of this process has exited, without reaping
/// it (WNOWAIT): while it is an unreaped zombie its PID, and so its
/// process-group ID, cannot be reused.
pub fn has_exited(pid: i32) -> io::Result<bool> {
    let pid = Pid::from_raw(pid).ok_or_else(|| io::Error::from_raw_os_error(libc::ECHILD))?;
    let status = rustix::process::waitid(
        WaitId::Pid(pid),
        WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT,
    )?;
    Ok(status.is_some_and(|s| s.exited() || s.killed() || s.dumped()))
}

/// Become a child subreaper: orphaned descendants are re-parented to this
/// process instead of PID 1, so it can wait for them and reap them.
pub fn become_subreaper() -> io::Result<()> {
    rustix::process::set_child_subreaper(Some(rustix::process::getpid()))?;
    Ok(())
}

/// The PIDs of this (single-threaded) process's children, from
/// `/proc/self/task/PID/children`; `Err` when the kernel lacks that file.
pub fn own_children() -> io::Result<Vec<i32>> {
    let me = crate::sys::own_pid();
    let text = std::fs::read_to_string(format!("/proc/self/task/{me}/children"))?;
    Ok(text
        .split_ascii_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect())
}

/// Reap `pid` if it has exited (it must be a child of this process).
pub fn reap_if_exited(pid: i32) -> io::Result<Option<ChildStatus>> {
    let Some(rpid) = Pid::from_raw(pid) else {
        return Ok(None);
    };
    match rustix::process::waitpid(Some(rpid), WaitOptions::NOHANG) {
        Ok(Some((_, status))) => Ok(Some(ChildStatus::from_wait(status))),
        Ok(None) => Ok(None),
        Err(e) => Err(e.into()),
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
/// subreaper ([`become_subreaper`]) adopted. Each is first looked at
/// without reaping (`WNOWAIT`) and then reaped by its PID, so a leader,
/// whose zombie pins its process group and whose status belongs to its
/// owner, is never taken. A zombie leader found first ends the sweep (the
/// kernel offers the same one again and again); call again after reaping
/// it.
pub fn reap_orphans(is_leader: impl Fn(i32) -> bool) -> io::Result<Orphans> {
    let mut found = Orphans::default();
    loop {
        let pid = match peek_any_exited() {
            Err(e) if e.raw_os_error() == Some(libc::ECHILD) => return Ok(found),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
            Ok(pid) => pid,
        };
        let Some(pid) = pid.filter(|&pid| !is_leader(pid)) else {
            // Children, but none exited; or a zombie leader.
            found.remaining = true;
            return Ok(found);
        };
        let Some(rpid) = Pid::from_raw(pid) else {
            return Ok(found);
        };
        match rustix::process::waitpid(Some(rpid), WaitOptions::NOHANG) {
            Ok(_) | Err(rustix::io::Errno::CHILD) => found.reaped += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

/// The PID of some exited child, left unreaped: `waitid(P_ALL, WEXITED |
/// WNOHANG | WNOWAIT)`. `None` while children remain but none has exited.
/// Called through libc: rustix's `WaitIdStatus` does not expose the PID.
fn peek_any_exited() -> io::Result<Option<i32>> {
    // SAFETY: an all-zero siginfo_t is valid; the kernel fills it in.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is a live, writable siginfo_t for the call.
    let ret = unsafe {
        libc::waitid(
            libc::P_ALL,
            0,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: after a successful waitid the siginfo's pid field is set
    // (0 when WNOHANG found nothing).
    let pid = unsafe { info.si_pid() };
    Ok((pid > 0).then_some(pid))
}
