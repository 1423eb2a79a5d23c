//! What the screen shows and where the user is in it: the latest snapshot,
//! the cursor, marks, the mode (help, a prompt, a confirmation, a menu) and
//! the status line. Keys change it through [`App`]'s methods, which return
//! the [`Action`] the loop must carry out on the system; nothing here reads
//! or changes the system, so every rule is unit tested.

use std::collections::HashSet;
use std::time::Duration;

use crate::columns::{Column, SortKey};
use crate::proc::{Process, System};
use crate::select::Selector;
use crate::signal::Signal;

use super::gather::{Snapshot, View};

/// A process as it was on the screen: PID, thread, and start time, which
/// together say which process was meant even if the PID is reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pick {
    pub pid: i32,
    pub tid: Option<i32>,
    pub start_ticks: u64,
}

impl Pick {
    pub fn of(p: &Process) -> Pick {
        Pick {
            pid: p.pid,
            tid: p.tid,
            start_ticks: p.stat.start_ticks,
        }
    }
}

/// What the keyboard is talking to.
#[derive(Debug, Clone)]
pub enum Mode {
    Normal,
    /// The key list; the number is how far it is scrolled.
    Help(usize),
    /// Typing a filter (`\`): rows must match it.
    Filter(String),
    /// Typing a search (`/`): the cursor jumps to the next match.
    Search(String),
    /// `k` asked to end these processes: `y` goes ahead.
    ConfirmKill(Vec<Process>),
    /// `s`: choosing a signal from the list for these processes.
    Signals {
        index: usize,
        procs: Vec<Process>,
    },
}

/// What the loop must do after a key.
#[derive(Debug, Clone)]
pub enum Action {
    None,
    /// The view changed (sort, filter, tree, threads): gather again now.
    Refresh,
    /// TERM, grace, KILL, as `ptool kill`.
    Kill(Vec<Process>),
    Signal(Signal, Vec<Process>),
    /// Change niceness by this much.
    Renice(i32, Vec<Process>),
    /// Open or refresh the detail pane on this process.
    Detail(Box<Process>),
    Quit,
}

/// The detail pane: the `info` page of one process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub pick: Pick,
    pub lines: Vec<String>,
    pub scroll: usize,
}

#[derive(Debug, Clone)]
pub struct App {
    pub view: View,
    pub snapshot: Snapshot,
    pub cursor: usize,
    /// The first row shown.
    pub offset: usize,
    /// How many rows fit, as of the last draw.
    pub page: usize,
    /// The process under the cursor, kept across refreshes.
    pub selected: Option<Pick>,
    /// `F`: the cursor stays on the selected process wherever it moves.
    pub follow: bool,
    pub marked: HashSet<Pick>,
    pub paused: bool,
    pub filter_text: String,
    pub search_text: String,
    pub mode: Mode,
    pub status: String,
    pub detail: Option<Detail>,
    pub grace: Duration,
}

/// The signals offered by `s`: every signal, by number.
pub fn signal_menu() -> Vec<Signal> {
    Signal::all().collect()
}

/// Parse a `/` or `\` pattern: words `user:NAME` (`u:`), `state:RS`
/// (`s:`), `pid:N`, `name:REGEX` (`n:`), and the rest a regex on the whole
/// command line, case-insensitive, as `ptool ls -i -f` would match it.
pub fn parse_pattern(text: &str) -> anyhow::Result<Selector> {
    let mut selector = Selector::default();
    let mut free: Vec<&str> = Vec::new();
    for word in text.split_whitespace() {
        let (key, value) = word.split_once(':').unwrap_or(("", word));
        match key {
            "user" | "u" => {
                let uid = crate::sys::users::resolve_user(value).ok_or_else(|| {
                    crate::exit::usage(format!(
                        "no such user '{}'",
                        crate::output::sanitize::escape_str(value)
                    ))
                })?;
                selector.users.push(uid);
            }
            "state" | "s" => selector.states.extend(Selector::parse_states(value)?),
            "pid" | "p" => {
                let pid = value.parse::<i32>().map_err(|_| {
                    crate::exit::usage(format!(
                        "'{}' is not a PID",
                        crate::output::sanitize::escape_str(value)
                    ))
                })?;
                selector.pids.push(pid);
            }
            "name" | "n" => selector.name = Some(Selector::pattern(value, false, true)?),
            _ => free.push(word),
        }
    }
    if !free.is_empty() {
        selector.full = Some(Selector::pattern(&free.join(" "), false, true)?);
    }
    Ok(selector)
}

impl App {
    pub fn new(view: View, grace: Duration) -> App {
        let snapshot = Snapshot::empty(&view.columns);
        App {
            view,
            snapshot,
            cursor: 0,
            offset: 0,
            page: 1,
            selected: None,
            follow: false,
            marked: HashSet::new(),
            paused: false,
            filter_text: String::new(),
            search_text: String::new(),
            mode: Mode::Normal,
            status: String::new(),
            detail: None,
            grace,
        }
    }

