//! One refresh of `top`: the system's figures (sysinfo) and the selected
//! processes (ptool's reader and selector), as plain data for the state and
//! the renderers.
//!
//! What each refresh reads: the `stat` of every process (state counts,
//! %CPU, the sort), `statm` and the owner only when a column, the sort or
//! a filter needs them, and the command line only when shown, sorted or
//! matched on. On the screen, a command line that only the COMMAND column
//! needs is read for the rows drawn ([`Snapshot::later`]), and for every
//! process only once a search asks. Command lines read for every process
//! are kept between refreshes for a process that has the same PID, start
//! time and name (htop does the same unless told to "update process names
//! on every refresh"): after the first refresh only new processes cost a
//! read of `cmdline`. `maps`/`smaps` are never read.
//!
//! Each process's `stat` and, while needed, its `statm` and its `/proc/PID`
//! directory (`O_PATH`) are kept open between refreshes: `stat` and `statm`
//! are read again with one `pread` each (open, read and close would cost
//! three calls), the owner with one `fstat` of the directory, which the
//! kernel answers from the process's credentials each time (an `fstat` of
//! the open `stat` would give the owner it had when opened). That is up to
//! three descriptors a process, as many as the limit on open files allows,
//! minus what actions need; the rest are read by path. What is held stays
//! with its process, so a reused PID is read afresh, never mistaken for
//! the old process; a file opened by path is believed only once `stat`,
//! read after it, shows that the process was there all along.
//! The held files are kept in PID order, as `/proc` lists them, and matched
//! to each listing in one merge, without hashing.
//!
//! What this leaves, measured with perf at 5,000 processes (top's columns,
//! `-b`): about 80% of the CPU time is the kernel's. Producing `stat` is
//! the largest part (about half: `do_task_stat`, and the cache misses on
//! each process's task, signal and memory structures, which top pays as
//! well), then `statm` and the `fstat` for the owner (about 12% each, most
//! of it the same cache misses: asking for the owner after `stat` halves
//! the `fstat` but moves the misses to `statm`), and listing `/proc` (10%).
//! The first refresh opens the files (about 5%).

use std::collections::HashMap;
use std::time::Instant;

use serde::Serialize;

use crate::columns::{Column, Context, CpuTicks, SortKey, sampled_cpu};
use crate::forest::Forest;
use crate::listing::{self, Listing};
use crate::output::{Out, Report};
use crate::proc::{HeldFile, Need, ProcDir, Process, Reader, System};
use crate::select::{Protected, Selector};

/// The system-wide figures of the header (the `system` object in JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Host {
    /// Busy percentage of each CPU since the last refresh (since boot on the
    /// first).
    pub cpus: Vec<f64>,
    /// All CPUs together, 0..100.
    pub cpu: f64,
    pub memory: Memory,
    pub swap: Swap,
    /// 1, 5 and 15 minute load averages.
    pub load: [f64; 3],
    /// Seconds since boot.
    pub uptime: u64,
    pub tasks: Tasks,
}

/// RAM in bytes: `used` is `total` minus `available`, as htop and
/// `psutil.virtual_memory()` count it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Memory {
    pub total: u64,
    pub used: u64,
    pub available: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Swap {
    pub total: u64,
    pub used: u64,
}

/// Processes by state, over every process (not only the selected ones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tasks {
    pub total: u64,
    pub running: u64,
    /// S and I (idle kernel threads).
    pub sleeping: u64,
    pub disk_wait: u64,
    /// T and t (traced).
    pub stopped: u64,
    pub zombie: u64,
    /// Threads of every process together.
    pub threads: u64,
}

impl Tasks {
    fn count(procs: &[Process]) -> Tasks {
        let mut t = Tasks::default();
        for p in procs {
            t.total += 1;
            t.threads += u64::try_from(p.stat.threads).unwrap_or(0);
            match p.stat.state {
                b'R' => t.running += 1,
                b'S' | b'I' => t.sleeping += 1,
                b'D' => t.disk_wait += 1,
                b'T' | b't' => t.stopped += 1,
                b'Z' => t.zombie += 1,
                _ => {}
            }
        }
        t
    }
}

