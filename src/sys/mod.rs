//! The only place that makes raw OS calls. Everything above works with plain
//! Rust values; every `unsafe` block here says why it is sound.
//!
//! Layering: `sys` imports nothing of the crate above it. It takes raw
//! numbers (PIDs, signal numbers as `i32`, not the crate's `Signal`)
//! and returns raw data (wait statuses, signal numbers, bytes); naming,
//! formatting and policy live above. Within `sys` no two files import each
//! other.
//!
//! Which crate makes a call, in order of preference:
//! 1. **rustix** first: typed, no `unsafe` at the call site, and it passes
//!    any signal number through (waitpid/waitid statuses, pidfds, epoll,
//!    poll, pipes, rlimits, files, terminals).
//! 2. **nix** where rustix lacks the call: sigaction, signal sets and
//!    masks ([`sigwatch`], [`sigmask`]), the user and group databases
//!    ([`users`]), and getpgrp, whose answer may be 0 (a group led from
//!    outside ptool's PID namespace), which rustix's `Pid` cannot hold.
//! 3. **libc** for constants, and for what neither wraps usably: kill(2)
//!    and killpg(2) with real-time signals (nix's `Signal` has none),
//!    `pidfd_send_signal` with signal 0 or real-time ones, `clone` and the
//!    async-signal-safe calls between it and `execve`, the `PIDFD_GET_INFO`
//!    ioctl, and `waitid(P_ALL)` when the PID of the child found is needed
//!    (rustix's `WaitIdStatus` does not expose it); in [`sched`], the
//!    scheduling-policy calls, `ioprio_get`/`ioprio_set` (raw syscalls) and
//!    reading another process's limits (`prlimit` with no new value, which
//!    rustix's always sets).
//!
//! So waiting for children (waitpid, waitid) is rustix's alone; nix is not
//! used for it, as its decoding refuses statuses with real-time signals.

pub mod child;
pub mod exitwatch;
pub mod flock;
pub mod jobs;
pub mod kill;
pub mod open;
pub mod pidfd;
pub mod poll;
pub mod procfs;
pub mod sched;
pub mod sigmask;
pub mod sigwatch;
pub mod startup;
pub mod term;
pub mod time;
pub mod users;

use std::io;

/// True for the errors that mean "the process is gone": it exited (and was
/// reaped) between being listed and being read.
pub fn is_gone(err: &io::Error) -> bool {
    matches!(err.raw_os_error(), Some(libc::ENOENT | libc::ESRCH))
}

/// An I/O error as text without the "(os error N)" tail, for messages
/// that already say what failed.
pub fn error_text(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// The result of a libc call that returns 0 on success and -1 with `errno`
/// set on failure (read at once, before anything else can change it).
pub fn zero_or_errno(ret: impl Into<i64>) -> io::Result<()> {
    if ret.into() == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// ptool's own PID.
pub fn own_pid() -> i32 {
    rustix::process::getpid().as_raw_nonzero().get()
}

/// Give each large allocation (128 KiB and more) a mapping of its own,
/// returned to the system when freed, and trim the heap's free top beyond
/// 128 KiB. glibc otherwise raises both thresholds to the largest block
/// freed so far: a program that frees and builds a list of thousands of
/// processes on every refresh then keeps both copies' pages, the old one
/// in the heap, for the rest of its life. No-op outside glibc.
pub fn return_freed_memory() {
    #[cfg(target_env = "gnu")]
    {
        const LARGE: libc::c_int = 128 * 1024;
        // SAFETY: mallopt only sets the allocator's parameters, under its
        // own lock; no memory is touched.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE);
            libc::mallopt(libc::M_TRIM_THRESHOLD, LARGE);
        }
    }
}

/// Raise the soft limit on open files to at least `want`, up to the hard
/// limit; returns the soft limit now in force. Those who hold a descriptor
/// per process (a pin, a pidfd) call it: the usual soft limit (1024) is
/// below what a pattern can match on a busy machine.
pub fn raise_open_files(want: u64) -> io::Result<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let now = getrlimit(Resource::Nofile);
    // `None` is "unlimited".
    let soft = now.current.unwrap_or(u64::MAX);
    if soft >= want {
        return Ok(soft);
    }
    let new = now.maximum.map_or(want, |hard| want.min(hard));
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(new),
            maximum: now.maximum,
        },
    )?;
    Ok(new)
}
