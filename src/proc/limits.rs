//! Parsing `/proc/PID/limits`: the soft and hard resource limits
//! (getrlimit(2)) of any process, readable by everyone.
//!
//! The file is a fixed-width table: the name in 26 columns, the soft and hard
//! limits in 21 each, then the unit (`%-25s %-20s %-20s %-10s`, in
//! fs/proc/base.c). Names contain spaces, so the columns are cut by position.

/// One resource limit. `None` means unlimited.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Limit {
    /// The kernel's label: `Max open files`.
    pub name: String,
    /// The `RLIMIT_*` resource in the spelling of prlimit(1): `nofile`.
    pub resource: Option<&'static str>,
    pub soft: Option<u64>,
    pub hard: Option<u64>,
    /// `files`, `bytes`, `seconds`, ...; empty when the kernel gives none.
    pub unit: String,
}

/// The kernel's labels and the resource each one is.
const RESOURCES: [(&str, &str); 16] = [
    ("Max cpu time", "cpu"),
    ("Max file size", "fsize"),
    ("Max data size", "data"),
    ("Max stack size", "stack"),
    ("Max core file size", "core"),
    ("Max resident set", "rss"),
    ("Max processes", "nproc"),
    ("Max open files", "nofile"),
    ("Max locked memory", "memlock"),
    ("Max address space", "as"),
    ("Max file locks", "locks"),
    ("Max pending signals", "sigpending"),
    ("Max msgqueue size", "msgqueue"),
    ("Max nice priority", "nice"),
    ("Max realtime priority", "rtprio"),
    ("Max realtime timeout", "rttime"),
];

/// Parse the whole file; the header and malformed lines are skipped.
pub fn parse(text: &[u8]) -> Vec<Limit> {
    let text = String::from_utf8_lossy(text);
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let name = line.get(..26)?.trim_end().to_string();
            // The values and the unit hold no spaces.
            let mut rest = line.get(26..)?.split_whitespace();
            let soft = rest.next()?;
            let hard = rest.next()?;
            let unit = rest.next().unwrap_or("").to_string();
            let value = |v: &str| -> Option<Option<u64>> {
                match v {
                    "unlimited" => Some(None),
                    n => n.parse().ok().map(Some),
                }
            };
            Some(Limit {
                resource: RESOURCES
                    .iter()
                    .find(|(label, _)| *label == name)
                    .map(|(_, r)| *r),
                name,
                soft: value(soft)?,
                hard: value(hard)?,
                unit,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_kernels_table() {
        let text = b"Limit                     Soft Limit           Hard Limit           Units     \nMax cpu time              unlimited            unlimited            seconds   \nMax open files            1024                 524288               files     \nMax nice priority         0                    0                    \nbroken\n";
        let limits = parse(text);
        assert_eq!(limits.len(), 3);
        assert_eq!(limits[0].name, "Max cpu time");
        assert_eq!(limits[0].resource, Some("cpu"));
        assert_eq!((limits[0].soft, limits[0].hard), (None, None));
        assert_eq!(limits[1].resource, Some("nofile"));
        assert_eq!((limits[1].soft, limits[1].hard), (Some(1024), Some(524288)));
        assert_eq!(limits[1].unit, "files");
        assert_eq!(limits[2].unit, "");
    }

    #[test]
    fn own_limits_match_getrlimit() -> std::io::Result<()> {
        let limits = parse(&std::fs::read("/proc/self/limits")?);
        assert_eq!(limits.len(), RESOURCES.len());
        assert!(limits.iter().all(|l| l.resource.is_some()));
        let nofile = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        let own = limits.iter().find(|l| l.resource == Some("nofile"));
        assert_eq!(own.map(|l| l.soft), Some(nofile.current));
        Ok(())
    }
}