    pub fn rows(&self) -> usize {
        self.snapshot.procs.len()
    }

    /// Take a new snapshot: the cursor stays on the process it was on when
    /// following (`F`) or in the tree, otherwise on the same line.
    pub fn update(&mut self, snapshot: Snapshot) {
        self.snapshot = snapshot;
        let found = self
            .selected
            .and_then(|s| self.snapshot.procs.iter().position(|p| Pick::of(p) == s));
        match found {
            Some(i) if self.follow || self.view.tree => self.cursor = i,
            None if self.follow => {
                if let Some(s) = self.selected {
                    self.status = format!("PID {} has ended: no longer following", s.pid);
                }
                self.follow = false;
            }
            _ => {}
        }
        // Marks on processes that have ended go.
        let live: HashSet<(i32, u64)> = self
            .snapshot
            .procs
            .iter()
            .map(|p| (p.pid, p.stat.start_ticks))
            .collect();
        self.marked
            .retain(|m| live.contains(&(m.pid, m.start_ticks)));
        self.clamp();
    }

    fn clamp(&mut self) {
        let n = self.rows();
        self.cursor = if n == 0 { 0 } else { self.cursor.min(n - 1) };
        self.selected = self.snapshot.procs.get(self.cursor).map(Pick::of);
        self.scroll_into_view();
    }

    /// Make the cursor's row visible in a table of `page` rows.
    pub fn scroll_into_view(&mut self) {
        let page = self.page.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + page {
            self.offset = self.cursor + 1 - page;
        }
        let n = self.rows();
        self.offset = self.offset.min(n.saturating_sub(page));
    }

    pub fn set_page(&mut self, page: usize) {
        self.page = page.max(1);
        self.scroll_into_view();
    }

    /// Move the cursor by `delta` rows (clamped).
    pub fn move_by(&mut self, delta: isize) {
        let n = self.rows();
        if n == 0 {
            return;
        }
        let to = self.cursor.saturating_add_signed(delta).min(n - 1);
        self.move_to(to);
    }

    pub fn move_to(&mut self, row: usize) {
        self.cursor = row;
        self.clamp();
    }

    pub fn current(&self) -> Option<&Process> {
        self.snapshot.procs.get(self.cursor)
    }

    /// The processes an action is for: the marked ones, or else the one
    /// under the cursor. In the thread view an action is for the process.
    pub fn targets(&self) -> Vec<Process> {
        let mut out: Vec<Process> = if self.marked.is_empty() {
            self.current().into_iter().cloned().collect()
        } else {
            self.snapshot
                .procs
                .iter()
                .filter(|p| self.marked.contains(&Pick::of(p)))
                .cloned()
                .collect()
        };
        let mut seen = HashSet::new();
        out.retain(|p| seen.insert(p.pid));
        out
    }

    pub fn toggle_mark(&mut self) {
        if let Some(p) = self.current() {
            let pick = Pick::of(p);
            if !self.marked.remove(&pick) {
                self.marked.insert(pick);
            }
            self.move_by(1);
        }
    }

    /// Sort by another column: `<` and `>` move the key along the columns
    /// shown, keeping the direction.
    pub fn shift_sort(&mut self, step: isize) {
        let columns = &self.view.columns;
        let current = self.view.sort.first().copied();
        let at = current
            .and_then(|k| columns.iter().position(|c| *c == k.column))
            .unwrap_or(0);
        let n = columns.len() as isize;
        let next = (at as isize + step).rem_euclid(n.max(1)) as usize;
        if let Some(&column) = columns.get(next) {
            self.sort_by(column, current.is_some_and(|k| k.descending));
        }
    }

    pub fn sort_by(&mut self, column: Column, descending: bool) {
        self.view.sort = vec![SortKey { column, descending }];
        self.view.tree = false;
        self.status = format!(
            "sorted by {} {}",
            column.key(),
            if descending {
                "descending"
            } else {
                "ascending"
            }
        );
    }

    pub fn invert_sort(&mut self) {
        if let Some(k) = self.view.sort.first().copied() {
            self.sort_by(k.column, !k.descending);
        }
    }

