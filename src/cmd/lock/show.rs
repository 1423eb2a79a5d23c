//! `ptool lock show`: who holds each lock and who waits for it.
//!
//! `/proc/locks` lists every lock and blocked request with a PID, but that
//! PID is the process that *took* the lock: with `flock` it may have exited
//! while a child that inherited the descriptor holds on. So the holders are
//! found the other way round: every process's descriptors on the lock's
//! files whose `fdinfo` has a `lock:` line. A holder whose parent holds the
//! same lock (`flock(1)` and its command share the descriptor) is shown as
//! its parent's command. Waiters are the blocked requests in `/proc/locks`
//! (a waiting process is alive: it is blocked in `flock`).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use super::name::{self, LockName};
use crate::cli::lock::LockShowArgs;
use crate::exit::Exit;
use crate::output::sanitize::{escape, to_json_string};
use crate::output::table::{Align, Column, Table, Text};
use crate::output::{Out, Paint, Report, emit, json, value};
use crate::proc::locks::{self, KernelLock, OpenLockFile};
use crate::proc::system::System;
use crate::proc::{Need, Reader};
use crate::sys::time::LocalTime;

/// One lock, as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LockState {
    /// The name as given (or the file name in ptool's lock directory).
    pub name: String,
    /// The path of its own file (slot 0).
    pub path: String,
    /// Its slot files found (1 for a plain lock).
    pub slots: usize,
    pub holders: Vec<LockHolder>,
    pub waiters: Vec<LockWaiter>,
}

/// A process holding a slot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LockHolder {
    pub slot: usize,
    /// `exclusive` or `shared`.
    pub mode: &'static str,
    pub pid: i32,
    /// Its command line.
    pub command: String,
    /// When the holder's command started (Unix seconds): its child's start
    /// for ptool or `flock(1)`, else its own.
    pub since: Option<f64>,
    /// `since` in local time, for the table.
    #[serde(skip)]
    pub since_local: Option<LocalTime>,
    /// The command running under the holder (ptool's COMMAND), if any.
    pub command_pid: Option<i32>,
    pub command_line: Option<String>,
    /// The PID `/proc/locks` gives: the process that took the lock.
    pub locked_by: Option<i32>,
}

/// A process blocked waiting for the lock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LockWaiter {
    pub pid: i32,
    pub mode: &'static str,
    pub command: String,
    /// When it started (Unix seconds): how long it may have waited.
    pub since: Option<f64>,
    #[serde(skip)]
    pub since_local: Option<LocalTime>,
    /// The slots it waits on.
    pub slots: Vec<usize>,
}

pub fn run<W: Write>(args: &LockShowArgs, out: &Out, w: &mut W) -> Result<Exit> {
    let (found, missing) = find(&args.names)?;
    for name in &missing {
        crate::output::warn(&format!("no lock '{name}'"));
    }
    let mut reader = Reader::new()?;
    let system = System::read();
    let states = gather(&found, &mut reader, &system);
    emit(
        w,
        out,
        &Shown {
            states: &states,
            now: system.now,
        },
    )?;
    Ok(if missing.is_empty() {
        Exit::Success
    } else {
        Exit::NoMatch
    })
}

/// A lock's files: for each slot, its path.
#[derive(Debug, Clone)]
struct LockFiles {
    name: String,
    files: BTreeMap<usize, PathBuf>,
}

