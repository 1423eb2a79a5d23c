//! CPU lists in the kernel's notation (`0-3,6`, as in `Cpus_allowed_list`,
//! `/sys/devices/system/cpu/online`, cpuset files and taskset's `-c`), and
//! the CPUs a process may be given: those online, narrowed by its cpuset.

use std::fmt::Write as _;

/// The most CPUs a list may name: far beyond any machine, small enough
/// that `0-4000000000` cannot make ptool allocate gigabytes.
pub const MAX_CPU: u32 = 1 << 16;

/// Parse a CPU list: `0-3,6`, `1`, `0-7:2` (every second), spaces ignored.
/// The CPUs come back ascending, each once.
pub fn parse(text: &str) -> Result<Vec<u32>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("an empty CPU list (give CPUs like 0-3,6)".to_string());
    }
    let mut cpus = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let (range, stride) = match part.split_once(':') {
            Some((range, stride)) => (range, number(stride, part)?),
            None => (part, 1),
        };
        if stride == 0 {
            return Err(format!("'{part}': a stride must be at least 1"));
        }
        let (first, last) = match range.split_once('-') {
            Some((a, b)) => (number(a, part)?, number(b, part)?),
            None => {
                let n = number(range, part)?;
                (n, n)
            }
        };
        if first > last {
            return Err(format!("'{part}': the range runs backwards"));
        }
        if last >= MAX_CPU {
            return Err(format!("CPU {last} is out of range"));
        }
        cpus.extend((first..=last).step_by(stride as usize));
    }
    cpus.sort_unstable();
    cpus.dedup();
    Ok(cpus)
}

fn number(text: &str, part: &str) -> Result<u32, String> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "'{}' is not a CPU list (give CPUs like 0-3,6)",
            crate::output::sanitize::escape_str(part)
        ));
    }
    text.parse::<u32>()
        .ok()
        .filter(|&n| n < MAX_CPU)
        .ok_or_else(|| format!("CPU {text} is out of range"))
}

/// Format ascending CPUs as a list with ranges: `[0,1,2,3,6]` is `0-3,6`.
pub fn format(cpus: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < cpus.len() {
        let start = cpus[i];
        let mut end = start;
        while i + 1 < cpus.len() && cpus[i + 1] == end + 1 {
            i += 1;
            end = cpus[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if end == start {
            let _ = write!(out, "{start}");
        } else {
            let _ = write!(out, "{start}-{end}");
        }
        i += 1;
    }
    out
}

/// The CPUs online now (`/sys/devices/system/cpu/online`).
pub fn online() -> Option<Vec<u32>> {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/online").ok()?;
    parse(&text).ok()
}

/// The CPUs the cpuset of process `pid` allows, where that can be read:
/// cgroup v2's `cpuset.cpus.effective` or v1's `cpuset.effective_cpus`
/// under the usual mount points. `None` when it cannot be told (the
/// kernel then still narrows a mask to them, which a read back shows).
pub fn cpuset(pid: i32) -> Option<Vec<u32>> {
    let groups = super::cgroup::parse(&std::fs::read(format!("/proc/{pid}/cgroup")).ok()?);
    let mut candidates = Vec::new();
    for g in &groups {
        let path = String::from_utf8_lossy(&g.path).into_owned();
        if path.split('/').any(|c| c == "..") {
            continue;
        }
        let path = path.trim_start_matches('/');
        if g.controllers.split(',').any(|c| c == "cpuset") {
            candidates.push(format!(
                "/sys/fs/cgroup/cpuset/{path}/cpuset.effective_cpus"
            ));
        } else if g.hierarchy == 0 && g.controllers.is_empty() {
            candidates.push(format!("/sys/fs/cgroup/{path}/cpuset.cpus.effective"));
        }
    }
    candidates.into_iter().find_map(|file| {
        let text = std::fs::read_to_string(file).ok()?;
        parse(&text).ok().filter(|cpus| !cpus.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_format() {
        assert_eq!(parse("0-3,6"), Ok(vec![0, 1, 2, 3, 6]));
        assert_eq!(parse(" 6, 1 ,1"), Ok(vec![1, 6]));
        assert_eq!(parse("0-7:2"), Ok(vec![0, 2, 4, 6]));
        assert_eq!(parse("5\n"), Ok(vec![5]));
        for bad in ["", "a", "3-1", "1-", "-1", "0-7:0", "99999999999", "1,,2"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert!(parse("0-4000000000").unwrap_err().contains("out of range"));
        assert_eq!(format(&[0, 1, 2, 3, 6]), "0-3,6");
        assert_eq!(format(&[1]), "1");
        assert_eq!(format(&[0, 2, 3]), "0,2-3");
        assert_eq!(format(&[]), "");
    }

    #[test]
    fn this_machine_has_cpus_online() {
        let online = online().expect("/sys/devices/system/cpu/online");
        assert!(!online.is_empty());
        if let Some(allowed) = cpuset(std::process::id() as i32) {
            assert!(!allowed.is_empty());
        }
    }
}
