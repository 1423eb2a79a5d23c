//! The `set` report: one row per process and setting (old → new, threads
//! changed, result), or with `--json` one object per process.

use std::io::{self, Write};

use serde::Serialize;

use super::apply::{SetReport, SetState, SettingOutcome, SettingReport};
use crate::output::table::{Align, Column, Table, Text};
use crate::output::value::Value;
use crate::output::{Out, Paint, Report, json, sanitize};

fn paint(result: SettingOutcome) -> Paint {
    match result {
        SettingOutcome::Changed => Paint::Green,
        SettingOutcome::Unchanged | SettingOutcome::WouldChange | SettingOutcome::WouldStay => {
            Paint::Dim
        }
        SettingOutcome::Failed => Paint::Red,
    }
}

fn values(list: &[String]) -> String {
    if list.is_empty() {
        "-".to_string()
    } else {
        sanitize::escape_str(&list.join(" / ")).into_owned()
    }
}

fn describe(s: &SettingReport) -> String {
    let text = match s.result {
        SettingOutcome::Changed => "changed",
        SettingOutcome::Unchanged => "unchanged",
        SettingOutcome::WouldChange => "would change",
        SettingOutcome::WouldStay => "would stay",
        SettingOutcome::Failed => "failed",
    };
    match &s.error {
        Some(why) => format!("{text}: {}", sanitize::escape_str(why)),
        None => text.to_string(),
    }
}

fn state_text(r: &SetReport) -> (String, Paint) {
    let (text, paint) = match r.state {
        SetState::Done => ("done", Paint::Plain),
        SetState::Gone => ("gone", Paint::Dim),
        SetState::NoSuchProcess => ("no such process", Paint::Red),
        SetState::Failed => ("failed", Paint::Red),
    };
    match &r.detail {
        Some(d) => (format!("{text}: {}", sanitize::escape_str(d)), paint),
        None => (text.to_string(), paint),
    }
}

fn command(r: &SetReport) -> Value {
    if r.command.is_none() && r.name.is_empty() {
        return Value::None;
    }
    Value::command(r.command.clone(), &r.name)
}

/// The threads cell: changed of all (`-` for a process-wide limit).
fn threads(s: &SettingReport) -> String {
    if s.setting.starts_with("limit:") {
        "-".to_string()
    } else {
        format!("{}/{}", s.changed, s.threads)
    }
}

/// What one run of `set` printed: a report per process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetResults(pub Vec<SetReport>);

impl Report for SetResults {
    fn render<W: Write>(&self, out: &Out, w: &mut W) -> io::Result<()> {
        table(&self.0, out, w)
    }

    fn json<W: Write>(&self, out: &Out, w: &mut W) -> io::Result<()> {
        let all: Vec<SetJson<'_>> = self.0.iter().map(SetJson::of).collect();
        json::write(w, out, &all)
    }
}

/// The table: a row per process and setting.
fn table<W: Write>(reports: &[SetReport], out: &Out, w: &mut W) -> io::Result<()> {
    if reports.is_empty() {
        return Ok(());
    }
    let mut table = Table::new(vec![
        Column::new("PID", Align::Right),
        Column::new("SETTING", Align::Left),
        Column::new("OLD", Align::Left),
        Column::new("NEW", Align::Left),
        Column::new("THREADS", Align::Right),
        Column::new("RESULT", Align::Left),
        Column::new("COMMAND", Align::Left).elastic(),
    ]);
    for r in reports {
        let cmd = command(r).display();
        if r.state != SetState::Done || r.settings.is_empty() {
            let (text, paint) = state_text(r);
            let threads = if r.state == SetState::Done {
                r.threads.to_string()
            } else {
                "-".to_string()
            };
            table.rows.push(vec![
                Text::new(r.pid.to_string()),
                Text::new("-"),
                Text::new("-"),
                Text::new("-"),
                Text::new(threads),
                Text::painted(text, paint),
                Text::painted(cmd.clone(), Paint::Dim),
            ]);
            continue;
        }
        for s in &r.settings {
            let mut result = describe(s);
            if r.ended_threads > 0 && !s.setting.starts_with("limit:") {
                let n = r.ended_threads;
                result.push_str(&format!(
                    " ({n} thread{} ended meanwhile)",
                    if n == 1 { "" } else { "s" }
                ));
            }
            table.rows.push(vec![
                Text::new(r.pid.to_string()),
                Text::new(s.setting.clone()),
                Text::new(values(&s.old)),
                Text::new(values(&s.new)),
                Text::new(threads(s)),
                Text::painted(result, paint(s.result)),
                Text::painted(cmd.clone(), Paint::Dim),
            ]);
        }
    }
    table.render(w, out, true)
}

/// One setting of a process in JSON.
#[derive(Debug, Serialize)]
struct SettingJson<'a> {
    setting: &'a str,
    old: &'a [String],
    new: &'a [String],
    threads: usize,
    changed: usize,
    failed: usize,
    result: &'static str,
    error: Option<&'a str>,
}

impl<'a> SettingJson<'a> {
    fn of(s: &'a SettingReport) -> Self {
        SettingJson {
            setting: &s.setting,
            old: &s.old,
            new: &s.new,
            threads: s.threads,
            changed: s.changed,
            failed: s.failed,
            result: s.result.key(),
            error: s.error.as_deref(),
        }
    }
}

