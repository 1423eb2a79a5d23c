//! The child's side of a launch, between `clone` and `execve`: it shares
//! ptool's memory (CLONE_VM) while the parent is suspended (CLONE_VFORK),
//! so it makes only async-signal-safe system calls on memory prepared
//! before the clone: no allocation, no locks.

use std::os::fd::{AsRawFd, RawFd};

use super::launch::{Group, Launch, Step};
use super::prepare::Prepared;

/// What the child writes into the report pipe when a step fails.
#[repr(C)]
#[derive(Clone, Copy)]
pub(super) struct Report {
    pub(super) step: u32,
    pub(super) errno: i32,
}

/// What the child needs, passed through `clone`'s argument pointer.
pub(super) struct ChildArgs<'a> {
    pub(super) launch: &'a Launch<'a>,
    pub(super) prepared: &'a Prepared,
    pub(super) report: RawFd,
    pub(super) parent: i32,
}

/// The child's entry point. It shares ptool's memory (CLONE_VM) but has its
/// own copy of the signal handlers, so it first puts every caught signal
/// back to its default: a handler of ptool's running here, once the mask is
/// cleared before exec, would act on the parent's memory.
pub(super) extern "C" fn child_entry(arg: *mut libc::c_void) -> libc::c_int {
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
/// clone.
///
/// # Safety
/// Must be called only in a child just started by `start`, with every
/// signal blocked.
unsafe fn in_child(launch: &Launch<'_>, p: &Prepared, report: RawFd, parent: i32) -> ! {
    // SAFETY: the helpers make plain system calls with valid arguments
    // (descriptors borrowed from the parent, pointers into `p`, which
    // outlives the exec), all async-signal-safe; each reports its step and
    // exits on failure.
    unsafe {
        join_group(launch, report);
        set_attributes(launch, report, parent);
        install_stdio(launch, report);
        if launch.close_fds {
            close_inherited();
        }
        // Rust ignores SIGPIPE; commands expect the default. Then unblock
        // everything: the command starts with an empty signal mask.
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        let mut empty = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigemptyset(empty.as_mut_ptr());
        libc::pthread_sigmask(libc::SIG_SETMASK, empty.as_ptr(), std::ptr::null_mut());
        exec(p, report)
    }
}

/// The process group or session, and the terminal's foreground group.
///
/// # Safety
/// As [`in_child`].
unsafe fn join_group(launch: &Launch<'_>, report: RawFd) {
    // SAFETY: setpgid, setsid, getpid and tcsetpgrp take plain integers
    // (the terminal is a descriptor borrowed from the parent).
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
            // SIGTTOU is blocked (every signal is, since the clone), so a
            // background process may take the terminal.
            if libc::tcsetpgrp(tty.as_raw_fd(), libc::getpid()) < 0 {
                fail_in_child(report, Step::Terminal);
            }
        }
    }
}

/// The umask, niceness, parent-death signal and working directory.
///
/// # Safety
/// As [`in_child`].
unsafe fn set_attributes(launch: &Launch<'_>, report: RawFd, parent: i32) {
    // SAFETY: umask, setpriority, prctl, getppid, _exit and fchdir take
    // plain integers (the directory is a descriptor borrowed from the
    // parent).
    unsafe {
        if let Some(mask) = launch.umask {
            libc::umask(mask as libc::mode_t);
        }
        if let Some(nice) = launch.nice
            && libc::setpriority(libc::PRIO_PROCESS, 0, nice) < 0
        {
            fail_in_child(report, Step::Nice);
        }
        if let Some(sig) = launch.death_signal {
            if libc::prctl(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong) < 0 {
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
    }
}

/// Install the descriptors asked for as 0, 1 and 2.
///
/// # Safety
/// As [`in_child`].
unsafe fn install_stdio(launch: &Launch<'_>, report: RawFd) {
    // SAFETY: fcntl and dup2 on descriptors borrowed from the parent.
    unsafe {
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
    }
}

/// Mark every descriptor above 2 close-on-exec.
///
/// # Safety
/// As [`in_child`].
unsafe fn close_inherited() {
    // SAFETY: close_range and fcntl take plain integers; marking a
    // descriptor that is not open fails harmlessly.
    unsafe {
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
}

/// Exec the command, trying each candidate path like execvp: a missing
/// file or directory moves on to the next `PATH` entry; permission denied
/// is remembered in case nothing else is found; any other error stops the
/// search.
///
/// # Safety
/// As [`in_child`].
unsafe fn exec(p: &Prepared, report: RawFd) -> ! {
    // SAFETY: the paths and arrays are NUL-terminated and live in `p`,
    // which outlives the exec; errno is this thread's.
    unsafe {
        let envp = match &p.envp_ptrs {
            Some(ptrs) => ptrs.as_ptr(),
            None => environ,
        };
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
