//! Job control: process groups and the controlling terminal, for a
//! supervisor that hands the terminal to the command it runs.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};

use rustix::process::Pid;

use crate::sys::sigmask::Blocked;

/// ptool's own process group: 0 when the group's leader is outside this
/// PID namespace (a container started from a shell outside it). Not
/// rustix's `getpgrp`, whose non-zero `Pid` cannot hold that 0.
pub fn own_group() -> i32 {
    nix::unistd::getpgrp().as_raw()
}

/// The controlling terminal, opened for job control, when there is one.
pub fn controlling_terminal() -> Option<OwnedFd> {
    rustix::fs::open(
        "/dev/tty",
        rustix::fs::OFlags::RDWR | rustix::fs::OFlags::NOCTTY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .ok()
}

/// The terminal's foreground process group.
pub fn foreground_group(tty: BorrowedFd<'_>) -> Option<i32> {
    rustix::termios::tcgetpgrp(tty)
        .ok()
        .map(|p| p.as_raw_nonzero().get())
}

/// Make `pgid` the terminal's foreground group. SIGTTOU is blocked for the
/// call: from a background group, tcsetpgrp(3) would otherwise stop ptool.
pub fn set_foreground_group(tty: BorrowedFd<'_>, pgid: i32) -> io::Result<()> {
    let pid = Pid::from_raw(pgid).ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))?;
    let _held = Blocked::signals(&[libc::SIGTTOU])?;
    rustix::termios::tcsetpgrp(tty, pid)?;
    Ok(())
}

/// Stop this process with `signal` (job control: mirror a stopped command
/// so the shell sees its job stop). Returns once continued.
pub fn stop_self(signo: i32) -> io::Result<()> {
    // SAFETY: raise takes a plain signal number.
    let ret = unsafe { libc::raise(signo) };
    crate::sys::zero_or_errno(ret)
}
