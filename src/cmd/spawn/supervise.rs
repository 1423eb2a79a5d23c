//! `ptool spawn --wait`: run one command in the foreground and supervise it.
//!
//! The command leads its own process group, so signals and the timeout reach
//! everything it started. When ptool is the foreground job of its terminal,
//! that group is made the terminal's foreground group (as a shell does for a
//! job): Ctrl-C and Ctrl-Z go straight to the command, which can read the
//! terminal; when the command stops, ptool stops too so the shell sees its
//! job stop, and on `fg` hands the terminal back. (`timeout` instead leaves
//! the command in a background group unless `--foreground`, where reading
//! the terminal stops it.)
//!
//! Waiting is one wait of the exit watcher ([`ExitWatch`]) over the
//! command's pidfd, the signal watch ([`SignalWatch`]) and the next
//! deadline: no sleeping, no busy loop. INT, TERM, HUP, QUIT, USR1 and USR2
//! sent to ptool are forwarded to the command's group, except those ignored
//! when ptool started (under `nohup`, HUP), which stay ignored. After
//! `--timeout` the group gets `--signal` (and CONT, so a stopped member sees
//! it), then KILL after `--kill-after`; ptool returns only when no live
//! member of the group is left. Until then the command is kept unreaped, so its PID, which is
//! the group's ID, cannot be reused and `killpg` cannot reach a stranger.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use super::{Files, SpawnPlan, launch_error};
use crate::duration::format_short;
use crate::exit::Exit;
use crate::output::Out;
use crate::pidfile::{self, Pending};
use crate::proc::{Need, Reader};
use crate::signal::Signal;
use crate::sys::child::{self, Child, ExecReport, Group};
use crate::sys::exitwatch::{ExitWatch, Probe};
use crate::sys::kill::kill_group;
use crate::sys::pidfd::PidFd;
use crate::sys::sigmask::Blocked;
use crate::sys::sigwatch::SignalWatch;

/// The signals ptool passes on to the command's process group.
pub const FORWARDED: [Signal; 6] = [
    Signal::INT,
    Signal::TERM,
    Signal::HUP,
    Signal::QUIT,
    Signal::USR1,
    Signal::USR2,
];

/// The exit watcher's keys: the command, its group's other members (after
/// a timeout), the signal watch.
const COMMAND: u64 = 0;
const MEMBER: u64 = 1;
const SIGNALS: u64 = 2;

pub fn run(plan: &SpawnPlan, out: &Out) -> Result<Exit> {
    let (signals, no_ttou, mut watch) = watch_signals()?;
    // Orphaned members of the group are re-parented to ptool, which reaps
    // them, so "no live member left" can be observed.
    child::become_subreaper().context("cannot become a child subreaper")?;

    let pending = match &plan.pidfile {
        Some(path) => Some(Pending::prepare(path, plan.replace)?),
        None => None,
    };
    let tty = child::controlling_terminal();
    let own_group = child::own_group();
    let foreground = tty
        .as_ref()
        .is_some_and(|t| child::foreground_group(t.as_fd()) == Some(own_group));
    let terminal = tty.as_ref().filter(|_| foreground).map(|t| t.as_fd());
    let (child, report) = start(plan, terminal, pending.is_some())?;

    let pidfd = PidFd::open(child.pid()).ok();
    if let Some(fd) = &pidfd {
        watch.add(fd, COMMAND).context("cannot watch the command")?;
    }
    let mut sup = Supervisor {
        pgid: child.pid(),
        pidfd,
        child,
        signals,
        watch,
        _no_ttou: no_ttou,
        terminal: tty.map(|fd| Terminal {
            fd,
            own_group,
            given: foreground,
        }),
        plan,
        report,
        quiet: out.quiet,
        timed_out: None,
        killed: false,
    };
    let pids = [sup.child.pid()];
    if let Some(pending) = pending
        && let Err(e) = pending.commit(&pids)
    {
        let _ = sup.child.signal(Signal::KILL.number());
        let _ = sup.child.wait();
        return Err(e);
    }
    let result = sup.supervise();
    if let Some(path) = &plan.pidfile {
        pidfile::remove_if_ours(path, &pids);
    }
    result
}

/// Catch the signals to forward and watch (read from the signal watch's
/// pipe; the child puts caught signals back to their defaults), block
/// TTOU, and put the signal watch in an exit watcher for the command.
///
/// CHLD also reports stops, to mirror job control. A signal ignored when
/// ptool started stays ignored, for ptool and (as dispositions survive
/// exec) for the command: a hangup that `nohup` keeps away is not passed
/// on. fork's jobs are treated the same way. TTOU stays blocked while
/// supervising, so ptool may write notices and take the terminal back while
/// it is not in the foreground; the child starts with an empty mask.
fn watch_signals() -> Result<(SignalWatch, Blocked, ExitWatch)> {
    let mut watched: Vec<i32> = FORWARDED.iter().map(|s| s.number()).collect();
    watched.extend([libc::SIGCHLD, libc::SIGCONT]);
    let signals = SignalWatch::with_stops(&watched).context("cannot watch signals")?;
    let no_ttou = Blocked::signals(&[libc::SIGTTOU]).context("cannot block signals")?;
    let mut watch = ExitWatch::new().context("cannot create an epoll set")?;
    watch
        .add_fd(signals.as_fd(), SIGNALS)
        .context("cannot watch signals")?;
    Ok((signals, no_ttou, watch))
}

