//! Acting on pinned targets: opening each as a pidfd (or, without pidfds,
//! keeping its pin), sending signals, and waiting for exits.

use std::io;
use std::time::{Duration, Instant};

use super::pin::{Miss, Target, check_pin};
use crate::proc::{ProcDir, Reader};
use crate::signal::{Action, Signal};
use crate::sys::exitwatch::{ExitWatch, Probe};
use crate::sys::pidfd::{self, PidFd};

/// A target opened for signalling: its pidfd, or, where the kernel has no
/// pidfds, its pin, checked again before every signal.
#[derive(Debug)]
pub struct Bound {
    pid: i32,
    start_ticks: u64,
    fd: Option<PidFd>,
    dir: Option<ProcDir>,
}

impl Bound {
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// True when signals go through a pidfd (false only on old kernels).
    pub fn uses_pidfd(&self) -> bool {
        self.fd.is_some()
    }

    /// Send `signal` to exactly this process.
    pub fn send(&self, signal: Signal, reader: &mut Reader) -> Result<(), Miss> {
        match (&self.fd, &self.dir) {
            (Some(fd), _) => fd.send(signal.number()).map_err(|e| Miss::from_io(&e)),
            (None, Some(dir)) => {
                check_pin(dir, self.start_ticks, reader)?;
                crate::sys::kill::kill(self.pid, signal.number()).map_err(|e| Miss::from_io(&e))
            }
            (None, None) => Err(Miss::Gone),
        }
    }

    /// True once the process has exited, reaped or not (a zombie has exited).
    pub fn has_exited(&self, reader: &mut Reader) -> bool {
        match (&self.fd, &self.dir) {
            // An error polling our own pidfd cannot mean "exited"; treat it
            // as still running, so nothing is reported that did not happen.
            (Some(fd), _) => fd.has_exited().unwrap_or(false),
            (None, Some(dir)) => match reader.stat_pinned(dir) {
                Ok(stat) => stat.has_ended(),
                Err(e) => crate::sys::is_gone(&e),
            },
            (None, None) => true,
        }
    }
}

/// Opens targets. The first sign that there are no pidfds here (ENOSYS, or
/// EPERM from a seccomp filter) switches it to kill(2) for the rest of the
/// run.
#[derive(Debug, Default)]
pub struct Opener {
    no_pidfd: bool,
}

impl Opener {
    pub fn new() -> Opener {
        Opener::default()
    }

    /// An opener that never uses pidfds: what runs where there are none.
    pub fn without_pidfds() -> Opener {
        Opener { no_pidfd: true }
    }

    /// Open `target`, or say why not. Never returns a handle on a process
    /// other than the one selected.
    pub fn open(&mut self, target: &Target, reader: &mut Reader) -> Result<Bound, Miss> {
        if !self.no_pidfd {
            match PidFd::open(target.pid) {
                Ok(fd) => {
                    // The check that makes the pidfd trustworthy (see the
                    // module documentation): after opening it, the pinned
                    // process still exists and still holds the PID.
                    target.check(reader)?;
                    return Ok(Bound {
                        pid: target.pid,
                        start_ticks: target.start_ticks,
                        fd: Some(fd),
                        dir: None,
                    });
                }
                Err(e) if pidfd::unavailable(&e) => self.no_pidfd = true,
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                    return Err(Miss::Failed("not a process (a thread ID?)".to_string()));
                }
                Err(e) => return Err(Miss::from_io(&e)),
            }
        }
        target.check(reader)?;
        Ok(Bound {
            pid: target.pid,
            start_ticks: target.start_ticks,
            fd: None,
            dir: target.dir.clone(),
        })
    }
}

/// How often, at most, processes without a pidfd are looked at while
/// waiting (old kernels only: there is nothing to block on for them).
const FALLBACK_POLL: Duration = Duration::from_millis(10);

/// Wait until every process in `bound` has exited or `deadline` passes,
/// calling `exited(index, when)` for each as it is seen to exit. Blocks on
/// the pidfds (the exit watcher's epoll set), with no busy waiting; those
/// without one are looked at through their pins.
pub fn wait_exits(
    bound: &[&Bound],
    deadline: Instant,
    reader: &mut Reader,
    mut exited: impl FnMut(usize, Instant),
) -> io::Result<()> {
    let mut watch = ExitWatch::new()?.max_poll_pause(FALLBACK_POLL);
    for (i, b) in bound.iter().enumerate() {
        match &b.fd {
            Some(fd) => watch.add(fd, i as u64)?,
            None => watch.add_polled(i as u64),
        }
    }
    let probe = |key: u64| {
        let b = bound[usize::try_from(key).unwrap_or(usize::MAX)];
        if b.has_exited(reader) {
            Probe::Exited
        } else {
            Probe::Running
        }
    };
    watch.until_all(Some(deadline), probe, |key, when| {
        exited(usize::try_from(key).unwrap_or(usize::MAX), when);
    })?;
    Ok(())
}

/// True for the signals whose default action stops a process.
pub fn is_stop_signal(signal: Signal) -> bool {
    signal.number() != 0 && signal.default_action() == Action::Stop
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_signals() {
        assert!(is_stop_signal(Signal::STOP));
        assert!(!is_stop_signal(Signal::TERM));
        assert!(!is_stop_signal(Signal::NULL));
    }
}
