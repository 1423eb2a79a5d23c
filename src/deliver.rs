//! Targeting and race-free delivery of signals, shared by `ptool signal` and
//! `ptool kill`: resolve the targets (refusing the dangerous ones), pin each
//! to its process, open it as a pidfd, check that it is still the process
//! that was selected, send, wait for exits, and report one outcome per
//! process.
//!
//! How a target stays the process that was selected: a PID names a process
//! only until it is reaped; after that the kernel may give the number to a
//! stranger. So selection *pins* every target: it opens `/proc/PID` (a
//! handle the kernel binds to the process, not the number: once the process
//! is reaped, nothing can be read through it, whoever has the PID now),
//! reads the process again through it, and checks that it still matches
//! and has the start time seen in the scan (field 22 of `/proc/PID/stat`).
//! Delivery then opens a pidfd by number and reads the start time through
//! the pinned handle once more: if that works and matches, the selected
//! process held the PID without interruption from selection until after
//! the pidfd was opened, so the pidfd is on it. From then on every signal
//! goes through the pidfd, which can never reach another process.
//!
//! The start time alone would not do: it counts in clock ticks (10 ms), and
//! a PID can be handed out again within one tick (the tests steer PIDs to
//! do exactly that). Where there are no pidfds (Linux before 5.3, or a
//! seccomp filter that refuses `pidfd_open`), the pinned handle is checked
//! right before each kill(2) instead, which leaves only a window of
//! microseconds.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use crate::cli::SelectArgs;
use crate::exit::{Exit, usage};
use crate::output::table::{Align, Column, Table, Text};
use crate::output::value::Value;
use crate::output::{Out, Paint, json, sanitize};
use crate::proc::{Need, ProcDir, Process, Reader, System};
use crate::select::Protected;
use crate::signal::{Action, Signal};
use crate::sys::pidfd::{self, PidFd};

/// A process chosen to be signalled, pinned to it (see the module
/// documentation), with what was read about it through the pin.
#[derive(Debug, Clone)]
pub struct Target {
    pub pid: i32,
    /// Clock ticks after boot, checked again before signalling.
    pub start_ticks: u64,
    /// The one-letter state when selected (`T` stopped, `Z` zombie, ...).
    pub state: u8,
    /// The name (`comm`), untrusted bytes.
    pub name: Vec<u8>,
    /// The command line joined with spaces; `None` when it is empty
    /// (kernel threads, zombies).
    pub command: Option<Vec<u8>>,
    /// The pin; released once a verified pidfd has taken over (see
    /// [`Target::release_pin`]).
    dir: Option<ProcDir>,
}

impl Target {
    fn new(p: &Process, dir: ProcDir) -> Target {
        Target {
            pid: p.pid,
            start_ticks: p.stat.start_ticks,
            state: p.stat.state,
            name: p.stat.name.clone(),
            command: p.command_line(),
            dir: Some(dir),
        }
    }

    /// Ok while the pinned process exists (a zombie does) and has the start
    /// time recorded; `Gone` once it was reaped (whoever has the PID now);
    /// `Failed` when that cannot be told (no descriptor left, ...).
    pub fn check(&self, reader: &mut Reader) -> Result<(), Miss> {
        let Some(dir) = &self.dir else {
            return Err(Miss::Gone);
        };
        check_pin(dir, self.start_ticks, reader)
    }

    /// The pin: `/proc/PID` of the process selected, until released.
    pub fn dir(&self) -> Option<&ProcDir> {
        self.dir.as_ref()
    }

    /// Close the pin once a verified pidfd holds the process: thousands of
    /// targets then need one descriptor each, not two.
    pub fn release_pin(&mut self) {
        self.dir = None;
    }
}

fn check_pin(dir: &ProcDir, start_ticks: u64, reader: &mut Reader) -> Result<(), Miss> {
    match reader.stat_pinned(dir) {
        Ok(stat) if stat.start_ticks == start_ticks => Ok(()),
        Ok(_) => Err(Miss::Gone),
        Err(e) => Err(Miss::from_io(&e)),
    }
}

/// A process that was selected but could not be pinned for a reason other
/// than having gone: it must be reported, not silently left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpinned {
    pub pid: i32,
    pub name: Vec<u8>,
    pub command: Option<Vec<u8>>,
    pub why: String,
}