/// One refresh: the header's figures and the table, each row with the
/// process it shows (`procs[i]` is `listing.rows[i - rows_from]`), for
/// actions and the search. The screen computes the rows it shows only
/// ([`Gatherer::rows`]); scripts get them all.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Unix seconds.
    pub time: f64,
    /// The same moment in the local time zone, for the text header.
    pub local: Option<crate::sys::time::LocalTime>,
    pub host: Host,
    pub listing: Listing,
    /// The index in `procs` of the first row in `listing`.
    pub rows_from: usize,
    pub procs: Vec<Process>,
    /// In the tree view, the lines drawn before each row's command.
    pub prefixes: Vec<String>,
    /// %CPU was measured over an interval (false on the first refresh,
    /// which shows the average since each process started).
    pub measured: bool,
    /// What is read only for the rows computed ([`Gatherer::rows`]), or
    /// for every process once a search asks ([`Gatherer::complete`]): the
    /// command line, `exe` and `cwd`, when only the columns shown need them.
    pub later: Need,
}

impl Snapshot {
    pub fn empty(columns: &[Column]) -> Snapshot {
        Snapshot {
            time: 0.0,
            local: None,
            host: Host::default(),
            listing: Listing {
                columns: columns.to_vec(),
                rows: Vec::new(),
            },
            rows_from: 0,
            procs: Vec::new(),
            prefixes: Vec::new(),
            measured: false,
            later: Need::STAT,
        }
    }

    /// The row showing `procs[i]`, when it was computed.
    pub fn row(&self, i: usize) -> Option<&listing::Row> {
        self.listing.rows.get(i.checked_sub(self.rows_from)?)
    }

    /// Drop the rows (keeping the header), before the next refresh.
    pub fn clear(&mut self) {
        self.listing.rows = Vec::new();
        self.procs = Vec::new();
        self.prefixes = Vec::new();
    }

    /// The JSON Lines record of this refresh, with its text form.
    pub fn refresh(&self) -> Refresh<'_> {
        Refresh {
            time: (self.time * 1000.0).round() / 1000.0,
            system: &self.host,
            processes: &self.listing,
            snapshot: self,
        }
    }
}

/// One refresh as `--batch` and `--json` print it: the JSON Lines record
/// (Unix seconds to the millisecond, the system, the processes), or the
/// text of [`super::render::batch`].
#[derive(Debug, Serialize)]
pub struct Refresh<'a> {
    time: f64,
    system: &'a Host,
    processes: &'a Listing,
    #[serde(skip)]
    snapshot: &'a Snapshot,
}

impl Report for Refresh<'_> {
    fn render<W: std::io::Write>(&self, out: &Out, w: &mut W) -> std::io::Result<()> {
        super::render::batch(w, self.snapshot, out)
    }

    fn json<W: std::io::Write>(&self, _out: &Out, w: &mut W) -> std::io::Result<()> {
        crate::output::json::write_line(w, self)
    }
}

/// What to show: the same for every refresh until a key changes it.
#[derive(Debug, Clone)]
pub struct View {
    /// The selector flags: the starting filter.
    pub selector: Selector,
    /// The filter typed with `\`, on top of the selector.
    pub filter: Option<Selector>,
    pub columns: Vec<Column>,
    pub sort: Vec<SortKey>,
    pub tree: bool,
    pub threads: bool,
}

