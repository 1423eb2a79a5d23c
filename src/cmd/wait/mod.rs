//! `ptool wait`: wait for processes to end, children or not, and tell how
//! each one ended.
//!
//! One pidfd per target, all in one epoll set: the wait costs nothing while
//! nothing happens, and thousands of targets cost no more per wakeup than
//! one. A pidfd becomes readable when its process exits (a zombie) and hangs
//! up when the parent reaps it; only then has the kernel recorded the exit
//! status (`PIDFD_GET_INFO`, Linux 6.15+). So an ended process is given a
//! short, bounded time to be reaped, and is reported "exit status unknown"
//! when it is not, rather than guessed. Before that, while it is a zombie,
//! its status can be read from `/proc/PID/stat` by its owner and root
//! ([`Reader::zombie_status`]): ptool reads it there the moment the pidfd
//! wakes it, which is what gives exit statuses on kernels before 6.15.
//! Where pidfds are missing, `/proc` is polled with backoff instead.

mod render;

use std::io::{self, Read as _, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use crate::cli::{WaitArgs, parse_pid, positive_pid};
use crate::ended::Status;
use crate::exit::{Exit, ExitError, usage};
use crate::output::Out;
use crate::output::sanitize::escape;
use crate::proc::{Need, Process, Reader, System, ZombieStatus};
use crate::select::Protected;
use crate::sys::pidfd::{self, ExitInfo, PidFd, Watch};
use render::Printer;

/// Why an exit status is unknown (said on stderr with `-v`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    /// The parent did not reap it within `--status-wait`.
    NotCollected(Duration),
    /// Collected before ptool read its zombie, by a kernel that keeps exit
    /// statuses for the parent alone (before 6.15).
    Kernel,
    /// No pidfds: `/proc` polling saw it only once it was gone.
    Polling,
    /// Its zombie shows the status only to its owner and root.
    Hidden,
    /// It ended between being selected and being watched.
    BeforeWatch,
}

impl Unknown {
    fn reason(&self) -> String {
        match self {
            Unknown::NotCollected(wait) => format!(
                "its parent did not collect it within {}",
                crate::duration::format_short(*wait)
            ),
            Unknown::Kernel => "its parent collected it before ptool could read it, and this \
                 kernel keeps it for the parent alone (Linux 6.15+ keeps it for all)"
                .to_string(),
            Unknown::Polling => {
                "without pidfds ptool saw it only once its parent had collected it".to_string()
            }
            Unknown::Hidden => "only its owner and root may read it from the zombie".to_string(),
            Unknown::BeforeWatch => "it ended before ptool could watch it".to_string(),
        }
    }
}

/// A moment, on the wall clock and on the boot clock that start times use.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Moment {
    unix: f64,
    boot: f64,
}

impl Moment {
    fn now() -> Moment {
        Moment {
            unix: crate::sys::time::unix_seconds(),
            boot: crate::sys::time::boot_seconds(),
        }
    }
}

/// One ended process, as reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Ended {
    pub pid: i32,
    pub name: Vec<u8>,
    /// When ptool saw it end (Unix seconds); `None` when it had already
    /// ended (a zombie) when ptool started.
    pub ended: Option<f64>,
    /// How long it ran, from its start time to its end, in seconds.
    pub ran: Option<f64>,
    pub status: Status,
}

impl Ended {
    /// `t` seen ended `at`; a target that was already a zombie at start has
    /// no end time and no run time.
    fn of(t: &Target, name: Vec<u8>, at: Moment, clk_tck: u64, status: Status) -> Ended {
        Ended {
            pid: t.pid,
            name,
            ended: (!t.zombie_at_start).then_some(at.unix),
            ran: (!t.zombie_at_start).then(|| ran(t.start_ticks, clk_tck, at)),
            status,
        }
    }
}

/// A process still running when the wait ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Survivor {
    pub pid: i32,
    pub name: Vec<u8>,
    /// How long it has been running, in seconds.
    pub ran: f64,
}

/// The end of a wait.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub ended: usize,
    pub not_running: Vec<i32>,
    pub still_running: Vec<Survivor>,
    pub timed_out: bool,
    /// Seconds spent waiting.
    pub waited: f64,
}

