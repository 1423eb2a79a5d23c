//! Opening files named by the user without ever blocking in open(2).
//!
//! Any path may name a FIFO, a socket, a device or a directory. open(2) of
//! a FIFO blocks until the other end is opened too, which may be never, and
//! no `--timeout` runs while it does. So every open here passes
//! `O_NONBLOCK` (which a regular file ignores) and then looks at what was
//! opened with fstat(2): a file that must hold data (a pidfile) is refused
//! unless it is a regular file; an output (a log) may be a FIFO or a device,
//! and its `O_NONBLOCK` is taken off again so that writes wait as usual (a
//! FIFO without a reader fails at once with ENXIO instead of hanging).

use std::fs::File;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// What a path names, for messages: "a FIFO", "a directory", ...
pub fn kind_of(mode: u32) -> &'static str {
    match mode & libc::S_IFMT {
        libc::S_IFREG => "a regular file",
        libc::S_IFDIR => "a directory",
        libc::S_IFIFO => "a FIFO",
        libc::S_IFSOCK => "a socket",
        libc::S_IFCHR => "a character device",
        libc::S_IFBLK => "a block device",
        libc::S_IFLNK => "a symbolic link",
        _ => "not a regular file",
    }
}

/// The error for a path that is not a regular file.
pub fn not_regular(mode: u32) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("not a regular file ({})", kind_of(mode)),
    )
}

/// Open `path` for reading, refusing (at once, without blocking) anything
/// but a regular file.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let mode = rustix::fs::fstat(&file)?.st_mode;
    if mode & libc::S_IFMT != libc::S_IFREG {
        return Err(not_regular(mode));
    }
    Ok(file)
}

/// Open `path` to read a stream of input from (a file, a FIFO, a pipe
/// from `<(...)`, a character device) without blocking in open(2): a FIFO
/// with no writer then reads as empty at once. Directories and sockets are
/// refused. Reads block as usual afterwards.
pub fn open_input(path: &Path) -> io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let mode = rustix::fs::fstat(&file)?.st_mode;
    if matches!(mode & libc::S_IFMT, libc::S_IFDIR | libc::S_IFSOCK) {
        return Err(not_regular(mode));
    }
    let flags = rustix::fs::fcntl_getfl(&file)?;
    rustix::fs::fcntl_setfl(&file, flags - rustix::fs::OFlags::NONBLOCK)?;
    Ok(file)
}

/// Whether `path` exists as something other than a regular file (its
/// mode), following symbolic links; `None` for a regular file or nothing.
pub fn non_regular_at(path: &Path) -> io::Result<Option<u32>> {
    match rustix::fs::stat(path) {
        Ok(st) if st.st_mode & libc::S_IFMT != libc::S_IFREG => Ok(Some(st.st_mode)),
        Ok(_) => Ok(None),
        Err(rustix::io::Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Open `path` for appending (created with mode 0666 less the umask, like
/// a shell's `>>`), close-on-exec: a log, which may be a FIFO or a device.
pub fn open_append(path: &Path) -> io::Result<std::os::fd::OwnedFd> {
    let file = open_output(path, std::fs::OpenOptions::new().append(true).create(true))?;
    Ok(file.into())
}

/// Open `path` for writing as `options` says, without blocking in open(2):
/// a FIFO without a reader is ENXIO at once. Blocking writes are restored
/// afterwards.
pub fn open_output(path: &Path, options: &mut std::fs::OpenOptions) -> io::Result<File> {
    let file = options
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ENXIO) => io::Error::new(e.kind(), "a FIFO that nothing is reading"),
            _ => e,
        })?;
    let flags = rustix::fs::fcntl_getfl(&file)?;
    rustix::fs::fcntl_setfl(&file, flags - rustix::fs::OFlags::NONBLOCK)?;
    Ok(file)
}
