//! What `ptool set` can change, parsed from the flags' text: niceness
//! (absolute or relative), I/O priority, CPUs, scheduling policy and
//! resource limits. Each value also prints in the syntax its flag takes,
//! which is how reports show old and new values.

use std::fmt;
use std::str::FromStr;

use crate::output::sanitize::escape_str;

/// The niceness range: -20 (favoured) to 19.
pub const NICE_MIN: i32 = -20;
pub const NICE_MAX: i32 = 19;

/// `--nice`: `5` (or `=-5`) sets it; `+2` and `-3` add to each thread's
/// current value, clamped to -20..19 (renice's `-n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nice {
    Absolute(i32),
    Relative(i32),
}

impl Nice {
    /// The niceness a thread at `current` gets.
    pub fn apply(self, current: i32) -> i32 {
        match self {
            Nice::Absolute(n) => n,
            Nice::Relative(d) => current.saturating_add(d).clamp(NICE_MIN, NICE_MAX),
        }
    }
}

impl FromStr for Nice {
    type Err = String;
    fn from_str(text: &str) -> Result<Nice, String> {
        let t = text.trim();
        let bad = || {
            format!(
                "'{}' is not a niceness: give N (0..19, or =N for -20..19) to set it, +N or -N to add to it",
                escape_str(text)
            )
        };
        let (relative, digits, negative) = if let Some(rest) = t.strip_prefix('=') {
            match rest.strip_prefix('-') {
                Some(d) => (false, d, true),
                None => (false, rest.strip_prefix('+').unwrap_or(rest), false),
            }
        } else if let Some(d) = t.strip_prefix('+') {
            (true, d, false)
        } else if let Some(d) = t.strip_prefix('-') {
            (true, d, true)
        } else {
            (false, t, false)
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: i32 = match digits.parse::<i32>() {
            Ok(n) if n <= 1000 => n,
            _ => {
                return Err(format!(
                    "niceness {} is out of range (-20..19)",
                    escape_str(t)
                ));
            }
        };
        let n = if negative { -n } else { n };
        if relative {
            return Ok(Nice::Relative(n));
        }
        if !(NICE_MIN..=NICE_MAX).contains(&n) {
            return Err(format!("niceness {n} is out of range (-20..19)"));
        }
        Ok(Nice::Absolute(n))
    }
}

/// An I/O priority class and level, as ioprio_set(2) takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoPrio {
    /// 0 none, 1 realtime, 2 best-effort, 3 idle.
    pub class: u8,
    /// 0 (first served) .. 7; meaningful for realtime and best-effort.
    pub level: u8,
}

impl IoPrio {
    pub const NONE: u8 = 0;
    pub const REALTIME: u8 = 1;
    pub const BEST_EFFORT: u8 = 2;
    pub const IDLE: u8 = 3;

    /// The same priority, with the level dropped where the class has none.
    pub fn normal(self) -> IoPrio {
        match self.class {
            IoPrio::REALTIME | IoPrio::BEST_EFFORT => self,
            class => IoPrio { class, level: 0 },
        }
    }
}

impl fmt::Display for IoPrio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.class {
            IoPrio::NONE => f.write_str("none"),
            IoPrio::REALTIME => write!(f, "realtime:{}", self.level),
            IoPrio::BEST_EFFORT => write!(f, "best-effort:{}", self.level),
            IoPrio::IDLE => f.write_str("idle"),
            other => write!(f, "class{other}:{}", self.level),
        }
    }
}

impl FromStr for IoPrio {
    type Err = String;
    fn from_str(text: &str) -> Result<IoPrio, String> {
        let t = text.trim().to_ascii_lowercase();
        let (name, level) = match t.split_once(':') {
            Some((name, level)) => (name.to_string(), Some(level.to_string())),
            None => (t.clone(), None),
        };
        let class = match name.as_str() {
            "none" | "0" => IoPrio::NONE,
            "realtime" | "rt" | "1" => IoPrio::REALTIME,
            "best-effort" | "besteffort" | "be" | "2" => IoPrio::BEST_EFFORT,
            "idle" | "3" => IoPrio::IDLE,
            _ => {
                return Err(format!(
                    "unknown I/O class '{}' (classes: idle, best-effort[:0-7], realtime[:0-7], none)",
                    escape_str(text)
                ));
            }
        };
        let level = match (&level, class) {
            (None, IoPrio::REALTIME | IoPrio::BEST_EFFORT) => 4,
            (None, _) => 0,
            (Some(l), IoPrio::REALTIME | IoPrio::BEST_EFFORT) => match l.trim().parse::<u8>() {
                Ok(n) if n <= 7 => n,
                _ => {
                    return Err(format!(
                        "I/O level '{}' is out of range (0 highest .. 7 lowest)",
                        escape_str(l)
                    ));
                }
            },
            (Some(_), _) => {
                return Err(format!(
                    "the I/O class '{name}' has no levels (only best-effort and realtime do)"
                ));
            }
        };
        Ok(IoPrio { class, level })
    }
}

