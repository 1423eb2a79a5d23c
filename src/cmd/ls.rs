//! `ptool ls`: the `ps aux` / `pgrep` view. Gathers the selected processes
//! into rows of typed values (a [`Listing`]), then prints it through
//! [`crate::output::emit`]: a table or a JSON array of objects keyed by
//! column, or with `--pids` a [`PidList`].

use std::io::Write;

use anyhow::{Context as _, Result};

use crate::cli::LsArgs;
use crate::columns::{self, Column, Context, CpuTicks, sampled_cpu};
use crate::exit::Exit;
use crate::listing::{Listing, gather, render_table};
use crate::output::{Out, PidList, Report, emit, emit_no_match, json};
use crate::proc::{Need, Reader, System};
use crate::select::Protected;

/// What `ls` prints: the listing, as a table with or without its header.
#[derive(Debug, serde::Serialize)]
#[serde(transparent)]
struct Shown<'a> {
    listing: &'a Listing,
    #[serde(skip)]
    header: bool,
}

impl Report for Shown<'_> {
    fn render<W: Write>(&self, out: &Out, w: &mut W) -> std::io::Result<()> {
        render_table(self.listing, out, self.header, w)
    }

    fn json<W: Write>(&self, out: &Out, w: &mut W) -> std::io::Result<()> {
        json::write(w, out, self)
    }
}

pub fn run<W: Write>(args: LsArgs, out: &Out, w: &mut W) -> Result<Exit> {
    let selector = args.select.selector()?;
    let columns = choose_columns(&args);
    let pids_only = args.pids || out.quiet;
    let mut need = selector.need();
    if !pids_only {
        for c in columns.iter().chain(args.sort.iter().map(|k| &k.column)) {
            need |= c.need();
        }
    }

    let mut reader = Reader::new().context("cannot open /proc")?;
    let protected = Protected::current(&mut reader);
    let before = match args.sample {
        Some(interval) => {
            let ticks = cpu_ticks(&mut reader, args.threads)?;
            std::thread::sleep(interval);
            Some((ticks, interval))
        }
        None => None,
    };

    let sys = System::read();
    // PIDs in PID order (`pgrep`'s job) need nothing kept: each is printed
    // as it is found, so memory stays flat however many match.
    if pids_only && !out.json && args.sort.is_empty() && selector.pick.is_none() {
        let mut printed = 0usize;
        let mut failed = None;
        let found = selector
            .scan_each(&mut reader, need, &sys, &protected, |reader, p| {
                if out.quiet {
                    // The answer is the exit code: the first match gives it.
                    return false;
                }
                let ids: Vec<i32> = if args.threads {
                    reader
                        .threads(p.pid, Need::STAT)
                        .iter()
                        .map(|t| t.tid.unwrap_or(t.pid))
                        .collect()
                } else {
                    vec![p.pid]
                };
                for id in ids {
                    if args.limit.is_some_and(|limit| printed >= limit) {
                        return false;
                    }
                    printed += 1;
                    if let Err(e) = writeln!(w, "{id}") {
                        failed = Some(e);
                        return false;
                    }
                }
                true
            })
            .context("cannot list /proc")?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        return Ok(if found == 0 {
            Exit::NoMatch
        } else {
            Exit::Success
        });
    }
    let mut procs = selector
        .scan(&mut reader, need, &sys, &protected)
        .context("cannot list /proc")?;
    if args.threads {
        procs = procs
            .iter()
            .flat_map(|p| reader.threads(p.pid, need))
            .collect();
    }
    if procs.is_empty() {
        emit_no_match(w, out)?;
        return Ok(Exit::NoMatch);
    }

    let mut ctx = Context::new(sys);
    if let Some((before, interval)) = before {
        ctx.sampled_cpu = Some(sampled_cpu(&before, &procs, &sys, interval.as_secs_f64()));
    }
    let listing = gather(&procs, &columns, &args.sort, args.limit, &mut ctx);
    if args.pids {
        emit(w, out, &pid_list(&listing))?;
    } else {
        let shown = Shown {
            listing: &listing,
            header: !args.no_header,
        };
        emit(w, out, &shown)?;
    }
    Ok(Exit::Success)
}

