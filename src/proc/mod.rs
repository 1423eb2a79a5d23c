//! The process model: reads the system's processes from `/proc` into plain
//! structs.
//!
//! A reader is told what it [`Need`]s and reads only those files: `stat`
//! always (one small file gives the name, parents, state, times and virtual
//! memory), the owner by one `fstatat` of `/proc/PID`, and `cmdline`,
//! `status`, `statm` (exact RSS, see [`statm`]), `exe`, `cwd` only on
//! request. A process that vanishes between the directory
//! listing and the reads is skipped: that race is normal, not an error.

pub mod activity;
pub mod cgroup;
pub mod cpus;
pub mod environ;
pub mod fds;
pub mod io_stats;
pub mod limits;
pub mod locks;
pub mod memory;
pub mod net;
pub mod ns;
pub mod sched;
pub mod stat;
pub mod statm;
pub mod status;
pub mod system;
pub mod tty;

use std::io;

pub use stat::Stat;
pub use status::ProcStatus;
pub use system::System;

use crate::sys::procfs::ProcFs;
pub use crate::sys::procfs::{HeldFile, Owner, ProcDir};

/// Which sources to read beyond `stat`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Need {
    pub owner: bool,
    pub cmdline: bool,
    pub status: bool,
    pub statm: bool,
    /// The full name of a process whose `comm` was cut at 15 bytes
    /// ([`long_name`]): its `cmdline` (or `exe`), read only for those.
    pub name: bool,
    pub exe: bool,
    pub cwd: bool,
    /// `wchan`: the kernel function it sleeps in.
    pub wchan: bool,
}

impl Need {
    pub const STAT: Need = Need {
        owner: false,
        cmdline: false,
        status: false,
        statm: false,
        name: false,
        exe: false,
        cwd: false,
        wchan: false,
    };
    pub const OWNER: Need = Need {
        owner: true,
        ..Need::STAT
    };
    pub const CMDLINE: Need = Need {
        cmdline: true,
        ..Need::STAT
    };
    pub const STATUS: Need = Need {
        status: true,
        ..Need::STAT
    };
    pub const STATM: Need = Need {
        statm: true,
        ..Need::STAT
    };
    pub const NAME: Need = Need {
        name: true,
        ..Need::STAT
    };
    pub const EXE: Need = Need {
        exe: true,
        ..Need::STAT
    };
    pub const CWD: Need = Need {
        cwd: true,
        ..Need::STAT
    };
    pub const WCHAN: Need = Need {
        wchan: true,
        ..Need::STAT
    };
}

impl std::ops::BitOr for Need {
    type Output = Need;
    fn bitor(self, o: Need) -> Need {
        Need {
            owner: self.owner || o.owner,
            cmdline: self.cmdline || o.cmdline,
            status: self.status || o.status,
            statm: self.statm || o.statm,
            name: self.name || o.name,
            exe: self.exe || o.exe,
            cwd: self.cwd || o.cwd,
            wchan: self.wchan || o.wchan,
        }
    }
}

impl std::ops::BitOrAssign for Need {
    fn bitor_assign(&mut self, o: Need) {
        *self = *self | o;
    }
}

/// A value that may be unreadable: another user's `exe` or `cwd` is
/// "permission denied", which is worth saying rather than hiding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field<T> {
    Value(T),
    Denied,
    Unavailable,
}

impl<T> Field<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value turned by `f`; `Denied` and `Unavailable` stay as they are.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Field::Value(v) => Field::Value(f(v)),
            Field::Denied => Field::Denied,
            Field::Unavailable => Field::Unavailable,
        }
    }

    /// `Denied` for `EACCES`/`EPERM`, `Unavailable` for any other error.
    pub fn from_result(result: io::Result<T>) -> Field<T> {
        match result {
            Ok(v) => Field::Value(v),
            Err(e) if e.raw_os_error() == Some(libc::EACCES) => Field::Denied,
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => Field::Denied,
            Err(_) => Field::Unavailable,
        }
    }
}