/// A scheduling policy (`SCHED_*`) and its real-time priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sched {
    pub policy: i32,
    /// 1..99 for fifo and rr, 0 for the others.
    pub priority: i32,
}

impl Sched {
    pub const OTHER: i32 = libc::SCHED_OTHER;
    pub const FIFO: i32 = libc::SCHED_FIFO;
    pub const RR: i32 = libc::SCHED_RR;
    pub const BATCH: i32 = libc::SCHED_BATCH;
    pub const IDLE: i32 = libc::SCHED_IDLE;
    /// SCHED_DEADLINE: shown, not set (it takes a runtime, deadline and
    /// period, through sched_setattr).
    pub const DEADLINE: i32 = 6;

    /// True for the real-time policies, which need privilege.
    pub fn is_realtime(self) -> bool {
        matches!(self.policy, Sched::FIFO | Sched::RR)
    }
}

impl fmt::Display for Sched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.policy {
            Sched::OTHER => f.write_str("other"),
            Sched::BATCH => f.write_str("batch"),
            Sched::IDLE => f.write_str("idle"),
            Sched::FIFO => write!(f, "fifo:{}", self.priority),
            Sched::RR => write!(f, "rr:{}", self.priority),
            Sched::DEADLINE => f.write_str("deadline"),
            other => write!(f, "policy{other}:{}", self.priority),
        }
    }
}

impl FromStr for Sched {
    type Err = String;
    fn from_str(text: &str) -> Result<Sched, String> {
        let t = text.trim().to_ascii_lowercase();
        let (name, priority) = match t.split_once(':') {
            Some((name, p)) => (name.to_string(), Some(p.trim().to_string())),
            None => (t.clone(), None),
        };
        let policy = match name.as_str() {
            "other" | "normal" => Sched::OTHER,
            "batch" => Sched::BATCH,
            "idle" => Sched::IDLE,
            "fifo" => Sched::FIFO,
            "rr" => Sched::RR,
            _ => {
                return Err(format!(
                    "unknown scheduling policy '{}' (policies: other, batch, idle, fifo:1-99, rr:1-99)",
                    escape_str(text)
                ));
            }
        };
        let realtime = matches!(policy, Sched::FIFO | Sched::RR);
        let priority = match (priority, realtime) {
            (None, true) => {
                return Err(format!(
                    "{name} needs a priority: {name}:1 (lowest) .. {name}:99 (highest)"
                ));
            }
            (None, false) => 0,
            (Some(p), true) => match p.parse::<i32>() {
                Ok(n) if (1..=99).contains(&n) => n,
                _ => {
                    return Err(format!(
                        "real-time priority '{}' is out of range (1..99)",
                        escape_str(&p)
                    ));
                }
            },
            (Some(p), false) if p == "0" => 0,
            (Some(_), false) => {
                return Err(format!(
                    "the policy '{name}' takes no priority (only fifo and rr do; use --nice)"
                ));
            }
        };
        Ok(Sched { policy, priority })
    }
}

/// One side of a `--limit` (soft or hard).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitValue {
    /// Not given: keep what the process has.
    Keep,
    Unlimited,
    Value(u64),
}

impl LimitValue {
    /// The value to set, given what the process has now (`None` is
    /// unlimited).
    pub fn or(self, current: Option<u64>) -> Option<u64> {
        match self {
            LimitValue::Keep => current,
            LimitValue::Unlimited => None,
            LimitValue::Value(v) => Some(v),
        }
    }
}

/// `--limit RESOURCE=SOFT[:HARD]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitChange {
    /// prlimit(1)'s name: `nofile`, `as`, ...
    pub resource: &'static str,
    pub soft: LimitValue,
    pub hard: LimitValue,
}

/// How a resource's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Bytes,
    Count,
    Seconds,
    Micros,
    Nice,
    Rtprio,
}

fn unit(resource: &str) -> Unit {
    match resource {
        "as" | "core" | "data" | "fsize" | "memlock" | "msgqueue" | "rss" | "stack" => Unit::Bytes,
        "cpu" => Unit::Seconds,
        "rttime" => Unit::Micros,
        "nice" => Unit::Nice,
        "rtprio" => Unit::Rtprio,
        _ => Unit::Count,
    }
}

fn resource_names() -> String {
    let names: Vec<&str> = crate::sys::sched::RESOURCES
        .iter()
        .map(|(n, _)| *n)
        .collect();
    names.join(", ")
}

