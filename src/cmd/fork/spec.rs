//! The plain values of `ptool fork`'s scheduling flags (`-j`, `--halt`,
//! `--timeout`) and their parsers, free of clap: the CLI parses into these
//! at the boundary and the scheduler reads them.

use std::time::Duration;

use crate::output::sanitize::escape_str;

/// `-j`: how many jobs at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum JobsSpec {
    /// `-j N`.
    Fixed(usize),
    /// `-j 0`: as many as the open-files limit allows.
    Unlimited,
    /// `-j N%`: that share of the CPUs (at least 1).
    Percent(f64),
    /// `-j +N` / `-j -N`: the CPUs plus or minus N (at least 1).
    Relative(i64),
}

/// What `--halt` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HaltOn {
    Fail,
    Success,
    Done,
}

/// `--halt WHEN,WHAT=N[%]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HaltSpec {
    /// False: `soon` (let running jobs finish); true: `now` (stop them).
    pub now: bool,
    pub on: HaltOn,
    pub threshold: Threshold,
}

/// A count of jobs, or a share of them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    Count(u64),
    Percent(f64),
}

/// `--timeout`: a duration, or a share of the median runtime.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeoutSpec {
    Fixed(Duration),
    PercentOfMedian(f64),
}

/// `-j`: `N`, `0`, `N%`, `+N` or `-N`.
pub fn parse_jobs(text: &str) -> Result<JobsSpec, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "'{}' is not a number of jobs (N, 0, N%, +N or -N)",
            escape_str(text)
        )
    };
    if let Some(pct) = t.strip_suffix('%') {
        let pct: f64 = pct.parse().map_err(|_| bad())?;
        if !pct.is_finite() || pct <= 0.0 || pct > 100_000.0 {
            return Err("-j N% must be above 0 and at most 100000%".to_string());
        }
        return Ok(JobsSpec::Percent(pct));
    }
    if let Some(rest) = t.strip_prefix('+').or_else(|| t.strip_prefix('-')) {
        let n: i64 = rest.parse().map_err(|_| bad())?;
        if n > 100_000 {
            return Err("-j +N/-N must be at most 100000".to_string());
        }
        return Ok(JobsSpec::Relative(if t.starts_with('-') { -n } else { n }));
    }
    match t.parse::<u64>() {
        Ok(0) => Ok(JobsSpec::Unlimited),
        Ok(n) if n <= 100_000 => Ok(JobsSpec::Fixed(n as usize)),
        Ok(_) => Err("-j must be at most 100000".to_string()),
        Err(_) => Err(bad()),
    }
}

/// `--timeout`: a duration, or `N%` of the median runtime.
pub fn parse_timeout(text: &str) -> Result<TimeoutSpec, String> {
    let t = text.trim();
    if let Some(pct) = t.strip_suffix('%') {
        return match pct.parse::<f64>() {
            Ok(p) if p.is_finite() && p > 0.0 && p <= 1e9 => Ok(TimeoutSpec::PercentOfMedian(p)),
            _ => Err(format!(
                "'{}' is not a share of the median runtime (like 200%)",
                escape_str(text)
            )),
        };
    }
    let d = crate::duration::parse(t)?;
    if d.is_zero() {
        return Err("--timeout 0 would stop every job at once; give a positive duration".into());
    }
    Ok(TimeoutSpec::Fixed(d))
}

/// `--halt`: parallel's grammar, `never`, `soon|now,fail|success|done=N[%]`,
/// or the short forms `0`, `1`, `2`.
pub fn parse_halt(text: &str) -> Result<HaltSpec, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "'{}' is not a --halt condition (never, soon,fail=1, now,fail=10%, now,success=1, soon,done=5, 0, 1 or 2)",
            escape_str(text)
        )
    };
    let count = |n: u64| Threshold::Count(n);
    match t {
        "never" | "0" => {
            return Ok(HaltSpec {
                now: false,
                on: HaltOn::Fail,
                threshold: count(0),
            });
        }
        "1" => {
            return Ok(HaltSpec {
                now: false,
                on: HaltOn::Fail,
                threshold: count(1),
            });
        }
        "2" => {
            return Ok(HaltSpec {
                now: true,
                on: HaltOn::Fail,
                threshold: count(1),
            });
        }
        _ => {}
    }
    let (when, what) = t.split_once(',').ok_or_else(bad)?;
    let now = match when {
        "now" => true,
        "soon" => false,
        _ => return Err(bad()),
    };
    let (on, n) = what.split_once('=').ok_or_else(bad)?;
    let on = match on {
        "fail" => HaltOn::Fail,
        "success" => HaltOn::Success,
        "done" => HaltOn::Done,
        _ => return Err(bad()),
    };
    let threshold = match n.strip_suffix('%') {
        Some(p) => match p.parse::<f64>() {
            Ok(p) if p > 0.0 && p <= 100.0 => Threshold::Percent(p),
            _ => return Err(bad()),
        },
        None => match n.parse::<u64>() {
            Ok(n) if n >= 1 => Threshold::Count(n),
            _ => return Err(bad()),
        },
    };
    Ok(HaltSpec { now, on, threshold })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_forms() {
        assert_eq!(parse_jobs("3"), Ok(JobsSpec::Fixed(3)));
        assert_eq!(parse_jobs("0"), Ok(JobsSpec::Unlimited));
        assert_eq!(parse_jobs("50%"), Ok(JobsSpec::Percent(50.0)));
        assert_eq!(parse_jobs("+2"), Ok(JobsSpec::Relative(2)));
        assert_eq!(parse_jobs("-1"), Ok(JobsSpec::Relative(-1)));
        for bad in ["x", "", "-", "0%", "1e9", "200000", "+1000000"] {
            assert!(parse_jobs(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn halt_grammar() {
        let h = parse_halt("now,fail=1").expect("parses");
        assert!(h.now);
        assert_eq!(h.on, HaltOn::Fail);
        assert_eq!(h.threshold, Threshold::Count(1));
        let h = parse_halt("soon,success=30%").expect("parses");
        assert!(!h.now);
        assert_eq!(h.on, HaltOn::Success);
        assert_eq!(h.threshold, Threshold::Percent(30.0));
        assert!(parse_halt("2").expect("parses").now);
        assert_eq!(
            parse_halt("never").expect("parses").threshold,
            Threshold::Count(0)
        );
        for bad in [
            "later",
            "now",
            "now,fail",
            "now,fail=0",
            "now,x=1",
            "soon,fail=101%",
        ] {
            assert!(parse_halt(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timeouts() {
        assert_eq!(
            parse_timeout("200%"),
            Ok(TimeoutSpec::PercentOfMedian(200.0))
        );
        assert_eq!(
            parse_timeout("2s"),
            Ok(TimeoutSpec::Fixed(Duration::from_secs(2)))
        );
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("-5%").is_err());
    }
}
