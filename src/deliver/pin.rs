//! Pinning: holding each selected process by its `/proc/PID` handle and
//! start time, so that what is signalled is the process that was selected.

use std::io;

use crate::proc::{Need, ProcDir, Process, Reader};

/// A process chosen to be signalled, pinned to it (see the module
/// documentation), with what was read about it through the pin.
#[derive(Debug, Clone)]
pub struct Target {
    pub pid: i32,
    /// Clock ticks after boot, checked again before signalling.
    pub start_ticks: u64,
    /// The one-letter state when selected (`T` stopped, `Z` zombie, ...).
    pub state: u8,
    /// The name (`comm`), untrusted bytes.
    pub name: Vec<u8>,
    /// The command line joined with spaces; `None` when it is empty
    /// (kernel threads, zombies).
    pub command: Option<Vec<u8>>,
    /// The pin; released once a verified pidfd has taken over (see
    /// [`Target::release_pin`]).
    pub(super) dir: Option<ProcDir>,
}

impl Target {
    pub(super) fn new(p: &Process, dir: ProcDir) -> Target {
        Target {
            pid: p.pid,
            start_ticks: p.stat.start_ticks,
            state: p.stat.state,
            name: p.stat.name.clone(),
            command: p.command_line(),
            dir: Some(dir),
        }
    }

    /// Ok while the pinned process exists (a zombie does) and has the start
    /// time recorded; `Gone` once it was reaped (whoever has the PID now);
    /// `Failed` when that cannot be told (no descriptor left, ...).
    pub fn check(&self, reader: &mut Reader) -> Result<(), Miss> {
        let Some(dir) = &self.dir else {
            return Err(Miss::Gone);
        };
        check_pin(dir, self.start_ticks, reader)
    }

    /// The pin: `/proc/PID` of the process selected, until released.
    pub fn dir(&self) -> Option<&ProcDir> {
        self.dir.as_ref()
    }

    /// Close the pin once a verified pidfd holds the process: thousands of
    /// targets then need one descriptor each, not two.
    pub fn release_pin(&mut self) {
        self.dir = None;
    }
}

pub(super) fn check_pin(dir: &ProcDir, start_ticks: u64, reader: &mut Reader) -> Result<(), Miss> {
    // The main thread's stat: the same start time, read at the same cost
    // however many threads the process has.
    match reader.main_thread_stat_pinned(dir) {
        Ok(stat) if stat.start_ticks == start_ticks => Ok(()),
        Ok(_) => Err(Miss::Gone),
        Err(e) => Err(Miss::from_io(&e)),
    }
}

/// A process that was selected but could not be pinned for a reason other
/// than having gone: it must be reported, not silently left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpinned {
    pub pid: i32,
    pub name: Vec<u8>,
    pub command: Option<Vec<u8>>,
    pub why: String,
}

impl Unpinned {
    pub(super) fn from_process(p: &Process, why: &str) -> Unpinned {
        Unpinned {
            pid: p.pid,
            name: p.stat.name.clone(),
            command: p.command_line(),
            why: why.to_string(),
        }
    }
}

pub(super) const TOO_MANY_FILES: &str = "too many open files (raise ulimit -n)";

/// Descriptors given back when pinning runs out of them: enough to open a
/// pidfd and read `/proc` for each target kept.
const HEADROOM: usize = 8;

/// What [`pin`] made of the processes it was given.
#[derive(Debug, Default)]
pub struct Pinned {
    pub targets: Vec<Target>,
    /// Could not be pinned: too many open files, ...
    pub failed: Vec<Unpinned>,
}

/// Pin processes read from `/proc`: open each one's `/proc/PID`, read it
/// again through that handle (with `need`), and keep it as a target when it
/// is the same process (same start time) and `still` holds for what was
/// read.
pub fn pin(
    procs: &[Process],
    reader: &mut Reader,
    need: Need,
    still: impl Fn(&Process) -> bool,
) -> Pinned {
    let mut out = Pinned {
        targets: Vec::with_capacity(procs.len()),
        ..Pinned::default()
    };
    let mut exhausted = false;
    for p in procs {
        if exhausted {
            out.failed.push(Unpinned::from_process(p, TOO_MANY_FILES));
            continue;
        }
        let read = reader.pin_and_read(p.pid, need);
        if read
            .as_ref()
            .is_err_and(|e| e.raw_os_error() == Some(libc::EMFILE))
        {
            // Out of descriptors: give a few pins back, so that the targets
            // kept can still be opened as pidfds, and report the rest.
            exhausted = true;
            let keep = out.targets.len().saturating_sub(HEADROOM);
            for t in out.targets.drain(keep..) {
                out.failed.push(Unpinned {
                    pid: t.pid,
                    name: t.name,
                    command: t.command,
                    why: TOO_MANY_FILES.to_string(),
                });
            }
            out.failed.push(Unpinned::from_process(p, TOO_MANY_FILES));
            continue;
        }
        match read {
            Ok((now, dir)) if now.stat.start_ticks == p.stat.start_ticks && still(&now) => {
                out.targets.push(Target::new(&now, dir));
            }
            // Gone, or no longer the process (or no longer matching).
            Ok(_) => {}
            Err(e) if crate::sys::is_gone(&e) => {}
            Err(e) => out.failed.push(Unpinned::from_process(p, &e.to_string())),
        }
    }
    out
}

/// How many open files `signal` and `kill` ask for ([`crate::sys::raise_open_files`]):
/// targets hold a pin, then a pidfd, each. This is nr_open's default; the
/// kernel refuses more, and the hard limit caps it. Best effort: where it
/// cannot be had, the targets beyond the limit are reported as failed.
pub const OPEN_FILES_WANTED: u64 = 1 << 20;

/// Why a target could not be opened or signalled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// It exited and was reaped, or its PID now belongs to another process.
    Gone,
    /// Not ours to signal (EPERM).
    Denied,
    /// Anything else, described.
    Failed(String),
}

impl Miss {
    pub(super) fn from_io(err: &io::Error) -> Miss {
        if crate::sys::is_gone(err) {
            return Miss::Gone;
        }
        match err.raw_os_error() {
            Some(libc::EPERM | libc::EACCES) => Miss::Denied,
            Some(libc::EMFILE | libc::ENFILE) => Miss::Failed(TOO_MANY_FILES.to_string()),
            _ => Miss::Failed(err.to_string()),
        }
    }
}