/// A process being waited for.
#[derive(Debug)]
struct Target {
    pid: i32,
    name: Vec<u8>,
    /// Start time in clock ticks after boot: with the PID, the process's
    /// identity (a reused PID has a later start).
    start_ticks: u64,
    /// Already a zombie when selected: when it ended is not known.
    zombie_at_start: bool,
    /// What its zombie told, once ptool has seen it end.
    zombie: ZombieStatus,
    fd: Option<PidFd>,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Running,
    /// Exited at `at`; its parent has until `until` to reap it.
    Exited {
        at: Moment,
        until: Instant,
    },
    Done,
}

/// What the wait is for.
#[derive(Debug, Clone, Copy)]
struct Goal {
    any: bool,
    deadline: Option<Instant>,
    status_wait: Duration,
    verbose: bool,
}

/// Counts kept while waiting.
#[derive(Debug, Default)]
struct Progress {
    running: usize,
    ended: usize,
}

impl Progress {
    fn met(&self, any: bool) -> bool {
        if any {
            self.ended > 0
        } else {
            self.running == 0
        }
    }
}

pub fn run<W: Write>(args: WaitArgs, out: &Out, w: &mut W) -> Result<Exit> {
    let started = Instant::now();
    let goal = Goal {
        any: args.any,
        deadline: args.timeout.map(|t| started + t),
        status_wait: args.status_wait,
        verbose: args.verbose,
    };
    let mut selector = args.select.selector()?;
    // Named PIDs in the order given, each once (the selector's already are).
    let mut explicit = selector.pids.clone();
    for file in &args.pidfile {
        let pid = read_pidfile(file)?;
        if !explicit.contains(&pid) {
            explicit.push(pid);
        }
    }
    if explicit.is_empty() && !selector.has_criteria() {
        return Err(usage(
            "nothing to wait for: give PIDs, --pidfile FILE or a selector (-n, -f, -u, ...)",
        ));
    }
    if explicit.contains(&crate::sys::own_pid()) {
        return Err(usage("ptool cannot wait for itself"));
    }
    selector.pids.clone_from(&explicit);

    let mut reader = Reader::new().context("cannot open /proc")?;
    let protected = Protected::current(&mut reader);
    let sys = System::read();
    let need = selector.need();
    let (selected, not_running) = if explicit.is_empty() {
        let selected = selector
            .scan(&mut reader, need, &sys, &protected)
            .context("cannot list /proc")?;
        (selected, Vec::new())
    } else {
        // Read one by one, in the order given, to tell which are not running.
        let mut found = Vec::with_capacity(explicit.len());
        let mut missing = Vec::new();
        for &pid in &explicit {
            match reader.read(pid, need) {
                Some(p) => found.push(p),
                None => missing.push(pid),
            }
        }
        let selected = if selector.has_criteria() {
            selector.select(found, &sys, &protected)
        } else {
            // Only named PIDs, which were all read: nothing more to check.
            found
        };
        (selected, missing)
    };

    // The table shows end times in local time: load the zone before waiting,
    // not when a process has just ended.
    if !out.json && !out.quiet {
        crate::sys::time::load_local_zone();
    }
    let mut printer = Printer::new(out, w);
    for &pid in &not_running {
        printer.not_running(pid)?;
    }
    if selected.is_empty() {
        if goal.verbose {
            log("nothing to wait for is running");
        }
        printer.summary(&Summary {
            ended: 0,
            not_running,
            still_running: Vec::new(),
            timed_out: false,
            waited: started.elapsed().as_secs_f64(),
        })?;
        return Ok(Exit::NoMatch);
    }

    let clk_tck = sys.clk_tck;
    let (mut targets, outcome) = if pidfd::supported() {
        let (mut targets, exit_info) =
            watch_targets(selected, &mut reader, clk_tck, &mut printer, &goal)?;
        let outcome = wait_pidfds(
            &mut targets,
            exit_info,
            &mut reader,
            clk_tck,
            &goal,
            &mut printer,
        )?;
        (targets, outcome)
    } else {
        let mut targets: Vec<Target> = selected.into_iter().map(target).collect();
        if goal.verbose {
            log(&format!(
                "waiting for {} by polling /proc: pidfds are not available here, so exit statuses are known only of the zombies ptool sees",
                processes(targets.len())
            ));
        }
        let outcome = wait_polling(&mut targets, &mut reader, clk_tck, &goal, &mut printer)?;
        (targets, outcome)
    };

    let now = Moment::now();
    let still_running: Vec<Survivor> = targets
        .iter_mut()
        .filter(|t| t.state == State::Running)
        .map(|t| Survivor {
            pid: t.pid,
            name: std::mem::take(&mut t.name),
            ran: ran(t.start_ticks, clk_tck, now),
        })
        .collect();
    let timed_out = outcome == Outcome::TimedOut;
    printer.summary(&Summary {
        ended: printer.ended,
        not_running,
        still_running,
        timed_out,
        waited: started.elapsed().as_secs_f64(),
    })?;
    Ok(if timed_out {
        Exit::Timeout
    } else {
        Exit::Success
    })
}

