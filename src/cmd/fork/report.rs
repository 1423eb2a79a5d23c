//! What `ptool fork` reports about its jobs: the per-job record, the JSON
//! Lines records, the summary table and the exit code. Pure rendering on
//! plain data, so every format is unit tested.

use std::ffi::OsString;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, SystemTime};

use serde_json::json;

use crate::exit::Exit;
use crate::output::sanitize::{escape, to_json_string};
use crate::output::table::{Align, Column, Table, Text};
use crate::output::{Out, Paint, paint};
use crate::signal::Signal;

/// How a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Exited 0.
    Ok,
    /// Exited non-zero, or died of a signal ptool did not send.
    Failed,
    /// Stopped by ptool after `--timeout`.
    Timeout,
    /// Stopped by ptool: `--halt-on-error=now`, Ctrl-C/TERM, or a closed
    /// stdout.
    Killed,
    /// Could not be started (not found, not executable, no resources).
    Error,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Ok => "ok",
            JobStatus::Failed => "failed",
            JobStatus::Timeout => "timeout",
            JobStatus::Killed => "killed",
            JobStatus::Error => "error",
        }
    }

    pub fn is_ok(self) -> bool {
        self == JobStatus::Ok
    }

    fn paint(self) -> Paint {
        match self {
            JobStatus::Ok => Paint::Green,
            JobStatus::Timeout | JobStatus::Killed => Paint::Yellow,
            JobStatus::Failed | JobStatus::Error => Paint::Red,
        }
    }
}

/// One finished job (its last attempt).
#[derive(Debug, Clone, PartialEq)]
pub struct JobReport {
    /// 1, 2, ... in input order (`{#}`, `PTOOL_JOB`).
    pub seq: u64,
    pub input: Vec<u8>,
    /// 1 to `-j` (`{%}`, `PTOOL_SLOT`).
    pub slot: usize,
    /// `None` when the job could not be started.
    pub pid: Option<i32>,
    pub command: Vec<OsString>,
    /// The command as a shell would run it (joblog, `--dry-run`).
    pub display: Vec<u8>,
    pub start: SystemTime,
    pub runtime: Duration,
    pub exit: Option<i32>,
    pub signal: Option<i32>,
    pub status: JobStatus,
    pub attempts: u32,
    /// Why it could not be started.
    pub error: Option<String>,
    /// Bytes fed to its stdin (`--pipe`).
    pub sent: u64,
    /// Bytes it wrote to stdout.
    pub received: u64,
}

/// Counts over the whole run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    pub ok: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub killed: u64,
    pub errors: u64,
    /// Inputs never started (halted or interrupted); `None` when unknown
    /// (inputs from stdin).
    pub skipped: Option<u64>,
    pub runtime: Duration,
    /// The signal that interrupted the run (INT, TERM, HUP).
    pub interrupted: Option<Signal>,
    /// The exit `--halt` chose when it stopped the run.
    pub halted: Option<Exit>,
}

impl Totals {
    pub fn count(&mut self, status: JobStatus) {
        match status {
            JobStatus::Ok => self.ok += 1,
            JobStatus::Failed => self.failed += 1,
            JobStatus::Timeout => self.timed_out += 1,
            JobStatus::Killed => self.killed += 1,
            JobStatus::Error => self.errors += 1,
        }
    }

    pub fn jobs(&self) -> u64 {
        self.ok + self.not_ok()
    }

    /// Jobs that did not succeed, whatever the reason.
    pub fn not_ok(&self) -> u64 {
        self.failed + self.timed_out + self.killed + self.errors
    }
}

/// The exit code: 128+N when interrupted by signal N; when `--halt` stopped
/// the run, the code it chose (the failing job's own code, or 0 after
/// `success=N`); with `--count 1` the one job's own code (124 when it timed
/// out, 126/127 when it could not start); otherwise the number of jobs that
/// did not succeed, 101 for more than 100 (as GNU parallel counts).
pub fn exit_code(totals: &Totals, single: Option<&JobReport>) -> Exit {
    if let Some(sig) = totals.interrupted {
        return Exit::Signaled(sig.number());
    }
    if let Some(exit) = totals.halted {
        return exit;
    }
    if let Some(job) = single {
        return match job.status {
            JobStatus::Ok => Exit::Success,
            JobStatus::Timeout => Exit::Timeout,
            JobStatus::Error if job.exit == Some(127) => Exit::NotFound,
            JobStatus::Error => Exit::NotExecutable,
            JobStatus::Failed | JobStatus::Killed => Exit::from_child(job.exit, job.signal),
        };
    }
    match totals.not_ok() {
        0 => Exit::Success,
        n => Exit::Code(u8::try_from(n.min(101)).unwrap_or(101)),
    }
}

fn round3(secs: f64) -> f64 {
    (secs * 1000.0).round() / 1000.0
}

