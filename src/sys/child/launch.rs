//! Starting a child: the step-by-step launcher behind `spawn`. The child is
//! started with `clone(CLONE_VM | CLONE_VFORK)`, as posix_spawn(3) does,
//! then sets itself up and execs (see [`super::exec`]); a close-on-exec
//! pipe tells the parent exactly which step failed (changing directory,
//! setting the niceness, or exec itself), and [`launch`] returns only once
//! the child has really exec'd.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use super::exec::{ChildArgs, Report, child_entry};
use super::prepare::Prepared;
use super::reap::Child;
use crate::sys::sigmask::Blocked;

/// Where the child goes in the process-group hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[allow(
    clippy::enum_variant_names,
    reason = "a new group beside a new session: the names say what setpgid and setsid make"
)]
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
    /// The signal number the child gets when ptool dies
    /// (`PR_SET_PDEATHSIG`).
    pub death_signal: Option<i32>,
    /// Mark every descriptor above 2 close-on-exec, so the child holds none
    /// of the caller's pipes or files.
    pub close_fds: bool,
}

/// The step of starting a child that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Prepare,
    Pipe,
    SignalMask,
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
    pub(super) fn code(self) -> u32 {
        self as u32
    }

    fn from_code(code: u32) -> Step {
        [
            Step::Prepare,
            Step::Pipe,
            Step::SignalMask,
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
            Step::Pipe => "create the start-up report pipe",
            Step::SignalMask => "block signals",
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
        rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).map_err(os_err(Step::Pipe))?;
    let parent = rustix::process::getpid().as_raw_nonzero().get();

    // Block every signal across the fork, so no handler of ptool's can run
    // in the child before it has reset its signal state.
    let blocked = Blocked::all().map_err(|error| LaunchError {
        step: Step::SignalMask,
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
