//! Changing one pinned process, every thread of it, and saying what
//! changed.
//!
//! The target comes pinned from the selector ([`crate::deliver`]): its
//! `/proc/PID` handle and start time, and a pidfd opened and verified the
//! way `kill` does it. The calls that change a thread take a number, not a
//! pidfd, so the pin is checked again *after* acting: the pidfd has not
//! seen the process exit, so the PID was its own all along. Threads are
//! listed through the pinned handle (only the pinned process's threads are
//! there), acted on, and listed again until no new thread turns up: a
//! thread started meanwhile is caught by the next listing, or inherited the
//! new setting from the thread that started it. The listing again is
//! skipped when the process provably has no thread but those changed (its
//! thread count and a membership check of each: `settled`), and when no
//! thread found new in a listing still had an old value: all it could
//! find after that are threads that inherited the new ones. A thread
//! in the last listing was the process's own when it was changed; one that
//! is missing by then ended meanwhile and is counted apart. The report says
//! what the thread has, not what was asked for: a new value is read back
//! from the kernel unless the kernel takes it as given (a niceness, CPUs
//! inside the cpuset), where the call's success already says so.
//!
//! Resource limits belong to the whole process and are set once, through
//! the PID (prlimit).

use std::collections::{HashMap, HashSet};
use std::io;

use super::change::{self, IoPrio, LimitChange, Nice, Sched};
use crate::deliver::{Miss, Opener, Target};
use crate::proc::Reader;
use crate::sys::sched as os;

/// Everything one run of `set` changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub nice: Option<Nice>,
    pub io: Option<IoPrio>,
    /// Ascending CPU numbers.
    pub cpus: Option<Vec<u32>>,
    pub sched: Option<Sched>,
    pub limits: Vec<LimitChange>,
    /// Only this thread (TID) instead of every thread.
    pub thread: Option<i32>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.nice.is_none()
            && self.io.is_none()
            && self.cpus.is_none()
            && self.sched.is_none()
            && self.limits.is_empty()
    }

    /// The per-thread settings asked for, in the order they are applied:
    /// the policy first (switching to `idle` or `batch` keeps the
    /// niceness), then niceness, I/O priority and CPUs.
    fn knobs(&self) -> Vec<Knob> {
        let mut knobs = Vec::new();
        if self.sched.is_some() {
            knobs.push(Knob::Sched);
        }
        if self.nice.is_some() {
            knobs.push(Knob::Nice);
        }
        if self.io.is_some() {
            knobs.push(Knob::Io);
        }
        if self.cpus.is_some() {
            knobs.push(Knob::Cpus);
        }
        knobs
    }
}

/// How often the thread list is read again looking for threads started
/// while the others were being changed. Each round only finds threads
/// started by threads not yet changed, so a handful suffice; a process
/// that keeps starting threads beyond that is reported.
const MAX_ROUNDS: usize = 64;

/// What happened to one process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetReport {
    pub pid: i32,
    pub name: Vec<u8>,
    pub command: Option<Vec<u8>>,
    pub state: SetState,
    /// Why the process could not be changed (with `Failed`), or a note.
    pub detail: Option<String>,
    /// The threads changed (or looked at, in a dry run).
    pub threads: usize,
    /// Threads that ended while the others were being changed.
    pub ended_threads: usize,
    pub settings: Vec<SettingReport>,
}

/// The fate of a process as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetState {
    /// Looked at, and each setting says what happened.
    Done,
    /// It ended before or while it was being changed.
    Gone,
    /// No process has the PID given.
    NoSuchProcess,
    /// It could not be opened (the detail says why).
    Failed,
}

/// One setting of one process: old and new values (each distinct value
/// once, as the setting's flag writes it), and how many threads changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingReport {
    /// `nice`, `io`, `cpus`, `sched`, or `limit:RESOURCE`.
    pub setting: String,
    pub old: Vec<String>,
    pub new: Vec<String>,
    /// Threads the setting applies to (1 for a limit: the process).
    pub threads: usize,
    pub changed: usize,
    pub failed: usize,
    pub result: SettingOutcome,
    pub error: Option<String>,
}

/// What became of one setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingOutcome {
    Changed,
    /// It already had the value asked for.
    Unchanged,
    WouldChange,
    WouldStay,
    Failed,
}

