//! Typed cell values: one value gives both the human text of a table cell and
//! the JSON value of a field, so the two can never disagree.
//!
//! Local times arrive already converted ([`LocalTime`], [`Started`]): the
//! gatherer reads the time zone, this module only formats.

use std::cmp::Ordering;

use serde::{Serialize, Serializer};

use super::sanitize;
use crate::sys::time::LocalTime;

/// A value read from a process, before formatting.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    /// A percentage or ratio, shown with one decimal.
    Percent(f64),
    /// Untrusted bytes (names, command lines, paths): escaped for display.
    Bytes(Vec<u8>),
    /// Trusted text (state letters, user names we looked up are still
    /// untrusted and go in `Bytes`).
    Text(String),
    /// A size in bytes: human units in tables, a number in JSON.
    Size(u64),
    /// A span of time in seconds: `[[d-]hh:]mm:ss` in tables (like `ps`'s
    /// elapsed time), seconds in JSON.
    Span(f64),
    /// CPU time in seconds: `m:ss` or `h:mm:ss`.
    CpuTime(f64),
    /// A moment, Unix seconds, with how the local clock reads it: `HH:MM`
    /// today, `MonDD` this year, else the year.
    Time {
        unix: f64,
        started: Started,
    },
    /// A stand-in shown in tables but `null` in JSON: the `[name]` that
    /// takes the place of an empty command line.
    Shown(Vec<u8>),
    /// A path from a `/proc` link (`exe`, `cwd`): untrusted bytes, with
    /// ` (deleted)` after it in tables when it was removed; in JSON the
    /// path alone, the deletion being a flag of its own ([`Value::deleted`]).
    Path {
        path: Vec<u8>,
        deleted: bool,
    },
    /// Absent (no tty, unreadable path): `-` in tables, `null` in JSON.
    None,
    /// Present but unreadable for lack of privilege: `-` in tables, `null` in
    /// JSON; `info` spells it out.
    Denied,
}

impl Value {
    /// A COMMAND cell: the command line, or, when there is none (kernel
    /// threads, zombies), the name in brackets as `ps` shows it, which is
    /// only a stand-in and so `null` in JSON.
    pub fn command(command: Option<Vec<u8>>, name: &[u8]) -> Value {
        match command {
            Some(cmd) => Value::Bytes(cmd),
            None => Value::Shown([b"[", name, b"]"].concat()),
        }
    }

    /// The text for a table cell.
    pub fn display(&self) -> String {
        match self {
            Value::Int(n) => n.to_string(),
            Value::Percent(p) => format!("{p:.1}"),
            Value::Bytes(b) | Value::Shown(b) => sanitize::escape(b).into_owned(),
            Value::Path { path, deleted } => {
                let mut text = sanitize::escape(path).into_owned();
                if *deleted {
                    text.push_str(" (deleted)");
                }
                text
            }
            Value::Text(t) => sanitize::escape_str(t).into_owned(),
            Value::Size(n) => human_size(*n),
            Value::Span(secs) => span(*secs),
            Value::CpuTime(secs) => cpu_time(*secs),
            Value::Time { started, .. } => started.to_string(),
            Value::None | Value::Denied => "-".to_string(),
        }
    }

    /// For a path: whether it was deleted; `None` for any other value
    /// (an unreadable path included).
    pub fn deleted(&self) -> Option<bool> {
        match self {
            Value::Path { deleted, .. } => Some(*deleted),
            _ => None,
        }
    }

    /// Ordering for `--sort`: numbers numerically, text bytewise, absent
    /// values last.
    pub fn compare(&self, other: &Value) -> Ordering {
        match (self.sort_number(), other.sort_number()) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            _ => match (self, other) {
                (Value::None | Value::Denied, Value::None | Value::Denied) => Ordering::Equal,
                (Value::None | Value::Denied, _) => Ordering::Greater,
                (_, Value::None | Value::Denied) => Ordering::Less,
                (a, b) => a.sort_bytes().cmp(b.sort_bytes()),
            },
        }
    }

    fn sort_number(&self) -> Option<f64> {
        match self {
            Value::Int(n) => Some(*n as f64),
            Value::Percent(f) | Value::Span(f) | Value::CpuTime(f) => Some(*f),
            Value::Size(n) => Some(*n as f64),
            Value::Time { unix, .. } => Some(*unix),
            _ => None,
        }
    }

    fn sort_bytes(&self) -> &[u8] {
        match self {
            Value::Bytes(b) | Value::Shown(b) | Value::Path { path: b, .. } => b,
            Value::Text(t) => t.as_bytes(),
            _ => b"",
        }
    }
}

