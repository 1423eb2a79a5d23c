//! The parts of `info` that `ptool set` can change, per thread (CPU
//! affinity, I/O priority, scheduling policy, niceness), and what the
//! process is doing now (the kernel function it waits in, the system call
//! in progress). Gathered into plain structs, and turned into page lines
//! and JSON here, so that the page and `--json` say the same.

use serde::Serialize;

use crate::cmd::set::change::{IoPrio, Sched};
use crate::output::sanitize::{escape, to_json_string};
use crate::proc::activity;
use crate::proc::{Field, Reader};
use crate::sys::sched as os;

/// What `set` can change, for one thread. `None` where it could not be
/// read (the thread ended meanwhile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadSched {
    pub tid: i32,
    pub nice: Option<i32>,
    pub sched: Option<Sched>,
    pub io: Option<IoPrio>,
    pub cpus: Option<Vec<u32>>,
    /// The CPU it last ran on (`stat` field 39).
    pub last_cpu: Option<i64>,
}

impl ThreadSched {
    /// The same settings as `other` (the TID and last CPU aside).
    fn same_settings(&self, other: &ThreadSched) -> bool {
        self.nice == other.nice
            && self.sched == other.sched
            && self.io == other.io
            && self.cpus == other.cpus
    }
}

/// Every thread's settings, the main thread first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scheduling {
    pub threads: Vec<ThreadSched>,
}

/// What the process (its main thread) is doing now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// The kernel function it sleeps in; `None` when it runs.
    pub wchan: Field<Option<String>>,
    /// The system call in progress, decoded (`read(0 → /dev/pts/3)`).
    pub syscall: Field<Option<String>>,
    /// Its name alone (`read`), for scripts.
    pub syscall_name: Option<String>,
}

fn thread(reader: &mut Reader, pid: i32, tid: i32) -> ThreadSched {
    let sched = os::scheduler(tid).ok().map(|(policy, priority)| Sched {
        policy: policy & !os::SCHED_RESET_ON_FORK,
        priority,
    });
    let last_cpu = reader
        .file(pid, &format!("task/{tid}/stat"))
        .ok()
        .and_then(|raw| crate::proc::stat::parse(&raw))
        .map(|s| s.processor);
    ThreadSched {
        tid,
        nice: os::nice(tid).ok(),
        sched,
        io: os::ioprio(tid)
            .ok()
            .map(|(class, level)| IoPrio { class, level }.normal()),
        cpus: os::affinity(tid).ok(),
        last_cpu,
    }
}

/// Read every thread of `pid`.
pub fn gather_scheduling(reader: &mut Reader, pid: i32) -> Scheduling {
    let mut tids: Vec<i32> = reader
        .threads(pid, crate::proc::Need::STAT)
        .iter()
        .filter_map(|t| t.tid)
        .collect();
    if tids.is_empty() {
        tids.push(pid);
    }
    // The main thread first.
    tids.sort_by_key(|&t| (t != pid, t));
    Scheduling {
        threads: tids.into_iter().map(|t| thread(reader, pid, t)).collect(),
    }
}

/// Read what `pid` is doing now; descriptors among the system call's
/// arguments are resolved to what they are open on.
pub fn gather_activity(reader: &mut Reader, pid: i32) -> Activity {
    let wchan = reader.parsed(pid, "wchan", activity::parse_wchan);
    let call = reader.parsed(pid, "syscall", activity::parse_syscall);
    let (syscall, syscall_name) = match call {
        Field::Value(Some(call)) => {
            let mut paths = Vec::new();
            for fd in call.fds() {
                if let Ok(path) = reader.link(pid, &format!("fd/{fd}")) {
                    paths.push((fd, escape(&path).into_owned()));
                }
            }
            let text =
                call.describe(|fd| paths.iter().find(|(f, _)| *f == fd).map(|(_, p)| p.clone()));
            (Field::Value(Some(text)), call.name())
        }
        Field::Value(None) => (Field::Unavailable, None),
        Field::Denied => (Field::Denied, None),
        Field::Unavailable => (Field::Unavailable, None),
    };
    // Without the right to ptrace it, the kernel shows wchan as 0, as for
    // a running task: the denied syscall file tells which it is.
    let wchan = match (&syscall, wchan) {
        (Field::Denied, Field::Value(None)) => Field::Denied,
        (_, wchan) => wchan,
    };
    Activity {
        wchan,
        syscall,
        syscall_name,
    }
}

