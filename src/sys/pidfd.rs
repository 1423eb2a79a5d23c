//! Process file descriptors: a handle on one process that stays bound to it
//! even if its PID is reused, so signalling through it can never hit a
//! stranger. Polling a pidfd reports readable once the process has exited,
//! and, on recent kernels, hung up once its parent has reaped it; since Linux
//! 6.15 the pidfd then also tells how the process ended (`PIDFD_GET_INFO`).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::process::{Pid, PidfdFlags};

/// An open pidfd together with the PID it was opened for.
#[derive(Debug)]
pub struct PidFd {
    fd: OwnedFd,
}

impl PidFd {
    /// Open a pidfd for `pid`. Fails with `ESRCH` when no such process exists
    /// (a zombie still has a pidfd), and `ENOSYS` on kernels before 5.3.
    pub fn open(pid: i32) -> io::Result<PidFd> {
        let raw = Pid::from_raw(pid).ok_or_else(|| io::Error::from_raw_os_error(libc::ESRCH))?;
        let fd = rustix::process::pidfd_open(raw, PidfdFlags::empty())?;
        Ok(PidFd { fd })
    }

    /// Send signal `signo` to exactly the process this pidfd refers to.
    /// Signal 0 only checks that the process still exists (it fails with
    /// `ESRCH` once it has been reaped).
    pub fn send(&self, signo: i32) -> io::Result<()> {
        // rustix's `pidfd_send_signal` takes a non-zero, non-real-time
        // `Signal`, so the raw syscall is used to allow 0 and RTMIN+N too.
        // SAFETY: the fd is a valid open pidfd owned by `self`; a null
        // siginfo and zero flags are the documented defaults.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.fd.as_raw_fd(),
                signo,
                std::ptr::null::<libc::siginfo_t>(),
                0u32,
            )
        };
        crate::sys::zero_or_errno(ret)
    }

    /// True once the process has exited (it may still be an unreaped
    /// zombie): a poll with no timeout. To wait for exits, use
    /// [`crate::sys::exitwatch::ExitWatch`].
    pub fn has_exited(&self) -> io::Result<bool> {
        let mut ready = Vec::with_capacity(1);
        super::poll::poll_readable(&[self.as_fd()], Some(Duration::ZERO), &mut ready)?;
        Ok(ready.first().copied().unwrap_or(false))
    }
}

impl AsFd for PidFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Linux's `struct pidfd_info` (include/uapi/linux/pidfd.h) in its first
/// published size, `PIDFD_INFO_SIZE_VER0` = 64 bytes, where Linux 6.15 turned
/// the last spare word into `exit_code`. The size is encoded in the ioctl
/// number; the kernel accepts any size from VER0 up and fills what fits, so
/// the 64-byte layout works on every kernel that has the ioctl (6.13+).
#[repr(C)]
#[derive(Debug, Default)]
#[allow(dead_code)] // the layout must be whole; ptool reads only a few fields
struct PidfdInfo {
    mask: u64,
    cgroupid: u64,
    pid: u32,
    tgid: u32,
    ppid: u32,
    ruid: u32,
    rgid: u32,
    euid: u32,
    egid: u32,
    suid: u32,
    sgid: u32,
    fsuid: u32,
    fsgid: u32,
    /// The wait(2) status word (`WIFEXITED`...), valid when the reply's mask
    /// has `PIDFD_INFO_EXIT`.
    exit_code: i32,
}

const _: () = assert!(size_of::<PidfdInfo>() == 64);

/// `PIDFD_INFO_EXIT`: ask for (and, in the reply, "here is") the exit status.
/// Only the kernel that recorded it at reap time can answer (6.15+).
const PIDFD_INFO_EXIT: u64 = 1 << 3;

/// `PIDFD_GET_INFO = _IOWR(PIDFS_IOCTL_MAGIC 0xFF, 11, struct pidfd_info)`;
/// rustix composes the number the way this architecture's `_IOWR` does.
const PIDFD_GET_INFO: rustix::ioctl::Opcode =
    rustix::ioctl::opcode::read_write::<PidfdInfo>(0xFF, 11);

