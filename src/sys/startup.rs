//! What ptool keeps of std's process start-up, which the binary skips.
//!
//! std's runtime, before `fn main`, finds the main thread's stack bounds
//! (glibc reads and parses /proc/self/maps for that) and installs a
//! stack-overflow handler on an alternate stack: about fifteen system calls,
//! 80,000 instructions and a few page faults, 7% of the time of a
//! `ptool spawn -- true` run from a shell loop. The binary therefore defines
//! the C `main` itself and calls [`init`] for the two parts ptool relies on.
//! `std::env::args` still works: glibc hands the arguments to std's own
//! initialiser as well. The only thing lost is the "has overflowed its
//! stack" message: an overflow still hits the guard page and kills ptool
//! with SIGSEGV.

use std::io::{self, Write};

/// Start-up, as std's runtime would do it: SIGPIPE ignored, so that writing
/// to a closed pipe is an EPIPE error (`ptool ls | head` then ends quietly
/// with success), and descriptors 0, 1 and 2 open, so that a file ptool
/// opens can never land on one of them and receive its output.
pub fn init() -> io::Result<()> {
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler
    // and is sound at any time; ptool has no other threads yet.
    unsafe {
        if libc::signal(libc::SIGPIPE, libc::SIG_IGN) == libc::SIG_ERR {
            return Err(io::Error::last_os_error());
        }
    }
    reopen_closed_stdio()
}

/// Open /dev/null on each of descriptors 0-2 that is closed. One `poll`
/// with a zero timeout tells which: POLLNVAL marks a closed descriptor.
fn reopen_closed_stdio() -> io::Result<()> {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    loop {
        // SAFETY: `fds` is a live array of three pollfd entries.
        let ret = unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) };
        if ret >= 0 {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    // Descriptors are handed out lowest first, so opening in order fills
    // exactly the closed ones.
    let closed = fds.iter().filter(|p| p.revents & libc::POLLNVAL != 0);
    for _ in closed {
        // SAFETY: the path is a NUL-terminated literal; the descriptor is
        // deliberately left open for the life of the process.
        let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Flush std's stdout buffer, as std's runtime does after `fn main`
/// returns: output that did not end in a newline is still in it.
pub fn finish() {
    let _ = io::stdout().flush();
}
