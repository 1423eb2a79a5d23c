//! What `top`'s action keys do to processes, each returning the text of the
//! status line. Every action starts from the process as it was on the
//! screen (PID and start time) and pins it through [`crate::deliver`], so a
//! PID that was reused since the last refresh is left alone: `k` runs
//! `ptool kill`'s own TERM, grace, KILL ([`crate::deliver::terminate`]),
//! `s` sends through a verified pidfd, and `n`/`N` change niceness through
//! `ptool set`'s own [`crate::cmd::set::apply`].

use std::time::Duration;

use crate::deliver::terminate::{Plan, terminate};
use crate::deliver::{self, Miss, Opener, Outcome, Row};
use crate::info::gather::{Context, Options, gather};
use crate::output::Out;
use crate::output::sanitize::escape;
use crate::proc::{Need, Process, Reader, System};
use crate::select::Protected;
use crate::signal::Signal;

/// The processes no key may act on: PID 1, ptool and its ancestors (its
/// shell), as `ptool kill` refuses them without `--force`.
fn refused(procs: &mut Vec<Process>, protected: &Protected, rows: &mut Vec<String>) {
    procs.retain(|p| {
        let refuse = p.pid == 1 || protected.contains(p.pid);
        if refuse {
            rows.push(format!(
                "PID {} ({}): refused (PID 1 or an ancestor of ptool; use ptool kill --force)",
                p.pid,
                escape(&p.stat.name)
            ));
        }
        !refuse
    });
}

/// Pin `procs` as they were on the screen: the targets still there, and a
/// row for each one gone since (or that could not be pinned).
fn pin(procs: &[Process], reader: &mut Reader, signal: Signal) -> (Vec<deliver::Target>, Vec<Row>) {
    let pinned = deliver::pin(procs, reader, Need::CMDLINE, |_| true);
    let mut rows: Vec<Row> = pinned
        .failed
        .iter()
        .map(|u| Row::unpinned(u, signal))
        .collect();
    for p in procs {
        let pid = p.pid;
        if !pinned.targets.iter().any(|t| t.pid == pid)
            && !pinned.failed.iter().any(|u| u.pid == pid)
        {
            rows.push(Row {
                pid,
                name: p.stat.name.clone(),
                command: p.command_line(),
                signal,
                outcome: Outcome::AlreadyGone,
                after: None,
                detail: None,
            });
        }
    }
    (pinned.targets, rows)
}

/// One status line from per-process results.
fn summary(verb: &str, rows: &[String]) -> String {
    match rows {
        [] => format!("{verb}: nothing to do"),
        [one] => format!("{verb}: {one}"),
        many => format!("{verb} {} processes: {}", many.len(), many.join("; ")),
    }
}

fn describe(row: &Row) -> String {
    format!(
        "PID {} ({}): {}",
        row.pid,
        escape(&row.name),
        row.describe()
    )
}

/// `k`: TERM, up to `grace`, then KILL, exactly as `ptool kill` does it.
/// Blocks until every target is settled: run it off the screen's thread.
pub fn kill(mut procs: Vec<Process>, grace: Duration) -> String {
    let mut lines = Vec::new();
    let result = (|| -> anyhow::Result<Vec<Row>> {
        let mut reader = Reader::new()?;
        let protected = Protected::current(&mut reader);
        refused(&mut procs, &protected, &mut lines);
        let (targets, mut rows) = pin(&procs, &mut reader, Signal::TERM);
        let plan = Plan {
            signal: Signal::TERM,
            grace,
            tree: false,
        };
        let mut done = terminate(
            &plan,
            targets,
            None,
            &mut Opener::new(),
            &mut reader,
            &protected,
        )?;
        done.append(&mut rows);
        Ok(done)
    })();
    match result {
        Ok(rows) => lines.extend(rows.iter().map(describe)),
        Err(err) => lines.push(format!("{err:#}")),
    }
    summary("kill", &lines)
}

