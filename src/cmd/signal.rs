//! `ptool signal`: deliver one signal to the targets and report what
//! happened to each (signal 0 is the `os.kill(pid, 0)` liveness check);
//! `ptool signal list` describes every signal; `ptool signal show` decodes
//! which signals processes block, ignore, catch and have pending.

use std::io::Write;

use anyhow::{Context as _, Result};

use crate::cli::{ShowArgs, SignalArgs, SignalView, TargetArgs};
use crate::deliver::{self, Caller, Miss, Opener, Outcome, Row, Target};
use crate::exit::{Exit, usage};
use crate::output::table::{Align, Column, Table, Text};
use crate::output::value::Value;
use crate::output::{Out, Report, emit, emit_no_match, json, sanitize};
use crate::proc::{Need, Reader, System};
use crate::select::Protected;
use crate::signal::{Dispositions, Signal};

pub fn run<W: Write>(args: SignalArgs, out: &Out, w: &mut W) -> Result<Exit> {
    match args.view {
        Some(SignalView::List) => {
            render_list(&list(), out, w)?;
            Ok(Exit::Success)
        }
        Some(SignalView::Show(show)) => run_show(&show, out, w),
        None => {
            let signal = args
                .signal
                .ok_or_else(|| {
                    usage("no signal given: ptool signal SIGNAL PID... (or: ptool signal list, ptool signal show PID)")
                })?;
            run_send(signal, &args.target, out, w)
        }
    }
}

fn run_send<W: Write>(signal: Signal, args: &TargetArgs, out: &Out, w: &mut W) -> Result<Exit> {
    let mut reader = Reader::new().context("cannot open /proc")?;
    let protected = Protected::current(&mut reader);
    let _ = crate::sys::raise_open_files(deliver::OPEN_FILES_WANTED);
    let selection = deliver::resolve(
        &args.select.spec(),
        args.force,
        Caller::Signal,
        &mut reader,
        &protected,
        false,
    )?;
    let mut rows = if args.dry_run {
        selection
            .targets
            .iter()
            .map(|t| Row::new(t, signal, Outcome::WouldSignal))
            .collect()
    } else {
        deliver(signal, &selection.targets, &mut Opener::new(), &mut reader)
    };
    rows.extend(
        selection
            .missing
            .iter()
            .map(|&pid| Row::missing(pid, signal)),
    );
    rows.extend(selection.failed.iter().map(|u| Row::unpinned(u, signal)));
    deliver::render(&rows, out, false, w)?;
    Ok(deliver::exit_for(
        &rows,
        signal == Signal::NULL && !args.dry_run,
    ))
}

/// Deliver `signal` to each target through a verified pidfd and say what
/// happened. A target whose PID now belongs to another process (its start
/// time differs) is reported as gone and not signalled.
pub fn deliver(
    signal: Signal,
    targets: &[Target],
    opener: &mut Opener,
    reader: &mut Reader,
) -> Vec<Row> {
    targets
        .iter()
        .map(|target| {
            let bound = match opener.open(target, reader) {
                Ok(bound) => bound,
                Err(miss) => return missed(target, signal, miss),
            };
            // Asked before sending, on the pidfd: a zombie has exited, and
            // no signal does anything to it any more.
            let exited = bound.has_exited(reader);
            let alive = if exited {
                Outcome::Zombie
            } else if signal == Signal::NULL {
                Outcome::Alive
            } else {
                Outcome::Delivered
            };
            match bound.send(signal, reader) {
                Ok(()) => Row::new(target, signal, alive),
                // For the existence check, "not permitted" still means the
                // process exists (os.kill(pid, 0) raises PermissionError).
                Err(Miss::Denied) if signal == Signal::NULL => {
                    Row::new(target, signal, alive).with_detail("not permitted to signal it")
                }
                Err(miss) => missed(target, signal, miss),
            }
        })
        .collect()
}

fn missed(target: &Target, signal: Signal, miss: Miss) -> Row {
    match miss {
        Miss::Gone => {
            Row::new(target, signal, Outcome::NoSuchProcess).with_detail("exited before the signal")
        }
        Miss::Denied => Row::new(target, signal, Outcome::PermissionDenied),
        Miss::Failed(why) => Row::new(target, signal, Outcome::Failed).with_detail(why),
    }
}

/// One line of `signal list`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SignalInfo {
    pub number: i32,
    pub name: String,
    pub action: crate::signal::Action,
    pub meaning: &'static str,
}

/// Every signal that can be sent, in number order.
pub fn list() -> Vec<SignalInfo> {
    Signal::all()
        .map(|s| SignalInfo {
            number: s.number(),
            name: s.name(),
            action: s.default_action(),
            meaning: s.meaning(),
        })
        .collect()
}

