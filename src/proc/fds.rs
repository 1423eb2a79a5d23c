//! A process's open file descriptors, from `/proc/PID/fd` (what each one
//! points to) and `/proc/PID/fdinfo` (its offset and open flags): the
//! `lsof -p PID` view.
//!
//! Per descriptor this costs one `readlink`, one `stat` of the open file
//! itself (through the link, so a deleted file still answers) and one read
//! of `fdinfo`. Sockets are then resolved by inode in the process's own
//! network tables ([`super::net`]). Listing `fd/` needs the right to ptrace
//! the process: for another user's process it fails with `EACCES`.

use std::collections::HashMap;
use std::io;

use super::Reader;
use super::net::{self, Socket};

/// What kind of thing a descriptor refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    CharDevice,
    BlockDevice,
    /// A named pipe (a FIFO with a path).
    Fifo,
    /// An anonymous pipe, `pipe:[INODE]`.
    Pipe,
    Socket,
    /// `anon_inode:[eventfd]`, `anon_inode:inotify`, pidfds, ...
    AnonInode,
    Other,
}

impl Kind {
    /// The word used in tables and as the JSON `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Dir => "dir",
            Kind::CharDevice => "char",
            Kind::BlockDevice => "block",
            Kind::Fifo => "fifo",
            Kind::Pipe => "pipe",
            Kind::Socket => "socket",
            Kind::AnonInode => "anon",
            Kind::Other => "other",
        }
    }
}

/// How a descriptor was opened (`O_ACCMODE` of its flags, or `O_PATH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    ReadWrite,
    /// `O_PATH`: a location only, no reading or writing.
    Path,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "r",
            Access::Write => "w",
            Access::ReadWrite => "rw",
            Access::Path => "path",
        }
    }
}

/// One open descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFile {
    pub fd: i32,
    /// The link's text: a path (without the kernel's ` (deleted)` suffix
    /// when the file is known to be deleted), `pipe:[N]`, `socket:[N]`,
    /// `anon_inode:[eventfd]`. Untrusted bytes.
    pub target: Vec<u8>,
    pub kind: Kind,
    /// The file was deleted while open (its link count is 0).
    pub deleted: bool,
    /// The open flags from `fdinfo` (octal there), when readable.
    pub flags: Option<u32>,
    /// The file offset from `fdinfo`.
    pub pos: Option<u64>,
    /// Size in bytes, for regular files.
    pub size: Option<u64>,
    pub inode: Option<u64>,
    /// `major:minor` of a device.
    pub device: Option<(u32, u32)>,
    /// What the socket tables say, for a socket.
    pub socket: Option<Socket>,
}

impl OpenFile {
    pub fn access(&self) -> Option<Access> {
        let flags = self.flags?;
        if flags & libc::O_PATH as u32 != 0 {
            return Some(Access::Path);
        }
        Some(match flags & libc::O_ACCMODE as u32 {
            x if x == libc::O_WRONLY as u32 => Access::Write,
            x if x == libc::O_RDWR as u32 => Access::ReadWrite,
            _ => Access::Read,
        })
    }

    /// The open flags worth showing, by name (`append`, `nonblock`, ...).
    pub fn flag_names(&self) -> Vec<&'static str> {
        let Some(flags) = self.flags else {
            return Vec::new();
        };
        // O_SYNC includes O_DSYNC's bit, so test it first and whole.
        let table: [(i32, &str); 7] = [
            (libc::O_APPEND, "append"),
            (libc::O_NONBLOCK, "nonblock"),
            (libc::O_SYNC, "sync"),
            (libc::O_DIRECT, "direct"),
            (libc::O_NOATIME, "noatime"),
            (libc::O_CLOEXEC, "cloexec"),
            (libc::O_DSYNC, "dsync"),
        ];
        let sync = libc::O_SYNC as u32;
        table
            .iter()
            .filter(|(bit, name)| {
                let bit = *bit as u32;
                match *name {
                    "dsync" => flags & sync != sync && flags & bit == bit,
                    _ => flags & bit == bit,
                }
            })
            .map(|(_, name)| *name)
            .collect()
    }

    /// The inode in a `socket:[N]` or `pipe:[N]` link.
    fn bracketed_inode(&self, prefix: &str) -> Option<u64> {
        let rest = self.target.strip_prefix(prefix.as_bytes())?;
        // The bracket must follow the prefix at once: `socket:x[1]` is no
        // socket link, though the namespace parser would find the 1.
        if !rest.starts_with(b"[") {
            return None;
        }
        super::ns::parse_link(rest)
    }
}

