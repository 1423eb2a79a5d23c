//! The shared formatting layer: tables, JSON, values and escaping. It turns
//! plain data into text on any `impl Write`; it never reads the system, so
//! every renderer is unit tested on fixed data.
//!
//! Every command prints its result one way: the result is a plain struct
//! that derives (or implements) `Serialize` and [`Report`], and [`emit`]
//! decides between nothing (`-q`), one JSON document (`--json`) and the
//! human form; streams use [`emit_event`] (JSON Lines). A tree of any depth
//! streams its JSON through [`json::JsonWriter`] instead of recursing.

pub mod json;
pub mod sanitize;
pub mod table;
pub mod value;

use std::io::{self, Write};

use serde::Serialize;

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

    /// The human form is printed: neither `--json` nor `-q`. [`emit`] and
    /// [`emit_event`] decide by the same rule; a command asks only to
    /// prepare what that form alone needs (a time zone, a header).
    pub fn human(&self) -> bool {
        !self.json && !self.quiet
    }
}

/// A command's result, ready to print in its human form (table, page,
/// lines) or as JSON.
pub trait Report {
    /// The human form.
    fn render<W: Write>(&self, out: &Out, w: &mut W) -> io::Result<()>;

    /// The JSON form: for a result that derives `Serialize`,
    /// `json::write(w, out, self)`.
    fn json<W: Write>(&self, out: &Out, w: &mut W) -> io::Result<()>;
}

/// Print a command's result: nothing under `-q`, one JSON document under
/// `--json` (pretty on a terminal, compact in a pipe), else the human form.
pub fn emit<W: Write, R: Report + ?Sized>(w: &mut W, out: &Out, report: &R) -> io::Result<()> {
    if out.quiet {
        Ok(())
    } else if out.json {
        report.json(out, w)
    } else {
        report.render(out, w)
    }
}

/// Print the result of a command that matched nothing: `[]` under `--json`
/// (an empty list is still an answer for a script), nothing otherwise.
pub fn emit_no_match<W: Write>(w: &mut W, out: &Out) -> io::Result<()> {
    if out.json {
        emit(w, out, &PidList(Vec::new()))?;
    }
    Ok(())
}

/// Print one event of a stream (`wait`): nothing under `-q`, one JSON Lines
/// record under `--json`, else the human form; flushed at once, since
/// someone may be watching.
pub fn emit_event<W: Write, R: Report + Serialize + ?Sized>(
    w: &mut W,
    out: &Out,
    event: &R,
) -> io::Result<()> {
    if out.quiet {
        return Ok(());
    }
    if out.json {
        return json::write_line(w, event);
    }
    event.render(out, w)?;
    w.flush()
}

/// One ID a line, or a JSON array of them: `--pids` in `ls` and `tree`,
/// and what `spawn` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PidList(pub Vec<i32>);

impl Report for PidList {
    fn render<W: Write>(&self, _out: &Out, w: &mut W) -> io::Result<()> {
        write_lines(w, &self.0)
    }

    fn json<W: Write>(&self, out: &Out, w: &mut W) -> io::Result<()> {
        json::write(w, out, self)
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

/// A note on stderr about how a command is going (a timeout fired, a lock
/// is busy): printed as [`warn`] does, unless `-q` asks for silence.
pub fn notice(out: &Out, message: &str) {
    if !out.quiet {
        warn(message);
    }
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
    fn emit_decides_quiet_json_or_human() {
        let pids = PidList(vec![3, 1]);
        let text = |out: &Out| {
            let mut buf = Vec::new();
            emit(&mut buf, out, &pids).expect("writes");
            String::from_utf8(buf).expect("utf-8")
        };
        assert_eq!(text(&Out::PLAIN), "3\n1\n");
        let json = Out {
            json: true,
            ..Out::PLAIN
        };
        assert_eq!(text(&json), "[3,1]\n");
        let quiet = Out {
            quiet: true,
            json: true,
            ..Out::PLAIN
        };
        assert_eq!(text(&quiet), "");
    }

    #[test]
    fn paint_only_with_colour() {
        assert_eq!(paint("x", Paint::Red, false), "x");
        assert_eq!(paint("x", Paint::Red, true), "\x1b[31mx\x1b[0m");
        assert_eq!(paint("x", Paint::Plain, true), "x");
    }
}
