//! The one exit watcher: wait for any or all of a set of processes to exit,
//! with an optional deadline. `kill`'s grace period, `wait` and
//! `spawn --wait` use it; it is the API for anything else that waits for
//! processes (`fork`'s jobs, `top`, `lock`).
//!
//! Each process is watched through its pidfd in one epoll set: nothing is
//! spent while nothing happens, and each wakeup costs what changed, however
//! many are watched (`poll(2)` would cost all of them). A pidfd is
//! registered edge-triggered, so it reports twice: once when its process
//! exits (readable: a zombie) and once more when the parent reaps it
//! (readable and hung up). Where there is no pidfd for a process (Linux
//! before 5.3, or a seccomp filter refusing `pidfd_open`) it is *polled*:
//! the caller's probe (which reads `/proc` through whatever pin the caller
//! holds: this module knows nothing of `/proc`) is asked between waits,
//! with a pause that doubles from 2 ms up to a maximum. Other descriptors
//! (a [`crate::sys::sigwatch::SignalWatch`]) can join the set, so one wait
//! covers exits, signals and a deadline.
//!
//! Keys are the caller's: an index into its own table, typically.

use std::collections::HashSet;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use rustix::event::epoll;

use super::pidfd::PidFd;

/// What the watcher reports about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// The key the process (or descriptor) was added with.
    pub key: u64,
    /// The process has been reaped (it is gone, not a zombie). Always false
    /// for a descriptor added with [`ExitWatch::add_fd`].
    pub reaped: bool,
}

/// What a probe says about a polled process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    Running,
    /// Exited, not reaped yet (a zombie).
    Exited,
    /// Gone altogether (or its PID now names another process).
    Reaped,
}

/// The first pause between two probes of polled processes.
const POLL_FIRST: Duration = Duration::from_millis(2);

/// A set of processes (and descriptors) being watched; see the module
/// documentation.
pub struct ExitWatch {
    epoll: OwnedFd,
    events: Vec<epoll::Event>,
    /// Keys of processes without a pidfd, asked about through the probe.
    polled: Vec<u64>,
    /// Keys of other descriptors: never an exit.
    others: HashSet<u64>,
    /// How many processes were added (pidfd or polled).
    processes: usize,
    pause: Duration,
    max_pause: Duration,
}

impl std::fmt::Debug for ExitWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExitWatch")
            .field("epoll", &self.epoll)
            .field("polled", &self.polled)
            .field("processes", &self.processes)
            .finish_non_exhaustive()
    }
}

impl ExitWatch {
    pub fn new() -> io::Result<ExitWatch> {
        Ok(ExitWatch {
            epoll: epoll::create(epoll::CreateFlags::CLOEXEC)?,
            events: Vec::with_capacity(256),
            polled: Vec::new(),
            others: HashSet::new(),
            processes: 0,
            pause: POLL_FIRST,
            max_pause: Duration::from_millis(250),
        })
    }

    /// The longest pause between probes of polled processes (250 ms unless
    /// set): a shorter one notices exits sooner at some cost in wakeups.
    pub fn max_poll_pause(mut self, max: Duration) -> ExitWatch {
        self.max_pause = max.max(POLL_FIRST);
        self
    }

    /// Watch the process behind `fd` under `key`. A process that has
    /// already exited is reported by the next wait. Closing the pidfd takes
    /// it out of the set.
    pub fn add(&mut self, fd: &PidFd, key: u64) -> io::Result<()> {
        epoll::add(
            &self.epoll,
            fd,
            epoll::EventData::new_u64(key),
            epoll::EventFlags::IN | epoll::EventFlags::ET,
        )?;
        self.processes += 1;
        Ok(())
    }

    /// Watch a process that has no pidfd under `key`: the probe passed to
    /// each wait tells whether it has exited. Once it says so, the key is
    /// reported and no longer probed.
    pub fn add_polled(&mut self, key: u64) {
        self.polled.push(key);
        self.processes += 1;
    }

    /// Also wake for `fd` becoming readable (level-triggered: it keeps
    /// waking until read), reported under `key`.
    pub fn add_fd(&mut self, fd: BorrowedFd<'_>, key: u64) -> io::Result<()> {
        epoll::add(
            &self.epoll,
            fd,
            epoll::EventData::new_u64(key),
            epoll::EventFlags::IN,
        )?;
        self.others.insert(key);
        Ok(())
    }

    /// Block until something changes or `timeout` passes (`None`: no
    /// limit), and return what changed: processes that exited or were
    /// reaped, descriptors that became readable. An empty answer means the
    /// timeout passed or a signal interrupted the wait. While processes are
    /// polled, the wait is cut into pauses between probes.
    pub fn wait(
        &mut self,
        timeout: Option<Duration>,
        mut probe: impl FnMut(u64) -> Probe,
    ) -> io::Result<Vec<Change>> {
        let mut changes = self.probe_polled(&mut probe);
        if !changes.is_empty() {
            return Ok(changes);
        }
        let mut timeout = timeout;
        if !self.polled.is_empty() {
            timeout = Some(timeout.map_or(self.pause, |t| t.min(self.pause)));
            self.pause = (self.pause * 2).min(self.max_pause);
        }
        self.wait_epoll(timeout, &mut changes)?;
        if changes.is_empty() {
            changes = self.probe_polled(&mut probe);
        }
        Ok(changes)
    }

