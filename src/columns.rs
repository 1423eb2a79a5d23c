//! The catalogue of process columns shared by `ls` (and any command that
//! shows process fields): each column's key (also its JSON field name), its
//! header, what it must read, and how to get its value from a [`Process`].

use std::fmt;
use std::str::FromStr;

use crate::output::table::Align;
use crate::output::value::{Started, Value};
use crate::proc::tty::Ttys;
use crate::proc::{Field, Link, Need, Process, System};
use crate::sys::time::LocalTime;
use crate::sys::users::Names;

macro_rules! columns {
    ($($variant:ident $key:literal $header:literal $align:ident $need:expr, $doc:literal;)*) => {
        /// A process column.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Column { $($variant,)* }

        impl Column {
            /// Every column, in documentation order.
            pub const ALL: &'static [Column] = &[$(Column::$variant,)*];

            /// The key used by `-o`, `--sort` and as the JSON field name.
            pub fn key(self) -> &'static str {
                match self { $(Column::$variant => $key,)* }
            }

            pub fn header(self) -> &'static str {
                match self { $(Column::$variant => $header,)* }
            }

            pub fn align(self) -> Align {
                match self { $(Column::$variant => Align::$align,)* }
            }

            /// What must be read, beyond `stat`, to fill this column.
            pub fn need(self) -> Need {
                match self { $(Column::$variant => $need,)* }
            }

            /// One line for `--help` and the README.
            pub fn doc(self) -> &'static str {
                match self { $(Column::$variant => $doc,)* }
            }
        }
    };
}

columns! {
    Pid "pid" "PID" Right Need::STAT, "process ID";
    Tid "tid" "TID" Right Need::STAT, "thread ID (with --threads)";
    Ppid "ppid" "PPID" Right Need::STAT, "parent process ID";
    Pgid "pgid" "PGID" Right Need::STAT, "process group ID";
    Sid "sid" "SID" Right Need::STAT, "session ID";
    User "user" "USER" Left Need::OWNER, "effective user name (uid when it has none)";
    Uid "uid" "UID" Right Need::OWNER, "effective user ID";
    Gid "gid" "GID" Right Need::OWNER, "effective group ID";
    State "state" "STATE" Left Need::STAT, "R running, S sleeping, D disk wait, Z zombie, T stopped, t traced, I idle";
    Wchan "wchan" "WCHAN" Left Need::WCHAN, "kernel function it sleeps in (- while it runs)";
    Nice "nice" "NI" Right Need::STAT, "nice value, -20 (favoured) to 19";
    Pri "pri" "PRI" Right Need::STAT, "kernel priority (stat field 18)";
    Threads "threads" "THR" Right Need::STAT, "number of threads";
    Cpu "cpu" "%CPU" Right Need::STAT, "CPU use in percent: lifetime average, or over --sample";
    Mem "mem" "%MEM" Right Need::STATM, "resident memory as a percentage of RAM";
    Rss "rss" "RSS" Right Need::STATM, "resident memory, bytes";
    Vsz "vsz" "VSZ" Right Need::STAT, "virtual memory size, bytes";
    Start "start" "START" Right Need::STAT, "start time (JSON: Unix seconds)";
    Elapsed "elapsed" "ELAPSED" Right Need::STAT, "time since start (JSON: seconds)";
    Time "time" "TIME" Right Need::STAT, "CPU time used, user + system (JSON: seconds)";
    Utime "utime" "UTIME" Right Need::STAT, "CPU time used in user mode (JSON: seconds)";
    Stime "stime" "STIME" Right Need::STAT, "CPU time used in the kernel (JSON: seconds)";
    Tty "tty" "TTY" Left Need::STAT, "controlling terminal";
    Name "name" "NAME" Left Need::NAME, "process name (comm; when cut at 15 bytes, the longer name argv[0] or exe gives)";
    Cmd "cmd" "COMMAND" Left Need::CMDLINE, "command line; [name] when it has none";
    Exe "exe" "EXE" Left Need::EXE, "path of the executable; (deleted) after it once removed (JSON: exe_deleted)";
    Cwd "cwd" "CWD" Left Need::CWD, "current working directory; (deleted) after it once removed (JSON: cwd_deleted)";
}

/// The `ps aux`-like default columns of `ls`.
pub const DEFAULT: &[Column] = &[
    Column::Pid,
    Column::User,
    Column::Cpu,
    Column::Mem,
    Column::Rss,
    Column::State,
    Column::Start,
    Column::Time,
    Column::Cmd,
];

impl Column {
    /// A path from a `/proc` link, which may have been deleted: its JSON
    /// object has a `<key>_deleted` flag beside it.
    pub fn is_path(self) -> bool {
        matches!(self, Column::Exe | Column::Cwd)
    }
}

