//! Ending processes politely, then firmly: the action behind `ptool kill`
//! and `top`'s `k`. Sends the first signal (TERM) through verified pidfds,
//! waits on the pidfds for up to the grace period, sends KILL to the
//! survivors, and reports per process. With a tree, every descendant is
//! taken too, the whole tree stopped first so that nothing can fork away
//! while it is being killed.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use super::{Bound, Miss, Opener, Outcome, Pinned, Row, Target, Unpinned};
use crate::proc::{Need, Process, Reader};
use crate::select::Protected;
use crate::signal::Signal;
use crate::sys::sigmask::HeldInterrupts;

/// How long to wait, after KILL, for a process to be gone. KILL cannot be
/// caught, so this is only the kernel tearing the process down; a process
/// still there after it is stuck in the kernel (uninterruptible sleep).
pub const KILL_WAIT: Duration = Duration::from_secs(5);

/// The most rescans `--tree` makes looking for children forked while the
/// tree was being stopped (each rescan only finds children of processes that
/// were running, and stopped processes cannot fork, so a few suffice).
const TREE_ROUNDS: usize = 64;

/// What `terminate` is to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The first signal (TERM unless `-s`).
    pub signal: Signal,
    /// How long to wait before KILL; zero sends only the first signal.
    pub grace: Duration,
    /// Take every descendant too, stopping the tree first.
    pub tree: bool,
}

/// One target on its way out.
#[derive(Debug)]
struct Doomed {
    target: Target,
    bound: Option<Bound>,
    outcome: Option<Outcome>,
    detail: Option<String>,
    /// When the first signal was sent.
    sent: Option<Instant>,
    after: Option<Duration>,
}

impl Doomed {
    fn new(target: Target) -> Doomed {
        Doomed {
            target,
            bound: None,
            outcome: None,
            detail: None,
            sent: None,
            after: None,
        }
    }

    /// Opened and not yet settled.
    fn live(&self) -> Option<&Bound> {
        match self.outcome {
            None => self.bound.as_ref(),
            Some(_) => None,
        }
    }

    /// Record the final outcome and close the pidfd (thousands of targets
    /// must not keep thousands of descriptors open longer than needed).
    fn settle(&mut self, outcome: Outcome, detail: Option<String>) {
        self.outcome = Some(outcome);
        self.detail = detail;
        self.bound = None;
    }

    fn miss(&mut self, miss: Miss) {
        match miss {
            Miss::Gone => self.settle(Outcome::AlreadyGone, None),
            Miss::Denied => self.settle(Outcome::PermissionDenied, None),
            Miss::Failed(why) => self.settle(Outcome::Failed, Some(why)),
        }
    }

    /// Open the target, or settle why not. A process that has already
    /// exited (a zombie) is already gone: signalling it would do nothing,
    /// and waiting on it would report a termination that never happened.
    fn open(&mut self, opener: &mut Opener, reader: &mut Reader) {
        match opener.open(&self.target, reader) {
            Ok(bound) if bound.has_exited(reader) => self.settle(
                Outcome::AlreadyGone,
                Some("a zombie: exited, not yet reaped by its parent".to_string()),
            ),
            Ok(bound) => {
                if bound.uses_pidfd() {
                    self.target.release_pin();
                }
                self.bound = Some(bound);
            }
            Err(miss) => self.miss(miss),
        }
    }

    fn send(&mut self, signal: Signal, reader: &mut Reader) -> bool {
        let Some(bound) = self.live() else {
            return false;
        };
        match bound.send(signal, reader) {
            Ok(()) => true,
            Err(miss) => {
                self.miss(miss);
                false
            }
        }
    }

    fn row(&self, signal: Signal) -> Row {
        let mut row = Row::new(
            &self.target,
            signal,
            self.outcome.unwrap_or(Outcome::Failed),
        );
        row.after = self.after;
        row.detail = self.detail.clone();
        row
    }
}