/// The locks to show, and the names given that have no file.
fn find(names: &[OsString]) -> Result<(Vec<LockFiles>, Vec<String>)> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    if names.is_empty() {
        let Ok(dir) = name::private_dir_path() else {
            return Ok((found, missing));
        };
        let mut groups: BTreeMap<OsString, BTreeMap<usize, PathBuf>> = BTreeMap::new();
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let file = entry.file_name();
            let (base, slot) = name::parse_slot(&file);
            groups.entry(base).or_default().insert(slot, entry.path());
        }
        for (base, files) in groups {
            found.push(LockFiles {
                name: escape(base.as_bytes()).into_owned(),
                files,
            });
        }
        return Ok((found, missing));
    }
    for raw in names {
        let lock = LockName::parse(raw)?;
        let dir = match &lock.dir {
            Some(dir) => dir.clone(),
            None => match name::private_dir_path() {
                Ok(dir) => dir,
                Err(_) => {
                    missing.push(lock.shown);
                    continue;
                }
            },
        };
        let mut files = BTreeMap::new();
        if std::fs::symlink_metadata(dir.join(&lock.base)).is_ok() {
            files.insert(0, dir.join(&lock.base));
        }
        let prefix = {
            let mut p = lock.base.as_bytes().to_vec();
            p.push(b'#');
            p
        };
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let file = entry.file_name();
            if !file.as_bytes().starts_with(&prefix) {
                continue;
            }
            let (base, slot) = name::parse_slot(&file);
            if slot > 0 && base == lock.base {
                files.insert(slot, entry.path());
            }
        }
        if files.is_empty() {
            missing.push(lock.shown);
        } else {
            found.push(LockFiles {
                name: lock.shown,
                files,
            });
        }
    }
    Ok((found, missing))
}

/// A file as `/proc/locks` names it: device major, minor, inode.
type FileId = (u32, u32, u64);

/// The device and inode of each slot file (not following symlinks).
fn file_ids(found: &LockFiles) -> Vec<(usize, FileId)> {
    found
        .files
        .iter()
        .filter_map(|(&slot, path)| Some((slot, crate::sys::flock::path_id(path)?)))
        .collect()
}

fn gather(found: &[LockFiles], reader: &mut Reader, system: &System) -> Vec<LockState> {
    let ids: Vec<Vec<(usize, FileId)>> = found.iter().map(file_ids).collect();
    let kernel = locks::read_all(reader).unwrap_or_default();
    let all_ids: Vec<FileId> = ids.iter().flatten().map(|&(_, id)| id).collect();
    // The scan of every descriptor is only worth it when a lock is held.
    let any_held = kernel
        .iter()
        .any(|l| !l.waiting && all_ids.iter().any(|&id| l.is_on(id)));
    let open = if any_held {
        locks::holders(reader, &all_ids)
    } else {
        Vec::new()
    };
    found
        .iter()
        .zip(&ids)
        .map(|(f, slots)| build(f, slots, &kernel, &open, &all_ids, reader, system))
        .collect()
}

fn build(
    found: &LockFiles,
    slots: &[(usize, FileId)],
    kernel: &[KernelLock],
    open: &[OpenLockFile],
    all_ids: &[FileId],
    reader: &mut Reader,
    system: &System,
) -> LockState {
    let mut holders = Vec::new();
    let mut waiters: Vec<LockWaiter> = Vec::new();
    for &(slot, id) in slots {
        let taken_by: Vec<&KernelLock> = kernel
            .iter()
            .filter(|l| !l.waiting && l.is_on(id))
            .collect();
        let here: Vec<&OpenLockFile> = open
            .iter()
            .filter(|o| all_ids.get(o.file) == Some(&id))
            .collect();
        let pids: Vec<i32> = here.iter().map(|o| o.pid).collect();
        let mut seen = Vec::new();
        for o in &here {
            if seen.contains(&o.pid) {
                continue;
            }
            seen.push(o.pid);
            let parent = reader.stat(o.pid).map(|s| s.ppid);
            // flock(1)'s command shares its descriptor: shown under it.
            if parent.is_some_and(|p| pids.contains(&p)) {
                continue;
            }
            let write = o.locks.iter().any(|l| l.write);
            let locked_by = taken_by.first().map(|l| l.pid).filter(|&p| p > 0);
            holders.push(holder(slot, write, o.pid, locked_by, reader, system));
        }
        // A lock whose holders' descriptors could not be read: name the
        // process /proc/locks gives, if it is alive.
        if here.is_empty() {
            for l in &taken_by {
                if l.pid > 0 && reader.stat(l.pid).is_some_and(|s| !s.has_ended()) {
                    holders.push(holder(slot, l.write, l.pid, Some(l.pid), reader, system));
                }
            }
        }
        for l in kernel.iter().filter(|l| l.waiting && l.is_on(id)) {
            match waiters.iter_mut().find(|w| w.pid == l.pid) {
                Some(w) => w.slots.push(slot),
                None => {
                    let (command, since) = describe(reader, system, l.pid);
                    waiters.push(LockWaiter {
                        pid: l.pid,
                        mode: mode(l.write),
                        command,
                        since,
                        since_local: local(since),
                        slots: vec![slot],
                    });
                }
            }
        }
    }
    LockState {
        name: found.name.clone(),
        path: found
            .files
            .values()
            .next()
            .map(|p| to_json_string(p.as_os_str().as_bytes()))
            .unwrap_or_default(),
        slots: found.files.len(),
        holders,
        waiters,
    }
}

