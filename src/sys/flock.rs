//! Advisory whole-file locks (`flock(2)`) for `ptool lock`: a private lock
//! directory made without following symlinks, lock files opened with
//! `O_NOFOLLOW | O_CLOEXEC`, and a blocking wait for any one of several lock
//! files at once.
//!
//! A `flock` lock belongs to an open file description: it is released when
//! the last descriptor on it closes, which the kernel does for a process
//! that dies in any way, SIGKILL included. Opened close-on-exec, a lock
//! descriptor is never inherited by the commands ptool runs.
//!
//! `flock(2)` cannot be polled, and a blocking `flock` can only be
//! interrupted by a signal. So [`AnyLock`] waits in threads, one per lock
//! file, each blocked in the kernel on its own file; the first to get its
//! lock claims the win (an atomic compare-and-swap) and says which through a
//! pipe that the caller polls with its signals and deadline. The others are
//! then interrupted by [`wake_signal`] (a handler that does nothing,
//! installed without `SA_RESTART`, so their `flock` returns `EINTR`); one
//! that got its lock after the win lets go of it at once. Nothing polls, and
//! no wait ever holds more than the one lock it claimed.

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::thread::JoinHandleExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags};

/// How a lock is held: one exclusive holder, or any number of shared ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    Exclusive,
    Shared,
}

impl LockMode {
    fn blocking(self) -> FlockOperation {
        match self {
            LockMode::Exclusive => FlockOperation::LockExclusive,
            LockMode::Shared => FlockOperation::LockShared,
        }
    }

    fn nonblocking(self) -> FlockOperation {
        match self {
            LockMode::Exclusive => FlockOperation::NonBlockingLockExclusive,
            LockMode::Shared => FlockOperation::NonBlockingLockShared,
        }
    }
}

/// Open a directory to keep lock files in (following symlinks: the caller
/// named it).
pub fn open_dir(path: &std::path::Path) -> io::Result<OwnedFd> {
    Ok(rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Open the directory `name` in `parent`, creating it with mode 0700 when
/// missing. It must be a real directory (a symlink planted there is not
/// followed), owned by this user and writable by nobody else; anything
/// else is refused with `PermissionDenied` and a message saying why.
pub fn private_dir(parent: BorrowedFd<'_>, name: &str) -> io::Result<OwnedFd> {
    let created = match rustix::fs::mkdirat(parent, name, Mode::RWXU) {
        Ok(()) => true,
        Err(rustix::io::Errno::EXIST) => false,
        Err(e) => return Err(e.into()),
    };
    let dir = rustix::fs::openat(
        parent,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| match e {
        rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR => io::Error::new(
            io::ErrorKind::PermissionDenied,
            "not a directory (a symbolic link or a file is in the way)",
        ),
        e => e.into(),
    })?;
    if created {
        // mkdir's mode went through the umask; make it exactly 0700.
        rustix::fs::fchmod(&dir, Mode::RWXU)?;
    }
    let st = rustix::fs::fstat(&dir)?;
    let me = rustix::process::geteuid().as_raw();
    if st.st_uid != me {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("owned by uid {}, not by uid {me}", st.st_uid),
        ));
    }
    if st.st_mode & 0o022 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("writable by others (mode {:o})", st.st_mode & 0o7777),
        ));
    }
    Ok(dir)
}

