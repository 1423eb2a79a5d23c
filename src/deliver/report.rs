//! The per-process report: what happened to each target, printed through
//! [`crate::output::emit`] as a table or JSON ([`DeliveryReport`]), and the
//! exit code it means.

use std::io::{self, Write};
use std::time::Duration;

use serde::Serialize;

use super::pin::{Target, Unpinned};
use crate::exit::Exit;
use crate::output::table::{Align, Column, Table, Text};
use crate::output::value::Value;
use crate::output::{Out, Paint, Report, emit, json, sanitize};
use crate::signal::Signal;

/// What happened to one target. As JSON, its [`Outcome::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
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

    fn json(&self, timing: bool) -> RowJson<'_> {
        RowJson {
            pid: self.pid,
            // A PID without a process has no name.
            name: (!self.name.is_empty()).then(|| sanitize::to_json_string(&self.name)),
            cmd: self.command_value(),
            signal: self.signal.name(),
            outcome: self.outcome,
            after: timing.then(|| {
                self.after
                    .map(|d| (d.as_secs_f64() * 1000.0).round() / 1000.0)
            }),
            error: self.detail.as_deref(),
        }
    }
}

/// One row as JSON (field order as documented in the README).
#[derive(Debug, Serialize)]
struct RowJson<'a> {
    pid: i32,
    name: Option<String>,
    cmd: Value,
    signal: String,
    outcome: Outcome,
    /// `kill` only: seconds from the first signal to the exit.
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<Option<f64>>,
    error: Option<&'a str>,
}

/// A delivery report as printed: the rows, and whether they carry `after`
/// (`kill`). As JSON, an array of objects.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryReport<'a> {
    pub rows: &'a [Row],
    pub timing: bool,
}

impl Serialize for DeliveryReport<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.rows.iter().map(|r| r.json(self.timing)))
    }
}

impl Report for DeliveryReport<'_> {
    fn render<W: Write>(&self, out: &Out, w: &mut W) -> io::Result<()> {
        render_table(self.rows, out, w)
    }

    fn json<W: Write>(&self, out: &Out, w: &mut W) -> io::Result<()> {
        json::write(w, out, self)
    }
}

/// Print a report: a table (PID, RESULT, COMMAND) or, with `--json`, an
/// array of objects, or nothing under `-q`. `timing` adds the `after`
/// field (`kill`).
pub fn render<W: Write>(rows: &[Row], out: &Out, timing: bool, w: &mut W) -> io::Result<()> {
    emit(w, out, &DeliveryReport { rows, timing })
}

/// The human table; nothing at all for no rows.
fn render_table<W: Write>(rows: &[Row], out: &Out, w: &mut W) -> io::Result<()> {
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
    fn outcomes_serialize_as_their_keys() {
        for outcome in [
            Outcome::Delivered,
            Outcome::Alive,
            Outcome::Zombie,
            Outcome::NoSuchProcess,
            Outcome::AlreadyGone,
            Outcome::PermissionDenied,
            Outcome::Terminated,
            Outcome::Killed,
            Outcome::Signalled,
            Outcome::Survived,
            Outcome::WouldSignal,
            Outcome::Failed,
        ] {
            assert_eq!(
                serde_json::to_value(outcome).expect("serializes"),
                outcome.key()
            );
        }
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
}
