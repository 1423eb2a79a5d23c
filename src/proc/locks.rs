//! File locks as the kernel lists them: `/proc/locks` (every lock and every
//! blocked request, system-wide) and the `lock:` lines of
//! `/proc/PID/fdinfo/FD` (the locks held through that descriptor's open
//! file description).
//!
//! A line reads `1: FLOCK  ADVISORY  WRITE 1234 fe:00:5431340 0 EOF`, or
//! `1: -> FLOCK ...` for a request still waiting. The PID is the process
//! that took the lock, which may have exited since while a child that
//! inherited the descriptor still holds it; the descriptors themselves say
//! who holds it now. The device is `major:minor` in hex, the inode decimal.

use std::io;

use super::Reader;

/// One line of `/proc/locks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelLock {
    /// A request blocked behind the lock of the same number (`->`).
    pub waiting: bool,
    /// `FLOCK`, `POSIX`, `OFDLCK`, `LEASE`, ...
    pub kind: String,
    /// `WRITE` (exclusive) rather than `READ` (shared).
    pub write: bool,
    /// The process that took (or waits for) it; -1 for OFD locks.
    pub pid: i32,
    pub major: u32,
    pub minor: u32,
    pub inode: u64,
}

impl KernelLock {
    /// True when this lock is on the file `(major, minor, inode)`.
    pub fn is_on(&self, file: (u32, u32, u64)) -> bool {
        (self.major, self.minor, self.inode) == file
    }
}

/// Parse one line of `/proc/locks` (or the text after `lock:\t` in
/// `fdinfo`). `None` for a line of another shape.
pub fn parse_line(line: &str) -> Option<KernelLock> {
    let mut words = line.split_ascii_whitespace();
    words.next()?.strip_suffix(':')?;
    let mut kind = words.next()?;
    let waiting = kind == "->";
    if waiting {
        kind = words.next()?;
    }
    // ADVISORY, MANDATORY, or a lease's state (ACTIVE, BREAKING, ...).
    words.next()?;
    let access = words.next()?;
    let pid: i32 = words.next()?.parse().ok()?;
    let mut id = words.next()?.split(':');
    let major = u32::from_str_radix(id.next()?, 16).ok()?;
    let minor = u32::from_str_radix(id.next()?, 16).ok()?;
    let inode = id.next()?.parse().ok()?;
    Some(KernelLock {
        waiting,
        kind: kind.to_string(),
        write: access == "WRITE",
        pid,
        major,
        minor,
        inode,
    })
}

/// Every lock and waiting request in `/proc/locks`.
pub fn read_all(reader: &mut Reader) -> io::Result<Vec<KernelLock>> {
    reader.fs.read_into("locks", &mut reader.buf, false)?;
    let text = String::from_utf8_lossy(&reader.buf);
    Ok(text.lines().filter_map(parse_line).collect())
}

/// The locks held through `pid`'s descriptor `fd`, from its `fdinfo`.
pub fn held_through(reader: &mut Reader, pid: i32, fd: i32) -> Vec<KernelLock> {
    if reader
        .fs
        .read_into(&format!("{pid}/fdinfo/{fd}"), &mut reader.buf, false)
        .is_err()
    {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&reader.buf);
    text.lines()
        .filter_map(|l| l.strip_prefix("lock:"))
        .filter_map(|l| parse_line(l.trim_start()))
        .collect()
}

/// One descriptor that has one of the wanted files open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenLockFile {
    pub pid: i32,
    pub fd: i32,
    /// Which of the wanted files, by index.
    pub file: usize,
    /// The locks held through this descriptor (empty: open, not locking).
    pub locks: Vec<KernelLock>,
}

/// Every descriptor of every process that has one of `files` (device and
/// inode, as in `/proc/locks`) open and holds a lock through it. Costs one
/// `stat` per descriptor of every process, so callers first check that
/// `/proc/locks` has a lock on one of the files at all. Processes whose
/// descriptors may not be read (another user's, without privilege) are
/// skipped.
pub fn holders(reader: &mut Reader, files: &[(u32, u32, u64)]) -> Vec<OpenLockFile> {
    let mut found = Vec::new();
    let Ok(pids) = reader.pids() else {
        return found;
    };
    for pid in pids {
        let Ok(fds) = reader.fs.numeric_entries(&format!("{pid}/fd")) else {
            continue;
        };
        for fd in fds {
            let Ok(st) = reader.fs.stat(&format!("{pid}/fd/{fd}")) else {
                continue;
            };
            let id = (
                rustix::fs::major(st.dev),
                rustix::fs::minor(st.dev),
                st.inode,
            );
            let Some(file) = files.iter().position(|&f| f == id) else {
                continue;
            };
            let locks: Vec<KernelLock> = held_through(reader, pid, fd)
                .into_iter()
                .filter(|l| l.is_on(id))
                .collect();
            if !locks.is_empty() {
                found.push(OpenLockFile {
                    pid,
                    fd,
                    file,
                    locks,
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_holders_and_waiters() {
        let held = parse_line("1: FLOCK  ADVISORY  WRITE 27645 fe:00:5431340 0 EOF").unwrap();
        assert_eq!(
            held,
            KernelLock {
                waiting: false,
                kind: "FLOCK".into(),
                write: true,
                pid: 27645,
                major: 0xfe,
                minor: 0,
                inode: 5_431_340,
            }
        );
        let waits = parse_line("1: -> FLOCK  ADVISORY  READ  812 00:1a:77 0 EOF").unwrap();
        assert!(waits.waiting && !waits.write);
        assert_eq!((waits.pid, waits.major, waits.minor), (812, 0, 0x1a));
        let ofd = parse_line("3: OFDLCK ADVISORY  WRITE -1 08:01:12 0 EOF").unwrap();
        assert_eq!(ofd.pid, -1);
        assert!(parse_line("").is_none());
        assert!(parse_line("garbage here").is_none());
        assert!(parse_line("1: FLOCK ADVISORY WRITE x fe:00:1 0 EOF").is_none());
    }
}
