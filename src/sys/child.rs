//! Starting and supervising child processes: fork + exec by hand, so the
//! parent learns exactly which step failed (changing directory, setting the
//! niceness, or exec itself) through a close-on-exec pipe, and returns only
//! once the child has really exec'd. Also the process-group, reaping and
//! terminal job-control calls that a supervisor needs (`spawn --wait`,
//! `fork`).
//!
//! Between `fork` and `execve` the child only makes async-signal-safe system
//! calls on memory prepared before the fork: no allocation, no locks.

use std::ffi::{CString, OsStr, OsString};
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use rustix::process::{Pid, WaitId, WaitIdOptions, WaitOptions};

use super::sigmask::Blocked;
use crate::signal::Signal;

/// Where the child goes in the process-group hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Group {
    /// Stay in the parent's process group and session.
    #[default]
    Inherit,
    /// Lead a new process group (`setpgid(0, 0)`), in the parent's session.
    NewGroup,
    /// Lead a new session and process group without a controlling terminal
    /// (`setsid`): no terminal hangup or keyboard signal can reach it.
    NewSession,
}

/// Everything about how to start one child. Descriptors are borrowed: the
/// caller opens files (logs, `/dev/null`, the working directory) before the
/// fork, so those errors are reported with their file names.
#[derive(Debug, Default)]
pub struct Launch<'a> {
    /// The command: `argv[0]` is looked up in `PATH` unless it has a `/`.
    pub argv: Vec<OsString>,
    /// The whole environment of the child; `None` passes on ptool's own.
    pub env: Option<Vec<(OsString, OsString)>>,
    /// An open directory to change into (`fchdir`).
    pub cwd: Option<BorrowedFd<'a>>,
    /// Descriptors to install as 0, 1 and 2; `None` inherits ptool's.
    pub stdin: Option<BorrowedFd<'a>>,
    pub stdout: Option<BorrowedFd<'a>>,
    pub stderr: Option<BorrowedFd<'a>>,
    pub group: Group,
    /// With [`Group::NewGroup`]: make the new group the foreground group of
    /// this (controlling) terminal before exec, so the command can use the
    /// terminal like a shell job. Done in the child, so it has the terminal
    /// before it can first read it.
    pub terminal: Option<BorrowedFd<'a>>,
    /// The file mode creation mask.
    pub umask: Option<u32>,
    /// The niceness to run at (-20..=19; lower needs privilege).
    pub nice: Option<i32>,
    /// A signal the child gets when ptool dies (`PR_SET_PDEATHSIG`).
    pub death_signal: Option<Signal>,
    /// Mark every descriptor above 2 close-on-exec, so the child holds none
    /// of the caller's pipes or files.
    pub close_fds: bool,
}

/// The step of starting a child that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Prepare,
    Fork,
    Session,
    Group,
    Terminal,
    Nice,
    DeathSignal,
    Cwd,
    Stdio,
    CloseFds,
    Exec,
}

impl Step {
    fn code(self) -> u32 {
        self as u32
    }

    fn from_code(code: u32) -> Step {
        [
            Step::Prepare,
            Step::Fork,
            Step::Session,
            Step::Group,
            Step::Terminal,
            Step::Nice,
            Step::DeathSignal,
            Step::Cwd,
            Step::Stdio,
            Step::CloseFds,
            Step::Exec,
        ]
        .into_iter()
        .find(|s| s.code() == code)
        .unwrap_or(Step::Exec)
    }

    fn doing(self) -> &'static str {
        match self {
            Step::Prepare => "prepare the command",
            Step::Fork => "fork",
            Step::Session => "start a new session",
            Step::Group => "start a new process group",
            Step::Terminal => "give the terminal to the command",
            Step::Nice => "set the niceness",
            Step::DeathSignal => "set the parent-death signal",
            Step::Cwd => "change directory",
            Step::Stdio => "set up standard input and output",
            Step::CloseFds => "close inherited descriptors",
            Step::Exec => "run the command",
        }
    }
}

