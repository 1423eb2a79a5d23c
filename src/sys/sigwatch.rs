//! Signals as readable data, for an event loop: the one signal watcher,
//! used by `spawn --wait` and `fork`.
//!
//! A handler writes each signal's number to a pipe (the self-pipe trick),
//! and the loop polls the pipe's read end beside pidfds and deadlines.
//! Chosen over a signalfd, which `spawn --wait` used before, so that
//! `spawn` and `fork` share one: a signalfd sees only signals that are
//! blocked, and a blocked mask is inherited by every thread started later
//! and by every child until its launcher clears it (ptool's launcher and
//! std's `Command` both do, but each launcher must get it right), while a
//! process-directed signal still goes to any thread that does not block it.
//! A caught signal goes back to its default action at `exec` by
//! definition, however the child was started. The cost is a handler that
//! does one async-signal-safe `write(2)` and nothing else; what a signalfd
//! would add, the sender's PID, nothing in ptool uses.
//!
//! Signals that were ignored when ptool started (`nohup`, a background job
//! of a non-interactive shell) stay ignored, for ptool and for its children.
//! Standard signals coalesce only when the pipe is full (64 KiB of them).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal as NixSignal, sigaction};

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

/// Caught signals, readable as their numbers from a pipe (see the module
/// documentation). Dropping it puts back the dispositions it replaced.
#[derive(Debug)]
pub struct SignalWatch {
    read: OwnedFd,
    write: OwnedFd,
    old: Vec<(NixSignal, SigAction)>,
}

impl SignalWatch {
    /// Catch `signals` (raw numbers); only one watch may exist at a time.
    /// SIGCHLD, when asked for, reports children that exit, not those that
    /// stop (see [`SignalWatch::with_stops`]).
    pub fn new(signals: &[i32]) -> io::Result<SignalWatch> {
        SignalWatch::catch(signals, SaFlags::SA_NOCLDSTOP)
    }

    /// Like [`SignalWatch::new`], but SIGCHLD also comes when a child stops
    /// or continues: what a supervisor mirroring job control needs.
    pub fn with_stops(signals: &[i32]) -> io::Result<SignalWatch> {
        SignalWatch::catch(signals, SaFlags::empty())
    }

    fn catch(signals: &[i32], flags: SaFlags) -> io::Result<SignalWatch> {
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
            SaFlags::SA_RESTART | flags,
            SigSet::empty(),
        );
        for &signo in signals {
            let sig = NixSignal::try_from(signo).map_err(io::Error::from)?;
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

    /// The numbers of the signals that arrived since the last call, in
    /// order.
    pub fn take(&self) -> io::Result<Vec<i32>> {
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            match rustix::io::read(&self.read, &mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend(buf[..n].iter().map(|&b| i32::from(b))),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::poll::poll_readable;
    use std::time::Duration;

    #[test]
    fn caught_signals_arrive_on_the_pipe_and_handlers_are_restored() -> io::Result<()> {
        let watch = SignalWatch::new(&[libc::SIGUSR2])?;
        assert!(SignalWatch::new(&[libc::SIGUSR1]).is_err(), "one at a time");
        // raise() sends to this thread: the handler runs here, whatever
        // the other test threads block.
        nix::sys::signal::raise(NixSignal::SIGUSR2).map_err(io::Error::from)?;
        let mut ready = Vec::new();
        poll_readable(&[watch.as_fd()], Some(Duration::from_secs(5)), &mut ready)?;
        assert_eq!(ready, [true]);
        assert_eq!(watch.take()?, [libc::SIGUSR2]);
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
}
