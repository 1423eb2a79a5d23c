//! Low-level reads from `/proc`, relative to one open directory handle.
//!
//! This is a small reader of our own rather than the `procfs` crate: a
//! listing reads thousands of tiny files, and the cost is in syscalls and
//! allocations. Here every read reuses the caller's buffer, paths are built
//! on the stack and resolved relative to an open `/proc` descriptor, and the
//! single-shot files (`stat`, `statm`) are read with one `read(2)` instead of
//! reading until EOF. `bench/` measures the result against `ps` and `pgrep`.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;

use rustix::fs::{AtFlags, Mode, OFlags};

/// What `stat(2)` says about the file a `/proc` link points to (an open
/// file's own inode, even when its path was deleted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    /// `st_mode`: file type and permission bits.
    pub mode: u32,
    pub size: u64,
    /// The device holding the file; with the inode, it names the file.
    pub dev: u64,
    pub inode: u64,
    /// 0 once the file was deleted.
    pub links: u64,
    /// The device number of a character or block device.
    pub rdev_major: u32,
    pub rdev_minor: u32,
}

/// An open handle on `/proc`.
#[derive(Debug)]
pub struct ProcFs {
    dir: OwnedFd,
}

/// The user and group that own `/proc/PID`: the process's effective uid and
/// gid (root for a process that made itself non-dumpable, as `ps` also shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
}

