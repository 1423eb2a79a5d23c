//! Rendering gathered [`Info`]: the text page, the `--files` table and the
//! JSON object. Pure functions of their input, unit tested on fixed data.
//!
//! Everything that came from a process (names, paths, arguments, the
//! environment, cgroup paths, user and group names) goes through the
//! sanitizer: escaped for text, valid UTF-8 for JSON.
//!
//! One file per section of the page: [`identity`], [`program`],
//! [`resources`] (with limits), [`files`], [`signals`]; the Scheduling and
//! Now sections' lines and JSON come from [`super::sched`]; [`document`]
//! assembles the JSON object from the sections' parts.

mod document;
mod files;
mod identity;
mod program;
mod resources;
mod signals;

use std::io::{self, Write};

use super::gather::Info;
use super::sched;
use crate::output::sanitize::escape;
use crate::output::table::{Column, Rows, Table, Visit, render_rows};
use crate::output::{Out, Paint, paint};
use crate::proc::Field;

use self::document::*;
use self::files::*;
use self::identity::*;
use self::program::*;
use self::resources::*;
use self::signals::*;

pub use self::document::InfoJson;
pub use self::files::files;

/// The width of the labels on a page.
const LABEL: usize = 16;
/// Tables inside a page are indented by this.
const INDENT: &str = "  ";

/// The name of a state letter (proc_pid_stat(5)).
pub fn state_name(state: u8) -> &'static str {
    match state {
        b'R' => "running",
        b'S' => "sleeping",
        b'D' => "disk sleep",
        b'Z' => "zombie",
        b'T' => "stopped",
        b't' => "tracing stop",
        b'X' | b'x' => "dead",
        b'I' => "idle",
        b'K' => "wakekill",
        b'W' => "waking",
        b'P' => "parked",
        _ => "unknown",
    }
}

/// The scheduling policy in `stat` field 41 (SCHED_* in linux/sched.h).
pub fn policy_name(policy: u64) -> String {
    match policy {
        0 => "SCHED_OTHER".into(),
        1 => "SCHED_FIFO".into(),
        2 => "SCHED_RR".into(),
        3 => "SCHED_BATCH".into(),
        5 => "SCHED_IDLE".into(),
        6 => "SCHED_DEADLINE".into(),
        7 => "SCHED_EXT".into(),
        n => format!("policy {n}"),
    }
}

/// Escaped text for a page.
fn text(bytes: &[u8]) -> String {
    escape(bytes).into_owned()
}

// ---------------------------------------------------------------- text page

/// A page being written: section headings and `label  value` lines.
struct Page<'a, W: Write> {
    w: &'a mut W,
    out: &'a Out,
}

impl<W: Write> Page<'_, W> {
    fn heading(&mut self, title: &str) -> io::Result<()> {
        writeln!(self.w, "{}", paint(title, Paint::Bold, self.out.color))
    }

    /// One labelled line; `value` must already be sanitized.
    fn line(&mut self, label: &str, value: &str) -> io::Result<()> {
        writeln!(self.w, "{INDENT}{label:<LABEL$}{value}")
    }

    /// A labelled value over several lines: the label on the first only.
    fn lines(&mut self, label: &str, values: &[String]) -> io::Result<()> {
        if values.is_empty() {
            return self.line(label, "-");
        }
        for (i, value) in values.iter().enumerate() {
            self.line(if i == 0 { label } else { "" }, value)?;
        }
        Ok(())
    }

    fn painted(&self, value: &str, p: Paint) -> String {
        paint(value, p, self.out.color)
    }

    fn denied(&self) -> String {
        self.painted("permission denied", Paint::Yellow)
    }

    /// The text for a field: its value, "permission denied", or `-`.
    fn field<T>(&self, f: &Field<T>, show: impl FnOnce(&T) -> String) -> String {
        match f {
            Field::Value(v) => show(v),
            Field::Denied => self.denied(),
            Field::Unavailable => "-".to_string(),
        }
    }

    /// A table, aligned whether or not stdout is a terminal, and indented.
    fn table(&mut self, table: &Table) -> io::Result<()> {
        self.rows(&table.columns, &|visit: Visit<'_>| {
            table.rows.iter().try_for_each(|row| visit(row))
        })
    }

    /// A table of rows made on demand ([`render_rows`]), laid out as
    /// [`Page::table`] lays out a table.
    fn rows(&mut self, columns: &[Column], rows: Rows<'_>) -> io::Result<()> {
        let aligned = Out {
            width: Some(usize::from(u16::MAX)),
            ..*self.out
        };
        // Straight to the page, indented: a table of thousands of open
        // files is not held a second time as text.
        let mut indented = Indented {
            w: &mut *self.w,
            line_start: true,
        };
        render_rows(columns, rows, &mut indented, &aligned, true)
    }
}