impl SettingOutcome {
    pub fn key(self) -> &'static str {
        match self {
            SettingOutcome::Changed => "changed",
            SettingOutcome::Unchanged => "unchanged",
            SettingOutcome::WouldChange => "would_change",
            SettingOutcome::WouldStay => "would_stay",
            SettingOutcome::Failed => "failed",
        }
    }
}

impl SetReport {
    fn new(target: &Target, state: SetState) -> SetReport {
        SetReport {
            pid: target.pid,
            name: target.name.clone(),
            command: target.command.clone(),
            state,
            detail: None,
            threads: 0,
            ended_threads: 0,
            settings: Vec::new(),
        }
    }

    /// A report for an explicit PID that no process has.
    pub fn missing(pid: i32) -> SetReport {
        SetReport {
            pid,
            name: Vec::new(),
            command: None,
            state: SetState::NoSuchProcess,
            detail: None,
            threads: 0,
            ended_threads: 0,
            settings: Vec::new(),
        }
    }

    /// A report for a process that was selected but could not be pinned.
    pub fn unpinned(u: &crate::deliver::Unpinned) -> SetReport {
        SetReport {
            pid: u.pid,
            name: u.name.clone(),
            command: u.command.clone(),
            state: SetState::Failed,
            detail: Some(u.why.clone()),
            threads: 0,
            ended_threads: 0,
            settings: Vec::new(),
        }
    }

    /// True when something asked for did not happen (exit 3).
    pub fn is_failure(&self) -> bool {
        match self.state {
            SetState::Done => self
                .settings
                .iter()
                .any(|s| s.result == SettingOutcome::Failed),
            SetState::Failed | SetState::NoSuchProcess => true,
            SetState::Gone => false,
        }
    }
}

/// A per-thread setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Knob {
    Nice,
    Io,
    Cpus,
    Sched,
}

impl Knob {
    fn name(self) -> &'static str {
        match self {
            Knob::Nice => "nice",
            Knob::Io => "io",
            Knob::Cpus => "cpus",
            Knob::Sched => "sched",
        }
    }
}

/// A thread's value of one setting.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Val {
    Nice(i32),
    Io(IoPrio),
    Cpus(Vec<u32>),
    /// The policy and priority, and whether SCHED_RESET_ON_FORK is set
    /// (kept as it was: it is not part of what `--sched` says).
    Sched(Sched, bool),
}

impl Val {
    fn text(&self) -> String {
        match self {
            Val::Nice(n) => n.to_string(),
            Val::Io(io) => io.to_string(),
            Val::Cpus(cpus) => crate::proc::cpus::format(cpus),
            Val::Sched(s, _) => s.to_string(),
        }
    }

    /// Equal as far as the setting goes.
    fn same(&self, other: &Val) -> bool {
        match (self, other) {
            (Val::Sched(a, _), Val::Sched(b, _)) => a == b,
            (Val::Io(a), Val::Io(b)) => a.normal() == b.normal(),
            (a, b) => a == b,
        }
    }
}

fn get(knob: Knob, tid: i32) -> io::Result<Val> {
    Ok(match knob {
        Knob::Nice => Val::Nice(os::nice(tid)?),
        Knob::Io => {
            let (class, level) = os::ioprio(tid)?;
            Val::Io(IoPrio { class, level }.normal())
        }
        Knob::Cpus => Val::Cpus(os::affinity(tid)?),
        Knob::Sched => {
            let (policy, priority) = os::scheduler(tid)?;
            Val::Sched(
                Sched {
                    policy: policy & !os::SCHED_RESET_ON_FORK,
                    priority,
                },
                policy & os::SCHED_RESET_ON_FORK != 0,
            )
        }
    })
}

fn set(tid: i32, value: &Val) -> io::Result<()> {
    match value {
        Val::Nice(n) => os::set_nice(tid, *n),
        Val::Io(io) => os::set_ioprio(tid, io.class, io.level),
        Val::Cpus(cpus) => os::set_affinity(tid, cpus),
        Val::Sched(s, reset) => {
            let flag = if *reset { os::SCHED_RESET_ON_FORK } else { 0 };
            os::set_scheduler(tid, s.policy | flag, s.priority)
        }
    }
}