fn limit_value(resource: &str, text: &str) -> Result<LimitValue, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(LimitValue::Keep);
    }
    if matches!(
        t.to_ascii_lowercase().as_str(),
        "unlimited" | "infinity" | "-1"
    ) {
        return Ok(LimitValue::Unlimited);
    }
    let bad = |why: &str| {
        format!(
            "'{}' is not a limit for {resource}: {why}",
            escape_str(text)
        )
    };
    let value = match unit(resource) {
        Unit::Bytes => {
            bytes(t).ok_or_else(|| bad("give bytes, with K, M, G or T (64M), or unlimited"))?
        }
        Unit::Count => t
            .parse::<u64>()
            .map_err(|_| bad("give a whole number, or unlimited"))?,
        Unit::Seconds => crate::duration::parse(t)
            .map_err(|_| bad("give seconds, or a duration (90s, 1h), or unlimited"))?
            .as_secs(),
        Unit::Micros => u64::try_from(
            crate::duration::parse(t)
                .map_err(|_| bad("give seconds, or a duration (500ms), or unlimited"))?
                .as_micros(),
        )
        .unwrap_or(u64::MAX),
        Unit::Nice => match t.parse::<u64>() {
            Ok(n) if n <= 40 => n,
            _ => {
                return Err(bad(
                    "give 0..40 (the lowest niceness allowed is 20 minus it)",
                ));
            }
        },
        Unit::Rtprio => match t.parse::<u64>() {
            Ok(n) if n <= 99 => n,
            _ => return Err(bad("give 0..99")),
        },
    };
    if value == u64::MAX {
        return Ok(LimitValue::Unlimited);
    }
    Ok(LimitValue::Value(value))
}

/// A size in bytes: `4096`, `64K`, `64M`, `1G`, `1.5G` (binary units; `KiB`,
/// `MB` and lower case read the same).
fn bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, suffix) = t.split_at(split);
    let shift = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return None,
    };
    if number.is_empty() {
        return None;
    }
    if let Ok(n) = number.parse::<u64>() {
        return n.checked_mul(1u64 << shift);
    }
    let f = number.parse::<f64>().ok()?;
    let v = f * (1u64 << shift) as f64;
    (v.is_finite() && v >= 0.0 && v < u64::MAX as f64).then_some(v as u64)
}

impl FromStr for LimitChange {
    type Err = String;
    fn from_str(text: &str) -> Result<LimitChange, String> {
        let Some((name, values)) = text.split_once('=') else {
            return Err(format!(
                "'{}' is not a limit: give RESOURCE=SOFT[:HARD] (nofile=1024:4096, core=unlimited, as=2G)",
                escape_str(text)
            ));
        };
        let name = name.trim().to_ascii_lowercase();
        let name = name.strip_prefix("rlimit_").unwrap_or(&name);
        let resource = crate::sys::sched::RESOURCES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, _)| *n)
            .ok_or_else(|| {
                format!(
                    "unknown resource '{}' (resources: {})",
                    escape_str(name),
                    resource_names()
                )
            })?;
        let (soft, hard) = match values.split_once(':') {
            Some((s, h)) => (limit_value(resource, s)?, limit_value(resource, h)?),
            None => (limit_value(resource, values)?, LimitValue::Keep),
        };
        if soft == LimitValue::Keep && hard == LimitValue::Keep {
            return Err(format!(
                "--limit {resource}= gives no value (RESOURCE=SOFT[:HARD])"
            ));
        }
        if let (LimitValue::Value(s), LimitValue::Value(h)) = (soft, hard)
            && s > h
        {
            return Err(format!(
                "the soft limit for {resource} ({s}) is above the hard limit ({h})"
            ));
        }
        if let (LimitValue::Unlimited, LimitValue::Value(h)) = (soft, hard) {
            return Err(format!(
                "the soft limit for {resource} (unlimited) is above the hard limit ({h})"
            ));
        }
        Ok(LimitChange {
            resource,
            soft,
            hard,
        })
    }
}