/// One process (or, in a thread listing, one thread).
#[derive(Debug, Clone)]
#[cfg_attr(test, derive(Default))]
pub struct Process {
    pub pid: i32,
    /// The thread id, when this is a row of a thread listing.
    pub tid: Option<i32>,
    pub stat: Stat,
    pub owner: Option<Owner>,
    /// The raw command line: arguments separated (and usually ended) by NUL.
    /// Empty for kernel threads and zombies.
    pub cmdline: Option<Vec<u8>>,
    pub status: Option<Box<ProcStatus>>,
    pub statm: Option<statm::Statm>,
    /// The name beyond `comm`'s 15 bytes, when [`Need::name`] found one.
    pub long_name: Option<Vec<u8>>,
    pub exe: Option<Field<Link>>,
    pub cwd: Option<Field<Link>>,
    /// The kernel function it (or, for a thread row, the thread) sleeps in;
    /// `None` while it runs, when hidden, or when not read.
    pub wchan: Option<String>,
}

/// Where a `/proc/PID` link (`exe`, `cwd`) points. The kernel appends
/// ` (deleted)` to the path of a file or directory that was removed; the
/// suffix is taken off the path here, once, and kept as `deleted` (a file
/// really named `x (deleted)` keeps its name: see [`fds::is_deleted`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub path: Vec<u8>,
    pub deleted: bool,
}

impl Process {
    /// A process known by its `stat` alone; the other files are read later,
    /// as columns need them.
    fn bare(pid: i32, tid: Option<i32>, stat: Stat) -> Process {
        Process {
            pid,
            tid,
            stat,
            owner: None,
            cmdline: None,
            status: None,
            statm: None,
            long_name: None,
            exe: None,
            cwd: None,
            wchan: None,
        }
    }

    /// The name: `comm`, or the longer name it was cut from when that was
    /// read ([`long_name`]).
    pub fn name(&self) -> &[u8] {
        self.long_name.as_deref().unwrap_or(&self.stat.name)
    }

    pub fn ppid(&self) -> i32 {
        self.stat.ppid
    }

    pub fn is_kernel_thread(&self) -> bool {
        self.stat.is_kernel_thread()
    }

    /// Shown as a zombie (state Z), as `ps` shows it; see
    /// [`Stat::has_ended`] for whether it has really ended.
    pub fn is_zombie(&self) -> bool {
        self.stat.state == b'Z'
    }

    /// Resident memory in pages: exact from `statm` when it was read, else
    /// `stat`'s approximation (see [`statm`]).
    pub fn rss_pages(&self) -> u64 {
        self.statm.map_or(self.stat.rss_pages, |m| m.resident)
    }

    pub fn uid(&self) -> Option<u32> {
        self.owner.map(|o| o.uid)
    }

    /// The command-line arguments, if `cmdline` was read.
    pub fn args(&self) -> Option<Vec<&[u8]>> {
        Some(split_args(self.cmdline.as_deref()?))
    }

    /// The command line joined with spaces (as `ps` and `pgrep -f` see it), or
    /// `None` when it is empty (kernel threads, zombies) or was not read.
    pub fn command_line(&self) -> Option<Vec<u8>> {
        joined_args(self.cmdline.as_deref()?)
    }

    /// The order processes started in: start time, then PID for a tie
    /// (the later one unless PIDs wrapped).
    pub fn start_key(&self) -> (u64, i32) {
        (self.stat.start_ticks, self.pid)
    }

    /// The text `pgrep -f` matches: the command line, or the name when the
    /// command line is empty.
    pub fn full_text(&self) -> Vec<u8> {
        self.command_line()
            .unwrap_or_else(|| self.stat.name.clone())
    }
}

/// The arguments in a raw `cmdline`: separated, and usually ended, by NUL.
pub fn split_args(raw: &[u8]) -> Vec<&[u8]> {
    let raw = raw.strip_suffix(b"\0").unwrap_or(raw);
    if raw.is_empty() {
        return Vec::new();
    }
    raw.split(|&b| b == 0).collect()
}

/// The longest name `comm` holds: the kernel keeps 15 bytes of it (TASK_COMM_LEN
/// is 16, with the NUL).
pub const COMM_MAX: usize = 15;

/// The first argument (argv[0]) of a raw `cmdline`, or empty.
fn first_arg(raw: &[u8]) -> &[u8] {
    raw.split(|&b| b == 0).next().unwrap_or_default()
}