/// Start the command in a new process group (given `terminal` as its
/// foreground group). With `exec_first` (a pidfile is to be written only
/// once the command runs) wait for its exec now; otherwise whether exec
/// worked is read after the command exits (one wake-up, not two), from the
/// report returned.
fn start(
    plan: &SpawnPlan,
    terminal: Option<BorrowedFd<'_>>,
    exec_first: bool,
) -> Result<(Child, Option<ExecReport>)> {
    let files = Files::open(plan, false)?;
    let mut launch = files.launch(plan, Group::NewGroup);
    launch.terminal = terminal;
    // If ptool is killed outright, the command does not run on unsupervised.
    launch.death_signal = Some(Signal::KILL.number());
    let (child, report) = child::start(&launch).map_err(|e| launch_error(plan, &e))?;
    if !exec_first {
        return Ok((child, Some(report)));
    }
    report
        .outcome_or_reap(&child)
        .map_err(|e| launch_error(plan, &e))?;
    Ok((child, None))
}

/// The controlling terminal, when ptool has one, for job control.
struct Terminal {
    fd: OwnedFd,
    own_group: i32,
    /// The command's group is (or should be) the foreground group.
    given: bool,
}

struct Supervisor<'a> {
    child: Child,
    pgid: i32,
    /// The command's pidfd, in `watch` (none on kernels without pidfds:
    /// then CHLD tells when to look).
    pidfd: Option<PidFd>,
    signals: SignalWatch,
    watch: ExitWatch,
    _no_ttou: Blocked,
    terminal: Option<Terminal>,
    plan: &'a SpawnPlan,
    /// The exec outcome, when not yet read.
    report: Option<ExecReport>,
    quiet: bool,
    /// When `--timeout` fired.
    timed_out: Option<Instant>,
    /// KILL was sent after `--kill-after`.
    killed: bool,
}