/// The kernel's suffix on the link of a deleted file.
pub const DELETED: &[u8] = b" (deleted)";

/// Whether a `/proc` link's `target` names a file that was deleted (or
/// replaced) while open. The kernel then appends ` (deleted)`, but a file
/// may really be called `x (deleted)`: it is deleted when no links are left,
/// or when the name, suffix included, is not this same file.
pub fn is_deleted(target: &[u8], stat: Option<crate::sys::procfs::FileInfo>) -> bool {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::MetadataExt;
    if !target.ends_with(DELETED) {
        return false;
    }
    let Some(open) = stat else {
        return true;
    };
    if open.links == 0 {
        return true;
    }
    // Still linked elsewhere (a hard link was removed): compare with what
    // the full name, suffix included, is now.
    match std::fs::metadata(std::ffi::OsStr::from_bytes(target)) {
        Ok(named) => !(named.dev() == open.dev && named.ino() == open.inode),
        Err(_) => true,
    }
}

/// Every open descriptor of `pid`, in fd order, sockets resolved. Fails
/// (`EACCES`) when `fd/` may not be listed or its links not read;
/// descriptors closed while being read are left out.
pub fn read(reader: &mut Reader, pid: i32) -> io::Result<Vec<OpenFile>> {
    let fds = reader.fs.numeric_entries(&format!("{pid}/fd"))?;
    let mut out = Vec::with_capacity(fds.len());
    for fd in fds {
        let path = format!("{pid}/fd/{fd}");
        let target = match reader.fs.readlink(&path) {
            Ok(target) => target,
            // Closed since the listing: the normal race.
            Err(e) if crate::sys::is_gone(&e) => continue,
            // The listing may be allowed while the links are not (a
            // non-dumpable process): that is "permission denied", not
            // "no open files".
            Err(e) => return Err(e),
        };
        let stat = reader.fs.stat(&path).ok();
        let mut file = classify(fd, target, stat);
        let path = format!("{pid}/fdinfo/{fd}");
        // pos and flags are the first lines: one read is enough, however
        // long the rest (epoll and inotify list their watches).
        if reader.fs.read_into(&path, &mut reader.buf, true).is_ok() {
            let (pos, flags) = parse_fdinfo(&reader.buf);
            file.pos = pos;
            file.flags = flags;
        }
        out.push(file);
    }
    resolve_sockets(reader, pid, &mut out);
    Ok(out)
}

/// Decide the kind of a descriptor from its link text and `stat`.
pub fn classify(
    fd: i32,
    mut target: Vec<u8>,
    stat: Option<crate::sys::procfs::FileInfo>,
) -> OpenFile {
    let mut file = OpenFile {
        fd,
        target: Vec::new(),
        kind: Kind::Other,
        deleted: false,
        flags: None,
        pos: None,
        size: None,
        inode: stat.map(|s| s.inode),
        device: None,
        socket: None,
    };
    if target.starts_with(b"pipe:[") {
        file.kind = Kind::Pipe;
    } else if target.starts_with(b"socket:[") {
        file.kind = Kind::Socket;
    } else if target.starts_with(b"anon_inode:") {
        file.kind = Kind::AnonInode;
    } else if target.starts_with(b"/") {
        let mode = stat.map_or(0, |s| s.mode & libc::S_IFMT);
        file.kind = match mode {
            libc::S_IFREG => Kind::File,
            libc::S_IFDIR => Kind::Dir,
            libc::S_IFCHR => Kind::CharDevice,
            libc::S_IFBLK => Kind::BlockDevice,
            libc::S_IFIFO => Kind::Fifo,
            libc::S_IFSOCK => Kind::Socket,
            _ => Kind::Other,
        };
        if let Some(s) = stat {
            if is_deleted(&target, Some(s)) {
                target.truncate(target.len() - DELETED.len());
                file.deleted = true;
            }
            if file.kind == Kind::File {
                file.size = Some(s.size);
            }
            if matches!(file.kind, Kind::CharDevice | Kind::BlockDevice) {
                file.device = Some((s.rdev_major, s.rdev_minor));
            }
        }
    }
    file.target = target;
    file
}