/// The name `comm` was cut from, as killall and psutil find it: when `comm`
/// has its full 15 bytes and the base name of argv[0], or else of the
/// executable's path, is longer and starts with them, that base name is the
/// name. `None` when neither qualifies (a name of exactly 15 bytes, a
/// process that renamed itself). `exe` is read only if argv[0] does not do.
pub fn long_name(
    comm: &[u8],
    argv0: &[u8],
    exe: impl FnOnce() -> Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    fn extends(comm: &[u8], path: &[u8]) -> Option<Vec<u8>> {
        let base = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
        (base.len() > comm.len() && base.starts_with(comm)).then(|| base.to_vec())
    }
    if comm.len() != COMM_MAX {
        return None;
    }
    extends(comm, argv0).or_else(|| {
        let exe = exe()?;
        extends(comm, exe.strip_suffix(fds::DELETED).unwrap_or(&exe))
    })
}

/// A raw `cmdline` joined with spaces, or `None` when it has no arguments.
pub fn joined_args(raw: &[u8]) -> Option<Vec<u8>> {
    let args = split_args(raw);
    (!args.is_empty()).then(|| args.join(&b' '))
}

/// Reads processes from `/proc`, reusing one buffer for every file.
#[derive(Debug)]
pub struct Reader {
    fs: ProcFs,
    buf: Vec<u8>,
}

impl Reader {
    pub fn new() -> io::Result<Reader> {
        Ok(Reader {
            fs: ProcFs::open()?,
            buf: Vec::with_capacity(8192),
        })
    }

    /// Every PID currently in `/proc`, ascending.
    pub fn pids(&self) -> io::Result<Vec<i32>> {
        self.fs.numeric_entries(".")
    }

    /// Every process, with what `need` asks for. Vanished ones are skipped.
    pub fn all(&mut self, need: Need) -> io::Result<Vec<Process>> {
        self.all_where(need, need, |_| true)
    }