/// The JSON Lines record of one finished job, with its captured output.
pub fn job_json(job: &JobReport, stdout: &[u8], stderr: &[u8]) -> serde_json::Value {
    json!({
        "event": "job",
        "seq": job.seq,
        "input": to_json_string(&job.input),
        "slot": job.slot,
        "pid": job.pid,
        "command": job.command.iter().map(|w| to_json_string(w.as_bytes())).collect::<Vec<_>>(),
        "start": round3(crate::sys::time::unix_seconds_of(job.start)),
        "runtime": round3(job.runtime.as_secs_f64()),
        "status": job.status.as_str(),
        "exit": job.exit,
        "signal": job.signal,
        "attempts": job.attempts,
        "error": job.error,
        "stdout": to_json_string(stdout),
        "stderr": to_json_string(stderr),
    })
}

/// The final JSON Lines record.
pub fn summary_json(totals: &Totals, exit: Exit) -> serde_json::Value {
    json!({
        "event": "summary",
        "jobs": totals.jobs(),
        "ok": totals.ok,
        "failed": totals.failed,
        "timed_out": totals.timed_out,
        "killed": totals.killed,
        "errors": totals.errors,
        "skipped": totals.skipped,
        "runtime": round3(totals.runtime.as_secs_f64()),
        "interrupted": totals.interrupted.map(|s| s.name()),
        "exit": exit.code(),
    })
}

/// The end of a run, printed through the one output path: the summary
/// table (on a terminal), or the final JSON Lines record.
#[derive(Debug)]
pub struct Summary<'a> {
    pub rows: &'a [SummaryRow],
    pub totals: &'a Totals,
    pub exit: Exit,
}

impl crate::output::Report for Summary<'_> {
    fn render<W: Write>(&self, out: &Out, w: &mut W) -> io::Result<()> {
        render_summary(w, out, self.rows, self.totals)
    }

    fn json<W: Write>(&self, _out: &Out, w: &mut W) -> io::Result<()> {
        crate::output::json::write_line(w, &summary_json(self.totals, self.exit))
    }
}

/// A row of the summary table (the report without its command line, so a
/// long run keeps little per job).
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub seq: u64,
    pub input: Vec<u8>,
    pub pid: Option<i32>,
    pub exit: Option<i32>,
    pub signal: Option<i32>,
    pub status: JobStatus,
    pub runtime: Duration,
}

impl From<&JobReport> for SummaryRow {
    fn from(job: &JobReport) -> SummaryRow {
        SummaryRow {
            seq: job.seq,
            input: job.input.clone(),
            pid: job.pid,
            exit: job.exit,
            signal: job.signal,
            status: job.status,
            runtime: job.runtime,
        }
    }
}

/// How many rows the summary shows before it says "and N more": every
/// failure up to `MAX_FAILED_ROWS`, then successes up to `MAX_ROWS` in all.
const MAX_ROWS: usize = 20;
const MAX_FAILED_ROWS: usize = 50;

/// The summary for a terminal: failures first (then by job number), and a
/// closing line with the counts.
pub fn render_summary<W: Write>(
    w: &mut W,
    out: &Out,
    rows: &[SummaryRow],
    totals: &Totals,
) -> io::Result<()> {
    let mut sorted: Vec<&SummaryRow> = rows.iter().collect();
    sorted.sort_by_key(|r| (r.status.is_ok(), r.seq));
    let failed = sorted.iter().filter(|r| !r.status.is_ok()).count();
    let shown = failed.min(MAX_FAILED_ROWS).max(MAX_ROWS.min(sorted.len()));
    let mut table = Table::new(vec![
        Column::new("SEQ", Align::Right),
        Column::new("INPUT", Align::Left).elastic(),
        Column::new("PID", Align::Right),
        Column::new("STATUS", Align::Left),
        Column::new("EXIT", Align::Right),
        Column::new("SIGNAL", Align::Left),
        Column::new("TIME", Align::Right),
    ]);
    for row in sorted.iter().take(shown) {
        let dash = || "-".to_string();
        table.rows.push(vec![
            Text::new(row.seq.to_string()),
            Text::new(escape(&row.input).into_owned()),
            Text::new(row.pid.map_or_else(dash, |p| p.to_string())),
            Text::painted(row.status.as_str(), row.status.paint()),
            Text::new(row.exit.map_or_else(dash, |e| e.to_string())),
            Text::new(
                row.signal
                    .and_then(Signal::from_number)
                    .map_or_else(dash, |s| s.name()),
            ),
            Text::new(crate::duration::format_short(row.runtime)),
        ]);
    }
    if !table.rows.is_empty() {
        table.render(w, out, true)?;
    }
    if sorted.len() > shown {
        let more = sorted.len() - shown;
        let failed_more = failed.saturating_sub(shown);
        if failed_more > 0 {
            writeln!(w, "... and {more} more ({failed_more} not ok)")?;
        } else {
            writeln!(w, "... and {more} more, all ok")?;
        }
    }
    writeln!(w, "{}", totals_line(totals, out.color))
}