fn processes(n: usize) -> String {
    if n == 1 {
        "1 process".to_string()
    } else {
        format!("{n} processes")
    }
}

/// A line on stderr for `-v`.
fn log(message: &str) {
    crate::output::warn(message);
}

/// The PID in a pidfile: one positive number, surrounded by nothing but
/// whitespace. Anything else is refused rather than half-read.
fn read_pidfile(path: &Path) -> Result<i32> {
    let shown = escape(path.as_os_str().as_encoded_bytes()).into_owned();
    let file = std::fs::File::open(path).map_err(|e| {
        usage(format!(
            "cannot read pidfile {shown}: {}",
            crate::sys::error_text(&e)
        ))
    })?;
    // A pidfile is a few bytes; refuse to slurp something that is not one.
    let mut content = Vec::with_capacity(32);
    file.take(4097).read_to_end(&mut content).map_err(|e| {
        usage(format!(
            "cannot read pidfile {shown}: {}",
            crate::sys::error_text(&e)
        ))
    })?;
    parse_pidfile(&content).map_err(|why| usage(format!("pidfile {shown} {why}")))
}

fn parse_pidfile(content: &[u8]) -> Result<i32, String> {
    if content.len() > 4096 {
        return Err("is too long to hold a PID".to_string());
    }
    let text = std::str::from_utf8(content)
        .map_err(|_| format!("does not hold a PID: '{}'", escape(content)))?
        .trim();
    if text.is_empty() {
        return Err("is empty".to_string());
    }
    let pid = parse_pid(text).map_err(|e| format!("does not hold a PID: {e}"))?;
    positive_pid(pid).map_err(|e| format!("does not hold a process ID: {e}"))
}

fn target(p: Process) -> Target {
    Target {
        pid: p.pid,
        zombie_at_start: p.stat.has_ended(),
        zombie: ZombieStatus::NoZombie,
        start_ticks: p.stat.start_ticks,
        name: p.stat.name,
        fd: None,
        state: State::Running,
    }
}

/// How long a process that started `start_ticks` after boot had run at `at`.
fn ran(start_ticks: u64, clk_tck: u64, at: Moment) -> f64 {
    (at.boot - start_ticks as f64 / clk_tck.max(1) as f64).max(0.0)
}

