//! Running one command in the foreground and supervising it: `spawn --wait`
//! and `lock` (which first waits for its lock, watching the same signals,
//! see [`Foreground::signals`]).
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
//! member of the group is left. With [`Limits::end_leftovers`], what the
//! command leaves running in its group when it exits is ended the same way
//! (TERM, then KILL after the grace). Until then the command is kept
//! unreaped, so its PID, which is the group's ID, cannot be reused and
//! `killpg` cannot reach a stranger.

use std::ffi::OsString;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use crate::duration::format_short;
use crate::exit::{Exit, ExitError};
use crate::output::Out;
use crate::output::sanitize::escape;
use crate::proc::{Need, Reader};
use crate::signal::Signal;
use crate::sys::child::{self, Child, ExecReport, Group, Launch, LaunchError};
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

/// The time limits on a supervised command.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Send `signal` to the group after this long.
    pub timeout: Option<Duration>,
    pub signal: Signal,
    /// Send KILL this long after `signal` (or after the leftovers' TERM).
    pub kill_after: Option<Duration>,
    /// When the command exits, end what it left running in its process
    /// group (TERM and CONT, then KILL after `kill_after`), and return only
    /// once the group is empty.
    pub end_leftovers: bool,
}

/// Set up before the command starts: signals watched, ptool a child
/// subreaper, the terminal found.
#[derive(Debug)]
pub struct Foreground {
    signals: SignalWatch,
    no_ttou: Blocked,
    watch: ExitWatch,
    tty: Option<OwnedFd>,
    own_group: i32,
    foreground: bool,
}

impl Foreground {
    pub fn prepare() -> Result<Foreground> {
        let (signals, no_ttou, watch) = watch_signals()?;
        // Orphaned members of the group are re-parented to ptool, which
        // reaps them, so "no live member left" can be observed.
        child::become_subreaper().context("cannot become a child subreaper")?;
        let tty = child::controlling_terminal();
        let own_group = child::own_group();
        let foreground = tty
            .as_ref()
            .is_some_and(|t| child::foreground_group(t.as_fd()) == Some(own_group));
        Ok(Foreground {
            signals,
            no_ttou,
            watch,
            tty,
            own_group,
            foreground,
        })
    }

    /// The signal watch, for a caller that waits on something else (a lock)
    /// before starting the command: the forwarded signals then mean "give
    /// up".
    pub fn signals(&self) -> &SignalWatch {
        &self.signals
    }

    /// Set `launch` up for supervision: its own process group, made the
    /// terminal's foreground group when ptool is the foreground job, and
    /// KILL when ptool dies (so the command does not run on unsupervised).
    pub fn attach<'a>(&'a self, launch: &mut Launch<'a>) {
        launch.group = Group::NewGroup;
        launch.terminal = self
            .tty
            .as_ref()
            .filter(|_| self.foreground)
            .map(|t| t.as_fd());
        launch.death_signal = Some(Signal::KILL.number());
    }

    /// Supervise `child`, started with a launch set up by [`Self::attach`],
    /// until it (and, after a timeout or with `end_leftovers`, its group)
    /// is gone; reap it and return its exit. `report` is the exec outcome
    /// when not yet read, `launch_error` maps a failed exec to the error.
    pub fn supervise(
        mut self,
        child: Child,
        report: Option<ExecReport>,
        limits: &Limits,
        out: &Out,
        launch_error: &dyn Fn(&LaunchError) -> anyhow::Error,
    ) -> Result<Exit> {
        let pidfd = PidFd::open(child.pid()).ok();
        if let Some(fd) = &pidfd {
            self.watch
                .add(fd, COMMAND)
                .context("cannot watch the command")?;
        }
        let mut sup = Supervisor {
            pgid: child.pid(),
            pidfd,
            child,
            signals: self.signals,
            watch: self.watch,
            _no_ttou: self.no_ttou,
            terminal: self.tty.map(|fd| Terminal {
                fd,
                own_group: self.own_group,
                given: self.foreground,
            }),
            limits,
            launch_error,
            report,
            out,
            timed_out: None,
            leftovers: None,
            killed: false,
        };
        sup.supervise()
    }

    /// Stop supervising `child` before it ran (a step after its start
    /// failed): KILL and reap it.
    pub fn abandon(child: &Child) {
        let _ = child.signal(Signal::KILL.number());
        let _ = child.wait();
    }
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

