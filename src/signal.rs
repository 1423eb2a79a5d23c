//! Signals by name and number: parsing (`TERM`, `SIGTERM`, `term`, `15`,
//! `RTMIN+3`), the table of default actions and meanings, and suggestions for
//! misspelled names.
//!
//! Numbers are Linux's (x86_64/arm64 layout). 32 and 33 exist in the kernel
//! but glibc reserves them for its thread implementation, so, like `kill -l`,
//! ptool does not offer them.

use std::fmt;
use std::str::FromStr;

/// What the kernel does with a signal nobody handles (signal(7)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Terminate,
    Core,
    Stop,
    Continue,
    Ignore,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Terminate => "terminate",
            Action::Core => "core",
            Action::Stop => "stop",
            Action::Continue => "continue",
            Action::Ignore => "ignore",
        }
    }
}

struct SignalInfo {
    number: i32,
    name: &'static str,
    action: Action,
    meaning: &'static str,
}

const fn info(
    number: i32,
    name: &'static str,
    action: Action,
    meaning: &'static str,
) -> SignalInfo {
    SignalInfo {
        number,
        name,
        action,
        meaning,
    }
}

/// The standard signals, in number order (signal(7), Linux x86_64/arm64).
static STANDARD: [SignalInfo; 31] = {
    use Action::{Continue, Core, Ignore, Stop, Terminate};
    [
        info(
            1,
            "HUP",
            Terminate,
            "hangup: the terminal closed; daemons often reload",
        ),
        info(2, "INT", Terminate, "interrupt from the keyboard (Ctrl-C)"),
        info(
            3,
            "QUIT",
            Core,
            "quit from the keyboard (Ctrl-\\), with a core dump",
        ),
        info(4, "ILL", Core, "illegal instruction"),
        info(5, "TRAP", Core, "trace or breakpoint trap"),
        info(6, "ABRT", Core, "abort(3) was called"),
        info(7, "BUS", Core, "bus error: bad memory access"),
        info(8, "FPE", Core, "arithmetic error, such as division by zero"),
        info(
            9,
            "KILL",
            Terminate,
            "kill at once: cannot be caught, blocked or ignored",
        ),
        info(10, "USR1", Terminate, "user-defined signal 1"),
        info(11, "SEGV", Core, "invalid memory reference"),
        info(12, "USR2", Terminate, "user-defined signal 2"),
        info(13, "PIPE", Terminate, "write to a pipe with no reader"),
        info(14, "ALRM", Terminate, "timer signal from alarm(2)"),
        info(
            15,
            "TERM",
            Terminate,
            "polite request to terminate (the default of kill)",
        ),
        info(
            16,
            "STKFLT",
            Terminate,
            "stack fault on coprocessor (unused)",
        ),
        info(17, "CHLD", Ignore, "a child stopped or terminated"),
        info(18, "CONT", Continue, "continue if stopped"),
        info(
            19,
            "STOP",
            Stop,
            "stop at once: cannot be caught, blocked or ignored",
        ),
        info(20, "TSTP", Stop, "stop typed at the terminal (Ctrl-Z)"),
        info(
            21,
            "TTIN",
            Stop,
            "background process read from the terminal",
        ),
        info(22, "TTOU", Stop, "background process wrote to the terminal"),
        info(23, "URG", Ignore, "urgent data on a socket"),
        info(24, "XCPU", Core, "CPU time limit exceeded"),
        info(25, "XFSZ", Core, "file size limit exceeded"),
        info(26, "VTALRM", Terminate, "virtual alarm clock"),
        info(27, "PROF", Terminate, "profiling timer expired"),
        info(28, "WINCH", Ignore, "terminal window size changed"),
        info(29, "IO", Terminate, "I/O is possible on a descriptor"),
        info(30, "PWR", Terminate, "power failure"),
        info(31, "SYS", Core, "bad system call"),
    ]
};

/// Other spellings people use for standard signals.
const ALIASES: [(&str, i32); 4] = [("IOT", 6), ("CLD", 17), ("POLL", 29), ("UNUSED", 31)];

/// The highest signal number on Linux.
pub const MAX: i32 = 64;

/// The first real-time signal glibc leaves to applications (34 on Linux).
pub fn rtmin() -> i32 {
    libc::SIGRTMIN()
}

/// The last real-time signal (64 on Linux).
pub fn rtmax() -> i32 {
    libc::SIGRTMAX()
}

/// A signal number ptool accepts: 1..=64 except the two glibc reserves, or 0,
/// the "null signal" that only checks that a process exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signal(i32);

impl Signal {
    pub const NULL: Signal = Signal(0);
    pub const HUP: Signal = Signal(1);
    pub const INT: Signal = Signal(2);
    pub const QUIT: Signal = Signal(3);
    pub const KILL: Signal = Signal(9);
    pub const USR1: Signal = Signal(10);
    pub const USR2: Signal = Signal(12);
    pub const TERM: Signal = Signal(15);
    pub const CHLD: Signal = Signal(17);
    pub const CONT: Signal = Signal(18);
    pub const STOP: Signal = Signal(19);

