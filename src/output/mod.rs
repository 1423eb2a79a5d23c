//! The shared formatting layer: tables, JSON, values and escaping. It turns
//! plain data into text on any `impl Write`; it never reads the system, so
//! every renderer is unit tested on fixed data.

pub mod json;
pub mod sanitize;
pub mod table;
pub mod value;

use std::io::{self, Write};

/// How output should look, decided once from the global flags and the
/// environment (terminal, `NO_COLOR`, locale) before a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Out {
    /// `--json`: one JSON document per run (JSON Lines for streams).
    pub json: bool,
    /// `-q`: print nothing on stdout; the exit code is the answer.
    pub quiet: bool,
    /// Use ANSI colour and bold.
    pub color: bool,
    /// The terminal width when stdout is a terminal. `None` means stdout is a
    /// pipe or file: never truncate, write tab-separated plain rows.
    pub width: Option<usize>,
    /// Unicode box-drawing and symbols are fine (UTF-8 locale on a terminal).
    pub unicode: bool,
    /// stderr is a terminal (for progress bars).
    pub stderr_terminal: bool,
}

impl Out {
    /// Plain output for a pipe: no colour, no width, no Unicode lines.
    pub const PLAIN: Out = Out {
        json: false,
        quiet: false,
        color: false,
        width: None,
        unicode: false,
        stderr_terminal: false,
    };

    pub fn is_terminal(&self) -> bool {
        self.width.is_some()
    }
}

/// An SGR style for a piece of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paint {
    #[default]
    Plain,
    Bold,
    Dim,
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
}

impl Paint {
    /// The colour of a process state letter: running green, disk wait
    /// yellow, zombie red, stopped or traced magenta.
    pub fn for_state(state: u8) -> Paint {
        match state {
            b'R' => Paint::Green,
            b'D' => Paint::Yellow,
            b'Z' => Paint::Red,
            b'T' | b't' => Paint::Magenta,
            _ => Paint::Plain,
        }
    }

    fn sgr(self) -> &'static str {
        match self {
            Paint::Plain => "",
            Paint::Bold => "1",
            Paint::Dim => "2",
            Paint::Red => "31",
            Paint::Green => "32",
            Paint::Yellow => "33",
            Paint::Blue => "34",
            Paint::Magenta => "35",
            Paint::Cyan => "36",
        }
    }
}

/// `text` wrapped in the escape codes for `paint` when colour is on. The text
/// must already be sanitized.
pub fn paint(text: &str, paint: Paint, color: bool) -> String {
    if !color || paint == Paint::Plain || text.is_empty() {
        return text.to_string();
    }
    format!("\x1b[{}m{text}\x1b[0m", paint.sgr())
}

/// One `ptool: MESSAGE` line on stderr: the form of every error and note.
pub fn warn(message: &str) {
    let _ = writeln!(io::stderr().lock(), "ptool: {message}");
}

/// Write lines to stdout-like output, mapping nothing: a helper for the
/// commands that print one line per item (`--pids`).
pub fn write_lines<W: Write, I: IntoIterator<Item = impl std::fmt::Display>>(
    w: &mut W,
    lines: I,
) -> io::Result<()> {
    for line in lines {
        writeln!(w, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_only_with_colour() {
        assert_eq!(paint("x", Paint::Red, false), "x");
        assert_eq!(paint("x", Paint::Red, true), "\x1b[31mx\x1b[0m");
        assert_eq!(paint("x", Paint::Plain, true), "x");
    }
}