/// The value a thread with `old` is to get.
fn want(changes: &Changes, old: &Val) -> Val {
    match old {
        Val::Nice(n) => Val::Nice(changes.nice.map_or(*n, |c| c.apply(*n))),
        Val::Io(io) => Val::Io(changes.io.map_or(*io, IoPrio::normal)),
        Val::Cpus(cpus) => Val::Cpus(changes.cpus.clone().unwrap_or_else(|| cpus.clone())),
        Val::Sched(s, reset) => Val::Sched(changes.sched.unwrap_or(*s), *reset),
    }
}

/// What one thread made of one setting.
#[derive(Debug, Clone)]
enum ThreadStep {
    /// It had (or, in a dry run, would keep) the value.
    Same(Val),
    /// Changed from the first to the second (read back), or in a dry run
    /// would be.
    Changed(Val, Val),
    Failed(Option<Val>, String),
}

/// Who the process belongs to, for saying why a change was refused.
#[derive(Debug, Clone, Copy)]
struct Ownership {
    /// ptool runs as root (or the process's owner).
    own: bool,
}

fn denied(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EPERM | libc::EACCES))
}

const NOT_YOURS: &str =
    "permission denied: the process belongs to another user (changing it needs CAP_SYS_NICE)";

/// Why changing `knob` from `old` to `new` failed, in words.
fn explain(knob: Knob, e: &io::Error, old: Option<&Val>, new: &Val, access: Ownership) -> String {
    let from = old.map(Val::text).unwrap_or_else(|| "?".to_string());
    let to = new.text();
    if denied(e) && !access.own {
        return NOT_YOURS.to_string();
    }
    match (knob, e.raw_os_error()) {
        (Knob::Nice, Some(libc::EACCES | libc::EPERM)) => format!(
            "permission denied: lowering the niceness (from {from} to {to}) needs CAP_SYS_NICE; only privileged users may lower niceness"
        ),
        (Knob::Sched, Some(libc::EPERM)) => match new {
            Val::Sched(s, _) if s.is_realtime() => format!(
                "permission denied: the real-time policy {to} needs CAP_SYS_NICE (or an RLIMIT_RTPRIO of the process that allows it); only privileged users may use real-time policies"
            ),
            _ => format!("permission denied: changing the policy from {from} to {to} needs CAP_SYS_NICE"),
        },
        (Knob::Io, Some(libc::EPERM)) => match new {
            Val::Io(io) if io.class == IoPrio::REALTIME => {
                "permission denied: the realtime I/O class needs CAP_SYS_ADMIN; only privileged users may use it".to_string()
            }
            _ => format!("permission denied: changing the I/O priority from {from} to {to} needs privilege"),
        },
        (Knob::Cpus, Some(libc::EINVAL)) => format!(
            "none of CPUs {to} may be used by this thread (its cpuset, or a kernel thread bound to its CPUs)"
        ),
        (Knob::Cpus, Some(libc::EPERM)) => {
            "permission denied: changing its CPUs needs CAP_SYS_NICE".to_string()
        }
        _ => crate::sys::error_text(e),
    }
}

