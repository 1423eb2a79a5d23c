//! What ptool keeps of std's process start-up, which the binary skips.
//!
//! std's runtime, before `fn main`, finds the main thread's stack bounds
//! (glibc reads and parses /proc/self/maps for that) and installs a
//! stack-overflow handler on an alternate stack: about fifteen system calls,
//! 80,000 instructions and a few page faults, 7% of the time of a
//! `ptool spawn -- true` run from a shell loop. The binary therefore defines
//! the C `main` itself, takes its arguments from there ([`args`]), and calls
//! [`init`] for the two parts of std's start-up ptool relies on, and
//! [`finish`] at the end. The only thing lost is the "has overflowed its
//! stack" message: an overflow still hits the guard page and kills ptool
//! with SIGSEGV. (How a panic is reported is the binary's business: see
//! `src/main.rs`.)

use std::ffi::{CStr, OsString, c_char, c_int};
use std::io::{self, Write};
use std::os::unix::ffi::OsStringExt;

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

/// The command line, as the C runtime passes it to `main`. ptool reads
/// `argv` itself rather than through `std::env::args`, which std fills
/// from arguments that glibc alone hands to initialisers; under another C
/// library it would be empty without std's runtime start-up.
///
/// # Safety
///
/// `argv` must hold `argc` pointers to NUL-terminated strings, as `main`
/// receives them.
pub unsafe fn args(argc: c_int, argv: *const *const c_char) -> Vec<OsString> {
    let count = usize::try_from(argc).unwrap_or(0);
    (0..count)
        .map(|i| {
            // SAFETY: the caller guarantees `count` valid string pointers.
            let arg = unsafe { CStr::from_ptr(*argv.add(i)) };
            OsString::from_vec(arg.to_bytes().to_vec())
        })
        .collect()
}

/// Flush std's stdout buffer, as std's runtime does after `fn main`
/// returns: output that did not end in a newline is still in it.
pub fn finish() {
    let _ = io::stdout().flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_argv_as_main_receives_it() {
        let owned = [c"ptool", c"ls", c"-f", c"caf\xe9"];
        let argv: Vec<*const c_char> = owned.iter().map(|a| a.as_ptr()).collect();
        // SAFETY: `argv` holds four pointers to the NUL-terminated `owned`.
        let got = unsafe { args(4, argv.as_ptr()) };
        assert_eq!(got[..3], ["ptool", "ls", "-f"]);
        assert_eq!(got[3].as_encoded_bytes(), b"caf\xe9");
        // SAFETY: no pointers are read for a count of zero.
        assert!(unsafe { args(0, std::ptr::null()) }.is_empty());
    }
}
