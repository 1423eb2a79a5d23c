//! Gathering everything about one process into plain structs, one per
//! section of the page. Nothing here formats; [`super::render`] does.
//!
//! Files another user's process keeps private (`exe`, `cwd`, `root`, `fd/`,
//! `io`, `environ`, `ns/`) become [`Field::Denied`], so the page can say
//! "permission denied" instead of leaving the section out.

use crate::ended::EndStatus;
use crate::proc::cgroup::{self, Cgroup};
use crate::proc::fds::{self, OpenFile};
use crate::proc::io_stats::{self, IoStats};
use crate::proc::limits::{self, Limit};
use crate::proc::memory::{self, Rollup, Statm};
use crate::proc::ns::{self, Namespace};
use crate::proc::tty::Ttys;
use crate::proc::{Field, Need, Reader, System, ZombieStatus, environ};
use crate::signal::Dispositions;
use crate::sys::time::LocalTime;
use crate::sys::users::Names;

use super::sched::{self, Activity, Scheduling};

/// What to gather besides the default sections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Only the open files (`--files`).
    pub files_only: bool,
    pub limits: bool,
    pub env: bool,
    /// USS and PSS from `smaps_rollup` (`--memory`), which costs a walk of
    /// every page table of the process.
    pub memory: bool,
}

/// Everything known about one process. Sections that were not asked for
/// are `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct Info {
    pub pid: i32,
    /// The name from `stat` (`comm`). Untrusted.
    pub name: Vec<u8>,
    pub identity: Option<Identity>,
    pub program: Option<Program>,
    pub resources: Option<Resources>,
    pub files: Field<Vec<OpenFile>>,
    pub signals: Option<Dispositions>,
    pub limits: Option<Field<Vec<Limit>>>,
    /// `KEY`, `value` pairs in order. Untrusted.
    pub env: Option<Field<Vec<environ::Var>>>,
    /// Every thread's CPUs, I/O priority, policy and niceness.
    pub scheduling: Option<Scheduling>,
    /// What it is doing now: wchan and the system call in progress.
    pub activity: Option<Activity>,
}

/// A user or group id with its name, when the system has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Id {
    pub id: u32,
    pub name: Option<String>,
}

/// Who the process is and where it sits: ids, parent, group, session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub ppid: i32,
    pub parent_name: Option<Vec<u8>>,
    pub pgid: i32,
    pub sid: i32,
    /// The controlling terminal, `pts/3`.
    pub tty: Option<String>,
    /// The process's group is the terminal's foreground group.
    pub foreground: bool,
    pub group_leader: bool,
    pub session_leader: bool,
    /// Real, effective, saved and filesystem uid; `None` when `status` could
    /// not be read.
    pub uids: Option<[Id; 4]>,
    /// Real, effective, saved and filesystem gid.
    pub gids: Option<[Id; 4]>,
    /// Supplementary groups.
    pub groups: Vec<Id>,
}

/// What runs: the program, where, since when, how it is scheduled.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// The executable's path (without the kernel's ` (deleted)`).
    pub exe: Field<Vec<u8>>,
    /// The executable was deleted (or replaced) after it was started.
    pub exe_deleted: bool,
    pub args: Vec<Vec<u8>>,
    /// A kernel thread: no program, no command line.
    pub kernel_thread: bool,
    pub cwd: Field<Vec<u8>>,
    pub root: Field<Vec<u8>>,
    /// Unix seconds.
    pub start: f64,
    /// The start as the local clock read it (converted while gathering).
    pub start_local: Option<LocalTime>,
    /// Seconds since the start.
    pub age: f64,
    pub state: u8,
    /// How it ended, for a zombie (`Unknown` when only its owner and root
    /// may read that); `None` while it runs.
    pub ended: Option<EndStatus>,
    pub threads: i64,
    pub nice: i64,
    pub priority: i64,
    /// `SCHED_*` number from `stat`.
    pub policy: u64,
    pub rt_priority: u64,
    pub tracer_pid: Option<i32>,
    pub umask: Option<u32>,
    pub cgroups: Field<Vec<Cgroup>>,
    pub namespaces: Field<Vec<NamespaceInfo>>,
}

