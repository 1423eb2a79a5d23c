//! Resolving a request into targets: explicit PIDs checked (and the
//! dangerous ones refused), selector flags matched, every target pinned.

use std::collections::{HashMap, HashSet};

use anyhow::{Context as _, Result};

use super::pin::{Miss, Pinned, Target, Unpinned, pin};
use crate::exit::usage;
use crate::output::sanitize;
use crate::proc::{Need, Process, Reader, System};
use crate::select::{Protected, Selector, SelectorSpec};
use crate::signal::Signal;

/// Which command resolves targets: the advice in a refusal differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Signal,
    Kill,
    /// `set`: changes priorities and limits rather than signalling.
    Set,
}

impl Caller {
    /// What the command does to a target, for a refusal.
    fn verb(self) -> &'static str {
        match self {
            Caller::Signal | Caller::Kill => "signal",
            Caller::Set => "change",
        }
    }
}

/// The processes a request names.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub targets: Vec<Target>,
    /// PIDs named explicitly that no process has.
    pub missing: Vec<i32>,
    /// Selected, but could not be pinned (reported as failed).
    pub failed: Vec<Unpinned>,
    /// The whole process table, when it was read (`--tree` expands from it).
    pub scan: Option<Vec<Process>>,
}

/// Resolve the selector flags into pinned targets.
///
/// Explicit PIDs are checked first, and a bad one is a usage error (exit 2)
/// before anything is read or signalled: 0 and -1 always; -PGID, PID 1 and
/// ptool's ancestors unless `force`; ptool itself always. With `force`,
/// -PGID selects every member of the group (each then signalled through its
/// own pidfd; ptool never calls kill(2) on a group). Pattern and group
/// matches never include ptool, its ancestors or PID 1.
///
/// `scan` asks for the whole process table to be kept (for `--tree`).
pub fn resolve(
    select: &SelectorSpec,
    force: bool,
    caller: Caller,
    reader: &mut Reader,
    protected: &Protected,
    scan: bool,
) -> Result<Resolved> {
    let (pids, groups) = check_explicit(&select.pids, force, caller, reader, protected)?;
    let criteria = SelectorSpec {
        pids: Vec::new(),
        ..select.clone()
    };
    let selector = criteria.build()?;
    // `--newest` alone would pick one process out of all of them: it does
    // not count as a criterion here.
    let filters = Selector {
        pick: None,
        ..selector.clone()
    };
    if pids.is_empty() && groups.is_empty() && !filters.has_criteria() {
        return Err(usage(format!(
            "no targets: give PIDs or selector flags (-n, -f, -u, ...); ptool never {}s everything",
            caller.verb()
        )));
    }
    if !scan && !selector.has_criteria() && groups.is_empty() {
        return Ok(pin_pids(&pids, selector.need() | Need::CMDLINE, reader));
    }
    let request = Request {
        selector,
        pids,
        groups,
        keep_scan: scan,
    };
    request.resolve(reader, protected)
}

/// Only PIDs: pin each first and read it through its handle, so there is
/// no moment at which the PID could change hands unseen.
fn pin_pids(pids: &[i32], need: Need, reader: &mut Reader) -> Resolved {
    let mut selection = Resolved::default();
    for &pid in pids {
        match reader.pin_and_read(pid, need | Need::STATUS) {
            // A thread ID has a /proc entry too, but is not a process.
            Ok((p, dir)) if p.status.as_ref().is_none_or(|s| s.tgid == pid) => {
                selection.targets.push(Target::new(&p, dir));
            }
            Ok(_) => selection.missing.push(pid),
            Err(e) if crate::sys::is_gone(&e) => selection.missing.push(pid),
            Err(e) => selection.failed.push(Unpinned {
                pid,
                name: Vec::new(),
                command: None,
                why: match Miss::from_io(&e) {
                    Miss::Failed(why) => why,
                    _ => e.to_string(),
                },
            }),
        }
    }
    selection
}