/// Change `target` as `changes` says (or, with `dry_run`, only say what
/// would change), through a pidfd `opener` opens and verifies. The report
/// says, per setting, the old and new values read from the kernel.
pub fn apply(
    target: &Target,
    changes: &Changes,
    dry_run: bool,
    opener: &mut Opener,
    reader: &mut Reader,
) -> SetReport {
    let bound = match opener.open(target, reader) {
        Ok(bound) => bound,
        Err(miss) => return missed(target, miss, "ended before it could be changed"),
    };
    if bound.has_exited(reader) {
        return missed(
            target,
            Miss::Gone,
            "has exited (a zombie its parent has not collected): nothing to change",
        );
    }
    let Some(dir) = target.dir() else {
        return missed(target, Miss::Gone, "ended before it could be changed");
    };
    let access = Ownership {
        own: rustix::process::geteuid().is_root()
            || dir.owner().is_ok_and(|o| {
                o.uid == rustix::process::getuid().as_raw()
                    || o.uid == rustix::process::geteuid().as_raw()
            }),
    };
    let mut report = SetReport::new(target, SetState::Done);

    // Limits: once, for the process.
    for limit in &changes.limits {
        report
            .settings
            .push(change_limit(target.pid, limit, dry_run, access));
    }

    // CPUs the process may not have are refused before anything is done.
    let mut refused_cpus = None;
    // The CPUs asked for are all the cpuset's: the kernel keeps them as
    // given (see `change_thread`).
    let mut exact_cpus = false;
    if let Some(cpus) = &changes.cpus
        && let Some(allowed) = crate::proc::cpus::cpuset(target.pid)
    {
        let outside: Vec<u32> = cpus
            .iter()
            .copied()
            .filter(|c| !allowed.contains(c))
            .collect();
        exact_cpus = outside.is_empty();
        if !outside.is_empty() {
            let (noun, verb) = if outside.len() == 1 {
                ("CPU", "is")
            } else {
                ("CPUs", "are")
            };
            refused_cpus = Some(format!(
                "{noun} {} {verb} not allowed by its cpuset (it allows {})",
                crate::proc::cpus::format(&outside),
                crate::proc::cpus::format(&allowed)
            ));
        }
    }
    let knobs: Vec<Knob> = changes
        .knobs()
        .into_iter()
        .filter(|k| !(*k == Knob::Cpus && refused_cpus.is_some()))
        .collect();

    let mut steps: HashMap<i32, Vec<ThreadStep>> = HashMap::new();
    let mut order: Vec<i32> = Vec::new();
    let mut ended: HashSet<i32> = HashSet::new();
    let mut last: Vec<i32>;
    let mut rounds = 0;
    let mut restless = false;
    loop {
        last = match dir.tids() {
            Ok(tids) => tids,
            Err(e) if crate::sys::is_gone(&e) => {
                return gone_meanwhile(report, "ended while it was being changed");
            }
            Err(e) => {
                report.state = SetState::Failed;
                report.detail = Some(format!(
                    "cannot list its threads: {}",
                    crate::sys::error_text(&e)
                ));
                return report;
            }
        };
        if let Some(tid) = changes.thread {
            last.retain(|&t| t == tid);
        }
        let fresh: Vec<i32> = last
            .iter()
            .copied()
            .filter(|t| !steps.contains_key(t) && !ended.contains(t))
            .collect();
        if fresh.is_empty() || knobs.is_empty() {
            break;
        }
        rounds += 1;
        if rounds > MAX_ROUNDS {
            restless = true;
            break;
        }
        // Whether every thread found new had the values already: see below.
        let mut all_same = true;
        for (tid, result) in change_threads(&fresh, &knobs, changes, dry_run, access, exact_cpus) {
            match result {
                Some(done) => {
                    all_same &= done.iter().all(|s| matches!(s, ThreadStep::Same(_)));
                    steps.insert(tid, done);
                    order.push(tid);
                }
                None => {
                    ended.insert(tid);
                }
            }
        }
        // No thread of this listing had an old value left: every thread
        // listed has been changed, so one started since, by any of them,
        // inherits the new values (clone copies them), as do its own.
        // Listing again would only find more such threads, as it does
        // without end in a process that keeps starting short-lived ones.
        if all_same {
            break;
        }
        if changes.thread.is_none() && settled(target.pid, dir, &last, &steps, reader) {
            break;
        }
    }

    // The pin, checked again now that the calls by number are made. A
    // pidfd that has not seen its process exit says the PID was that
    // process's all along (it was verified when opened); without one, the
    // start time is read again through the pinned handle.
    if bound.has_exited(reader) || (!bound.uses_pidfd() && target.check(reader).is_err()) {
        return gone_meanwhile(report, "ended while it was being changed");
    }

    if let Some(tid) = changes.thread
        && last.is_empty()
        && !knobs.is_empty()
    {
        report.state = SetState::Failed;
        report.detail = Some(format!(
            "thread {tid} is not a thread of this process (or has ended)"
        ));
        return report;
    }

    // Only threads still in the last listing count: they were the
    // process's own when they were changed.
    let present: HashSet<i32> = last.iter().copied().collect();
    let counted: Vec<&Vec<ThreadStep>> = order
        .iter()
        .filter(|t| present.contains(t))
        .filter_map(|t| steps.get(t))
        .collect();
    report.ended_threads = order.len() - counted.len() + ended.len();
    report.threads = if knobs.is_empty() {
        last.len()
    } else {
        counted.len()
    };
    for (i, knob) in changes.knobs().into_iter().enumerate() {
        if knob == Knob::Cpus
            && let Some(why) = &refused_cpus
        {
            report.settings.push(refused(knob, &last, why));
            continue;
        }
        // The index among the knobs acted on.
        let at = knobs.iter().position(|k| *k == knob).unwrap_or(i);
        let mut s = tally(knob, counted.iter().map(|steps| &steps[at]), dry_run);
        if restless {
            s.note_restless();
        }
        report.settings.push(s);
    }
    if restless {
        report.detail = Some(format!(
            "it kept starting threads: {MAX_ROUNDS} rounds were not enough to catch them all"
        ));
        for s in report
            .settings
            .iter_mut()
            .filter(|s| !s.setting.starts_with("limit:"))
        {
            s.result = SettingOutcome::Failed;
        }
    }
    report
}