    /// The signal with this number, if ptool accepts it.
    pub fn from_number(number: i32) -> Option<Signal> {
        let valid =
            number == 0 || (1..=31).contains(&number) || (rtmin()..=rtmax()).contains(&number);
        valid.then_some(Signal(number))
    }

    pub fn number(self) -> i32 {
        self.0
    }

    /// Every signal that can be sent (1..=64 without the reserved ones).
    pub fn all() -> impl Iterator<Item = Signal> {
        (1..=MAX).filter_map(Signal::from_number)
    }

    /// True for the real-time signals (`RTMIN`..`RTMAX`).
    pub fn is_realtime(self) -> bool {
        self.0 >= rtmin()
    }

    /// The short name: `TERM`, `RTMIN+3`, `RTMAX`, or `0` for the null signal.
    pub fn name(self) -> String {
        if self.0 == 0 {
            return "0".to_string();
        }
        if let Some(info) = self.info() {
            return info.name.to_string();
        }
        // Like bash's `kill -l`: the lower half counts up from RTMIN, the upper
        // half down from RTMAX. The two numbers below RTMIN that glibc keeps
        // for itself (only seen in /proc masks) have no name.
        let (min, max) = (rtmin(), rtmax());
        if self.0 < min {
            self.0.to_string()
        } else if self.0 == min {
            "RTMIN".to_string()
        } else if self.0 == max {
            "RTMAX".to_string()
        } else if self.0 - min <= (max - min) / 2 {
            format!("RTMIN+{}", self.0 - min)
        } else {
            format!("RTMAX-{}", max - self.0)
        }
    }

    /// What the kernel does when the signal is neither caught nor ignored.
    /// Real-time signals terminate.
    pub fn default_action(self) -> Action {
        self.info().map_or(Action::Terminate, |info| info.action)
    }

    /// A one-line meaning, for the signal list.
    pub fn meaning(self) -> &'static str {
        match self.info() {
            Some(info) => info.meaning,
            None if self.0 == 0 => "no signal: only checks that the process exists",
            None => "real-time signal, for applications to use",
        }
    }

    fn info(self) -> Option<&'static SignalInfo> {
        STANDARD.get(usize::try_from(self.0 - 1).ok()?)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            f.write_str("signal 0")
        } else {
            write!(f, "SIG{}", self.name())
        }
    }
}

/// Why a signal name or number was not accepted; the message is meant for a
/// person and suggests the closest name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseSignalError(String);

impl fmt::Display for ParseSignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseSignalError {}

impl FromStr for Signal {
    type Err = ParseSignalError;

    fn from_str(input: &str) -> Result<Signal, ParseSignalError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(ParseSignalError("empty signal name".to_string()));
        }
        if let Some(digits) = text.strip_prefix('-').filter(|d| is_number(d)) {
            // `kill -9` habits: `-s -9` means 9.
            return Signal::from_str(digits);
        }
        if is_number(text) {
            return text
                .parse::<i32>()
                .ok()
                .and_then(Signal::from_number)
                .ok_or_else(|| {
                    ParseSignalError(format!(
                        "no such signal {text} (signals are 1-31 and {}-{}, or 0 to check existence)",
                        rtmin(),
                        rtmax()
                    ))
                });
        }
        let upper = text.to_ascii_uppercase();
        let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
        if let Some(sig) = lookup_name(bare) {
            return Ok(sig);
        }
        let mut message = format!(
            "no such signal '{}'",
            crate::output::sanitize::escape_str(text)
        );
        if let Some(best) = suggest(bare) {
            message.push_str(&format!(" (did you mean {best}?)"));
        }
        Err(ParseSignalError(message))
    }
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn lookup_name(bare: &str) -> Option<Signal> {
    if let Some(info) = STANDARD.iter().find(|info| info.name == bare) {
        return Some(Signal(info.number));
    }
    if let Some((_, number)) = ALIASES.iter().find(|(alias, _)| *alias == bare) {
        return Some(Signal(*number));
    }
    let (min, max) = (rtmin(), rtmax());
    let realtime = |base: i32, offset: &str, sign: i32| -> Option<Signal> {
        let offset: i32 = if offset.is_empty() {
            0
        } else {
            offset.parse().ok()?
        };
        let number = base + sign * offset;
        (min..=max).contains(&number).then_some(Signal(number))
    };
    if let Some(rest) = bare.strip_prefix("RTMIN") {
        return match rest.strip_prefix('+') {
            Some(offset) => realtime(min, offset, 1),
            None if rest.is_empty() => Some(Signal(min)),
            None => None,
        };
    }
    if let Some(rest) = bare.strip_prefix("RTMAX") {
        return match rest.strip_prefix('-') {
            Some(offset) => realtime(max, offset, -1),
            None if rest.is_empty() => Some(Signal(max)),
            None => None,
        };
    }
    None
}

