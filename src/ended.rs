//! How a process ended: a wait(2) status decoded, as `wait` reports it for
//! the processes it waited for and `info` for a zombie.

use serde::Serialize;

use crate::output::Paint;
use crate::signal::Signal;

/// How a process ended, as far as the kernel can tell (compare
/// [`crate::sys::child::ChildStatus`], what waitpid says of ptool's own
/// child).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndStatus {
    /// It called `exit(code)` (or returned from `main`).
    Exited(i32),
    /// A signal ended it.
    Killed { signal: i32, core_dumped: bool },
    /// The kernel could not tell (`wait -v` says why).
    Unknown,
}

impl EndStatus {
    /// Decode a wait(2) status word: the low 7 bits are the terminating
    /// signal (0 for a normal exit, 0x7f for "stopped", which an ended
    /// process cannot be), bit 7 says a core was dumped, and bits 8..16 are
    /// the exit code.
    pub fn from_wait_status(raw: i32) -> EndStatus {
        let signal = raw & 0x7f;
        match signal {
            0 => EndStatus::Exited((raw >> 8) & 0xff),
            0x7f => EndStatus::Unknown,
            _ => EndStatus::Killed {
                signal,
                core_dumped: raw & 0x80 != 0,
            },
        }
    }

    /// `exited 3`, `killed by SIGKILL`, `exit status unknown`.
    pub fn text(&self) -> String {
        match *self {
            EndStatus::Exited(code) => format!("exited {code}"),
            EndStatus::Killed {
                signal,
                core_dumped,
            } => {
                let core = if core_dumped { " (core dumped)" } else { "" };
                format!("killed by {}{core}", signal_name(signal))
            }
            EndStatus::Unknown => "exit status unknown".to_string(),
        }
    }

    pub fn paint(&self) -> Paint {
        match self {
            EndStatus::Exited(0) => Paint::Green,
            EndStatus::Exited(_) => Paint::Yellow,
            EndStatus::Killed { .. } => Paint::Red,
            EndStatus::Unknown => Paint::Dim,
        }
    }
}

/// A status in JSON: `info`'s `ended`, and the fields of `wait`'s lines.
#[derive(Debug, Serialize)]
pub struct StatusJson {
    status: String,
    exit_code: Option<i32>,
    signal: Option<i32>,
    signal_name: Option<String>,
    core_dumped: bool,
}

impl From<&EndStatus> for StatusJson {
    fn from(s: &EndStatus) -> StatusJson {
        let (exit_code, signal, core_dumped) = match *s {
            EndStatus::Exited(code) => (Some(code), None, false),
            EndStatus::Killed {
                signal,
                core_dumped,
            } => (None, Some(signal), core_dumped),
            EndStatus::Unknown => (None, None, false),
        };
        StatusJson {
            status: s.text(),
            exit_code,
            signal,
            signal_name: signal.map(signal_name),
            core_dumped,
        }
    }
}

fn signal_name(number: i32) -> String {
    match Signal::from_number(number) {
        Some(signal) => signal.to_string(),
        None => format!("signal {number}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_statuses_decode() {
        assert_eq!(EndStatus::from_wait_status(0), EndStatus::Exited(0));
        assert_eq!(EndStatus::from_wait_status(3 << 8), EndStatus::Exited(3));
        assert_eq!(
            EndStatus::from_wait_status(255 << 8),
            EndStatus::Exited(255)
        );
        assert_eq!(
            EndStatus::from_wait_status(9),
            EndStatus::Killed {
                signal: 9,
                core_dumped: false
            }
        );
        assert_eq!(
            EndStatus::from_wait_status(0x80 | 11),
            EndStatus::Killed {
                signal: 11,
                core_dumped: true
            }
        );
        assert_eq!(EndStatus::from_wait_status(0x137f), EndStatus::Unknown);
        assert_eq!(EndStatus::from_wait_status(3 << 8).text(), "exited 3");
        assert_eq!(EndStatus::from_wait_status(9).text(), "killed by SIGKILL");
        assert_eq!(
            EndStatus::from_wait_status(0x8b).text(),
            "killed by SIGSEGV (core dumped)"
        );
        assert_eq!(EndStatus::Unknown.text(), "exit status unknown");
    }
}
