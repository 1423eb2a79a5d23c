//! What `ptool set` changes in a running process, and `info` reads back:
//! niceness (`getpriority`/`setpriority`), I/O priority (`ioprio_get`/
//! `ioprio_set`), CPU affinity (`sched_getaffinity`/`sched_setaffinity`),
//! scheduling policy (`sched_getscheduler`/`sched_setscheduler`) and
//! resource limits (`prlimit`).
//!
//! On Linux every one of these but `prlimit` acts on one *thread*: the ID
//! passed is a TID, and the process's main thread has TID = PID. That is why
//! `renice -p PID` leaves a multi-threaded process's other threads alone,
//! and why `ptool set` calls these once per thread. rustix wraps
//! priorities, affinity and `prlimit`; neither rustix nor nix wraps the
//! scheduler calls (libc does) or the I/O priority calls (raw syscalls).

use std::io;

use rustix::process::{Pid, Resource, Rlimit};
use rustix::thread::CpuSet;

fn pid(id: i32) -> io::Result<Pid> {
    Pid::from_raw(id).ok_or_else(|| io::Error::from_raw_os_error(libc::ESRCH))
}

/// The niceness (-20..19) of thread `tid`.
pub fn nice(tid: i32) -> io::Result<i32> {
    Ok(rustix::process::getpriority_process(Some(pid(tid)?))?)
}

/// Set the niceness of thread `tid`. `EACCES`: lowering it needs
/// `CAP_SYS_NICE` (or room under the target's `RLIMIT_NICE`); `EPERM`: the
/// thread is another user's.
pub fn set_nice(tid: i32, nice: i32) -> io::Result<()> {
    Ok(rustix::process::setpriority_process(Some(pid(tid)?), nice)?)
}

/// The most CPUs an affinity mask here can name (`CPU_SETSIZE`).
pub const MAX_CPUS: usize = CpuSet::MAX_CPU;

/// The CPUs thread `tid` may run on, ascending.
pub fn affinity(tid: i32) -> io::Result<Vec<u32>> {
    let set = rustix::thread::sched_getaffinity(Some(pid(tid)?))?;
    // Stop at the last CPU set rather than testing all `MAX_CPUS` bits:
    // `set` calls this once per thread, thousands of times.
    let count = set.count() as usize;
    let mut cpus = Vec::with_capacity(count);
    for cpu in 0..MAX_CPUS {
        if cpus.len() == count {
            break;
        }
        if set.is_set(cpu) {
            cpus.push(cpu as u32);
        }
    }
    Ok(cpus)
}

/// Let thread `tid` run only on `cpus` (each below [`MAX_CPUS`]). The
/// kernel keeps only the CPUs its cpuset allows, and fails with `EINVAL`
/// when none is left.
pub fn set_affinity(tid: i32, cpus: &[u32]) -> io::Result<()> {
    let mut set = CpuSet::new();
    for &cpu in cpus {
        let cpu = cpu as usize;
        if cpu >= MAX_CPUS {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        set.set(cpu);
    }
    Ok(rustix::thread::sched_setaffinity(Some(pid(tid)?), &set)?)
}

/// `IOPRIO_WHO_PROCESS` (include/uapi/linux/ioprio.h): the ID is a thread's.
const IOPRIO_WHO_PROCESS: libc::c_long = 1;
/// The class sits above 13 bits of data; the level is the low 3 bits (the
/// bits between are hints, Linux 6.5+).
const IOPRIO_CLASS_SHIFT: u32 = 13;

/// The I/O priority of thread `tid`: (class, level). Classes: 0 none (the
/// level follows the niceness), 1 realtime, 2 best-effort, 3 idle.
pub fn ioprio(tid: i32) -> io::Result<(u8, u8)> {
    // SAFETY: ioprio_get takes two integers and touches no memory.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_ioprio_get,
            IOPRIO_WHO_PROCESS,
            tid as libc::c_long,
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    let class = (ret >> IOPRIO_CLASS_SHIFT) as u8 & 0x7;
    let level = (ret & 0x7) as u8;
    Ok((class, level))
}

/// Set the I/O priority of thread `tid`. `EPERM`: the realtime class needs
/// `CAP_SYS_ADMIN` (or `CAP_SYS_NICE`), or the thread is another user's.
pub fn set_ioprio(tid: i32, class: u8, level: u8) -> io::Result<()> {
    let value = (libc::c_long::from(class) << IOPRIO_CLASS_SHIFT) | libc::c_long::from(level & 7);
    // SAFETY: ioprio_set takes three integers and touches no memory.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_ioprio_set,
            IOPRIO_WHO_PROCESS,
            tid as libc::c_long,
            value,
        )
    };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `SCHED_RESET_ON_FORK`, which `sched_getscheduler` ORs into the policy.