/// The JSON value (numbers as numbers, text as valid UTF-8 strings),
/// written straight to the output without building a `serde_json::Value`.
impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Int(n) => s.serialize_i64(*n),
            Value::Percent(p) => s.serialize_f64((p * 10.0).round() / 10.0),
            Value::Bytes(b) | Value::Path { path: b, .. } => {
                s.serialize_str(&sanitize::to_json_string(b))
            }
            Value::Text(t) => s.serialize_str(t),
            Value::Size(n) => s.serialize_u64(*n),
            Value::Span(secs) | Value::CpuTime(secs) => {
                s.serialize_f64((secs * 100.0).round() / 100.0)
            }
            Value::Time { unix, .. } => s.serialize_i64(unix.floor() as i64),
            Value::Shown(_) | Value::None | Value::Denied => s.serialize_none(),
        }
    }
}

/// `532K`, `4.2M`, `12G`: binary units, one decimal below 10.
pub fn human_size(bytes: u64) -> String {
    let mut text = Vec::with_capacity(8);
    // Writing to a Vec cannot fail.
    let _ = write_size(&mut text, bytes);
    String::from_utf8(text).unwrap_or_default()
}

/// What [`human_size`] gives, written into `w` without building a String
/// (`top`'s batch rows are written cell by cell).
pub fn write_size<W: std::io::Write>(w: &mut W, bytes: u64) -> std::io::Result<()> {
    const UNITS: [&str; 6] = ["B", "K", "M", "G", "T", "P"];
    if bytes == 0 {
        return w.write_all(b"0");
    }
    if bytes < 1024 {
        return write!(w, "{bytes}B");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        write!(w, "{value:.1}{}", UNITS[unit])
    } else {
        write!(w, "{}{}", value.round() as u64, UNITS[unit])
    }
}

/// Elapsed time like `ps -o etime`: `mm:ss`, `hh:mm:ss`, `d-hh:mm:ss`.
pub fn span(secs: f64) -> String {
    let total = secs.max(0.0) as u64;
    let (d, h, m, s) = (
        total / 86_400,
        total / 3600 % 24,
        total / 60 % 60,
        total % 60,
    );
    if d > 0 {
        format!("{d}-{h:02}:{m:02}:{s:02}")
    } else if h > 0 {
        format!("{h:02}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// CPU time like `ps aux`'s TIME: `m:ss`, or `h:mm:ss` past an hour.
pub fn cpu_time(secs: f64) -> String {
    let total = secs.max(0.0) as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A start time as `ps aux`'s START column shows it, decided while
/// gathering from local times: `HH:MM` within the last day, `MonDD` within
/// the year, the year before that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    Today {
        hour: u32,
        minute: u32,
    },
    ThisYear {
        month: u32,
        day: u32,
    },
    Year(i32),
    /// The local time could not be worked out.
    Unknown,
}

impl Started {
    /// How a moment `age` seconds ago, at local time `t`, reads at local
    /// time `now`.
    pub fn of(t: Option<&LocalTime>, now: Option<&LocalTime>, age: f64) -> Started {
        let (Some(t), Some(now)) = (t, now) else {
            return Started::Unknown;
        };
        if age < 86_400.0 {
            Started::Today {
                hour: t.hour,
                minute: t.minute,
            }
        } else if t.year == now.year {
            Started::ThisYear {
                month: t.month,
                day: t.day,
            }
        } else {
            Started::Year(t.year)
        }
    }
}

impl std::fmt::Display for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Started::Today { hour, minute } => write!(f, "{hour:02}:{minute:02}"),
            Started::ThisYear { month, day } => {
                write!(f, "{}{day:02}", MONTHS[(month as usize).clamp(1, 12) - 1])
            }
            Started::Year(year) => write!(f, "{year}"),
            Started::Unknown => f.write_str("?"),
        }
    }
}