/// One process of `set` in JSON.
#[derive(Debug, Serialize)]
struct SetJson<'a> {
    pid: i32,
    name: Option<String>,
    cmd: Value,
    result: &'static str,
    threads: usize,
    ended_threads: usize,
    error: Option<&'a str>,
    settings: Vec<SettingJson<'a>>,
}

impl<'a> SetJson<'a> {
    fn of(r: &'a SetReport) -> Self {
        let result = match r.state {
            SetState::Done if r.is_failure() => "failed",
            SetState::Done => "done",
            SetState::Gone => "gone",
            SetState::NoSuchProcess => "no_such_process",
            SetState::Failed => "failed",
        };
        SetJson {
            pid: r.pid,
            name: (!r.name.is_empty()).then(|| sanitize::to_json_string(&r.name)),
            cmd: command(r),
            result,
            threads: r.threads,
            ended_threads: r.ended_threads,
            error: r.detail.as_deref(),
            settings: r.settings.iter().map(SettingJson::of).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value as Json;

    use super::*;
    use crate::output::emit;

    fn setting(name: &str, old: &[&str], new: &[&str], result: SettingOutcome) -> SettingReport {
        SettingReport {
            setting: name.to_string(),
            old: old.iter().map(|s| s.to_string()).collect(),
            new: new.iter().map(|s| s.to_string()).collect(),
            threads: 4,
            changed: if result == SettingOutcome::Changed {
                4
            } else {
                0
            },
            failed: if result == SettingOutcome::Failed {
                4
            } else {
                0
            },
            result,
            error: (result == SettingOutcome::Failed).then(|| "permission denied: x".to_string()),
        }
    }

    fn reports() -> Vec<SetReport> {
        vec![
            SetReport {
                pid: 10,
                name: b"victim".to_vec(),
                command: Some(b"victim --threads 3".to_vec()),
                state: SetState::Done,
                detail: None,
                threads: 4,
                ended_threads: 0,
                settings: vec![
                    setting("nice", &["0"], &["5"], SettingOutcome::Changed),
                    setting("cpus", &["0-1"], &["0-1"], SettingOutcome::Unchanged),
                    setting("sched", &["other"], &["other"], SettingOutcome::Failed),
                    SettingReport {
                        threads: 1,
                        changed: 1,
                        ..setting(
                            "limit:nofile",
                            &["1024:4096"],
                            &["64:4096"],
                            SettingOutcome::Changed,
                        )
                    },
                ],
            },
            SetReport {
                pid: 11,
                name: b"evil\x1b".to_vec(),
                command: None,
                state: SetState::Gone,
                detail: Some("ended before it could be changed".into()),
                threads: 0,
                ended_threads: 0,
                settings: vec![],
            },
            SetReport::missing(4_000_000),
        ]
    }

    fn text(out: &Out) -> String {
        let mut buf = Vec::new();
        emit(&mut buf, out, &SetResults(reports())).expect("renders");
        String::from_utf8(buf).expect("utf-8")
    }

    #[test]
    fn a_row_per_setting() {
        assert_eq!(
            text(&Out::PLAIN),
            "PID\tSETTING\tOLD\tNEW\tTHREADS\tRESULT\tCOMMAND\n\
             10\tnice\t0\t5\t4/4\tchanged\tvictim --threads 3\n\
             10\tcpus\t0-1\t0-1\t0/4\tunchanged\tvictim --threads 3\n\
             10\tsched\tother\tother\t0/4\tfailed: permission denied: x\tvictim --threads 3\n\
             10\tlimit:nofile\t1024:4096\t64:4096\t-\tchanged\tvictim --threads 3\n\
             11\t-\t-\t-\t-\tgone: ended before it could be changed\t[evil\\e]\n\
             4000000\t-\t-\t-\t-\tno such process\t-\n"
        );
    }

    #[test]
    fn json_per_process() {
        let out = Out {
            json: true,
            ..Out::PLAIN
        };
        let v: Json = serde_json::from_str(&text(&out)).expect("JSON");
        assert_eq!(v[0]["pid"], 10);
        assert_eq!(v[0]["result"], "failed");
        assert_eq!(v[0]["threads"], 4);
        assert_eq!(v[0]["settings"][0]["setting"], "nice");
        assert_eq!(v[0]["settings"][0]["old"], serde_json::json!(["0"]));
        assert_eq!(v[0]["settings"][0]["new"], serde_json::json!(["5"]));
        assert_eq!(v[0]["settings"][0]["result"], "changed");
        assert_eq!(v[0]["settings"][2]["error"], "permission denied: x");
        assert_eq!(v[1]["result"], "gone");
        assert_eq!(v[1]["name"], "evil\x1b");
        assert_eq!(v[1]["cmd"], Json::Null);
        assert_eq!(v[2]["result"], "no_such_process");
        let quiet = Out {
            quiet: true,
            ..Out::PLAIN
        };
        let mut buf = Vec::new();
        emit(&mut buf, &quiet, &SetResults(reports())).expect("renders");
        assert!(buf.is_empty());
    }
}