    /// The processes that `keep` accepts, deciding as each is read so that
    /// the rest are never held in memory. `keep` sees what `decide` asks
    /// for; the rest of `need` is read only for the processes it keeps, so
    /// `ls -n sshd` reads one command line, not one per process.
    pub fn all_where(
        &mut self,
        decide: Need,
        need: Need,
        mut keep: impl FnMut(&Process) -> bool,
    ) -> io::Result<Vec<Process>> {
        let pids = self.pids()?;
        let mut out = Vec::new();
        for pid in pids {
            if let Some(p) = self.read_where(pid, decide, need, &mut keep) {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// One process, when `keep` accepts it: read with `decide` first, and
    /// the rest of `need` only once kept (see [`Reader::all_where`]).
    pub fn read_where(
        &mut self,
        pid: i32,
        decide: Need,
        need: Need,
        keep: impl FnOnce(&Process) -> bool,
    ) -> Option<Process> {
        let dir = pid.to_string();
        let mut p = self.read_at(&dir, pid, None, decide)?;
        (keep(&p) && self.fill_at(&dir, &mut p, need)).then_some(p)
    }

    /// One process, or `None` when it does not exist (or vanished mid-read).
    pub fn read(&mut self, pid: i32, need: Need) -> Option<Process> {
        if pid <= 0 {
            return None;
        }
        self.read_at(&pid.to_string(), pid, None, need)
    }

    /// The threads of `pid`, each as its own row with `tid` set.
    pub fn threads(&mut self, pid: i32, need: Need) -> Vec<Process> {
        let Ok(tids) = self.fs.numeric_entries(&format!("{pid}/task")) else {
            return Vec::new();
        };
        tids.into_iter()
            .filter_map(|tid| self.read_at(&format!("{pid}/task/{tid}"), pid, Some(tid), need))
            .collect()
    }

    /// Read what `need` asks for and `p`, a process or thread from a
    /// listing, does not have yet. False when it vanished meanwhile.
    pub fn fill(&mut self, p: &mut Process, need: Need) -> bool {
        let dir = match p.tid {
            Some(tid) => format!("{}/task/{tid}", p.pid),
            None => p.pid.to_string(),
        };
        self.fill_at(&dir, p, need)
    }

    /// Open `/proc/PID/<file>` (`stat`, `statm`) to read it on every
    /// refresh ([`Reader::read_held`], [`Reader::statm_held`]).
    pub fn hold(&self, pid: i32, file: &str) -> io::Result<HeldFile> {
        self.fs.hold(pid, file)
    }

    /// The owner of `/proc/PID` (see [`Owner`]).
    pub fn owner(&self, pid: i32) -> io::Result<Owner> {
        self.fs.owner(pid)
    }

    /// The process behind a held `stat` (only `stat` read), or `None` once
    /// it is gone.
    pub fn read_held(&mut self, pid: i32, stat: &HeldFile) -> Option<Process> {
        stat.read_into(&mut self.buf).ok()?;
        Some(Process::bare(pid, None, stat::parse(&self.buf)?))
    }

    /// A held `statm`, parsed (`None` when malformed); an error once its
    /// process is gone.
    pub fn statm_held(&mut self, statm: &HeldFile) -> io::Result<Option<statm::Statm>> {
        statm.read_into(&mut self.buf)?;
        Ok(statm::parse(&self.buf))
    }

    /// Only the `stat` of `pid` (the cheapest read), or `None` when gone.
    pub fn stat(&mut self, pid: i32) -> Option<Stat> {
        if pid <= 0 {
            return None;
        }
        self.fs
            .read_into(&format!("{pid}/stat"), &mut self.buf, true)
            .ok()?;
        stat::parse(&self.buf)
    }

    /// The raw bytes of `/proc/PID/<file>`.
    pub fn file(&mut self, pid: i32, file: &str) -> io::Result<Vec<u8>> {
        self.fs
            .read_into(&format!("{pid}/{file}"), &mut self.buf, false)?;
        Ok(self.buf.clone())
    }

    /// `stat(2)` of what the link `/proc/PID/<link>` points to.
    pub fn link_stat(&self, pid: i32, link: &str) -> io::Result<crate::sys::procfs::FileInfo> {
        self.fs.stat(&format!("{pid}/{link}"))
    }

    /// `/proc/PID/<file>` parsed by `parse`, or why it could not be read.
    pub fn parsed<T>(&mut self, pid: i32, file: &str, parse: impl FnOnce(&[u8]) -> T) -> Field<T> {
        Field::from_result(self.file(pid, file)).map(|raw| parse(&raw))
    }

    /// The target of the symlink `/proc/PID/<link>`.
    pub fn link(&self, pid: i32, link: &str) -> io::Result<Vec<u8>> {
        self.fs.readlink(&format!("{pid}/{link}"))
    }

    /// Open `/proc/PID` as a handle on the process itself: reads through it
    /// ([`Reader::read_pinned`]) never reach a process that took the PID
    /// later.
    pub fn pin(&self, pid: i32) -> io::Result<ProcDir> {
        if pid <= 0 {
            return Err(io::Error::from_raw_os_error(libc::ESRCH));
        }
        self.fs.open_dir(pid)
    }

    /// Read the process behind a pinned directory (`stat`, and the owner,
    /// `cmdline` and `status` when `need` says so; not `exe` or `cwd`).
    /// Unlike a listing, this reports every error: `ENOENT`/`ESRCH` once the
    /// process has been reaped ([`crate::sys::is_gone`]), and anything else
    /// (`EMFILE`, ...) as it is, since a caller acting on the process must
    /// not mistake "could not read" for "gone" or for "does not match".
    ///
    /// `stat` is the main thread's ([`Reader::main_thread_stat_pinned`]):
    /// the process's ids, state, name, start time and thread count, read
    /// at a cost that does not grow with its threads; its CPU times and
    /// page faults are the main thread's alone, which nothing that acts on
    /// a pinned process looks at.
    pub fn read_pinned(&mut self, dir: &ProcDir, need: Need) -> io::Result<Process> {
        let stat = self.main_thread_stat_pinned(dir)?;
        let owner = if need.owner { Some(dir.owner()?) } else { None };
        let cmdline = if need.cmdline {
            dir.read_into("cmdline", &mut self.buf, false)?;
            Some(self.buf.clone())
        } else {
            None
        };
        let status = if need.status {
            dir.read_into("status", &mut self.buf, false)?;
            Some(Box::new(status::parse(&self.buf)))
        } else {
            None
        };
        let long_name = if need.name && stat.name.len() == COMM_MAX {
            let argv0 = match &cmdline {
                Some(raw) => first_arg(raw).to_vec(),
                None => {
                    dir.read_into("cmdline", &mut self.buf, false)?;
                    first_arg(&self.buf).to_vec()
                }
            };
            long_name(&stat.name, &argv0, || dir.readlink("exe").ok())
        } else {
            None
        };
        Ok(Process {
            pid: dir.pid(),
            tid: None,
            stat,
            owner,
            cmdline,
            status,
            statm: None,
            long_name,
            exe: None,
            cwd: None,
            wchan: None,
        })
    }

    /// Pin `pid` ([`Reader::pin`]) and read it through the pin
    /// ([`Reader::read_pinned`]): what is read is the process the pin holds.
    pub fn pin_and_read(&mut self, pid: i32, need: Need) -> io::Result<(Process, ProcDir)> {
        let dir = self.pin(pid)?;
        Ok((self.read_pinned(&dir, need)?, dir))
    }

    /// Only the `stat` behind a pinned directory (errors as for
    /// [`Reader::read_pinned`]).
    pub fn stat_pinned(&mut self, dir: &ProcDir) -> io::Result<Stat> {
        self.stat_at(dir, "stat")
    }

    /// The `stat` of the pinned process's main thread (`task/PID/stat`),
    /// errors as for [`Reader::stat_pinned`]. Its start time (field 22)
    /// and thread count (field 20) are the process's: both files show the
    /// main thread's start time, and both count the process's threads
    /// (`signal->nr_threads`). But this one costs the same for one thread
    /// or thousands, where the process's own `stat` walks every thread to
    /// sum their CPU times and page faults.
    pub fn main_thread_stat_pinned(&mut self, dir: &ProcDir) -> io::Result<Stat> {
        self.stat_at(dir, &format!("task/{}/stat", dir.pid()))
    }

    /// The `stat`-format file `path` below a pinned directory, parsed.
    fn stat_at(&mut self, dir: &ProcDir, path: &str) -> io::Result<Stat> {
        dir.read_into(path, &mut self.buf, true)?;
        stat::parse(&self.buf)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "malformed stat"))
    }

    /// How `pid`, the process that started at `start_ticks`, ended, read
    /// from its zombie before its parent collects it: `stat` field 52. The
    /// kernel fills that field in only for a reader with ptrace-read access
    /// to the process (its owner, root) and shows 0 to others, so a 0 is
    /// believed only once the `exe` link, which asks for the same access,
    /// says so: EACCES without it, ENOENT with it (a zombie has no program).
    /// Not a file like `io`: a zombie's are all root's, owner or not.
    pub fn zombie_status(&mut self, pid: i32, start_ticks: u64) -> ZombieStatus {
        let Ok(dir) = self.pin(pid) else {
            return ZombieStatus::NoZombie;
        };
        let ours = |reader: &mut Reader| {
            reader
                .stat_pinned(&dir)
                .ok()
                .filter(|s| s.start_ticks == start_ticks && s.has_ended())
        };
        let Some(stat) = ours(self) else {
            return ZombieStatus::NoZombie;
        };
        if stat.exit_code != 0 {
            return ZombieStatus::Status(stat.exit_code);
        }
        match dir.readlink("exe") {
            Err(e) if e.raw_os_error() == Some(libc::EACCES) => ZombieStatus::Hidden,
            // ENOENT also once it is collected: only a zombie still there,
            // read again through the pin, vouches for the 0.
            _ if ours(self).is_some() => ZombieStatus::Status(0),
            _ => ZombieStatus::NoZombie,
        }
    }

    fn read_at(&mut self, dir: &str, pid: i32, tid: Option<i32>, need: Need) -> Option<Process> {
        self.fs
            .read_into(&format!("{dir}/stat"), &mut self.buf, true)
            .ok()?;
        let mut p = Process::bare(pid, tid, stat::parse(&self.buf)?);
        self.fill_at(dir, &mut p, need).then_some(p)
    }

    /// The link at `path` below `/proc`, ` (deleted)` taken off ([`Link`]).
    fn link_at(&self, path: &str) -> Field<Link> {
        Field::from_result(self.fs.readlink(path)).map(|mut target| {
            let deleted =
                target.ends_with(fds::DELETED) && fds::is_deleted(&target, self.fs.stat(path).ok());
            if deleted {
                target.truncate(target.len() - fds::DELETED.len());
            }
            Link {
                path: target,
                deleted,
            }
        })
    }

    /// Read what `need` asks for and `p` does not have yet. False when the
    /// process vanished meanwhile.
    fn fill_at(&mut self, dir: &str, p: &mut Process, need: Need) -> bool {
        let at = |file: &str| -> String { format!("{dir}/{file}") };
        if need.owner && p.owner.is_none() {
            // The directory's owner; for a thread the process's is the same.
            match self.fs.owner(p.pid) {
                Ok(owner) => p.owner = Some(owner),
                Err(_) => return false,
            }
        }
        if need.cmdline && p.cmdline.is_none() {
            p.cmdline = match self.fs.read_into(&at("cmdline"), &mut self.buf, false) {
                Ok(()) => Some(self.buf.clone()),
                Err(e) if crate::sys::is_gone(&e) => return false,
                Err(_) => Some(Vec::new()),
            };
        }
        if need.status && p.status.is_none() {
            p.status = match self.fs.read_into(&at("status"), &mut self.buf, false) {
                Ok(()) => Some(Box::new(status::parse(&self.buf))),
                Err(e) if crate::sys::is_gone(&e) => return false,
                Err(_) => None,
            };
        }
        if need.statm && p.statm.is_none() {
            p.statm = match self.fs.read_into(&at("statm"), &mut self.buf, true) {
                Ok(()) => statm::parse(&self.buf),
                Err(e) if crate::sys::is_gone(&e) => return false,
                Err(_) => None,
            };
        }
        if need.name && p.long_name.is_none() && p.stat.name.len() == COMM_MAX {
            let argv0 = match &p.cmdline {
                Some(raw) => first_arg(raw).to_vec(),
                None => match self.fs.read_into(&at("cmdline"), &mut self.buf, false) {
                    Ok(()) => first_arg(&self.buf).to_vec(),
                    Err(e) if crate::sys::is_gone(&e) => return false,
                    Err(_) => Vec::new(),
                },
            };
            p.long_name = long_name(&p.stat.name, &argv0, || self.fs.readlink(&at("exe")).ok());
        }
        if need.exe && p.exe.is_none() {
            p.exe = Some(self.link_at(&at("exe")));
        }
        if need.cwd && p.cwd.is_none() {
            p.cwd = Some(self.link_at(&at("cwd")));
        }
        if need.wchan && p.wchan.is_none() {
            // The kernel shows 0 to a reader without ptrace access, as
            // for a running task: either way there is nothing to show.
            p.wchan = match self.fs.read_into(&at("wchan"), &mut self.buf, true) {
                Ok(()) => activity::parse_wchan(&self.buf),
                Err(e) if crate::sys::is_gone(&e) => return false,
                Err(_) => None,
            };
        }
        true
    }
}

/// What an ended process's zombie tells of how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ZombieStatus {
    /// The wait(2) status its parent will collect.
    Status(i32),
    /// A zombie whose status the kernel shows only to its owner and root.
    Hidden,
    /// Not this process's zombie: still running, or already collected.
    #[default]
    NoZombie,
}