/// A namespace and whether ptool shares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamespaceInfo {
    pub ns: Namespace,
    /// `None` when ptool's own could not be read.
    pub same_as_ptool: Option<bool>,
}

/// Memory, CPU and I/O used.
#[derive(Debug, Clone, PartialEq)]
pub struct Resources {
    pub rss: u64,
    pub vsz: u64,
    /// Resident memory shared with others (file-backed plus shmem).
    pub shared: Option<u64>,
    pub swap: Option<u64>,
    pub peak_rss: Option<u64>,
    /// Seconds.
    pub user_time: f64,
    pub system_time: f64,
    pub minor_faults: u64,
    pub major_faults: u64,
    pub voluntary_switches: Option<u64>,
    pub involuntary_switches: Option<u64>,
    pub io: Field<IoStats>,
    /// Code and data size from `statm`.
    pub statm: Option<Statm>,
    /// CPU time of the children it waited for, seconds.
    pub children_user_time: f64,
    pub children_system_time: f64,
    /// USS and PSS, with `--memory`.
    pub rollup: Option<Field<Rollup>>,
}

/// What gathering reuses across processes: the reader, the clock snapshot,
/// name caches and ptool's own namespaces.
#[derive(Debug)]
pub struct Context {
    pub reader: Reader,
    pub sys: System,
    names: Names,
    ttys: Option<Ttys>,
    own_namespaces: Option<Option<Vec<Namespace>>>,
}

impl Context {
    pub fn new(reader: Reader, sys: System) -> Context {
        Context {
            reader,
            sys,
            names: Names::default(),
            ttys: None,
            own_namespaces: None,
        }
    }

    fn user(&mut self, id: u32) -> Id {
        Id {
            id,
            name: self.names.user(id).map(str::to_string),
        }
    }

    fn group(&mut self, id: u32) -> Id {
        Id {
            id,
            name: self.names.group(id).map(str::to_string),
        }
    }

    fn own_namespaces(&mut self) -> Option<&Vec<Namespace>> {
        if self.own_namespaces.is_none() {
            let own = ns::read(&self.reader, crate::sys::own_pid()).ok();
            self.own_namespaces = Some(own);
        }
        self.own_namespaces.as_ref().and_then(Option::as_ref)
    }
}

/// Gather `pid`, or `None` when it does not exist or ended (or its PID was
/// reused) while being read, or is not the process selected at
/// `selected_start`.
pub fn gather(
    ctx: &mut Context,
    pid: i32,
    selected_start: Option<u64>,
    opts: Options,
) -> Option<Info> {
    let need = if opts.files_only {
        Need::STAT
    } else {
        Need::CMDLINE | Need::STATUS | Need::EXE | Need::CWD
    };
    let process = ctx.reader.read(pid, need)?;
    let start_ticks = process.stat.start_ticks;
    if selected_start.is_some_and(|selected| selected != start_ticks) {
        return None;
    }
    let files = Field::from_result(fds::read(&mut ctx.reader, pid));
    let mut info = Info {
        pid,
        name: process.stat.name.clone(),
        identity: None,
        program: None,
        resources: None,
        files,
        signals: None,
        limits: None,
        env: None,
        scheduling: None,
        activity: None,
    };
    if !opts.files_only {
        info.identity = Some(identity(ctx, &process));
        info.program = Some(program(ctx, &process));
        info.resources = Some(resources(ctx, &process, opts.memory));
        info.signals = process.status.as_deref().map(Dispositions::from_status);
        info.scheduling = Some(sched::gather_scheduling(&mut ctx.reader, pid));
        info.activity = Some(sched::gather_activity(&mut ctx.reader, pid));
    }
    if opts.limits {
        info.limits = Some(ctx.reader.parsed(pid, "limits", limits::parse));
    }
    if opts.env {
        info.env = Some(ctx.reader.parsed(pid, "environ", environ::parse));
    }
    // A process that ended mid-read leaves holes; one whose PID now names
    // another process would mix two. Either way, it is not there.
    match ctx.reader.stat(pid) {
        Some(stat) if stat.start_ticks == start_ticks => Some(info),
        _ => None,
    }
}