/// Why a child could not be started: the step and the OS error.
#[derive(Debug)]
pub struct LaunchError {
    pub step: Step,
    pub error: io::Error,
}

impl LaunchError {
    /// True when the command itself was not found (exit 127 by convention);
    /// any other exec failure means "found but not executable" (126), as
    /// `timeout`, `env` and the shells have it.
    pub fn not_found(&self) -> bool {
        self.step == Step::Exec && self.error.raw_os_error() == Some(libc::ENOENT)
    }

    pub fn step_text(&self) -> &'static str {
        self.step.doing()
    }
}

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot {}: {}", self.step.doing(), self.error)
    }
}

impl std::error::Error for LaunchError {}

/// A started child, not yet reaped. Dropping it does not reap it: a detached
/// command outlives ptool; a supervised one is reaped with [`Child::wait`].
#[derive(Debug)]
pub struct Child {
    pid: i32,
}

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Its exit code, when it exited.
    pub code: Option<i32>,
    /// The signal that killed it, when one did.
    pub signal: Option<i32>,
}

impl Status {
    fn from_wait(status: rustix::process::WaitStatus) -> Status {
        Status {
            code: status.exit_status(),
            signal: status.terminating_signal(),
        }
    }
}

/// What the child writes into the report pipe when a step fails.
#[repr(C)]
#[derive(Clone, Copy)]
struct Report {
    step: u32,
    errno: i32,
}

/// The argument and environment arrays, built before the fork.
struct Prepared {
    _argv: Vec<CString>,
    argv_ptrs: Vec<*const libc::c_char>,
    _envp: Option<Vec<CString>>,
    envp_ptrs: Option<Vec<*const libc::c_char>>,
    candidates: Vec<CString>,
}

fn cstring(bytes: &[u8]) -> Result<CString, LaunchError> {
    CString::new(bytes).map_err(|_| LaunchError {
        step: Step::Prepare,
        error: io::Error::new(
            io::ErrorKind::InvalidInput,
            "an argument or variable contains a NUL byte",
        ),
    })
}

