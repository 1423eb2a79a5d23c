//! Rendering `ptool wait`'s report from plain data: a line per process as it
//! ends (aligned on a terminal, tab-separated in a pipe), or JSON Lines with
//! a closing summary object. Each event goes through
//! [`crate::output::emit_event`], which decides between nothing (`-q`), a
//! JSON Lines record and the human lines, and flushes.

use std::io::{self, Write};
use std::time::Duration;

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use super::{Ended, Summary};
use crate::ended::StatusJson;
use crate::output::sanitize::{escape, to_json_string};
use crate::output::{Out, Paint, Report, emit_event, json, paint};
use crate::sys::time::LocalTime;

/// Writes the report: human lines (aligned on a terminal, tab-separated in
/// a pipe), or JSON Lines, or nothing with `-q`. Each ended process is flushed
/// at once, since someone may be watching the stream.
pub(super) struct Printer<'a, W: Write> {
    out: &'a Out,
    w: &'a mut W,
    header_done: bool,
    /// How many ended processes were reported.
    pub(super) ended: usize,
}

/// Terminal column widths: PID, NAME, ENDED, RAN (STATUS takes the rest).
const WIDTHS: [usize; 4] = [7, 16, 8, 7];

impl<'a, W: Write> Printer<'a, W> {
    pub(super) fn new(out: &'a Out, w: &'a mut W) -> Printer<'a, W> {
        Printer {
            out,
            w,
            header_done: false,
            ended: 0,
        }
    }

    pub(super) fn ended(&mut self, e: &Ended) -> io::Result<()> {
        self.ended += 1;
        let cells = [
            e.pid.to_string(),
            escape(&e.name).into_owned(),
            e.ended
                .map_or("-".to_string(), |_| clock(e.ended_local.as_ref())),
            e.ran.map_or("-".to_string(), |r| {
                crate::duration::format_short(Duration::from_secs_f64(r))
            }),
        ];
        let line = Line {
            cells,
            status: e.status.text(),
            paint: e.status.paint(),
        };
        self.emit(Some(EndedJson::from(e)), vec![line])
    }

    /// A PID that was not running: a line for people; JSON lists it only in
    /// the summary.
    pub(super) fn not_running(&mut self, pid: i32) -> io::Result<()> {
        let line = Line {
            cells: [pid.to_string(), "-".into(), "-".into(), "-".into()],
            status: "not running".into(),
            paint: Paint::Dim,
        };
        self.emit(None::<SummaryJson>, vec![line])
    }

    pub(super) fn summary(&mut self, s: &Summary) -> io::Result<()> {
        // Survivors matter when the wait gave up; after `--any` they are
        // simply the ones that did not end first.
        let lines = if s.timed_out {
            s.still_running
                .iter()
                .map(|survivor| Line {
                    cells: [
                        survivor.pid.to_string(),
                        escape(&survivor.name).into_owned(),
                        "-".to_string(),
                        crate::duration::format_short(Duration::from_secs_f64(survivor.ran)),
                    ],
                    status: "still running".into(),
                    paint: Paint::Bold,
                })
                .collect()
        } else {
            Vec::new()
        };
        self.emit(Some(SummaryJson::from(s)), lines)
    }

    /// Print one event through [`emit_event`]; the header goes before the
    /// first line on a terminal.
    fn emit<J: Serialize>(&mut self, record: Option<J>, lines: Vec<Line>) -> io::Result<()> {
        if !self.out.human() && record.is_none() {
            return Ok(());
        }
        let header = self.out.is_terminal() && !self.header_done && !lines.is_empty();
        let event = Event {
            record,
            lines,
            header,
        };
        emit_event(self.w, self.out, &event)?;
        if header && self.out.human() {
            self.header_done = true;
        }
        Ok(())
    }
}

/// One human line: PID, NAME, ENDED, RAN, then the status.
#[derive(Debug, Clone)]
struct Line {
    cells: [String; 4],
    status: String,
    paint: Paint,
}

