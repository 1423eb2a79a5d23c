//! The job pool's event loop: one `poll(2)` over the signal fd, stdin (when
//! more inputs are wanted), and every running job's stdout, stderr and
//! pidfd, with the nearest timeout or kill deadline as its timeout. No
//! thread per job, no sleeping.
//!
//! A job is its process group. It is finished once its leader has exited
//! and its output pipes are closed. A leader that exits while others in its
//! group still hold the pipes open leaves "leftovers": the group gets TERM,
//! then KILL after the grace, and the job's status stays the leader's.
//! Stopping a job (timeout, `--halt-on-error=now`, Ctrl-C) sends TERM to
//! the group, then KILL once the grace is over, and a last KILL to the group
//! just before the leader is reaped, while its PGID is still pinned by the
//! zombie, so nothing that ignored TERM and closed its output survives.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{ChildStderr, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::cli::Halt;
use crate::signal::Signal;
use crate::sys::child::reap_orphans;
use crate::sys::jobs::GroupChild;
use crate::sys::poll::poll_readable;
use crate::sys::sigwatch::SignalWatch;

use super::input::{Inputs, Next, Template};
use super::output::{Printer, Sequencer, tag_for, take_lines, take_rest};
use super::report::{self, JobReport, Row, Status, Totals};

/// How the pool runs, from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    pub jobs: usize,
    pub timeout: Option<Duration>,
    pub grace: Duration,
    pub halt: Option<Halt>,
    pub retries: u32,
    pub keep_order: bool,
    pub line_buffer: bool,
    pub tag: bool,
    pub json: bool,
    pub quiet: bool,
    /// The summary table will be printed (a terminal, no `--json`, no
    /// `-q`): only then is a row kept for every job.
    pub summary: bool,
    /// `-n 1`: the one job's own exit code is ptool's.
    pub single: bool,
}

