//! Human durations: parsing `500ms`, `5s`, `2m`, `1h30m` (and a bare number of
//! seconds, as `timeout` and `sleep` take it) and printing them back briefly.

use std::time::{Duration, Instant};

/// The moment `after` past `from`, or `None` when that lies beyond what
/// the clock can represent: a deadline that far away is never reached, so
/// `None` means "never". Every duration flag (timeouts, grace periods,
/// kill-after, fork's job timeout and grace) makes its deadline here, so
/// that any duration the parser accepts is a valid one.
pub fn deadline(from: Instant, after: Duration) -> Option<Instant> {
    from.checked_add(after)
}

/// Whether `after` has passed since `from` at `now` (never, for a deadline
/// beyond the clock's range).
pub fn passed(now: Instant, from: Instant, after: Duration) -> bool {
    deadline(from, after).is_some_and(|at| now >= at)
}

/// Parse a duration given by a person. Units follow `humantime`; a bare number
/// (`5`, `0.5`) means seconds.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".to_string());
    }
    if text
        .strip_prefix('-')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit() || c == '.'))
    {
        return Err(format!(
            "invalid duration '{}': a duration cannot be negative",
            crate::output::sanitize::escape_str(text)
        ));
    }
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return text
            .parse::<f64>()
            .ok()
            .filter(|secs| secs.is_finite() && *secs >= 0.0 && *secs < 1e12)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| format!("invalid duration '{text}'"));
    }
    humantime::parse_duration(text).map_err(|e| {
        format!(
            "invalid duration '{}': {e} (try 500ms, 5s, 2m or 1h30m)",
            crate::output::sanitize::escape_str(text)
        )
    })
}

/// A compact rendering: `250ms`, `4.2s`, `3m07s`, `2h05m`, `3d04h`.
pub fn format_short(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    if secs < 60 {
        return format!("{:.1}s", d.as_secs_f64());
    }
    let (mins, hours, days) = (secs / 60, secs / 3600, secs / 86_400);
    if hours == 0 {
        format!("{mins}m{:02}s", secs % 60)
    } else if days == 0 {
        format!("{hours}h{:02}m", mins % 60)
    } else {
        format!("{days}d{:02}h", hours % 24)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_human_durations() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects_nonsense() {
        for bad in ["", "5x", "-1", "1..2", "s", "99999999999999999999"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse("-1s").unwrap_err().contains("cannot be negative"));
        assert!(!parse("--json").unwrap_err().contains("negative"));
    }

    #[test]
    fn formats_briefly() {
        assert_eq!(format_short(Duration::from_millis(250)), "250ms");
        assert_eq!(format_short(Duration::from_millis(4200)), "4.2s");
        assert_eq!(format_short(Duration::from_secs(187)), "3m07s");
        assert_eq!(format_short(Duration::from_secs(7500)), "2h05m");
        assert_eq!(
            format_short(Duration::from_secs(3 * 86_400 + 4 * 3600)),
            "3d04h"
        );
    }
}