fn identity(ctx: &mut Context, p: &crate::proc::Process) -> Identity {
    let s = &p.stat;
    let parent_name = (s.ppid > 0)
        .then(|| ctx.reader.stat(s.ppid))
        .flatten()
        .map(|parent| parent.name);
    let tty = ctx.ttys.get_or_insert_with(Ttys::read).name(s.tty_nr);
    let (uids, gids, groups) = match &p.status {
        Some(st) => {
            let uids = st.uids.map(|u| ctx.user(u));
            let gids = st.gids.map(|g| ctx.group(g));
            let groups = st.groups.iter().map(|g| ctx.group(*g)).collect();
            (Some(uids), Some(gids), groups)
        }
        None => (None, None, Vec::new()),
    };
    Identity {
        ppid: s.ppid,
        parent_name,
        pgid: s.pgid,
        sid: s.sid,
        foreground: tty.is_some() && s.tpgid > 0 && s.tpgid == s.pgid,
        tty,
        group_leader: s.pgid == p.pid,
        session_leader: s.sid == p.pid,
        uids,
        gids,
        groups,
    }
}

fn program(ctx: &mut Context, p: &crate::proc::Process) -> Program {
    let pid = p.pid;
    let s = &p.stat;
    let mut exe = p.exe.clone().unwrap_or(Field::Unavailable);
    let mut exe_deleted = false;
    if let Field::Value(path) = &mut exe
        && path.ends_with(fds::DELETED)
        && fds::is_deleted(path, ctx.reader.link_stat(pid, "exe").ok())
    {
        path.truncate(path.len() - fds::DELETED.len());
        exe_deleted = true;
    }
    let namespaces = Field::from_result(ns::read(&ctx.reader, pid)).map(|list| {
        let own = ctx.own_namespaces().cloned();
        list.into_iter()
            .map(|n| NamespaceInfo {
                ns: n,
                same_as_ptool: own.as_ref().map(|own| own.contains(&n)),
            })
            .collect()
    });
    Program {
        exe,
        exe_deleted,
        args: p
            .args()
            .unwrap_or_default()
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect(),
        kernel_thread: p.is_kernel_thread(),
        cwd: p.cwd.clone().unwrap_or(Field::Unavailable),
        root: Field::from_result(ctx.reader.link(pid, "root")),
        start: ctx.sys.start_time(s.start_ticks),
        start_local: crate::sys::time::local(ctx.sys.start_time(s.start_ticks) as i64),
        age: ctx.sys.age(s.start_ticks),
        state: s.state,
        ended: if s.has_ended() {
            match ctx.reader.zombie_status(pid, s.start_ticks) {
                ZombieStatus::Status(raw) => Some(EndStatus::from_wait_status(raw)),
                ZombieStatus::Hidden => Some(EndStatus::Unknown),
                ZombieStatus::NoZombie => None,
            }
        } else {
            None
        },
        threads: s.threads,
        nice: s.nice,
        priority: s.priority,
        policy: s.policy,
        rt_priority: s.rt_priority,
        tracer_pid: p.status.as_ref().map(|st| st.tracer_pid),
        umask: p.status.as_ref().and_then(|st| st.umask),
        cgroups: ctx.reader.parsed(pid, "cgroup", cgroup::parse),
        namespaces,
    }
}