    /// Jump to the next row (after the cursor, wrapping) whose process
    /// matches `selector`.
    pub fn search(&mut self, selector: &Selector, sys: &System, from_next: bool) -> bool {
        let n = self.rows();
        let start = if from_next {
            self.cursor + 1
        } else {
            self.cursor
        };
        for k in 0..n {
            let i = (start + k) % n;
            if selector.matches(&self.snapshot.procs[i], sys) {
                self.move_to(i);
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::{Listing, Row};
    use crate::proc::Stat;

    pub fn process(pid: i32, cmd: &str) -> Process {
        Process {
            pid,
            stat: Stat {
                name: cmd.split(' ').next().unwrap_or("").as_bytes().to_vec(),
                state: b'S',
                ppid: 1,
                start_ticks: pid as u64 * 10,
                threads: 1,
                ..Stat::default()
            },
            cmdline: Some(cmd.replace(' ', "\0").into_bytes()),
            ..Process::default()
        }
    }

    fn app(pids: &[i32]) -> App {
        let view = View {
            selector: Selector::default(),
            filter: None,
            columns: vec![Column::Pid],
            sort: Vec::new(),
            tree: false,
            threads: false,
        };
        let mut app = App::new(view, Duration::from_secs(5));
        app.update(snapshot(pids));
        app
    }

    fn snapshot(pids: &[i32]) -> Snapshot {
        let mut s = Snapshot::empty(&[Column::Pid]);
        s.procs = pids
            .iter()
            .map(|&p| process(p, &format!("cmd{p} --x")))
            .collect();
        s.listing = Listing {
            columns: vec![Column::Pid],
            rows: pids
                .iter()
                .map(|&pid| Row {
                    pid,
                    tid: None,
                    values: vec![crate::output::value::Value::Int(pid.into())],
                })
                .collect(),
        };
        s
    }

    #[test]
    fn the_cursor_moves_within_the_rows_and_scrolls() {
        let mut a = app(&[1, 2, 3, 4, 5, 6]);
        a.set_page(3);
        a.move_by(4);
        assert_eq!((a.cursor, a.offset), (4, 2));
        a.move_by(100);
        assert_eq!(a.cursor, 5);
        a.move_by(-100);
        assert_eq!((a.cursor, a.offset), (0, 0));
        assert_eq!(a.selected.map(|s| s.pid), Some(1));
    }

    #[test]
    fn following_keeps_the_process_and_lets_go_when_it_ends() {
        let mut a = app(&[1, 2, 3]);
        a.move_to(1);
        a.follow = true;
        a.update(snapshot(&[3, 1, 2]));
        assert_eq!(a.current().map(|p| p.pid), Some(2));
        a.update(snapshot(&[3, 1]));
        assert!(!a.follow);
        assert!(a.status.contains("PID 2 has ended"), "{}", a.status);
        // Without following, the cursor stays on its line.
        let mut a = app(&[1, 2, 3]);
        a.move_to(1);
        a.update(snapshot(&[3, 1, 2]));
        assert_eq!(a.current().map(|p| p.pid), Some(1));
    }

    #[test]
    fn marks_choose_the_targets_and_go_with_their_process() {
        let mut a = app(&[1, 2, 3]);
        assert_eq!(a.targets().iter().map(|p| p.pid).collect::<Vec<_>>(), [1]);
        a.toggle_mark();
        a.toggle_mark();
        assert_eq!(a.cursor, 2);
        let pids: Vec<i32> = a.targets().iter().map(|p| p.pid).collect();
        assert_eq!(pids, [1, 2]);
        a.update(snapshot(&[2, 3]));
        let pids: Vec<i32> = a.targets().iter().map(|p| p.pid).collect();
        assert_eq!(pids, [2]);
    }

    #[test]
    fn patterns_speak_the_selector_language() {
        let s = parse_pattern("state:R,S user:0 SLEEP").expect("parses");
        assert_eq!(s.states, b"RS");
        assert_eq!(s.users, [0]);
        assert!(
            s.full
                .as_ref()
                .is_some_and(|re| re.is_match(b"/bin/sleep 5"))
        );
        assert!(parse_pattern("user:no-such-user-ptool").is_err());
        assert!(parse_pattern("(").is_err());
        assert!(parse_pattern("pid:x").is_err());
        let mut a = app(&[1, 2, 3]);
        let sys = System::read();
        assert!(a.search(&parse_pattern("cmd3").expect("parses"), &sys, true));
        assert_eq!(a.cursor, 2);
        assert!(a.search(&parse_pattern("cmd1").expect("parses"), &sys, true));
        assert_eq!(a.cursor, 0);
        assert!(!a.search(&parse_pattern("nothing").expect("parses"), &sys, true));
    }

    #[test]
    fn sort_keys_move_along_the_columns() {
        let mut a = app(&[1]);
        a.view.columns = vec![Column::Pid, Column::Cpu, Column::Cmd];
        a.view.sort = vec![SortKey {
            column: Column::Cpu,
            descending: true,
        }];
        a.shift_sort(1);
        assert_eq!(a.view.sort[0].column, Column::Cmd);
        assert!(a.view.sort[0].descending);
        a.shift_sort(1);
        assert_eq!(a.view.sort[0].column, Column::Pid);
        a.invert_sort();
        assert!(!a.view.sort[0].descending);
    }
}