/// A writer that starts every line with [`INDENT`].
struct Indented<'a, W> {
    w: &'a mut W,
    line_start: bool,
}

impl<W: Write> Write for Indented<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for line in buf.split_inclusive(|&b| b == b'\n') {
            if self.line_start {
                self.w.write_all(INDENT.as_bytes())?;
            }
            self.w.write_all(line)?;
            self.line_start = line.ends_with(b"\n");
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// The whole page for one process.
pub fn page<W: Write>(w: &mut W, out: &Out, info: &Info) -> io::Result<()> {
    let mut p = Page { w, out };
    let title = format!("PID {}  {}", info.pid, text(&info.name));
    p.heading(&title)?;
    if let Some(identity) = &info.identity {
        identity_section(&mut p, identity)?;
    }
    if let Some(program) = &info.program {
        program_section(&mut p, program)?;
    }
    if let Some(resources) = &info.resources {
        resources_section(&mut p, resources)?;
    }
    if let Some(scheduling) = &info.scheduling {
        p.heading("Scheduling")?;
        for (label, value) in sched::scheduling_lines(scheduling) {
            p.line(&label, &value)?;
        }
    }
    if let Some(activity) = &info.activity {
        p.heading("Now")?;
        let denied = p.denied();
        for (label, value) in sched::activity_lines(activity, &denied) {
            p.line(&label, &value)?;
        }
    }
    files_section(&mut p, &info.files)?;
    if let Some(signals) = &info.signals {
        signals_section(&mut p, signals)?;
    }
    if let Some(limits) = &info.limits {
        p.heading("Limits")?;
        match limits {
            Field::Value(limits) => p.table(&limits_table(limits))?,
            other => {
                let value = p.field(other, |_| String::new());
                writeln!(p.w, "{INDENT}{value}")?;
            }
        }
    }
    if let Some(env) = &info.env {
        match env {
            Field::Value(vars) => {
                p.heading(&format!("Environment ({})", vars.len()))?;
                for var in vars {
                    // An entry without '=' is shown as it is, without one.
                    match &var.value {
                        Some(value) => writeln!(p.w, "{INDENT}{}={}", text(&var.key), text(value))?,
                        None => writeln!(p.w, "{INDENT}{}", text(&var.key))?,
                    }
                }
            }
            other => {
                p.heading("Environment")?;
                let value = p.field(other, |_| String::new());
                writeln!(p.w, "{INDENT}{value}")?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::Value as Json;

    use super::*;

    fn to_json(info: &Info) -> Json {
        serde_json::to_value(InfoJson::of(info)).expect("serializes")
    }

    use crate::ended::EndStatus;
    use crate::info::gather::*;
    use crate::proc::cgroup::Cgroup;
    use crate::proc::environ;
    use crate::proc::fds::{Kind, OpenFile};
    use crate::proc::limits::Limit;
    use crate::proc::net::Socket;
    use crate::proc::ns::Namespace;
    use crate::signal::{Dispositions, Signal};
    use serde_json::json;

    use super::super::gather::NamespaceInfo;

    fn id(id: u32, name: &str) -> Id {
        Id {
            id,
            name: Some(name.to_string()),
        }
    }

    fn file(fd: i32, target: &[u8], kind: Kind) -> OpenFile {
        OpenFile {
            fd,
            target: target.to_vec(),
            kind,
            deleted: false,
            flags: Some(0o2000000),
            pos: Some(0),
            size: None,
            inode: Some(100 + fd as u64),
            device: None,
            socket: None,
        }
    }

    fn sample_files() -> Vec<OpenFile> {
        let mut log = file(3, b"/var/log/app.log", Kind::File);
        log.flags = Some(0o2002002);
        log.pos = Some(1234);
        log.size = Some(1234);
        let mut gone = file(4, b"/tmp/scratch", Kind::File);
        gone.deleted = true;
        gone.flags = Some(0);
        let mut pipe = file(5, b"pipe:[777]", Kind::Pipe);
        pipe.flags = Some(1);
        let mut listen = file(6, b"socket:[888]", Kind::Socket);
        listen.socket = Some(Socket {
            protocol: "tcp".into(),
            local: Some(b"127.0.0.1:8080".to_vec()),
            remote: None,
            state: Some("LISTEN"),
            kind: None,
        });
        let mut conn = file(7, b"socket:[889]", Kind::Socket);
        conn.socket = Some(Socket {
            protocol: "tcp".into(),
            local: Some(b"127.0.0.1:8080".to_vec()),
            remote: Some("127.0.0.1:50000".into()),
            state: Some("ESTABLISHED"),
            kind: None,
        });
        let mut unix = file(8, b"socket:[890]", Kind::Socket);
        unix.socket = Some(Socket {
            protocol: "unix".into(),
            local: None,
            remote: None,
            state: Some("CONNECTED"),
            kind: Some("stream"),
        });
        let mut null = file(9, b"/dev/null", Kind::CharDevice);
        null.device = Some((1, 3));
        let evil = file(10, b"/tmp/\x1b]0;pwned\x07", Kind::File);
        vec![log, gone, pipe, listen, conn, unix, null, evil]
    }

    fn info() -> Info {
        Info {
            pid: 4242,
            name: b"victim".to_vec(),
            identity: Some(Identity {
                ppid: 1,
                parent_name: Some(b"init".to_vec()),
                pgid: 4242,
                sid: 4200,
                tty: Some("pts/3".into()),
                foreground: true,
                group_leader: true,
                session_leader: false,
                uids: Some([
                    id(1000, "alice"),
                    id(0, "root"),
                    id(0, "root"),
                    id(0, "root"),
                ]),
                gids: Some([
                    id(100, "users"),
                    id(100, "users"),
                    id(100, "users"),
                    id(100, "users"),
                ]),
                groups: vec![id(4, "adm"), Id { id: 99, name: None }],
            }),
            program: Some(Program {
                exe: Field::Value(b"/usr/bin/victim".to_vec()),
                exe_deleted: true,
                cwd_deleted: false,
                args: vec![b"victim".to_vec(), b"--flag".to_vec(), b"a\x1bb".to_vec()],
                kernel_thread: false,
                cwd: Field::Denied,
                root: Field::Unavailable,
                start: 1_000_000.0,
                start_local: None,
                age: 187.0,
                state: b'S',
                ended: None,
                threads: 3,
                nice: 5,
                priority: 25,
                policy: 3,
                rt_priority: 0,
                tracer_pid: Some(0),
                umask: Some(0o22),
                cgroups: Field::Value(vec![
                    Cgroup {
                        hierarchy: 4,
                        controllers: "memory".into(),
                        path: b"/jail".to_vec(),
                    },
                    Cgroup {
                        hierarchy: 1,
                        controllers: "cpu,cpuacct".into(),
                        path: b"/".to_vec(),
                    },
                    Cgroup {
                        hierarchy: 0,
                        controllers: String::new(),
                        path: b"/".to_vec(),
                    },
                ]),
                namespaces: Field::Value(vec![
                    NamespaceInfo {
                        ns: Namespace {
                            kind: "mnt",
                            inode: 1,
                        },
                        same_as_ptool: Some(true),
                    },
                    NamespaceInfo {
                        ns: Namespace {
                            kind: "net",
                            inode: 4026532000,
                        },
                        same_as_ptool: Some(false),
                    },
                ]),
            }),
            resources: Some(Resources {
                rss: 3 << 20,
                vsz: 12 << 20,
                shared: Some(2 << 20),
                swap: Some(0),
                peak_rss: Some(4 << 20),
                user_time: 0.25,
                system_time: 125.0,
                minor_faults: 120,
                major_faults: 2,
                voluntary_switches: Some(5),
                involuntary_switches: Some(1),
                io: Field::Denied,
                statm: Some(crate::proc::memory::Statm {
                    text: 1 << 20,
                    data: 2 << 20,
                }),
                children_user_time: 1.5,
                children_system_time: 0.5,
                rollup: Some(Field::Value(crate::proc::memory::Rollup {
                    uss: 1 << 20,
                    pss: 3 << 19,
                    ..Default::default()
                })),
            }),
            files: Field::Value(sample_files()),
            signals: Some(Dispositions {
                blocked: vec![],
                ignored: Signal::from_number(10).into_iter().collect(),
                caught: crate::signal::from_mask((1 << 11) | (1 << 31)),
                pending: vec![],
            }),
            limits: Some(Field::Value(vec![Limit {
                name: "Max open files".into(),
                resource: Some("nofile"),
                soft: Some(1024),
                hard: None,
                unit: "files".into(),
            }])),
            env: Some(Field::Value(vec![
                environ::Var {
                    key: b"PATH".to_vec(),
                    value: Some(b"/usr/bin".to_vec()),
                },
                environ::Var {
                    key: b"EVIL".to_vec(),
                    value: Some(b"\x1b]0;pwned\x07".to_vec()),
                },
                environ::Var {
                    key: b"EMPTY".to_vec(),
                    value: Some(Vec::new()),
                },
                environ::Var {
                    key: b"BARE".to_vec(),
                    value: None,
                },
            ])),
            scheduling: Some(sched::Scheduling {
                threads: vec![
                    thread(4242, 5, &[0, 1, 2, 3]),
                    thread(4243, 5, &[0, 1, 2, 3]),
                    thread(4244, 10, &[2]),
                ],
            }),
            activity: Some(sched::Activity {
                wchan: Field::Value(Some("pipe_read".into())),
                syscall: Field::Value(Some("read(0 → pipe:[77])".into())),
                syscall_name: Some("read".into()),
            }),
        }
    }

    fn thread(tid: i32, nice: i32, cpus: &[u32]) -> sched::ThreadSched {
        sched::ThreadSched {
            tid,
            nice: Some(nice),
            sched: Some(crate::cmd::set::change::Sched {
                policy: 3,
                priority: 0,
            }),
            io: Some(crate::cmd::set::change::IoPrio { class: 2, level: 4 }),
            cpus: Some(cpus.to_vec()),
            last_cpu: Some(3),
        }
    }

    #[test]
    fn scheduling_activity_and_memory_details() {
        let page = render(|w| page(w, &Out::PLAIN, &info()));
        for heading in ["Scheduling", "Now"] {
            assert!(page.lines().any(|l| l == heading), "{heading} in\n{page}");
        }
        assert_eq!(line(&page, "CPUs allowed"), "0-3");
        assert_eq!(line(&page, "last CPU"), "3");
        assert_eq!(line(&page, "I/O priority"), "best-effort:4");
        assert_eq!(line(&page, "policy"), "batch");
        assert_eq!(line(&page, "threads differ"), "TID 4244: nice 10, CPUs 2");
        assert_eq!(line(&page, "waiting in"), "pipe_read");
        assert_eq!(line(&page, "system call"), "read(0 → pipe:[77])");
        assert_eq!(line(&page, "code, data"), "text 1.0M, data 2.0M");
        assert_eq!(
            line(&page, "unique, shared"),
            "USS 1.0M, PSS 1.5M, swap PSS 0"
        );
        assert_eq!(
            line(&page, "children's CPU"),
            "user 1.50s, system 0.50s (children it waited for)"
        );
        let v = to_json(&info());
        assert_eq!(v["scheduling"]["cpus"], "0-3");
        assert_eq!(v["scheduling"]["threads_differ"], true);
        assert_eq!(v["scheduling"]["threads"][2]["cpus"], "2");
        assert_eq!(v["activity"]["syscall_name"], "read");
        assert_eq!(v["activity"]["wchan"], "pipe_read");
        assert_eq!(v["resources"]["uss"], 1 << 20);
        assert_eq!(v["resources"]["text"], 1 << 20);
        assert_eq!(v["resources"]["children_user_time"], 1.5);
    }

    fn render(f: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut buf = Vec::new();
        f(&mut buf).expect("renders");
        String::from_utf8(buf).expect("utf-8")
    }

    fn line<'a>(page: &'a str, label: &str) -> &'a str {
        let prefix = format!("{INDENT}{label:<LABEL$}");
        page.lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .unwrap_or_else(|| panic!("no {label} line in\n{page}"))
    }

    #[test]
    fn ids_outside_the_pid_namespace_read_as_none_there() {
        let mut info = info();
        let id = info.identity.as_mut().expect("identity");
        (id.ppid, id.parent_name, id.pgid, id.sid) = (0, None, 0, 0);
        id.group_leader = false;
        let page = render(|w| page(w, &Out::PLAIN, &info));
        assert_eq!(line(&page, "parent"), "0 (none in this PID namespace)");
        for label in ["process group", "session"] {
            assert_eq!(line(&page, label), "0 (no leader in this PID namespace)");
        }
    }

    #[test]
    fn a_zombie_says_how_it_ended() {
        let mut zombie = info();
        let prog = zombie.program.as_mut().expect("program");
        prog.state = b'Z';
        prog.ended = Some(EndStatus::Killed {
            signal: 11,
            core_dumped: true,
        });
        let page = render(|w| page(w, &Out::PLAIN, &zombie));
        assert_eq!(
            line(&page, "ended"),
            "killed by SIGSEGV (core dumped), not yet collected by its parent"
        );
        let v = to_json(&zombie);
        let ended = &v["program"]["ended"];
        assert_eq!(ended["signal_name"], "SIGSEGV");
        assert_eq!(ended["core_dumped"], true);
        assert_eq!(ended["exit_code"], Json::Null);
        assert_eq!(to_json(&info())["program"]["ended"], Json::Null);
    }

    #[test]
    fn page_sections_and_lines() {
        let page = render(|w| page(w, &Out::PLAIN, &info()));
        assert!(page.starts_with("PID 4242  victim\nIdentity\n"), "{page}");
        for heading in [
            "Identity",
            "Program",
            "Resources",
            "Open files (8)",
            "Signals",
            "Limits",
            "Environment (4)",
        ] {
            assert!(page.lines().any(|l| l == heading), "{heading} in\n{page}");
        }
        // `KEY=` and an entry without '=' stay apart.
        let env: Vec<&str> = page
            .lines()
            .skip_while(|l| !l.starts_with("Environment"))
            .skip(1)
            .collect();
        assert_eq!(env[2..], ["  EMPTY=", "  BARE"], "{page}");
        assert_eq!(line(&page, "parent"), "1 (init)");
        assert_eq!(line(&page, "process group"), "4242 (leader)");
        assert_eq!(line(&page, "session"), "4200");
        assert_eq!(line(&page, "terminal"), "pts/3 (foreground)");
        assert_eq!(
            line(&page, "user"),
            "real alice (uid 1000), effective root (uid 0), saved root (uid 0), filesystem root (uid 0)"
        );
        assert_eq!(line(&page, "group"), "users (gid 100)");
        assert_eq!(line(&page, "groups"), "adm (4), 99");
        assert_eq!(line(&page, "exe"), "/usr/bin/victim (deleted)");
        assert_eq!(line(&page, "command"), "victim --flag a\\eb");
        assert_eq!(line(&page, "cwd"), "permission denied");
        assert_eq!(line(&page, "root"), "-");
        assert_eq!(line(&page, "state"), "S (sleeping)");
        assert_eq!(
            line(&page, "scheduling"),
            "SCHED_BATCH, nice 5, priority 25"
        );
        assert!(line(&page, "started").ends_with("(3m07s ago)"));
        assert_eq!(
            line(&page, "namespaces"),
            "net:[4026532000] (differ from ptool's)"
        );
        assert_eq!(line(&page, "cgroup"), "/ (cpu, cpuacct, v2)");
        assert!(page.contains(&format!("{INDENT}{:LABEL$}/jail (memory)\n", "")));
        assert_eq!(
            line(&page, "memory"),
            "RSS 3.0M, peak 4.0M, shared 2.0M, swap 0, virtual 12M"
        );
        assert_eq!(line(&page, "CPU time"), "user 0.25s, system 2m05s");
        assert_eq!(line(&page, "I/O"), "permission denied");
        assert_eq!(line(&page, "ignored"), "USR1");
        assert_eq!(line(&page, "caught"), "USR2 32");
        assert_eq!(line(&page, "blocked"), "none");
        assert!(page.contains("\n  EVIL=\\e]0;pwned\\x07\n"), "{page}");
        assert!(!page.contains('\x1b') && !page.contains('\x07'));
    }

    #[test]
    fn open_files_in_a_page_are_aligned() {
        let page = render(|w| page(w, &Out::PLAIN, &info()));
        let start = page.find("Open files (8)\n").expect("section") + 15;
        let rows: Vec<&str> = page[start..].lines().take(9).collect();
        let header: Vec<&str> = rows[0].split_whitespace().collect();
        assert_eq!(header, ["FD", "TYPE", "MODE", "OFFSET", "TARGET"]);
        let cells = |fd: &str| -> Vec<String> {
            let row = rows
                .iter()
                .find(|r| r.split_whitespace().next() == Some(fd))
                .unwrap_or_else(|| panic!("fd {fd} in {rows:?}"));
            row.split_whitespace().map(String::from).collect()
        };
        assert_eq!(
            cells("3"),
            ["3", "file", "rw,append,cloexec", "1234", "/var/log/app.log"]
        );
        assert_eq!(
            cells("4"),
            ["4", "file", "r", "0", "/tmp/scratch", "(deleted)"]
        );
        assert_eq!(cells("5"), ["5", "pipe", "w", "-", "pipe:[777]"]);
        assert_eq!(
            cells("6"),
            ["6", "tcp", "r,cloexec", "-", "127.0.0.1:8080", "(LISTEN)"]
        );
        assert_eq!(
            cells("7"),
            [
                "7",
                "tcp",
                "r,cloexec",
                "-",
                "127.0.0.1:8080->127.0.0.1:50000",
                "(ESTABLISHED)"
            ]
        );
        assert_eq!(
            cells("8"),
            [
                "8",
                "unix",
                "r,cloexec",
                "-",
                "socket:[890]",
                "(stream,",
                "CONNECTED)"
            ]
        );
        assert_eq!(cells("9"), ["9", "char", "r,cloexec", "-", "/dev/null"]);
        assert_eq!(cells("10")[4], "/tmp/\\e]0;pwned\\x07");
        // Aligned: every TARGET starts in the same column.
        let at = rows[0].find("TARGET").expect("header");
        assert!(
            rows[1..]
                .iter()
                .all(|r| r.len() > at && &r[at - 1..at] == " ")
        );
    }

    #[test]
    fn denied_sections_say_so() {
        let mut info = info();
        info.files = Field::Denied;
        info.env = Some(Field::Denied);
        info.limits = Some(Field::Denied);
        let page = render(|w| page(w, &Out::PLAIN, &info));
        assert!(page.contains("Open files\n  permission denied\n"), "{page}");
        assert!(
            page.contains("Environment\n  permission denied\n"),
            "{page}"
        );
        assert!(page.contains("Limits\n  permission denied\n"), "{page}");
        let v = to_json(&info);
        assert_eq!(v["open_files"], Json::Null);
        assert_eq!(v["environment"], Json::Null);
        assert_eq!(
            v["denied"],
            json!(["cwd", "io", "open_files", "limits", "environment"])
        );
    }

    #[test]
    fn kernel_threads_have_no_command() {
        let mut info = info();
        if let Some(prog) = info.program.as_mut() {
            prog.kernel_thread = true;
            prog.args.clear();
        }
        let page = render(|w| page(w, &Out::PLAIN, &info));
        assert_eq!(line(&page, "command"), "- (kernel thread)");
        assert_eq!(to_json(&info)["program"]["kernel_thread"], true);
    }

    #[test]
    fn colour_marks_denied_and_deleted() {
        let out = Out {
            color: true,
            ..Out::PLAIN
        };
        let page = render(|w| page(w, &out, &info()));
        assert!(page.contains("\x1b[33mpermission denied\x1b[0m"));
        assert!(page.contains("\x1b[31m(deleted)\x1b[0m"));
        assert!(page.starts_with("\x1b[1mPID 4242  victim\x1b[0m"));
    }

    #[test]
    fn files_table_for_lsof_habits() {
        let mut other = info();
        other.pid = 7;
        other.files = Field::Value(vec![file(0, b"/dev/pts/1", Kind::CharDevice)]);
        let mut denied = info();
        denied.pid = 8;
        denied.files = Field::Denied;
        let t = render(|w| files(w, &Out::PLAIN, &[info(), other, denied]));
        let mut lines = t.lines();
        assert_eq!(lines.next(), Some("PID\tFD\tTYPE\tMODE\tOFFSET\tTARGET"));
        assert_eq!(
            lines.next(),
            Some("4242\t3\tfile\trw,append,cloexec\t1234\t/var/log/app.log")
        );
        assert_eq!(t.lines().filter(|l| l.starts_with("4242\t")).count(), 8);
        assert!(t.contains("\n4242\t6\ttcp\tr,cloexec\t-\t127.0.0.1:8080 (LISTEN)\n"));
        assert!(t.ends_with("7\t0\tchar\tr,cloexec\t-\t/dev/pts/1\n"), "{t}");
    }

    #[test]
    fn json_object() {
        let v = to_json(&info());
        assert_eq!(v["pid"], 4242);
        assert_eq!(v["name"], "victim");
        let id = &v["identity"];
        assert_eq!(id["ppid"], 1);
        assert_eq!(id["parent_name"], "init");
        assert_eq!(
            (id["uid"].clone(), id["euid"].clone()),
            (json!(1000), json!(0))
        );
        assert_eq!(id["user"], "root");
        assert_eq!(id["real_user"], "alice");
        assert_eq!(id["group"], "users");
        assert_eq!(id["groups"][1], json!({"gid": 99, "name": null}));
        assert_eq!(id["tty"], "pts/3");
        assert_eq!(id["group_leader"], true);
        assert_eq!(id["session_leader"], false);
        let p = &v["program"];
        assert_eq!(p["exe"], "/usr/bin/victim");
        assert_eq!(p["exe_deleted"], true);
        assert_eq!(p["cmdline"], json!(["victim", "--flag", "a\u{1b}b"]));
        assert_eq!(p["cwd"], Json::Null);
        assert_eq!(p["root"], Json::Null);
        assert_eq!(p["start"], 1_000_000);
        assert_eq!(p["state"], "S");
        assert_eq!(p["state_name"], "sleeping");
        assert_eq!(p["policy"], "SCHED_BATCH");
        assert_eq!(p["umask"], "0022");
        assert_eq!(p["cgroup"][0]["path"], "/jail");
        assert_eq!(p["namespaces"][1]["type"], "net");
        assert_eq!(p["namespaces"][1]["same_as_ptool"], false);
        let r = &v["resources"];
        assert_eq!(r["rss"], 3 << 20);
        assert_eq!(r["system_time"], 125.0);
        assert_eq!(r["read_bytes"], Json::Null);
        let f = &v["open_files"];
        assert_eq!(f[0]["fd"], 3);
        assert_eq!(f[0]["type"], "file");
        assert_eq!(f[0]["mode"], "rw");
        assert_eq!(f[0]["flags"], json!(["append", "cloexec"]));
        assert_eq!(f[0]["offset"], 1234);
        assert_eq!(f[1]["deleted"], true);
        assert_eq!(f[2]["offset"], Json::Null);
        assert_eq!(
            f[4]["socket"],
            json!({"protocol": "tcp", "local": "127.0.0.1:8080", "remote": "127.0.0.1:50000", "state": "ESTABLISHED", "type": null})
        );
        assert_eq!(f[6]["device"], "1:3");
        assert_eq!(v["signals"]["ignored"], json!(["USR1"]));
        assert_eq!(v["signals"]["caught"], json!(["USR2", "32"]));
        assert_eq!(v["limits"][0]["resource"], "nofile");
        assert_eq!(v["limits"][0]["hard"], Json::Null);
        assert_eq!(v["environment"]["EVIL"], "\u{1b}]0;pwned\u{7}");
        assert_eq!(v["environment"]["EMPTY"], "");
        assert_eq!(v["environment"]["BARE"], Json::Null);
        assert_eq!(v["denied"], json!(["cwd", "io"]));
        let encoded = serde_json::to_string(&v).expect("encodes");
        assert!(!encoded.contains('\x1b'));
    }

    #[test]
    fn files_only_json_has_no_other_sections() {
        let mut info = info();
        info.identity = None;
        info.program = None;
        info.resources = None;
        info.signals = None;
        info.limits = None;
        info.env = None;
        info.scheduling = None;
        info.activity = None;
        let v = to_json(&info);
        let keys: Vec<&String> = v
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["pid", "name", "open_files", "denied"]);
    }

    #[test]
    fn names() {
        assert_eq!(state_name(b'D'), "disk sleep");
        assert_eq!(policy_name(1), "SCHED_FIFO");
        assert_eq!(policy_name(42), "policy 42");
        assert_eq!(seconds(0.5), "0.50s");
        assert_eq!(seconds(3700.0), "1h01m");
    }
}