impl Unpinned {
    fn from_process(p: &Process, why: &str) -> Unpinned {
        Unpinned {
            pid: p.pid,
            name: p.stat.name.clone(),
            command: p.command_line(),
            why: why.to_string(),
        }
    }
}

const TOO_MANY_FILES: &str = "too many open files (raise ulimit -n)";

/// Descriptors given back when pinning runs out of them: enough to open a
/// pidfd and read `/proc` for each target kept.
const HEADROOM: usize = 8;

/// What [`pin`] made of the processes it was given.
#[derive(Debug, Default)]
pub struct Pinned {
    pub targets: Vec<Target>,
    /// Could not be pinned: too many open files, ...
    pub failed: Vec<Unpinned>,
}

/// Pin processes read from `/proc`: open each one's `/proc/PID`, read it
/// again through that handle (with `need`), and keep it as a target when it
/// is the same process (same start time) and `still` holds for what was
/// read.
pub fn pin(
    procs: &[Process],
    reader: &mut Reader,
    need: Need,
    still: impl Fn(&Process) -> bool,
) -> Pinned {
    let mut out = Pinned {
        targets: Vec::with_capacity(procs.len()),
        ..Pinned::default()
    };
    let mut exhausted = false;
    for p in procs {
        if exhausted {
            out.failed.push(Unpinned::from_process(p, TOO_MANY_FILES));
            continue;
        }
        let read = reader.pin_and_read(p.pid, need);
        if read
            .as_ref()
            .is_err_and(|e| e.raw_os_error() == Some(libc::EMFILE))
        {
            // Out of descriptors: give a few pins back, so that the targets
            // kept can still be opened as pidfds, and report the rest.
            exhausted = true;
            let keep = out.targets.len().saturating_sub(HEADROOM);
            for t in out.targets.drain(keep..) {
                out.failed.push(Unpinned {
                    pid: t.pid,
                    name: t.name,
                    command: t.command,
                    why: TOO_MANY_FILES.to_string(),
                });
            }
            out.failed.push(Unpinned::from_process(p, TOO_MANY_FILES));
            continue;
        }
        match read {
            Ok((now, dir)) if now.stat.start_ticks == p.stat.start_ticks && still(&now) => {
                out.targets.push(Target::new(&now, dir));
            }
            // Gone, or no longer the process (or no longer matching).
            Ok(_) => {}
            Err(e) if crate::sys::is_gone(&e) => {}
            Err(e) => out.failed.push(Unpinned::from_process(p, &e.to_string())),
        }
    }
    out
}

/// Raise the soft limit on open files as far as the hard limit allows:
/// targets hold a pin, then a pidfd, each, and the usual soft limit (1024)
/// is below what a pattern can match on a busy machine. Best effort: where
/// it cannot be raised, the targets beyond it are reported as failed.
pub fn raise_open_files() {
    // nr_open's default; the kernel refuses more, and the hard limit caps it.
    const WANT: u64 = 1 << 20;
    let _ = crate::sys::jobs::raise_open_files(WANT);
}

/// Which command resolves targets: the advice in a refusal differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Signal,
    Kill,
    /// `set`: changes priorities and limits rather than signalling.
    Set,
}

impl Caller {
    /// What the command does to a target, for a refusal.
    fn verb(self) -> &'static str {
        match self {
            Caller::Signal | Caller::Kill => "signal",
            Caller::Set => "change",
        }
    }
}

/// The processes a request names.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub targets: Vec<Target>,
    /// PIDs named explicitly that no process has.
    pub missing: Vec<i32>,
    /// Selected, but could not be pinned (reported as failed).
    pub failed: Vec<Unpinned>,
    /// The whole process table, when it was read (`--tree` expands from it).
    pub scan: Option<Vec<Process>>,
}