impl Supervisor<'_> {
    fn supervise(&mut self) -> Result<Exit> {
        let started = Instant::now();
        let result = self.wait_for_command(started);
        self.reclaim_terminal();
        result?;
        if let Some(report) = self.report.take()
            && let Err(e) = report.outcome_or_reap(&self.child)
        {
            return Err(launch_error(self.plan, &e));
        }
        let status = self.child.wait().context("cannot reap the command")?;
        Ok(match (self.timed_out, status.signal) {
            (Some(_), Some(sig)) if sig == Signal::KILL.number() => Exit::Signaled(sig),
            (Some(_), _) => Exit::Timeout,
            (None, _) => Exit::from_child(status.code, status.signal),
        })
    }

    /// Wait until the command has exited (and, after a timeout, its whole
    /// group), handling signals and deadlines. The command stays unreaped.
    fn wait_for_command(&mut self, started: Instant) -> Result<()> {
        let mut exited = false;
        loop {
            let now = Instant::now();
            if let (None, Some(limit)) = (self.timed_out, self.plan.timeout)
                && !exited
                && now >= started + limit
            {
                self.fire_timeout(limit);
            }
            if let (Some(at), Some(grace), false) =
                (self.timed_out, self.plan.kill_after, self.killed)
                && now >= at + grace
            {
                self.notice(&format!(
                    "still running {} after {}: sent SIGKILL to process group {}",
                    format_short(grace),
                    self.plan.signal,
                    self.pgid
                ));
                let _ = kill_group(self.pgid, Signal::KILL.number());
                self.killed = true;
            }
            let deadline = self.next_deadline(started, exited);
            if exited {
                if self.timed_out.is_none() {
                    return Ok(());
                }
                // After a timeout the group must be empty before returning.
                let members = self.live_members();
                if members.is_empty() {
                    return Ok(());
                }
                // Watched until this wait ends: closing a pidfd takes it out
                // of the set.
                let fds: Vec<PidFd> = members
                    .iter()
                    .filter_map(|&pid| PidFd::open(pid).ok())
                    .collect();
                for fd in &fds {
                    self.watch
                        .add(fd, MEMBER)
                        .context("cannot watch the process group")?;
                }
                self.wait_events(deadline, fds.is_empty())?;
                continue;
            }
            let ready = self.wait_events(deadline, false)?;
            if ready || self.pidfd.is_none() {
                exited = self
                    .child
                    .has_exited()
                    .context("cannot wait for the command")?;
            }
        }
    }

    /// One wait over the watched exits, the signal watch and the deadline;
    /// handles the signals read. True when a watched process exited.
    /// `fallback` bounds the wait when nothing else could wake it (no
    /// pidfds: kernels before 5.3).
    fn wait_events(&mut self, deadline: Option<Instant>, fallback: bool) -> Result<bool> {
        let mut deadline = deadline;
        if fallback {
            let soon = Instant::now() + Duration::from_millis(50);
            deadline = Some(deadline.map_or(soon, |d| d.min(soon)));
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let changes = self
            .watch
            .wait(left, |_| Probe::Running)
            .context("cannot wait for the command")?;
        let exited = changes.iter().any(|c| c.key != SIGNALS);
        if changes.iter().any(|c| c.key == SIGNALS) {
            let received = self.signals.take().context("cannot read signals")?;
            for signo in received {
                if let Some(signal) = Signal::from_number(signo) {
                    self.on_signal(signal)?;
                }
            }
        }
        Ok(exited)
    }

    fn next_deadline(&self, started: Instant, exited: bool) -> Option<Instant> {
        match (self.timed_out, self.plan.timeout) {
            (None, Some(limit)) if !exited => Some(started + limit),
            (Some(at), _) if !self.killed => self.plan.kill_after.map(|grace| at + grace),
            _ => None,
        }
    }

    fn fire_timeout(&mut self, limit: Duration) {
        self.timed_out = Some(Instant::now());
        let sig = self.plan.signal;
        self.notice(&format!(
            "timed out after {}: sent {sig} to process group {}",
            format_short(limit),
            self.pgid
        ));
        let _ = kill_group(self.pgid, sig.number());
        if sig == Signal::KILL {
            self.killed = true;
        } else if sig != Signal::CONT {
            // A stopped member would not act on the signal until continued.
            let _ = kill_group(self.pgid, Signal::CONT.number());
        }
    }

    fn on_signal(&mut self, sig: Signal) -> Result<()> {
        if FORWARDED.contains(&sig) {
            // Before the child's setpgid the group does not exist yet: send
            // to the child itself (unreaped, so its PID is still its own).
            if kill_group(self.pgid, sig.number()).is_err() {
                let _ = self.child.signal(sig.number());
            }
        } else if sig == Signal::CHLD {
            self.on_child_event()?;
        } else if sig == Signal::CONT {
            self.on_continued();
        }
        Ok(())
    }

    /// A child changed state: mirror a job-control stop of the command.
    fn on_child_event(&mut self) -> Result<()> {
        let Some(term) = &mut self.terminal else {
            return Ok(());
        };
        let Some(stop) = self
            .child
            .stopped()
            .context("cannot wait for the command")?
        else {
            return Ok(());
        };
        // Only stops that come from job control; a deliberate STOP from
        // elsewhere pauses the command alone.
        if ![libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU].contains(&stop) {
            return Ok(());
        }
        if term.given {
            let _ = child::set_foreground_group(term.fd.as_fd(), term.own_group);
        }
        // Returns once the shell continues ptool (`fg` or `bg`), or at once
        // when the kernel discards the stop because ptool's group is
        // orphaned (no job-control shell to continue it).
        let _ = child::stop_self(stop);
        // Either way, carry on: give the command the terminal back if ptool
        // has it, and continue it.
        self.on_continued();
        Ok(())
    }

    /// ptool was continued: give the terminal back to the command if ptool
    /// is in the foreground now (`fg`), and continue the command.
    fn on_continued(&mut self) {
        if let Some(term) = &mut self.terminal {
            let fg = child::foreground_group(term.fd.as_fd());
            if fg == Some(term.own_group) {
                term.given = child::set_foreground_group(term.fd.as_fd(), self.pgid).is_ok();
            }
        }
        let _ = kill_group(self.pgid, Signal::CONT.number());
    }

    /// Give the terminal back to ptool's group if the command's has it.
    fn reclaim_terminal(&mut self) {
        if let Some(term) = &self.terminal
            && child::foreground_group(term.fd.as_fd()) == Some(self.pgid)
        {
            let _ = child::set_foreground_group(term.fd.as_fd(), term.own_group);
        }
    }

    /// Live (non-zombie) processes in the command's group, other than the
    /// command itself; zombies among ptool's own children are reaped on the
    /// way (orphans re-parented to ptool, the subreaper).
    fn live_members(&self) -> Vec<i32> {
        let Ok(mut reader) = Reader::new() else {
            return Vec::new();
        };
        let Ok(procs) = reader.all(Need::STAT) else {
            return Vec::new();
        };
        let me = crate::sys::own_pid();
        let main = self.child.pid();
        let mut live = Vec::new();
        for p in procs {
            if p.pid == main {
                continue;
            }
            if p.stat.has_ended() {
                if p.stat.ppid == me {
                    let _ = child::reap_if_exited(p.pid);
                }
            } else if p.stat.pgid == self.pgid {
                live.push(p.pid);
            }
        }
        live
    }

    fn notice(&self, text: &str) {
        if !self.quiet {
            crate::output::warn(text);
        }
    }
}
