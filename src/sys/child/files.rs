//! Files a launch opens before the clone (logs, `/dev/null`, the working
//! directory), so their errors are reported with their names, and the lock
//! a pidfile is written under.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// Open `path` for appending (created with mode 0666 less the umask, like a
/// shell's `>>`), close-on-exec.
pub fn open_append(path: &std::path::Path) -> io::Result<OwnedFd> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .custom_flags(libc::O_NOCTTY)
        .open(path)?;
    Ok(file.into())
}

/// Open a directory to change into later (`fchdir` in the child), checking
/// now that it is one and can be entered.
pub fn open_dir(path: &std::path::Path) -> io::Result<OwnedFd> {
    let fd = rustix::fs::open(
        path,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    rustix::fs::accessat(
        fd.as_fd(),
        ".",
        rustix::fs::Access::EXEC_OK,
        rustix::fs::AtFlags::empty(),
    )?;
    Ok(fd)
}

/// `/dev/null`, for reading or writing.
pub fn dev_null(write: bool) -> io::Result<OwnedFd> {
    let mode = if write {
        rustix::fs::OFlags::WRONLY
    } else {
        rustix::fs::OFlags::RDONLY
    };
    Ok(rustix::fs::open(
        "/dev/null",
        mode | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?)
}

/// Take an exclusive `flock` on an open file or directory, blocking.
pub fn lock_exclusive(fd: BorrowedFd<'_>) -> io::Result<()> {
    loop {
        match rustix::fs::flock(fd, rustix::fs::FlockOperation::LockExclusive) {
            Ok(()) => return Ok(()),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}