/// Resolve the selector flags into pinned targets.
///
/// Explicit PIDs are checked first, and a bad one is a usage error (exit 2)
/// before anything is read or signalled: 0 and -1 always; -PGID, PID 1 and
/// ptool's ancestors unless `force`; ptool itself always. With `force`,
/// -PGID selects every member of the group (each then signalled through its
/// own pidfd; ptool never calls kill(2) on a group). Pattern and group
/// matches never include ptool, its ancestors or PID 1.
///
/// `scan` asks for the whole process table to be kept (for `--tree`).
pub fn resolve(
    select: &SelectArgs,
    force: bool,
    caller: Caller,
    reader: &mut Reader,
    protected: &Protected,
    scan: bool,
) -> Result<Selection> {
    let (pids, groups) = check_explicit(&select.pids, force, caller, reader, protected)?;
    let criteria = SelectArgs {
        pids: Vec::new(),
        ..select.clone()
    };
    let mut selector = criteria.selector()?;
    // `--newest` alone would pick one process out of all of them: it does
    // not count as a criterion here.
    let filters = crate::select::Selector {
        pick: None,
        ..selector.clone()
    };
    if pids.is_empty() && groups.is_empty() && !filters.has_criteria() {
        return Err(usage(format!(
            "no targets: give PIDs or selector flags (-n, -f, -u, ...); ptool never {}s everything",
            caller.verb()
        )));
    }
    let need = selector.need();
    let pinned_need = need | Need::CMDLINE;

    if !scan && !selector.has_criteria() && groups.is_empty() {
        // Only PIDs: pin each first and read it through its handle, so
        // there is no moment at which the PID could change hands unseen.
        let mut selection = Selection::default();
        for &pid in &pids {
            match reader.pin_and_read(pid, pinned_need | Need::STATUS) {
                // A thread ID has a /proc entry too, but is not a process.
                Ok((p, dir)) if p.status.as_ref().is_none_or(|s| s.tgid == pid) => {
                    selection.targets.push(Target::new(&p, dir));
                }
                Ok(_) => selection.missing.push(pid),
                Err(e) if crate::sys::is_gone(&e) => selection.missing.push(pid),
                Err(e) => selection.failed.push(Unpinned {
                    pid,
                    name: Vec::new(),
                    command: None,
                    why: match Miss::from_io(&e) {
                        Miss::Failed(why) => why,
                        _ => e.to_string(),
                    },
                }),
            }
        }
        return Ok(selection);
    }

    let sys = System::read();
    let mut kept = None;
    let chosen = if scan || !groups.is_empty() {
        // The whole table is needed: for --tree, or to find group members.
        let all = reader.all(need).context("cannot list /proc")?;
        let mut explicit = pids.clone();
        for p in &all {
            if groups.contains(&p.stat.pgid)
                && !protected.contains(p.pid)
                && p.pid != 1
                && !explicit.contains(&p.pid)
            {
                explicit.push(p.pid);
            }
        }
        if !groups.is_empty() && explicit.is_empty() {
            // Empty groups: an empty PID list would mean "no restriction".
            return Ok(Selection {
                scan: scan.then_some(all),
                ..Selection::default()
            });
        }
        selector.pids = explicit;
        // Filtered by reference: only the matches are copied, and the table
        // itself is kept for --tree.
        let matched = all
            .iter()
            .filter(|p| selector.accepts(p, &sys, protected))
            .cloned()
            .collect();
        kept = scan.then_some(all);
        selector.pick(matched)
    } else {
        // Only the matches are kept while reading.
        selector.pids = pids.clone();
        selector
            .scan(reader, need, &sys, protected)
            .context("cannot list /proc")?
    };
    let chosen: Vec<Process> = chosen
        .into_iter()
        .filter(|p| p.pid != 1 || pids.contains(&1))
        .collect();
    // Checked again through the pin: what is signalled is a process that
    // matches, whatever happened to the PID since the scan.
    let pinned = pin(&chosen, reader, pinned_need, |p| selector.matches(p, &sys));
    // A PID named explicitly that is no target names no process (one that
    // exists but fails another criterion is simply not selected).
    let missing = pids
        .iter()
        .copied()
        .filter(|pid| {
            !pinned.targets.iter().any(|t| t.pid == *pid)
                && !pinned.failed.iter().any(|f| f.pid == *pid)
                && reader.stat(*pid).is_none()
        })
        .collect();
    Ok(Selection {
        targets: pinned.targets,
        missing,
        failed: pinned.failed,
        scan: kept,
    })
}