/// The columns `-o` asks for, each `(column, added)`: a list that starts
/// with `+COL` adds all its columns to the defaults (`-o +nice,threads`,
/// before the command, which stays last); one that starts with a plain
/// column replaces them. `threads` puts TID after PID.
pub fn choose(specs: &[(Column, bool)], threads: bool) -> Vec<Column> {
    let mut columns: Vec<Column> = DEFAULT.to_vec();
    if threads {
        columns.insert(1, Column::Tid);
    }
    let adds = specs.first().is_some_and(|(_, add)| *add);
    if !specs.is_empty() && !adds {
        columns.clear();
    }
    for &(column, _) in specs {
        if !columns.contains(&column) {
            match columns.iter().position(|c| *c == Column::Cmd) {
                Some(at) if adds => columns.insert(at, column),
                _ => columns.push(column),
            }
        }
    }
    columns
}

impl FromStr for Column {
    type Err = String;

    fn from_str(text: &str) -> Result<Column, String> {
        let key = text.trim().to_ascii_lowercase();
        let alias = match key.as_str() {
            "command" | "args" | "cmdline" => "cmd",
            "comm" => "name",
            "stat" | "s" => "state",
            "ni" => "nice",
            "nlwp" | "thr" => "threads",
            "%cpu" | "pcpu" => "cpu",
            "%mem" | "pmem" => "mem",
            "etime" => "elapsed",
            "lwp" | "spid" => "tid",
            "pgrp" => "pgid",
            "sess" | "session" => "sid",
            "vsize" => "vsz",
            other => other,
        };
        Column::ALL
            .iter()
            .copied()
            .find(|c| c.key() == alias)
            .ok_or_else(|| {
                format!(
                    "unknown column '{}' (columns: {})",
                    crate::output::sanitize::escape_str(text),
                    Column::ALL
                        .iter()
                        .map(|c| c.key())
                        .collect::<Vec<_>>()
                        .join(",")
                )
            })
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A sort key: a column, ascending or (with a leading `-`) descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub column: Column,
    pub descending: bool,
}

impl FromStr for SortKey {
    type Err = String;

    fn from_str(text: &str) -> Result<SortKey, String> {
        let (descending, key) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        Ok(SortKey {
            column: key.parse()?,
            descending,
        })
    }
}

/// What column values are computed against: the system snapshot, name caches
/// and, with `--sample`, the measured CPU use per (pid, tid).
#[derive(Debug)]
pub struct Context {
    pub sys: System,
    pub names: Names,
    pub ttys: Option<Ttys>,
    pub sampled_cpu: Option<ByTask<f64>>,
    /// The local time now, read once, the first time a start time is shown.
    pub local_now: Option<Option<LocalTime>>,
}

impl Context {
    pub fn new(sys: System) -> Context {
        Context {
            sys,
            names: Names::default(),
            ttys: None,
            sampled_cpu: None,
            local_now: None,
        }
    }

    /// The value of `column` for `p`.
    pub fn value(&mut self, column: Column, p: &Process) -> Value {
        let s = &p.stat;
        let sys = &self.sys;
        match column {
            Column::Pid => Value::Int(p.pid.into()),
            Column::Tid => Value::Int(p.tid.unwrap_or(p.pid).into()),
            Column::Ppid => Value::Int(s.ppid.into()),
            Column::Pgid => Value::Int(s.pgid.into()),
            Column::Sid => Value::Int(s.sid.into()),
            Column::User => p.uid().map_or(Value::None, |uid| {
                Value::Bytes(self.names.user_or_uid(uid).into_bytes())
            }),
            Column::Uid => p.uid().map_or(Value::None, |u| Value::Int(u.into())),
            Column::Gid => p.owner.map_or(Value::None, |o| Value::Int(o.gid.into())),
            Column::State => Value::Text(char::from(s.state).to_string()),
            Column::Wchan => p
                .wchan
                .as_ref()
                .map_or(Value::None, |w| Value::Bytes(w.clone().into_bytes())),
            Column::Nice => Value::Int(s.nice),
            Column::Pri => Value::Int(s.priority),
            Column::Threads => Value::Int(s.threads),
            Column::Cpu => {
                let sampled = self
                    .sampled_cpu
                    .as_ref()
                    .map(|m| m.get((p.pid, p.tid)).copied().unwrap_or(0.0));
                Value::Percent(sampled.unwrap_or_else(|| lifetime_cpu(p, sys)))
            }
            Column::Mem => Value::Percent(if sys.mem_total == 0 {
                0.0
            } else {
                p.rss_pages().saturating_mul(sys.page_size) as f64 * 100.0 / sys.mem_total as f64
            }),
            Column::Rss => Value::Size(p.rss_pages().saturating_mul(sys.page_size)),
            Column::Vsz => Value::Size(s.vsize),
            Column::Start => {
                let unix = sys.start_time(s.start_ticks);
                let now = *self
                    .local_now
                    .get_or_insert_with(|| crate::sys::time::local(sys.now as i64));
                let local = crate::sys::time::local(unix as i64);
                Value::Time {
                    unix,
                    started: Started::of(local.as_ref(), now.as_ref(), sys.now - unix),
                }
            }
            Column::Elapsed => Value::Span(sys.age(s.start_ticks)),
            Column::Time => Value::CpuTime(sys.ticks_to_secs(s.cpu_ticks())),
            Column::Utime => Value::CpuTime(sys.ticks_to_secs(s.utime)),
            Column::Stime => Value::CpuTime(sys.ticks_to_secs(s.stime)),
            Column::Tty => {
                let ttys = self.ttys.get_or_insert_with(Ttys::read);
                ttys.name(s.tty_nr).map_or(Value::None, Value::Text)
            }
            Column::Name => Value::Bytes(p.name().to_vec()),
            Column::Cmd => {
                let mut cmd = Value::command(p.command_line(), &s.name);
                if let Value::Shown(text) = &mut cmd
                    && p.is_zombie()
                {
                    // As ps marks a zombie.
                    text.extend_from_slice(b" <defunct>");
                }
                cmd
            }
            Column::Exe => field(p.exe.as_ref()),
            Column::Cwd => field(p.cwd.as_ref()),
        }
    }
}

/// Values by (pid, tid), in a list sorted by them: a third of the memory
/// of a hash map at thousands of processes (`top` keeps two on every
/// refresh), and built from listings that come in that order already.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ByTask<T>(Vec<((i32, Option<i32>), T)>);

impl<T> ByTask<T> {
    pub fn new(mut entries: Vec<((i32, Option<i32>), T)>) -> ByTask<T> {
        // Unstable: no scratch memory; the keys are unique.
        entries.sort_unstable_by_key(|(key, _)| *key);
        ByTask(entries)
    }

