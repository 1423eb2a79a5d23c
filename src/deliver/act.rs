//! Acting on pinned targets: opening each as a pidfd (or, without pidfds,
//! keeping its pin), sending signals, and waiting for exits.

use std::collections::HashSet;
use std::io;
use std::time::{Duration, Instant};

use super::pin::{Miss, Target, check_pin};
use crate::proc::{ProcDir, Reader};
use crate::signal::{Action, Signal};
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
            (Some(fd), _) => fd.send(signal).map_err(|e| Miss::from_io(&e)),
            (None, Some(dir)) => {
                check_pin(dir, self.start_ticks, reader)?;
                pidfd::kill(self.pid, signal).map_err(|e| Miss::from_io(&e))
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

/// How often processes without a pidfd are looked at while waiting (old
/// kernels only: there is nothing to block on for them).
const FALLBACK_POLL: Duration = Duration::from_millis(10);

/// Wait until every process in `bound` has exited or `deadline` passes,
/// calling `exited(index, when)` for each as it is seen to exit. Blocks on
/// the pidfds (epoll), with no busy waiting.
pub fn wait_exits(
    bound: &[&Bound],
    deadline: Instant,
    reader: &mut Reader,
    mut exited: impl FnMut(usize, Instant),
) -> io::Result<()> {
    let fds: Option<Vec<&PidFd>> = bound.iter().map(|b| b.fd.as_ref()).collect();
    if let Some(fds) = fds {
        // One epoll set: each wakeup costs what changed, however many wait.
        let mut watch = pidfd::Watch::new()?;
        for (i, fd) in fds.iter().enumerate() {
            watch.add(fd, i as u64)?;
        }
        let mut seen = vec![false; fds.len()];
        let mut left = fds.len();
        while left > 0 {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let changes = watch.wait(Some(deadline - now))?;
            let now = Instant::now();
            for change in changes {
                // A pidfd reports again when its process is reaped.
                let i = usize::try_from(change.key).unwrap_or(usize::MAX);
                if seen.get(i) == Some(&false) {
                    seen[i] = true;
                    left -= 1;
                    exited(i, now);
                }
            }
        }
        return Ok(());
    }
    // Some processes have no pidfd (old kernels): poll(2) over those that
    // do, and look at the others in /proc between polls.
    let mut pending: Vec<usize> = (0..bound.len()).collect();
    loop {
        let now = Instant::now();
        pending.retain(|&i| {
            if bound[i].fd.is_none() && bound[i].has_exited(reader) {
                exited(i, now);
                false
            } else {
                true
            }
        });
        if pending.is_empty() || now >= deadline {
            return Ok(());
        }
        let mut timeout = deadline - now;
        if pending.iter().any(|&i| bound[i].fd.is_none()) {
            timeout = timeout.min(FALLBACK_POLL);
        }
        let (indexes, fds): (Vec<usize>, Vec<&PidFd>) = pending
            .iter()
            .filter_map(|&i| bound[i].fd.as_ref().map(|fd| (i, fd)))
            .unzip();
        let ready = pidfd::wait_any(&fds, Some(timeout))?;
        if ready.is_empty() {
            continue;
        }
        let now = Instant::now();
        let done: HashSet<usize> = ready.into_iter().map(|r| indexes[r]).collect();
        for &i in &done {
            exited(i, now);
        }
        pending.retain(|i| !done.contains(i));
    }
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
