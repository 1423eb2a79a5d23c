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
use crate::select::{Pick, Protected, Selector};
use crate::sys::users::Names;
use draw::{Node, Style, Thread, Tree};

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
    // What the selector accepts is decided as each process is read, and
    // only the node the drawing uses is kept of it.
    let deciding = if opts.ancestors {
        Some(selector.clone())
    } else if criteria {
        // The PIDs are the scope here, not a condition on the matches.
        Some(Selector {
            pids: Vec::new(),
            ..selector.clone()
        })
    } else {
        None
    };
    let sys = System::read();
    let protected = Protected::current(&mut reader);
    let pids = reader.pids().context("cannot list /proc")?;
    let mut nodes = Vec::with_capacity(pids.len());
    for pid in pids {
        if let Some(p) = reader.read(pid, need) {
            let accepted = deciding
                .as_ref()
                .is_some_and(|s| s.accepts(&p, &sys, &protected));
            nodes.push(Node::new(p, accepted));
        }
    }
    let forest = Forest::new(nodes);

    let selection = choose(&forest, &selector, opts);

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
            .filter(|&i| selection.keep[i] && forest.process(i).thread_count > 1)
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
fn choose(forest: &Forest<Node>, selector: &Selector, opts: &TreeDrawArgs) -> forest::Selection {
    let criteria = selector.has_criteria();
    if opts.ancestors {
        let matches = matching(forest, selector, forest.roots());
        forest.branches(forest.roots(), &matches, opts.descendants)
    } else if criteria {
        let scope = if selector.pids.is_empty() {
            forest.roots().to_vec()
        } else {
            forest.subtree_roots(&selector.pids)
        };
        let matches = matching(forest, selector, &scope);
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
/// selector accepted while scanning (never ptool itself, nor its ancestors
/// unless named by PID), `--newest`/`--oldest` applied among these.
fn matching(forest: &Forest<Node>, selector: &Selector, scope: &[usize]) -> Vec<usize> {
    let accepted = scope
        .iter()
        .flat_map(|&r| forest.subtree(r))
        .filter(|&i| forest.process(i).accepted);
    let key = |i: &usize| (forest.process(*i).start_ticks, forest.process(*i).pid);
    match selector.pick {
        None => accepted.collect(),
        Some(Pick::Newest) => accepted.max_by_key(key).into_iter().collect(),
        Some(Pick::Oldest) => accepted.min_by_key(key).into_iter().collect(),
    }
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

/// Resolve owners to user names (the UID as text when it has none), once
/// per owner.
fn add_users(tree: &mut Tree) {
    let mut names = Names::default();
    for uid in tree.nodes.iter().filter_map(|n| n.uid) {
        tree.users
            .entry(uid)
            .or_insert_with(|| names.user_or_uid(uid));
    }
}