/// `s`: send `signal` once through a verified pidfd.
pub fn signal(mut procs: Vec<Process>, signal: Signal, reader: &mut Reader) -> String {
    let mut lines = Vec::new();
    let protected = Protected::current(reader);
    refused(&mut procs, &protected, &mut lines);
    let (targets, mut rows) = pin(&procs, reader, signal);
    let mut opener = Opener::new();
    let mut sent_rows = Vec::with_capacity(targets.len() + rows.len());
    for t in &targets {
        let sent = opener.open(t, reader).and_then(|b| b.send(signal, reader));
        let row = match sent {
            Ok(()) => Row::new(t, signal, Outcome::Delivered),
            Err(Miss::Gone) => Row::new(t, signal, Outcome::AlreadyGone),
            Err(Miss::Denied) => Row::new(t, signal, Outcome::PermissionDenied),
            Err(Miss::Failed(why)) => Row::new(t, signal, Outcome::Failed).with_detail(why),
        };
        sent_rows.push(row);
    }
    sent_rows.append(&mut rows);
    lines.extend(sent_rows.iter().map(describe));
    summary(&format!("signal {}", signal.name()), &lines)
}

/// `n`/`N`: change the niceness of each process by `delta` (clamped to
/// -20..19), every thread of it as `ptool set --nice +N` does; in the
/// thread view, of each thread alone. The process is pinned as it was on
/// the screen (a thread row's as it is now, the thread then looked for in
/// it), and [`crate::cmd::set::apply`] checks the pin again after acting.
pub fn renice(procs: Vec<Process>, delta: i32, reader: &mut Reader) -> String {
    use crate::cmd::set::change::Nice;
    use crate::cmd::set::{Changes, SetState, apply};
    let mut opener = Opener::new();
    let mut lines = Vec::new();
    for p in &procs {
        let id = p.tid.unwrap_or(p.pid);
        let who = format!(
            "{} {} ({})",
            if p.tid.is_some() { "TID" } else { "PID" },
            id,
            escape(&p.stat.name)
        );
        // A thread row carries the thread's stat: pin its process as read now.
        let process = match p.tid {
            Some(_) => reader.read(p.pid, Need::STAT),
            None => Some(p.clone()),
        };
        let pinned = process
            .map(|process| deliver::pin(&[process], reader, Need::CMDLINE, |_| true))
            .and_then(|mut pinned| pinned.targets.pop());
        let Some(target) = pinned else {
            lines.push(format!("{who}: already gone"));
            continue;
        };
        let changes = Changes {
            nice: Some(Nice::Relative(delta)),
            thread: p.tid,
            ..Changes::default()
        };
        let report = apply(&target, &changes, false, &mut opener, reader);
        let nice = report.settings.first();
        lines.push(match (report.state, nice) {
            (SetState::Done, Some(s)) if s.error.is_some() => {
                format!(
                    "{who}: {}",
                    escape(s.error.as_deref().unwrap_or("").as_bytes())
                )
            }
            (SetState::Done, Some(s)) if s.changed == 0 => {
                format!("{who}: niceness already {}", s.new.join("/"))
            }
            (SetState::Done, Some(s)) => format!(
                "{who}: niceness {} -> {}{}",
                s.old.join("/"),
                s.new.join("/"),
                if s.threads > 1 {
                    format!(" ({} threads)", s.changed)
                } else {
                    String::new()
                }
            ),
            (SetState::Gone, _) => format!("{who}: ended before it was reniced"),
            _ => format!(
                "{who}: {}",
                escape(report.detail.as_deref().unwrap_or("not changed").as_bytes())
            ),
        });
    }
    summary("renice", &lines)
}

/// The `info` page of `p` as lines `width` wide, or why there is none.
pub fn info_page(p: &Process, width: u16, unicode: bool) -> Vec<String> {
    let page = (|| -> Option<Vec<u8>> {
        let mut ctx = Context::new(Reader::new().ok()?, System::read());
        let opts = Options {
            files_only: false,
            limits: true,
            env: false,
            memory: false,
        };
        let start = if p.tid.is_some() {
            None
        } else {
            Some(p.stat.start_ticks)
        };
        let info = gather(&mut ctx, p.pid, start, opts)?;
        let out = Out {
            width: Some(usize::from(width.max(40))),
            unicode,
            ..Out::PLAIN
        };
        let mut buf = Vec::new();
        crate::info::render::page(&mut buf, &out, &info).ok()?;
        Some(buf)
    })();
    match page {
        Some(buf) => String::from_utf8_lossy(&buf)
            .lines()
            .map(str::to_string)
            .collect(),
        None => vec![format!("PID {} has ended.", p.pid)],
    }
}