/// Open a pidfd for every selected process (raising the open-file limit
/// when there are many). Returns the targets and whether the kernel will
/// tell exit statuses. A process that ended before its pidfd was open is
/// reported at once.
fn watch_targets<W: Write>(
    selected: Vec<Process>,
    reader: &mut Reader,
    clk_tck: u64,
    printer: &mut Printer<'_, W>,
    goal: &Goal,
) -> Result<(Vec<Target>, bool)> {
    // stdio, /proc, the epoll set, and some slack besides the pidfds. The
    // soft limit (often 1024) may be raised up to the hard one.
    let needed = selected.len() as u64 + 32;
    let limit =
        crate::sys::jobs::raise_open_files(needed).context("cannot raise the open-file limit")?;
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
    let mut targets = Vec::with_capacity(selected.len());
    let mut exit_info = None;
    for p in selected {
        let pid = p.pid;
        let mut t = target(p);
        match PidFd::open(pid) {
            Ok(fd) => {
                // The PID may have been reused between reading /proc and
                // opening the pidfd: the pidfd is ours only if the process
                // behind the PID still has the start time we selected.
                if reader
                    .stat(pid)
                    .is_some_and(|s| s.start_ticks != t.start_ticks)
                {
                    report(printer, &ended_before_watch(&t, clk_tck), goal)?;
                    continue;
                }
                if exit_info.is_none() {
                    exit_info = Some(pidfd::exit_info_supported(&fd));
                }
                t.fd = Some(fd);
                targets.push(t);
            }
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {
                report(printer, &ended_before_watch(&t, clk_tck), goal)?;
            }
            // A thread ID names no process: EINVAL, or ENOENT on newer
            // kernels (which can open threads with PIDFD_THREAD).
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOENT)) => {
                let tgid = reader
                    .read(pid, Need::STATUS)
                    .and_then(|p| p.status.map(|s| s.tgid))
                    .filter(|&tgid| tgid != pid);
                return Err(match tgid {
                    Some(tgid) => usage(format!(
                        "PID {pid} is a thread of process {tgid}: wait for {tgid} instead"
                    )),
                    None => anyhow::Error::new(e).context(format!("cannot watch process {pid}")),
                });
            }
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!("cannot watch process {pid}")));
            }
        }
    }
    Ok((targets, exit_info.unwrap_or(false)))
}

/// A process that ended between being selected and being watched: it has
/// no pidfd, so no exit status; it ended at the latest now.
fn ended_before_watch(t: &Target, clk_tck: u64) -> (Ended, Option<Unknown>) {
    let ended = Ended::of(t, t.name.clone(), Moment::now(), clk_tck, Status::Unknown);
    (ended, Some(Unknown::BeforeWatch))
}

/// Print an ended process, and with `-v` say why its status is unknown.
fn report<W: Write>(
    printer: &mut Printer<'_, W>,
    (ended, why): &(Ended, Option<Unknown>),
    goal: &Goal,
) -> io::Result<()> {
    if goal.verbose
        && let Some(why) = why
    {
        log(&format!(
            "process {} ({}): exit status unknown: {}",
            ended.pid,
            escape(&ended.name),
            why.reason()
        ));
    }
    printer.ended(ended)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Met,
    TimedOut,
}

/// Wait on the targets' pidfds in one epoll set until the goal is met or
/// the deadline passes.
fn wait_pidfds<W: Write>(
    targets: &mut [Target],
    exit_info: bool,
    reader: &mut Reader,
    clk_tck: u64,
    goal: &Goal,
    printer: &mut Printer<'_, W>,
) -> Result<Outcome> {
    let mut watch = Watch::new().context("cannot create an epoll set")?;
    for (key, t) in targets.iter().enumerate() {
        if let Some(fd) = &t.fd {
            watch
                .add(fd, key as u64)
                .with_context(|| format!("cannot watch process {}", t.pid))?;
        }
    }
    if goal.verbose {
        let how = if !exit_info {
            "; this kernel keeps exit statuses for the parent alone (Linux 6.15+ keeps them \
             for all), so they are read from the zombies"
                .to_string()
        } else if goal.status_wait.is_zero() {
            "; exit statuses only from zombies and of processes already collected".to_string()
        } else {
            String::new()
        };
        log(&format!(
            "waiting for {} with pidfds{how}",
            processes(targets.len())
        ));
    }
    // Processes that ended before they could be watched already count.
    let mut progress = Progress {
        running: targets.len(),
        ended: printer.ended,
    };
    let mut pending: Vec<usize> = Vec::new();
    loop {
        if progress.met(goal.any) && pending.is_empty() {
            return Ok(Outcome::Met);
        }
        let now = Instant::now();
        let wake = pending
            .iter()
            .filter_map(|&i| match targets[i].state {
                State::Exited { until, .. } => Some(until),
                _ => None,
            })
            .chain(goal.deadline)
            .min();
        let changes = watch
            .wait(wake.map(|t| t.saturating_duration_since(now)))
            .context("waiting on pidfds")?;
        for change in changes {
            let Ok(index) = usize::try_from(change.key) else {
                continue;
            };
            let Some(t) = targets.get_mut(index) else {
                continue;
            };
            match t.state {
                State::Running => {
                    let at = Moment::now();
                    progress.running -= 1;
                    progress.ended += 1;
                    if !change.reaped {
                        t.zombie = reader.zombie_status(t.pid, t.start_ticks);
                    }
                    // Wait for the reap only when it can tell something and
                    // the goal still needs waiting for anyway.
                    let wait_reap = !matches!(t.zombie, ZombieStatus::Status(_))
                        && exit_info
                        && !change.reaped
                        && !goal.status_wait.is_zero()
                        && (!goal.any || progress.ended == 1);
                    if wait_reap {
                        t.state = State::Exited {
                            at,
                            until: Instant::now() + goal.status_wait,
                        };
                        pending.push(index);
                    } else {
                        let why = if exit_info {
                            Unknown::NotCollected(goal.status_wait)
                        } else {
                            Unknown::Kernel
                        };
                        finish(t, at, clk_tck, why, goal, printer)?;
                    }
                }
                State::Exited { at, .. } if change.reaped => {
                    finish(
                        t,
                        at,
                        clk_tck,
                        Unknown::NotCollected(goal.status_wait),
                        goal,
                        printer,
                    )?;
                    pending.retain(|&i| i != index);
                }
                _ => {}
            }
        }
        // Parents that did not reap in time: ask once more (a kernel that
        // does not wake pollers on reap still answers), then give up.
        let now = Instant::now();
        let timed_out = goal.deadline.is_some_and(|d| now >= d);
        let mut i = 0;
        while i < pending.len() {
            let index = pending[i];
            let t = &mut targets[index];
            match t.state {
                State::Exited { at, until } if timed_out || now >= until => {
                    finish(
                        t,
                        at,
                        clk_tck,
                        Unknown::NotCollected(goal.status_wait),
                        goal,
                        printer,
                    )?;
                    pending.swap_remove(i);
                }
                _ => i += 1,
            }
        }
        if timed_out {
            return Ok(if progress.met(goal.any) {
                Outcome::Met
            } else {
                Outcome::TimedOut
            });
        }
    }
}

