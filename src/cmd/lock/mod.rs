//! `ptool lock`: run a command holding a lock (`multiprocessing.Lock`,
//! `flock(1)`), a reader lock (`--shared`) or one of N slots of a counting
//! semaphore (`--max N`, `Semaphore(N)`, GNU `sem`); and `lock show`, which
//! says who holds each lock and who waits.
//!
//! **Locks are `flock(2)` locks on files** (see `name.rs` for where they
//! live): the kernel releases one when its holder dies in any way,
//! SIGKILL included, so there is never a stale lock to clean up, and a
//! semaphore of N is N files, each locked by at most one holder.
//!
//! **Waiting blocks in the kernel.** Each slot is first tried without
//! blocking, in order. If none is free, [`crate::sys::flock::AnyLock`]
//! blocks one thread per slot in `flock`, and the main thread `poll`s on
//! the pipe the first winner writes to, the signal watch and the deadline: the
//! first slot to free is taken at once (no back-off, no polling), Ctrl-C or
//! TERM ends the wait (exit 130 or 143, COMMAND never run), and
//! `--timeout` gives up at its deadline (exit 124). The other threads are
//! interrupted; one that got its slot after the win lets it go at once, so
//! a wait never holds two slots for longer than that.
//!
//! **The lock is ptool's, not COMMAND's.** The descriptor is opened
//! close-on-exec, so COMMAND and what it starts never inherit it: ptool
//! holds it while COMMAND runs under [`crate::supervise`] (signals
//! forwarded, terminal handed over, exit code passed through), and closes
//! it when COMMAND is done. This avoids `flock(1)`'s classic pitfall, where
//! a daemon that COMMAND leaves in the background inherits the descriptor
//! and holds the lock for as long as it runs, with nothing to say so. The
//! safer of the two remaining choices is the default: what COMMAND leaves
//! running in its process group is part of the critical section, so when
//! COMMAND exits it gets TERM (and KILL [`LEFTOVER_GRACE`] later), and the
//! lock is released only once the group is empty. Nothing of the critical
//! section runs on without the lock; a process meant to outlive it leaves
//! the group (`setsid`). If ptool itself is killed, COMMAND gets SIGKILL
//! (`PR_SET_PDEATHSIG`) and the lock frees at once.

mod name;
mod show;

use std::ffi::OsString;
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use crate::cli::lock::{LockAction, LockArgs};
use crate::exit::Exit;
use crate::output::Out;
use crate::output::sanitize::escape;
use crate::proc::Reader;
use crate::signal::Signal;
use crate::supervise::{FORWARDED, Foreground, Limits, launch_error};
use crate::sys::child::{self, Launch};
use crate::sys::flock::{self, AnyLock, LockMode};
use crate::sys::poll::poll_readable;
use crate::sys::sigwatch::SignalWatch;

pub use name::LockName;

/// The environment variable that tells COMMAND its slot under `--max`.
pub const SLOT_VAR: &str = "PTOOL_SLOT";

/// How long what COMMAND left running in its group has between TERM and
/// KILL before the lock is released.
pub const LEFTOVER_GRACE: Duration = Duration::from_secs(5);

/// How long to wait for the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    Forever,
    Until(Duration),
    /// `--no-wait` (or `--timeout 0`, as `flock -w 0`).
    No,
}

/// What to lock and run, checked from the flags.
#[derive(Debug)]
pub struct LockPlan {
    pub name: LockName,
    /// 1 for a mutex or reader lock.
    pub slots: usize,
    pub semaphore: bool,
    pub mode: LockMode,
    pub wait: Wait,
    /// The exit when the lock is not acquired.
    pub conflict: Exit,
    pub command: Vec<OsString>,
}

impl LockPlan {
    pub fn from_args(args: LockArgs) -> Result<LockPlan> {
        let raw = args.name.unwrap_or_default();
        let name = LockName::parse(&raw)?;
        let wait = match (args.no_wait, args.timeout) {
            (true, _) => Wait::No,
            (false, Some(t)) if t.is_zero() => Wait::No,
            (false, Some(t)) => Wait::Until(t),
            (false, None) => Wait::Forever,
        };
        Ok(LockPlan {
            name,
            slots: args.max.map_or(1, |n| n as usize),
            semaphore: args.max.is_some(),
            mode: if args.shared {
                LockMode::Shared
            } else {
                LockMode::Exclusive
            },
            wait,
            conflict: args.conflict_exit_code.map_or(Exit::Timeout, Exit::Code),
            command: args.command,
        })
    }
}