impl View {
    /// What must be read for every process listed, and what only for
    /// the rows shown (the command line, `exe` and `cwd` that only the
    /// columns need), unless `all_rows` are shown.
    fn need(&self, all_rows: bool) -> (Need, Need) {
        let mut need = self.selector.need();
        if let Some(filter) = &self.filter {
            need |= filter.need();
        }
        for k in &self.sort {
            need |= k.column.need();
        }
        let mut shown = Need::STAT;
        for c in &self.columns {
            shown |= c.need();
        }
        if all_rows {
            return (need | shown, Need::STAT);
        }
        let later = Need {
            cmdline: shown.cmdline && !need.cmdline,
            exe: shown.exe && !need.exe,
            cwd: shown.cwd && !need.cwd,
            ..Need::STAT
        };
        let now = Need {
            cmdline: need.cmdline,
            exe: need.exe,
            cwd: need.cwd,
            ..(need | shown)
        };
        (now, later)
    }

    fn matches(&self, p: &Process, sys: &System, protected: &Protected) -> bool {
        self.selector.accepts(p, sys, protected)
            && self.filter.as_ref().is_none_or(|f| f.matches(p, sys))
    }
}

/// Command lines by (pid, tid, start time).
type Commands = HashMap<(i32, Option<i32>, u64), Known>;

/// A command line read before.
#[derive(Debug)]
struct Known {
    /// A hash of the name it was read under: a new name means the process
    /// ran exec. (A hash, not the name: one allocation less per process.)
    name: u64,
    cmdline: Vec<u8>,
    /// The refresh it was last seen in.
    seen: u64,
}

/// The files of one process held open between refreshes: `stat` always,
/// `statm` and the directory (for the owner) while the view needs them.
#[derive(Debug)]
struct Tracked {
    pid: i32,
    stat: HeldFile,
    statm: Option<HeldFile>,
    /// `/proc/PID` (`O_PATH`), whose `fstat` tells the owner.
    dir: Option<ProcDir>,
}

impl Tracked {
    /// The descriptors it holds.
    fn descriptors(&self) -> usize {
        1 + usize::from(self.statm.is_some()) + usize::from(self.dir.is_some())
    }
}

/// Reads refresh after refresh, keeping what the next one needs: the CPU
/// ticks seen (for %CPU), command lines, user names, sysinfo's counters.
#[derive(Debug)]
pub struct Gatherer {
    reader: Reader,
    ctx: Context,
    host: sysinfo::System,
    protected: Protected,
    before: Option<(CpuTicks, Instant)>,
    commands: Commands,
    /// Counts refreshes, to tell which command lines were seen last.
    generation: u64,
    /// The files of each process seen, held open, by ascending PID.
    tracked: Vec<Tracked>,
    /// How many descriptors to hold open at most.
    max_open: usize,
}

impl Gatherer {
    pub fn new() -> std::io::Result<Gatherer> {
        // Every refresh frees one list of processes and builds the next.
        crate::sys::return_freed_memory();
        let mut reader = Reader::new()?;
        let protected = Protected::current(&mut reader);
        // sysinfo measures CPU use between two readings: this is the first.
        let mut host = sysinfo::System::new();
        host.refresh_cpu_usage();
        // Up to three descriptors a process, and room left for actions (a
        // pin and a pidfd for each target) and the detail pane.
        const KEEP_FREE: u64 = 512;
        let limit = crate::sys::raise_open_files(1 << 20).unwrap_or(1024);
        Ok(Gatherer {
            reader,
            ctx: Context::new(System::read()),
            tracked: Vec::new(),
            generation: 0,
            max_open: usize::try_from(limit.saturating_sub(KEEP_FREE)).unwrap_or(0),
            host,
            protected,
            before: None,
            commands: HashMap::new(),
        })
    }

    pub fn reader(&mut self) -> &mut Reader {
        &mut self.reader
    }