/// Report an ended target with whatever exit status its pidfd has, and
/// close the pidfd (which also takes it out of the epoll set).
fn finish<W: Write>(
    t: &mut Target,
    at: Moment,
    clk_tck: u64,
    why_unknown: Unknown,
    goal: &Goal,
    printer: &mut Printer<'_, W>,
) -> Result<()> {
    let info = match t.zombie {
        ZombieStatus::Status(raw) => ExitInfo::Status(raw),
        _ => t.fd.as_ref().map_or(ExitInfo::NotYet, PidFd::exit_info),
    };
    let (status, why) = match info {
        ExitInfo::Status(raw) => (Status::from_wait_status(raw), None),
        _ if t.zombie == ZombieStatus::Hidden => (Status::Unknown, Some(Unknown::Hidden)),
        ExitInfo::NotYet => (Status::Unknown, Some(why_unknown)),
        ExitInfo::Unavailable => (Status::Unknown, Some(Unknown::Kernel)),
    };
    t.fd = None;
    t.state = State::Done;
    let name = std::mem::take(&mut t.name);
    let ended = Ended::of(t, name, at, clk_tck, status);
    report(printer, &(ended, why), goal)?;
    Ok(())
}

/// The first pause between two looks at `/proc`, and the longest.
const POLL_FIRST: Duration = Duration::from_millis(2);
const POLL_MAX: Duration = Duration::from_millis(250);

