//! Memory figures beyond `status`: `/proc/PID/statm` (text and data size,
//! psutil's `memory_info().text/.data`) and `/proc/PID/smaps_rollup` (USS
//! and PSS, psutil's `memory_full_info()`). `smaps_rollup` makes the kernel
//! walk every page table of the process, so it is read only on request.

/// From `statm`, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Statm {
    /// The program's code (field 4, `text`; "trs" in ps).
    pub text: u64,
    /// Data and stack (field 6, `data`; "drs" in ps).
    pub data: u64,
}

/// Parse `statm`: seven page counts, `size resident shared text lib data dt`.
pub fn parse_statm(text: &[u8], page_size: u64) -> Option<Statm> {
    let text = std::str::from_utf8(text).ok()?;
    let pages: Vec<u64> = text
        .split_ascii_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    Some(Statm {
        text: pages.get(3)? * page_size,
        data: pages.get(5)? * page_size,
    })
}

/// From `smaps_rollup`, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rollup {
    pub rss: u64,
    /// Proportional set size: each shared page divided among its sharers.
    pub pss: u64,
    /// Unique set size: memory only this process holds (private pages),
    /// what would be freed if it exited.
    pub uss: u64,
    pub shared: u64,
    pub swap: u64,
    /// The process's proportional share of swap.
    pub swap_pss: u64,
}

/// Parse `smaps_rollup` (`Key:   N kB` lines after a header).
pub fn parse_rollup(text: &[u8]) -> Rollup {
    let mut r = Rollup::default();
    for line in String::from_utf8_lossy(text).lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let Some(kb) = value
            .trim()
            .strip_suffix("kB")
            .and_then(|n| n.trim().parse::<u64>().ok())
        else {
            continue;
        };
        let bytes = kb * 1024;
        match key {
            "Rss" => r.rss = bytes,
            "Pss" => r.pss = bytes,
            "Private_Clean" | "Private_Dirty" => r.uss += bytes,
            "Shared_Clean" | "Shared_Dirty" => r.shared += bytes,
            "Swap" => r.swap = bytes,
            "SwapPss" => r.swap_pss = bytes,
            _ => {}
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statm_pages_to_bytes() {
        let s = parse_statm(b"1000 200 50 10 0 300 0\n", 4096).expect("parses");
        assert_eq!(
            s,
            Statm {
                text: 40960,
                data: 1_228_800
            }
        );
        assert_eq!(parse_statm(b"1 2 3", 4096), None);
        assert_eq!(parse_statm(b"a b c d e f g", 4096), None);
    }

    #[test]
    fn rollup_sums_private_pages() {
        let text = b"55d0-7ffd [rollup]\nRss:                1000 kB\nPss:                 600 kB\nPss_Anon:            100 kB\nShared_Clean:        700 kB\nShared_Dirty:          0 kB\nPrivate_Clean:       200 kB\nPrivate_Dirty:       100 kB\nSwap:                  8 kB\nSwapPss:               4 kB\n";
        let r = parse_rollup(text);
        assert_eq!(r.rss, 1000 * 1024);
        assert_eq!(r.pss, 600 * 1024);
        assert_eq!(r.uss, 300 * 1024);
        assert_eq!(r.shared, 700 * 1024);
        assert_eq!((r.swap, r.swap_pss), (8 * 1024, 4 * 1024));
    }

    #[test]
    fn reads_its_own() -> std::io::Result<()> {
        let r = parse_rollup(&std::fs::read("/proc/self/smaps_rollup")?);
        assert!(r.uss > 0 && r.pss >= r.uss && r.rss >= r.pss);
        let s = parse_statm(&std::fs::read("/proc/self/statm")?, 4096).expect("statm");
        assert!(s.text > 0 && s.data > 0);
        Ok(())
    }
}