    /// Read the system and the processes `view` shows; with `all_rows`,
    /// compute every row's values (for scripts), else none yet.
    pub fn refresh(&mut self, view: &View, all_rows: bool) -> std::io::Result<Snapshot> {
        let host = self.host();
        let sys = System::read();
        // The interval %CPU divides by runs from this scan's start to the
        // next one's, the moment `time` reports: each process is read at
        // about the same offset into every scan, however slow the scan is
        // on a loaded machine, so the two clocks tell the same interval.
        let now = Instant::now();
        let (need, later) = view.need(all_rows);
        let scan_need = Need {
            cmdline: false,
            exe: false,
            cwd: false,
            ..need
        };
        let mut procs = self.scan(scan_need)?;
        let tasks = Tasks::count(&procs);
        if view.threads {
            procs = procs
                .iter()
                .flat_map(|p| self.reader.threads(p.pid, scan_need))
                .collect();
        }
        self.fill(&mut procs, need, true);
        let measured = self.before.as_ref().is_some_and(|(_, at)| *at < now);
        // Each map goes before the next is built: two of each for
        // thousands of processes need not be held at once.
        self.ctx.sampled_cpu = None;
        self.ctx.sampled_cpu = match self.before.take() {
            Some((before, at)) if measured => Some(sampled_cpu(
                &before,
                &procs,
                &sys,
                now.duration_since(at).as_secs_f64(),
            )),
            _ => None,
        };
        let ticks: CpuTicks = procs
            .iter()
            .map(|p| ((p.pid, p.tid), (p.stat.cpu_ticks(), p.stat.start_ticks)))
            .collect();
        self.before = Some((ticks, now));
        self.ctx.sys = sys;

        let chosen: Vec<Process> = procs
            .into_iter()
            .filter(|p| view.matches(p, &sys, &self.protected))
            .collect();
        let chosen = view.selector.pick(chosen);
        let (procs, prefixes) = if view.tree {
            tree_order(chosen)
        } else {
            (self.sorted(chosen, &view.sort), Vec::new())
        };
        let shown: &[Process] = if all_rows { &procs } else { &[] };
        let listing = listing::gather(shown, &view.columns, &[], None, &mut self.ctx);
        Ok(Snapshot {
            time: sys.now,
            local: crate::sys::time::local(sys.now as i64),
            host: Host { tasks, ..host },
            listing,
            rows_from: 0,
            procs,
            prefixes,
            measured,
            later,
        })
    }

    /// Every process, with what `need` asks for (no command line, `exe`
    /// or `cwd`: see [`Gatherer::fill`]), `stat`, `statm` and the owner
    /// read through the descriptors held open.
    fn scan(&mut self, need: Need) -> std::io::Result<Vec<Process>> {
        let pids = self.reader.pids()?;
        // Both in ascending PID order: the files held open are matched to
        // the PIDs listed by walking the two lists side by side.
        let held = std::mem::take(&mut self.tracked);
        // Descriptors held now: those kept so far and those still to match.
        let mut open: usize = held.iter().map(Tracked::descriptors).sum();
        let mut kept = Vec::with_capacity(pids.len().min(self.max_open));
        let mut held = held.into_iter().peekable();
        let mut procs = Vec::with_capacity(pids.len());
        let rest = Need {
            owner: false,
            cmdline: false,
            exe: false,
            cwd: false,
            ..need
        };
        for pid in pids {
            // Files of PIDs no longer listed: their processes ended.
            while let Some(gone) = held.next_if(|t| t.pid < pid) {
                open -= gone.descriptors();
            }
            let mut read = None;
            let mut tracking = false;
            if let Some(mut t) = held.next_if(|t| t.pid == pid) {
                open -= t.descriptors();
                // None when its process is gone (and the PID perhaps
                // reused): its files close, and the PID is read afresh.
                if let Some(p) = self.read_tracked(&mut t, need, self.max_open.saturating_sub(open))
                {
                    open += t.descriptors();
                    kept.push(t);
                    read = Some(p);
                    tracking = true;
                }
            }
            if read.is_none()
                && open < self.max_open
                && let Ok(stat) = self.reader.hold(pid, "stat")
            {
                let mut t = Tracked {
                    pid,
                    stat,
                    statm: None,
                    dir: None,
                };
                read = self.read_tracked(&mut t, need, self.max_open.saturating_sub(open));
                if read.is_some() {
                    open += t.descriptors();
                    kept.push(t);
                }
                tracking = true;
            }
            let read = match read {
                Some(p) => Some(p),
                None if !tracking => self.reader.read(
                    pid,
                    Need {
                        owner: need.owner,
                        ..Need::STAT
                    },
                ),
                None => None,
            };
            let Some(mut p) = read else { continue };
            let rest = Need {
                statm: rest.statm && p.statm.is_none(),
                ..rest
            };
            if rest != Need::STAT && !self.reader.fill(&mut p, rest) {
                continue;
            }
            procs.push(p);
        }
        // Dropping the rest closes the files of processes that ended.
        self.tracked = kept;
        Ok(procs)
    }

