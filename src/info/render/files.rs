//! Open files and sockets: the section of the page, the `--files` table
//! (the `lsof -p` view) and their JSON.

use std::io::{self, Write};

use serde::Serialize;

use super::super::gather::Info;
use super::*;
use crate::output::sanitize::{escape_str, to_json_string};
use crate::output::table::{Align, Column, Table, Text, Visit};
use crate::output::{Out, Paint, paint};
use crate::proc::Field;
use crate::proc::fds::{Kind, OpenFile};

pub(super) fn files_section<W: Write>(
    p: &mut Page<'_, W>,
    files: &Field<Vec<OpenFile>>,
) -> io::Result<()> {
    match files {
        Field::Value(files) => {
            p.heading(&format!("Open files ({})", files.len()))?;
            if !files.is_empty() {
                // Each row made as it is measured and again as it is
                // written: thousands of open files are not held as cells.
                let color = p.out.color;
                p.rows(&file_columns(false), &|visit: Visit<'_>| {
                    files
                        .iter()
                        .try_for_each(|f| visit(&file_row(false, None, f, color)))
                })?;
            }
            Ok(())
        }
        other => {
            p.heading("Open files")?;
            let value = p.field(other, |_| String::new());
            writeln!(p.w, "{INDENT}{value}")
        }
    }
}

/// The TYPE cell: the protocol for a socket, else the kind.
pub(super) fn file_type(f: &OpenFile) -> String {
    match &f.socket {
        Some(s) => escape_str(&s.protocol).into_owned(),
        None => f.kind.as_str().to_string(),
    }
}

/// The MODE cell: `r`, `w`, `rw` or `path`, then the notable flags.
pub(super) fn file_mode(f: &OpenFile) -> String {
    let Some(access) = f.access() else {
        return "-".to_string();
    };
    let mut parts = vec![access.as_str()];
    parts.extend(f.flag_names());
    parts.join(",")
}

/// Whether the offset means something: for files and block devices.
pub(super) fn has_offset(f: &OpenFile) -> bool {
    matches!(f.kind, Kind::File | Kind::BlockDevice)
}

/// The TARGET cell: a path, `pipe:[N]`, or a socket's addresses and state
/// (`127.0.0.1:80->10.0.0.2:5000 (ESTABLISHED)`). Colour is put in the text
/// itself, not on the cell, so the last column carries no padded escapes.
pub(super) fn file_target(f: &OpenFile, color: bool) -> String {
    if let Some(s) = &f.socket {
        let mut out = match (&s.local, &s.remote) {
            (Some(local), Some(remote)) => format!("{}->{}", text(local), escape_str(remote)),
            (Some(local), None) => text(local),
            _ => text(&f.target),
        };
        let detail: Vec<&str> = s.kind.iter().chain(s.state.iter()).copied().collect();
        if !detail.is_empty() {
            out.push_str(&format!(" ({})", detail.join(", ")));
        }
        return out;
    }
    let p = match f.kind {
        Kind::Dir => Paint::Blue,
        Kind::Pipe | Kind::Fifo => Paint::Yellow,
        Kind::AnonInode => Paint::Dim,
        _ => Paint::Plain,
    };
    let mut out = paint(&text(&f.target), p, color);
    if f.deleted {
        out.push(' ');
        out.push_str(&paint("(deleted)", Paint::Red, color));
    }
    out
}

/// The open-files table; with a PID column for `--files`.
pub(super) fn files_table<'a>(
    rows: impl Iterator<Item = (Option<i32>, &'a OpenFile)>,
    with_pid: bool,
    out: &Out,
) -> Table {
    let mut table = Table::new(file_columns(with_pid));
    table.rows = rows
        .map(|(pid, f)| file_row(with_pid, pid, f, out.color))
        .collect();
    table
}

/// The open-files table's columns; with a PID column for `--files`.
pub(super) fn file_columns(with_pid: bool) -> Vec<Column> {
    let mut columns = Vec::new();
    if with_pid {
        columns.push(Column::new("PID", Align::Right));
    }
    columns.extend([
        Column::new("FD", Align::Right),
        Column::new("TYPE", Align::Left),
        Column::new("MODE", Align::Left),
        Column::new("OFFSET", Align::Right),
        Column::new("TARGET", Align::Left),
    ]);
    columns
}

/// One row of the open-files table, with a PID cell (empty without `pid`)
/// when `with_pid`.
pub(super) fn file_row(with_pid: bool, pid: Option<i32>, f: &OpenFile, color: bool) -> Vec<Text> {
    let mut row = Vec::with_capacity(6);
    if with_pid {
        row.push(Text::new(pid.map_or_else(String::new, |p| p.to_string())));
    }
    row.extend([
        Text::new(f.fd.to_string()),
        Text::new(file_type(f)),
        Text::new(file_mode(f)),
        Text::new(match f.pos {
            Some(pos) if has_offset(f) => pos.to_string(),
            _ => "-".to_string(),
        }),
        Text::new(file_target(f, color)),
    ]);
    row
}

/// `--files`: one table for every process, like `lsof -p`. Processes whose
/// descriptors could not be read have no rows (the caller reports them).
pub fn files<W: Write>(w: &mut W, out: &Out, infos: &[Info]) -> io::Result<()> {
    let rows = infos.iter().flat_map(|info| {
        info.files
            .value()
            .into_iter()
            .flatten()
            .map(move |f| (Some(info.pid), f))
    });
    files_table(rows, true, out).render(w, out, true)
}

/// One open descriptor in JSON.
#[derive(Debug, Serialize)]
pub(super) struct FileJson {
    fd: i32,
    #[serde(rename = "type")]
    kind: &'static str,
    target: String,
    deleted: bool,
    mode: Option<&'static str>,
    flags: Vec<&'static str>,
    offset: Option<u64>,
    size: Option<u64>,
    inode: Option<u64>,
    device: Option<String>,
    socket: Option<SocketJson<'static>>,
}

/// What a socket descriptor is connected to, in JSON.
#[derive(Debug, Serialize)]
pub(super) struct SocketJson<'a> {
    protocol: String,
    local: Option<String>,
    remote: Option<String>,
    state: Option<&'a str>,
    #[serde(rename = "type")]
    kind: Option<&'a str>,
}

impl FileJson {
    pub(super) fn of(f: &OpenFile) -> Self {
        FileJson {
            fd: f.fd,
            kind: f.kind.as_str(),
            target: to_json_string(&f.target),
            deleted: f.deleted,
            mode: f.access().map(|a| a.as_str()),
            flags: f.flag_names(),
            offset: f.pos.filter(|_| has_offset(f)),
            size: f.size,
            inode: f.inode,
            device: f.device.map(|(major, minor)| format!("{major}:{minor}")),
            socket: f.socket.as_ref().map(|s| SocketJson {
                protocol: s.protocol.clone(),
                local: s.local.as_deref().map(to_json_string),
                remote: s.remote.clone(),
                state: s.state,
                kind: s.kind,
            }),
        }
    }
}