/// Split explicit PIDs into processes and (with `force`) process groups,
/// refusing the dangerous ones with one clear line.
fn check_explicit(
    given: &[i64],
    force: bool,
    caller: Caller,
    reader: &mut Reader,
    protected: &Protected,
) -> Result<(Vec<i32>, Vec<i32>)> {
    let mut pids = Vec::new();
    let mut groups = Vec::new();
    for &pid in given {
        match pid {
            0 => {
                return Err(usage(
                    "PID 0 is not a process: to kill(2) it means ptool's own process group, which ptool never signals (select a group with --pgid)",
                ));
            }
            -1 => {
                return Err(usage(
                    "PID -1 is not a process: to kill(2) it means every process you may signal, which ptool never does, even with --force",
                ));
            }
            p if p < 0 => {
                let group =
                    i32::try_from(-p).map_err(|_| usage(format!("PID {p} is out of range")))?;
                if !force {
                    let hint = match (caller, Signal::from_number(group)) {
                        (Caller::Kill, Some(_)) => {
                            format!("; to send signal {group}, use -s {group}")
                        }
                        _ => String::new(),
                    };
                    return Err(usage(format!(
                        "PID {p} names process group {group}: select it with --pgid {group}, or give --force{hint}"
                    )));
                }
                if !groups.contains(&group) {
                    groups.push(group);
                }
            }
            p => {
                let p = i32::try_from(p).map_err(|_| usage(format!("PID {p} is out of range")))?;
                if p == protected.own {
                    return Err(usage(format!("PID {p} is ptool itself")));
                }
                if p == 1 && !force {
                    return Err(usage(format!(
                        "refusing to {} PID 1 (init: the whole system depends on it); give --force if you mean it",
                        caller.verb()
                    )));
                }
                if p != 1 && protected.ancestors.contains(&p) && !force {
                    let name = reader
                        .stat(p)
                        .map(|s| sanitize::escape(&s.name).into_owned())
                        .unwrap_or_default();
                    return Err(usage(format!(
                        "refusing to {} PID {p} ({name}): it is an ancestor of ptool, such as the shell running it; give --force if you mean it",
                        caller.verb()
                    )));
                }
                if !pids.contains(&p) {
                    pids.push(p);
                }
            }
        }
    }
    Ok((pids, groups))
}

/// The descendants of `roots` in `scan`, parents before children, leaving
/// out the PIDs in `known`, ptool, its ancestors and PID 1 (the walk goes on
/// through them to their other descendants). To be pinned before use.
pub fn descendants(
    scan: &[Process],
    roots: &[i32],
    known: &HashSet<i32>,
    protected: &Protected,
) -> Vec<Process> {
    let mut children: HashMap<i32, Vec<&Process>> = HashMap::new();
    for p in scan {
        children.entry(p.stat.ppid).or_default().push(p);
    }
    let mut out = Vec::new();
    let mut seen: HashSet<i32> = roots.iter().copied().collect();
    let mut queue: std::collections::VecDeque<i32> = roots.iter().copied().collect();
    while let Some(parent) = queue.pop_front() {
        for child in children.get(&parent).into_iter().flatten() {
            if !seen.insert(child.pid) {
                continue;
            }
            queue.push_back(child.pid);
            if !known.contains(&child.pid) && !protected.contains(child.pid) && child.pid != 1 {
                out.push((*child).clone());
            }
        }
    }
    out
}

/// Why a target could not be opened or signalled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// It exited and was reaped, or its PID now belongs to another process.
    Gone,
    /// Not ours to signal (EPERM).
    Denied,
    /// Anything else, described.
    Failed(String),
}

impl Miss {
    fn from_io(err: &io::Error) -> Miss {
        if crate::sys::is_gone(err) {
            return Miss::Gone;
        }
        match err.raw_os_error() {
            Some(libc::EPERM | libc::EACCES) => Miss::Denied,
            Some(libc::EMFILE | libc::ENFILE) => Miss::Failed(TOO_MANY_FILES.to_string()),
            _ => Miss::Failed(err.to_string()),
        }
    }
}

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

/// What happened to one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `signal`: the signal was delivered.
    Delivered,
    /// `signal 0`: the process exists and has not exited.
    Alive,
    /// The process has exited but its parent has not reaped it yet.
    Zombie,
    /// No process had the PID given, or (`signal`) it vanished before the
    /// signal could be delivered.
    NoSuchProcess,
    /// `kill`: the process exited or vanished before it was signalled.
    AlreadyGone,
    /// Not ours to signal.
    PermissionDenied,
    /// `kill`: exited within the grace period after the first signal.
    Terminated,
    /// `kill`: still running after the grace period, then killed by KILL.
    Killed,
    /// `kill --grace 0`: the first signal was sent and nothing waited for.
    Signalled,
    /// `kill`: still running even after KILL (stuck in the kernel).
    Survived,
    /// `--dry-run`: would have been signalled.
    WouldSignal,
    /// Some other error; the report says which.
    Failed,
}