/// The chain of parents of `pid`, nearest first, up to (and including) the
/// process whose parent is 0. Stops at a vanished link or a loop.
pub fn ancestors(reader: &mut Reader, pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let mut current = pid;
    while let Some(stat) = reader.stat(current) {
        if stat.ppid <= 0 || out.contains(&stat.ppid) || out.len() > 4096 {
            break;
        }
        out.push(stat.ppid);
        current = stat.ppid;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_itself() -> io::Result<()> {
        let mut reader = Reader::new()?;
        let me = std::process::id() as i32;
        let p = reader
            .read(
                me,
                Need::OWNER | Need::CMDLINE | Need::STATUS | Need::EXE | Need::CWD,
            )
            .expect("self is readable");
        assert_eq!(p.pid, me);
        assert!(p.args().is_some_and(|a| !a.is_empty()));
        assert_eq!(p.status.as_ref().map(|s| s.tgid), Some(me));
        assert!(matches!(p.exe, Some(Field::Value(_))));
        assert_eq!(p.uid(), Some(rustix::process::geteuid().as_raw()));
        Ok(())
    }

    /// Start `sh -c 'exit CODE'` and wait, bounded by the child's own
    /// exit, until it is a zombie, without collecting it (WNOWAIT).
    fn zombie(code: i32) -> io::Result<std::process::Child> {
        use nix::sys::wait::{Id, WaitPidFlag, waitid};
        let child = std::process::Command::new("sh")
            .args(["-c", &format!("exit {code}")])
            .spawn()?;
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT)?;
        Ok(child)
    }

    #[test]
    fn a_zombie_tells_how_it_ended_until_collected() -> io::Result<()> {
        let mut reader = Reader::new()?;
        for code in [7, 0] {
            let mut child = zombie(code)?;
            let pid = child.id() as i32;
            let start = reader
                .stat(pid)
                .map(|s| s.start_ticks)
                .expect("zombie readable");
            // Root, or the same user as the zombie: the status is shown.
            assert_eq!(
                reader.zombie_status(pid, start),
                ZombieStatus::Status(code << 8)
            );
            assert_eq!(
                reader.zombie_status(pid, start + 1),
                ZombieStatus::NoZombie,
                "another process's start time"
            );
            child.wait()?;
            assert_eq!(reader.zombie_status(pid, start), ZombieStatus::NoZombie);
        }
        let me = std::process::id() as i32;
        let start = reader.stat(me).map(|s| s.start_ticks).expect("self");
        assert_eq!(reader.zombie_status(me, start), ZombieStatus::NoZombie);
        Ok(())
    }

    #[test]
    fn stat_only_reads_nothing_else() -> io::Result<()> {
        let mut reader = Reader::new()?;
        let all = reader.all(Need::STAT)?;
        assert!(all.len() > 1);
        assert!(all.iter().all(|p| p.cmdline.is_none() && p.owner.is_none()));
        assert!(all.iter().any(|p| p.pid == std::process::id() as i32));
        Ok(())
    }

    #[test]
    fn missing_pids_are_none() -> io::Result<()> {
        let mut reader = Reader::new()?;
        assert!(reader.read(0, Need::STAT).is_none());
        assert!(reader.read(-1, Need::STAT).is_none());
        assert!(reader.read(i32::MAX, Need::STAT).is_none());
        Ok(())
    }

    #[test]
    fn threads_are_listed() -> io::Result<()> {
        let mut reader = Reader::new()?;
        let me = std::process::id() as i32;
        let threads = reader.threads(me, Need::STAT);
        assert!(threads.iter().any(|t| t.tid == Some(me)));
        Ok(())
    }

    #[test]
    fn long_names_extend_a_full_comm() {
        let no_exe = || None;
        let comm = b"averyveryveryve";
        assert_eq!(comm.len(), COMM_MAX);
        assert_eq!(
            long_name(comm, b"/usr/bin/averyveryveryverylong", no_exe),
            Some(b"averyveryveryverylong".to_vec())
        );
        // argv[0] no help (rewritten, or another name): the executable's.
        assert_eq!(
            long_name(comm, b"worker", || Some(
                b"/opt/averyveryveryvery (deleted)".to_vec()
            )),
            Some(b"averyveryveryvery".to_vec())
        );
        assert_eq!(long_name(comm, b"/bin/other", no_exe), None);
        // A 15-byte name is itself: nothing longer to find.
        assert_eq!(long_name(comm, b"averyveryveryve", no_exe), None);
        // Shorter than 15 bytes: not cut, never extended.
        assert_eq!(
            long_name(b"sleep", b"sleepy-forever-and-more", no_exe),
            None
        );
    }

    #[test]
    fn args_split_on_nul() {
        let mut p = Process {
            pid: 1,
            cmdline: Some(b"sleep\x0010\x00".to_vec()),
            ..Process::default()
        };
        assert_eq!(p.args(), Some(vec![&b"sleep"[..], &b"10"[..]]));
        assert_eq!(p.command_line(), Some(b"sleep 10".to_vec()));
        p.cmdline = Some(Vec::new());
        p.stat.name = b"kthreadd".to_vec();
        assert_eq!(p.command_line(), None);
        assert_eq!(p.full_text(), b"kthreadd");
    }
}