    /// Wait until every process added has exited (each reported
    /// once, as it is first seen to exit, through `exited(key, when)`) or
    /// `deadline` passes. True when all did. Descriptors added
    /// with [`ExitWatch::add_fd`] are ignored here.
    pub fn until_all(
        &mut self,
        deadline: Option<Instant>,
        mut probe: impl FnMut(u64) -> Probe,
        mut exited: impl FnMut(u64, Instant),
    ) -> io::Result<bool> {
        let mut seen = HashSet::new();
        loop {
            if seen.len() >= self.processes {
                return Ok(true);
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                return Ok(false);
            }
            let changes = self.wait(deadline.map(|d| d - now), &mut probe)?;
            let now = Instant::now();
            for change in changes {
                // A pidfd reports again when its process is reaped.
                if !self.others.contains(&change.key) && seen.insert(change.key) {
                    exited(change.key, now);
                }
            }
        }
    }

    fn probe_polled(&mut self, probe: &mut impl FnMut(u64) -> Probe) -> Vec<Change> {
        let mut changes = Vec::new();
        self.polled.retain(|&key| match probe(key) {
            Probe::Running => true,
            Probe::Exited => {
                changes.push(Change { key, reaped: false });
                false
            }
            Probe::Reaped => {
                changes.push(Change { key, reaped: true });
                false
            }
        });
        changes
    }

    fn wait_epoll(
        &mut self,
        timeout: Option<Duration>,
        changes: &mut Vec<Change>,
    ) -> io::Result<()> {
        let spec = timeout.map(super::time::timespec);
        self.events.clear();
        match epoll::wait(
            &self.epoll,
            rustix::buffer::spare_capacity(&mut self.events),
            spec.as_ref(),
        ) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        changes.extend(self.events.iter().map(|event| {
            // Copied out: the kernel's epoll_event is packed.
            let flags = event.flags;
            let key = event.data.u64();
            Change {
                key,
                reaped: !self.others.contains(&key) && flags.contains(epoll::EventFlags::HUP),
            }
        }));
        if self.events.len() == self.events.capacity() {
            // A full batch: make room so a burst of exits drains in fewer calls.
            self.events.reserve(self.events.capacity());
        }
        Ok(())
    }
}

impl AsFd for ExitWatch {
    /// The epoll set itself, readable when something changed: one watch can
    /// sit inside another event loop's poll.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epoll.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::pidfd::{ExitInfo, exit_info_supported};
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    #[test]
    fn reports_exit_then_reap_and_the_status() -> io::Result<()> {
        let mut child = Command::new("sh")
            .args(["-c", "read line; exit 3"])
            .stdin(Stdio::piped())
            .spawn()?;
        let fd = PidFd::open(child.id() as i32)?;
        let supported = exit_info_supported(&fd);
        if supported {
            assert_eq!(fd.exit_info(), ExitInfo::NotYet, "still running");
        }
        let mut watch = ExitWatch::new()?;
        watch.add(&fd, 7)?;
        let never = |_| Probe::Running;
        assert!(watch.wait(Some(Duration::ZERO), never)?.is_empty());
        child.stdin.take().expect("stdin").write_all(b"go\n")?;
        let first = watch.wait(Some(Duration::from_secs(10)), never)?;
        assert_eq!(first.first().map(|c| c.key), Some(7));
        // Exited but not reaped: a zombie, so no status yet.
        if !first[0].reaped && supported {
            assert_eq!(fd.exit_info(), ExitInfo::NotYet);
        }
        child.wait()?;
        if supported {
            let second = watch.wait(Some(Duration::from_secs(10)), never)?;
            assert!(first[0].reaped || second.iter().any(|c| c.key == 7 && c.reaped));
            assert_eq!(fd.exit_info(), ExitInfo::Status(3 << 8));
        }
        Ok(())
    }

    #[test]
    fn waits_for_all_pidfds_and_polled_alike() -> io::Result<()> {
        let mut a = Command::new("sleep").arg("0.05").spawn()?;
        let mut b = Command::new("sleep").arg("0.1").spawn()?;
        let fd = PidFd::open(a.id() as i32)?;
        let b_pid = b.id() as i32;
        let mut watch = ExitWatch::new()?;
        watch.add(&fd, 0)?;
        watch.add_polled(1);
        // The probe a caller without pidfds would use: has it exited?
        let probe = |key| {
            assert_eq!(key, 1);
            match crate::sys::child::has_exited(b_pid) {
                Ok(true) => Probe::Exited,
                _ => Probe::Running,
            }
        };
        let mut order = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        let met = watch.until_all(Some(deadline), probe, |k, _| order.push(k))?;
        a.wait()?;
        b.wait()?;
        assert!(met);
        order.sort_unstable();
        assert_eq!(order, [0, 1]);
        Ok(())
    }

    #[test]
    fn wait_returns_at_the_first_exit_and_a_deadline_ends_until_all() -> io::Result<()> {
        let mut quick = Command::new("true").spawn()?;
        let mut slow = Command::new("sleep").arg("30").spawn()?;
        let quick_fd = PidFd::open(quick.id() as i32)?;
        let slow_fd = PidFd::open(slow.id() as i32)?;
        let mut watch = ExitWatch::new()?;
        watch.add(&quick_fd, 1)?;
        watch.add(&slow_fd, 2)?;
        let first = watch.wait(Some(Duration::from_secs(20)), |_| Probe::Running);
        let mut alone = ExitWatch::new()?;
        alone.add(&slow_fd, 2)?;
        let start = Instant::now();
        let late = alone.until_all(
            Some(start + Duration::from_millis(50)),
            |_| Probe::Running,
            |_, _| {},
        );
        slow.kill()?;
        slow.wait()?;
        quick.wait()?;
        let first: Vec<u64> = first?.iter().map(|c| c.key).collect();
        assert_eq!(first, [1]);
        assert!(!late?);
        assert!(start.elapsed() >= Duration::from_millis(50));
        Ok(())
    }
}
