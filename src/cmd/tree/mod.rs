//! `ptool tree`: the `pstree` view. One scan of `/proc` (the `stat` of every
//! process, plus the command line or owner only when shown or matched on)
//! becomes a [`Forest`]; the selection picks what to draw; threads
//! and user names are read for the drawn processes only; [`draw`] renders.
//!
//! What is drawn:
//! - nothing selected: every process, from its roots;
//! - PIDs alone: their subtrees;
//! - a criterion (`-n`, `-f`, `-u`, ...): each match with its ancestors,
//!   within the PIDs' subtrees when PIDs are given too, matches marked;
//! - `--ancestors`: the chain from the root down to each selected process
//!   (PIDs and criteria both must hold, as in `ptool ls`), marked.
//!
//! `--descendants` adds each match's subtree. Pattern matches never include
//! ptool or its ancestors; those are still drawn as context, unmarked.

pub mod draw;

use std::collections::HashSet;
use std::io::Write;

use anyhow::{Context as _, Result};

use crate::cli::{TreeArgs, TreeDrawArgs};
use crate::exit::{Exit, usage};
use crate::forest::{self, Forest};
use crate::output::{Out, emit, emit_no_match};
use crate::proc::{Need, Reader, System};
use crate::select::{Protected, Selector};
use crate::sys::users::Names;
use draw::{Style, Thread, Tree};

pub fn run<W: Write>(args: TreeArgs, out: &Out, w: &mut W) -> Result<Exit> {
    let selector = args.select.selector()?;
    let opts = &args.draw;
    let criteria = selector.has_criteria();
    if opts.ancestors && !criteria && selector.pids.is_empty() {
        return Err(usage(
            "--ancestors needs a PID or a selector (-n, -f, -u, ...)",
        ));
    }

    // JSON always carries cmd and user; the text reads them only to show them.
    let mut need = Need::STAT | selector.need();
    if opts.args || out.json {
        need |= Need::CMDLINE;
    }
    if opts.owner || out.json {
        need |= Need::OWNER;
    }
    let mut reader = Reader::new().context("cannot open /proc")?;
    let procs = reader.all(need).context("cannot list /proc")?;
    let forest = Forest::new(procs);

    let selection = choose(&forest, &selector, opts, &mut reader);

    if selection.is_empty() {
        emit_no_match(w, out)?;
        return Ok(Exit::NoMatch);
    }
    if out.quiet {
        return Ok(Exit::Success);
    }

    // Only processes with more than one thread have a task list worth reading.
    let threaded: HashSet<i32> = if opts.threads {
        (0..forest.len())
            .filter(|&i| selection.keep[i] && forest.process(i).stat.threads > 1)
            .map(|i| forest.process(i).pid)
            .collect()
    } else {
        HashSet::new()
    };
    let mut tree = Tree::from_forest(forest, &selection);
    add_threads(&mut tree, &threaded, &mut reader);
    if need.owner {
        add_users(&mut tree);
    }
    let style = style(opts, out);
    emit(
        w,
        out,
        &draw::Drawn {
            tree: &tree,
            style: &style,
        },
    )?;
    Ok(Exit::Success)
}

/// What to draw: with `--ancestors` the branches from the roots down to
/// the matches; with criteria the matches (within the given PIDs' subtrees)
/// with their ancestors; PIDs alone their subtrees; else everything.
fn choose(
    forest: &Forest,
    selector: &Selector,
    opts: &TreeDrawArgs,
    reader: &mut Reader,
) -> forest::Selection {
    let criteria = selector.has_criteria();
    if opts.ancestors {
        let matches = matching(forest, selector, forest.roots(), reader);
        forest.branches(forest.roots(), &matches, opts.descendants)
    } else if criteria {
        let scope = if selector.pids.is_empty() {
            forest.roots().to_vec()
        } else {
            forest.subtree_roots(&selector.pids)
        };
        // The PIDs are the scope here, not a condition on the matches.
        let within = Selector {
            pids: Vec::new(),
            ..selector.clone()
        };
        let matches = matching(forest, &within, &scope, reader);
        forest.branches(&scope, &matches, opts.descendants)
    } else if !selector.pids.is_empty() {
        forest.subtrees(forest.subtree_roots(&selector.pids))
    } else {
        forest.everything()
    }
}

/// How to draw, from the flags and the output.
fn style(opts: &TreeDrawArgs, out: &Out) -> Style {
    Style {
        pids: opts.pids,
        args: opts.args,
        owner: opts.owner,
        threads: opts.threads,
        // Labels with PIDs are never identical.
        compact: !opts.no_compact && !opts.pids,
        unicode: !opts.ascii && (opts.unicode || out.unicode),
        color: out.color,
        width: out.width,
    }
}

/// The forest indices of the processes in the subtrees of `scope` that the
/// selector picks (never ptool itself, nor its ancestors unless named by
/// PID; `--newest`/`--oldest` apply among these).
fn matching(
    forest: &Forest,
    selector: &Selector,
    scope: &[usize],
    reader: &mut Reader,
) -> Vec<usize> {
    let sys = System::read();
    let protected = Protected::current(reader);
    // Only the matches are cloned, for `--newest`/`--oldest` to pick from.
    let accepted = scope
        .iter()
        .flat_map(|&r| forest.subtree(r))
        .filter(|&i| selector.accepts(forest.process(i), &sys, &protected))
        .map(|i| forest.process(i).clone())
        .collect();
    selector
        .pick(accepted)
        .iter()
        .filter_map(|p| forest.find(p.pid))
        .collect()
}

/// Read the threads of the drawn processes in `threaded`.
fn add_threads(tree: &mut Tree, threaded: &HashSet<i32>, reader: &mut Reader) {
    for node in tree.nodes.iter_mut().filter(|n| threaded.contains(&n.pid)) {
        let tasks = reader.threads(node.pid, Need::STAT);
        node.threads = tasks
            .into_iter()
            .filter(|t| t.tid != Some(node.pid))
            .map(|t| Thread {
                tid: t.tid.unwrap_or(t.pid),
                name: t.stat.name,
            })
            .collect();
    }
}

/// Resolve owners to user names (the UID as text when it has none).
fn add_users(tree: &mut Tree) {
    let mut names = Names::default();
    for node in &mut tree.nodes {
        node.user = node.uid.map(|uid| names.user_or_uid(uid));
    }
}
