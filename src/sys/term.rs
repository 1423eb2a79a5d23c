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