/// Signal the targets (with `plan.tree`, their descendants too), wait for
/// them, KILL the survivors, and report one row per process.
///
/// Every signal goes through a pidfd checked against the target's pin (see
/// [`crate::deliver`]), so a target whose PID was reused since it was
/// selected is reported as already gone and the new process is left alone.
pub fn terminate(
    plan: &Plan,
    targets: Vec<Target>,
    scan: Option<&[Process]>,
    opener: &mut Opener,
    reader: &mut Reader,
    protected: &Protected,
) -> Result<Vec<Row>> {
    let mut run = Termination {
        plan,
        entries: targets.into_iter().map(Doomed::new).collect(),
        unpinned: Vec::new(),
        opener,
        reader,
        protected,
    };
    run.signal_first(scan)?;
    if plan.grace.is_zero() {
        run.settle_live(Outcome::Signalled);
        return Ok(run.rows());
    }
    let deadline = Instant::now() + plan.grace;
    run.wait(deadline, Outcome::Terminated)?;
    if run.entries.iter().any(|e| e.live().is_some()) {
        if plan.signal == Signal::KILL {
            // KILL was the first signal and the grace has passed.
            run.settle_live(Outcome::Survived);
            return Ok(run.rows());
        }
        run.kill_survivors()?;
    }
    Ok(run.rows())
}

/// One `kill` run: the entries on their way out and what acts on them.
struct Termination<'a> {
    plan: &'a Plan,
    entries: Vec<Doomed>,
    /// Descendants found but not pinned (no descriptor left, ...): reported.
    unpinned: Vec<Unpinned>,
    opener: &'a mut Opener,
    reader: &'a mut Reader,
    protected: &'a Protected,
}

impl Termination<'_> {
    /// Open the targets (with `--tree`, find, open and stop the tree
    /// first), send the first signal, and continue what was stopped.
    fn signal_first(&mut self, scan: Option<&[Process]>) -> Result<()> {
        let plan = self.plan;
        let stop_first = plan.tree && !super::is_stop_signal(plan.signal);
        // From stopping the tree until continuing it, ptool must not be ended
        // by Ctrl-C: that would leave the whole tree stopped.
        let held = stop_first.then(HeldInterrupts::hold);
        if plan.tree {
            let roots: Vec<i32> = self.entries.iter().map(|e| e.target.pid).collect();
            let pinned = tree_below(&roots, scan, self.reader, self.protected)?;
            self.add(pinned);
            if let Err(err) = self.expand(0, stop_first) {
                // Leave nothing stopped behind.
                self.send_all(Signal::CONT);
                return Err(err);
            }
        } else {
            for e in &mut self.entries {
                e.open(self.opener, self.reader);
            }
        }
        for e in &mut self.entries {
            if e.send(plan.signal, self.reader) {
                e.sent = Some(Instant::now());
            }
        }
        // A stopped process acts on TERM only once continued: continue the
        // tree we stopped (children first), and targets that were stopped
        // already.
        if !super::is_stop_signal(plan.signal) && plan.signal != Signal::KILL {
            for e in self.entries.iter_mut().rev() {
                if e.sent.is_some() && (stop_first || e.target.state == b'T') {
                    e.send(Signal::CONT, self.reader);
                }
            }
        }
        drop(held);
        Ok(())
    }

    /// KILL what outlived the grace period (with `--tree`, stopping it and
    /// taking in its new children first), wait for it, and settle the rest
    /// as survivors.
    fn kill_survivors(&mut self) -> Result<()> {
        if self.plan.tree {
            // Survivors may have forked while handling TERM: stop them and
            // take in their new children before killing, so none is left
            // behind as an orphan.
            let _held = HeldInterrupts::hold();
            let start = self.entries.len();
            self.send_all(Signal::STOP);
            // Should the rescan fail, the survivors are killed all the same
            // (KILL works on stopped processes); only new children escape.
            let _ = self.expand(start, true);
        }
        for e in &mut self.entries {
            if !e.send(Signal::KILL, self.reader)
                && e.sent.is_some()
                && e.outcome == Some(Outcome::AlreadyGone)
            {
                // It exited on its own just as the grace period ended.
                e.outcome = Some(Outcome::Terminated);
            }
        }
        self.wait(Instant::now() + KILL_WAIT, Outcome::Killed)?;
        self.settle_live(Outcome::Survived);
        Ok(())
    }

    fn send_all(&mut self, signal: Signal) {
        for e in &mut self.entries {
            e.send(signal, self.reader);
        }
    }

    fn settle_live(&mut self, outcome: Outcome) {
        for e in &mut self.entries {
            if e.live().is_some() {
                e.settle(outcome, None);
            }
        }
    }

    /// Wait for the live entries until `deadline`, settling each that
    /// exits as `outcome`, with how long after the first signal it went.
    fn wait(&mut self, deadline: Instant, outcome: Outcome) -> Result<()> {
        for (i, when) in wait(&self.entries, deadline, self.reader)? {
            let e = &mut self.entries[i];
            e.after = e.sent.map(|sent| when.saturating_duration_since(sent));
            e.settle(outcome, None);
        }
        Ok(())
    }

    /// Add pinned processes as entries; those that could not be pinned are
    /// reported as they are.
    fn add(&mut self, pinned: Pinned) {
        self.entries
            .extend(pinned.targets.into_iter().map(Doomed::new));
        self.unpinned.extend(pinned.failed);
    }

    /// Open (and, with `stop`, stop) `entries[start..]`, then look for
    /// children that live entries forked meanwhile, and repeat until a
    /// rescan finds none.
    fn expand(&mut self, mut start: usize, stop: bool) -> Result<()> {
        for round in 0..=TREE_ROUNDS {
            for e in &mut self.entries[start..] {
                e.open(self.opener, self.reader);
                if stop {
                    e.send(Signal::STOP, self.reader);
                }
            }
            if round == TREE_ROUNDS {
                // Still forking after all those rounds: what was found last
                // is open now, so it is at least signalled with the rest.
                break;
            }
            start = self.entries.len();
            let scan = self.reader.all(Need::STAT).context("cannot list /proc")?;
            // Only parents that have not exited after the scan: their PIDs
            // were still theirs when it was taken, so their children are
            // theirs.
            let reader = &mut *self.reader;
            let roots: Vec<i32> = self
                .entries
                .iter()
                .filter_map(|e| e.live())
                .filter(|b| !b.has_exited(reader))
                .map(|b| b.pid())
                .collect();
            let known: HashSet<i32> = self.entries.iter().map(|e| e.target.pid).collect();
            let found = super::descendants(&scan, &roots, &known, self.protected);
            if found.is_empty() {
                return Ok(());
            }
            let pinned = super::pin(&found, self.reader, Need::CMDLINE, |_| true);
            self.add(pinned);
        }
        Ok(())
    }

    fn rows(&self) -> Vec<Row> {
        rows(&self.entries, &self.unpinned, self.plan.signal)
    }
}