/// One event of the stream: its JSON Lines record and its human lines.
#[derive(Debug, Serialize)]
#[serde(transparent)]
struct Event<J> {
    record: Option<J>,
    #[serde(skip)]
    lines: Vec<Line>,
    #[serde(skip)]
    header: bool,
}

impl<J: Serialize> Report for Event<J> {
    fn render<W: Write>(&self, out: &Out, w: &mut W) -> io::Result<()> {
        if self.header {
            let header = ["PID", "NAME", "ENDED", "RAN"].map(String::from);
            let line = padded(&header, "STATUS");
            writeln!(w, "{}", paint(&line, Paint::Bold, out.color))?;
        }
        for line in &self.lines {
            if out.is_terminal() {
                let status = paint(&line.status, line.paint, out.color);
                writeln!(w, "{}", padded(&line.cells, &status))?;
            } else {
                writeln!(w, "{}\t{}", line.cells.join("\t"), line.status)?;
            }
        }
        Ok(())
    }

    fn json<W: Write>(&self, _out: &Out, w: &mut W) -> io::Result<()> {
        json::write_line(w, self)
    }
}

fn padded(cells: &[String; 4], last: &str) -> String {
    let mut line = String::with_capacity(64);
    for (cell, width) in cells.iter().zip(WIDTHS) {
        line.push_str(cell);
        let used = UnicodeWidthStr::width(cell.as_str());
        line.extend(std::iter::repeat_n(' ', width.saturating_sub(used) + 2));
    }
    line.push_str(last);
    line
}

/// `HH:MM:SS` local time; `?` when it could not be converted.
fn clock(local: Option<&LocalTime>) -> String {
    match local {
        Some(t) => format!("{:02}:{:02}:{:02}", t.hour, t.minute, t.second),
        None => "?".to_string(),
    }
}

/// The JSON line for an ended process.
#[derive(Debug, Serialize)]
struct EndedJson {
    event: &'static str,
    pid: i32,
    name: String,
    /// Unix seconds, millisecond precision.
    ended_at: Option<f64>,
    ran: Option<f64>,
    #[serde(flatten)]
    status: StatusJson,
}

impl From<&Ended> for EndedJson {
    fn from(e: &Ended) -> EndedJson {
        EndedJson {
            event: "ended",
            pid: e.pid,
            name: to_json_string(&e.name),
            ended_at: e.ended.map(|t| round(t, 1000.0)),
            ran: e.ran.map(|r| round(r, 100.0)),
            status: StatusJson::from(&e.status),
        }
    }
}

#[derive(Debug, Serialize)]
struct SurvivorJson {
    pid: i32,
    name: String,
    ran: f64,
}

/// The closing JSON line.
#[derive(Debug, Serialize)]
struct SummaryJson {
    event: &'static str,
    ended: usize,
    not_running: Vec<i32>,
    still_running: Vec<SurvivorJson>,
    timed_out: bool,
    waited: f64,
}

impl From<&Summary> for SummaryJson {
    fn from(s: &Summary) -> SummaryJson {
        SummaryJson {
            event: "summary",
            ended: s.ended,
            not_running: s.not_running.clone(),
            still_running: s
                .still_running
                .iter()
                .map(|r| SurvivorJson {
                    pid: r.pid,
                    name: to_json_string(&r.name),
                    ran: round(r.ran, 100.0),
                })
                .collect(),
            timed_out: s.timed_out,
            waited: round(s.waited, 1000.0),
        }
    }
}