pub fn run<W: Write>(args: LockArgs, out: &Out, w: &mut W) -> Result<Exit> {
    if let Some(LockAction::Show(show)) = args.action {
        return show::run(&show, out, w);
    }
    let plan = LockPlan::from_args(args)?;
    hold(&plan, out)
}

/// A slot held: its descriptor (the lock is released when it closes).
#[derive(Debug)]
struct Held {
    _fd: Arc<OwnedFd>,
    slot: usize,
}

/// How the wait ended.
#[derive(Debug)]
enum Acquired {
    Held(Held),
    /// Not acquired; the slots' files, to say who holds them.
    Busy(Vec<Arc<OwnedFd>>),
    /// A signal ended the wait.
    Interrupted(Signal),
}

fn hold(plan: &LockPlan, out: &Out) -> Result<Exit> {
    // The signals are watched before the wait (and its threads) begins,
    // so Ctrl-C while waiting is read from the signal watch, not fatal.
    let fg = Foreground::prepare()?;
    let dir = plan.name.open_dir()?;
    let started = Instant::now();
    let held = match acquire(plan, &dir, fg.signals())? {
        Acquired::Held(held) => held,
        Acquired::Busy(files) => {
            crate::output::notice(out, &busy_message(plan, &files, started.elapsed()));
            return Ok(plan.conflict);
        }
        Acquired::Interrupted(signal) => return Ok(Exit::Signaled(signal.number())),
    };
    drop(dir);
    let env = plan.semaphore.then(|| {
        let mut vars: Vec<(OsString, OsString)> =
            std::env::vars_os().filter(|(k, _)| k != SLOT_VAR).collect();
        vars.push((SLOT_VAR.into(), held.slot.to_string().into()));
        vars
    });
    let mut launch = Launch {
        argv: plan.command.clone(),
        env,
        ..Launch::default()
    };
    fg.attach(&mut launch);
    let mapped = |e: &child::LaunchError| launch_error(&plan.command, None, e);
    let (child, report) = child::start(&launch).map_err(|e| mapped(&e))?;
    drop(launch);
    let limits = Limits {
        timeout: None,
        signal: Signal::TERM,
        kill_after: Some(LEFTOVER_GRACE),
        end_leftovers: true,
    };
    let exit = fg.supervise(child, Some(report), &limits, out, &mapped);
    // Released now, before anything else ptool does on its way out.
    drop(held);
    exit
}

/// Take a free slot, or wait for one as the plan says.
fn acquire(plan: &LockPlan, dir: &name::LockDir, signals: &SignalWatch) -> Result<Acquired> {
    let mut files = Vec::with_capacity(plan.slots);
    for slot in 0..plan.slots {
        let fd = dir.open_slot(&plan.name, slot)?;
        if flock::try_lock(fd.as_fd(), plan.mode).context("cannot lock")? {
            return Ok(Acquired::Held(Held {
                _fd: Arc::new(fd),
                slot,
            }));
        }
        files.push(Arc::new(fd));
    }
    let deadline = match plan.wait {
        Wait::No => return Ok(Acquired::Busy(files)),
        // A deadline past what the clock can hold is no deadline.
        Wait::Until(limit) => Instant::now().checked_add(limit),
        Wait::Forever => None,
    };
    let mut waiting = AnyLock::start(&files, plan.mode).context("cannot wait for the lock")?;
    let won = |slot: usize, files: &[Arc<OwnedFd>]| {
        Acquired::Held(Held {
            _fd: files[slot].clone(),
            slot,
        })
    };
    let mut ready = Vec::with_capacity(2);
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left == Some(Duration::ZERO) {
            return Ok(match waiting.give_up() {
                Some(slot) => won(slot, &files),
                None => Acquired::Busy(files),
            });
        }
        poll_readable(&[waiting.as_fd(), signals.as_fd()], left, &mut ready).context("poll")?;
        if ready[0]
            && let Some(slot) = waiting.outcome().context("cannot wait for the lock")?
        {
            return Ok(won(slot, &files));
        }
        if ready[1] {
            for signo in signals.take().context("cannot read signals")? {
                if let Some(signal) = Signal::from_number(signo)
                    && FORWARDED.contains(&signal)
                {
                    waiting.give_up();
                    return Ok(Acquired::Interrupted(signal));
                }
            }
        }
    }
}