/// `signal list` as printed: a table, or a JSON array of [`SignalInfo`].
#[derive(Debug, Clone, Copy, serde::Serialize)]
#[serde(transparent)]
struct SignalList<'a>(&'a [SignalInfo]);

impl Report for SignalList<'_> {
    fn render<W: Write>(&self, out: &Out, w: &mut W) -> std::io::Result<()> {
        list_table(self.0, out, w)
    }

    fn json<W: Write>(&self, out: &Out, w: &mut W) -> std::io::Result<()> {
        json::write(w, out, self)
    }
}

pub fn render_list<W: Write>(signals: &[SignalInfo], out: &Out, w: &mut W) -> std::io::Result<()> {
    emit(w, out, &SignalList(signals))
}

fn list_table<W: Write>(signals: &[SignalInfo], out: &Out, w: &mut W) -> std::io::Result<()> {
    let mut table = Table::new(vec![
        Column::new("NUM", Align::Right),
        Column::new("NAME", Align::Left),
        Column::new("DEFAULT", Align::Left),
        Column::new("MEANING", Align::Left).elastic(),
    ]);
    table.rows = signals
        .iter()
        .map(|s| {
            vec![
                Text::new(s.number.to_string()),
                Text::new(s.name.clone()),
                Text::new(s.action.as_str()),
                Text::new(s.meaning),
            ]
        })
        .collect();
    table.render(w, out, true)
}

/// One process in `signal show`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub pid: i32,
    pub name: Vec<u8>,
    pub command: Option<Vec<u8>>,
    pub dispositions: Dispositions,
}

fn run_show<W: Write>(args: &ShowArgs, out: &Out, w: &mut W) -> Result<Exit> {
    let selector = args.select.selector()?;
    let mut reader = Reader::new().context("cannot open /proc")?;
    let protected = Protected::current(&mut reader);
    let sys = System::read();
    let need = selector.need();
    let shown_need = Need::STATUS | Need::CMDLINE;
    let pids_only = !selector.has_criteria() && !selector.pids.is_empty();
    let chosen = if pids_only {
        // Shown in the order given, each read once with what is shown.
        let named = selector
            .pids
            .iter()
            .filter_map(|&pid| reader.read(pid, need | shown_need))
            .collect();
        selector.select(named, &sys, &protected)
    } else {
        selector
            .scan(&mut reader, need, &sys, &protected)
            .context("cannot list /proc")?
    };
    let mut shown = Vec::with_capacity(chosen.len());
    for p in chosen {
        let now = if pids_only {
            p
        } else {
            // Only the matches of a scan are read with the status: read
            // again, and skip a process that vanished or whose PID was
            // reused meanwhile.
            match reader.read(p.pid, shown_need) {
                Some(now) if now.stat.start_ticks == p.stat.start_ticks => now,
                _ => continue,
            }
        };
        let Some(status) = &now.status else {
            continue;
        };
        shown.push(Shown {
            pid: now.pid,
            name: now.stat.name.clone(),
            command: now.command_line(),
            dispositions: Dispositions::from_status(status),
        });
    }
    if shown.is_empty() {
        emit_no_match(w, out)?;
        return Ok(Exit::NoMatch);
    }
    render_show(&shown, out, w)?;
    Ok(Exit::Success)
}

fn joined(signals: &[Signal]) -> String {
    if signals.is_empty() {
        "-".to_string()
    } else {
        let names: Vec<String> = signals.iter().map(|s| s.name()).collect();
        names.join(",")
    }
}

/// One process of `signal show` as JSON (fields as documented in the README;
/// `info` prints the same four lists).
#[derive(Debug, serde::Serialize)]
struct ShownJson<'a> {
    pid: i32,
    name: String,
    cmd: Option<String>,
    #[serde(flatten)]
    dispositions: &'a Dispositions,
}

impl Shown {
    fn json(&self) -> ShownJson<'_> {
        ShownJson {
            pid: self.pid,
            name: sanitize::to_json_string(&self.name),
            cmd: self.command.as_deref().map(sanitize::to_json_string),
            dispositions: &self.dispositions,
        }
    }
}

/// `signal show` as printed: a table, or a JSON array of objects.
#[derive(Debug, Clone, Copy)]
struct ShowReport<'a>(&'a [Shown]);

impl serde::Serialize for ShowReport<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(Shown::json))
    }
}

impl Report for ShowReport<'_> {
    fn render<W: Write>(&self, out: &Out, w: &mut W) -> std::io::Result<()> {
        show_table(self.0, out, w)
    }

    fn json<W: Write>(&self, out: &Out, w: &mut W) -> std::io::Result<()> {
        json::write(w, out, self)
    }
}

