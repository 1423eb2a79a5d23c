//! Waiting on descriptors: one `poll(2)` over a few fds (pipes, a signal
//! watch), and non-blocking reads. Waiting on many processes' exits is
//! [`crate::sys::exitwatch`]'s job (epoll: each wakeup costs what changed).

use std::io;
use std::os::fd::BorrowedFd;
use std::time::Duration;

use rustix::event::{PollFd, PollFlags};

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

/// Make reads on `fd` return `WouldBlock` instead of waiting.
pub fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    let flags = rustix::fs::fcntl_getfl(fd)?;
    rustix::fs::fcntl_setfl(fd, flags | rustix::fs::OFlags::NONBLOCK)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

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
