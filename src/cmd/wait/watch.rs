//! Waiting: the targets watched through the exit watcher (pidfds, or
//! `/proc` polled), and what each exit means for the report: read the
//! zombie's status, give the parent until `--status-wait` to reap it, or
//! say why the status is unknown.

use std::io::{self, Write};
use std::time::Instant;

use anyhow::{Context as _, Result};

use super::render::Printer;
use super::{
    Ended, Goal, Moment, Progress, State, Summary, Survivor, Unknown, Verdict, Watched, log,
    processes, ran, target,
};
use crate::ended::EndStatus;
use crate::exit::{Exit, ExitError, usage};
use crate::output::sanitize::escape;
use crate::proc::{Need, Process, Reader, ZombieStatus};
use crate::sys::exitwatch::{ExitWatch, Probe};
use crate::sys::pidfd::{self, ExitInfo, PidFd};
use crate::sys::time::local;

/// A wait in progress: the targets, what the wait is for, and where the
/// report goes.
pub(super) struct Waiter<'a, W: Write> {
    pub(super) reader: Reader,
    pub(super) clk_tck: u64,
    pub(super) goal: Goal,
    pub(super) printer: Printer<'a, W>,
    pub(super) targets: Vec<Watched>,
    /// The kernel tells a reaped process's exit status through its pidfd
    /// (Linux 6.15+).
    pub(super) exit_info: bool,
    /// No pidfds: `/proc` is polled.
    pub(super) polling: bool,
}