    /// The process behind `t`'s files, with the owner (by `fstat` of the
    /// held directory, which asks the process for its credentials each
    /// time) and `statm` when `need` asks; None once it is gone. Files the
    /// view needs and `t` lacks are opened first, as far as `room`
    /// descriptors allow (the rest are read by path), and those it no
    /// longer needs are closed. `stat` is read last: that it still reads
    /// shows the process was there all along, so whatever was opened by
    /// path before is its own, not a later process's with the same PID.
    fn read_tracked(&mut self, t: &mut Tracked, need: Need, room: usize) -> Option<Process> {
        if !need.owner {
            t.dir = None;
        }
        if !need.statm {
            t.statm = None;
        }
        let mut room = room.saturating_sub(t.descriptors());
        if need.owner && t.dir.is_none() && room > 0 {
            t.dir = self.reader.pin(t.pid).ok();
            room -= usize::from(t.dir.is_some());
        }
        if need.statm && t.statm.is_none() && room > 0 {
            t.statm = match &t.dir {
                Some(dir) => dir.hold("statm"),
                None => self.reader.hold(t.pid, "statm"),
            }
            .ok();
        }
        // By path, the owner must be read before `stat` vouches for it.
        let by_path = match (&t.dir, need.owner) {
            (None, true) => Some(self.reader.owner(t.pid).ok()?),
            _ => None,
        };
        let mut p = self.reader.read_held(t.pid, &t.stat)?;
        // The held directory is the process's own, whenever it is asked;
        // asked after `stat`, which brought the process's task, credentials
        // and memory map into the CPU's cache: half the cost of before.
        p.owner = match &t.dir {
            Some(dir) if need.owner => Some(dir.owner().ok()?),
            _ => by_path,
        };
        if let Some(statm) = &t.statm {
            p.statm = self.reader.statm_held(statm).ok()?;
        }
        Some(p)
    }

    /// Compute the rows `range` of `snapshot` (what the screen shows),
    /// unless they are there already.
    pub fn rows(&mut self, snapshot: &mut Snapshot, range: std::ops::Range<usize>) {
        let end = range.end.min(snapshot.procs.len());
        let start = range.start.min(end);
        let have = snapshot.rows_from..snapshot.rows_from + snapshot.listing.rows.len();
        if have.start <= start && end <= have.end {
            return;
        }
        if snapshot.later != Need::STAT {
            for p in &mut snapshot.procs[start..end] {
                // One that ended meanwhile shows what was read.
                self.reader.fill(p, snapshot.later);
            }
        }
        let listing = listing::gather(
            &snapshot.procs[start..end],
            &snapshot.listing.columns,
            &[],
            None,
            &mut self.ctx,
        );
        snapshot.listing.rows = listing.rows;
        snapshot.rows_from = start;
    }

    /// Read what was left for the rows shown ([`Snapshot::later`]) for
    /// every process: a search matches command lines off the screen too.
    pub fn complete(&mut self, snapshot: &mut Snapshot) {
        if snapshot.later == Need::STAT {
            return;
        }
        let later = std::mem::replace(&mut snapshot.later, Need::STAT);
        let mut procs = std::mem::take(&mut snapshot.procs);
        self.fill(&mut procs, later, false);
        snapshot.procs = procs;
    }