fn round(value: f64, scale: f64) -> f64 {
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::wait::Survivor;
    use crate::ended::EndStatus;

    fn text(f: impl FnOnce(&mut Printer<'_, Vec<u8>>) -> io::Result<()>, out: &Out) -> String {
        let mut buf = Vec::new();
        let mut printer = Printer::new(out, &mut buf);
        f(&mut printer).expect("renders");
        String::from_utf8(buf).expect("UTF-8")
    }

    fn sample() -> Ended {
        Ended {
            pid: 4242,
            name: b"evil\x1b]0;x\x07".to_vec(),
            ended: Some(1_700_000_000.123_4),
            ended_local: Some(LocalTime {
                year: 2023,
                month: 11,
                day: 14,
                hour: 22,
                minute: 13,
                second: 20,
                utc_offset: 0,
            }),
            ran: Some(3.256),
            status: EndStatus::Exited(3),
        }
    }

    #[test]
    fn lines_in_a_pipe_are_tab_separated_and_escaped() {
        let t = text(
            |p| {
                p.not_running(7)?;
                p.ended(&sample())?;
                p.ended(&Ended {
                    pid: 5,
                    name: b"z".to_vec(),
                    ended: None,
                    ended_local: None,
                    ran: None,
                    status: EndStatus::Killed {
                        signal: 9,
                        core_dumped: false,
                    },
                })
            },
            &Out::PLAIN,
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "7\t-\t-\t-\tnot running");
        let cells: Vec<&str> = lines[1].split('\t').collect();
        assert_eq!(cells[0], "4242");
        assert_eq!(cells[1], "evil\\e]0;x\\x07");
        assert_eq!(cells[2], "22:13:20");
        assert_eq!(cells[3], "3.3s");
        assert_eq!(cells[4], "exited 3");
        assert_eq!(lines[2], "5\tz\t-\t-\tkilled by SIGKILL");
        assert!(!t.contains('\x1b'));
    }

    #[test]
    fn a_terminal_gets_a_header_and_aligned_columns() {
        let term = Out {
            width: Some(100),
            ..Out::PLAIN
        };
        let t = text(|p| p.ended(&sample()), &term);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("PID      NAME"), "{t}");
        assert_eq!(lines[0].find("STATUS"), lines[1].find("exited 3"), "{t}");
        assert_eq!(lines[0].find("RAN"), lines[1].find("3.3s"), "{t}");
    }

    #[test]
    fn survivors_are_listed_only_when_the_wait_gave_up() {
        let summary = Summary {
            ended: 1,
            not_running: vec![9],
            still_running: vec![Survivor {
                pid: 12,
                name: b"sleep".to_vec(),
                ran: 61.0,
            }],
            timed_out: true,
            waited: 0.3004,
        };
        let t = text(|p| p.summary(&summary), &Out::PLAIN);
        assert_eq!(t, "12\tsleep\t-\t1m01s\tstill running\n");
        let any = Summary {
            timed_out: false,
            ..summary.clone()
        };
        assert_eq!(text(|p| p.summary(&any), &Out::PLAIN), "");
        let quiet = Out {
            quiet: true,
            ..Out::PLAIN
        };
        assert_eq!(text(|p| p.summary(&summary), &quiet), "");
    }

    #[test]
    fn json_lines_for_ended_and_summary() {
        let json = Out {
            json: true,
            ..Out::PLAIN
        };
        let summary = Summary {
            ended: 1,
            not_running: vec![9],
            still_running: vec![Survivor {
                pid: 12,
                name: b"a\xffb".to_vec(),
                ran: 1.234,
            }],
            timed_out: true,
            waited: 0.3004,
        };
        let t = text(
            |p| {
                p.not_running(9)?;
                p.ended(&sample())?;
                p.summary(&summary)
            },
            &json,
        );
        let lines: Vec<serde_json::Value> = t
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON"))
            .collect();
        assert_eq!(lines.len(), 2);
        let e = &lines[0];
        assert_eq!(e["event"], "ended");
        assert_eq!(e["pid"], 4242);
        assert_eq!(e["name"], "evil\u{1b}]0;x\u{7}");
        assert_eq!(e["ended_at"], 1_700_000_000.123);
        assert_eq!(e["ran"], 3.26);
        assert_eq!(e["exit_code"], 3);
        assert_eq!(e["signal"], serde_json::Value::Null);
        assert_eq!(e["status"], "exited 3");
        let s = &lines[1];
        assert_eq!(s["event"], "summary");
        assert_eq!(s["not_running"], serde_json::json!([9]));
        assert_eq!(s["still_running"][0]["name"], "a\\xffb");
        assert_eq!(s["still_running"][0]["ran"], 1.23);
        assert_eq!(s["timed_out"], true);
        assert_eq!(s["waited"], 0.3);
    }
}