impl<W: Write> Waiter<'_, W> {
    /// Watch `selected` (through pidfds, or by polling `/proc` with
    /// `polling`) and wait until the goal is met or the deadline passes.
    pub(super) fn wait_for(&mut self, selected: Vec<Process>, polling: bool) -> Result<Verdict> {
        self.polling = polling;
        let mut watch = ExitWatch::new().context("cannot create an epoll set")?;
        if polling {
            self.targets = selected.into_iter().map(target).collect();
            for key in 0..self.targets.len() {
                watch.add_polled(key as u64);
            }
        } else {
            self.open_pidfds(selected)?;
            for (key, t) in self.targets.iter().enumerate() {
                if let Some(fd) = &t.fd {
                    watch
                        .add(fd, key as u64)
                        .with_context(|| format!("cannot watch process {}", t.pid))?;
                }
            }
        }
        if self.goal.verbose {
            self.log_start();
        }
        self.watch_until_met(&mut watch)
    }

    fn log_start(&self) {
        let n = processes(self.targets.len());
        if self.polling {
            log(&format!(
                "waiting for {n} by polling /proc: pidfds are not available here, so exit statuses are known only of the zombies ptool sees"
            ));
            return;
        }
        let how = if !self.exit_info {
            "; this kernel keeps exit statuses for the parent alone (Linux 6.15+ keeps them \
             for all), so they are read from the zombies"
        } else if self.goal.status_wait.is_zero() {
            "; exit statuses only from zombies and of processes already collected"
        } else {
            ""
        };
        log(&format!("waiting for {n} with pidfds{how}"));
    }

    /// Open a pidfd for every selected process (raising the open-file limit
    /// when there are many), and learn whether the kernel will tell exit
    /// statuses. A process that ended before its pidfd was open is
    /// reported at once.
    fn open_pidfds(&mut self, selected: Vec<Process>) -> Result<()> {
        // stdio, /proc, the epoll set, and some slack besides the pidfds. The
        // soft limit (often 1024) may be raised up to the hard one.
        let needed = selected.len() as u64 + 32;
        let limit =
            crate::sys::raise_open_files(needed).context("cannot raise the open-file limit")?;
        if limit < needed {
            return Err(ExitError::new(
                Exit::Failure,
                format!(
                    "cannot watch {}: that takes {needed} open files and the limit is {limit} (see ulimit -Hn)",
                    processes(selected.len()),
                ),
            )
            .into());
        }
        self.targets.reserve(selected.len());
        let mut exit_info = None;
        for p in selected {
            let mut t = target(p);
            let Some(fd) = self.open_pidfd(&t)? else {
                self.report(ended_before_watch(&t, self.clk_tck))?;
                continue;
            };
            if exit_info.is_none() {
                exit_info = Some(pidfd::exit_info_supported(&fd));
            }
            t.fd = Some(fd);
            self.targets.push(t);
        }
        self.exit_info = exit_info.unwrap_or(false);
        Ok(())
    }

    /// A pidfd on `t`, or `None` when it ended before one could be opened.
    fn open_pidfd(&mut self, t: &Watched) -> Result<Option<PidFd>> {
        let pid = t.pid;
        match PidFd::open(pid) {
            // The PID may have been reused between reading /proc and
            // opening the pidfd: the pidfd is ours only if the process
            // behind the PID still has the start time we selected.
            Ok(fd) => Ok(self
                .reader
                .stat(pid)
                .is_none_or(|s| s.start_ticks == t.start_ticks)
                .then_some(fd)),
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(None),
            // A thread ID names no process: EINVAL, or ENOENT on newer
            // kernels (which can open threads with PIDFD_THREAD).
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOENT)) => {
                let tgid = self
                    .reader
                    .read(pid, Need::STATUS)
                    .and_then(|p| p.status.map(|s| s.tgid))
                    .filter(|&tgid| tgid != pid);
                Err(match tgid {
                    Some(tgid) => usage(format!(
                        "PID {pid} is a thread of process {tgid}: wait for {tgid} instead"
                    )),
                    None => anyhow::Error::new(e).context(format!("cannot watch process {pid}")),
                })
            }
            Err(e) => Err(anyhow::Error::new(e).context(format!("cannot watch process {pid}"))),
        }
    }

    /// Wait on the exit watcher until the goal is met or the deadline
    /// passes. An ended process may be given until `--status-wait` to be
    /// reaped (`pending`), when only the reap can tell its status.
    fn watch_until_met(&mut self, watch: &mut ExitWatch) -> Result<Verdict> {
        // Processes that ended before they could be watched already count.
        let mut progress = Progress {
            running: self.targets.len(),
            ended: self.printer.ended,
        };
        let mut pending: Vec<usize> = Vec::new();
        loop {
            if progress.met(self.goal.any) && pending.is_empty() {
                return Ok(Verdict::Met);
            }
            let now = Instant::now();
            let wake = pending
                .iter()
                .filter_map(|&i| match self.targets[i].state {
                    State::Exited { until, .. } => Some(until),
                    _ => None,
                })
                .chain(self.goal.deadline)
                .min();
            let (reader, targets) = (&mut self.reader, &mut self.targets);
            let changes = watch
                .wait(wake.map(|t| t.saturating_duration_since(now)), |key| {
                    probe(reader, &mut targets[key as usize])
                })
                .context("waiting for processes to exit")?;
            for change in changes {
                let Some(index) = usize::try_from(change.key)
                    .ok()
                    .filter(|&i| i < self.targets.len())
                else {
                    continue;
                };
                self.on_change(index, change.reaped, &mut progress, &mut pending)?;
            }
            let timed_out = self.goal.deadline.is_some_and(|d| Instant::now() >= d);
            self.settle_pending(&mut pending, timed_out)?;
            if timed_out {
                return Ok(if progress.met(self.goal.any) {
                    Verdict::Met
                } else {
                    Verdict::TimedOut
                });
            }
        }
    }

    /// Target `index` exited (or, `reaped`, is gone).
    fn on_change(
        &mut self,
        index: usize,
        reaped: bool,
        progress: &mut Progress,
        pending: &mut Vec<usize>,
    ) -> Result<()> {
        match self.targets[index].state {
            State::Running => {
                let at = Moment::now();
                progress.running -= 1;
                progress.ended += 1;
                let t = &mut self.targets[index];
                if !reaped && !self.polling {
                    t.zombie = self.reader.zombie_status(t.pid, t.start_ticks);
                }
                // Wait for the reap only when it can tell something and
                // the goal still needs waiting for anyway.
                let wait_reap = !matches!(t.zombie, ZombieStatus::Status(_))
                    && self.exit_info
                    && !reaped
                    && !self.goal.status_wait.is_zero()
                    && (!self.goal.any || progress.ended == 1);
                if wait_reap {
                    t.state = State::Exited {
                        at,
                        until: Instant::now() + self.goal.status_wait,
                    };
                    pending.push(index);
                } else {
                    let why = if self.polling {
                        Unknown::Polling
                    } else if self.exit_info {
                        Unknown::NotCollected(self.goal.status_wait)
                    } else {
                        Unknown::Kernel
                    };
                    self.finish(index, at, why)?;
                }
            }
            State::Exited { at, .. } if reaped => {
                self.finish(index, at, Unknown::NotCollected(self.goal.status_wait))?;
                pending.retain(|&i| i != index);
            }
            _ => {}
        }
        Ok(())
    }

    /// Parents that did not reap in time: ask once more (a kernel that does
    /// not wake pollers on reap still answers), then give up.
    fn settle_pending(&mut self, pending: &mut Vec<usize>, timed_out: bool) -> Result<()> {
        let now = Instant::now();
        let mut i = 0;
        while i < pending.len() {
            let index = pending[i];
            match self.targets[index].state {
                State::Exited { at, until } if timed_out || now >= until => {
                    self.finish(index, at, Unknown::NotCollected(self.goal.status_wait))?;
                    pending.swap_remove(i);
                }
                _ => i += 1,
            }
        }
        Ok(())
    }

    /// Report an ended target with whatever exit status its zombie or its
    /// pidfd has, and close the pidfd (which also takes it out of the epoll
    /// set).
    fn finish(&mut self, index: usize, at: Moment, why_unknown: Unknown) -> Result<()> {
        let t = &mut self.targets[index];
        let info = match t.zombie {
            ZombieStatus::Status(raw) => ExitInfo::Status(raw),
            _ => t.fd.as_ref().map_or(ExitInfo::NotYet, PidFd::exit_info),
        };
        let (status, why) = match info {
            ExitInfo::Status(raw) => (EndStatus::from_wait_status(raw), None),
            _ if t.zombie == ZombieStatus::Hidden => (EndStatus::Unknown, Some(Unknown::Hidden)),
            ExitInfo::NotYet => (EndStatus::Unknown, Some(why_unknown)),
            ExitInfo::Unavailable => (EndStatus::Unknown, Some(Unknown::Kernel)),
        };
        t.fd = None;
        t.state = State::Done;
        let name = std::mem::take(&mut t.name);
        let ended = Ended::of(t, name, at, self.clk_tck, status);
        self.report((ended, why))?;
        Ok(())
    }

    /// Print an ended process, and with `-v` say why its status is unknown.
    fn report(&mut self, (mut ended, why): (Ended, Option<Unknown>)) -> io::Result<()> {
        if self.goal.local_times {
            ended.ended_local = ended.ended.and_then(|t| local(t.floor() as i64));
        }
        if self.goal.verbose
            && let Some(why) = why
        {
            log(&format!(
                "process {} ({}): exit status unknown: {}",
                ended.pid,
                escape(&ended.name),
                why.reason()
            ));
        }
        self.printer.ended(&ended)
    }

    /// Print the closing summary.
    pub(super) fn summary(
        &mut self,
        not_running: Vec<i32>,
        timed_out: bool,
        started: Instant,
    ) -> Result<()> {
        let now = Moment::now();
        let clk_tck = self.clk_tck;
        let still_running: Vec<Survivor> = self
            .targets
            .iter_mut()
            .filter(|t| t.state == State::Running)
            .map(|t| Survivor {
                pid: t.pid,
                name: std::mem::take(&mut t.name),
                ran: ran(t.start_ticks, clk_tck, now),
            })
            .collect();
        self.printer.summary(&Summary {
            ended: self.printer.ended,
            not_running,
            still_running,
            timed_out,
            waited: started.elapsed().as_secs_f64(),
        })?;
        Ok(())
    }
}

/// Without pidfds: has `t` ended? It has when its PID is gone, belongs to
/// a later process, or is a zombie (whose status is read on the way).
fn probe(reader: &mut Reader, t: &mut Watched) -> Probe {
    match reader.stat(t.pid) {
        None => Probe::Reaped,
        Some(s) if s.start_ticks != t.start_ticks => Probe::Reaped,
        Some(s) if s.has_ended() => {
            t.zombie = reader.zombie_status(t.pid, t.start_ticks);
            Probe::Exited
        }
        Some(_) => Probe::Running,
    }
}

/// A process that ended between being selected and being watched: it has
/// no pidfd, so no exit status; it ended at the latest now.
fn ended_before_watch(t: &Watched, clk_tck: u64) -> (Ended, Option<Unknown>) {
    let ended = Ended::of(
        t,
        t.name.clone(),
        Moment::now(),
        clk_tck,
        EndStatus::Unknown,
    );
    (ended, Some(Unknown::BeforeWatch))
}