impl ProcFs {
    pub fn open() -> io::Result<ProcFs> {
        let dir = rustix::fs::open(
            "/proc",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(ProcFs { dir })
    }

    /// The numeric entries of a directory below `/proc` (`"."` for the PIDs,
    /// `"PID/task"` for a process's threads), in ascending order.
    pub fn numeric_entries(&self, path: &str) -> io::Result<Vec<i32>> {
        numeric_entries(self.dir.as_fd(), path)
    }

    /// Read `path` (relative to `/proc`) into `buf`, replacing its contents.
    /// `one_shot` files are produced whole by the kernel on the first read,
    /// so a short read means the end.
    pub fn read_into(&self, path: &str, buf: &mut Vec<u8>, one_shot: bool) -> io::Result<()> {
        read_file(self.dir.as_fd(), path, buf, one_shot)
    }

    /// Open the directory `/proc/PID`: a handle on that process rather than
    /// on its number (see [`ProcDir`]).
    pub fn open_dir(&self, pid: i32) -> io::Result<ProcDir> {
        let fd = rustix::fs::openat(
            &self.dir,
            pid_path(pid).as_str(),
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(ProcDir {
            fd: Arc::new(fd),
            pid,
        })
    }

    /// Open `/proc/PID/<file>` (a one-shot file: `stat`, `statm`) to read
    /// it again and again (see [`HeldFile`]).
    pub fn hold(&self, pid: i32, file: &str) -> io::Result<HeldFile> {
        HeldFile::open(self.dir.as_fd(), &format!("{pid}/{file}"))
    }

    /// The owner of `/proc/PID` (one `fstatat`, far cheaper than `status`).
    pub fn owner(&self, pid: i32) -> io::Result<Owner> {
        let st = rustix::fs::statat(&self.dir, pid_path(pid).as_str(), AtFlags::empty())?;
        Ok(Owner {
            uid: st.st_uid,
            gid: st.st_gid,
        })
    }

    /// The target of a symlink below `/proc` (`PID/exe`, `PID/cwd`, `PID/fd/3`).
    pub fn readlink(&self, path: &str) -> io::Result<Vec<u8>> {
        let target = rustix::fs::readlinkat(&self.dir, path, Vec::new())?;
        Ok(target.into_bytes())
    }

    /// `stat(2)` of what a link below `/proc` points to (`PID/fd/3`,
    /// `PID/exe`): the open file itself, not the link.
    pub fn stat(&self, path: &str) -> io::Result<FileInfo> {
        let st = rustix::fs::statat(&self.dir, path, AtFlags::empty())?;
        let rdev = st.st_rdev;
        Ok(FileInfo {
            mode: st.st_mode,
            size: u64::try_from(st.st_size).unwrap_or(0),
            dev: st.st_dev,
            inode: st.st_ino,
            links: st.st_nlink,
            rdev_major: rustix::fs::major(rdev),
            rdev_minor: rustix::fs::minor(rdev),
        })
    }
}

/// The protocol name sockfs gives a socket (`TCP`, `UNIXv6`, `NETLINK`,
/// `UNIX-STREAM`), read as the `system.sockprotoname` attribute of a
/// `/proc/PID/fd/N` link: the fallback for sockets that none of the
/// `/proc/PID/net` tables list.
pub fn socket_protocol(pid: i32, fd: i32) -> io::Result<String> {
    let path = format!("/proc/{pid}/fd/{fd}");
    let mut buf = [0u8; 64];
    let n = rustix::fs::getxattr(path.as_str(), "system.sockprotoname", &mut buf[..])?;
    let name = buf.get(..n).unwrap_or_default();
    let name = name.split(|&b| b == 0).next().unwrap_or_default();
    Ok(String::from_utf8_lossy(name).into_owned())
}

/// An open `/proc/PID` directory (`O_PATH`). The kernel binds it to the
/// process, not to the number: files opened through it are that process's,
/// a zombie's included, and once the process has been reaped every open
/// fails with `ESRCH`, even after its PID has been given to a new process.
/// So a process read through one is known to be the same process later.
#[derive(Debug, Clone)]
pub struct ProcDir {
    fd: Arc<OwnedFd>,
    pid: i32,
}

impl ProcDir {
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Read `file` of this process (`stat`, `cmdline`, `status`) into `buf`.
    pub fn read_into(&self, file: &str, buf: &mut Vec<u8>, one_shot: bool) -> io::Result<()> {
        read_file(self.fd.as_fd(), file, buf, one_shot)
    }

    /// The thread IDs of this process (`task`), ascending: only its own,
    /// whoever holds its PID by now.
    pub fn tids(&self) -> io::Result<Vec<i32>> {
        numeric_entries(self.fd.as_fd(), "task")
    }

    /// The target of a symlink of this process (`exe`, `cwd`).
    pub fn readlink(&self, link: &str) -> io::Result<Vec<u8>> {
        let target = rustix::fs::readlinkat(&*self.fd, link, Vec::new())?;
        Ok(target.into_bytes())
    }

    /// Open `file` of this process (`stat`, `statm`) to read it again and
    /// again (see [`HeldFile`]).
    pub fn hold(&self, file: &str) -> io::Result<HeldFile> {
        HeldFile::open(self.fd.as_fd(), file)
    }

    /// The owner of the directory: the process's effective uid and gid.
    pub fn owner(&self) -> io::Result<Owner> {
        let st = rustix::fs::fstat(&*self.fd)?;
        Ok(Owner {
            uid: st.st_uid,
            gid: st.st_gid,
        })
    }
}

/// A one-shot file of one process (`/proc/PID/stat`, `statm`) held open
/// and read from the start again on each refresh: one `pread(2)` instead
/// of open, read and close. The kernel produces the file afresh for every
/// read at offset 0. Like a [`ProcDir`], it stays with its process: once
/// that is reaped, reads fail (`ESRCH`), whoever has the PID now.
#[derive(Debug)]
pub struct HeldFile {
    fd: OwnedFd,
}

impl HeldFile {
    /// Open `path` below `base` to hold.
    fn open(base: BorrowedFd<'_>, path: &str) -> io::Result<HeldFile> {
        let fd = rustix::fs::openat(
            base,
            path,
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY,
            Mode::empty(),
        )?;
        Ok(HeldFile { fd })
    }

    /// The whole file, in `buf`.
    pub fn read_into(&self, buf: &mut Vec<u8>) -> io::Result<()> {
        buf.clear();
        if buf.capacity() < 4096 {
            buf.reserve(4096);
        }
        let (filled, _) = rustix::io::pread(&self.fd, buf.spare_capacity_mut(), 0)?;
        let n = filled.len();
        // SAFETY: `pread` initialised exactly the first `n` bytes of the
        // spare capacity, which `n` does not exceed.
        unsafe { buf.set_len(n) };
        if n == 0 {
            return Err(io::Error::from_raw_os_error(libc::ESRCH));
        }
        Ok(())
    }
}

/// Bytes of directory entries fetched per `getdents64`: room for about
/// 2,000 entries (a `/proc` entry takes 24 to 32 bytes), so that a
/// process's thread list comes in one call. Besides saving calls, one call
/// walks the kernel's thread list in one go: between calls `/proc/PID/task`
/// resumes from the last thread returned, and falls back to counting from
/// the start when that thread has ended meanwhile, which can skip a thread.
const DIR_BUF: usize = 64 * 1024;

/// The numeric entries of the directory `path` below `base`, ascending.
fn numeric_entries(base: BorrowedFd<'_>, path: &str) -> io::Result<Vec<i32>> {
    let fd = rustix::fs::openat(
        base,
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    // Freed and allocated again for the next listing, the buffer comes back
    // from the allocator with its pages already touched.
    let mut buf: Vec<u8> = Vec::with_capacity(DIR_BUF);
    let mut dir = rustix::fs::RawDir::new(&fd, buf.spare_capacity_mut());
    let mut out = Vec::with_capacity(512);
    while let Some(entry) = dir.next() {
        if let Some(n) = parse_pid(entry?.file_name().to_bytes()) {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

fn read_file(
    base: BorrowedFd<'_>,
    path: &str,
    buf: &mut Vec<u8>,
    one_shot: bool,
) -> io::Result<()> {
    let fd = rustix::fs::openat(
        base,
        path,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )?;
    buf.clear();
    if buf.capacity() < 4096 {
        buf.reserve(4096);
    }
    loop {
        let spare = buf.spare_capacity_mut();
        let want = spare.len();
        let (filled, _) = rustix::io::read(&fd, spare)?;
        let n = filled.len();
        // SAFETY: `read` initialised exactly the first `n` bytes of the
        // spare capacity, and `n <= want` keeps the new length in bounds.
        unsafe { buf.set_len(buf.len() + n) };
        if n == 0 || (one_shot && n < want) {
            return Ok(());
        }
        if buf.capacity() - buf.len() < 1024 {
            buf.reserve(buf.capacity());
        }
    }
}

fn pid_path(pid: i32) -> String {
    pid.to_string()
}

fn parse_pid(name: &[u8]) -> Option<i32> {
    if name.is_empty() || name.len() > 10 || !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_stat() -> io::Result<()> {
        let fs = ProcFs::open()?;
        let mut buf = Vec::new();
        fs.read_into("self/stat", &mut buf, true)?;
        let pid = std::process::id().to_string();
        assert!(buf.starts_with(pid.as_bytes()));
        assert!(
            fs.numeric_entries(".")?
                .contains(&(std::process::id() as i32))
        );
        Ok(())
    }

    #[test]
    fn large_files_are_read_whole() -> io::Result<()> {
        let fs = ProcFs::open()?;
        let mut buf = Vec::new();
        fs.read_into("self/maps", &mut buf, false)?;
        let expected = std::fs::read("/proc/self/maps")?;
        // maps can change between reads (allocations), but not its first line
        assert_eq!(
            buf.split(|b| *b == b'\n').next(),
            expected.split(|b| *b == b'\n').next()
        );
        Ok(())
    }

    #[test]
    fn a_proc_dir_stays_with_its_process() -> io::Result<()> {
        let fs = ProcFs::open()?;
        let mut child = std::process::Command::new("sleep").arg("30").spawn()?;
        let dir = fs.open_dir(child.id() as i32);
        let mut buf = Vec::new();
        let first = match &dir {
            Ok(d) => d.read_into("stat", &mut buf, true),
            Err(_) => Ok(()),
        };
        let _ = child.kill();
        child.wait()?;
        let dir = dir?;
        first?;
        assert!(buf.starts_with(child.id().to_string().as_bytes()));
        assert_eq!(dir.owner()?.uid, rustix::process::geteuid().as_raw());
        // Reaped: the handle no longer reads anything, whoever has the PID.
        let err = dir.read_into("stat", &mut buf, true).expect_err("reaped");
        assert!(crate::sys::is_gone(&err), "{err}");
        Ok(())
    }

    #[test]
    fn an_open_stat_reads_afresh_until_its_process_is_reaped() -> io::Result<()> {
        let fs = ProcFs::open()?;
        let mut child = std::process::Command::new("sleep").arg("30").spawn()?;
        let stat = fs.hold(child.id() as i32, "stat");
        let mut buf = Vec::new();
        let mut reads = Vec::new();
        if let Ok(stat) = &stat {
            reads.push(stat.read_into(&mut buf));
            reads.push(stat.read_into(&mut buf));
        }
        let _ = child.kill();
        child.wait()?;
        let stat = stat?;
        for read in reads {
            read?;
        }
        assert!(buf.starts_with(child.id().to_string().as_bytes()));
        let err = stat.read_into(&mut buf).expect_err("reaped");
        assert!(crate::sys::is_gone(&err), "{err}");
        Ok(())
    }

    #[test]
    fn pid_names() {
        assert_eq!(parse_pid(b"123"), Some(123));
        assert_eq!(parse_pid(b"self"), None);
        assert_eq!(parse_pid(b""), None);
        assert_eq!(parse_pid(b"99999999999"), None);
    }
}