fn mode(write: bool) -> &'static str {
    if write { "exclusive" } else { "shared" }
}

fn holder(
    slot: usize,
    write: bool,
    pid: i32,
    locked_by: Option<i32>,
    reader: &mut Reader,
    system: &System,
) -> LockHolder {
    let (command, own_since) = describe(reader, system, pid);
    let child = reader
        .file(pid, &format!("task/{pid}/children"))
        .ok()
        .and_then(|text| {
            String::from_utf8_lossy(&text)
                .split_ascii_whitespace()
                .next()
                .and_then(|p| p.parse::<i32>().ok())
        });
    let (command_line, since) = match child {
        Some(c) => {
            let (line, since) = describe(reader, system, c);
            (Some(line), since.or(own_since))
        }
        None => (None, own_since),
    };
    LockHolder {
        slot,
        mode: mode(write),
        pid,
        command,
        since,
        since_local: local(since),
        command_pid: child,
        command_line,
        locked_by,
    }
}

/// A moment in local time, worked out while gathering (rendering never
/// reads the system).
fn local(unix: Option<f64>) -> Option<LocalTime> {
    crate::sys::time::local(unix? as i64)
}

/// A process's command line (its name when it has none) and start time.
fn describe(reader: &mut Reader, system: &System, pid: i32) -> (String, Option<f64>) {
    match reader.read(pid, Need::CMDLINE) {
        Some(p) => {
            let line = p
                .command_line()
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| p.name().to_vec());
            (
                to_json_string(&line),
                Some(system.start_time(p.stat.start_ticks)),
            )
        }
        None => (String::new(), None),
    }
}

/// What `lock show` prints: a table, or the JSON array of [`LockState`].
#[derive(Debug, Clone, Copy)]
struct Shown<'a> {
    states: &'a [LockState],
    now: f64,
}

impl Report for Shown<'_> {
    fn render<W: Write>(&self, out: &Out, w: &mut W) -> std::io::Result<()> {
        if self.states.is_empty() {
            return Ok(());
        }
        render(self.states, self.now, out, w)
    }

    fn json<W: Write>(&self, out: &Out, w: &mut W) -> std::io::Result<()> {
        json::write(w, out, self.states)
    }
}

