//! Namespaces, by `readlink` of `/proc/PID/ns/*` (`net:[4026531840]`): two
//! processes share a namespace exactly when the inode numbers match.
//! Reading another user's links needs the right to ptrace it.

use std::io;

/// The namespace types Linux has, in `ls /proc/self/ns` order.
pub const TYPES: [&str; 10] = [
    "cgroup",
    "ipc",
    "mnt",
    "net",
    "pid",
    "pid_for_children",
    "time",
    "time_for_children",
    "user",
    "uts",
];

/// One namespace of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Namespace {
    pub kind: &'static str,
    pub inode: u64,
}

/// The namespaces of `pid`. Types this kernel lacks are left out; the error
/// of the first link that could not be read for another reason is returned
/// (`EACCES` for another user's process).
pub fn read(reader: &super::Reader, pid: i32) -> io::Result<Vec<Namespace>> {
    let mut out = Vec::with_capacity(TYPES.len());
    for kind in TYPES {
        match reader.link(pid, &format!("ns/{kind}")) {
            Ok(link) => {
                if let Some(inode) = parse_link(&link) {
                    out.push(Namespace { kind, inode });
                }
            }
            // Older kernels lack some types (time, cgroup); every kernel with
            // namespaces has net, so its absence means the process is gone.
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) && kind != "net" => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The inode in `net:[4026531840]`.
pub fn parse_link(link: &[u8]) -> Option<u64> {
    let open = link.iter().position(|&b| b == b'[')?;
    let inside = link.get(open + 1..)?.strip_suffix(b"]")?;
    std::str::from_utf8(inside).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_links() {
        assert_eq!(parse_link(b"net:[4026531840]"), Some(4026531840));
        assert_eq!(parse_link(b"net:[x]"), None);
        assert_eq!(parse_link(b"net"), None);
    }

    #[test]
    fn reads_its_own() -> io::Result<()> {
        let reader = super::super::Reader::new()?;
        let own = read(&reader, crate::sys::own_pid())?;
        assert!(own.iter().any(|n| n.kind == "net"));
        assert!(own.iter().any(|n| n.kind == "mnt"));
        Ok(())
    }
}
