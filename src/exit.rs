//! Exit codes: the one place where ptool's numbers live.
//!
//! The scheme follows the tools ptool replaces, so scripts can keep their
//! habits: `pgrep`'s 1 for "nothing matched", `timeout`'s 124/125/126/127 and
//! the shell's 128+N for "killed by signal N" (see coreutils'
//! `timeout/src/status.rs`). The README documents the same table.

use std::fmt;

/// How a ptool run ended, as the process exit code it maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: something matched and every action on it succeeded.
    Success,
    /// 1: nothing matched (like `pgrep`), or a wait's condition was not met.
    NoMatch,
    /// 2: usage error: bad flag, signal name, duration or PID.
    Usage,
    /// 3: some targets failed (permission denied, ...); the report says which.
    Partial,
    /// 124: a `--timeout` expired (like `timeout`), or `ptool lock` did not
    /// acquire its lock.
    Timeout,
    /// 125: ptool itself failed before it could run a command.
    Failure,
    /// 126: the command to run was found but could not be executed.
    NotExecutable,
    /// 127: the command to run was not found.
    NotFound,
    /// 128+N: a command ptool ran was killed by signal N.
    Signaled(i32),
    /// 255: `fork` refused its arguments before starting any job (GNU
    /// parallel's code for that), so it never reads as a count of failed
    /// jobs, which stops at 101.
    Refused,
    /// A child's own exit code, passed through unchanged (`spawn --wait`,
    /// `fork -n 1`), or `fork`'s count of failed jobs.
    Code(u8),
}

/// One documented exit code: the code (or codes), a word or two for
/// `--help`, and its meaning as the README and the man pages give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Documented {
    pub code: &'static str,
    pub short: &'static str,
    pub meaning: &'static str,
}

const fn doc(code: &'static str, short: &'static str, meaning: &'static str) -> Documented {
    Documented {
        code,
        short,
        meaning,
    }
}

/// The exit codes as documented: the README's table, the man pages' EXIT
/// STATUS and `ptool --help` are all this one table (a test compares the
/// README with it, and one below compares it with [`Exit::code`]).
pub const TABLE: &[Documented] = &[
    doc(
        "0",
        "success",
        "success: something matched and every action on it succeeded",
    ),
    doc(
        "1",
        "nothing matched",
        "nothing matched (like `pgrep`), or a wait's condition was not met",
    ),
    doc(
        "2",
        "usage error",
        "usage error: bad flag, signal name, duration or PID",
    ),
    doc(
        "3",
        "some targets failed",
        "some targets failed (permission denied, ...): the report says which",
    ),
    doc(
        "124",
        "timeout or lock not acquired",
        "a `--timeout` expired (like `timeout`), or `ptool lock` did not acquire its lock",
    ),
    doc(
        "125",
        "ptool failed",
        "ptool itself failed before running a command",
    ),
    doc(
        "126 / 127",
        "command not executable / not found",
        "a command to run was not executable / not found",
    ),
    doc(
        "128+N",
        "killed by signal N",
        "a command ptool ran was killed by signal N",
    ),
    doc(
        "255",
        "fork refused its arguments",
        "`fork` only: a usage error, refused before any job started (GNU parallel's code; `fork` uses 1-101 for counts of failed jobs)",
    ),
];

/// The table in one paragraph, for `ptool --help`.
pub fn summary() -> String {
    let parts: Vec<String> = TABLE
        .iter()
        .map(|d| format!("{} {}", d.code.replace(" / ", "/"), d.short))
        .collect();
    format!("Exit codes: {}.", parts.join(", "))
}

