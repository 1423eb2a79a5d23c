//! What a process (or thread) is doing now: the kernel function it sleeps
//! in (`/proc/PID/wchan`) and the system call in progress
//! (`/proc/PID/syscall`, proc_pid_syscall(5)), decoded far enough to
//! answer "why is it stuck?" without strace: `read(0 → /dev/pts/3)`,
//! `wait4(-1)`, `futex`, `clock_nanosleep`.
//!
//! Both files need the right to ptrace the process (its owner, or root);
//! `syscall` also needs a kernel built with `CONFIG_HAVE_ARCH_TRACEHOOK`.

/// The contents of `/proc/PID/syscall`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syscall {
    /// On a CPU, in user space: no system call to show.
    Running,
    /// Blocked, but not in a system call (a page fault, a stop).
    Blocked,
    /// In system call `nr` with these arguments.
    In { nr: libc::c_long, args: [u64; 6] },
}

/// Parse `/proc/PID/syscall`: `running`, `-1 SP PC`, or `NR A1..A6 SP PC`
/// with the numbers in hex (the number in decimal).
pub fn parse_syscall(text: &[u8]) -> Option<Syscall> {
    let text = std::str::from_utf8(text).ok()?.trim();
    if text == "running" {
        return Some(Syscall::Running);
    }
    let mut words = text.split_ascii_whitespace();
    let nr: libc::c_long = words.next()?.parse().ok()?;
    if nr < 0 {
        return Some(Syscall::Blocked);
    }
    let mut args = [0u64; 6];
    for arg in &mut args {
        let word = words.next()?;
        *arg = u64::from_str_radix(word.strip_prefix("0x").unwrap_or(word), 16).ok()?;
    }
    Some(Syscall::In { nr, args })
}

/// `/proc/PID/wchan`: the kernel function the task sleeps in, or `None`
/// when it runs (the kernel shows `0`) or the symbol is hidden.
pub fn parse_wchan(text: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(text).trim().to_string();
    (!text.is_empty() && text != "0").then_some(text)
}

/// How to show an argument of a system call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arg {
    /// A file descriptor: shown with what it is open on.
    Fd,
    /// A signed number (a PID, -1 for "any child").
    Int,
}

/// The system calls ptool names, with the arguments worth showing. The
/// numbers come from libc for the architecture ptool is built for.
fn known(nr: libc::c_long) -> Option<(&'static str, &'static [Arg])> {
    use Arg::{Fd, Int};
    let table: &[(libc::c_long, &str, &[Arg])] = &[
        (libc::SYS_read, "read", &[Fd]),
        (libc::SYS_write, "write", &[Fd]),
        (libc::SYS_readv, "readv", &[Fd]),
        (libc::SYS_writev, "writev", &[Fd]),
        (libc::SYS_pread64, "pread64", &[Fd]),
        (libc::SYS_pwrite64, "pwrite64", &[Fd]),
        (libc::SYS_close, "close", &[Fd]),
        (libc::SYS_fsync, "fsync", &[Fd]),
        (libc::SYS_fdatasync, "fdatasync", &[Fd]),
        (libc::SYS_flock, "flock", &[Fd]),
        (libc::SYS_fcntl, "fcntl", &[Fd]),
        (libc::SYS_ioctl, "ioctl", &[Fd]),
        (libc::SYS_lseek, "lseek", &[Fd]),
        (libc::SYS_getdents64, "getdents64", &[Fd]),
        (libc::SYS_accept, "accept", &[Fd]),
        (libc::SYS_accept4, "accept4", &[Fd]),
        (libc::SYS_connect, "connect", &[Fd]),
        (libc::SYS_recvfrom, "recvfrom", &[Fd]),
        (libc::SYS_sendto, "sendto", &[Fd]),
        (libc::SYS_recvmsg, "recvmsg", &[Fd]),
        (libc::SYS_sendmsg, "sendmsg", &[Fd]),
        (libc::SYS_recvmmsg, "recvmmsg", &[Fd]),
        (libc::SYS_sendmmsg, "sendmmsg", &[Fd]),
        (libc::SYS_splice, "splice", &[Fd, Int, Fd]),
        (libc::SYS_sendfile, "sendfile", &[Fd, Fd]),
        (libc::SYS_epoll_pwait, "epoll_pwait", &[Fd]),
        (libc::SYS_epoll_ctl, "epoll_ctl", &[Fd]),
        (libc::SYS_wait4, "wait4", &[Int]),
        (libc::SYS_waitid, "waitid", &[Int, Int]),
        (libc::SYS_kill, "kill", &[Int, Int]),
        (libc::SYS_futex, "futex", &[]),
        (libc::SYS_nanosleep, "nanosleep", &[]),
        (libc::SYS_clock_nanosleep, "clock_nanosleep", &[]),
        (libc::SYS_ppoll, "ppoll", &[]),
        (libc::SYS_pselect6, "pselect6", &[]),
        (libc::SYS_rt_sigtimedwait, "rt_sigtimedwait", &[]),
        (libc::SYS_rt_sigsuspend, "rt_sigsuspend", &[]),
        (libc::SYS_openat, "openat", &[]),
        (libc::SYS_execve, "execve", &[]),
        (libc::SYS_exit_group, "exit_group", &[]),
        (libc::SYS_msgrcv, "msgrcv", &[Int]),
        (libc::SYS_semtimedop, "semtimedop", &[Int]),
        (libc::SYS_io_uring_enter, "io_uring_enter", &[Fd]),
        #[cfg(target_arch = "x86_64")]
        (libc::SYS_poll, "poll", &[]),
        #[cfg(target_arch = "x86_64")]
        (libc::SYS_select, "select", &[]),
        #[cfg(target_arch = "x86_64")]
        (libc::SYS_pause, "pause", &[]),
        #[cfg(target_arch = "x86_64")]
        (libc::SYS_epoll_wait, "epoll_wait", &[Fd]),
        #[cfg(target_arch = "x86_64")]
        (libc::SYS_open, "open", &[]),
    ];
    table
        .iter()
        .find(|(n, _, _)| *n == nr)
        .map(|(_, name, args)| (*name, *args))
}

