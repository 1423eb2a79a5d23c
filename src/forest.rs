//! The process forest of one scan (who is whose child) and the part of it a
//! selection keeps. Pure: it works on plain [`Process`] values, so every rule
//! here is unit tested on fixed families.
//!
//! Everything is iterative (no recursion over the tree): a chain of
//! thousands of nested processes must not overflow the stack.

use std::collections::{HashMap, HashSet};

use crate::proc::Process;

/// Every process of one scan, linked to its parent and children. Siblings
/// and roots are kept in the order they started: PIDs wrap around, start
/// times do not (ties, e.g. at boot, go to the lower PID).
#[derive(Debug)]
pub struct Forest {
    procs: Vec<Process>,
    parent: Vec<Option<usize>>,
    children: Vec<Vec<usize>>,
    roots: Vec<usize>,
    index: HashMap<i32, usize>,
}

/// What to draw: from which roots, which processes, and which are marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub roots: Vec<usize>,
    pub keep: Vec<bool>,
    pub matched: Vec<bool>,
    /// Matches are marked (a selector drew ancestors for context).
    pub marking: bool,
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }
}

impl Forest {
    pub fn new(procs: Vec<Process>) -> Forest {
        let index: HashMap<i32, usize> =
            procs.iter().enumerate().map(|(i, p)| (p.pid, i)).collect();
        let parent = procs
            .iter()
            .map(|p| {
                let ppid = p.ppid();
                if ppid > 0 && ppid != p.pid {
                    index.get(&ppid).copied()
                } else {
                    None
                }
            })
            .collect();
        let mut forest = Forest {
            children: vec![Vec::new(); procs.len()],
            roots: Vec::new(),
            procs,
            parent,
            index,
        };
        forest.link();
        forest
    }

    /// Fill in children and roots from the parent links. A scan reads
    /// processes one after another, so it can see a loop (a PID reused by a
    /// child of the process that held it): each loop is cut at its
    /// earliest-started member, which becomes a root, so every process hangs
    /// from exactly one root.
    fn link(&mut self) {
        for (i, parent) in self.parent.iter().enumerate() {
            match parent {
                Some(p) => self.children[*p].push(i),
                None => self.roots.push(i),
            }
        }
        let mut reached = vec![false; self.procs.len()];
        let roots = self.roots.clone();
        for root in roots {
            self.reach(root, &mut reached);
        }
        while let Some(cut) = (0..self.procs.len())
            .filter(|&i| !reached[i])
            .min_by_key(|&i| self.order_key(i))
        {
            if let Some(p) = self.parent[cut].take() {
                self.children[p].retain(|&c| c != cut);
            }
            self.roots.push(cut);
            self.reach(cut, &mut reached);
        }
        let procs = &self.procs;
        let key = |i: &usize| procs[*i].start_key();
        self.roots.sort_by_key(key);
        for kids in &mut self.children {
            kids.sort_by_key(key);
        }
    }