/// Limits as reports show them: `SOFT:HARD`, each a number or `unlimited`.
pub fn format_limits(soft: Option<u64>, hard: Option<u64>) -> String {
    let one = |v: Option<u64>| v.map_or_else(|| "unlimited".to_string(), |v| v.to_string());
    format!("{}:{}", one(soft), one(hard))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_absolute_and_relative() {
        assert_eq!("5".parse(), Ok(Nice::Absolute(5)));
        assert_eq!("+2".parse(), Ok(Nice::Relative(2)));
        assert_eq!("-3".parse(), Ok(Nice::Relative(-3)));
        assert_eq!("=-5".parse(), Ok(Nice::Absolute(-5)));
        assert_eq!("=7".parse(), Ok(Nice::Absolute(7)));
        assert!("20".parse::<Nice>().unwrap_err().contains("out of range"));
        assert!("=-21".parse::<Nice>().is_err());
        assert!("x".parse::<Nice>().is_err());
        assert!("".parse::<Nice>().is_err());
        assert!("+".parse::<Nice>().is_err());
        assert!("99999999999999".parse::<Nice>().is_err());
        assert_eq!(Nice::Relative(-30).apply(5), -20);
        assert_eq!(Nice::Relative(30).apply(5), 19);
        assert_eq!(Nice::Relative(2).apply(5), 7);
        assert_eq!(Nice::Absolute(3).apply(5), 3);
    }

    #[test]
    fn io_classes() {
        let io = |t: &str| t.parse::<IoPrio>();
        assert_eq!(io("idle"), Ok(IoPrio { class: 3, level: 0 }));
        assert_eq!(io("best-effort"), Ok(IoPrio { class: 2, level: 4 }));
        assert_eq!(io("be:7"), Ok(IoPrio { class: 2, level: 7 }));
        assert_eq!(io("realtime:0"), Ok(IoPrio { class: 1, level: 0 }));
        assert_eq!(io("none"), Ok(IoPrio { class: 0, level: 0 }));
        assert!(io("be:8").is_err());
        assert!(io("idle:3").is_err());
        assert!(io("fast").is_err());
        assert_eq!(IoPrio { class: 2, level: 4 }.to_string(), "best-effort:4");
        assert_eq!(IoPrio { class: 3, level: 0 }.to_string(), "idle");
        for text in ["idle", "none", "best-effort:3", "realtime:0"] {
            assert_eq!(io(text).map(|p| p.to_string()).as_deref(), Ok(text));
        }
    }

    #[test]
    fn policies() {
        let s = |t: &str| t.parse::<Sched>();
        assert_eq!(
            s("other"),
            Ok(Sched {
                policy: 0,
                priority: 0
            })
        );
        assert_eq!(
            s("FIFO:10"),
            Ok(Sched {
                policy: 1,
                priority: 10
            })
        );
        assert_eq!(
            s("rr:99"),
            Ok(Sched {
                policy: 2,
                priority: 99
            })
        );
        assert_eq!(s("batch").map(|p| p.policy), Ok(Sched::BATCH));
        assert_eq!(s("idle").map(|p| p.policy), Ok(Sched::IDLE));
        assert!(s("fifo").unwrap_err().contains("needs a priority"));
        assert!(s("fifo:0").is_err());
        assert!(s("rr:100").is_err());
        assert!(s("other:5").is_err());
        assert!(s("deadline").is_err());
        for text in ["other", "batch", "idle", "fifo:10", "rr:1"] {
            assert_eq!(s(text).map(|p| p.to_string()).as_deref(), Ok(text));
        }
    }

    #[test]
    fn limits() {
        let l = |t: &str| t.parse::<LimitChange>();
        let v = LimitValue::Value;
        assert_eq!(
            l("nofile=1024:4096"),
            Ok(LimitChange {
                resource: "nofile",
                soft: v(1024),
                hard: v(4096)
            })
        );
        assert_eq!(
            l("NOFILE=512"),
            Ok(LimitChange {
                resource: "nofile",
                soft: v(512),
                hard: LimitValue::Keep
            })
        );
        assert_eq!(
            l("nofile=:4096"),
            Ok(LimitChange {
                resource: "nofile",
                soft: LimitValue::Keep,
                hard: v(4096)
            })
        );
        assert_eq!(l("as=64M").map(|l| l.soft), Ok(v(64 << 20)));
        assert_eq!(l("stack=8MiB").map(|l| l.soft), Ok(v(8 << 20)));
        assert_eq!(
            l("core=unlimited").map(|l| l.soft),
            Ok(LimitValue::Unlimited)
        );
        assert_eq!(l("cpu=1h").map(|l| l.soft), Ok(v(3600)));
        assert_eq!(l("cpu=30").map(|l| l.soft), Ok(v(30)));
        assert_eq!(l("rttime=500ms").map(|l| l.soft), Ok(v(500_000)));
        assert_eq!(l("rlimit_nproc=100").map(|l| l.resource), Ok("nproc"));
        for bad in [
            "nofile",
            "nofile=",
            "nofile=x",
            "nosuch=1",
            "nofile=10:5",
            "as=12Q",
            "nice=41",
            "rtprio=100",
            "nofile=unlimited:5",
            "as=99999999999T",
        ] {
            assert!(l(bad).is_err(), "{bad}");
        }
        assert!(l("x\x1b=1").unwrap_err().contains("\\e"));
        assert_eq!(format_limits(Some(1), None), "1:unlimited");
    }
}
