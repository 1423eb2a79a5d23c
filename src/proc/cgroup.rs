//! Parsing `/proc/PID/cgroup`: the control groups a process belongs to,
//! one `hierarchy:controllers:path` line per hierarchy (`0::/path` alone on
//! a pure cgroup v2 system).

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cgroup {
    pub hierarchy: u32,
    /// Comma-separated controllers (v1), or empty (the v2 hierarchy).
    pub controllers: String,
    /// The cgroup's path; names are chosen by whoever made them: untrusted.
    pub path: Vec<u8>,
}

pub fn parse(text: &[u8]) -> Vec<Cgroup> {
    text.split(|&b| b == b'\n')
        .filter_map(|line| {
            let mut parts = line.splitn(3, |&b| b == b':');
            let hierarchy = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
            let controllers = String::from_utf8_lossy(parts.next()?).into_owned();
            Some(Cgroup {
                hierarchy,
                controllers,
                path: parts.next()?.to_vec(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_and_v2_lines() {
        let groups = parse(b"4:memory:/a:b\n0::/user.slice/x.scope\n\nbad\n");
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].hierarchy, 4);
        assert_eq!(groups[0].controllers, "memory");
        assert_eq!(groups[0].path, b"/a:b");
        assert_eq!(groups[1].controllers, "");
        assert_eq!(groups[1].path, b"/user.slice/x.scope");
    }
}