/// Open (creating with `mode` when missing) the lock file `name` in `dir`,
/// close-on-exec, without following a symlink at `name`. Only regular files
/// and directories are accepted: a FIFO, socket or device there is refused
/// (`InvalidInput`) before it is opened, so opening it cannot block or have
/// side effects. Read-only is enough for `flock`, so a lock file others may
/// only read can still be shared.
pub fn open_lock_file(dir: BorrowedFd<'_>, name: &OsStr, mode: u32) -> io::Result<OwnedFd> {
    let check = |ft: FileType| -> io::Result<()> {
        match ft {
            FileType::RegularFile | FileType::Directory => Ok(()),
            FileType::Symlink => Err(symlink_refused()),
            other => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a regular file ({})", type_name(other)),
            )),
        }
    };
    if let Ok(st) = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        check(FileType::from_raw_mode(st.st_mode))?;
    }
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY;
    // NONBLOCK: should a FIFO replace the file between the check and the
    // open, the open returns at once instead of waiting for a writer.
    let opened = rustix::fs::openat(
        dir,
        name,
        flags | OFlags::CREATE | OFlags::NONBLOCK,
        Mode::from_raw_mode(mode),
    );
    let fd = match opened {
        Ok(fd) => fd,
        // A directory cannot be opened with O_CREAT; it may still be locked.
        Err(rustix::io::Errno::ISDIR) => {
            rustix::fs::openat(dir, name, flags | OFlags::DIRECTORY, Mode::empty())?
        }
        Err(rustix::io::Errno::LOOP) => return Err(symlink_refused()),
        Err(e) => return Err(e.into()),
    };
    check(FileType::from_raw_mode(rustix::fs::fstat(&fd)?.st_mode))?;
    Ok(fd)
}

fn symlink_refused() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "a symbolic link (lock files are never followed)",
    )
}

fn type_name(ft: FileType) -> &'static str {
    match ft {
        FileType::Fifo => "a FIFO",
        FileType::Socket => "a socket",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        FileType::Symlink => "a symbolic link",
        FileType::Directory => "a directory",
        FileType::RegularFile => "a regular file",
        FileType::Unknown => "of unknown type",
    }
}

/// The device and inode of an open file, as `/proc/locks` names it.
pub fn file_id(fd: BorrowedFd<'_>) -> io::Result<(u32, u32, u64)> {
    let st = rustix::fs::fstat(fd)?;
    let dev = st.st_dev;
    Ok((rustix::fs::major(dev), rustix::fs::minor(dev), st.st_ino))
}

/// The device and inode of the lock file at `path` (not following a
/// symlink there), when it is a regular file or directory.
pub fn path_id(path: &std::path::Path) -> Option<(u32, u32, u64)> {
    let st = rustix::fs::lstat(path).ok()?;
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile | FileType::Directory => Some((
            rustix::fs::major(st.st_dev),
            rustix::fs::minor(st.st_dev),
            st.st_ino,
        )),
        _ => None,
    }
}