/// True when the threads changed are provably all the process has, so
/// that listing its threads again would find nothing new: the count of its
/// threads (`stat` field 20) is the number changed and still there, and each
/// of those is, after that count was read, still a thread of this process.
///
/// Why that suffices: `tgkill(PID, TID, 0)` succeeds only for a live task
/// with that TID whose thread group is PID's (see
/// [`crate::sys::kill::thread_exists`]), and PID is the pinned process
/// while its pidfd has not seen it exit (checked after acting). A thread
/// listed before the changes and found after the count was read was there
/// when the count was read (a TID names one thread while it lives; the
/// listing already relies on that), so at that moment the process's
/// threads were exactly the ones changed. A thread started after that was
/// started by one of them and inherits what they now have (clone copies
/// niceness, CPUs, policy and I/O priority), which the next listing would
/// not change either. The count alone would not do: a changed thread can
/// end while one not yet changed starts a new one, and the count stays the
/// same; then a changed thread fails the check, and the threads are listed
/// again.
///
/// The calls cost about what a second listing did (measured on 1,000
/// threads), but the answer is exact where a listing's is not: while a
/// thread ends, `/proc/PID/task` can skip another (it resumes from the
/// position by count, which shifts), and the count here does not miss it.
fn settled(
    pid: i32,
    dir: &crate::proc::ProcDir,
    listed: &[i32],
    steps: &HashMap<i32, Vec<ThreadStep>>,
    reader: &mut Reader,
) -> bool {
    let changed = listed.iter().filter(|t| steps.contains_key(t)).count();
    let Ok(count) = reader.main_thread_stat_pinned(dir).map(|s| s.threads) else {
        return false;
    };
    if usize::try_from(count).ok() != Some(changed) {
        return false;
    }
    listed
        .iter()
        .filter(|t| steps.contains_key(t))
        .all(|&tid| crate::sys::kill::thread_exists(pid, tid).is_ok())
}

impl SettingReport {
    fn note_restless(&mut self) {
        self.error
            .get_or_insert_with(|| "threads started faster than they could be changed".into());
    }
}

fn missed(target: &Target, miss: Miss, gone: &str) -> SetReport {
    let mut report = SetReport::new(target, SetState::Gone);
    match miss {
        Miss::Gone => report.detail = Some(gone.to_string()),
        Miss::Denied => {
            report.state = SetState::Failed;
            report.detail = Some(NOT_YOURS.to_string());
        }
        Miss::Failed(why) => {
            report.state = SetState::Failed;
            report.detail = Some(why);
        }
    }
    report
}

fn gone_meanwhile(mut report: SetReport, why: &str) -> SetReport {
    report.state = SetState::Gone;
    report.detail = Some(why.to_string());
    report.settings.clear();
    report
}

/// Threads from which the work is shared among CPUs: below it, starting
/// workers costs more than it saves.
const PARALLEL_FROM: usize = 256;

