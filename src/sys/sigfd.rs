//! Receiving signals as data: block a set of signals and read them from a
//! `signalfd`, so a supervisor can `poll` on signals, pidfds and timeouts in
//! one place instead of running code in signal handlers.
//!
//! Blocked signals are not lost: they stay pending until read. A child
//! started with [`crate::sys::child::launch`] gets an empty signal mask, so
//! blocking here does not leak into commands. Standard signals coalesce
//! while pending (two TERMs before a read arrive as one), as they would for
//! a handler.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};

use nix::sys::signal::SigSet;
use nix::sys::signalfd::{SfdFlags, SignalFd};

use super::sigmask::Blocked;
use crate::signal::Signal;

/// One signal read from the descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    pub signal: Signal,
    /// The PID that sent it (0 for the kernel, e.g. a terminal's Ctrl-C).
    pub sender: i32,
}

/// A set of blocked signals readable from a descriptor. Dropping it restores
/// the signal mask that was in force before.
#[derive(Debug)]
pub struct Signals {
    fd: SignalFd,
    _blocked: Blocked,
}

impl Signals {
    /// Block `signals` in this thread and open a non-blocking signalfd for
    /// them. Call it before starting other threads, which inherit the mask.
    pub fn block(signals: &[Signal]) -> io::Result<Signals> {
        let mut set = SigSet::empty();
        for sig in signals {
            let sig = nix::sys::signal::Signal::try_from(sig.number()).map_err(io::Error::from)?;
            set.add(sig);
        }
        let blocked = Blocked::block(&set)?;
        let fd = SignalFd::with_flags(&set, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
            .map_err(io::Error::from)?;
        Ok(Signals {
            fd,
            _blocked: blocked,
        })
    }

    /// Every signal pending now, in arrival order (empty when none).
    pub fn read(&mut self) -> io::Result<Vec<Received>> {
        let mut out = Vec::new();
        loop {
            match self.fd.read_signal() {
                Ok(Some(info)) => {
                    let number = i32::try_from(info.ssi_signo).unwrap_or(0);
                    if let Some(signal) = Signal::from_number(number) {
                        out.push(Received {
                            signal,
                            sender: i32::try_from(info.ssi_pid).unwrap_or(0),
                        });
                    }
                }
                Ok(None) => return Ok(out),
                Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl AsFd for Signals {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Whether `signal` is ignored (`SIG_IGN`) in this process, as `nohup`
/// leaves HUP and a non-interactive shell leaves INT and QUIT for a job
/// started with `&`. Such a disposition survives `exec`.
pub fn ignored(signal: Signal) -> bool {
    // SAFETY: an all-zero sigaction is a valid value (SIG_DFL, no flags).
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `current`.
    let ret = unsafe { libc::sigaction(signal.number(), std::ptr::null(), &mut current) };
    ret == 0 && current.sa_sigaction == libc::SIG_IGN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_signal_sent_to_itself() -> io::Result<()> {
        // Tests run on several threads: a process-directed signal may be
        // taken by any thread that does not block it, so send it to this
        // thread only.
        let mut signals = Signals::block(&[Signal::USR2])?;
        // SAFETY: raise sends to the calling thread; USR2 is blocked here.
        unsafe { libc::raise(libc::SIGUSR2) };
        let got = signals.read()?;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].signal, Signal::USR2);
        assert_eq!(got[0].sender, crate::sys::own_pid());
        assert!(signals.read()?.is_empty());
        Ok(())
    }

    #[test]
    fn tells_an_ignored_signal() {
        // std ignores SIGPIPE in test binaries; TERM keeps its default.
        assert!(ignored(Signal::from_number(libc::SIGPIPE).unwrap()));
        assert!(!ignored(Signal::TERM));
    }
}