/// A request that needs `/proc` scanned: selector criteria, process groups,
/// or `--tree`.
struct Request {
    selector: Selector,
    /// Explicit PIDs, checked.
    pids: Vec<i32>,
    /// Process groups (-PGID with `--force`).
    groups: Vec<i32>,
    /// Keep the whole process table (for `--tree`).
    keep_scan: bool,
}

impl Request {
    fn resolve(mut self, reader: &mut Reader, protected: &Protected) -> Result<Resolved> {
        let sys = System::read();
        let need = self.selector.need();
        let mut kept = None;
        let chosen = if self.keep_scan || !self.groups.is_empty() {
            // The whole table is needed: for --tree, or to find group members.
            let all = reader.all(need).context("cannot list /proc")?;
            let explicit = self.with_group_members(&all, protected);
            if !self.groups.is_empty() && explicit.is_empty() {
                // Empty groups: an empty PID list would mean "no restriction".
                return Ok(Resolved {
                    scan: self.keep_scan.then_some(all),
                    ..Resolved::default()
                });
            }
            self.selector.pids = explicit;
            // Filtered by reference: only the matches are copied, and the
            // table itself is kept for --tree.
            let matched = all
                .iter()
                .filter(|p| self.selector.accepts(p, &sys, protected))
                .cloned()
                .collect();
            kept = self.keep_scan.then_some(all);
            self.selector.pick(matched)
        } else {
            // Only the matches are kept while reading.
            self.selector.pids.clone_from(&self.pids);
            self.selector
                .scan(reader, need, &sys, protected)
                .context("cannot list /proc")?
        };
        let chosen: Vec<Process> = chosen
            .into_iter()
            .filter(|p| p.pid != 1 || self.pids.contains(&1))
            .collect();
        // Checked again through the pin: what is signalled is a process that
        // matches, whatever happened to the PID since the scan.
        let pinned = pin(&chosen, reader, need | Need::CMDLINE, |p| {
            self.selector.matches(p, &sys)
        });
        let missing = self.missing(&pinned, reader);
        Ok(Resolved {
            targets: pinned.targets,
            missing,
            failed: pinned.failed,
            scan: kept,
        })
    }

    /// The explicit PIDs and the members of the groups asked for (never
    /// ptool, its ancestors or PID 1).
    fn with_group_members(&self, all: &[Process], protected: &Protected) -> Vec<i32> {
        let mut explicit = self.pids.clone();
        for p in all {
            if self.groups.contains(&p.stat.pgid)
                && !protected.contains(p.pid)
                && p.pid != 1
                && !explicit.contains(&p.pid)
            {
                explicit.push(p.pid);
            }
        }
        explicit
    }

    /// A PID named explicitly that is no target names no process (one that
    /// exists but fails another criterion is simply not selected).
    fn missing(&self, pinned: &Pinned, reader: &mut Reader) -> Vec<i32> {
        self.pids
            .iter()
            .copied()
            .filter(|pid| {
                !pinned.targets.iter().any(|t| t.pid == *pid)
                    && !pinned.failed.iter().any(|f| f.pid == *pid)
                    && reader.stat(*pid).is_none()
            })
            .collect()
    }
}

