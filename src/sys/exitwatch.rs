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
//! join the set, waited on for reading or for writing: a
//! [`crate::sys::sigwatch::SignalWatch`], a job's output and input pipes
//! (`fork`), so one wait covers exits, signals, pipes and a deadline. They
//! are level-triggered, as with `poll(2)`: a descriptor keeps waking the
//! wait until it is read (or written) or removed. A descriptor epoll
//! cannot watch (a regular file, `/dev/null`: `EPERM`) counts as always
//! ready, which is what `poll(2)` says of it.
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

/// What a descriptor added with [`ExitWatch::add_fd`] is waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    /// Data to read, or the end of file.
    Read,
    /// Room to write, or the reader gone.
    Write,
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
    /// Keys of descriptors epoll refused (regular files): always ready.
    always: Vec<u64>,
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
            always: Vec::new(),
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

    /// Also wake for `fd` becoming readable or writable, as `interest`
    /// says, reported under `key` until it is removed (level-triggered:
    /// it keeps waking until read or written). A descriptor epoll cannot
    /// watch (a regular file) is reported by every wait, as `poll(2)`
    /// would.
    pub fn add_fd(&mut self, fd: BorrowedFd<'_>, key: u64, interest: Interest) -> io::Result<()> {
        let flags = match interest {
            Interest::Read => epoll::EventFlags::IN,
            Interest::Write => epoll::EventFlags::OUT,
        };
        match epoll::add(&self.epoll, fd, epoll::EventData::new_u64(key), flags) {
            Ok(()) => {}
            Err(rustix::io::Errno::PERM) => self.always.push(key),
            Err(e) => return Err(e.into()),
        }
        self.others.insert(key);
        Ok(())
    }

    /// Stop waking for `fd`, added under `key` with [`ExitWatch::add_fd`].
    /// Closing a descriptor also takes it out of the set, but its key
    /// stays known as a descriptor's until it is removed here.
    pub fn remove_fd(&mut self, fd: BorrowedFd<'_>, key: u64) -> io::Result<()> {
        self.others.remove(&key);
        if let Some(i) = self.always.iter().position(|&k| k == key) {
            self.always.swap_remove(i);
            return Ok(());
        }
        epoll::delete(&self.epoll, fd)?;
        Ok(())
    }

    /// Block until something changes or `timeout` passes (`None`: no
    /// limit), and return what changed: processes that exited or were
    /// reaped, descriptors that became ready. An empty answer means the
    /// timeout passed or a signal interrupted the wait. While processes are
    /// polled, the wait is cut into pauses between probes.
    pub fn wait(
        &mut self,
        timeout: Option<Duration>,
        mut probe: impl FnMut(u64) -> Probe,
    ) -> io::Result<Vec<Change>> {
        let mut changes = self.probe_polled(&mut probe);
        let mut timeout = timeout;
        if !changes.is_empty() || !self.always.is_empty() {
            // Something to report already: take what else is ready too
            // (so a stream of polled exits cannot hold back a pipe), without
            // waiting.
            timeout = Some(Duration::ZERO);
        } else if !self.polled.is_empty() {
            timeout = Some(timeout.map_or(self.pause, |t| t.min(self.pause)));
            self.pause = (self.pause * 2).min(self.max_pause);
        }
        self.wait_epoll(timeout, &mut changes)?;
        changes.extend(self.always.iter().map(|&key| Change { key, reaped: false }));
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
    fn descriptors_wake_for_reading_or_writing_until_removed() -> io::Result<()> {
        let (r, w) = rustix::pipe::pipe()?;
        let mut watch = ExitWatch::new()?;
        watch.add_fd(r.as_fd(), 1, Interest::Read)?;
        let never = |_| Probe::Running;
        assert!(watch.wait(Some(Duration::ZERO), never)?.is_empty());
        watch.add_fd(w.as_fd(), 2, Interest::Write)?;
        let keys = |changes: Vec<Change>| changes.iter().map(|c| c.key).collect::<Vec<_>>();
        // An empty pipe has room to write, nothing to read.
        assert_eq!(keys(watch.wait(Some(Duration::ZERO), never)?), [2]);
        watch.remove_fd(w.as_fd(), 2)?;
        rustix::io::write(&w, b"x")?;
        // Level-triggered: unread data wakes every wait.
        for _ in 0..2 {
            let changes = watch.wait(Some(Duration::from_secs(5)), never)?;
            assert_eq!(
                changes,
                [Change {
                    key: 1,
                    reaped: false
                }]
            );
        }
        watch.remove_fd(r.as_fd(), 1)?;
        assert!(watch.wait(Some(Duration::ZERO), never)?.is_empty());
        Ok(())
    }

    #[test]
    fn a_regular_file_is_always_ready_as_poll_says() -> io::Result<()> {
        // The test binary: a regular file, which epoll refuses (EPERM).
        let file = std::fs::File::open(std::env::current_exe()?)?;
        let mut watch = ExitWatch::new()?;
        watch.add_fd(file.as_fd(), 9, Interest::Read)?;
        let start = Instant::now();
        let changes = watch.wait(Some(Duration::from_secs(30)), |_| Probe::Running)?;
        assert_eq!(changes.first().map(|c| c.key), Some(9));
        assert!(start.elapsed() < Duration::from_secs(10));
        watch.remove_fd(file.as_fd(), 9)?;
        assert!(
            watch
                .wait(Some(Duration::ZERO), |_| Probe::Running)?
                .is_empty()
        );
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
