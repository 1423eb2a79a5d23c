//! Terminal facts: whether a stream is a terminal, how wide it is, and
//! whether it speaks UTF-8.

use std::io::IsTerminal;

/// The width of the terminal on stdout, when stdout is one.
pub fn stdout_width() -> Option<usize> {
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    let size = rustix::termios::tcgetwinsize(&stdout).ok()?;
    // Some pseudo-terminals report 0 columns; fall back to $COLUMNS or 80.
    if size.ws_col > 0 {
        return Some(usize::from(size.ws_col));
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or(Some(80))
}

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// True when the locale asks for UTF-8 (the first of LC_ALL, LC_CTYPE, LANG
/// that is set decides, as in setlocale(3)).
pub fn locale_is_utf8() -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("utf-8") || v.contains("utf8")
        })
}

/// What [`wait_terminal`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TerminalReady {
    /// The terminal has input to read.
    pub input: bool,
    /// The terminal hung up (its other side closed): reads would return
    /// end of file for ever.
    pub hangup: bool,
    /// `other` is readable.
    pub other: bool,
}

/// Wait until the terminal `tty` has input or hangs up, or `other` (a
/// signalfd, say) is readable, or `timeout` passes.
pub fn wait_terminal(
    tty: std::os::fd::BorrowedFd<'_>,
    other: std::os::fd::BorrowedFd<'_>,
    timeout: std::time::Duration,
) -> std::io::Result<TerminalReady> {
    use rustix::event::{PollFd, PollFlags};
    let mut fds = [
        PollFd::new(&tty, PollFlags::IN),
        PollFd::new(&other, PollFlags::IN),
    ];
    let spec = crate::sys::time::timespec(timeout);
    match rustix::event::poll(&mut fds, Some(&spec)) {
        Ok(_) => {}
        Err(rustix::io::Errno::INTR) => return Ok(TerminalReady::default()),
        Err(e) => return Err(e.into()),
    }
    let tty = fds[0].revents();
    Ok(TerminalReady {
        hangup: tty.intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL),
        input: tty.contains(PollFlags::IN),
        other: !fds[1].revents().is_empty(),
    })
}
