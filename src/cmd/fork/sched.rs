//! The job pool's event loop: one wait of the exit watcher ([`ExitWatch`])
//! over the signal watch, the input stream (when more inputs are wanted),
//! and every running job's exit (its pidfd, or a probe where pidfds are
//! refused), stdout, stderr and (with `--pipe`) stdin, with the nearest
//! timeout, kill deadline or start gate (`--delay`, `--load`, `--memfree`)
//! as its timeout. No thread per job, no sleeping. Each job has an id of
//! its own, never reused, in the keys of its descriptors: a job's slot is
//! reused, and an index into the running jobs shifts as jobs finish.
//!
//! A job is its process group. It is finished once its leader has exited
//! and its output pipes are closed. A leader that exits while others in its
//! group still hold the pipes open leaves "leftovers": the group gets TERM,
//! then KILL after the grace, and the job's status stays the leader's.
//! Stopping a job (timeout, `--halt now`, Ctrl-C) sends TERM to the group,
//! then KILL once the grace is over, and a last KILL to the group just
//! before the leader is reaped, while its PGID is still pinned by the
//! zombie, so nothing that ignored TERM and closed its output survives.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet, VecDeque};
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ChildStderr, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use super::spec::{HaltOn, HaltSpec, Threshold, TimeoutSpec};
use crate::exit::Exit;
use crate::signal::Signal;
use crate::sys::child::reap_orphans;
use crate::sys::exitwatch::{Change, ExitWatch, Interest, Probe};
use crate::sys::jobs::{GroupChild, set_pipe_size, splice_to_pipe};
use crate::sys::sigwatch::SignalWatch;

use super::output::{JobPrinter, Sequencer, tag_for, take_lines, take_rest};
use super::pipe::{Blocks, Feeding, Parts, TakeBlock};
use super::records::{Joblog, joblog_line, write_results};
use super::report::{JobReport, JobStatus, SummaryRow, Totals};
use super::source::{Feed, Next, Record};
use super::template::Template;

/// How the pool runs, from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    pub jobs: usize,
    pub timeout: Option<TimeoutSpec>,
    pub grace: Duration,
    pub halt: Option<HaltSpec>,
    /// Attempts per job in all, as GNU parallel counts them (0 and 1: once).
    pub retries: u32,
    pub keep_order: bool,
    pub line_buffer: bool,
    /// `--ungroup`: jobs write straight to ptool's stdout and stderr.
    pub ungroup: bool,
    pub tag: Option<Tagging>,
    pub json: bool,
    pub quiet: bool,
    /// The summary table will be printed (a terminal, no `--json`, no
    /// `-q`): only then is a row kept for every job.
    pub summary: bool,
    /// `--count 1`: the one job's own exit code is ptool's.
    pub single: bool,
    pub delay: Option<Duration>,
    pub load: Option<f64>,
    pub memfree: Option<u64>,
    /// Job numbers not to run (`--resume`, `--resume-failed`).
    pub skip: HashSet<u64>,
    pub results: Option<PathBuf>,
    /// `--header` names of columns (1-based), for `--results` directories.
    pub result_labels: std::collections::HashMap<usize, Vec<u8>>,
}

/// What each output line is prefixed with.
#[derive(Debug, Clone)]
pub enum Tagging {
    /// `--tag`: the job's inputs.
    Inputs,
    /// `--tagstring STR`.
    String(Template),
}

/// Where jobs come from.
#[derive(Debug)]
pub enum Work {
    /// Inputs substituted into the command.
    Inputs(Feed),
    /// `--pipe`: blocks of stdin fed to each job.
    Pipe(Blocks),
    /// `--pipepart`: ranges of a file fed to each job.
    Part(Parts),
}

/// What the run came to.
#[derive(Debug)]
pub struct PoolOutcome {
    pub totals: Totals,
    pub rows: Vec<SummaryRow>,
    pub single: Option<JobReport>,
    /// stdout was closed under us: the run was stopped.
    pub broken_pipe: bool,
}

/// Why ptool signalled a job's group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Timeout,
    Halt,
    Interrupt,
    /// The leader exited; others in its group still hold its output.
    Leftovers,
}

/// A job about to start (or start again).
#[derive(Debug)]
struct Queued {
    seq: u64,
    /// Its place in the output order (`-k`).
    ord: u64,
    values: Record,
    attempt: u32,
    feeding: Option<Feeding>,
}

#[derive(Debug)]
struct Running {
    /// Its key in the exit watcher (see [`Awaited`]); running jobs are in
    /// increasing id order.
    id: u64,
    seq: u64,
    ord: u64,
    values: Record,
    slot: usize,
    attempt: u32,
    argv: Vec<OsString>,
    display: Vec<u8>,
    tag: Option<Vec<u8>>,
    child: GroupChild,
    stdin: Option<ChildStdin>,
    feeding: Option<Feeding>,
    stdout: Option<ChildStdout>,
    stderr: Option<ChildStderr>,
    started: Instant,
    started_wall: SystemTime,
    stop: Option<Stop>,
    kill_at: Option<Instant>,
    killed: bool,
    exited: bool,
    out: Vec<u8>,
    err: Vec<u8>,
    sent: u64,
    received: u64,
}