/// What the kernel says about how a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitInfo {
    /// The wait(2) status word of a process its parent has reaped.
    Status(i32),
    /// Not reaped yet: still running, or a zombie its parent has not
    /// collected. The kernel records the status at reap time.
    NotYet,
    /// This kernel cannot tell (before 6.15, `ENOTTY`/`EINVAL`/`ESRCH`), or the
    /// process is outside ptool's PID namespace.
    Unavailable,
}

impl PidFd {
    /// Ask the kernel how the process ended (`PIDFD_GET_INFO` with
    /// `PIDFD_INFO_EXIT`). Works for any process, not only children, once its
    /// parent has reaped it.
    pub fn exit_info(&self) -> ExitInfo {
        let mut info = PidfdInfo {
            mask: PIDFD_INFO_EXIT,
            ..PidfdInfo::default()
        };
        // SAFETY: the fd is a valid open pidfd owned by `self`; `info` is a
        // live, writable `struct pidfd_info` of exactly the size encoded in
        // the request number, so the kernel writes only within it.
        let ret = unsafe {
            libc::ioctl(
                self.fd.as_raw_fd(),
                PIDFD_GET_INFO as _,
                std::ptr::from_mut(&mut info),
            )
        };
        if ret != 0 {
            // ENOTTY/EINVAL: no PIDFD_GET_INFO (before 6.13); ESRCH: reaped
            // but the kernel kept no exit status (6.13, 6.14), or another
            // PID namespace.
            return ExitInfo::Unavailable;
        }
        if info.mask & PIDFD_INFO_EXIT != 0 {
            ExitInfo::Status(info.exit_code)
        } else {
            ExitInfo::NotYet
        }
    }
}

/// True when the kernel can report a reaped process's exit status through
/// its pidfd: `PIDFD_GET_INFO` answers (6.13+) and the kernel is 6.15 or
/// later, where that answer can include `PIDFD_INFO_EXIT`. (On 6.13 and 6.14
/// the ioctl exists but a reaped process only gets `ESRCH`; asking the
/// release saves waiting for a reap that would tell nothing.) `probe` is any
/// open pidfd.
pub fn exit_info_supported(probe: &PidFd) -> bool {
    kernel_at_least(6, 15) && probe.exit_info() != ExitInfo::Unavailable
}

/// True when the running kernel's release is at least `major.minor`.
fn kernel_at_least(major: u32, minor: u32) -> bool {
    let uname = rustix::system::uname();
    let release = uname.release().to_string_lossy();
    parse_release(&release).is_some_and(|have| have >= (major, minor))
}

/// `6.18.44-generic` -> (6, 18).
fn parse_release(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// Whether pidfds can be used: they are missing before Linux 5.3 (ENOSYS)
/// and refused by some container seccomp profiles (EPERM).
pub fn supported() -> bool {
    match PidFd::open(crate::sys::own_pid()) {
        Ok(_) => true,
        Err(e) => !unavailable(&e),
    }
}

/// Whether an error from `pidfd_open` means there are no pidfds here,
/// rather than something about the process: ENOSYS before Linux 5.3, EPERM
/// from a seccomp filter (`pidfd_open` itself never checks permissions).
pub fn unavailable(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_alive() -> io::Result<()> {
        let me = PidFd::open(crate::sys::own_pid())?;
        me.send(0)?;
        assert!(!me.has_exited()?);
        Ok(())
    }

    #[test]
    fn release_numbers() {
        assert_eq!(parse_release("6.18.44-fc-v595"), Some((6, 18)));
        assert_eq!(parse_release("5.4.0"), Some((5, 4)));
        assert_eq!(parse_release("6"), None);
        assert_eq!(parse_release("x"), None);
    }

    #[test]
    fn a_reaped_child_is_gone() -> io::Result<()> {
        let mut child = std::process::Command::new("true").spawn()?;
        let fd = PidFd::open(child.id() as i32)?;
        child.wait()?;
        assert!(fd.has_exited()?);
        let err = fd.send(0).expect_err("reaped");
        assert_eq!(err.raw_os_error(), Some(libc::ESRCH));
        Ok(())
    }
}