    fn host(&mut self) -> Host {
        self.host.refresh_cpu_usage();
        self.host.refresh_memory();
        let round = |v: f32| (f64::from(v) * 10.0).round() / 10.0;
        let load = sysinfo::System::load_average();
        let total = self.host.total_memory();
        let available = self.host.available_memory();
        Host {
            cpus: self
                .host
                .cpus()
                .iter()
                .map(|c| round(c.cpu_usage()))
                .collect(),
            cpu: round(self.host.global_cpu_usage()),
            memory: Memory {
                total,
                used: total.saturating_sub(available),
                available,
            },
            swap: Swap {
                total: self.host.total_swap(),
                used: self.host.used_swap(),
            },
            load: [load.one, load.five, load.fifteen],
            uptime: sysinfo::System::uptime(),
            tasks: Tasks::default(),
        }
    }

    /// Read the command lines (from the cache where it has them), `exe` and
    /// `cwd` that `need` asks for; with `drop_gone`, drop processes that
    /// vanished meanwhile (else they keep what was read).
    fn fill(&mut self, procs: &mut Vec<Process>, need: Need, drop_gone: bool) {
        let rest = Need {
            owner: false,
            status: false,
            cmdline: false,
            ..need
        };
        self.generation = self.generation.wrapping_add(1);
        let generation = self.generation;
        let reader = &mut self.reader;
        let cache = &mut self.commands;
        let mut read = |p: &mut Process| -> bool {
            if need.cmdline {
                let key = (p.pid, p.tid, p.stat.start_ticks);
                match cache.get_mut(&key) {
                    // A zombie has no command line any more: read it (empty).
                    Some(known) if known.name == name_hash(&p.stat.name) && !p.is_zombie() => {
                        known.seen = generation;
                        p.cmdline = Some(known.cmdline.clone());
                    }
                    _ => {
                        if !reader.fill(p, Need::CMDLINE) {
                            return false;
                        }
                        if let Some(cmdline) = &p.cmdline {
                            let known = Known {
                                name: name_hash(&p.stat.name),
                                cmdline: cmdline.clone(),
                                seen: generation,
                            };
                            cache.insert(key, known);
                        }
                    }
                }
            }
            rest == Need::STAT || reader.fill(p, rest)
        };
        procs.retain_mut(|p| read(p) || !drop_gone);
        // Forget the processes that have ended.
        if need.cmdline {
            cache.retain(|_, known| known.seen == generation);
        }
    }

    fn sorted(&mut self, procs: Vec<Process>, sort: &[SortKey]) -> Vec<Process> {
        if sort.is_empty() {
            return procs;
        }
        // The keys in one flat list and the order as indices, so that the
        // processes are moved once and never held twice.
        let n = sort.len();
        let mut keys = Vec::with_capacity(procs.len() * n);
        for p in &procs {
            for k in sort {
                keys.push(self.ctx.value(k.column, p));
            }
        }
        let mut order: Vec<usize> = (0..procs.len()).collect();
        // Stable: ties keep PID order.
        order.sort_by(|&a, &b| {
            listing::compare(sort, &keys[a * n..a * n + n], &keys[b * n..b * n + n])
        });
        drop(keys);
        let mut procs = procs;
        // In place, cycle by cycle: `order[i]` is the process that goes to
        // `i`; a slot done points to itself.
        for start in 0..order.len() {
            let mut at = start;
            loop {
                let from = order[at];
                order[at] = at;
                if from == start || from == at {
                    break;
                }
                procs.swap(at, from);
                at = from;
            }
        }
        procs
    }
}

fn name_hash(name: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    name.hash(&mut h);
    h.finish()
}