pub const SCHED_RESET_ON_FORK: i32 = 0x4000_0000;

/// The scheduling policy of thread `tid` (`SCHED_*`, with
/// [`SCHED_RESET_ON_FORK`] possibly set) and its real-time priority (0 for
/// the normal policies).
pub fn scheduler(tid: i32) -> io::Result<(i32, i32)> {
    // SAFETY: sched_getscheduler takes a thread ID and touches no memory.
    let policy = unsafe { libc::sched_getscheduler(tid) };
    if policy < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `param` is a valid, writable sched_param for the call.
    if unsafe { libc::sched_getparam(tid, &mut param) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((policy, param.sched_priority))
}

/// Set the policy and real-time priority of thread `tid`. `EPERM`: the
/// real-time policies need `CAP_SYS_NICE` (or room under `RLIMIT_RTPRIO`),
/// or the thread is another user's; `EINVAL`: a priority out of range.
pub fn set_scheduler(tid: i32, policy: i32, priority: i32) -> io::Result<()> {
    let param = libc::sched_param {
        sched_priority: priority,
    };
    // SAFETY: `param` is a valid sched_param that outlives the call.
    if unsafe { libc::sched_setscheduler(tid, policy, &param) } < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// A soft and a hard limit; `None` is unlimited (`RLIM_INFINITY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub soft: Option<u64>,
    pub hard: Option<u64>,
}

/// The resources by prlimit(1)'s names, with their `RLIMIT_*` numbers.
pub const RESOURCES: [(&str, Resource); 16] = [
    ("as", Resource::As),
    ("core", Resource::Core),
    ("cpu", Resource::Cpu),
    ("data", Resource::Data),
    ("fsize", Resource::Fsize),
    ("locks", Resource::Locks),
    ("memlock", Resource::Memlock),
    ("msgqueue", Resource::Msgqueue),
    ("nice", Resource::Nice),
    ("nofile", Resource::Nofile),
    ("nproc", Resource::Nproc),
    ("rss", Resource::Rss),
    ("rtprio", Resource::Rtprio),
    ("rttime", Resource::Rttime),
    ("sigpending", Resource::Sigpending),
    ("stack", Resource::Stack),
];

fn resource(name: &str) -> io::Result<Resource> {
    RESOURCES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, r)| *r)
        .ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))
}

/// The limits of process `pid` on the resource named `name` (prlimit(1)'s
/// names: `nofile`, `as`, ...). rustix's `prlimit` always sets, so reading
/// alone goes through libc's.
pub fn limits(pid: i32, name: &str) -> io::Result<Limits> {
    let resource = resource(name)? as libc::__rlimit_resource_t;
    let mut old = libc::rlimit64 {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a null new limit only reads; `old` is valid and writable.
    let ret = unsafe { libc::prlimit64(pid, resource, std::ptr::null(), &mut old) };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    let value = |v: u64| (v != libc::RLIM64_INFINITY).then_some(v);
    Ok(Limits {
        soft: value(old.rlim_cur),
        hard: value(old.rlim_max),
    })
}

/// Set the limits of process `pid` on resource `name`; returns the old
/// ones. `EPERM`: raising a hard limit needs `CAP_SYS_RESOURCE`, or the
/// process is another user's; `EINVAL`: soft above hard.
pub fn set_limits(pid: i32, name: &str, new: Limits) -> io::Result<Limits> {
    let old = rustix::process::prlimit(
        Some(self::pid(pid)?),
        resource(name)?,
        Rlimit {
            current: new.soft,
            maximum: new.hard,
        },
    )?;
    Ok(Limits {
        soft: old.current,
        hard: old.maximum,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> i32 {
        rustix::thread::gettid().as_raw_nonzero().get()
    }

    #[test]
    fn reads_its_own_settings() -> io::Result<()> {
        let tid = me();
        let nice = nice(tid)?;
        assert!((-20..=19).contains(&nice));
        let cpus = affinity(tid)?;
        assert!(!cpus.is_empty());
        set_affinity(tid, &cpus)?;
        assert_eq!(affinity(tid)?, cpus);
        let (class, level) = ioprio(tid)?;
        assert!(class <= 3 && level <= 7);
        let (policy, _) = scheduler(tid)?;
        assert!(policy & !SCHED_RESET_ON_FORK >= 0);
        let nofile = limits(std::process::id() as i32, "nofile")?;
        let own = rustix::process::getrlimit(Resource::Nofile);
        assert_eq!((nofile.soft, nofile.hard), (own.current, own.maximum));
        assert!(limits(1, "nosuch").is_err());
        Ok(())
    }

    #[test]
    fn every_resource_is_named_once() {
        for (i, (name, _)) in RESOURCES.iter().enumerate() {
            assert!(RESOURCES[i + 1..].iter().all(|(n, _)| n != name), "{name}");
        }
    }
}
