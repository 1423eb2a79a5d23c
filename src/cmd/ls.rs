//! `ptool ls`: the `ps aux` / `pgrep` view. Gathers the selected processes
//! into rows of typed values (a [`Listing`]), then prints it through
//! [`crate::output::emit`]: a table or a JSON array of objects keyed by
//! column, or with `--pids` a [`PidList`].

use std::collections::HashMap;
use std::io::Write;

use anyhow::{Context as _, Result};

use crate::cli::LsArgs;
use crate::columns::{self, Column, Context, SortKey};
use crate::exit::Exit;
use crate::output::table::{Column as TableColumn, Table, Text};
use crate::output::value::Value;
use crate::output::{Out, Paint, PidList, Report, emit, emit_no_match, json};
use crate::proc::{Need, Process, Reader, System};
use crate::select::Protected;

/// The gathered listing: which columns, and one row of values per process.
/// As JSON: an array with one object per row, keyed by column key.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

impl serde::Serialize for Listing {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap as _, SerializeSeq as _};
        struct Object<'a>(&'a [Column], &'a [Value]);
        impl serde::Serialize for Object<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(Some(self.0.len()))?;
                for (column, value) in self.0.iter().zip(self.1) {
                    map.serialize_entry(column.key(), value)?;
                }
                map.end()
            }
        }
        let mut seq = s.serialize_seq(Some(self.rows.len()))?;
        for row in &self.rows {
            seq.serialize_element(&Object(&self.columns, &row.values))?;
        }
        seq.end()
    }
}

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

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub pid: i32,
    pub tid: Option<i32>,
    pub values: Vec<Value>,
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
    let mut columns: Vec<Column> = columns::DEFAULT.to_vec();
    if args.threads {
        columns.insert(1, Column::Tid);
    }
    let adds_only = args.columns.iter().all(|c| c.add);
    if !args.columns.is_empty() && !adds_only {
        columns.clear();
    }
    for spec in &args.columns {
        if !columns.contains(&spec.column) {
            // Added columns go before the command, which stays last.
            match columns.iter().position(|c| *c == Column::Cmd) {
                Some(at) if spec.add => columns.insert(at, spec.column),
                _ => columns.push(spec.column),
            }
        }
    }
    columns
}

/// Compute the rows, sort them and apply the limit.
pub fn gather(
    procs: &[Process],
    columns: &[Column],
    sort: &[SortKey],
    limit: Option<usize>,
    ctx: &mut Context,
) -> Listing {
    let mut keyed: Vec<(Vec<Value>, Row)> = procs
        .iter()
        .map(|p| {
            let keys = sort.iter().map(|k| ctx.value(k.column, p)).collect();
            let values = columns.iter().map(|c| ctx.value(*c, p)).collect();
            (
                keys,
                Row {
                    pid: p.pid,
                    tid: p.tid,
                    values,
                },
            )
        })
        .collect();
    if !sort.is_empty() {
        // Stable: ties keep PID order.
        keyed.sort_by(|(a, _), (b, _)| {
            sort.iter()
                .zip(a.iter().zip(b))
                .map(|(key, (x, y))| {
                    let order = x.compare(y);
                    if key.descending {
                        order.reverse()
                    } else {
                        order
                    }
                })
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
    let mut rows: Vec<Row> = keyed.into_iter().map(|(_, row)| row).collect();
    if let Some(limit) = limit {
        rows.truncate(limit);
    }
    Listing {
        columns: columns.to_vec(),
        rows,
    }
}

/// CPU ticks per (pid, tid) and start time, for `--sample`.
type Ticks = HashMap<(i32, Option<i32>), (u64, u64)>;

fn cpu_ticks(reader: &mut Reader, threads: bool) -> Result<Ticks> {
    let procs = reader.all(Need::STAT).context("cannot list /proc")?;
    let mut out = HashMap::with_capacity(procs.len());
    for p in procs {
        if threads {
            for t in reader.threads(p.pid, Need::STAT) {
                out.insert((t.pid, t.tid), (t.stat.cpu_ticks(), t.stat.start_ticks));
            }
        } else {
            out.insert((p.pid, None), (p.stat.cpu_ticks(), p.stat.start_ticks));
        }
    }
    Ok(out)
}

/// %CPU over the sampling interval; a process that started during the
/// interval is measured over the part it lived.
fn sampled_cpu(
    before: &Ticks,
    procs: &[Process],
    sys: &System,
    interval: f64,
) -> HashMap<(i32, Option<i32>), f64> {
    procs
        .iter()
        .map(|p| {
            let key = (p.pid, p.tid);
            let now = p.stat.cpu_ticks();
            let (used, window) = match before.get(&key) {
                Some(&(ticks, start)) if start == p.stat.start_ticks => {
                    (now.saturating_sub(ticks), interval)
                }
                _ => (now, sys.age(p.stat.start_ticks).min(interval)),
            };
            let pct = if window > 0.0 {
                sys.ticks_to_secs(used) * 100.0 / window
            } else {
                0.0
            };
            (key, pct)
        })
        .collect()
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
pub fn render_pids<W: Write>(listing: &Listing, out: &Out, w: &mut W) -> std::io::Result<()> {
    emit(w, out, &pid_list(listing))
}

/// `--json`: an array of objects keyed by column key.
pub fn render_json<W: Write>(listing: &Listing, out: &Out, w: &mut W) -> std::io::Result<()> {
    json::write(w, out, listing)
}

/// The human table: the command column (or the last path column) is the one
/// cut to fit a terminal.
pub fn render_table<W: Write>(
    listing: &Listing,
    out: &Out,
    header: bool,
    w: &mut W,
) -> std::io::Result<()> {
    let elastic = listing
        .columns
        .iter()
        .rposition(|c| matches!(c, Column::Cmd | Column::Exe | Column::Cwd));
    let mut table = Table::new(
        listing
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let column = TableColumn::new(c.header(), c.align());
                if Some(i) == elastic {
                    column.elastic()
                } else {
                    column
                }
            })
            .collect(),
    );
    table.rows = listing
        .rows
        .iter()
        .map(|row| {
            listing
                .columns
                .iter()
                .zip(&row.values)
                .map(|(c, v)| Text::painted(v.display(), paint_for(*c, v)))
                .collect()
        })
        .collect();
    table.render(w, out, header)
}

fn paint_for(column: Column, value: &Value) -> Paint {
    match (column, value) {
        (Column::State, Value::Text(s)) => Paint::for_state(s.bytes().next().unwrap_or(0)),
        (Column::Cmd, Value::Shown(_)) => Paint::Dim,
        _ => Paint::Plain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