/// Without pidfds: look at `/proc/PID/stat` of every target, sleeping
/// between looks with a pause that doubles up to [`POLL_MAX`]. A target has
/// ended when its PID is gone, belongs to a later process, or is a zombie.
fn wait_polling<W: Write>(
    targets: &mut [Target],
    reader: &mut Reader,
    clk_tck: u64,
    goal: &Goal,
    printer: &mut Printer<'_, W>,
) -> Result<Outcome> {
    let mut progress = Progress {
        running: targets.len(),
        ended: printer.ended,
    };
    let mut pause = POLL_FIRST;
    loop {
        let now = Moment::now();
        for t in targets.iter_mut().filter(|t| t.state == State::Running) {
            let gone = match reader.stat(t.pid) {
                None => true,
                Some(s) if s.start_ticks != t.start_ticks => true,
                Some(s) if s.has_ended() => {
                    t.zombie = reader.zombie_status(t.pid, t.start_ticks);
                    true
                }
                Some(_) => false,
            };
            if gone {
                progress.running -= 1;
                progress.ended += 1;
                finish(t, now, clk_tck, Unknown::Polling, goal, printer)?;
            }
        }
        if progress.met(goal.any) {
            return Ok(Outcome::Met);
        }
        let left = goal
            .deadline
            .map(|d| d.saturating_duration_since(Instant::now()));
        if left.is_some_and(|l| l.is_zero()) {
            return Ok(Outcome::TimedOut);
        }
        std::thread::sleep(left.map_or(pause, |l| l.min(pause)));
        pause = (pause * 2).min(POLL_MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pidfiles_hold_one_pid() {
        assert_eq!(parse_pidfile(b"1234\n"), Ok(1234));
        assert_eq!(parse_pidfile(b"  77 \r\n"), Ok(77));
        assert_eq!(parse_pidfile(b""), Err("is empty".to_string()));
        assert_eq!(parse_pidfile(b"\n\n"), Err("is empty".to_string()));
        for bad in [
            &b"12 13"[..],
            b"abc",
            b"0",
            b"-4",
            b"1.5",
            b"\xff",
            b"99999999999",
        ] {
            assert!(parse_pidfile(bad).is_err(), "{bad:?}");
        }
        assert!(parse_pidfile(&[b'1'; 5000]).is_err_and(|e| e.contains("too long")));
        // Whatever came from the file is escaped before it is shown.
        assert!(parse_pidfile(b"\x1b[2J").is_err_and(|e| !e.contains('\x1b')));
    }

    #[test]
    fn goals() {
        let p = Progress {
            running: 2,
            ended: 1,
        };
        assert!(p.met(true) && !p.met(false));
        let p = Progress {
            running: 0,
            ended: 0,
        };
        assert!(p.met(false) && !p.met(true));
    }

    fn goal(deadline: Duration) -> Goal {
        Goal {
            any: false,
            deadline: Some(Instant::now() + deadline),
            status_wait: Duration::from_millis(500),
            verbose: false,
        }
    }

    fn child_target(reader: &mut Reader, child: &std::process::Child) -> Target {
        target(
            reader
                .read(child.id() as i32, Need::STAT)
                .expect("child is listed"),
        )
    }

    /// The fallback without pidfds, on a real child of the test.
    #[test]
    fn polling_proc_sees_a_process_end() -> Result<()> {
        let mut reader = Reader::new()?;
        let clk_tck = System::read().clk_tck;
        let mut child = std::process::Command::new("sleep").arg("0.2").spawn()?;
        let mut targets = vec![child_target(&mut reader, &child)];
        let mut buf = Vec::new();
        let mut printer = Printer::new(&Out::PLAIN, &mut buf);
        let outcome = wait_polling(
            &mut targets,
            &mut reader,
            clk_tck,
            &goal(Duration::from_secs(20)),
            &mut printer,
        )?;
        child.wait()?;
        assert_eq!(outcome, Outcome::Met);
        assert_eq!(printer.ended, 1);
        let t = String::from_utf8(buf)?;
        assert!(t.starts_with(&format!("{}\tsleep\t", child.id())), "{t}");
        // The child stays a zombie until collected below: its status shows.
        assert!(t.ends_with("\texited 0\n"), "{t}");
        Ok(())
    }

    #[test]
    fn polling_proc_gives_up_at_the_deadline() -> Result<()> {
        let mut reader = Reader::new()?;
        let mut child = std::process::Command::new("sleep").arg("30").spawn()?;
        let mut targets = vec![child_target(&mut reader, &child)];
        let mut buf = Vec::new();
        let mut printer = Printer::new(&Out::PLAIN, &mut buf);
        let start = Instant::now();
        let outcome = wait_polling(
            &mut targets,
            &mut reader,
            100,
            &goal(Duration::from_millis(100)),
            &mut printer,
        );
        child.kill()?;
        child.wait()?;
        assert_eq!(outcome?, Outcome::TimedOut);
        assert!(start.elapsed() >= Duration::from_millis(100));
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(targets[0].state, State::Running);
        Ok(())
    }
}