/// The closest known name within an edit distance of 2 (transpositions count
/// once, so `TREM` finds `TERM`).
fn suggest(bare: &str) -> Option<&'static str> {
    STANDARD
        .iter()
        .map(|info| info.name)
        .chain(["RTMIN", "RTMAX"])
        .map(|name| (edit_distance(bare, name), name))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// Optimal-string-alignment distance (Levenshtein plus adjacent swaps).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<i32, String> {
        text.parse::<Signal>()
            .map(Signal::number)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn accepts_every_spelling() {
        for text in ["TERM", "SIGTERM", "term", "sigterm", "15", " 15 ", "-15"] {
            assert_eq!(parse(text), Ok(15), "{text}");
        }
        assert_eq!(parse("0"), Ok(0));
        assert_eq!(parse("iot"), Ok(6));
        assert_eq!(parse("RTMIN"), Ok(rtmin()));
        assert_eq!(parse("RTMIN+3"), Ok(rtmin() + 3));
        assert_eq!(parse("SIGRTMAX-1"), Ok(rtmax() - 1));
        assert_eq!(parse("64"), Ok(64));
    }

    #[test]
    fn rejects_with_a_useful_message() {
        assert_eq!(
            parse("TREM").unwrap_err(),
            "no such signal 'TREM' (did you mean TERM?)"
        );
        assert!(parse("99").unwrap_err().starts_with("no such signal 99"));
        assert!(parse("32").is_err());
        assert!(parse("RTMIN+99").is_err());
        assert!(parse("RTMIN3").is_err());
        assert!(parse("").is_err());
        assert!(parse("5x").is_err());
        assert!(parse("\x1b]0;x").unwrap_err().contains("\\e"));
    }

    #[test]
    fn names_round_trip() {
        for sig in Signal::all() {
            assert_eq!(parse(&sig.name()), Ok(sig.number()), "{sig}");
        }
        assert_eq!(Signal::all().count(), 31 + (rtmax() - rtmin() + 1) as usize);
        assert_eq!(Signal::KILL.to_string(), "SIGKILL");
        assert_eq!(Signal::TERM.default_action(), Action::Terminate);
        assert_eq!(Signal::CHLD.default_action(), Action::Ignore);
    }
}

/// A process's signal dispositions, decoded from the masks in
/// `/proc/PID/status`: the answer to "why won't it die on TERM?".
///
/// In JSON each list is an array of signal names, in this order (`info`
/// and `signal show` print the same).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Dispositions {
    /// `SigBlk`: blocked (held pending until unblocked).
    #[serde(serialize_with = "names")]
    pub blocked: Vec<Signal>,
    /// `SigIgn`: ignored (discarded on arrival).
    #[serde(serialize_with = "names")]
    pub ignored: Vec<Signal>,
    /// `SigCgt`: caught by a handler.
    #[serde(serialize_with = "names")]
    pub caught: Vec<Signal>,
    /// `SigPnd` and `ShdPnd`: pending for a thread or the whole process.
    #[serde(serialize_with = "names")]
    pub pending: Vec<Signal>,
}

impl Dispositions {
    /// Decode the masks of a `status` file (bit N-1 is signal N).
    pub fn from_status(status: &crate::proc::ProcStatus) -> Dispositions {
        Dispositions {
            blocked: from_mask(status.sig_blk),
            ignored: from_mask(status.sig_ign),
            caught: from_mask(status.sig_cgt),
            pending: from_mask(status.sig_pnd | status.shd_pnd),
        }
    }
}

/// Signals as a JSON array of their names.
fn names<S: serde::Serializer>(sigs: &[Signal], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(sigs.iter().map(|sig| sig.name()))
}

/// The signals set in a `status` mask. Bits for the two numbers glibc
/// reserves (32, 33) are shown too, since the kernel reports them.
pub fn from_mask(mask: u64) -> Vec<Signal> {
    crate::proc::status::signals_in(mask)
        .into_iter()
        .map(Signal)
        .collect()
}

#[cfg(test)]
mod disposition_tests {
    use super::*;

    #[test]
    fn reserved_numbers_have_no_name() {
        assert_eq!(Signal(32).name(), "32");
        assert_eq!(Signal(33).to_string(), "SIG33");
    }

    #[test]
    fn decodes_masks() {
        let status = crate::proc::ProcStatus {
            sig_ign: 1 << (15 - 1),
            sig_cgt: (1 << (10 - 1)) | (1 << (12 - 1)),
            sig_blk: 1 << (2 - 1),
            shd_pnd: 1 << (2 - 1),
            ..Default::default()
        };
        let d = Dispositions::from_status(&status);
        assert_eq!(d.ignored, vec![Signal::TERM]);
        assert_eq!(d.caught, vec![Signal::USR1, Signal::USR2]);
        assert_eq!(d.blocked, vec![Signal::INT]);
        assert_eq!(d.pending, vec![Signal::INT]);
    }
}