/// The dispositions as a table (PID, BLOCKED, IGNORED, CAUGHT, PENDING,
/// COMMAND; lists comma-separated, `-` for none) or JSON arrays of names.
pub fn render_show<W: Write>(shown: &[Shown], out: &Out, w: &mut W) -> std::io::Result<()> {
    emit(w, out, &ShowReport(shown))
}

fn show_table<W: Write>(shown: &[Shown], out: &Out, w: &mut W) -> std::io::Result<()> {
    let mut table = Table::new(vec![
        Column::new("PID", Align::Right),
        Column::new("BLOCKED", Align::Left),
        Column::new("IGNORED", Align::Left),
        Column::new("CAUGHT", Align::Left),
        Column::new("PENDING", Align::Left),
        Column::new("COMMAND", Align::Left).elastic(),
    ]);
    table.rows = shown
        .iter()
        .map(|s| {
            let d = &s.dispositions;
            let command = Value::command(s.command.clone(), &s.name);
            vec![
                Text::new(s.pid.to_string()),
                Text::new(joined(&d.blocked)),
                Text::new(joined(&d.ignored)),
                Text::new(joined(&d.caught)),
                Text::new(joined(&d.pending)),
                Text::new(command.display()),
            ]
        })
        .collect();
    table.render(w, out, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
        let mut buf = Vec::new();
        f(&mut buf).expect("renders");
        String::from_utf8(buf).expect("utf-8")
    }

    fn sig(n: i32) -> Signal {
        Signal::from_number(n).expect("valid")
    }

    #[test]
    fn list_has_every_signal_with_its_action() {
        let all = list();
        assert_eq!(all.len(), Signal::all().count());
        let t = text(|w| render_list(&all, &Out::PLAIN, w));
        let mut lines = t.lines();
        assert_eq!(lines.next(), Some("NUM\tNAME\tDEFAULT\tMEANING"));
        assert_eq!(
            lines.next(),
            Some("1\tHUP\tterminate\thangup: the terminal closed; daemons often reload")
        );
        assert!(t.contains("\n9\tKILL\tterminate\tkill at once"));
        assert!(t.contains("\n19\tSTOP\tstop\t"));
        assert!(t.contains("\n17\tCHLD\tignore\t"));
        assert!(t.contains("\tRTMIN+1\tterminate\treal-time"));
        let out = Out {
            json: true,
            ..Out::PLAIN
        };
        let v: serde_json::Value =
            serde_json::from_str(&text(|w| render_list(&all, &out, w))).expect("JSON");
        assert_eq!(v[14]["number"], 15);
        assert_eq!(v[14]["name"], "TERM");
        assert_eq!(v[14]["action"], "terminate");
        assert_eq!(v[2]["action"], "core");
    }

    fn shown() -> Vec<Shown> {
        vec![
            Shown {
                pid: 42,
                name: b"victim".to_vec(),
                command: Some(b"victim --ignore TERM".to_vec()),
                dispositions: Dispositions {
                    blocked: vec![],
                    ignored: vec![Signal::TERM],
                    caught: vec![Signal::USR1, Signal::USR2],
                    pending: vec![sig(2)],
                },
            },
            Shown {
                pid: 7,
                name: b"z\x1b".to_vec(),
                command: None,
                dispositions: Dispositions::default(),
            },
        ]
    }

    #[test]
    fn show_as_a_table() {
        let t = text(|w| render_show(&shown(), &Out::PLAIN, w));
        assert_eq!(
            t,
            "PID\tBLOCKED\tIGNORED\tCAUGHT\tPENDING\tCOMMAND\n\
             42\t-\tTERM\tUSR1,USR2\tINT\tvictim --ignore TERM\n\
             7\t-\t-\t-\t-\t[z\\e]\n"
        );
    }

    #[test]
    fn show_as_json() {
        let out = Out {
            json: true,
            ..Out::PLAIN
        };
        let v: serde_json::Value =
            serde_json::from_str(&text(|w| render_show(&shown(), &out, w))).expect("JSON");
        assert_eq!(v[0]["ignored"], serde_json::json!(["TERM"]));
        assert_eq!(v[0]["caught"], serde_json::json!(["USR1", "USR2"]));
        assert_eq!(v[0]["blocked"], serde_json::json!([]));
        assert_eq!(v[0]["pending"], serde_json::json!(["INT"]));
        assert_eq!(v[1]["cmd"], serde_json::Value::Null);
        assert_eq!(v[1]["name"], "z\x1b");
    }
}