fn cpus_text(cpus: &Option<Vec<u32>>) -> String {
    cpus.as_deref()
        .map_or_else(|| "-".to_string(), crate::proc::cpus::format)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// What one thread's settings say, where they differ from the main
/// thread's: `nice 10, cpus 0`.
fn difference(main: &ThreadSched, t: &ThreadSched) -> String {
    let mut parts = Vec::new();
    if t.sched != main.sched {
        parts.push(format!("policy {}", opt(t.sched)));
    }
    if t.nice != main.nice {
        parts.push(format!("nice {}", opt(t.nice)));
    }
    if t.io != main.io {
        parts.push(format!("I/O {}", opt(t.io)));
    }
    if t.cpus != main.cpus {
        parts.push(format!("CPUs {}", cpus_text(&t.cpus)));
    }
    parts.join(", ")
}

/// The page's lines (label, value) for the scheduling settings: the main
/// thread's, then each thread that differs from it.
pub fn scheduling_lines(s: &Scheduling) -> Vec<(String, String)> {
    let Some(main) = s.threads.first() else {
        return Vec::new();
    };
    let mut lines = vec![
        ("CPUs allowed".to_string(), cpus_text(&main.cpus)),
        ("last CPU".to_string(), opt(main.last_cpu)),
        (
            "I/O priority".to_string(),
            match main.io {
                Some(io) if io.class == IoPrio::NONE => {
                    "none (best-effort, level from the niceness)".to_string()
                }
                other => opt(other),
            },
        ),
        ("policy".to_string(), opt(main.sched)),
    ];
    let differing: Vec<&ThreadSched> = s
        .threads
        .iter()
        .skip(1)
        .filter(|t| !t.same_settings(main))
        .collect();
    for (i, t) in differing.iter().enumerate() {
        let label = if i == 0 { "threads differ" } else { "" };
        lines.push((
            label.to_string(),
            format!("TID {}: {}", t.tid, difference(main, t)),
        ));
    }
    lines
}

/// The page's lines for what it is doing now.
pub fn activity_lines(a: &Activity, denied: &str) -> Vec<(String, String)> {
    let show = |f: &Field<Option<String>>, none: &str| match f {
        Field::Value(Some(v)) => escape(v.as_bytes()).into_owned(),
        Field::Value(None) => none.to_string(),
        Field::Denied => denied.to_string(),
        Field::Unavailable => "-".to_string(),
    };
    vec![
        ("waiting in".to_string(), show(&a.wchan, "- (running)")),
        ("system call".to_string(), show(&a.syscall, "-")),
    ]
}

/// One thread's settings in JSON.
#[derive(Debug, Serialize)]
pub struct ThreadJson {
    tid: i32,
    nice: Option<i32>,
    policy: Option<String>,
    io_priority: Option<String>,
    cpus: Option<String>,
    last_cpu: Option<i64>,
}

impl ThreadJson {
    fn of(t: &ThreadSched) -> Self {
        ThreadJson {
            tid: t.tid,
            nice: t.nice,
            policy: t.sched.map(|s| s.to_string()),
            io_priority: t.io.map(|io| io.to_string()),
            cpus: t.cpus.as_deref().map(crate::proc::cpus::format),
            last_cpu: t.last_cpu,
        }
    }
}

/// `scheduling` in JSON: the main thread's settings, and every thread's
/// (scripts compare them as they need).
#[derive(Debug, Serialize)]
pub struct SchedulingJson {
    cpus: Option<String>,
    last_cpu: Option<i64>,
    io_priority: Option<String>,
    policy: Option<String>,
    threads_differ: bool,
    threads: Vec<ThreadJson>,
}

impl SchedulingJson {
    pub fn of(s: &Scheduling) -> Self {
        let main = s.threads.first();
        SchedulingJson {
            cpus: main.and_then(|m| m.cpus.as_deref().map(crate::proc::cpus::format)),
            last_cpu: main.and_then(|m| m.last_cpu),
            io_priority: main.and_then(|m| m.io.map(|io| io.to_string())),
            policy: main.and_then(|m| m.sched.map(|s| s.to_string())),
            threads_differ: s
                .threads
                .iter()
                .skip(1)
                .any(|t| main.is_some_and(|m| !t.same_settings(m))),
            threads: s.threads.iter().map(ThreadJson::of).collect(),
        }
    }
}

/// `activity` in JSON.
#[derive(Debug, Serialize)]
pub struct ActivityJson {
    wchan: Option<String>,
    syscall: Option<String>,
    syscall_name: Option<String>,
}

impl ActivityJson {
    /// The section; `denied` collects what was withheld.
    pub fn of(a: &Activity, denied: &mut Vec<&'static str>) -> Self {
        let value = |f: &Field<Option<String>>,
                     name: &'static str,
                     denied: &mut Vec<&'static str>| match f {
            Field::Value(v) => v.as_deref().map(|v| to_json_string(v.as_bytes())),
            Field::Denied => {
                denied.push(name);
                None
            }
            Field::Unavailable => None,
        };
        ActivityJson {
            wchan: value(&a.wchan, "wchan", denied),
            syscall: value(&a.syscall, "syscall", denied),
            syscall_name: a.syscall_name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(tid: i32, nice: i32, cpus: &[u32]) -> ThreadSched {
        ThreadSched {
            tid,
            nice: Some(nice),
            sched: Some(Sched {
                policy: 0,
                priority: 0,
            }),
            io: Some(IoPrio { class: 0, level: 0 }),
            cpus: Some(cpus.to_vec()),
            last_cpu: Some(1),
        }
    }

    #[test]
    fn threads_that_differ_are_listed() {
        let s = Scheduling {
            threads: vec![t(10, 0, &[0, 1]), t(11, 0, &[0, 1]), t(12, 5, &[0])],
        };
        let lines = scheduling_lines(&s);
        assert_eq!(lines[0], ("CPUs allowed".to_string(), "0-1".to_string()));
        assert_eq!(lines[3], ("policy".to_string(), "other".to_string()));
        assert_eq!(
            lines[4],
            (
                "threads differ".to_string(),
                "TID 12: nice 5, CPUs 0".to_string()
            )
        );
        let v = serde_json::to_value(SchedulingJson::of(&s)).expect("serializes");
        assert_eq!(v["cpus"], "0-1");
        assert_eq!(v["threads_differ"], true);
        assert_eq!(v["threads"][2]["nice"], 5);
        assert_eq!(v["io_priority"], "none");
    }

    #[test]
    fn activity_lines_and_json() {
        let a = Activity {
            wchan: Field::Value(Some("do_wait".into())),
            syscall: Field::Value(Some("wait4(-1)".into())),
            syscall_name: Some("wait4".into()),
        };
        let lines = activity_lines(&a, "denied");
        assert_eq!(lines[0].1, "do_wait");
        assert_eq!(lines[1].1, "wait4(-1)");
        let mut denied = Vec::new();
        let v = serde_json::to_value(ActivityJson::of(&a, &mut denied)).expect("serializes");
        assert_eq!(v["syscall_name"], "wait4");
        let hidden = Activity {
            wchan: Field::Denied,
            syscall: Field::Denied,
            syscall_name: None,
        };
        assert_eq!(activity_lines(&hidden, "denied")[1].1, "denied");
        let v = serde_json::to_value(ActivityJson::of(&hidden, &mut denied)).expect("serializes");
        assert!(v["syscall"].is_null());
        assert_eq!(denied, ["wchan", "syscall"]);
    }

    #[test]
    fn gathers_itself() -> std::io::Result<()> {
        let mut reader = Reader::new()?;
        let me = crate::sys::own_pid();
        let s = gather_scheduling(&mut reader, me);
        assert_eq!(s.threads[0].tid, me);
        // Other tests' threads come and go; this one is here throughout.
        let tid = rustix::thread::gettid().as_raw_nonzero().get();
        let own = s.threads.iter().find(|t| t.tid == tid).expect("own thread");
        assert!(own.cpus.is_some() && own.nice.is_some() && own.sched.is_some());
        let a = gather_activity(&mut reader, me);
        assert!(!matches!(a.syscall, Field::Denied));
        Ok(())
    }
}