fn rows(entries: &[Doomed], unpinned: &[Unpinned], signal: Signal) -> Vec<Row> {
    entries
        .iter()
        .map(|e| e.row(signal))
        .chain(unpinned.iter().map(|u| Row::unpinned(u, signal)))
        .collect()
}

/// The descendants of `roots` in `scan` (a fresh one when none was kept),
/// pinned: `--tree`'s first step, whether it kills or only says what it
/// would. One that is gone by now needs nothing more.
pub fn tree_below(
    roots: &[i32],
    scan: Option<&[Process]>,
    reader: &mut Reader,
    protected: &Protected,
) -> Result<Pinned> {
    let known: HashSet<i32> = roots.iter().copied().collect();
    let fresh;
    let scan = match scan {
        Some(scan) => scan,
        None => {
            fresh = reader.all(Need::STAT).context("cannot list /proc")?;
            &fresh
        }
    };
    let found = super::descendants(scan, roots, &known, protected);
    Ok(super::pin(&found, reader, Need::CMDLINE, |_| true))
}

/// Wait for the live entries until `deadline`; the (index, moment) of each
/// exit seen.
fn wait(
    entries: &[Doomed],
    deadline: Instant,
    reader: &mut Reader,
) -> Result<Vec<(usize, Instant)>> {
    let (indexes, bounds): (Vec<usize>, Vec<&Bound>) = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.live().map(|b| (i, b)))
        .unzip();
    let mut exits = Vec::with_capacity(indexes.len());
    super::wait_exits(&bounds, deadline, reader, |k, when| {
        exits.push((indexes[k], when));
    })
    .context("cannot wait for the processes")?;
    Ok(exits)
}
