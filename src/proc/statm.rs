//! Parsing `/proc/PID/statm`: memory sizes in pages (proc_pid_statm(5)).
//!
//! `ls` reads its RSS here rather than from `stat`'s field 24: since Linux
//! 6.2 the kernel keeps RSS in per-CPU counters, and `stat` shows their
//! approximate sum (low by up to a few hundred pages for a small process),
//! while `statm` and `status` (what `ps`, psutil and `info` read) add them
//! up exactly. `statm` is one short line of numbers: cheaper to read and
//! parse than `status`.

/// The fields ptool uses from `statm`, in pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Statm {
    /// (1) total program size (the same as `stat`'s vsize, in pages).
    pub size: u64,
    /// (2) resident set size: anonymous + file-backed + shared memory pages.
    pub resident: u64,
    /// (3) resident file-backed and shared memory pages.
    pub shared: u64,
}

/// The first three numbers of `statm`, or `None` when malformed.
pub fn parse(buf: &[u8]) -> Option<Statm> {
    let text = std::str::from_utf8(buf).ok()?;
    let mut fields = text.split_ascii_whitespace().map(str::parse::<u64>);
    let mut next = || fields.next()?.ok();
    Some(Statm {
        size: next()?,
        resident: next()?,
        shared: next()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_first_three_fields() {
        assert_eq!(
            parse(b"2496 1020 832 220 0 336 0\n"),
            Some(Statm {
                size: 2496,
                resident: 1020,
                shared: 832
            })
        );
        assert_eq!(parse(b"2496 1020\n"), None);
        assert_eq!(parse(b"2496 x 832\n"), None);
        assert_eq!(parse(b""), None);
    }
}