impl Exit {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::NoMatch => 1,
            Exit::Usage => 2,
            Exit::Partial => 3,
            Exit::Timeout => 124,
            Exit::Failure => 125,
            Exit::NotExecutable => 126,
            Exit::NotFound => 127,
            Exit::Refused => 255,
            // Signal numbers on Linux stop at 64, so 128+N always fits a byte;
            // clamp anyway rather than wrap into a misleading small code.
            Exit::Signaled(sig) => u8::try_from(128 + sig.clamp(0, 127)).unwrap_or(255),
            Exit::Code(code) => code,
        }
    }

    /// The exit for a child that ended with `code`, or was killed by `signal`.
    pub fn from_child(code: Option<i32>, signal: Option<i32>) -> Exit {
        match (code, signal) {
            (Some(code), _) => Exit::Code(u8::try_from(code & 0xff).unwrap_or(255)),
            (None, Some(sig)) => Exit::Signaled(sig),
            (None, None) => Exit::Failure,
        }
    }
}

/// An error that knows which exit code it deserves.
///
/// Anything else that reaches `main` is a ptool failure (125); a broken pipe
/// on stdout is success.
#[derive(Debug)]
pub struct ExitError {
    pub exit: Exit,
    pub message: String,
}

impl ExitError {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        ExitError {
            exit,
            message: message.into(),
        }
    }
}

impl fmt::Display for ExitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExitError {}

/// A usage error (exit 2): bad input from the person running ptool.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    ExitError::new(Exit::Usage, message).into()
}

/// The exit code an error maps to: its own when it carries one, success for a
/// closed stdout pipe (`ptool ls | head`), and 125 for everything else.
pub fn for_error(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<ExitError>() {
            return e.exit;
        }
        if let Some(e) = cause.downcast_ref::<std::io::Error>()
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            return Exit::Success;
        }
    }
    Exit::Failure
}

/// True when the error is only a closed stdout pipe, which is not reported.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_documented_table() {
        let table = [
            (Exit::Success, 0),
            (Exit::NoMatch, 1),
            (Exit::Usage, 2),
            (Exit::Partial, 3),
            (Exit::Timeout, 124),
            (Exit::Failure, 125),
            (Exit::NotExecutable, 126),
            (Exit::NotFound, 127),
            (Exit::Signaled(9), 137),
            (Exit::Signaled(15), 143),
            (Exit::Code(42), 42),
        ];
        for (exit, code) in table {
            assert_eq!(exit.code(), code, "{exit:?}");
        }
    }

    #[test]
    fn the_documented_table_names_every_code() {
        let labels: Vec<&str> = TABLE.iter().map(|d| d.code).collect();
        let expected = [
            Exit::Success.code().to_string(),
            Exit::NoMatch.code().to_string(),
            Exit::Usage.code().to_string(),
            Exit::Partial.code().to_string(),
            Exit::Timeout.code().to_string(),
            Exit::Failure.code().to_string(),
            format!("{} / {}", Exit::NotExecutable.code(), Exit::NotFound.code()),
            format!("{}+N", Exit::Signaled(0).code()),
            Exit::Refused.code().to_string(),
        ];
        assert_eq!(labels, expected);
    }

    #[test]
    fn the_help_summary_is_the_table() {
        assert!(summary().starts_with("Exit codes: 0 success, 1 nothing matched, 2 usage error,"));
        assert!(summary().ends_with(", 128+N killed by signal N, 255 fork refused its arguments."));
    }

    #[test]
    fn child_status_maps_like_a_shell() {
        assert_eq!(Exit::from_child(Some(3), None), Exit::Code(3));
        assert_eq!(Exit::from_child(None, Some(2)).code(), 130);
        assert_eq!(Exit::from_child(Some(256 + 7), None), Exit::Code(7));
    }

    #[test]
    fn errors_carry_their_exit() {
        let err = usage("bad");
        assert_eq!(for_error(&err), Exit::Usage);
        let err = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
            .context("writing output");
        assert_eq!(for_error(&err), Exit::Success);
        assert!(is_broken_pipe(&err));
        assert_eq!(for_error(&anyhow::anyhow!("boom")), Exit::Failure);
    }
}