    fn reach(&self, from: usize, reached: &mut [bool]) {
        let mut stack = vec![from];
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut reached[i], true) {
                stack.extend(&self.children[i]);
            }
        }
    }

    fn order_key(&self, i: usize) -> (u64, i32) {
        self.procs[i].start_key()
    }

    pub fn len(&self) -> usize {
        self.procs.len()
    }

    pub fn process(&self, i: usize) -> &Process {
        &self.procs[i]
    }

    pub fn find(&self, pid: i32) -> Option<usize> {
        self.index.get(&pid).copied()
    }

    /// The roots of the whole forest, in start order.
    pub fn roots(&self) -> &[usize] {
        &self.roots
    }

    /// `i` and everything below it, parents before children.
    pub fn subtree(&self, i: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![i];
        while let Some(n) = stack.pop() {
            out.push(n);
            stack.extend(self.children[n].iter().rev());
        }
        out
    }

    /// The processes with these PIDs that exist, in the order given, each
    /// once, leaving out any that lies inside the subtree of another (it
    /// would be drawn twice).
    pub fn subtree_roots(&self, pids: &[i32]) -> Vec<usize> {
        let mut found: Vec<usize> = Vec::new();
        for i in pids.iter().filter_map(|&pid| self.find(pid)) {
            if !found.contains(&i) {
                found.push(i);
            }
        }
        let given: HashSet<usize> = found.iter().copied().collect();
        found
            .into_iter()
            .filter(|&i| {
                let mut up = self.parent[i];
                while let Some(p) = up {
                    if given.contains(&p) {
                        return false;
                    }
                    up = self.parent[p];
                }
                true
            })
            .collect()
    }

    /// Draw the whole forest.
    pub fn everything(&self) -> Selection {
        Selection {
            roots: self.roots.clone(),
            keep: vec![true; self.len()],
            matched: vec![false; self.len()],
            marking: false,
        }
    }

    /// Draw the subtrees of `roots`, unmarked.
    pub fn subtrees(&self, roots: Vec<usize>) -> Selection {
        let mut keep = vec![false; self.len()];
        for &r in &roots {
            for i in self.subtree(r) {
                keep[i] = true;
            }
        }
        Selection {
            roots,
            keep,
            matched: vec![false; self.len()],
            marking: false,
        }
    }

    /// Draw `matches` (marked) with their ancestors up to one of `scope`
    /// (which must hold every match in its subtrees), and with their
    /// descendants when asked.
    pub fn branches(&self, scope: &[usize], matches: &[usize], descendants: bool) -> Selection {
        let mut keep = vec![false; self.len()];
        let mut matched = vec![false; self.len()];
        let mut is_scope = vec![false; self.len()];
        for &s in scope {
            is_scope[s] = true;
        }
        for &m in matches {
            matched[m] = true;
            if descendants {
                for i in self.subtree(m) {
                    keep[i] = true;
                }
            }
            // Walk up until a scope root, or a process kept already (its
            // own ancestors are kept then too).
            let mut at = m;
            loop {
                let seen = std::mem::replace(&mut keep[at], true);
                if is_scope[at] || (seen && at != m) {
                    break;
                }
                match self.parent[at] {
                    Some(p) => at = p,
                    None => break,
                }
            }
        }
        Selection {
            roots: scope.iter().copied().filter(|&s| keep[s]).collect(),
            keep,
            matched,
            marking: true,
        }
    }

    /// The children of `i`, in start order.
    pub fn children(&self, i: usize) -> &[usize] {
        &self.children[i]
    }

    /// The processes, by index, for a caller that keeps the links it needs.
    pub fn into_processes(self) -> Vec<Process> {
        self.procs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proc::Stat;

    fn process(pid: i32, ppid: i32, name: &str, start: u64) -> Process {
        Process {
            pid,
            stat: Stat {
                name: name.as_bytes().to_vec(),
                state: b'S',
                ppid,
                start_ticks: start,
                ..Stat::default()
            },
            ..Process::default()
        }
    }

    /// init(1) -> sh(10) -> {a(20) -> x(21), b(30)}; kthreadd(2) -> kw(3).
    /// PID 30 started before 20 (the PIDs wrapped).
    fn family() -> Forest {
        Forest::new(vec![
            process(1, 0, "init", 0),
            process(2, 0, "kthreadd", 0),
            process(3, 2, "kw", 1),
            process(10, 1, "sh", 5),
            process(20, 10, "a", 9),
            process(21, 20, "x", 10),
            process(30, 10, "b", 7),
        ])
    }

    fn pids(f: &Forest, idx: &[usize]) -> Vec<i32> {
        idx.iter().map(|&i| f.process(i).pid).collect()
    }

    /// What a selection draws, as (pid, [child pids]) in drawing order.
    fn shape(f: &Forest, sel: &Selection) -> Vec<(i32, Vec<i32>)> {
        let mut out = Vec::new();
        let mut stack: Vec<usize> = sel.roots.iter().rev().copied().collect();
        while let Some(i) = stack.pop() {
            let kids: Vec<usize> = f
                .children(i)
                .iter()
                .copied()
                .filter(|&c| sel.keep[c])
                .collect();
            out.push((f.process(i).pid, pids(f, &kids)));
            stack.extend(kids.iter().rev());
        }
        out
    }

    #[test]
    fn links_in_start_order() {
        let f = family();
        assert_eq!(pids(&f, f.roots()), vec![1, 2]);
        let sh = f.find(10).unwrap_or_default();
        assert_eq!(pids(&f, &f.subtree(sh)), vec![10, 30, 20, 21]);
        let sel = f.everything();
        assert_eq!(
            shape(&f, &sel),
            vec![
                (1, vec![10]),
                (10, vec![30, 20]),
                (30, vec![]),
                (20, vec![21]),
                (21, vec![]),
                (2, vec![3]),
                (3, vec![]),
            ]
        );
        assert!(!sel.marking);
    }

    #[test]
    fn orphans_of_an_unseen_parent_are_roots() {
        // PID 7's parent is outside the snapshot (another PID namespace).
        let f = Forest::new(vec![process(7, 99, "orphan", 3), process(8, 7, "kid", 4)]);
        assert_eq!(pids(&f, f.roots()), vec![7]);
    }

    #[test]
    fn loops_are_cut_at_the_earliest_start() {
        let f = Forest::new(vec![
            process(1, 0, "init", 0),
            process(5, 6, "p", 20),
            process(6, 5, "q", 10),
        ]);
        assert_eq!(pids(&f, f.roots()), vec![1, 6]);
        let q = f.find(6).unwrap_or_default();
        assert_eq!(pids(&f, &f.subtree(q)), vec![6, 5]);
    }

    #[test]
    fn subtree_roots_drop_missing_duplicate_and_nested() {
        let f = family();
        assert_eq!(
            pids(&f, &f.subtree_roots(&[20, 999, 10, 21, 20, 3])),
            vec![10, 3]
        );
        let sel = f.subtrees(f.subtree_roots(&[20]));
        assert_eq!(shape(&f, &sel), vec![(20, vec![21]), (21, vec![])]);
    }

    #[test]
    fn branches_keep_ancestors_and_mark_matches() {
        let f = family();
        let x = f.find(21).unwrap_or_default();
        let b = f.find(30).unwrap_or_default();
        let roots = f.roots().to_vec();
        let sel = f.branches(&roots, &[x, b], false);
        assert_eq!(
            shape(&f, &sel),
            vec![
                (1, vec![10]),
                (10, vec![30, 20]),
                (30, vec![]),
                (20, vec![21]),
                (21, vec![]),
            ]
        );
        let marked: Vec<i32> = (0..f.len())
            .filter(|&i| sel.matched[i])
            .map(|i| f.process(i).pid)
            .collect();
        assert_eq!(marked, vec![21, 30]);
        assert!(sel.marking);
    }

    #[test]
    fn branches_stop_at_the_scope_and_add_descendants() {
        let f = family();
        let sh = f.find(10).unwrap_or_default();
        let a = f.find(20).unwrap_or_default();
        let sel = f.branches(&[sh], &[a], true);
        assert_eq!(
            shape(&f, &sel),
            vec![(10, vec![20]), (20, vec![21]), (21, vec![])]
        );
        // a match that is its own scope root
        let f = family();
        let sh = f.find(10).unwrap_or_default();
        let sel = f.branches(&[sh], &[sh], false);
        assert_eq!(shape(&f, &sel), vec![(10, vec![])]);
        // nothing matched: nothing to draw
        let f = family();
        let sel = f.branches(f.roots(), &[], false);
        assert!(sel.is_empty());
    }
}