impl Syscall {
    /// The name of the call, `syscall 435` for one ptool does not know.
    pub fn name(&self) -> Option<String> {
        match *self {
            Syscall::In { nr, .. } => Some(
                known(nr)
                    .map(|(name, _)| name.to_string())
                    .unwrap_or_else(|| format!("syscall {nr}")),
            ),
            _ => None,
        }
    }

    /// The call with its telling arguments: `read(0 → /dev/pts/3)`,
    /// `wait4(-1)`, `futex`. `fd_path` names what a descriptor is open on
    /// (already escaped for display).
    pub fn describe(&self, fd_path: impl Fn(i32) -> Option<String>) -> String {
        match *self {
            Syscall::Running => "running (in user space)".to_string(),
            Syscall::Blocked => "not in a system call".to_string(),
            Syscall::In { nr, args } => {
                let Some((name, shown)) = known(nr) else {
                    return format!("syscall {nr}");
                };
                if shown.is_empty() {
                    return name.to_string();
                }
                let parts: Vec<String> = shown
                    .iter()
                    .zip(args)
                    .map(|(kind, raw)| {
                        // Arguments are registers: an int argument is the
                        // low 32 bits, sign and all.
                        let int = raw as u32 as i32;
                        match kind {
                            Arg::Int => int.to_string(),
                            Arg::Fd => match fd_path(int) {
                                Some(path) if int >= 0 => format!("{int} → {path}"),
                                _ => int.to_string(),
                            },
                        }
                    })
                    .collect();
                format!("{name}({})", parts.join(", "))
            }
        }
    }

    /// The descriptors among the arguments, for a caller that resolves them.
    pub fn fds(&self) -> Vec<i32> {
        match *self {
            Syscall::In { nr, args } => known(nr)
                .map(|(_, shown)| {
                    shown
                        .iter()
                        .zip(args)
                        .filter(|(k, _)| **k == Arg::Fd)
                        .map(|(_, raw)| raw as u32 as i32)
                        .filter(|fd| *fd >= 0)
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(parse_syscall(b"running\n"), Some(Syscall::Running));
        assert_eq!(
            parse_syscall(b"-1 0x7ffd5 0x7fea9\n"),
            Some(Syscall::Blocked)
        );
        let line = format!(
            "{} 0x0 0x7fea9a178000 0x20000 0x0 0x0 0x0 0x7ffd50410808 0x7fea9a2f42ad\n",
            libc::SYS_read
        );
        let Some(Syscall::In { nr, args }) = parse_syscall(line.as_bytes()) else {
            panic!("in a call");
        };
        assert_eq!(nr, libc::SYS_read);
        assert_eq!(args[1], 0x7fea_9a17_8000);
        assert_eq!(parse_syscall(b""), None);
        assert_eq!(parse_syscall(b"0 0x1"), None);
        assert_eq!(parse_syscall(b"x"), None);
    }

    #[test]
    fn decodes_descriptors_and_pids() {
        let read = Syscall::In {
            nr: libc::SYS_read,
            args: [0, 0, 0, 0, 0, 0],
        };
        let path = |fd: i32| (fd == 0).then(|| "/dev/pts/3".to_string());
        assert_eq!(read.describe(path), "read(0 → /dev/pts/3)");
        assert_eq!(read.describe(|_| None), "read(0)");
        assert_eq!(read.fds(), [0]);
        let wait = Syscall::In {
            nr: libc::SYS_wait4,
            args: [u64::MAX, 0, 0, 0, 0, 0],
        };
        assert_eq!(wait.describe(path), "wait4(-1)");
        assert!(wait.fds().is_empty());
        let futex = Syscall::In {
            nr: libc::SYS_futex,
            args: [1, 2, 3, 4, 5, 6],
        };
        assert_eq!(futex.describe(path), "futex");
        assert_eq!(futex.name().as_deref(), Some("futex"));
        let unknown = Syscall::In {
            nr: 9999,
            args: [0; 6],
        };
        assert_eq!(unknown.describe(path), "syscall 9999");
        assert_eq!(Syscall::Running.name(), None);
    }

    #[test]
    fn wchan_is_a_symbol_or_nothing() {
        assert_eq!(parse_wchan(b"do_wait"), Some("do_wait".to_string()));
        assert_eq!(parse_wchan(b"0"), None);
        assert_eq!(parse_wchan(b""), None);
    }

    #[test]
    fn reads_its_own() -> std::io::Result<()> {
        let raw = std::fs::read("/proc/thread-self/syscall")?;
        // Reading its own file, this thread is in read(2) or running.
        match parse_syscall(&raw) {
            Some(Syscall::In { nr, .. }) => assert_eq!(nr, libc::SYS_read),
            Some(Syscall::Running) => {}
            other => panic!("{other:?} from {raw:?}"),
        }
        Ok(())
    }
}