/// True when ptool runs as root (its effective user), whose locks live in
/// a system directory.
pub fn running_as_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Take the lock if it is free now: `Ok(false)` when someone holds it.
pub fn try_lock(fd: BorrowedFd<'_>, mode: LockMode) -> io::Result<bool> {
    loop {
        match rustix::fs::flock(fd, mode.nonblocking()) {
            Ok(()) => return Ok(true),
            Err(rustix::io::Errno::WOULDBLOCK) => return Ok(false),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// The signal that interrupts [`AnyLock`]'s losing threads: the first
/// real-time signal the C library leaves to programs.
pub fn wake_signal() -> i32 {
    libc::SIGRTMIN()
}

/// Not claimed yet.
const WAITING: usize = usize::MAX;
/// The caller stopped waiting.
const GAVE_UP: usize = usize::MAX - 1;
/// A thread's `flock` failed; its message in the pipe says how.
const FAILED: usize = usize::MAX - 2;

/// A wait, in the kernel, for the first of several lock files to be free.
/// Poll [`AnyLock::as_fd`]; when it is readable, [`AnyLock::outcome`] says
/// which lock is now held.
#[derive(Debug)]
pub struct AnyLock {
    state: Arc<AtomicUsize>,
    read: OwnedFd,
    threads: Vec<JoinHandle<()>>,
}

impl AnyLock {
    /// Start waiting for any of `files` in `mode`. The waiting threads
    /// inherit the caller's signal mask; a signal the caller catches may
    /// run its handler in one of them, whose `flock` is then simply tried
    /// again.
    pub fn start(files: &[Arc<OwnedFd>], mode: LockMode) -> io::Result<AnyLock> {
        install_wake_handler()?;
        let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
        let write = Arc::new(write);
        let state = Arc::new(AtomicUsize::new(WAITING));
        let mut lock = AnyLock {
            state: state.clone(),
            read,
            threads: Vec::with_capacity(files.len()),
        };
        for (index, file) in files.iter().enumerate() {
            let (file, state, write) = (file.clone(), state.clone(), write.clone());
            let thread = std::thread::Builder::new()
                .name(format!("lock-slot-{index}"))
                .stack_size(64 * 1024)
                .spawn(move || wait_one(index, &file, mode, &state, &write));
            match thread {
                Ok(t) => lock.threads.push(t),
                Err(e) => {
                    lock.give_up();
                    return Err(e);
                }
            }
        }
        Ok(lock)
    }

    /// The outcome, once [`AnyLock::as_fd`] is readable: the index of the
    /// lock now held (the others are being let go), or the error a waiter
    /// met. `Ok(None)`: nothing yet.
    pub fn outcome(&mut self) -> io::Result<Option<usize>> {
        let mut buf = [0u8; 8];
        match rustix::io::read(&self.read, &mut buf) {
            Ok(8) => {}
            Ok(_) => return Ok(None),
            Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        let index = u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        let errno = i32::from_ne_bytes([buf[4], buf[5], buf[6], buf[7]]);
        self.interrupt_others(index);
        if errno != 0 {
            return Err(io::Error::from_raw_os_error(errno));
        }
        Ok(Some(index))
    }

    /// Stop waiting. `Some(index)` when a lock was won meanwhile (it is
    /// held; the caller may use it), `None` when nothing is held.
    pub fn give_up(&mut self) -> Option<usize> {
        match self
            .state
            .compare_exchange(WAITING, GAVE_UP, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => {
                self.interrupt_others(usize::MAX);
                None
            }
            Err(FAILED) => None,
            Err(index) => {
                self.interrupt_others(index);
                Some(index)
            }
        }
    }

    /// Interrupt every waiting thread but `winner`'s. A thread between its
    /// check of the state and its `flock` call misses the signal and stays
    /// blocked until its lock frees; it then lets go of it at once.
    fn interrupt_others(&mut self, winner: usize) {
        for (index, thread) in self.threads.drain(..).enumerate() {
            if index == winner {
                continue;
            }
            // SAFETY: the thread has not been joined or detached (its
            // JoinHandle is alive until the end of this iteration), so its
            // pthread_t is valid even if it has already returned.
            unsafe {
                libc::pthread_kill(thread.as_pthread_t(), wake_signal());
            }
        }
    }
}

impl AsFd for AnyLock {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }
}

/// One waiting thread: block on `file` until locked, or until another
/// thread won or the caller gave up.
fn wait_one(index: usize, file: &OwnedFd, mode: LockMode, state: &AtomicUsize, write: &OwnedFd) {
    loop {
        if state.load(Ordering::Acquire) != WAITING {
            return;
        }
        let (claim, errno) = match rustix::fs::flock(file, mode.blocking()) {
            Ok(()) => (index, 0),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => (FAILED, e.raw_os_error()),
        };
        if state
            .compare_exchange(WAITING, claim, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // Another thread won, or the caller gave up: let go at once.
            if errno == 0 {
                let _ = rustix::fs::flock(file, FlockOperation::Unlock);
            }
            return;
        }
        let mut msg = [0u8; 8];
        msg[..4].copy_from_slice(&(index as u32).to_ne_bytes());
        msg[4..].copy_from_slice(&errno.to_ne_bytes());
        // A pipe write of 8 bytes is atomic and the pipe is empty: the
        // caller reads this one message.
        let _ = rustix::io::write(write, &msg);
        return;
    }
}

extern "C" fn on_wake(_: libc::c_int) {}

/// Install the do-nothing handler for [`wake_signal`], without
/// `SA_RESTART`, so a blocked `flock` returns `EINTR` when it arrives.
/// libc's `sigaction`, as nix's `Signal` has no real-time signals.
fn install_wake_handler() -> io::Result<()> {
    // SAFETY: an all-zero sigaction is a valid value (no flags, empty
    // mask); the handler is an `extern "C"` function that does nothing,
    // which is async-signal-safe.
    let ret = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_wake as *const () as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(wake_signal(), &action, std::ptr::null_mut())
    };
    crate::sys::zero_or_errno(ret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "ptool-flock-{tag}-{}-{}",
            std::process::id(),
            crate::sys::time::unix_seconds()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn refuses_symlinks_and_fifos() -> io::Result<()> {
        let dir = temp_dir("refuse");
        let fd = open_dir(&dir)?;
        std::os::unix::fs::symlink("/etc/passwd", dir.join("link"))?;
        let err = open_lock_file(fd.as_fd(), OsStr::new("link"), 0o600).expect_err("symlink");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        rustix::fs::mknodat(&fd, "fifo", FileType::Fifo, Mode::RUSR | Mode::WUSR, 0)?;
        let err = open_lock_file(fd.as_fd(), OsStr::new("fifo"), 0o600).expect_err("fifo");
        assert!(err.to_string().contains("FIFO"), "{err}");
        let made = open_lock_file(fd.as_fd(), OsStr::new("plain"), 0o600)?;
        assert!(try_lock(made.as_fd(), LockMode::Exclusive)?);
        let again = open_lock_file(fd.as_fd(), OsStr::new("plain"), 0o600)?;
        assert!(!try_lock(again.as_fd(), LockMode::Exclusive)?);
        assert!(!try_lock(again.as_fd(), LockMode::Shared)?);
        drop(made);
        assert!(try_lock(again.as_fd(), LockMode::Shared)?);
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }

    #[test]
    fn private_dir_is_made_0700_and_checked() -> io::Result<()> {
        let dir = temp_dir("private");
        let parent = open_dir(&dir)?;
        let made = private_dir(parent.as_fd(), "locks")?;
        assert_eq!(rustix::fs::fstat(&made)?.st_mode & 0o7777, 0o700);
        std::os::unix::fs::symlink(&dir, dir.join("planted"))?;
        let err = private_dir(parent.as_fd(), "planted").expect_err("symlink");
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        std::fs::create_dir(dir.join("open"))?;
        rustix::fs::chmod(dir.join("open"), Mode::from_raw_mode(0o777))?;
        let err = private_dir(parent.as_fd(), "open").expect_err("writable by others");
        assert!(err.to_string().contains("writable by others"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }

    /// Whether `fd` becomes readable within `ms` milliseconds.
    fn readable(fd: &impl AsFd, ms: i32) -> io::Result<bool> {
        let mut fds = [rustix::event::PollFd::new(fd, rustix::event::PollFlags::IN)];
        let spec = rustix::time::Timespec {
            tv_sec: i64::from(ms / 1000),
            tv_nsec: i64::from(ms % 1000) * 1_000_000,
        };
        Ok(rustix::event::poll(&mut fds, Some(&spec))? > 0)
    }

    #[test]
    fn waits_for_whichever_frees_first() -> io::Result<()> {
        let dir = temp_dir("any");
        let fd = open_dir(&dir)?;
        let open = |name: &str| open_lock_file(fd.as_fd(), OsStr::new(name), 0o600);
        let held: Vec<OwnedFd> = vec![open("a")?, open("b")?];
        for h in &held {
            assert!(try_lock(h.as_fd(), LockMode::Exclusive)?);
        }
        let ours: Vec<Arc<OwnedFd>> = vec![Arc::new(open("a")?), Arc::new(open("b")?)];
        let mut waiting = AnyLock::start(&ours, LockMode::Exclusive)?;
        assert!(!readable(&waiting, 50)?, "nothing is free yet");
        let mut held = held;
        drop(held.remove(1));
        assert!(readable(&waiting, 20_000)?, "a lock was won");
        assert_eq!(waiting.outcome()?, Some(1));
        // "b" is ours now; "a" is still the other holder's.
        let probe = open("b")?;
        assert!(!try_lock(probe.as_fd(), LockMode::Exclusive)?);
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }
}