/// A finished attempt, with the output it left to print.
#[derive(Debug)]
struct Done {
    report: JobReport,
    ord: u64,
    values: Record,
    tag: Option<Vec<u8>>,
    feeding: Option<Feeding>,
    out: Vec<u8>,
    err: Vec<u8>,
}

/// What a key in the exit watcher stands for: the low bits of a key, above
/// them the job's id (0 for the pool's own descriptors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaited {
    Signals,
    Input,
    Feed,
    Out,
    Err,
    Exit,
}

impl Awaited {
    const BITS: u32 = 3;

    fn key(self, id: u64) -> u64 {
        (id << Self::BITS) | self as u64
    }

    /// The job id and what a key stands for.
    fn of(key: u64) -> (u64, Option<Awaited>) {
        let what = match key & ((1 << Self::BITS) - 1) {
            0 => Awaited::Signals,
            1 => Awaited::Input,
            2 => Awaited::Feed,
            3 => Awaited::Out,
            4 => Awaited::Err,
            5 => Awaited::Exit,
            _ => return (0, None),
        };
        (key >> Self::BITS, Some(what))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pipe {
    Out,
    Err,
}

/// Largest read from one pipe per wake-up, so one chatty job cannot starve
/// the others.
const READ_BUDGET: usize = 256 * 1024;
const CHUNK: usize = 64 * 1024;
/// A `--pipe` job's stdin pipe buffer: big enough that a block goes in a
/// few writes.
const FEED_PIPE: usize = 1 << 20;
/// How often a start held back by `--load` or `--memfree` is retried.
const GATE_RECHECK: Duration = Duration::from_millis(500);
/// About a century: the furthest ptool schedules anything.
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
/// `--timeout N%` needs this many finished jobs for a median.
const MEDIAN_MIN: usize = 3;

/// The running median of successful jobs' runtimes (`--timeout N%`): two
/// heaps, the lower half's largest on top of one, the upper half's
/// smallest on top of the other.
#[derive(Debug, Default)]
struct Median {
    low: BinaryHeap<Duration>,
    high: BinaryHeap<Reverse<Duration>>,
}

impl Median {
    fn push(&mut self, d: Duration) {
        if self.low.peek().is_none_or(|&top| d <= top) {
            self.low.push(d);
        } else {
            self.high.push(Reverse(d));
        }
        if self.low.len() > self.high.len() + 1 {
            if let Some(top) = self.low.pop() {
                self.high.push(Reverse(top));
            }
        } else if self.high.len() > self.low.len()
            && let Some(Reverse(top)) = self.high.pop()
        {
            self.low.push(top);
        }
    }

    fn len(&self) -> usize {
        self.low.len() + self.high.len()
    }

    fn get(&self) -> Option<Duration> {
        let low = *self.low.peek()?;
        if self.low.len() > self.high.len() {
            return Some(low);
        }
        let Reverse(high) = *self.high.peek()?;
        Some((low + high) / 2)
    }
}

#[derive(Debug)]
pub struct Pool<'a, 'w, W: Write> {
    settings: &'a Settings,
    template: &'a Template,
    work: Work,
    inputs_done: bool,
    running: Vec<Running>,
    free_slots: BinaryHeap<Reverse<usize>>,
    retries: VecDeque<(Done, u32)>,
    /// A job taken from the inputs but held back by a start gate.
    held: Option<Queued>,
    /// When the held job may be tried again.
    wake_at: Option<Instant>,
    /// `--delay`: no start before this.
    next_start: Option<Instant>,
    last_seq: u64,
    last_ord: u64,
    halting: bool,
    interrupted: Option<Signal>,
    /// INT, TERM, HUP and CHLD.
    signals: SignalWatch,
    /// Exits, pipes, the input and the signal watch.
    watch: ExitWatch,
    /// The id the next job gets.
    next_id: u64,
    /// The input is in the watch.
    input_watched: bool,
    /// When ptool last sent KILL to a group: its orphans are still dying.
    last_kill: Option<Instant>,
    printer: JobPrinter<'w, W>,
    order: Sequencer<Done>,
    joblog: Option<Joblog>,
    totals: Totals,
    rows: Vec<SummaryRow>,
    single: Option<JobReport>,
    median: Median,
    began: Instant,
    scratch: Vec<u8>,
}

impl<'a, 'w, W: Write> Pool<'a, 'w, W> {
    pub fn new(
        settings: &'a Settings,
        template: &'a Template,
        work: Work,
        signals: SignalWatch,
        printer: JobPrinter<'w, W>,
        joblog: Option<Joblog>,
    ) -> io::Result<Self> {
        let mut watch = ExitWatch::new()?;
        watch.add_fd(signals.as_fd(), Awaited::Signals.key(0), Interest::Read)?;
        Ok(Pool {
            settings,
            template,
            work,
            inputs_done: false,
            running: Vec::with_capacity(settings.jobs.min(1024)),
            free_slots: (1..=settings.jobs).map(Reverse).collect(),
            retries: VecDeque::new(),
            held: None,
            wake_at: None,
            next_start: None,
            last_seq: 0,
            last_ord: 0,
            halting: false,
            interrupted: None,
            signals,
            watch,
            next_id: 1,
            input_watched: false,
            last_kill: None,
            printer,
            order: Sequencer::new(1),
            joblog,
            totals: Totals::default(),
            rows: Vec::new(),
            single: None,
            median: Median::default(),
            began: Instant::now(),
            scratch: vec![0; CHUNK],
        })
    }

    /// Run every job; returns when all have finished and been reaped.
    pub fn run(mut self) -> io::Result<PoolOutcome> {
        loop {
            self.start_jobs()?;
            let idle_inputs = self.halting
                || (self.retries.is_empty() && self.held.is_none() && self.inputs_done);
            if self.running.is_empty() && idle_inputs {
                break;
            }
            self.wait_and_handle()?;
        }
        for done in self.order.drain() {
            self.emit(done)?;
        }
        self.reap_last_orphans()?;
        if let Some(bar) = self.printer.bar.take() {
            bar.finish_and_clear();
        }
        self.totals.runtime = self.began.elapsed();
        self.totals.interrupted = self.interrupted;
        let total = match &self.work {
            Work::Inputs(feed) => feed.total(),
            _ => None,
        };
        let held = u64::from(self.held.is_some());
        self.totals.skipped = match total {
            Some(total) => Some(total.saturating_sub(self.last_ord) + held),
            None if self.inputs_done => Some(held),
            None => None,
        };
        Ok(PoolOutcome {
            totals: std::mem::take(&mut self.totals),
            rows: std::mem::take(&mut self.rows),
            single: self.single.take(),
            broken_pipe: self.printer.stdout_closed,
        })
    }

    fn start_jobs(&mut self) -> io::Result<()> {
        while !self.halting && self.running.len() < self.settings.jobs {
            let pending = if let Some(pending) = self.held.take() {
                pending
            } else if let Some((done, attempts)) = self.retries.pop_front() {
                Queued {
                    seq: done.report.seq,
                    ord: done.ord,
                    values: done.values,
                    attempt: attempts + 1,
                    feeding: done.feeding.map(restart),
                }
            } else if self.inputs_done {
                break;
            } else {
                match self.next_work()? {
                    Some(pending) => pending,
                    None => break,
                }
            };
            let now = Instant::now();
            if let Some(wait) = self.gate(now) {
                self.held = Some(pending);
                self.wake_at = Some(wait);
                break;
            }
            self.wake_at = None;
            // A delay past the clock's range waits as long as it can.
            self.next_start = self
                .settings
                .delay
                .map(|d| crate::duration::deadline(now, d).unwrap_or(now + FAR_FUTURE));
            self.start(pending)?;
        }
        Ok(())
    }

    /// The next job from the inputs, `None` when none is ready (more must be
    /// read) or left.
    fn next_work(&mut self) -> io::Result<Option<Queued>> {
        loop {
            let (seq, values, feeding) = match &mut self.work {
                Work::Inputs(feed) => match feed.take() {
                    Next::Job { seq, values } => (seq, values, None),
                    Next::NeedRead => return Ok(None),
                    Next::Done => {
                        self.inputs_done = true;
                        return Ok(None);
                    }
                },
                Work::Pipe(blocks) => match blocks.take() {
                    TakeBlock::Block(data) => {
                        (None, Vec::new(), Some(Feeding::Block { data, written: 0 }))
                    }
                    TakeBlock::NeedRead => return Ok(None),
                    TakeBlock::Done => {
                        self.inputs_done = true;
                        return Ok(None);
                    }
                },
                Work::Part(parts) => match parts.take()? {
                    Some((offset, end)) => (None, Vec::new(), Some(Feeding::Range { offset, end })),
                    None => {
                        self.inputs_done = true;
                        return Ok(None);
                    }
                },
            };
            let seq = seq.unwrap_or_else(|| {
                self.last_seq += 1;
                self.last_seq
            });
            if self.settings.skip.contains(&seq) {
                continue;
            }
            self.last_ord += 1;
            return Ok(Some(Queued {
                seq,
                ord: self.last_ord,
                values,
                attempt: 1,
                feeding,
            }));
        }
    }

    /// When a start must wait (`--delay`, `--load`, `--memfree`): the
    /// moment to try again.
    fn gate(&self, now: Instant) -> Option<Instant> {
        if let Some(at) = self.next_start.filter(|&at| at > now) {
            return Some(at);
        }
        let loaded = self
            .settings
            .load
            .is_some_and(|max| crate::proc::system::load_average() > max);
        let short = self
            .settings
            .memfree
            .is_some_and(|min| crate::proc::system::mem_available() < min);
        // With nothing running, nothing ptool does will lower the load:
        // waiting is still right, as GNU parallel waits.
        (loaded || short).then(|| now + GATE_RECHECK)
    }

    fn start(&mut self, p: Queued) -> io::Result<()> {
        let slot = self
            .free_slots
            .pop()
            .map_or(self.running.len() + 1, |Reverse(s)| s);
        let cmd = self.template.expand(&p.values, p.seq, slot);
        let argv = cmd.argv();
        let display = if self.joblog.is_some() {
            cmd.display()
        } else {
            Vec::new()
        };
        let tag = match &self.settings.tag {
            None => None,
            Some(Tagging::Inputs) => Some(tag_for(&p.values.join(&b' '))),
            Some(Tagging::String(t)) => {
                let words = t.expand(&p.values, p.seq, slot).argv();
                Some(tag_for(words.join(std::ffi::OsStr::new(" ")).as_bytes()))
            }
        };
        let (seq_text, slot_text) = (p.seq.to_string(), slot.to_string());
        let mut command = Command::new(&argv[0]);
        let s = self.settings;
        command
            .args(&argv[1..])
            .env("PTOOL_JOB", &seq_text)
            .env("PTOOL_SLOT", &slot_text)
            .env("PARALLEL_SEQ", &seq_text)
            .env("PARALLEL_JOBSLOT", &slot_text)
            .stdin(if p.feeding.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(if s.ungroup {
                Stdio::inherit()
            } else if s.quiet {
                Stdio::null()
            } else {
                Stdio::piped()
            })
            .stderr(if s.ungroup {
                Stdio::inherit()
            } else {
                Stdio::piped()
            });
        if crate::sys::startup::sigpipe_was_ignored() {
            crate::sys::jobs::keep_sigpipe_ignored(&mut command);
        }
        let started = Instant::now();
        let started_wall = SystemTime::now();
        match GroupChild::spawn(&mut command).and_then(take_pipes) {
            Ok((child, stdin, stdout, stderr)) => {
                if let Some(pipe) = &stdin {
                    set_pipe_size(pipe.as_fd(), FEED_PIPE);
                }
                let id = self.next_id;
                self.next_id += 1;
                self.running.push(Running {
                    id,
                    seq: p.seq,
                    ord: p.ord,
                    values: p.values,
                    slot,
                    attempt: p.attempt,
                    argv,
                    display,
                    tag,
                    child,
                    stdin,
                    feeding: p.feeding,
                    stdout,
                    stderr,
                    started,
                    started_wall,
                    stop: None,
                    kill_at: None,
                    killed: false,
                    exited: false,
                    out: Vec::new(),
                    err: Vec::new(),
                    sent: 0,
                    received: 0,
                });
                // Pushed first: should this fail, dropping the pool still
                // stops the job.
                if let Some(job) = self.running.last() {
                    watch_job(&mut self.watch, job)?;
                }
                self.update_bar();
                Ok(())
            }
            Err(e) => {
                let (exit, why) = match e.kind() {
                    io::ErrorKind::NotFound => (127, "command not found".to_string()),
                    io::ErrorKind::PermissionDenied => (126, "permission denied".to_string()),
                    _ => (126, e.to_string()),
                };
                let program = crate::output::sanitize::escape(argv[0].as_bytes()).into_owned();
                let report = JobReport {
                    seq: p.seq,
                    input: p.values.join(&b' '),
                    slot,
                    pid: None,
                    command: argv,
                    display,
                    start: started_wall,
                    runtime: started.elapsed(),
                    exit: Some(exit),
                    signal: None,
                    status: JobStatus::Error,
                    attempts: p.attempt,
                    error: Some(format!("cannot run '{program}': {why}")),
                    sent: 0,
                    received: 0,
                };
                let done = Done {
                    report,
                    ord: p.ord,
                    values: p.values,
                    tag,
                    feeding: p.feeding,
                    out: Vec::new(),
                    err: Vec::new(),
                };
                self.finish(done, p.attempt)
            }
        }
    }

    fn wants_input(&self) -> bool {
        if self.inputs_done || self.halting {
            return false;
        }
        match &self.work {
            Work::Inputs(feed) => {
                feed.fd().is_some()
                    && self.retries.is_empty()
                    && self.held.is_none()
                    && self.running.len() < self.settings.jobs
            }
            // Read ahead while the blocks held stay within jobs x block.
            Work::Pipe(blocks) => {
                let held: usize = self
                    .running
                    .iter()
                    .filter_map(|j| j.feeding.as_ref())
                    .map(Feeding::held)
                    .sum();
                blocks.wants_read(held, self.settings.jobs.saturating_mul(blocks.block()))
            }
            Work::Part(_) => false,
        }
    }

    /// Put the input in the watch while more is wanted, and only then:
    /// a readable input left there would wake every wait.
    fn watch_input(&mut self) -> io::Result<()> {
        let wanted = self.wants_input();
        if wanted == self.input_watched {
            return Ok(());
        }
        let fd = match &self.work {
            Work::Inputs(feed) => feed.fd(),
            Work::Pipe(blocks) => Some(blocks.fd()),
            Work::Part(_) => None,
        };
        let Some(fd) = fd else {
            return Ok(());
        };
        let key = Awaited::Input.key(0);
        if wanted {
            self.watch.add_fd(fd, key, Interest::Read)?;
        } else {
            self.watch.remove_fd(fd, key)?;
        }
        self.input_watched = wanted;
        Ok(())
    }

    fn read_input(&mut self) {
        let result = match &mut self.work {
            Work::Inputs(feed) => feed.read_more(&mut self.scratch),
            Work::Pipe(blocks) => blocks.read_more(),
            Work::Part(_) => Ok(()),
        };
        if let Err(e) = result {
            self.printer.note(&format!("cannot read inputs: {e}"));
            self.inputs_done = true;
        }
    }

    /// The moment a job must be stopped for running too long.
    fn deadline_of(&self, job: &Running) -> Option<Instant> {
        match self.settings.timeout? {
            TimeoutSpec::Fixed(d) => crate::duration::deadline(job.started, d),
            TimeoutSpec::PercentOfMedian(pct) => {
                if self.median.len() < MEDIAN_MIN {
                    return None;
                }
                let secs = self.median.get()?.as_secs_f64() * pct / 100.0;
                // A limit past what a Duration holds is no limit.
                crate::duration::deadline(job.started, Duration::try_from_secs_f64(secs).ok()?)
            }
        }
    }

    fn next_deadline(&self, job: &Running) -> Option<Instant> {
        match (job.stop, job.kill_at) {
            (_, Some(kill)) => Some(kill),
            (None, None) => self.deadline_of(job),
            _ => None,
        }
    }

    fn wait_and_handle(&mut self) -> io::Result<()> {
        let now = Instant::now();
        let timeout = self
            .running
            .iter()
            .filter_map(|j| self.next_deadline(j))
            .chain(self.wake_at)
            .min()
            .map(|d| d.saturating_duration_since(now));
        self.watch_input()?;
        for change in self.wait(timeout)? {
            let (id, what) = Awaited::of(change.key);
            if id == 0 {
                match what {
                    Some(Awaited::Signals) => self.on_signals()?,
                    Some(Awaited::Input) => self.read_input(),
                    _ => {}
                }
                continue;
            }
            // A job finished in this round is no longer found.
            let Ok(i) = self.running.binary_search_by_key(&id, |j| j.id) else {
                continue;
            };
            match what {
                Some(Awaited::Feed) => self.feed(i),
                Some(Awaited::Out) => self.read_pipe(i, Pipe::Out, READ_BUDGET)?,
                Some(Awaited::Err) => self.read_pipe(i, Pipe::Err, READ_BUDGET)?,
                Some(Awaited::Exit) => self.running[i].exited = true,
                _ => {}
            }
        }
        self.check_timers(Instant::now());
        self.reap_finished()
    }

    /// One wait of the watch, up to `timeout`. Jobs without a pidfd are
    /// asked whether they have exited (SIGCHLD wakes the wait for them).
    fn wait(&mut self, timeout: Option<Duration>) -> io::Result<Vec<Change>> {
        let running = &self.running;
        let mut failed = None;
        let changes = self.watch.wait(timeout, |key| {
            let id = key >> Awaited::BITS;
            let Ok(i) = running.binary_search_by_key(&id, |j| j.id) else {
                return Probe::Reaped;
            };
            match running[i].child.has_exited() {
                Ok(true) => Probe::Exited,
                Ok(false) => Probe::Running,
                Err(e) => {
                    failed.get_or_insert(e);
                    Probe::Running
                }
            }
        })?;
        match failed {
            Some(e) => Err(e),
            None => Ok(changes),
        }
    }

    /// Write what a `--pipe`/`--pipepart` job's stdin has room for; close
    /// it when everything is in (or the job stopped reading).
    fn feed(&mut self, i: usize) {
        let job = &mut self.running[i];
        let finished = match &self.work {
            Work::Part(parts) => feed_range(parts, job),
            _ => feed_block(job),
        };
        if finished {
            close_stdin(&mut self.watch, job);
            // A block fully written is not needed again unless for a retry.
            if !matches!(self.work, Work::Part(_)) && self.settings.retries <= 1 {
                job.feeding = None;
            }
        }
    }

    fn on_signals(&mut self) -> io::Result<()> {
        let signals = self.signals.take()?;
        for sig in signals.into_iter().filter_map(Signal::from_number) {
            if sig == Signal::CHLD {
                // Jobs without a pidfd are asked by the next wait.
                self.reap_orphans()?;
            } else if self.interrupted.is_none() {
                self.interrupted = Some(sig);
                self.halt_all(Stop::Interrupt);
            } else {
                // A second Ctrl-C: no more grace.
                let now = Instant::now();
                for job in &mut self.running {
                    if !job.killed {
                        job.kill_at = Some(now);
                    }
                }
            }
        }
        Ok(())
    }

    /// Start nothing more and stop every running job.
    fn halt_all(&mut self, why: Stop) {
        self.halting = true;
        self.abandon_retries();
        let now = Instant::now();
        let grace = self.settings.grace;
        for job in &mut self.running {
            if job.stop.is_none() {
                stop(job, why, now, grace);
            }
        }
    }

    /// Jobs waiting to be retried will not be: their last attempt stands.
    fn abandon_retries(&mut self) {
        let pending: Vec<(Done, u32)> = self.retries.drain(..).collect();
        for (done, _) in pending {
            // Recording cannot retry now that `halting` is set.
            let _ = self.record(done);
        }
    }

    fn check_timers(&mut self, now: Instant) {
        let grace = self.settings.grace;
        let due: Vec<usize> = (0..self.running.len())
            .filter(|&i| {
                let job = &self.running[i];
                job.stop.is_none() && self.deadline_of(job).is_some_and(|d| d <= now)
            })
            .collect();
        for i in due {
            stop(&mut self.running[i], Stop::Timeout, now, grace);
        }
        for job in &mut self.running {
            if job.kill_at.is_some_and(|k| k <= now) {
                let _ = job.child.signal_group(Signal::KILL.number());
                job.killed = true;
                job.kill_at = None;
                self.last_kill = Some(now);
            }
        }
    }

    /// Read what a pipe has (up to `budget` bytes); close it at end of file.
    fn read_pipe(&mut self, i: usize, which: Pipe, budget: usize) -> io::Result<()> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let job = &mut self.running[i];
        let mut total = 0;
        while total < budget {
            let result = match which {
                Pipe::Out => job.stdout.as_mut().map(|p| p.read(&mut scratch)),
                Pipe::Err => job.stderr.as_mut().map(|p| p.read(&mut scratch)),
            };
            match result {
                None => break,
                Some(Ok(0)) => {
                    close(&mut self.watch, job, which);
                    break;
                }
                Some(Ok(n)) => {
                    total += n;
                    match which {
                        Pipe::Out => {
                            job.out.extend_from_slice(&scratch[..n]);
                            job.received += n as u64;
                        }
                        Pipe::Err => job.err.extend_from_slice(&scratch[..n]),
                    }
                }
                Some(Err(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
                Some(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                // A pipe that fails to read is as good as closed.
                Some(Err(_)) => {
                    close(&mut self.watch, job, which);
                    break;
                }
            }
        }
        self.scratch = scratch;
        if total > 0 && self.settings.line_buffer && self.settings.results.is_none() {
            self.stream(i)?;
        }
        Ok(())
    }

    /// `--line-buffer`: print a running job's complete lines now, if it may
    /// print (with `--keep-order`, only the job whose turn it is).
    fn stream(&mut self, i: usize) -> io::Result<()> {
        let job = &mut self.running[i];
        if self.settings.keep_order && job.ord != self.order.next() {
            return Ok(());
        }
        let (mut out, mut err) = (Vec::new(), Vec::new());
        take_lines(&mut job.out, job.tag.as_deref(), &mut out);
        take_lines(&mut job.err, job.tag.as_deref(), &mut err);
        self.write(&out, &err)
    }

    /// Finish every job whose leader has exited and whose output is closed.
    fn reap_finished(&mut self) -> io::Result<()> {
        let mut i = 0;
        while i < self.running.len() {
            if !self.running[i].exited {
                i += 1;
                continue;
            }
            // The leader is gone: take what it left in the pipes, and stop
            // feeding it.
            self.read_pipe(i, Pipe::Out, usize::MAX)?;
            self.read_pipe(i, Pipe::Err, usize::MAX)?;
            let job = &mut self.running[i];
            close_stdin(&mut self.watch, job);
            let open = job.stdout.is_some() || job.stderr.is_some();
            if open && !job.killed {
                if job.stop.is_none() {
                    stop(job, Stop::Leftovers, Instant::now(), self.settings.grace);
                }
                i += 1;
                continue;
            }
            let job = self.running.remove(i);
            self.complete(job)?;
        }
        Ok(())
    }

    fn complete(&mut self, mut job: Running) -> io::Result<()> {
        if matches!(job.stop, Some(Stop::Timeout | Stop::Halt | Stop::Interrupt)) && !job.killed {
            let _ = job.child.signal_group(Signal::KILL.number());
            self.last_kill = Some(Instant::now());
        }
        close(&mut self.watch, &mut job, Pipe::Out);
        close(&mut self.watch, &mut job, Pipe::Err);
        close_stdin(&mut self.watch, &mut job);
        let pid = job.child.pid();
        let (exit, signal) = match job.child.reap() {
            Ok(status) => (status.code(), status.signal()),
            Err(_) => (None, None),
        };
        // Orphans that died while this leader's zombie was first in line.
        self.reap_orphans()?;
        let runtime = job.started.elapsed();
        let status = match job.stop {
            Some(Stop::Timeout) => JobStatus::Timeout,
            Some(Stop::Halt | Stop::Interrupt) => JobStatus::Killed,
            Some(Stop::Leftovers) | None if exit == Some(0) => JobStatus::Ok,
            Some(Stop::Leftovers) | None => JobStatus::Failed,
        };
        if status.is_ok() && matches!(self.settings.timeout, Some(TimeoutSpec::PercentOfMedian(_)))
        {
            self.median.push(runtime);
        }
        job.out.shrink_to_fit();
        job.err.shrink_to_fit();
        let report = JobReport {
            seq: job.seq,
            input: job.values.join(&b' '),
            slot: job.slot,
            pid: Some(pid),
            command: job.argv,
            display: job.display,
            start: job.started_wall,
            runtime,
            exit,
            signal,
            status,
            attempts: job.attempt,
            error: None,
            sent: job.sent,
            received: job.received,
        };
        let done = Done {
            report,
            ord: job.ord,
            values: job.values,
            tag: job.tag,
            feeding: job.feeding,
            out: job.out,
            err: job.err,
        };
        self.finish(done, job.attempt)
    }

    /// A job's attempt ended: retry it, or record it for good.
    fn finish(&mut self, done: Done, attempt: u32) -> io::Result<()> {
        self.free_slots.push(Reverse(done.report.slot));
        let status = done.report.status;
        let retry = !status.is_ok()
            && status != JobStatus::Killed
            // GNU parallel's count: N attempts in all, so 0 and 1 mean once.
            && attempt < self.settings.retries
            && !self.halting;
        if retry {
            self.retries.push_back((done, attempt));
            self.update_bar();
            return Ok(());
        }
        let (ok, exit, signal) = (status.is_ok(), done.report.exit, done.report.signal);
        self.record(done)?;
        if !self.halting {
            self.check_halt(ok, exit, signal);
        }
        Ok(())
    }

    /// `--halt`: stop the run once its condition is met.
    fn check_halt(&mut self, ok: bool, exit: Option<i32>, signal: Option<i32>) {
        let Some(spec) = self.settings.halt else {
            return;
        };
        let (count, applies) = match spec.on {
            HaltOn::Fail => (self.totals.not_ok(), !ok),
            HaltOn::Success => (self.totals.ok, ok),
            HaltOn::Done => (self.totals.jobs(), true),
        };
        let reached = applies
            && match spec.threshold {
                Threshold::Count(0) => false,
                Threshold::Count(n) => count >= n,
                Threshold::Percent(pct) => {
                    let base = match &self.work {
                        Work::Inputs(feed) => feed.total().unwrap_or(self.last_ord),
                        _ => self.last_ord,
                    };
                    self.totals.jobs() >= MEDIAN_MIN as u64
                        && count as f64 * 100.0 >= pct * base as f64
                }
            };
        if !reached {
            return;
        }
        self.totals.halted = match spec.on {
            HaltOn::Fail => Some(match (exit, signal) {
                (_, Some(sig)) => Exit::Signaled(sig),
                (Some(code), None) if code != 0 => Exit::from_child(Some(code), None),
                _ => Exit::Code(1),
            }),
            HaltOn::Success => Some(Exit::Success),
            HaltOn::Done => None,
        };
        if spec.now {
            self.halt_all(Stop::Halt);
        } else {
            self.halting = true;
            self.abandon_retries();
        }
    }

    /// Count, log and print a job's final attempt.
    fn record(&mut self, mut done: Done) -> io::Result<()> {
        let report = &done.report;
        if let Some(error) = &report.error {
            self.printer.note(&format!("job {}: {error}", report.seq));
        }
        self.totals.count(report.status);
        if self.settings.summary {
            self.rows.push(SummaryRow::from(report));
        }
        if self.settings.single {
            self.single = Some(report.clone());
        }
        if let Some(root) = &self.settings.results {
            if let Err(e) = write_results(
                root,
                &done.values,
                &self.settings.result_labels,
                report.seq,
                &done.out,
                &done.err,
            ) {
                self.printer.note(&format!(
                    "job {}: cannot write its results: {e}",
                    report.seq
                ));
            }
            if !self.settings.json {
                done.out.clear();
                done.err.clear();
            }
        }
        done.feeding = None;
        if let Some(bar) = &self.printer.bar {
            bar.inc(1);
        }
        self.update_bar();
        if self.settings.keep_order {
            for ready in self.order.push(done.ord, done) {
                self.emit(ready)?;
            }
            if self.settings.line_buffer {
                // The next job in order may print what it has so far.
                let next = self.order.next();
                if let Some(i) = self.running.iter().position(|j| j.ord == next) {
                    self.stream(i)?;
                }
            }
            Ok(())
        } else {
            self.emit(done)
        }
    }

    /// Log a finished job and print its output (or its JSON record). With
    /// `-k` this happens in input order, so the joblog is in order too, as
    /// GNU parallel writes it.
    fn emit(&mut self, mut done: Done) -> io::Result<()> {
        if let Some(log) = &mut self.joblog {
            let line = joblog_line(&done.report);
            if let Err(e) = log.file.write_all(&line) {
                let message = format!("cannot write the joblog {}: {e}", log.path);
                self.joblog = None;
                self.printer.note(&message);
            }
        }
        if self.settings.json {
            if self.settings.quiet {
                return Ok(());
            }
            let mut line = crate::output::json::to_vec(&super::report::job_json(
                &done.report,
                &done.out,
                &done.err,
            ))?;
            line.push(b'\n');
            return self.write(&line, b"");
        }
        let (mut out, mut err) = (Vec::new(), Vec::new());
        take_rest(&mut done.out, done.tag.as_deref(), &mut out);
        take_rest(&mut done.err, done.tag.as_deref(), &mut err);
        self.write(&out, &err)
    }

    /// Write output; a closed stdout stops the run (and is not an error).
    /// The printer reports the closed pipe once, then drops stdout output.
    fn write(&mut self, out: &[u8], err: &[u8]) -> io::Result<()> {
        match self.printer.write(out, err) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.halt_all(Stop::Interrupt);
                Ok(())
            }
            other => other,
        }
    }

    /// Reap the orphans ptool adopted as a subreaper that have exited.
    fn reap_orphans(&mut self) -> io::Result<bool> {
        let running = &self.running;
        let found = reap_orphans(|pid| running.iter().any(|j| j.child.pid() == pid))?;
        Ok(found.remaining)
    }

    /// At the end: reap every adopted orphan. Those in groups that just got
    /// KILL are given a moment to die; anything still alive after that left
    /// its job's group on purpose (a daemon) and is left alone.
    fn reap_last_orphans(&mut self) -> io::Result<()> {
        const DYING: Duration = Duration::from_millis(500);
        let deadline = self.last_kill.map(|t| t + DYING);
        // Only the signal watch is left to wake the wait.
        self.watch_input()?;
        while self.reap_orphans()? {
            let Some(left) = deadline
                .map(|d| d.saturating_duration_since(Instant::now()))
                .filter(|d| !d.is_zero())
            else {
                break;
            };
            self.wait(Some(left))?;
            // Only CHLD can matter now; a late INT or TERM changes nothing.
            self.signals.take()?;
        }
        Ok(())
    }

    fn update_bar(&self) {
        if let Some(bar) = &self.printer.bar {
            let not_ok = self.totals.not_ok();
            let mut message = format!("{} running", self.running.len());
            if not_ok > 0 {
                message.push_str(&format!(", {not_ok} not ok"));
            }
            bar.set_message(message);
        }
    }
}

impl<W: Write> Drop for Pool<'_, '_, W> {
    /// On an early return (an error), leave no job behind: kill every
    /// group and reap every leader.
    fn drop(&mut self) {
        for job in self.running.drain(..) {
            let _ = job.child.signal_group(Signal::KILL.number());
            let _ = job.child.reap();
        }
    }
}

type Pipes = (
    GroupChild,
    Option<ChildStdin>,
    Option<ChildStdout>,
    Option<ChildStderr>,
);

/// Take a started child's pipes (non-blocking); on failure, leave no child.
fn take_pipes(mut child: GroupChild) -> io::Result<Pipes> {
    let pipes = child.take_stdin().and_then(|i| {
        let o = child.take_stdout()?;
        Ok((i, o, child.take_stderr()?))
    });
    match pipes {
        Ok((i, o, e)) => Ok((child, i, o, e)),
        Err(e) => {
            let _ = child.signal_group(Signal::KILL.number());
            let _ = child.reap();
            Err(e)
        }
    }
}

/// Watch a job just started: its exit, and the pipes ptool holds.
fn watch_job(watch: &mut ExitWatch, job: &Running) -> io::Result<()> {
    let exit = Awaited::Exit.key(job.id);
    match job.child.pidfd() {
        Some(fd) => watch.add(fd, exit)?,
        None => watch.add_polled(exit),
    }
    if let Some(pipe) = &job.stdin {
        watch.add_fd(pipe.as_fd(), Awaited::Feed.key(job.id), Interest::Write)?;
    }
    if let Some(pipe) = &job.stdout {
        watch.add_fd(pipe.as_fd(), Awaited::Out.key(job.id), Interest::Read)?;
    }
    if let Some(pipe) = &job.stderr {
        watch.add_fd(pipe.as_fd(), Awaited::Err.key(job.id), Interest::Read)?;
    }
    Ok(())
}

/// A `--pipe` job's block: write what its stdin pipe has room for. True
/// when its stdin is done with (all written, or the job stopped reading).
fn feed_block(job: &mut Running) -> bool {
    let (Some(pipe), Some(Feeding::Block { data, written })) = (&mut job.stdin, &mut job.feeding)
    else {
        return true;
    };
    while *written < data.len() {
        match pipe.write(&data[*written..]) {
            Ok(0) => break,
            Ok(n) => {
                *written += n;
                job.sent += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // The job closed its stdin (`head -1`): it gets no more.
            Err(_) => break,
        }
    }
    true
}

/// A `--pipepart` job's range of the file: splice what its stdin pipe has
/// room for. True when its stdin is done with.
fn feed_range(parts: &Parts, job: &mut Running) -> bool {
    let (Some(pipe), Some(Feeding::Range { offset, end })) = (&job.stdin, &mut job.feeding) else {
        return true;
    };
    while *offset < *end {
        let len = usize::try_from(*end - *offset)
            .unwrap_or(usize::MAX)
            .min(FEED_PIPE);
        let before = *offset;
        match splice_to_pipe(parts.file(), offset, pipe.as_fd(), len) {
            Ok(0) => return true,
            Ok(_) => job.sent += *offset - before,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
    true
}

/// The same stdin again, for a retry.
fn restart(feeding: Feeding) -> Feeding {
    match feeding {
        Feeding::Block { data, .. } => Feeding::Block { data, written: 0 },
        Feeding::Range { offset, end } => Feeding::Range { offset, end },
    }
}

/// TERM to the job's group now, KILL after `grace`.
fn stop(job: &mut Running, why: Stop, now: Instant, grace: Duration) {
    job.stop = Some(why);
    if grace.is_zero() {
        job.kill_at = Some(now);
    } else {
        let _ = job.child.signal_group(Signal::TERM.number());
        // A grace past the clock's range means KILL never comes.
        job.kill_at = crate::duration::deadline(now, grace);
    }
}

/// Close a job's output pipe, out of the watch first.
fn close(watch: &mut ExitWatch, job: &mut Running, which: Pipe) {
    let (pipe, what) = match which {
        Pipe::Out => (job.stdout.take().map(OwnedFd::from), Awaited::Out),
        Pipe::Err => (job.stderr.take().map(OwnedFd::from), Awaited::Err),
    };
    if let Some(pipe) = pipe {
        unwatch(watch, &pipe, what.key(job.id));
    }
}

/// Close a job's stdin pipe (it gets no more input), out of the watch
/// first.
fn close_stdin(watch: &mut ExitWatch, job: &mut Running) {
    if let Some(pipe) = job.stdin.take() {
        unwatch(watch, &pipe, Awaited::Feed.key(job.id));
    }
}

fn unwatch(watch: &mut ExitWatch, fd: &impl AsFd, key: u64) {
    // Closing the pipe next takes it out of the epoll set anyway: this
    // only fails where there is nothing left to undo.
    let _ = watch.remove_fd(fd.as_fd(), key);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_follows_its_inputs() {
        let mut m = Median::default();
        assert_eq!(m.get(), None);
        for ms in [5, 1, 9, 3] {
            m.push(Duration::from_millis(ms));
        }
        assert_eq!(m.len(), 4);
        assert_eq!(m.get(), Some(Duration::from_millis(4)));
        m.push(Duration::from_millis(100));
        assert_eq!(m.get(), Some(Duration::from_millis(5)));
    }
}