/// `pos:` (decimal) and `flags:` (octal) from an `fdinfo` file.
pub fn parse_fdinfo(buf: &[u8]) -> (Option<u64>, Option<u32>) {
    let (mut pos, mut flags) = (None, None);
    for line in buf.split(|&b| b == b'\n').take(4) {
        let Ok(line) = std::str::from_utf8(line) else {
            continue;
        };
        if let Some(v) = line.strip_prefix("pos:") {
            pos = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("flags:") {
            flags = u32::from_str_radix(v.trim(), 8).ok();
        }
    }
    (pos, flags)
}

/// Fill in `socket` for every socket descriptor: from the process's network
/// tables, else from the protocol name sockfs gives it (netlink, packet).
fn resolve_sockets(reader: &mut Reader, pid: i32, files: &mut [OpenFile]) {
    let inodes: Vec<u64> = files
        .iter()
        .filter(|f| f.kind == Kind::Socket)
        .filter_map(|f| f.bracketed_inode("socket:").or(f.inode))
        .collect();
    if inodes.is_empty() {
        return;
    }
    let found: HashMap<u64, Socket> = net::resolve(reader, pid, &inodes);
    for file in files.iter_mut().filter(|f| f.kind == Kind::Socket) {
        let Some(inode) = file.bracketed_inode("socket:").or(file.inode) else {
            continue;
        };
        file.socket = match found.get(&inode) {
            // Two descriptors may share one socket (dup): both get it.
            Some(socket) => Some(socket.clone()),
            None => crate::sys::procfs::socket_protocol(pid, file.fd)
                .ok()
                .filter(|name| !name.is_empty())
                .map(|name| Socket {
                    protocol: protocol_name(&name),
                    local: None,
                    remote: None,
                    state: None,
                    kind: None,
                }),
        };
    }
}

/// sockfs's names (`NETLINK`, `UNIX-STREAM`, `TCPv6`) in ptool's spelling.
fn protocol_name(sockfs: &str) -> String {
    let lower = sockfs.to_ascii_lowercase();
    match lower.as_str() {
        "tcpv6" => "tcp6".to_string(),
        "udpv6" => "udp6".to_string(),
        l if l.starts_with("unix") => "unix".to_string(),
        _ => lower,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::procfs::FileInfo;

    fn info(mode: u32, links: u64) -> FileInfo {
        FileInfo {
            mode,
            size: 42,
            dev: 1,
            inode: 7,
            links,
            rdev_major: 1,
            rdev_minor: 3,
        }
    }

    #[test]
    fn kinds_from_links_and_stat() {
        let f = classify(0, b"pipe:[123]".to_vec(), Some(info(libc::S_IFIFO, 1)));
        assert_eq!(f.kind, Kind::Pipe);
        assert_eq!(f.bracketed_inode("pipe:"), Some(123));
        let f = classify(1, b"socket:[99]".to_vec(), None);
        assert_eq!(f.kind, Kind::Socket);
        assert_eq!(f.bracketed_inode("socket:"), Some(99));
        let f = classify(1, b"socket:x[99]".to_vec(), None);
        assert_eq!(f.bracketed_inode("socket:"), None);
        let f = classify(2, b"anon_inode:[eventfd]".to_vec(), None);
        assert_eq!(f.kind, Kind::AnonInode);
        let f = classify(3, b"/dev/null".to_vec(), Some(info(libc::S_IFCHR, 1)));
        assert_eq!((f.kind, f.device), (Kind::CharDevice, Some((1, 3))));
        let f = classify(4, b"/tmp".to_vec(), Some(info(libc::S_IFDIR, 2)));
        assert_eq!(f.kind, Kind::Dir);
        let f = classify(5, b"/etc/passwd".to_vec(), Some(info(libc::S_IFREG, 1)));
        assert_eq!((f.kind, f.size, f.deleted), (Kind::File, Some(42), false));
        let f = classify(6, b"/home/x/fifo".to_vec(), Some(info(libc::S_IFIFO, 1)));
        assert_eq!(f.kind, Kind::Fifo);
    }

    #[test]
    fn deleted_only_when_unlinked() {
        let f = classify(
            3,
            b"/tmp/scratch (deleted)".to_vec(),
            Some(info(libc::S_IFREG, 0)),
        );
        assert!(f.deleted);
        assert_eq!(f.target, b"/tmp/scratch");
        // A removed hard link, the file still linked elsewhere.
        let f = classify(
            3,
            b"/nonexistent/x (deleted)".to_vec(),
            Some(info(libc::S_IFREG, 1)),
        );
        assert!(f.deleted);
        assert_eq!(f.target, b"/nonexistent/x");
    }

    #[test]
    fn a_file_named_deleted_is_not() -> io::Result<()> {
        use std::os::unix::fs::MetadataExt;
        let path =
            std::env::temp_dir().join(format!("ptool-test-{} (deleted)", std::process::id()));
        std::fs::write(&path, b"x")?;
        let meta = std::fs::metadata(&path)?;
        let stat = FileInfo {
            dev: meta.dev(),
            inode: meta.ino(),
            ..info(libc::S_IFREG, 1)
        };
        let target = path.as_os_str().as_encoded_bytes().to_vec();
        let deleted = is_deleted(&target, Some(stat));
        std::fs::remove_file(&path)?;
        assert!(!deleted);
        Ok(())
    }

    #[test]
    fn fdinfo_and_flags() {
        let (pos, flags) = parse_fdinfo(b"pos:\t12\nflags:\t02102002\nmnt_id:\t24\nino:\t3\n");
        assert_eq!(pos, Some(12));
        let mut f = classify(3, b"/tmp/log".to_vec(), Some(info(libc::S_IFREG, 1)));
        f.flags = flags;
        assert_eq!(f.access(), Some(Access::ReadWrite));
        assert_eq!(f.flag_names(), vec!["append", "cloexec"]);
        f.flags = Some(0o4010001);
        assert_eq!(f.access(), Some(Access::Write));
        assert_eq!(f.flag_names(), vec!["sync"]);
        f.flags = Some(0o10001);
        assert_eq!(f.flag_names(), vec!["dsync"]);
        f.flags = Some(0o10000000);
        assert_eq!(f.access(), Some(Access::Path));
        f.flags = Some(0o4000);
        assert_eq!(f.access(), Some(Access::Read));
        assert_eq!(f.flag_names(), vec!["nonblock"]);
        assert_eq!(parse_fdinfo(b"garbage"), (None, None));
    }

    #[test]
    fn sockfs_names() {
        assert_eq!(protocol_name("NETLINK"), "netlink");
        assert_eq!(protocol_name("TCPv6"), "tcp6");
        assert_eq!(protocol_name("UNIX-STREAM"), "unix");
    }

    #[test]
    fn reads_its_own_descriptors() -> io::Result<()> {
        use std::io::{Seek, SeekFrom, Write};
        use std::os::fd::AsRawFd;
        let dir = std::env::temp_dir();
        let path = dir.join(format!("ptool-fds-test-{}", std::process::id()));
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)?;
        file.write_all(b"hello world")?;
        file.seek(SeekFrom::Start(5))?;
        std::fs::remove_file(&path)?;
        let mut reader = Reader::new()?;
        let files = read(&mut reader, crate::sys::own_pid())?;
        let mine = files
            .iter()
            .find(|f| f.fd == file.as_raw_fd())
            .expect("listed");
        assert_eq!(mine.kind, Kind::File);
        assert_eq!(mine.pos, Some(5));
        assert_eq!(mine.size, Some(11));
        assert!(mine.deleted);
        assert_eq!(mine.target, path.as_os_str().as_encoded_bytes());
        assert_eq!(mine.access(), Some(Access::ReadWrite));
        assert!(mine.flag_names().contains(&"cloexec"));
        Ok(())
    }
}