/// Change `tids` (see [`change_thread`]), on several CPUs when there are
/// many: each thread costs a handful of system calls, and the calls on
/// different threads are independent. Results come back in `tids`' order.
fn change_threads(
    tids: &[i32],
    knobs: &[Knob],
    changes: &Changes,
    dry_run: bool,
    access: Ownership,
    exact_cpus: bool,
) -> Vec<(i32, Option<Vec<ThreadStep>>)> {
    let one = |tid: i32| {
        (
            tid,
            change_thread(tid, knobs, changes, dry_run, access, exact_cpus),
        )
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(tids.len() / (PARALLEL_FROM / 2))
        .min(8);
    if workers < 2 {
        return tids.iter().map(|&t| one(t)).collect();
    }
    let chunk = tids.len().div_ceil(workers);
    std::thread::scope(|scope| {
        // This thread takes the first share itself: one thread fewer to
        // start and stop.
        let mut parts = tids.chunks(chunk);
        let first = parts.next().unwrap_or_default();
        let handles: Vec<_> = parts
            .map(|part| scope.spawn(move || part.iter().map(|&t| one(t)).collect::<Vec<_>>()))
            .collect();
        let mut out: Vec<_> = first.iter().map(|&t| one(t)).collect();
        for h in handles {
            out.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out
    })
}

/// Change every knob of one thread; `None` when the thread has ended.
fn change_thread(
    tid: i32,
    knobs: &[Knob],
    changes: &Changes,
    dry_run: bool,
    access: Ownership,
    exact_cpus: bool,
) -> Option<Vec<ThreadStep>> {
    let mut out = Vec::with_capacity(knobs.len());
    for &knob in knobs {
        let old = match get(knob, tid) {
            Ok(old) => old,
            Err(e) if crate::sys::is_gone(&e) => return None,
            Err(e) => {
                out.push(ThreadStep::Failed(
                    None,
                    format!("cannot read it: {}", crate::sys::error_text(&e)),
                ));
                continue;
            }
        };
        let new = want(changes, &old);
        if new.same(&old) {
            out.push(ThreadStep::Same(old));
            continue;
        }
        if dry_run {
            out.push(ThreadStep::Changed(old, new));
            continue;
        }
        if let Err(e) = set(tid, &new) {
            if crate::sys::is_gone(&e) {
                return None;
            }
            let why = explain(knob, &e, Some(&old), &new, access);
            out.push(ThreadStep::Failed(Some(old), why));
            continue;
        }
        // Where the kernel takes the value as given, success says what the
        // thread has: a niceness in -20..19 (the only range `want` yields;
        // setpriority fails rather than narrowing it), and CPUs all inside
        // the process's cpuset (sched_setaffinity keeps the mask ANDed with
        // the cpuset, which is then the mask itself). Reading those back
        // would double the calls per thread for nothing.
        if knob == Knob::Nice || (knob == Knob::Cpus && exact_cpus) {
            out.push(ThreadStep::Changed(old, new));
            continue;
        }
        // Read back: what the thread has now, which the kernel may have
        // narrowed (CPUs outside a cpuset that could not be read).
        match get(knob, tid) {
            Ok(now) => out.push(ThreadStep::Changed(old, now)),
            Err(e) if crate::sys::is_gone(&e) => return None,
            Err(e) => out.push(ThreadStep::Failed(
                Some(old),
                format!(
                    "changed, but cannot read it back: {}",
                    crate::sys::error_text(&e)
                ),
            )),
        }
    }
    Some(out)
}

/// Each distinct value once, most common first. Values are counted
/// before they are written out: one text per distinct value rather than
/// one per thread (two values can still read alike, as a policy with and
/// without SCHED_RESET_ON_FORK does).
fn distinct<'a>(values: impl Iterator<Item = &'a Val>) -> Vec<String> {
    let mut seen: Vec<(&Val, usize)> = Vec::new();
    for v in values {
        match seen.iter_mut().find(|(u, _)| *u == v) {
            Some((_, n)) => *n += 1,
            None => seen.push((v, 1)),
        }
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for (v, n) in seen {
        let text = v.text();
        match counts.iter_mut().find(|(t, _)| *t == text) {
            Some((_, m)) => *m += n,
            None => counts.push((text, n)),
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    counts.into_iter().map(|(t, _)| t).collect()
}

fn tally<'a>(
    knob: Knob,
    steps: impl Iterator<Item = &'a ThreadStep>,
    dry_run: bool,
) -> SettingReport {
    let steps: Vec<&ThreadStep> = steps.collect();
    let old = distinct(steps.iter().filter_map(|s| match s {
        ThreadStep::Same(v) | ThreadStep::Changed(v, _) => Some(v),
        ThreadStep::Failed(v, _) => v.as_ref(),
    }));
    let new = distinct(steps.iter().filter_map(|s| match s {
        ThreadStep::Same(v) | ThreadStep::Changed(_, v) => Some(v),
        ThreadStep::Failed(v, _) => v.as_ref(),
    }));
    let changed = steps
        .iter()
        .filter(|s| matches!(s, ThreadStep::Changed(..)))
        .count();
    let errors: Vec<&String> = steps
        .iter()
        .filter_map(|s| match s {
            ThreadStep::Failed(_, why) => Some(why),
            _ => None,
        })
        .collect();
    let failed = errors.len();
    let result = match (failed, changed, dry_run) {
        (1.., _, _) => SettingOutcome::Failed,
        (0, 0, false) => SettingOutcome::Unchanged,
        (0, _, false) => SettingOutcome::Changed,
        (0, 0, true) => SettingOutcome::WouldStay,
        (0, _, true) => SettingOutcome::WouldChange,
    };
    let error = errors.first().map(|why| {
        if failed < steps.len() {
            format!("{why} ({failed} of {} threads)", steps.len())
        } else {
            (*why).clone()
        }
    });
    SettingReport {
        setting: knob.name().to_string(),
        old,
        new,
        threads: steps.len(),
        changed,
        failed,
        result,
        error,
    }
}

fn refused(knob: Knob, tids: &[i32], why: &str) -> SettingReport {
    let old = distinct(
        tids.iter()
            .filter_map(|&t| get(knob, t).ok())
            .collect::<Vec<_>>()
            .iter(),
    );
    SettingReport {
        setting: knob.name().to_string(),
        new: old.clone(),
        old,
        threads: tids.len(),
        changed: 0,
        failed: tids.len(),
        result: SettingOutcome::Failed,
        error: Some(why.to_string()),
    }
}

/// Set (or, in a dry run, only compute) one resource limit of `pid`.
fn change_limit(pid: i32, limit: &LimitChange, dry_run: bool, access: Ownership) -> SettingReport {
    let mut report = SettingReport {
        setting: format!("limit:{}", limit.resource),
        old: Vec::new(),
        new: Vec::new(),
        threads: 1,
        changed: 0,
        failed: 0,
        result: SettingOutcome::Failed,
        error: None,
    };
    let fail = |mut report: SettingReport, why: String| {
        report.failed = 1;
        report.result = SettingOutcome::Failed;
        report.error = Some(why);
        report
    };
    let old = match os::limits(pid, limit.resource) {
        Ok(old) => old,
        Err(e) if denied(&e) && !access.own => {
            return fail(
                report,
                NOT_YOURS.replace("CAP_SYS_NICE", "CAP_SYS_RESOURCE"),
            );
        }
        Err(e) => {
            return fail(
                report,
                format!("cannot read it: {}", crate::sys::error_text(&e)),
            );
        }
    };
    let new = os::Limits {
        soft: limit.soft.or(old.soft),
        hard: limit.hard.or(old.hard),
    };
    report.old = vec![change::format_limits(old.soft, old.hard)];
    let wanted = change::format_limits(new.soft, new.hard);
    let above = |s: Option<u64>, h: Option<u64>| match (s, h) {
        (None, Some(_)) => true,
        (Some(s), Some(h)) => s > h,
        _ => false,
    };
    if above(new.soft, new.hard) {
        report.new = report.old.clone();
        return fail(
            report,
            format!("the soft limit would be above the hard limit ({wanted})"),
        );
    }
    if new == old {
        report.new = vec![wanted];
        report.result = if dry_run {
            SettingOutcome::WouldStay
        } else {
            SettingOutcome::Unchanged
        };
        return report;
    }
    if dry_run {
        report.new = vec![wanted];
        report.changed = 1;
        report.result = SettingOutcome::WouldChange;
        return report;
    }
    if let Err(e) = os::set_limits(pid, limit.resource, new) {
        report.new = report.old.clone();
        let raising = match (old.hard, new.hard) {
            (Some(_), None) => true,
            (Some(o), Some(n)) => n > o,
            _ => false,
        };
        let why = match e.raw_os_error() {
            Some(libc::EPERM | libc::EACCES) if !access.own => {
                NOT_YOURS.replace("CAP_SYS_NICE", "CAP_SYS_RESOURCE")
            }
            Some(libc::EPERM) if raising => format!(
                "permission denied: raising the hard limit (from {} to {wanted}) needs CAP_SYS_RESOURCE; only privileged users may raise hard limits",
                report.old[0]
            ),
            Some(libc::EPERM) if limit.resource == "nofile" => {
                "permission denied: above the system's most open files (fs.nr_open)".to_string()
            }
            _ => crate::sys::error_text(&e),
        };
        return fail(report, why);
    }
    match os::limits(pid, limit.resource) {
        Ok(now) => {
            report.new = vec![change::format_limits(now.soft, now.hard)];
            report.changed = 1;
            report.result = SettingOutcome::Changed;
            report
        }
        Err(e) => fail(
            report,
            format!(
                "changed, but cannot read it back: {}",
                crate::sys::error_text(&e)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_show_as_their_flags_take_them() {
        assert_eq!(Val::Nice(-3).text(), "-3");
        assert_eq!(Val::Cpus(vec![0, 1, 2, 5]).text(), "0-2,5");
        assert_eq!(
            Val::Sched(
                Sched {
                    policy: Sched::FIFO,
                    priority: 10
                },
                true
            )
            .text(),
            "fifo:10"
        );
        assert!(
            Val::Sched(
                Sched {
                    policy: 0,
                    priority: 0
                },
                true
            )
            .same(&Val::Sched(
                Sched {
                    policy: 0,
                    priority: 0
                },
                false
            ))
        );
    }

    #[test]
    fn tallies_count_threads_and_keep_the_first_error() {
        let steps = [
            ThreadStep::Changed(Val::Nice(0), Val::Nice(5)),
            ThreadStep::Changed(Val::Nice(0), Val::Nice(5)),
            ThreadStep::Same(Val::Nice(5)),
            ThreadStep::Failed(Some(Val::Nice(7)), "denied".into()),
        ];
        let s = tally(Knob::Nice, steps.iter(), false);
        assert_eq!(s.old, ["0", "5", "7"]);
        assert_eq!(s.new, ["5", "7"]);
        assert_eq!((s.threads, s.changed, s.failed), (4, 2, 1));
        assert_eq!(s.result, SettingOutcome::Failed);
        assert_eq!(s.error.as_deref(), Some("denied (1 of 4 threads)"));
        let s = tally(Knob::Nice, steps[..2].iter(), true);
        assert_eq!(s.result, SettingOutcome::WouldChange);
        let s = tally(Knob::Nice, steps[2..3].iter(), false);
        assert_eq!(s.result, SettingOutcome::Unchanged);
    }

    #[test]
    fn settled_only_when_the_threads_changed_are_all_it_has() -> io::Result<()> {
        let mut child = std::process::Command::new("sleep").arg("30").spawn()?;
        let pid = child.id() as i32;
        let me = rustix::thread::gettid().as_raw_nonzero().get();
        let checks = (|| -> io::Result<[bool; 4]> {
            let mut reader = Reader::new()?;
            let dir = reader.pin(pid)?;
            let step = || vec![ThreadStep::Same(Val::Nice(0))];
            let mut steps = HashMap::new();
            let nothing_changed = settled(pid, &dir, &[pid], &steps, &mut reader);
            steps.insert(pid, step());
            let all_changed = settled(pid, &dir, &[pid], &steps, &mut reader);
            // As many threads changed as it has, but the one changed is not
            // its own: what a changed thread that ended while another
            // started one looks like.
            let stranger = HashMap::from([(me, step())]);
            let not_its_own = settled(pid, &dir, &[me], &stranger, &mut reader);
            steps.insert(me, step());
            let too_many = settled(pid, &dir, &[pid, me], &steps, &mut reader);
            Ok([nothing_changed, all_changed, not_its_own, too_many])
        })();
        let _ = child.kill();
        child.wait()?;
        assert_eq!(checks?, [false, true, false, false]);
        Ok(())
    }

    #[test]
    fn distinct_values_are_counted_by_how_they_read() {
        let batch = |reset| {
            Val::Sched(
                Sched {
                    policy: Sched::BATCH,
                    priority: 0,
                },
                reset,
            )
        };
        let values = [
            Val::Nice(0),
            batch(false),
            batch(true),
            batch(true),
            Val::Nice(0),
            Val::Nice(4),
        ];
        // batch: 3 threads (with and without SCHED_RESET_ON_FORK), 0: 2.
        assert_eq!(distinct(values.iter()), ["batch", "0", "4"]);
    }

    #[test]
    fn relative_niceness_is_per_thread() {
        let changes = Changes {
            nice: Some(Nice::Relative(3)),
            ..Changes::default()
        };
        assert_eq!(want(&changes, &Val::Nice(0)), Val::Nice(3));
        assert_eq!(want(&changes, &Val::Nice(18)), Val::Nice(19));
    }
}