impl Outcome {
    /// The JSON name.
    pub fn key(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Alive => "alive",
            Outcome::Zombie => "zombie",
            Outcome::NoSuchProcess => "no_such_process",
            Outcome::AlreadyGone => "already_gone",
            Outcome::PermissionDenied => "permission_denied",
            Outcome::Terminated => "terminated",
            Outcome::Killed => "killed",
            Outcome::Signalled => "signalled",
            Outcome::Survived => "survived",
            Outcome::WouldSignal => "would_signal",
            Outcome::Failed => "failed",
        }
    }

    /// True when the action on this target did not succeed (exit 3).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Outcome::NoSuchProcess
                | Outcome::PermissionDenied
                | Outcome::Survived
                | Outcome::Failed
        )
    }

    fn paint(self) -> Paint {
        match self {
            Outcome::Delivered | Outcome::Alive | Outcome::Terminated | Outcome::Signalled => {
                Paint::Green
            }
            Outcome::Killed | Outcome::Zombie => Paint::Yellow,
            Outcome::AlreadyGone | Outcome::WouldSignal => Paint::Dim,
            Outcome::NoSuchProcess
            | Outcome::PermissionDenied
            | Outcome::Survived
            | Outcome::Failed => Paint::Red,
        }
    }
}

/// One line of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub pid: i32,
    pub name: Vec<u8>,
    pub command: Option<Vec<u8>>,
    /// The signal asked for (for `kill`, the first one).
    pub signal: Signal,
    pub outcome: Outcome,
    /// `kill`: how long after the first signal the process was seen to exit.
    pub after: Option<Duration>,
    /// More about the outcome: an error, or why a zombie is one.
    pub detail: Option<String>,
}

impl Row {
    pub fn new(target: &Target, signal: Signal, outcome: Outcome) -> Row {
        Row {
            pid: target.pid,
            name: target.name.clone(),
            command: target.command.clone(),
            signal,
            outcome,
            after: None,
            detail: None,
        }
    }

    /// A row for an explicit PID that no process has.
    pub fn missing(pid: i32, signal: Signal) -> Row {
        Row {
            pid,
            name: Vec::new(),
            command: None,
            signal,
            outcome: Outcome::NoSuchProcess,
            after: None,
            detail: None,
        }
    }