/// Split explicit PIDs into processes and (with `force`) process groups,
/// refusing the dangerous ones with one clear line.
fn check_explicit(
    given: &[i64],
    force: bool,
    caller: Caller,
    reader: &mut Reader,
    protected: &Protected,
) -> Result<(Vec<i32>, Vec<i32>)> {
    let mut pids = Vec::new();
    let mut groups = Vec::new();
    for &pid in given {
        match pid {
            0 => {
                return Err(usage(
                    "PID 0 is not a process: to kill(2) it means ptool's own process group, which ptool never signals (select a group with --pgid)",
                ));
            }
            -1 => {
                return Err(usage(
                    "PID -1 is not a process: to kill(2) it means every process you may signal, which ptool never does, even with --force",
                ));
            }
            p if p < 0 => {
                let group =
                    i32::try_from(-p).map_err(|_| usage(format!("PID {p} is out of range")))?;
                if !force {
                    let hint = match (caller, Signal::from_number(group)) {
                        (Caller::Kill, Some(_)) => {
                            format!("; to send signal {group}, use -s {group}")
                        }
                        _ => String::new(),
                    };
                    return Err(usage(format!(
                        "PID {p} names process group {group}: select it with --pgid {group}, or give --force{hint}"
                    )));
                }
                if !groups.contains(&group) {
                    groups.push(group);
                }
            }
            p => {
                let p = i32::try_from(p).map_err(|_| usage(format!("PID {p} is out of range")))?;
                if p == protected.own {
                    return Err(usage(format!("PID {p} is ptool itself")));
                }
                if p == 1 && !force {
                    return Err(usage(format!(
                        "refusing to {} PID 1 (init: the whole system depends on it); give --force if you mean it",
                        caller.verb()
                    )));
                }
                if p != 1 && protected.ancestors.contains(&p) && !force {
                    let name = reader
                        .stat(p)
                        .map(|s| sanitize::escape(&s.name).into_owned())
                        .unwrap_or_default();
                    return Err(usage(format!(
                        "refusing to {} PID {p} ({name}): it is an ancestor of ptool, such as the shell running it; give --force if you mean it",
                        caller.verb()
                    )));
                }
                if !pids.contains(&p) {
                    pids.push(p);
                }
            }
        }
    }
    Ok((pids, groups))
}

/// The descendants of `roots` in `scan`, parents before children, leaving
/// out the PIDs in `known`, ptool, its ancestors and PID 1 (the walk goes on
/// through them to their other descendants). To be pinned before use.
pub fn descendants(
    scan: &[Process],
    roots: &[i32],
    known: &HashSet<i32>,
    protected: &Protected,
) -> Vec<Process> {
    let mut children: HashMap<i32, Vec<&Process>> = HashMap::new();
    for p in scan {
        children.entry(p.stat.ppid).or_default().push(p);
    }
    let mut out = Vec::new();
    let mut seen: HashSet<i32> = roots.iter().copied().collect();
    let mut queue: std::collections::VecDeque<i32> = roots.iter().copied().collect();
    while let Some(parent) = queue.pop_front() {
        for child in children.get(&parent).into_iter().flatten() {
            if !seen.insert(child.pid) {
                continue;
            }
            queue.push_back(child.pid);
            if !known.contains(&child.pid) && !protected.contains(child.pid) && child.pid != 1 {
                out.push((*child).clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(pid: i32, ppid: i32) -> Process {
        Process {
            pid,
            stat: crate::proc::Stat {
                ppid,
                name: format!("p{pid}").into_bytes(),
                ..crate::proc::Stat::default()
            },
            ..Process::default()
        }
    }

    #[test]
    fn descendants_in_breadth_first_order_without_the_protected() {
        // 1 -> 10 -> (11 -> 13 -> 14, 12); 1 -> 20; 12 is ptool's shell,
        // 14 is ptool: 13 is a sibling in the walk and stays.
        let scan = [
            process(1, 0),
            process(10, 1),
            process(11, 10),
            process(12, 10),
            process(13, 12),
            process(14, 12),
            process(15, 11),
            process(20, 1),
        ];
        let protected = Protected {
            own: 14,
            ancestors: vec![12, 10, 1],
        };
        let found: Vec<i32> = descendants(&scan, &[10], &HashSet::new(), &protected)
            .iter()
            .map(|t| t.pid)
            .collect();
        assert_eq!(found, vec![11, 15, 13]);
        let known: HashSet<i32> = [11].into_iter().collect();
        let none = Protected::default();
        let found: Vec<i32> = descendants(&scan, &[10], &known, &none)
            .iter()
            .map(|t| t.pid)
            .collect();
        assert_eq!(found, vec![12, 15, 13, 14]);
        // PID 1 is never a descendant to kill.
        let found: Vec<i32> = descendants(&scan, &[0], &HashSet::new(), &none)
            .iter()
            .map(|t| t.pid)
            .collect();
        assert!(!found.contains(&1));
    }
}