fn resources(ctx: &mut Context, p: &crate::proc::Process, memory: bool) -> Resources {
    let s = &p.stat;
    let st = p.status.as_ref();
    let sys = &ctx.sys;
    Resources {
        rss: st
            .and_then(|st| st.vm_rss)
            .unwrap_or(s.rss_pages * sys.page_size),
        vsz: s.vsize,
        shared: st.and_then(|st| Some(st.rss_file? + st.rss_shmem.unwrap_or(0))),
        swap: st.and_then(|st| st.vm_swap),
        peak_rss: st.and_then(|st| st.vm_hwm),
        user_time: sys.ticks_to_secs(s.utime),
        system_time: sys.ticks_to_secs(s.stime),
        minor_faults: s.minflt,
        major_faults: s.majflt,
        voluntary_switches: st.map(|st| st.voluntary_ctxt_switches),
        involuntary_switches: st.map(|st| st.nonvoluntary_ctxt_switches),
        io: ctx.reader.parsed(p.pid, "io", io_stats::parse),
        statm: ctx
            .reader
            .file(p.pid, "statm")
            .ok()
            .and_then(|raw| memory::parse_statm(&raw, sys.page_size)),
        children_user_time: sys.ticks_to_secs(s.cutime),
        children_system_time: sys.ticks_to_secs(s.cstime),
        rollup: memory.then(|| {
            ctx.reader
                .parsed(p.pid, "smaps_rollup", memory::parse_rollup)
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    #[test]
    fn gathers_itself() -> io::Result<()> {
        let mut ctx = Context::new(Reader::new()?, System::read());
        let me = crate::sys::own_pid();
        let info = gather(
            &mut ctx,
            me,
            None,
            Options {
                limits: true,
                env: true,
                ..Options::default()
            },
        )
        .expect("self exists");
        assert_eq!(info.pid, me);
        let program = info.program.expect("program");
        assert!(matches!(program.exe, Field::Value(_)));
        assert!(!program.exe_deleted);
        assert!(matches!(program.root, Field::Value(ref r) if r == b"/"));
        let namespaces = program.namespaces.value().expect("own namespaces");
        assert!(namespaces.iter().all(|n| n.same_as_ptool == Some(true)));
        assert!(info.files.value().is_some_and(|f| !f.is_empty()));
        assert!(matches!(info.limits, Some(Field::Value(ref l)) if !l.is_empty()));
        assert!(info.env.as_ref().is_some_and(|e| e.value().is_some()));
        let identity = info.identity.expect("identity");
        assert_eq!(
            identity.uids.as_ref().map(|u| u[1].id),
            Some(rustix::process::geteuid().as_raw())
        );
        assert!(matches!(
            info.resources.map(|r| r.io),
            Some(Field::Value(_))
        ));
        Ok(())
    }

    #[test]
    fn files_only_skips_the_rest() -> io::Result<()> {
        let mut ctx = Context::new(Reader::new()?, System::read());
        let info = gather(
            &mut ctx,
            crate::sys::own_pid(),
            None,
            Options {
                files_only: true,
                ..Options::default()
            },
        )
        .expect("self exists");
        assert!(info.identity.is_none() && info.program.is_none());
        assert!(info.limits.is_none() && info.env.is_none());
        assert!(info.files.value().is_some());
        Ok(())
    }

    #[test]
    fn missing_processes_are_none() -> io::Result<()> {
        let mut ctx = Context::new(Reader::new()?, System::read());
        assert!(gather(&mut ctx, i32::MAX, None, Options::default()).is_none());
        Ok(())
    }

    #[test]
    fn a_pid_selected_at_another_start_time_is_another_process() -> io::Result<()> {
        let mut ctx = Context::new(Reader::new()?, System::read());
        let me = crate::sys::own_pid();
        let start = ctx.reader.stat(me).map(|s| s.start_ticks).expect("self");
        let opts = Options::default();
        assert!(gather(&mut ctx, me, Some(start), opts).is_some());
        assert!(gather(&mut ctx, me, Some(start + 1), opts).is_none());
        Ok(())
    }
}