    /// A row for a selected process that could not be pinned.
    pub fn unpinned(u: &Unpinned, signal: Signal) -> Row {
        Row {
            pid: u.pid,
            name: u.name.clone(),
            command: u.command.clone(),
            signal,
            outcome: Outcome::Failed,
            after: None,
            detail: Some(u.why.clone()),
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Row {
        self.detail = Some(detail.into());
        self
    }

    /// The RESULT cell.
    pub fn describe(&self) -> String {
        let sig = self.signal;
        let ms = |d: Option<Duration>| match d {
            Some(d) if d < Duration::from_millis(1) => " within 1ms".to_string(),
            Some(d) => format!(" after {}", crate::duration::format_short(d)),
            None => String::new(),
        };
        let text = match self.outcome {
            Outcome::Delivered => format!("sent {sig}"),
            Outcome::Alive => "alive".to_string(),
            Outcome::Zombie => "zombie (exited, not yet reaped)".to_string(),
            Outcome::NoSuchProcess => "no such process".to_string(),
            Outcome::AlreadyGone => "already gone".to_string(),
            Outcome::PermissionDenied => "permission denied".to_string(),
            Outcome::Terminated => format!("terminated by {sig}{}", ms(self.after)),
            Outcome::Killed => format!(
                "killed by SIGKILL after the grace period{}",
                self.after
                    .map(|d| format!(" (gone {})", crate::duration::format_short(d)))
                    .unwrap_or_default()
            ),
            Outcome::Signalled => format!("sent {sig}, not waited for"),
            Outcome::Survived => "still running after SIGKILL".to_string(),
            Outcome::WouldSignal => format!("would send {sig}"),
            Outcome::Failed => "failed".to_string(),
        };
        match &self.detail {
            Some(detail) => format!("{text}: {}", sanitize::escape_str(detail)),
            None => text,
        }
    }

    fn command_value(&self) -> Value {
        // A PID without a process has neither.
        if self.command.is_none() && self.name.is_empty() {
            return Value::None;
        }
        Value::command(self.command.clone(), &self.name)
    }

    fn to_json(&self, timing: bool) -> serde_json::Value {
        let mut object = serde_json::Map::new();
        object.insert("pid".into(), self.pid.into());
        object.insert(
            "name".into(),
            if self.name.is_empty() {
                serde_json::Value::Null
            } else {
                sanitize::to_json_string(&self.name).into()
            },
        );
        object.insert("cmd".into(), self.command_value().to_json());
        object.insert("signal".into(), self.signal.name().into());
        object.insert("outcome".into(), self.outcome.key().into());
        if timing {
            object.insert(
                "after".into(),
                self.after
                    .map(|d| ((d.as_secs_f64() * 1000.0).round() / 1000.0).into())
                    .unwrap_or(serde_json::Value::Null),
            );
        }
        object.insert(
            "error".into(),
            self.detail
                .as_deref()
                .map_or(serde_json::Value::Null, serde_json::Value::from),
        );
        serde_json::Value::Object(object)
    }
}

/// Render a report: a table (PID, RESULT, COMMAND) or, with `--json`, an
/// array of objects. `timing` adds the `after` field (`kill`).
pub fn render<W: Write>(rows: &[Row], out: &Out, timing: bool, w: &mut W) -> io::Result<()> {
    if out.quiet {
        return Ok(());
    }
    if out.json {
        let values: Vec<serde_json::Value> = rows.iter().map(|r| r.to_json(timing)).collect();
        return json::write(w, out, &values);
    }
    if rows.is_empty() {
        return Ok(());
    }
    let mut table = Table::new(vec![
        Column::new("PID", Align::Right),
        Column::new("RESULT", Align::Left),
        Column::new("COMMAND", Align::Left).elastic(),
    ]);
    table.rows = rows
        .iter()
        .map(|row| {
            let command = row.command_value();
            let paint = if matches!(command, Value::Shown(_)) {
                Paint::Dim
            } else {
                Paint::Plain
            };
            vec![
                Text::new(row.pid.to_string()),
                Text::painted(row.describe(), row.outcome.paint()),
                Text::painted(command.display(), paint),
            ]
        })
        .collect();
    table.render(w, out, true)
}

/// The exit code for a report: 1 when nothing matched (every row is a PID
/// without a process, or there are none), 3 when some target failed, else 0.
/// With `liveness` (signal 0), any target that does not exist means 1.
pub fn exit_for(rows: &[Row], liveness: bool) -> Exit {
    if rows.iter().all(|r| r.outcome == Outcome::NoSuchProcess) {
        return Exit::NoMatch;
    }
    if liveness {
        return if rows
            .iter()
            .all(|r| matches!(r.outcome, Outcome::Alive | Outcome::Zombie))
        {
            Exit::Success
        } else {
            Exit::NoMatch
        };
    }
    if rows.iter().any(|r| r.outcome.is_failure()) {
        Exit::Partial
    } else {
        Exit::Success
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pid: i32, name: &str, command: Option<&str>, outcome: Outcome) -> Row {
        Row {
            pid,
            name: name.as_bytes().to_vec(),
            command: command.map(|c| c.as_bytes().to_vec()),
            signal: Signal::TERM,
            outcome,
            after: None,
            detail: None,
        }
    }

    fn rows() -> Vec<Row> {
        let mut terminated = row(10, "sleep", Some("sleep 100"), Outcome::Terminated);
        terminated.after = Some(Duration::from_millis(4));
        let mut killed = row(11, "victim", Some("victim --ignore TERM"), Outcome::Killed);
        killed.after = Some(Duration::from_millis(530));
        vec![
            terminated,
            killed,
            row(12, "evil\x1b]0;x", None, Outcome::AlreadyGone),
            row(13, "root", Some("daemon"), Outcome::PermissionDenied),
            Row::missing(4_000_000, Signal::TERM),
        ]
    }

    fn text(f: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut buf = Vec::new();
        f(&mut buf).expect("renders");
        String::from_utf8(buf).expect("utf-8")
    }

    #[test]
    fn table_says_what_happened_to_each() {
        let t = text(|w| render(&rows(), &Out::PLAIN, true, w));
        assert_eq!(
            t,
            "PID\tRESULT\tCOMMAND\n\
             10\tterminated by SIGTERM after 4ms\tsleep 100\n\
             11\tkilled by SIGKILL after the grace period (gone 530ms)\tvictim --ignore TERM\n\
             12\talready gone\t[evil\\e]0;x]\n\
             13\tpermission denied\tdaemon\n\
             4000000\tno such process\t-\n"
        );
    }

    #[test]
    fn json_has_stable_fields() {
        let out = Out {
            json: true,
            ..Out::PLAIN
        };
        let t = text(|w| render(&rows(), &out, true, w));
        let v: serde_json::Value = serde_json::from_str(&t).expect("JSON");
        assert_eq!(v[0]["pid"], 10);
        assert_eq!(v[0]["outcome"], "terminated");
        assert_eq!(v[0]["signal"], "TERM");
        assert_eq!(v[0]["after"], 0.004);
        assert_eq!(v[1]["outcome"], "killed");
        assert_eq!(v[1]["after"], 0.53);
        assert_eq!(v[2]["cmd"], serde_json::Value::Null);
        assert_eq!(v[2]["name"], "evil\x1b]0;x");
        assert_eq!(v[4]["name"], serde_json::Value::Null);
        assert_eq!(v[4]["outcome"], "no_such_process");
        let t = text(|w| render(&rows(), &out, false, w));
        let v: serde_json::Value = serde_json::from_str(&t).expect("JSON");
        assert!(v[0].get("after").is_none());
    }

    #[test]
    fn quiet_prints_nothing() {
        let out = Out {
            quiet: true,
            ..Out::PLAIN
        };
        assert_eq!(text(|w| render(&rows(), &out, true, w)), "");
    }

    #[test]
    fn exit_codes_follow_the_outcomes() {
        let all = rows();
        assert_eq!(exit_for(&all, false), Exit::Partial);
        assert_eq!(exit_for(&all[..3], false), Exit::Success);
        assert_eq!(exit_for(&all[4..], false), Exit::NoMatch);
        assert_eq!(exit_for(&[], false), Exit::NoMatch);
        let alive = row(1, "a", None, Outcome::Alive);
        let zombie = row(2, "z", None, Outcome::Zombie);
        let gone = row(3, "g", None, Outcome::NoSuchProcess);
        assert_eq!(
            exit_for(&[alive.clone(), zombie.clone()], true),
            Exit::Success
        );
        assert_eq!(exit_for(&[alive, zombie, gone], true), Exit::NoMatch);
    }

    fn process(pid: i32, ppid: i32) -> Process {
        Process {
            pid,
            stat: crate::proc::Stat {
                ppid,
                name: format!("p{pid}").into_bytes(),
                ..crate::proc::Stat::default()
            },
            ..Process::default()
        }
    }

    #[test]
    fn descendants_in_breadth_first_order_without_the_protected() {
        // 1 -> 10 -> (11 -> 13 -> 14, 12); 1 -> 20; 12 is ptool's shell,
        // 14 is ptool: 13 is a sibling in the walk and stays.
        let scan = [
            process(1, 0),
            process(10, 1),
            process(11, 10),
            process(12, 10),
            process(13, 12),
            process(14, 12),
            process(15, 11),
            process(20, 1),
        ];
        let protected = Protected {
            own: 14,
            ancestors: vec![12, 10, 1],
        };
        let found: Vec<i32> = descendants(&scan, &[10], &HashSet::new(), &protected)
            .iter()
            .map(|t| t.pid)
            .collect();
        assert_eq!(found, vec![11, 15, 13]);
        let known: HashSet<i32> = [11].into_iter().collect();
        let none = Protected::default();
        let found: Vec<i32> = descendants(&scan, &[10], &known, &none)
            .iter()
            .map(|t| t.pid)
            .collect();
        assert_eq!(found, vec![12, 15, 13, 14]);
        // PID 1 is never a descendant to kill.
        let found: Vec<i32> = descendants(&scan, &[0], &HashSet::new(), &none)
            .iter()
            .map(|t| t.pid)
            .collect();
        assert!(!found.contains(&1));
    }

    #[test]
    fn stop_signals() {
        assert!(is_stop_signal(Signal::STOP));
        assert!(!is_stop_signal(Signal::TERM));
        assert!(!is_stop_signal(Signal::NULL));
    }
}