/// One row per holder and waiter; a free lock gets one row saying so.
pub fn render<W: Write>(
    states: &[LockState],
    now: f64,
    out: &Out,
    w: &mut W,
) -> std::io::Result<()> {
    let mut table = Table::new(vec![
        Column::new("LOCK", Align::Left),
        Column::new("SLOT", Align::Right),
        Column::new("STATE", Align::Left),
        Column::new("MODE", Align::Left),
        Column::new("PID", Align::Right),
        Column::new("SINCE", Align::Left),
        Column::new("CMD PID", Align::Right),
        Column::new("COMMAND", Align::Left).elastic(),
    ]);
    let since = |t: Option<f64>, local: Option<&LocalTime>| match (t, local) {
        (Some(t), Some(l)) => format!(
            "{}-{:02}-{:02} {:02}:{:02}:{:02} ({} ago)",
            l.year,
            l.month,
            l.day,
            l.hour,
            l.minute,
            l.second,
            value::span(now - t)
        ),
        (Some(t), None) => format!("{} ago", value::span(now - t)),
        _ => "-".to_string(),
    };
    let text = |s: &str| Text::new(escape(s.as_bytes()).into_owned());
    for s in states {
        for h in &s.holders {
            let command = h.command_line.as_deref().unwrap_or(&h.command);
            table.rows.push(vec![
                text(&s.name),
                Text::new(h.slot.to_string()),
                Text::painted("held", Paint::Green),
                Text::new(h.mode),
                Text::new(h.pid.to_string()),
                Text::new(since(h.since, h.since_local.as_ref())),
                Text::new(h.command_pid.map_or("-".to_string(), |p| p.to_string())),
                text(command),
            ]);
        }
        for wt in &s.waiters {
            let slots: Vec<String> = wt.slots.iter().map(usize::to_string).collect();
            table.rows.push(vec![
                text(&s.name),
                Text::new(slots.join(",")),
                Text::painted("waiting", Paint::Yellow),
                Text::new(wt.mode),
                Text::new(wt.pid.to_string()),
                Text::new(since(wt.since, wt.since_local.as_ref())),
                Text::new("-"),
                text(&wt.command),
            ]);
        }
        if s.holders.is_empty() && s.waiters.is_empty() {
            table.rows.push(vec![
                text(&s.name),
                Text::new("-"),
                Text::painted("free", Paint::Dim),
                Text::new("-"),
                Text::new("-"),
                Text::new("-"),
                Text::new("-"),
                Text::new(""),
            ]);
        }
    }
    table.render(w, out, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_holders_waiters_and_free_locks() {
        let states = vec![
            LockState {
                name: "deploy".into(),
                path: "/run/lock/ptool/deploy".into(),
                slots: 1,
                holders: vec![LockHolder {
                    slot: 0,
                    mode: "exclusive",
                    pid: 10,
                    command: "ptool lock deploy -- ./deploy.sh".into(),
                    since: Some(1000.0),
                    since_local: Some(LocalTime {
                        year: 2026,
                        month: 12,
                        day: 4,
                        hour: 9,
                        minute: 5,
                        second: 7,
                        utc_offset: 0,
                    }),
                    command_pid: Some(11),
                    command_line: Some("./deploy.sh \u{1b}[31m".into()),
                    locked_by: Some(10),
                }],
                waiters: vec![LockWaiter {
                    pid: 12,
                    mode: "exclusive",
                    command: "ptool lock deploy -- x".into(),
                    since: Some(1001.0),
                    since_local: None,
                    slots: vec![0],
                }],
            },
            LockState {
                name: "idle".into(),
                path: "/run/lock/ptool/idle".into(),
                slots: 1,
                holders: vec![],
                waiters: vec![],
            },
        ];
        let mut buf = Vec::new();
        render(&states, 1065.0, &Out::PLAIN, &mut buf).expect("render");
        let text = String::from_utf8(buf).expect("utf8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("LOCK\tSLOT\tSTATE"), "{text}");
        let held: Vec<&str> = lines[1].split('\t').collect();
        assert_eq!(&held[..5], &["deploy", "0", "held", "exclusive", "10"]);
        assert_eq!(held[5], "2026-12-04 09:05:07 (01:05 ago)");
        assert_eq!(held[6], "11");
        assert_eq!(held[7], "./deploy.sh \\e[31m");
        assert!(lines[2].contains("\twaiting\t"), "{text}");
        assert!(lines[2].contains("\t01:04 ago\t"), "{text}");
        assert!(lines[3].starts_with("idle\t-\tfree"), "{text}");
        let json = serde_json::to_value(&states[0]).expect("json");
        assert_eq!(json["holders"][0]["command_pid"], 11);
        assert_eq!(json["waiters"][0]["slots"], serde_json::json!([0]));
    }
}