/// The error (and exit code) for a command that could not be started:
/// 127 when not found, 126 when not executable, 125 when a setup step
/// (niceness, directory) failed.
pub fn launch_error(command: &[OsString], nice: Option<i32>, err: &LaunchError) -> anyhow::Error {
    let shown = shown(command);
    if err.step == child::Step::Exec {
        let (exit, why) = if err.not_found() {
            let why = if shown.contains('/') {
                "no such file".to_string()
            } else {
                "command not found".to_string()
            };
            (Exit::NotFound, why)
        } else {
            (
                Exit::NotExecutable,
                crate::sys::error_text(&err.error).to_lowercase(),
            )
        };
        return ExitError::new(exit, format!("cannot run '{shown}': {why}")).into();
    }
    let detail = match (err.step, nice) {
        (child::Step::Nice, Some(n)) => format!("cannot set the niceness to {n}"),
        _ => format!("cannot {}", err.step_text()),
    };
    ExitError::new(
        Exit::Failure,
        format!(
            "cannot start '{shown}': {detail}: {}",
            crate::sys::error_text(&err.error)
        ),
    )
    .into()
}

/// A command's name as shown in messages (escaped).
pub fn shown(command: &[OsString]) -> String {
    command
        .first()
        .map(|c| escape(c.as_bytes()).into_owned())
        .unwrap_or_default()
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
    limits: &'a Limits,
    launch_error: &'a dyn Fn(&LaunchError) -> anyhow::Error,
    /// The exec outcome, when not yet read.
    report: Option<ExecReport>,
    /// For notices, which `-q` silences.
    out: &'a Out,
    /// When `--timeout` fired.
    timed_out: Option<Instant>,
    /// When the members left behind by the exited command were sent TERM.
    leftovers: Option<Instant>,
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
            return Err((self.launch_error)(&e));
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
            if let (None, Some(limit)) = (self.timed_out, self.limits.timeout)
                && !exited
                && now >= started + limit
            {
                self.fire_timeout(limit);
            }
            if let (Some(at), Some(grace), false) =
                (self.ending(), self.limits.kill_after, self.killed)
                && now >= at + grace
            {
                let sent = match self.timed_out {
                    Some(_) => self.limits.signal,
                    None => Signal::TERM,
                };
                self.notice(&format!(
                    "still running {} after {sent}: sent SIGKILL to process group {}",
                    format_short(grace),
                    self.pgid
                ));
                let _ = kill_group(self.pgid, Signal::KILL.number());
                self.killed = true;
            }
            let deadline = self.next_deadline(started, exited);
            if exited {
                if self.ending().is_none() {
                    if !self.limits.end_leftovers || !self.anything_left() {
                        return Ok(());
                    }
                    self.end_leftovers();
                    continue;
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
        match (self.ending(), self.limits.timeout) {
            (None, Some(limit)) if !exited => started.checked_add(limit),
            (Some(at), _) if !self.killed => self
                .limits
                .kill_after
                .and_then(|grace| at.checked_add(grace)),
            _ => None,
        }
    }

    /// When the group was told to end: on timeout, or when the command
    /// exited leaving members behind.
    fn ending(&self) -> Option<Instant> {
        self.timed_out.or(self.leftovers)
    }

    /// True when the exited command left live processes in its group. The
    /// command's orphans were re-parented to ptool (a subreaper), so when
    /// ptool has no child but the command, nothing is left: one small read
    /// instead of a scan of `/proc` on every exit.
    fn anything_left(&self) -> bool {
        let main = self.child.pid();
        if let Ok(children) = child::own_children()
            && children.iter().all(|&pid| pid == main)
        {
            return false;
        }
        !self.live_members().is_empty()
    }

    /// The command exited and left members in its group: TERM (and CONT)
    /// them; KILL follows after `kill_after`.
    fn end_leftovers(&mut self) {
        self.leftovers = Some(Instant::now());
        self.notice(&format!(
            "the command left processes running in its group: sent SIGTERM to process group {}",
            self.pgid
        ));
        let _ = kill_group(self.pgid, Signal::TERM.number());
        let _ = kill_group(self.pgid, Signal::CONT.number());
    }

    fn fire_timeout(&mut self, limit: Duration) {
        self.timed_out = Some(Instant::now());
        let sig = self.limits.signal;
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
        crate::output::notice(self.out, text);
    }
}