    pub fn get(&self, key: (i32, Option<i32>)) -> Option<&T> {
        let at = self.0.binary_search_by_key(&key, |(k, _)| *k).ok()?;
        Some(&self.0[at].1)
    }
}

impl<T> FromIterator<((i32, Option<i32>), T)> for ByTask<T> {
    fn from_iter<I: IntoIterator<Item = ((i32, Option<i32>), T)>>(iter: I) -> ByTask<T> {
        ByTask::new(iter.into_iter().collect())
    }
}

/// CPU ticks (user + system) and start time per (pid, tid): the first
/// reading of a measurement of %CPU over an interval.
pub type CpuTicks = ByTask<(u64, u64)>;

/// %CPU over the sampling interval; a process that started during the
/// interval is measured over the part it lived.
pub fn sampled_cpu(
    before: &CpuTicks,
    procs: &[Process],
    sys: &System,
    interval: f64,
) -> ByTask<f64> {
    procs
        .iter()
        .map(|p| {
            let key = (p.pid, p.tid);
            let now = p.stat.cpu_ticks();
            let (used, window) = match before.get(key) {
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

/// `ps`'s %CPU: CPU time over the time since the process started.
fn lifetime_cpu(p: &Process, sys: &System) -> f64 {
    let age = sys.age(p.stat.start_ticks);
    if age <= 0.0 {
        return 0.0;
    }
    sys.ticks_to_secs(p.stat.cpu_ticks()) * 100.0 / age
}

fn field(f: Option<&Field<Link>>) -> Value {
    match f {
        Some(Field::Value(link)) => Value::Path {
            path: link.path.clone(),
            deleted: link.deleted,
        },
        Some(Field::Denied) => Value::Denied,
        _ => Value::None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_list_starting_with_plus_adds_to_the_defaults() {
        use Column::*;
        let added = choose(&[(Nice, true), (Threads, false)], false);
        assert_eq!(
            added,
            [
                Pid, User, Cpu, Mem, Rss, State, Start, Time, Nice, Threads, Cmd
            ]
        );
        assert_eq!(choose(&[(Pid, false), (Cwd, true)], false), [Pid, Cwd]);
        assert_eq!(choose(&[], true)[..2], [Pid, Tid]);
    }

    use super::*;

    #[test]
    fn keys_parse_back() {
        for c in Column::ALL {
            assert_eq!(c.key().parse::<Column>(), Ok(*c));
        }
        assert_eq!("COMMAND".parse::<Column>(), Ok(Column::Cmd));
        assert_eq!("%cpu".parse::<Column>(), Ok(Column::Cpu));
        assert!(
            "bogus"
                .parse::<Column>()
                .unwrap_err()
                .contains("unknown column 'bogus'")
        );
    }

    #[test]
    fn sort_keys() {
        assert_eq!(
            "-rss".parse::<SortKey>(),
            Ok(SortKey {
                column: Column::Rss,
                descending: true
            })
        );
        assert!(
            !"pid"
                .parse::<SortKey>()
                .map(|k| k.descending)
                .unwrap_or(true)
        );
    }

    #[test]
    fn only_cmd_exe_cwd_wchan_owner_memory_and_name_read_more_than_stat() {
        for c in Column::ALL {
            let need = c.need();
            let extra = need != Need::STAT;
            // RSS and %MEM read statm (exact); NAME reads more only for
            // names cut at 15 bytes.
            let expected = matches!(
                c,
                Column::User
                    | Column::Uid
                    | Column::Gid
                    | Column::Cmd
                    | Column::Exe
                    | Column::Cwd
                    | Column::Rss
                    | Column::Mem
                    | Column::Name
                    | Column::Wchan
            );
            assert_eq!(extra, expected, "{c}");
            assert!(!need.status, "{c} must not need status");
        }
    }
}