fn choose_columns(args: &LsArgs) -> Vec<Column> {
    let specs: Vec<_> = args.columns.iter().map(|c| (c.column, c.add)).collect();
    let mut columns = columns::choose(&specs, args.threads);
    // psutil's threads(): each thread's user and system time, unless the
    // columns were chosen outright.
    if args.threads
        && args.columns.iter().all(|c| c.add)
        && let Some(at) = columns.iter().position(|c| *c == Column::Time)
    {
        for (i, c) in [Column::Utime, Column::Stime].into_iter().enumerate() {
            if !columns.contains(&c) {
                columns.insert(at + 1 + i, c);
            }
        }
    }
    columns
}

fn cpu_ticks(reader: &mut Reader, threads: bool) -> Result<CpuTicks> {
    let procs = reader.all(Need::STAT).context("cannot list /proc")?;
    let mut out = Vec::with_capacity(procs.len());
    for p in procs {
        if threads {
            for t in reader.threads(p.pid, Need::STAT) {
                out.push(((t.pid, t.tid), (t.stat.cpu_ticks(), t.stat.start_ticks)));
            }
        } else {
            out.push(((p.pid, None), (p.stat.cpu_ticks(), p.stat.start_ticks)));
        }
    }
    Ok(CpuTicks::new(out))
}

/// `--pids`: the IDs listed (thread IDs with `--threads`).
pub fn pid_list(listing: &Listing) -> PidList {
    PidList(
        listing
            .rows
            .iter()
            .map(|r| r.tid.unwrap_or(r.pid))
            .collect(),
    )
}

/// `--pids`: one ID a line, or a JSON array.
#[cfg(test)]
fn render_pids<W: Write>(listing: &Listing, out: &Out, w: &mut W) -> std::io::Result<()> {
    emit(w, out, &pid_list(listing))
}

/// `--json`: an array of objects keyed by column key.
#[cfg(test)]
fn render_json<W: Write>(listing: &Listing, out: &Out, w: &mut W) -> std::io::Result<()> {
    json::write(w, out, listing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::Row;
    use crate::output::value::Value;

    fn listing() -> Listing {
        Listing {
            columns: vec![Column::Pid, Column::State, Column::Rss, Column::Cmd],
            rows: vec![
                Row {
                    pid: 1,
                    tid: None,
                    values: vec![
                        Value::Int(1),
                        Value::Text("S".into()),
                        Value::Size(4096),
                        Value::Bytes(b"init".to_vec()),
                    ],
                },
                Row {
                    pid: 7,
                    tid: None,
                    values: vec![
                        Value::Int(7),
                        Value::Text("Z".into()),
                        Value::Size(0),
                        Value::Shown(b"[evil\x1b] <defunct>".to_vec()),
                    ],
                },
            ],
        }
    }

    fn text(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
        let mut buf = Vec::new();
        f(&mut buf).expect("renders");
        String::from_utf8(buf).expect("utf-8")
    }

    #[test]
    fn table_in_a_pipe() {
        let t = text(|w| render_table(&listing(), &Out::PLAIN, true, w));
        assert_eq!(
            t,
            "PID\tSTATE\tRSS\tCOMMAND\n1\tS\t4.0K\tinit\n7\tZ\t0\t[evil\\e] <defunct>\n"
        );
    }

    #[test]
    fn json_uses_column_keys_and_numbers() {
        let t = text(|w| render_json(&listing(), &Out::PLAIN, w));
        let v: serde_json::Value = serde_json::from_str(&t).expect("valid JSON");
        assert_eq!(v[0]["pid"], 1);
        assert_eq!(v[0]["rss"], 4096);
        assert_eq!(v[0]["cmd"], "init");
        assert_eq!(v[1]["cmd"], serde_json::Value::Null);
        assert_eq!(v[1]["state"], "Z");
    }

    #[test]
    fn pids_one_a_line() {
        let t = text(|w| render_pids(&listing(), &Out::PLAIN, w));
        assert_eq!(t, "1\n7\n");
    }
}
