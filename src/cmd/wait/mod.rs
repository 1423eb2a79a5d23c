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
//! Where pidfds are missing, `/proc` is polled with backoff instead. Both
//! are the exit watcher's ([`ExitWatch`]); this module decides what an exit
//! means for the report.

mod render;
mod watch;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use crate::cli::WaitArgs;
use crate::ended::EndStatus;
use crate::exit::{Exit, usage};
use crate::output::Out;
use crate::output::sanitize::escape;
use crate::proc::{Process, Reader, System, ZombieStatus};
use crate::select::Protected;
use crate::sys::pidfd::{self, PidFd};
use crate::sys::time::LocalTime;
use render::Printer;
use watch::Waiter;

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
    /// Now. The wall-clock time is cut to the millisecond, the precision
    /// reported: rounded to the nearest instead, an end time could be
    /// reported up to half a millisecond later than it happened, later
    /// than a clock read just after ptool said so.
    fn now() -> Moment {
        Moment {
            unix: (crate::sys::time::unix_seconds() * 1000.0).floor() / 1000.0,
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
    /// The same moment in local time, for the table (converted while
    /// waiting, so that rendering never reads the system); `None` when it
    /// is not shown or could not be converted.
    pub ended_local: Option<LocalTime>,
    /// How long it ran, from its start time to its end, in seconds.
    pub ran: Option<f64>,
    pub status: EndStatus,
}

impl Ended {
    /// `t` seen ended `at`; a target that was already a zombie at start has
    /// no end time and no run time.
    fn of(t: &Watched, name: Vec<u8>, at: Moment, clk_tck: u64, status: EndStatus) -> Ended {
        Ended {
            pid: t.pid,
            name,
            ended: (!t.zombie_at_start).then_some(at.unix),
            ended_local: None,
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

/// A process being waited for (a target of `wait`).
#[derive(Debug)]
struct Watched {
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
    /// End times are shown in local time (the table, not JSON or `-q`).
    local_times: bool,
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
        local_times: out.human(),
    };
    let mut reader = Reader::new().context("cannot open /proc")?;
    let (selected, not_running, clk_tck) = select(&args, &mut reader)?;

    // The table shows end times in local time: load the zone before waiting,
    // not when a process has just ended.
    if goal.local_times {
        crate::sys::time::load_local_zone();
    }
    let mut waiter = Waiter {
        reader,
        clk_tck,
        goal,
        printer: Printer::new(out, w),
        targets: Vec::new(),
        exit_info: false,
        polling: false,
    };
    for &pid in &not_running {
        waiter.printer.not_running(pid)?;
    }
    if selected.is_empty() {
        if goal.verbose {
            log("nothing to wait for is running");
        }
        waiter.printer.summary(&Summary {
            ended: 0,
            not_running,
            still_running: Vec::new(),
            timed_out: false,
            waited: started.elapsed().as_secs_f64(),
        })?;
        return Ok(Exit::NoMatch);
    }
    let outcome = waiter.wait_for(selected, !pidfd::supported())?;
    let timed_out = outcome == Verdict::TimedOut;
    waiter.summary(not_running, timed_out, started)?;
    Ok(if timed_out {
        Exit::Timeout
    } else {
        Exit::Success
    })
}

/// The processes to wait for, in the order named, the PIDs named that are
/// not running, and the clock-tick rate.
fn select(args: &WaitArgs, reader: &mut Reader) -> Result<(Vec<Process>, Vec<i32>, u64)> {
    let mut selector = args.select.selector()?;
    // Named PIDs in the order given, each once (the selector's already are).
    let mut explicit = selector.pids.clone();
    for file in &args.pidfile {
        for pid in read_pidfile(file)? {
            if !explicit.contains(&pid) {
                explicit.push(pid);
            }
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

    let protected = Protected::current(reader);
    let sys = System::read();
    let need = selector.need();
    if explicit.is_empty() {
        let selected = selector
            .scan(reader, need, &sys, &protected)
            .context("cannot list /proc")?;
        return Ok((selected, Vec::new(), sys.clk_tck));
    }
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
    Ok((selected, missing, sys.clk_tck))
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

/// The PIDs in a pidfile (the format is [`crate::pidfile`]'s); a file that
/// cannot be read or is not a pidfile is a usage error.
fn read_pidfile(path: &Path) -> Result<Vec<i32>> {
    let shown = escape(path.as_os_str().as_encoded_bytes()).into_owned();
    let content = crate::pidfile::read(path).map_err(|e| {
        usage(format!(
            "cannot read pidfile {shown}: {}",
            crate::sys::error_text(&e)
        ))
    })?;
    crate::pidfile::parse(&content).map_err(|why| usage(format!("pidfile {shown} {why}")))
}

fn target(p: Process) -> Watched {
    Watched {
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

/// How a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Met,
    TimedOut,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proc::Need;

    #[test]
    fn pidfiles_may_hold_several_pids() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("ptool-wait-pidfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("app.pid");
        std::fs::write(&path, "1234\n  77 \r\n1234\n")?;
        assert_eq!(read_pidfile(&path)?, [1234, 77]);
        std::fs::write(&path, "\n\n")?;
        let err = read_pidfile(&path).expect_err("empty");
        assert!(err.to_string().contains("is empty"), "{err}");
        assert_eq!(crate::exit::for_error(&err), Exit::Usage);
        std::fs::remove_dir_all(&dir)?;
        Ok(())
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

    #[test]
    fn moments_are_never_later_than_the_clock() {
        for _ in 0..1000 {
            let at = Moment::now();
            assert!(at.unix <= crate::sys::time::unix_seconds());
            // The millisecond shown is the one recorded.
            assert_eq!((at.unix * 1000.0).round() / 1000.0, at.unix);
        }
    }

    fn goal(deadline: Duration) -> Goal {
        Goal {
            any: false,
            deadline: Some(Instant::now() + deadline),
            status_wait: Duration::from_millis(500),
            verbose: false,
            local_times: false,
        }
    }

    fn waiter<'a>(
        reader: Reader,
        clk_tck: u64,
        goal: Goal,
        printer: Printer<'a, Vec<u8>>,
    ) -> Waiter<'a, Vec<u8>> {
        Waiter {
            reader,
            clk_tck,
            goal,
            printer,
            targets: Vec::new(),
            exit_info: false,
            polling: false,
        }
    }

    fn child_process(reader: &mut Reader, child: &std::process::Child) -> Process {
        reader
            .read(child.id() as i32, Need::STAT)
            .expect("child is listed")
    }

    /// The fallback without pidfds, on a real child of the test.
    #[test]
    fn polling_proc_sees_a_process_end() -> Result<()> {
        let mut reader = Reader::new()?;
        let clk_tck = System::read().clk_tck;
        let mut child = std::process::Command::new("sleep").arg("0.2").spawn()?;
        let selected = vec![child_process(&mut reader, &child)];
        let mut buf = Vec::new();
        let printer = Printer::new(&Out::PLAIN, &mut buf);
        let mut w = waiter(reader, clk_tck, goal(Duration::from_secs(20)), printer);
        let outcome = w.wait_for(selected, true)?;
        child.wait()?;
        assert_eq!(outcome, Verdict::Met);
        assert_eq!(w.printer.ended, 1);
        drop(w);
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
        let selected = vec![child_process(&mut reader, &child)];
        let mut buf = Vec::new();
        let printer = Printer::new(&Out::PLAIN, &mut buf);
        let mut w = waiter(reader, 100, goal(Duration::from_millis(100)), printer);
        let start = Instant::now();
        let outcome = w.wait_for(selected, true);
        child.kill()?;
        child.wait()?;
        assert_eq!(outcome?, Verdict::TimedOut);
        assert!(start.elapsed() >= Duration::from_millis(100));
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(w.targets[0].state, State::Running);
        Ok(())
    }
}