/// What the run came to.
#[derive(Debug)]
pub struct Outcome {
    pub totals: Totals,
    pub rows: Vec<Row>,
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

#[derive(Debug)]
struct Running {
    seq: u64,
    input: Vec<u8>,
    slot: usize,
    attempt: u32,
    argv: Vec<OsString>,
    child: GroupChild,
    stdout: Option<ChildStdout>,
    stderr: Option<ChildStderr>,
    started: Instant,
    started_wall: SystemTime,
    deadline: Option<Instant>,
    stop: Option<Stop>,
    kill_at: Option<Instant>,
    killed: bool,
    exited: bool,
    out: Vec<u8>,
    err: Vec<u8>,
}

impl Running {
    /// The next moment something must happen to this job without an event.
    fn next_deadline(&self) -> Option<Instant> {
        match (self.stop, self.deadline, self.kill_at) {
            (_, _, Some(kill)) => Some(kill),
            (None, Some(deadline), None) => Some(deadline),
            _ => None,
        }
    }
}

/// A finished attempt, with the output it left to print.
#[derive(Debug)]
struct Done {
    report: JobReport,
    out: Vec<u8>,
    err: Vec<u8>,
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Signals,
    Stdin,
    Out(usize),
    Err(usize),
    Exit(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pipe {
    Out,
    Err,
}

/// The tab-separated job log.
#[derive(Debug)]
pub struct Joblog {
    file: File,
    path: String,
}

impl Joblog {
    pub fn create(path: &std::path::Path) -> io::Result<Joblog> {
        let mut file = File::create(path)?;
        file.write_all(report::JOBLOG_HEADER.as_bytes())?;
        Ok(Joblog {
            file,
            path: crate::output::sanitize::escape(path.as_os_str().as_bytes()).into_owned(),
        })
    }
}

/// Largest read from one pipe per wake-up, so one chatty job cannot starve
/// the others.
const READ_BUDGET: usize = 256 * 1024;
const CHUNK: usize = 64 * 1024;

#[derive(Debug)]
pub struct Pool<'a, 'w, W: Write> {
    settings: &'a Settings,
    template: &'a Template,
    inputs: Inputs,
    inputs_done: bool,
    running: Vec<Running>,
    free_slots: BinaryHeap<Reverse<usize>>,
    retries: VecDeque<(Done, u32)>,
    last_seq: u64,
    halting: bool,
    interrupted: Option<Signal>,
    /// INT, TERM, HUP and CHLD.
    signals: SignalWatch,
    /// When ptool last sent KILL to a group: its orphans are still dying.
    last_kill: Option<Instant>,
    printer: Printer<'w, W>,
    order: Sequencer<Done>,
    joblog: Option<Joblog>,
    totals: Totals,
    rows: Vec<Row>,
    single: Option<JobReport>,
    began: Instant,
    scratch: Vec<u8>,
}

impl<'a, 'w, W: Write> Pool<'a, 'w, W> {
    pub fn new(
        settings: &'a Settings,
        template: &'a Template,
        inputs: Inputs,
        signals: SignalWatch,
        printer: Printer<'w, W>,
        joblog: Option<Joblog>,
    ) -> Self {
        Pool {
            settings,
            template,
            inputs,
            inputs_done: false,
            running: Vec::with_capacity(settings.jobs.min(1024)),
            free_slots: (1..=settings.jobs).map(Reverse).collect(),
            retries: VecDeque::new(),
            last_seq: 0,
            halting: false,
            interrupted: None,
            signals,
            last_kill: None,
            printer,
            order: Sequencer::new(1),
            joblog,
            totals: Totals::default(),
            rows: Vec::new(),
            single: None,
            began: Instant::now(),
            scratch: vec![0; CHUNK],
        }
    }

    /// Run every job; returns when all have finished and been reaped.
    pub fn run(mut self) -> io::Result<Outcome> {
        loop {
            self.start_jobs()?;
            let idle_inputs = self.halting || (self.retries.is_empty() && self.inputs_done);
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
        self.totals.skipped = match self.inputs.total() {
            Some(total) => Some(total.saturating_sub(self.last_seq)),
            None if self.inputs_done => Some(0),
            None => None,
        };
        Ok(Outcome {
            totals: std::mem::take(&mut self.totals),
            rows: std::mem::take(&mut self.rows),
            single: self.single.take(),
            broken_pipe: self.printer.stdout_closed,
        })
    }

    fn start_jobs(&mut self) -> io::Result<()> {
        while !self.halting && self.running.len() < self.settings.jobs {
            let (seq, input, attempt) = if let Some((done, attempts)) = self.retries.pop_front() {
                (done.report.seq, done.report.input, attempts + 1)
            } else if self.inputs_done {
                break;
            } else {
                match self.inputs.take() {
                    Next::Input(input) => {
                        self.last_seq += 1;
                        (self.last_seq, input, 1)
                    }
                    Next::NeedRead => break,
                    Next::Done => {
                        self.inputs_done = true;
                        break;
                    }
                }
            };
            self.start(seq, input, attempt)?;
        }
        Ok(())
    }

    fn start(&mut self, seq: u64, input: Vec<u8>, attempt: u32) -> io::Result<()> {
        let slot = self
            .free_slots
            .pop()
            .map_or(self.running.len() + 1, |Reverse(s)| s);
        let argv = self.template.expand(&input, seq, slot);
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .env("PTOOL_JOB", seq.to_string())
            .env("PTOOL_SLOT", slot.to_string())
            .stdin(Stdio::null())
            .stdout(if self.settings.quiet {
                Stdio::null()
            } else {
                Stdio::piped()
            })
            .stderr(Stdio::piped());
        let started = Instant::now();
        let started_wall = SystemTime::now();
        let spawned = GroupChild::spawn(&mut cmd).and_then(|mut child| {
            let pipes = child
                .take_stdout()
                .and_then(|out| Ok((out, child.take_stderr()?)));
            match pipes {
                Ok((out, err)) => Ok((child, out, err)),
                Err(e) => {
                    let _ = child.signal_group(Signal::KILL.number());
                    let _ = child.reap();
                    Err(e)
                }
            }
        });
        match spawned {
            Ok((child, stdout, stderr)) => {
                self.running.push(Running {
                    seq,
                    input,
                    slot,
                    attempt,
                    argv,
                    child,
                    stdout,
                    stderr,
                    started,
                    started_wall,
                    deadline: self.settings.timeout.map(|t| started + t),
                    stop: None,
                    kill_at: None,
                    killed: false,
                    exited: false,
                    out: Vec::new(),
                    err: Vec::new(),
                });
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
                    seq,
                    input,
                    slot,
                    pid: None,
                    command: argv,
                    start: started_wall,
                    runtime: started.elapsed(),
                    exit: Some(exit),
                    signal: None,
                    status: Status::Error,
                    attempts: attempt,
                    error: Some(format!("cannot run '{program}': {why}")),
                };
                self.finish(
                    Done {
                        report,
                        out: Vec::new(),
                        err: Vec::new(),
                    },
                    attempt,
                )
            }
        }
    }

    fn wants_stdin(&self) -> bool {
        matches!(self.inputs, Inputs::Stdin(_))
            && !self.inputs_done
            && !self.halting
            && self.retries.is_empty()
            && self.running.len() < self.settings.jobs
    }

    fn wait_and_handle(&mut self) -> io::Result<()> {
        let now = Instant::now();
        let timeout = self
            .running
            .iter()
            .filter_map(Running::next_deadline)
            .min()
            .map(|d| d.saturating_duration_since(now));
        let mut targets = Vec::with_capacity(2 + 3 * self.running.len());
        let mut ready = Vec::with_capacity(targets.capacity());
        {
            let stdin = io::stdin();
            let mut fds: Vec<BorrowedFd<'_>> = Vec::with_capacity(targets.capacity());
            fds.push(self.signals.as_fd());
            targets.push(Target::Signals);
            if self.wants_stdin() {
                fds.push(stdin.as_fd());
                targets.push(Target::Stdin);
            }
            for (i, job) in self.running.iter().enumerate() {
                if let Some(pipe) = &job.stdout {
                    fds.push(pipe.as_fd());
                    targets.push(Target::Out(i));
                }
                if let Some(pipe) = &job.stderr {
                    fds.push(pipe.as_fd());
                    targets.push(Target::Err(i));
                }
                if !job.exited
                    && let Some(fd) = job.child.pidfd()
                {
                    fds.push(fd.as_fd());
                    targets.push(Target::Exit(i));
                }
            }
            poll_readable(&fds, timeout, &mut ready)?;
        }
        for (target, ready) in targets.into_iter().zip(ready) {
            if !ready {
                continue;
            }
            match target {
                Target::Signals => self.on_signals()?,
                Target::Stdin => {
                    if let Err(e) = self.inputs.read_more(&mut self.scratch) {
                        self.printer
                            .note(&format!("cannot read inputs from stdin: {e}"));
                        self.inputs_done = true;
                    }
                }
                Target::Out(i) => self.read_pipe(i, Pipe::Out, READ_BUDGET)?,
                Target::Err(i) => self.read_pipe(i, Pipe::Err, READ_BUDGET)?,
                Target::Exit(i) => {
                    self.running[i].exited = true;
                }
            }
        }
        self.check_timers(Instant::now());
        self.reap_finished()
    }

    fn on_signals(&mut self) -> io::Result<()> {
        for sig in self
            .signals
            .take()?
            .into_iter()
            .filter_map(Signal::from_number)
        {
            if sig == Signal::CHLD {
                // Only kernels without pidfds need to ask each job.
                for job in &mut self.running {
                    if !job.exited && job.child.pidfd().is_none() && job.child.has_exited()? {
                        job.exited = true;
                    }
                }
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
        for job in &mut self.running {
            if job.stop.is_none() && job.deadline.is_some_and(|d| d <= now) {
                stop(job, Stop::Timeout, now, grace);
            }
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
                    close(job, which);
                    break;
                }
                Some(Ok(n)) => {
                    total += n;
                    match which {
                        Pipe::Out => job.out.extend_from_slice(&scratch[..n]),
                        Pipe::Err => job.err.extend_from_slice(&scratch[..n]),
                    }
                }
                Some(Err(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
                Some(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                // A pipe that fails to read is as good as closed.
                Some(Err(_)) => {
                    close(job, which);
                    break;
                }
            }
        }
        self.scratch = scratch;
        if total > 0 && self.settings.line_buffer {
            self.stream(i)?;
        }
        Ok(())
    }

    /// `--line-buffer`: print a running job's complete lines now, if it may
    /// print (with `--keep-order`, only the job whose turn it is).
    fn stream(&mut self, i: usize) -> io::Result<()> {
        let job = &mut self.running[i];
        if self.settings.keep_order && job.seq != self.order.next() {
            return Ok(());
        }
        let tag = self.settings.tag.then(|| tag_for(&job.input));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        take_lines(&mut job.out, tag.as_deref(), &mut out);
        take_lines(&mut job.err, tag.as_deref(), &mut err);
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
            // The leader is gone: take what it left in the pipes.
            self.read_pipe(i, Pipe::Out, usize::MAX)?;
            self.read_pipe(i, Pipe::Err, usize::MAX)?;
            let job = &mut self.running[i];
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
        job.stdout = None;
        job.stderr = None;
        let pid = job.child.pid();
        let (exit, signal) = match job.child.reap() {
            Ok(status) => (status.code(), status.signal()),
            Err(_) => (None, None),
        };
        // Orphans that died while this leader's zombie was first in line.
        self.reap_orphans()?;
        let runtime = job.started.elapsed();
        let status = match job.stop {
            Some(Stop::Timeout) => Status::Timeout,
            Some(Stop::Halt | Stop::Interrupt) => Status::Killed,
            Some(Stop::Leftovers) | None if exit == Some(0) => Status::Ok,
            Some(Stop::Leftovers) | None => Status::Failed,
        };
        job.out.shrink_to_fit();
        job.err.shrink_to_fit();
        let report = JobReport {
            seq: job.seq,
            input: job.input,
            slot: job.slot,
            pid: Some(pid),
            command: job.argv,
            start: job.started_wall,
            runtime,
            exit,
            signal,
            status,
            attempts: job.attempt,
            error: None,
        };
        self.finish(
            Done {
                report,
                out: job.out,
                err: job.err,
            },
            job.attempt,
        )
    }

    /// A job's attempt ended: retry it, or record it for good.
    fn finish(&mut self, done: Done, attempt: u32) -> io::Result<()> {
        self.free_slots.push(Reverse(done.report.slot));
        let status = done.report.status;
        let retry = !status.is_ok()
            && status != Status::Killed
            && attempt <= self.settings.retries
            && !self.halting;
        if retry {
            self.retries.push_back((done, attempt));
            self.update_bar();
            return Ok(());
        }
        self.record(done)?;
        if !status.is_ok() && !self.halting {
            match self.settings.halt {
                Some(Halt::Soon) => {
                    self.halting = true;
                    self.abandon_retries();
                }
                Some(Halt::Now) => self.halt_all(Stop::Halt),
                None => {}
            }
        }
        Ok(())
    }

    /// Count, log and print a job's final attempt.
    fn record(&mut self, done: Done) -> io::Result<()> {
        let report = &done.report;
        if let Some(error) = &report.error {
            self.printer.note(&format!("job {}: {error}", report.seq));
        }
        self.totals.count(report.status);
        if self.settings.summary {
            self.rows.push(Row::from(report));
        }
        if self.settings.single {
            self.single = Some(report.clone());
        }
        if let Some(log) = &mut self.joblog {
            let line = report::joblog_line(report);
            if let Err(e) = log.file.write_all(line.as_bytes()) {
                let message = format!("cannot write the joblog {}: {e}", log.path);
                self.joblog = None;
                self.printer.note(&message);
            }
        }
        if let Some(bar) = &self.printer.bar {
            bar.inc(1);
        }
        self.update_bar();
        if self.settings.keep_order {
            let seq = done.report.seq;
            for ready in self.order.push(seq, done) {
                self.emit(ready)?;
            }
            if self.settings.line_buffer {
                // The next job in order may print what it has so far.
                let next = self.order.next();
                if let Some(i) = self.running.iter().position(|j| j.seq == next) {
                    self.stream(i)?;
                }
            }
            Ok(())
        } else {
            self.emit(done)
        }
    }

    /// Print a finished job's output (or its JSON record).
    fn emit(&mut self, mut done: Done) -> io::Result<()> {
        if self.settings.json {
            if self.settings.quiet {
                return Ok(());
            }
            let mut line =
                serde_json::to_vec(&report::job_json(&done.report, &done.out, &done.err))
                    .map_err(io::Error::other)?;
            line.push(b'\n');
            return self.write(&line, b"");
        }
        let tag = self.settings.tag.then(|| tag_for(&done.report.input));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        take_rest(&mut done.out, tag.as_deref(), &mut out);
        take_rest(&mut done.err, tag.as_deref(), &mut err);
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
        while self.reap_orphans()? {
            let Some(left) = deadline
                .map(|d| d.saturating_duration_since(Instant::now()))
                .filter(|d| !d.is_zero())
            else {
                break;
            };
            let mut ready = Vec::new();
            poll_readable(&[self.signals.as_fd()], Some(left), &mut ready)?;
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

/// TERM to the job's group now, KILL after `grace`.
fn stop(job: &mut Running, why: Stop, now: Instant, grace: Duration) {
    job.stop = Some(why);
    if grace.is_zero() {
        job.kill_at = Some(now);
    } else {
        let _ = job.child.signal_group(Signal::TERM.number());
        job.kill_at = Some(now + grace);
    }
}

fn close(job: &mut Running, which: Pipe) {
    match which {
        Pipe::Out => job.stdout = None,
        Pipe::Err => job.stderr = None,
    }
}