/// "lock 'x' is held by PID 12 (deploy.sh)": who holds the slots, as far
/// as `/proc/locks` tells (its PIDs are the processes that took the locks).
fn busy_message(plan: &LockPlan, files: &[Arc<OwnedFd>], waited: Duration) -> String {
    let what = if plan.semaphore {
        format!("all {} slots of lock '{}'", plan.slots, plan.name.shown)
    } else {
        format!("lock '{}'", plan.name.shown)
    };
    let mut message = match plan.wait {
        Wait::Until(_) => format!(
            "{what} not acquired within {}: held",
            crate::duration::format_short(waited.max(Duration::from_millis(1)))
        ),
        _ if plan.semaphore => format!("{what} are held"),
        _ => format!("{what} is held"),
    };
    let pids = holder_pids(files);
    if !pids.is_empty() {
        let mut reader = Reader::new().ok();
        let named: Vec<String> = pids
            .iter()
            .map(|&pid| {
                let comm = reader
                    .as_mut()
                    .and_then(|r| r.stat(pid))
                    .map(|s| escape(&s.name).into_owned());
                match comm {
                    Some(comm) => format!("PID {pid} ({comm})"),
                    None => format!("PID {pid}"),
                }
            })
            .collect();
        message.push_str(&format!(" by {}", named.join(", ")));
    }
    message
}

/// The PIDs `/proc/locks` gives for the locks held on `files`.
fn holder_pids(files: &[Arc<OwnedFd>]) -> Vec<i32> {
    let ids: Vec<_> = files
        .iter()
        .filter_map(|f| flock::file_id(f.as_fd()).ok())
        .collect();
    let Ok(mut reader) = Reader::new() else {
        return Vec::new();
    };
    let Ok(locks) = crate::proc::locks::read_all(&mut reader) else {
        return Vec::new();
    };
    let mut pids: Vec<i32> = locks
        .iter()
        .filter(|l| !l.waiting && l.pid > 0 && ids.iter().any(|&id| l.is_on(id)))
        .map(|l| l.pid)
        .collect();
    pids.sort_unstable();
    pids.dedup();
    pids
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn plan(args: &[&str]) -> Result<LockPlan> {
        let mut argv = vec!["ptool", "lock"];
        argv.extend_from_slice(args);
        let cli = crate::cli::Cli::try_parse_from(argv)?;
        let crate::cli::Command::Lock(crate::cli::DeferredArgs(args)) = cli.command else {
            panic!("not lock");
        };
        LockPlan::from_args(args)
    }

    #[test]
    fn flags_make_the_plan() {
        let p = plan(&["x", "--", "true"]).expect("plan");
        assert_eq!(
            (p.slots, p.semaphore, p.mode, p.wait, p.conflict),
            (1, false, LockMode::Exclusive, Wait::Forever, Exit::Timeout)
        );
        let p = plan(&["--max", "3", "-t", "2s", "-E", "75", "x", "--", "true"]).expect("plan");
        assert_eq!(p.slots, 3);
        assert!(p.semaphore);
        assert_eq!(p.wait, Wait::Until(Duration::from_secs(2)));
        assert_eq!(p.conflict, Exit::Code(75));
        let p = plan(&["--shared", "--timeout", "0", "x", "true"]).expect("plan");
        assert_eq!((p.mode, p.wait), (LockMode::Shared, Wait::No));
        assert!(plan(&["--shared", "--max", "2", "x", "--", "true"]).is_err());
        assert!(plan(&["--no-wait", "--timeout", "1s", "x", "--", "true"]).is_err());
        assert!(plan(&["--max", "0", "x", "--", "true"]).is_err());
        assert!(plan(&["-E", "256", "x", "--", "true"]).is_err());
        assert!(plan(&["x"]).is_err());
    }
}