/// The processes in tree order (each parent before its children, siblings
/// in start order, as `ptool tree` draws them, without compaction) with
/// the lines to draw before each. Threads (in the thread view) follow
/// their process as its children.
pub fn tree_order(procs: Vec<Process>) -> (Vec<Process>, Vec<String>) {
    let (mains, mut threads): (Vec<Process>, Vec<Process>) = procs
        .into_iter()
        .partition(|p| p.tid.is_none_or(|tid| tid == p.pid));
    let mut by_pid: HashMap<i32, Vec<Process>> = HashMap::new();
    for t in threads.drain(..) {
        by_pid.entry(t.pid).or_default().push(t);
    }
    let forest = Forest::new(mains);
    // Depth-first, with for each level whether more siblings follow.
    let mut order: Vec<(usize, Vec<bool>)> = Vec::with_capacity(forest.len());
    let mut stack: Vec<(usize, Vec<bool>)> = Vec::new();
    let roots = forest.roots();
    for (k, &r) in roots.iter().enumerate().rev() {
        stack.push((r, vec![k + 1 < roots.len()]));
    }
    while let Some((i, more)) = stack.pop() {
        let kids = forest.children(i);
        for (k, &c) in kids.iter().enumerate().rev() {
            let mut m = more.clone();
            m.push(k + 1 < kids.len());
            stack.push((c, m));
        }
        order.push((i, more));
    }
    let mut slots: Vec<Option<Process>> = forest.into_processes().into_iter().map(Some).collect();
    let mut procs = Vec::with_capacity(order.len());
    let mut prefixes = Vec::with_capacity(order.len());
    for (i, more) in order {
        let Some(p) = slots[i].take() else { continue };
        let threads = by_pid.remove(&p.pid).unwrap_or_default();
        prefixes.push(prefix(&more, false));
        let pid = p.pid;
        procs.push(p);
        let extra: Vec<Process> = threads.into_iter().filter(|t| t.tid != Some(pid)).collect();
        let n = extra.len();
        for (k, t) in extra.into_iter().enumerate() {
            let mut m = more.clone();
            m.push(k + 1 < n);
            prefixes.push(prefix(&m, true));
            procs.push(t);
        }
    }
    (procs, prefixes)
}

/// `│  ├─ ` and the like: a column for each ancestor level (a bar while it
/// has more children to come), then this row's own branch. Roots have none.
fn prefix(more: &[bool], thread: bool) -> String {
    let Some((own, above)) = more.split_last() else {
        return String::new();
    };
    if above.is_empty() {
        return String::new();
    }
    let mut s = String::new();
    for &m in &above[1..] {
        s.push_str(if m { "│  " } else { "   " });
    }
    s.push_str(if *own { "├─" } else { "└─" });
    s.push_str(if thread { "{" } else { " " });
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proc::Stat;

    fn process(pid: i32, ppid: i32, start: u64) -> Process {
        Process {
            pid,
            stat: Stat {
                name: format!("p{pid}").into_bytes(),
                state: b'S',
                ppid,
                start_ticks: start,
                threads: 1,
                ..Stat::default()
            },
            ..Process::default()
        }
    }

    #[test]
    fn tree_order_draws_branches() {
        let procs = vec![
            process(1, 0, 0),
            process(10, 1, 1),
            process(11, 10, 2),
            process(12, 10, 3),
            process(20, 1, 4),
        ];
        let (procs, prefixes) = tree_order(procs);
        let pids: Vec<i32> = procs.iter().map(|p| p.pid).collect();
        assert_eq!(pids, [1, 10, 11, 12, 20]);
        assert_eq!(prefixes, ["", "├─ ", "│  ├─ ", "│  └─ ", "└─ "]);
    }

    #[test]
    fn tasks_count_states() {
        let mut procs = vec![process(1, 0, 0), process(2, 0, 0), process(3, 0, 0)];
        procs[1].stat.state = b'R';
        procs[2].stat.state = b'Z';
        let t = Tasks::count(&procs);
        assert_eq!(
            (t.total, t.running, t.sleeping, t.zombie, t.threads),
            (3, 1, 1, 1, 3)
        );
    }
}
