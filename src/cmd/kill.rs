//! `ptool kill`: end processes politely, then firmly. Sends the first signal
//! (TERM) through verified pidfds, waits on the pidfds for up to the grace
//! period, sends KILL to the survivors, and reports per process. `--tree`
//! takes every descendant too, stopping the whole tree first so that nothing
//! can fork away while it is being killed.

use std::io::Write;

use anyhow::{Context as _, Result};

use crate::cli::KillArgs;
use crate::deliver::terminate::{Plan, terminate, tree_below};
use crate::deliver::{self, Caller, Opener, Outcome, Row};
use crate::exit::{Exit, usage};
use crate::output::Out;
use crate::proc::Reader;
use crate::select::Protected;
use crate::signal::Signal;

pub fn run<W: Write>(args: KillArgs, out: &Out, w: &mut W) -> Result<Exit> {
    if args.signal == Signal::NULL {
        return Err(usage(
            "signal 0 only checks that processes exist: use `ptool signal 0 ...` for that",
        ));
    }
    let _ = crate::sys::raise_open_files(deliver::OPEN_FILES_WANTED);
    let mut reader = Reader::new().context("cannot open /proc")?;
    let protected = Protected::current(&mut reader);
    let t = &args.target;
    let selection = deliver::resolve(
        &t.select.spec(),
        t.force,
        Caller::Kill,
        &mut reader,
        &protected,
        args.tree,
    )?;
    let plan = Plan {
        signal: args.signal,
        grace: args.grace,
        tree: args.tree,
    };
    let mut unpinned = Vec::new();
    let mut rows = if t.dry_run {
        let mut targets = selection.targets;
        if args.tree {
            let roots: Vec<i32> = targets.iter().map(|t| t.pid).collect();
            let pinned = tree_below(&roots, selection.scan.as_deref(), &mut reader, &protected)?;
            targets.extend(pinned.targets);
            unpinned.extend(pinned.failed);
        }
        targets
            .iter()
            .map(|t| Row::new(t, args.signal, Outcome::WouldSignal))
            .chain(unpinned.iter().map(|u| Row::unpinned(u, args.signal)))
            .collect()
    } else {
        terminate(
            &plan,
            selection.targets,
            selection.scan.as_deref(),
            &mut Opener::new(),
            &mut reader,
            &protected,
        )?
    };
    rows.extend(
        selection
            .missing
            .iter()
            .map(|&pid| Row::missing(pid, args.signal)),
    );
    rows.extend(
        selection
            .failed
            .iter()
            .map(|u| Row::unpinned(u, args.signal)),
    );
    deliver::render(&rows, out, true, w)?;
    Ok(deliver::exit_for(&rows, false))
}