impl Prepared {
    fn new(launch: &Launch<'_>) -> Result<Prepared, LaunchError> {
        let program = launch.argv.first().ok_or_else(|| LaunchError {
            step: Step::Prepare,
            error: io::Error::new(io::ErrorKind::InvalidInput, "no command given"),
        })?;
        let argv: Vec<CString> = launch
            .argv
            .iter()
            .map(|a| cstring(a.as_bytes()))
            .collect::<Result<_, _>>()?;
        let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
        argv_ptrs.push(std::ptr::null());
        let envp = match &launch.env {
            Some(vars) => Some(
                vars.iter()
                    .map(|(k, v)| {
                        let mut entry = k.as_bytes().to_vec();
                        entry.push(b'=');
                        entry.extend_from_slice(v.as_bytes());
                        cstring(&entry)
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        let envp_ptrs = envp.as_ref().map(|vars| {
            let mut ptrs: Vec<*const libc::c_char> = vars.iter().map(|v| v.as_ptr()).collect();
            ptrs.push(std::ptr::null());
            ptrs
        });
        let path = launch
            .env
            .as_ref()
            .and_then(|vars| vars.iter().rev().find(|(k, _)| k == "PATH"))
            .map(|(_, v)| v.clone());
        let candidates = search_path(program, path)
            .iter()
            .map(|c| cstring(c.as_bytes()))
            .collect::<Result<_, _>>()?;
        Ok(Prepared {
            _argv: argv,
            argv_ptrs,
            _envp: envp,
            envp_ptrs,
            candidates,
        })
    }
}

/// The paths to try for `program`, in order, as `execvp` would: itself when
/// it names a path, otherwise each `PATH` entry (an empty one is the current
/// directory). `path` is the child's `PATH`; when the child has none, ptool's
/// own is used, then the traditional `/bin:/usr/bin`.
pub fn search_path(program: &OsStr, path: Option<OsString>) -> Vec<OsString> {
    let bytes = program.as_bytes();
    if bytes.is_empty() || bytes.contains(&b'/') {
        return vec![program.to_os_string()];
    }
    let path = path
        .or_else(|| std::env::var_os("PATH"))
        .unwrap_or_else(|| OsString::from("/bin:/usr/bin"));
    path.as_bytes()
        .split(|&b| b == b':')
        .map(|dir| {
            let mut full = if dir.is_empty() {
                b".".to_vec()
            } else {
                dir.to_vec()
            };
            if !full.ends_with(b"/") {
                full.push(b'/');
            }
            full.extend_from_slice(bytes);
            OsString::from_vec(full)
        })
        // A directory listed twice (common in PATH) is tried once.
        .fold(Vec::new(), |mut seen: Vec<OsString>, candidate| {
            if !seen.contains(&candidate) {
                seen.push(candidate);
            }
            seen
        })
}

/// True once the child `pid` of this process has exited, without reaping
/// it (WNOWAIT): while it is an unreaped zombie its PID, and so its
/// process-group ID, cannot be reused.
pub fn has_exited(pid: i32) -> io::Result<bool> {
    let pid = Pid::from_raw(pid).ok_or_else(|| io::Error::from_raw_os_error(libc::ECHILD))?;
    let status = rustix::process::waitid(
        WaitId::Pid(pid),
        WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT,
    )?;
    Ok(status.is_some_and(|s| s.exited() || s.killed() || s.dumped()))
}

/// Start a child as `launch` describes. Returns once the child has exec'd
/// the command; if any step before that fails, the child is reaped and the
/// step and error are returned.
pub fn launch(launch: &Launch<'_>) -> Result<Child, LaunchError> {
    let (child, report) = start(launch)?;
    report.outcome_or_reap(&child)?;
    Ok(child)
}

/// Start a child without waiting for its exec: the caller learns the
/// outcome from the [`ExecReport`] when it needs to (a supervisor that
/// waits for the child anyway can read it once the child has exited, and
/// so be woken once instead of twice). A failed child exits with 127.
pub fn start(launch: &Launch<'_>) -> Result<(Child, ExecReport), LaunchError> {
    let prepared = Prepared::new(launch)?;
    let os_err = |step: Step| {
        move |e: rustix::io::Errno| LaunchError {
            step,
            error: e.into(),
        }
    };
    let (report_read, report_write) =
        rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).map_err(os_err(Step::Fork))?;
    let parent = rustix::process::getpid().as_raw_nonzero().get();

    // Block every signal across the fork, so no handler of ptool's can run
    // in the child before it has reset its signal state.
    let blocked = Blocked::all().map_err(|error| LaunchError {
        step: Step::Fork,
        error,
    })?;

    // Start the child like posix_spawn(3) does: CLONE_VM | CLONE_VFORK
    // runs it in ptool's memory, on a stack of its own, while this thread
    // waits until it has exec'd or exited. Unlike fork(2) nothing is copied,
    // and the child's exec has no copy of ptool's address space to tear
    // down, which makes a detached start markedly cheaper.
    let args = ChildArgs {
        launch,
        prepared: &prepared,
        report: report_write.as_raw_fd(),
        parent,
    };
    let mut stack = vec![0u8; CHILD_STACK];
    // The stack grows down from its (16-byte aligned) top.
    let top = (stack.as_mut_ptr() as usize + CHILD_STACK) & !15;
    // SAFETY: `child_entry` runs on `stack`, which outlives the child's use
    // of it (CLONE_VFORK suspends this thread until the child has exec'd or
    // exited, and `stack` is dropped only after that); `args` lives on this
    // frame for as long. Every signal is blocked, so no handler runs in the
    // child before it has reset them (see `child_entry`).
    let pid = unsafe {
        libc::clone(
            child_entry,
            top as *mut libc::c_void,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            (&raw const args).cast_mut().cast(),
        )
    };
    let fork_error = io::Error::last_os_error();
    drop(stack);
    drop(blocked);
    drop(report_write);
    if pid < 0 {
        return Err(LaunchError {
            step: Step::Fork,
            error: fork_error,
        });
    }
    Ok((Child { pid }, ExecReport { fd: report_read }))
}

/// The read end of a child's close-on-exec report pipe.
#[derive(Debug)]
pub struct ExecReport {
    fd: OwnedFd,
}

impl ExecReport {
    /// [`ExecReport::outcome`], reaping `child` when it failed (it has
    /// exited, or is about to, with 127).
    pub fn outcome_or_reap(self, child: &Child) -> Result<(), LaunchError> {
        self.outcome().inspect_err(|_| {
            let _ = child.wait();
        })
    }

    /// Block until the child has exec'd (`Ok`) or reported a failed step.
    /// Returns at once when the child has already exited. Does not reap.
    pub fn outcome(self) -> Result<(), LaunchError> {
        match read_report(&self.fd) {
            Ok(None) => Ok(()),
            Ok(Some(report)) => Err(LaunchError {
                step: Step::from_code(report.step),
                error: io::Error::from_raw_os_error(report.errno),
            }),
            Err(error) => Err(LaunchError {
                step: Step::Exec,
                error,
            }),
        }
    }
}

/// Read the child's report: end of file (the pipe closed on exec) means
/// success.
fn read_report(fd: &OwnedFd) -> io::Result<Option<Report>> {
    let mut buf = [0u8; size_of::<Report>()];
    let mut got = 0;
    while got < buf.len() {
        match rustix::io::read(fd, &mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    match got {
        0 => Ok(None),
        n if n == buf.len() => {
            let step = u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]);
            let errno = i32::from_ne_bytes([buf[4], buf[5], buf[6], buf[7]]);
            Ok(Some(Report { step, errno }))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the child's report was cut short",
        )),
    }
}

/// The stack of the child between clone and exec: `in_child` is shallow, so
/// this is generous even for unoptimised builds.
const CHILD_STACK: usize = 256 * 1024;

/// What the child needs, passed through `clone`'s argument pointer.
struct ChildArgs<'a> {
    launch: &'a Launch<'a>,
    prepared: &'a Prepared,
    report: RawFd,
    parent: i32,
}

/// The child's entry point. It shares ptool's memory (CLONE_VM) but has its
/// own copy of the signal handlers, so it first puts every caught signal
/// back to its default: a handler of ptool's running here, once the mask is
/// cleared before exec, would act on the parent's memory.
extern "C" fn child_entry(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` points to the `ChildArgs` on the parent's suspended
    // frame (see `start`); sigaction is async-signal-safe and changes only
    // this child's handler table; `in_child` never returns.
    unsafe {
        let args = &*arg.cast::<ChildArgs<'_>>();
        for sig in 1..=64 {
            if matches!(sig, libc::SIGKILL | libc::SIGSTOP) {
                continue;
            }
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut old) == 0
                && old.sa_sigaction != libc::SIG_DFL
                && old.sa_sigaction != libc::SIG_IGN
            {
                let mut default: libc::sigaction = std::mem::zeroed();
                default.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(sig, &default, std::ptr::null_mut());
            }
        }
        in_child(args.launch, args.prepared, args.report, args.parent)
    }
}

/// The child's side: set everything up, then exec. Only async-signal-safe
/// calls, and no allocation: everything it touches was prepared before the
/// fork.
///
/// # Safety
/// Must be called only in a child just started by `start` (or `fork`),
/// with every signal blocked.
unsafe fn in_child(launch: &Launch<'_>, p: &Prepared, report: RawFd, parent: i32) -> ! {
    // SAFETY: every call below is a plain system call with valid arguments
    // (descriptors borrowed from the parent, pointers into `p`, which
    // outlives the exec), and all are async-signal-safe.
    unsafe {
        match launch.group {
            Group::Inherit => {}
            Group::NewGroup => {
                if libc::setpgid(0, 0) < 0 {
                    fail_in_child(report, Step::Group);
                }
            }
            Group::NewSession => {
                if libc::setsid() < 0 {
                    fail_in_child(report, Step::Session);
                }
            }
        }
        if let Some(tty) = launch.terminal {
            // SIGTTOU is blocked (every signal is, since the fork), so a
            // background process may take the terminal.
            if libc::tcsetpgrp(tty.as_raw_fd(), libc::getpid()) < 0 {
                fail_in_child(report, Step::Terminal);
            }
        }
        if let Some(mask) = launch.umask {
            libc::umask(mask as libc::mode_t);
        }
        if let Some(nice) = launch.nice
            && libc::setpriority(libc::PRIO_PROCESS, 0, nice) < 0
        {
            fail_in_child(report, Step::Nice);
        }
        if let Some(sig) = launch.death_signal {
            if libc::prctl(libc::PR_SET_PDEATHSIG, sig.number() as libc::c_ulong) < 0 {
                fail_in_child(report, Step::DeathSignal);
            }
            // The parent may have died before the prctl took effect.
            if libc::getppid() != parent {
                libc::_exit(125);
            }
        }
        if let Some(dir) = launch.cwd
            && libc::fchdir(dir.as_raw_fd()) < 0
        {
            fail_in_child(report, Step::Cwd);
        }
        // Move the sources above 2 first, so installing one cannot clobber
        // another that happens to sit at 0, 1 or 2.
        let mut moved = [-1; 3];
        for (i, src) in [launch.stdin, launch.stdout, launch.stderr]
            .iter()
            .enumerate()
        {
            if let Some(fd) = src {
                moved[i] = libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3);
                if moved[i] < 0 {
                    fail_in_child(report, Step::Stdio);
                }
            }
        }
        for (target, &fd) in moved.iter().enumerate() {
            // dup2 clears close-on-exec on the new descriptor.
            if fd >= 0 && libc::dup2(fd, target as libc::c_int) < 0 {
                fail_in_child(report, Step::Stdio);
            }
        }
        if launch.close_fds {
            let ret = libc::syscall(
                libc::SYS_close_range,
                3u32,
                u32::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            );
            if ret < 0 {
                // Kernels before 5.11: mark them one by one.
                for fd in 3..65_536 {
                    libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                }
            }
        }
        // Rust ignores SIGPIPE; commands expect the default. Then unblock
        // everything: the command starts with an empty signal mask.
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        let mut empty = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigemptyset(empty.as_mut_ptr());
        libc::pthread_sigmask(libc::SIG_SETMASK, empty.as_ptr(), std::ptr::null_mut());

        let envp = match &p.envp_ptrs {
            Some(ptrs) => ptrs.as_ptr(),
            None => environ,
        };
        // Like execvp: a missing file or directory moves on to the next
        // PATH entry; permission denied is remembered in case nothing else
        // is found; any other error stops the search.
        let mut denied = false;
        for candidate in &p.candidates {
            libc::execve(candidate.as_ptr(), p.argv_ptrs.as_ptr(), envp);
            match *libc::__errno_location() {
                libc::EACCES => denied = true,
                libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ENODEV | libc::ETIMEDOUT => {}
                _ => fail_in_child(report, Step::Exec),
            }
        }
        if denied {
            *libc::__errno_location() = libc::EACCES;
        }
        fail_in_child(report, Step::Exec)
    }
}

/// Report `step` and the current errno to the parent, and exit.
fn fail_in_child(report: RawFd, step: Step) -> ! {
    // SAFETY: errno is thread-local and readable; write and _exit are
    // async-signal-safe, and `r` lives on this stack for the write.
    unsafe {
        let r = Report {
            step: step.code(),
            errno: *libc::__errno_location(),
        };
        libc::write(report, (&raw const r).cast(), size_of::<Report>());
        libc::_exit(127)
    }
}

unsafe extern "C" {
    /// The process environment, as `execve` wants it.
    static environ: *const *const libc::c_char;
}

impl Child {
    pub fn pid(&self) -> i32 {
        self.pid
    }

    fn rpid(&self) -> Pid {
        // A child's PID from fork is always positive.
        Pid::from_raw(self.pid).unwrap_or(Pid::INIT)
    }

    /// Reap the child, blocking until it exits.
    pub fn wait(&self) -> io::Result<Status> {
        loop {
            match rustix::process::waitpid(Some(self.rpid()), WaitOptions::empty()) {
                Ok(Some((_, status))) => return Ok(Status::from_wait(status)),
                Ok(None) => {}
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Send `signal` to the child. Until it is reaped its PID cannot be
    /// reused, so plain `kill(2)` reaches this child and no other process.
    pub fn signal(&self, signal: Signal) -> io::Result<()> {
        super::pidfd::kill(self.pid, signal)
    }

    /// True once the child has exited, without reaping it: while it is an
    /// unreaped zombie its PID, and so its process-group ID, cannot be
    /// reused, which keeps signalling its group safe.
    pub fn has_exited(&self) -> io::Result<bool> {
        has_exited(self.pid)
    }

    /// The signal that stopped the child, if it has stopped since the last
    /// call (consumes the stop report).
    pub fn stopped(&self) -> io::Result<Option<i32>> {
        // WSTOPPED without WEXITED: never reaps the child by accident. On a
        // zombie child this finds nothing to report and fails with ECHILD.
        match rustix::process::waitid(
            WaitId::Pid(self.rpid()),
            WaitIdOptions::STOPPED | WaitIdOptions::NOHANG,
        ) {
            Ok(status) => Ok(status.and_then(|s| s.stopping_signal())),
            Err(rustix::io::Errno::CHILD) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// Send `signal` to every process in group `pgid`. Refuses the groups that
/// `kill(2)` would read as something wider (0, 1 and below).
pub fn signal_group(pgid: i32, signal: Signal) -> io::Result<()> {
    if pgid <= 1 {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: killpg takes plain integers; pgid > 1 names one group.
    let ret = unsafe { libc::killpg(pgid, signal.number()) };
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// True while any process (zombies included) is in group `pgid`.
pub fn group_exists(pgid: i32) -> bool {
    match signal_group(pgid, Signal::NULL) {
        Ok(()) => true,
        Err(e) => e.raw_os_error() != Some(libc::ESRCH),
    }
}

/// Become a child subreaper: orphaned descendants are re-parented to this
/// process instead of PID 1, so it can wait for them and reap them.
pub fn become_subreaper() -> io::Result<()> {
    rustix::process::set_child_subreaper(Some(rustix::process::getpid()))?;
    Ok(())
}

/// The PIDs of this (single-threaded) process's children, from
/// `/proc/self/task/PID/children`; `Err` when the kernel lacks that file.
pub fn own_children() -> io::Result<Vec<i32>> {
    let me = crate::sys::own_pid();
    let text = std::fs::read_to_string(format!("/proc/self/task/{me}/children"))?;
    Ok(text
        .split_ascii_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect())
}

/// Reap `pid` if it has exited (it must be a child of this process).
pub fn reap_if_exited(pid: i32) -> io::Result<Option<Status>> {
    let Some(rpid) = Pid::from_raw(pid) else {
        return Ok(None);
    };
    match rustix::process::waitpid(Some(rpid), WaitOptions::NOHANG) {
        Ok(Some((_, status))) => Ok(Some(Status::from_wait(status))),
        Ok(None) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// ptool's own process group: 0 when the group's leader is outside this
/// PID namespace (a container started from a shell outside it). Not
/// rustix's `getpgrp`, whose non-zero `Pid` cannot hold that 0.
pub fn own_group() -> i32 {
    nix::unistd::getpgrp().as_raw()
}

/// The controlling terminal, opened for job control, when there is one.
pub fn controlling_terminal() -> Option<OwnedFd> {
    rustix::fs::open(
        "/dev/tty",
        rustix::fs::OFlags::RDWR | rustix::fs::OFlags::NOCTTY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .ok()
}

/// The terminal's foreground process group.
pub fn foreground_group(tty: BorrowedFd<'_>) -> Option<i32> {
    rustix::termios::tcgetpgrp(tty)
        .ok()
        .map(|p| p.as_raw_nonzero().get())
}

/// Make `pgid` the terminal's foreground group. The caller must have SIGTTOU
/// blocked when it is not itself in the foreground.
pub fn set_foreground_group(tty: BorrowedFd<'_>, pgid: i32) -> io::Result<()> {
    let pid = Pid::from_raw(pgid).ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))?;
    rustix::termios::tcsetpgrp(tty, pid)?;
    Ok(())
}

/// Stop this process with `signal` (job control: mirror a stopped command
/// so the shell sees its job stop). Returns once continued.
pub fn stop_self(signal: Signal) -> io::Result<()> {
    // SAFETY: raise takes a plain signal number.
    let ret = unsafe { libc::raise(signal.number()) };
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Open `path` for appending (created with mode 0666 less the umask, like a
/// shell's `>>`), close-on-exec.
pub fn open_append(path: &std::path::Path) -> io::Result<OwnedFd> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .custom_flags(libc::O_NOCTTY)
        .open(path)?;
    Ok(file.into())
}

/// Open a directory to change into later (`fchdir` in the child), checking
/// now that it is one and can be entered.
pub fn open_dir(path: &std::path::Path) -> io::Result<OwnedFd> {
    let fd = rustix::fs::open(
        path,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    rustix::fs::accessat(
        fd.as_fd(),
        ".",
        rustix::fs::Access::EXEC_OK,
        rustix::fs::AtFlags::empty(),
    )?;
    Ok(fd)
}

/// `/dev/null`, for reading or writing.
pub fn dev_null(write: bool) -> io::Result<OwnedFd> {
    let mode = if write {
        rustix::fs::OFlags::WRONLY
    } else {
        rustix::fs::OFlags::RDONLY
    };
    Ok(rustix::fs::open(
        "/dev/null",
        mode | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?)
}

/// Take an exclusive `flock` on an open file or directory, blocking.
pub fn lock_exclusive(fd: BorrowedFd<'_>) -> io::Result<()> {
    loop {
        match rustix::fs::flock(fd, rustix::fs::FlockOperation::LockExclusive) {
            Ok(()) => return Ok(()),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn path_search_follows_execvp() {
        let found = search_path(OsStr::new("ls"), Some(OsString::from("/a::/b/")));
        assert_eq!(found, argv(&["/a/ls", "./ls", "/b/ls"]));
        assert_eq!(
            search_path(OsStr::new("./x"), None),
            vec![OsString::from("./x")]
        );
    }

    #[test]
    fn reports_exec_failures() {
        let err = launch(&Launch {
            argv: argv(&["ptool-no-such-command-xyz"]),
            ..Launch::default()
        })
        .expect_err("not found");
        assert!(err.not_found(), "{err}");
        let err = launch(&Launch {
            argv: argv(&["/dev/null"]),
            ..Launch::default()
        })
        .expect_err("not executable");
        assert_eq!(err.step, Step::Exec);
        assert!(!err.not_found());
    }

    #[test]
    fn runs_and_reports_status() -> io::Result<()> {
        let child = launch(&Launch {
            argv: argv(&["sh", "-c", "exit 7"]),
            group: Group::NewGroup,
            ..Launch::default()
        })
        .map_err(|e| e.error)?;
        let status = child.wait()?;
        assert_eq!(status.code, Some(7));
        let child = launch(&Launch {
            argv: argv(&["sh", "-c", "kill -USR1 $$"]),
            ..Launch::default()
        })
        .map_err(|e| e.error)?;
        assert_eq!(child.wait()?.signal, Some(libc::SIGUSR1));
        Ok(())
    }

    #[test]
    fn cwd_failures_name_the_step() {
        let Ok(dir) = open_dir(std::path::Path::new("/")) else {
            return;
        };
        let child = launch(&Launch {
            argv: argv(&["true"]),
            cwd: Some(dir.as_fd()),
            nice: Some(19),
            umask: Some(0o077),
            ..Launch::default()
        });
        assert!(child.is_ok());
        if let Ok(child) = child {
            assert_eq!(child.wait().ok().and_then(|s| s.code), Some(0));
        }
    }
}