/// A full local date and time, `2026-11-21 10:11:12`, for `info`.
pub fn date_time(local: Option<&LocalTime>) -> String {
    match local {
        Some(t) => format!(
            "{}-{:02}-{:02} {:02}:{:02}:{:02}",
            t.year, t.month, t.day, t.hour, t.minute, t.second
        ),
        None => "?".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value as Json;

    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(human_size(0), "0");
        assert_eq!(human_size(512), "512B");
        assert_eq!(human_size(4096), "4.0K");
        assert_eq!(human_size(532 * 1024), "532K");
        assert_eq!(human_size(4_404_019), "4.2M");
        assert_eq!(human_size(12 << 30), "12G");
    }

    #[test]
    fn spans_and_cpu_times() {
        assert_eq!(span(5.4), "00:05");
        assert_eq!(span(3725.0), "01:02:05");
        assert_eq!(span(90_061.0), "1-01:01:01");
        assert_eq!(cpu_time(61.9), "1:01");
        assert_eq!(cpu_time(3661.0), "1:01:01");
    }

    #[test]
    fn start_times_like_ps() {
        let t = |year, month, day, hour, minute| LocalTime {
            year,
            month,
            day,
            hour,
            minute,
            second: 0,
            utc_offset: 0,
        };
        let now = t(2026, 11, 21, 10, 0);
        let shown = |at: LocalTime, age| Started::of(Some(&at), Some(&now), age).to_string();
        assert_eq!(shown(t(2026, 11, 21, 9, 5), 3300.0), "09:05");
        assert_eq!(shown(t(2026, 3, 2, 9, 5), 1e7), "Mar02");
        assert_eq!(shown(t(2024, 3, 2, 9, 5), 1e8), "2024");
        assert_eq!(Started::of(None, Some(&now), 1.0).to_string(), "?");
        assert_eq!(date_time(Some(&t(2026, 3, 2, 9, 5))), "2026-03-02 09:05:00");
    }

    fn to_json(v: &Value) -> Json {
        serde_json::to_value(v).expect("serializes")
    }

    #[test]
    fn json_and_display_agree_on_meaning() {
        assert_eq!(to_json(&Value::Size(4096)), serde_json::json!(4096));
        assert_eq!(to_json(&Value::Percent(12.345)), serde_json::json!(12.3));
        assert_eq!(to_json(&Value::None), Json::Null);
        assert_eq!(Value::None.display(), "-");
        assert_eq!(Value::Bytes(b"a\x1bb".to_vec()).display(), "a\\eb");
        assert_eq!(
            to_json(&Value::Bytes(b"a\x1bb".to_vec())),
            serde_json::json!("a\u{1b}b")
        );
    }

    #[test]
    fn serializing_gives_the_json_value() {
        let values = [
            (Value::Int(-3), serde_json::json!(-3)),
            (Value::Percent(12.345), serde_json::json!(12.3)),
            (
                Value::Bytes(b"a\x1bb\xff".to_vec()),
                Json::from(sanitize::to_json_string(b"a\x1bb\xff")),
            ),
            (Value::Text("S".into()), serde_json::json!("S")),
            (Value::Size(4096), serde_json::json!(4096)),
            (Value::Span(1.234), serde_json::json!(1.23)),
            (Value::CpuTime(f64::NAN), Json::Null),
            (
                Value::Time {
                    unix: 99.9,
                    started: Started::Unknown,
                },
                serde_json::json!(99),
            ),
            (Value::Shown(b"[x]".to_vec()), Json::Null),
            (Value::None, Json::Null),
            (Value::Denied, Json::Null),
        ];
        for (v, json) in values {
            assert_eq!(to_json(&v), json, "{v:?}");
        }
    }

    #[test]
    fn sorting_puts_absent_last() {
        assert_eq!(Value::Int(2).compare(&Value::Int(10)), Ordering::Less);
        assert_eq!(
            Value::None.compare(&Value::Bytes(b"a".to_vec())),
            Ordering::Greater
        );
        assert_eq!(
            Value::Bytes(b"b".to_vec()).compare(&Value::Bytes(b"a".to_vec())),
            Ordering::Greater
        );
    }
}
