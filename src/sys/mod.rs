//! The only place that makes raw OS calls. Everything above works with plain
//! Rust values; every `unsafe` block here says why it is sound.

pub mod child;
pub mod jobs;
pub mod pidfd;
pub mod procfs;
pub mod sched;
pub mod sigfd;
pub mod sigmask;
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

/// ptool's own PID.
pub fn own_pid() -> i32 {
    rustix::process::getpid().as_raw_nonzero().get()
}