/// `12 jobs in 3.1s: 10 ok, 1 failed, 1 timed out`.
pub fn totals_line(totals: &Totals, color: bool) -> String {
    let jobs = totals.jobs();
    let mut parts = vec![paint(
        &format!("{} ok", totals.ok),
        if totals.ok > 0 {
            Paint::Green
        } else {
            Paint::Plain
        },
        color,
    )];
    for (n, what, colour) in [
        (totals.failed, "failed", Paint::Red),
        (totals.timed_out, "timed out", Paint::Yellow),
        (totals.killed, "killed", Paint::Yellow),
        (totals.errors, "could not start", Paint::Red),
    ] {
        if n > 0 {
            parts.push(paint(&format!("{n} {what}"), colour, color));
        }
    }
    if let Some(n) = totals.skipped.filter(|n| *n > 0) {
        parts.push(format!("{n} not started"));
    }
    let mut line = format!(
        "{jobs} job{} in {}: {}",
        if jobs == 1 { "" } else { "s" },
        crate::duration::format_short(totals.runtime),
        parts.join(", ")
    );
    if let Some(sig) = totals.interrupted {
        line.push_str(&format!(" (interrupted by {sig})"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(seq: u64, status: JobStatus, exit: Option<i32>, signal: Option<i32>) -> JobReport {
        JobReport {
            seq,
            input: format!("in{seq}").into_bytes(),
            slot: 1,
            pid: Some(1000 + seq as i32),
            command: vec!["echo".into(), format!("in{seq}").into()],
            display: format!("echo in{seq}").into_bytes(),
            sent: 0,
            received: 0,
            start: SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_250),
            runtime: Duration::from_millis(1500),
            exit,
            signal,
            status,
            attempts: 1,
            error: None,
        }
    }

    #[test]
    fn exit_codes() {
        let mut t = Totals::default();
        assert_eq!(exit_code(&t, None), Exit::Success);
        t.failed = 3;
        assert_eq!(exit_code(&t, None), Exit::Code(3));
        t.timed_out = 150;
        assert_eq!(exit_code(&t, None), Exit::Code(101));
        t.interrupted = Some(Signal::INT);
        assert_eq!(exit_code(&t, None).code(), 130);
        let t = Totals::default();
        let j = job(1, JobStatus::Failed, Some(7), None);
        assert_eq!(exit_code(&t, Some(&j)).code(), 7);
        let j = job(1, JobStatus::Failed, None, Some(9));
        assert_eq!(exit_code(&t, Some(&j)).code(), 137);
        let j = job(1, JobStatus::Timeout, None, Some(15));
        assert_eq!(exit_code(&t, Some(&j)).code(), 124);
        let j = job(1, JobStatus::Error, Some(127), None);
        assert_eq!(exit_code(&t, Some(&j)).code(), 127);
        let j = job(1, JobStatus::Ok, Some(0), None);
        assert_eq!(exit_code(&t, Some(&j)).code(), 0);
    }

    #[test]
    fn json_records() {
        let j = job(2, JobStatus::Ok, Some(0), None);
        let v = job_json(&j, b"out\n", b"\xff");
        assert_eq!(v["event"], "job");
        assert_eq!(v["seq"], 2);
        assert_eq!(v["input"], "in2");
        assert_eq!(v["status"], "ok");
        assert_eq!(v["exit"], 0);
        assert_eq!(v["signal"], serde_json::Value::Null);
        assert_eq!(v["stdout"], "out\n");
        assert_eq!(v["stderr"], "\\xff");
        assert_eq!(v["runtime"], 1.5);
        let mut t = Totals::default();
        t.count(JobStatus::Ok);
        t.count(JobStatus::Timeout);
        let s = summary_json(&t, exit_code(&t, None));
        assert_eq!(s["jobs"], 2);
        assert_eq!(s["timed_out"], 1);
        assert_eq!(s["exit"], 1);
        assert_eq!(s["interrupted"], serde_json::Value::Null);
    }

    #[test]
    fn summary_puts_failures_first_and_cuts_long_runs() {
        let mut rows = Vec::new();
        let mut totals = Totals::default();
        for seq in 1..=30 {
            let status = if seq == 25 {
                JobStatus::Failed
            } else {
                JobStatus::Ok
            };
            totals.count(status);
            rows.push(SummaryRow::from(&job(
                seq,
                status,
                Some(i32::from(seq == 25)),
                None,
            )));
        }
        totals.runtime = Duration::from_secs(3);
        let mut buf = Vec::new();
        render_summary(&mut buf, &Out::PLAIN, &rows, &totals).expect("renders");
        let text = String::from_utf8(buf).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "SEQ\tINPUT\tPID\tSTATUS\tEXIT\tSIGNAL\tTIME");
        assert!(lines[1].starts_with("25\tin25\t1025\tfailed\t1\t-\t1.5s"));
        assert!(lines[2].starts_with("1\tin1\t"));
        assert_eq!(lines[21], "... and 10 more, all ok");
        assert_eq!(lines[22], "30 jobs in 3.0s: 29 ok, 1 failed");
    }

    #[test]
    fn totals_line_mentions_interruptions() {
        let t = Totals {
            ok: 1,
            killed: 2,
            skipped: Some(5),
            interrupted: Some(Signal::INT),
            runtime: Duration::from_millis(200),
            ..Totals::default()
        };
        assert_eq!(
            totals_line(&t, false),
            "3 jobs in 200ms: 1 ok, 2 killed, 5 not started (interrupted by SIGINT)"
        );
    }
}
