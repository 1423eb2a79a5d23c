//! The one process selector shared by `ls`, `tree`, `kill`, `signal`, `wait`
//! and `info`: positional PIDs, name and command-line patterns, owner,
//! parent, group, session, state, age, and newest/oldest.
//!
//! Pattern matches never include ptool itself or any of its ancestors, so
//! `sh -c 'ptool kill -f foo'` cannot hit its own shell. PIDs named
//! explicitly are taken as given (the acting commands check them separately).
//!
//! The command line hands over a plain [`SelectorSpec`] (strings and
//! numbers as typed); [`SelectorSpec::build`] checks it, compiles the
//! patterns and looks user names up, giving the [`Selector`].

use std::time::Duration;

use regex::bytes::{Regex, RegexBuilder};

use crate::exit::usage;
use crate::proc::{Need, Process, System};

/// Which one to keep when `--newest` or `--oldest` is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    Newest,
    Oldest,
}

/// A parsed selection. Every criterion given must hold (logical AND); lists
/// within a criterion are alternatives (OR).
#[derive(Debug, Clone, Default)]
pub struct Selector {
    pub pids: Vec<i32>,
    /// Regex on the process name.
    pub name: Option<Regex>,
    /// Regex on the whole command line (the name when it has none).
    pub full: Option<Regex>,
    pub users: Vec<u32>,
    pub parents: Vec<i32>,
    pub pgids: Vec<i32>,
    pub sids: Vec<i32>,
    pub states: Vec<u8>,
    pub older: Option<Duration>,
    pub younger: Option<Duration>,
    pub pick: Option<Pick>,
}

/// A selection as the user wrote it, before anything is checked or looked
/// up: what the selector flags hold, free of any command-line library.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectorSpec {
    /// PIDs as given, possibly 0 or negative (refused by [`SelectorSpec::build`]).
    pub pids: Vec<i64>,
    pub name: Option<String>,
    pub full: Option<String>,
    pub exact: bool,
    pub ignore_case: bool,
    /// User names or UIDs.
    pub users: Vec<String>,
    pub parents: Vec<i32>,
    pub pgids: Vec<i32>,
    pub sids: Vec<i32>,
    /// A `--state` list such as `R,S`.
    pub states: Option<String>,
    pub older: Option<Duration>,
    pub younger: Option<Duration>,
    pub newest: bool,
    pub oldest: bool,
}

impl SelectorSpec {
    /// The selector this describes. PIDs must be real process IDs
    /// (positive); commands that give 0 or negative PIDs a meaning handle
    /// them before calling this. Each PID is kept once, in the order given.
    /// User names are looked up in the system's user database.
    pub fn build(&self) -> anyhow::Result<Selector> {
        let mut pids = Vec::with_capacity(self.pids.len());
        let mut seen = std::collections::HashSet::with_capacity(self.pids.len());
        for &pid in &self.pids {
            let pid = positive_pid(pid)?;
            if seen.insert(pid) {
                pids.push(pid);
            }
        }
        if (self.exact || self.ignore_case) && self.name.is_none() && self.full.is_none() {
            let flag = if self.exact {
                "--exact"
            } else {
                "--ignore-case"
            };
            return Err(usage(format!("{flag} needs a pattern: --name or --full")));
        }
        let pattern = |p: &Option<String>| {
            p.as_deref()
                .map(|p| Selector::pattern(p, self.exact, self.ignore_case))
                .transpose()
        };
        let mut users = Vec::with_capacity(self.users.len());
        for user in &self.users {
            users.push(crate::sys::users::resolve_user(user).ok_or_else(|| {
                usage(format!(
                    "no such user '{}'",
                    crate::output::sanitize::escape_str(user)
                ))
            })?);
        }
        let pick = match (self.newest, self.oldest) {
            (true, _) => Some(Pick::Newest),
            (_, true) => Some(Pick::Oldest),
            _ => None,
        };
        Ok(Selector {
            pids,
            name: pattern(&self.name)?,
            full: pattern(&self.full)?,
            users,
            parents: self.parents.clone(),
            pgids: self.pgids.clone(),
            sids: self.sids.clone(),
            states: match &self.states {
                Some(list) => Selector::parse_states(list)?,
                None => Vec::new(),
            },
            older: self.older,
            younger: self.younger,
            pick,
        })
    }
}

/// The largest PID Linux allows (PID_MAX_LIMIT on 64-bit).
pub const PID_MAX_LIMIT: i64 = 4_194_304;

/// Parse a PID argument: an integer within Linux's PID range, possibly
/// negative (commands decide what 0 and negatives mean).
pub fn parse_pid(text: &str) -> Result<i64, String> {
    let trimmed = text.trim();
    let digits = trimmed.strip_prefix('-').unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "'{}' is not a PID (a PID is a whole number)",
            crate::output::sanitize::escape_str(text)
        ));
    }
    match trimmed.parse::<i64>() {
        Ok(pid) if pid.abs() <= PID_MAX_LIMIT => Ok(pid),
        _ => Err(format!(
            "PID {} is out of range (Linux PIDs go up to {PID_MAX_LIMIT})",
            crate::output::sanitize::escape_str(trimmed)
        )),
    }
}

/// A PID that must name one process: rejects 0 and negative numbers with
/// the reason.
pub fn positive_pid(pid: i64) -> anyhow::Result<i32> {
    match pid {
        0 => Err(usage(
            "PID 0 is not a process (to kill(2) it means \"my process group\")",
        )),
        -1 => Err(usage(
            "PID -1 is not a process (to kill(2) it means \"every process I may signal\")",
        )),
        p if p < 0 => Err(usage(format!(
            "PID {p} is not a process (a negative PID names process group {})",
            -p
        ))),
        p => Ok(i32::try_from(p).map_err(|_| usage(format!("PID {p} is out of range")))?),
    }
}

/// The processes a selection must never match: ptool and its ancestors.
#[derive(Debug, Clone, Default)]
pub struct Protected {
    pub own: i32,
    pub ancestors: Vec<i32>,
}

impl Protected {
    /// ptool's own PID and the chain of its parents.
    pub fn current(reader: &mut crate::proc::Reader) -> Protected {
        let own = crate::sys::own_pid();
        Protected {
            own,
            ancestors: crate::proc::ancestors(reader, own),
        }
    }

    pub fn contains(&self, pid: i32) -> bool {
        pid == self.own || self.ancestors.contains(&pid)
    }
}

/// The states `--state` accepts (proc_pid_stat(5)).
pub const STATES: &str = "RSDZTtXIKWP";

impl Selector {
    /// Build a regex the way the selector flags ask: `exact` anchors it to the
    /// whole text, `ignore_case` folds case.
    pub fn pattern(pattern: &str, exact: bool, ignore_case: bool) -> anyhow::Result<Regex> {
        let source = if exact {
            format!("^(?:{pattern})$")
        } else {
            pattern.to_string()
        };
        RegexBuilder::new(&source)
            .case_insensitive(ignore_case)
            .build()
            .map_err(|e| {
                let detail = e.to_string();
                let last = detail.lines().last().unwrap_or("invalid").trim();
                usage(format!(
                    "invalid pattern '{}': {last}",
                    crate::output::sanitize::escape_str(pattern)
                ))
            })
    }

    /// Parse a `--state` list: `R,S`, `RS` or `r,s` (case matters only for
    /// `t`, traced, versus `T`, stopped).
    pub fn parse_states(list: &str) -> anyhow::Result<Vec<u8>> {
        let mut states = Vec::new();
        for c in list.chars().filter(|c| *c != ',' && !c.is_whitespace()) {
            let c = if c == 't' {
                't'
            } else {
                c.to_ascii_uppercase()
            };
            if !c.is_ascii() || !STATES.contains(c) {
                return Err(usage(format!(
                    "unknown state '{}' (states: R running, S sleeping, D disk wait, Z zombie, T stopped, t traced, I idle, X dead)",
                    crate::output::sanitize::escape_str(&c.to_string())
                )));
            }
            states.push(c as u8);
        }
        Ok(states)
    }

    /// True when nothing but PIDs (or nothing at all) was given.
    pub fn has_criteria(&self) -> bool {
        self.name.is_some()
            || self.full.is_some()
            || !self.users.is_empty()
            || !self.parents.is_empty()
            || !self.pgids.is_empty()
            || !self.sids.is_empty()
            || !self.states.is_empty()
            || self.older.is_some()
            || self.younger.is_some()
            || self.pick.is_some()
    }

    /// True when the selector selects every process.
    pub fn is_everything(&self) -> bool {
        self.pids.is_empty() && !self.has_criteria()
    }

    /// What must be read to evaluate the selector.
    pub fn need(&self) -> Need {
        let mut need = Need::STAT;
        if self.full.is_some() {
            need |= Need::CMDLINE;
        }
        if !self.users.is_empty() {
            need |= Need::OWNER;
        }
        need
    }

    /// Whether `p` meets every criterion (PIDs included, protection not).
    pub fn matches(&self, p: &Process, sys: &System) -> bool {
        let s = &p.stat;
        (self.pids.is_empty() || self.pids.contains(&p.pid))
            && self.name.as_ref().is_none_or(|re| re.is_match(&s.name))
            && self
                .full
                .as_ref()
                .is_none_or(|re| re.is_match(&p.full_text()))
            && (self.users.is_empty() || p.uid().is_some_and(|u| self.users.contains(&u)))
            && (self.parents.is_empty() || self.parents.contains(&s.ppid))
            && (self.pgids.is_empty() || self.pgids.contains(&s.pgid))
            && (self.sids.is_empty() || self.sids.contains(&s.sid))
            && (self.states.is_empty() || self.states.contains(&s.state))
            && self
                .older
                .is_none_or(|d| sys.age(s.start_ticks) >= d.as_secs_f64())
            && self
                .younger
                .is_none_or(|d| sys.age(s.start_ticks) <= d.as_secs_f64())
    }

    /// Keep the processes that [`accepts`](Self::accepts) takes, then apply
    /// `--newest`/`--oldest`.
    pub fn select(&self, procs: Vec<Process>, sys: &System, protected: &Protected) -> Vec<Process> {
        let chosen = procs
            .into_iter()
            .filter(|p| self.accepts(p, sys, protected))
            .collect();
        self.pick(chosen)
    }

    /// Read and select in one pass: only the matches are kept in memory.
    /// Criteria combine with PIDs by AND, so when PIDs are named only those
    /// are read, not the whole table; either way in ascending PID order.
    pub fn scan(
        &self,
        reader: &mut crate::proc::Reader,
        need: Need,
        sys: &System,
        protected: &Protected,
    ) -> std::io::Result<Vec<Process>> {
        let need = need | self.need();
        let keep = |p: &Process| self.accepts(p, sys, protected);
        let chosen = if self.pids.is_empty() {
            reader.all_where(self.need(), need, keep)?
        } else {
            let mut pids = self.pids.clone();
            pids.sort_unstable();
            pids.into_iter()
                .filter_map(|pid| reader.read(pid, need))
                .filter(keep)
                .collect()
        };
        Ok(self.pick(chosen))
    }

    /// Whether `p` is selected, before `--newest`/`--oldest` narrow the
    /// matches: never ptool itself, and an ancestor only when named by PID
    /// or when everything is selected.
    pub fn accepts(&self, p: &Process, sys: &System, protected: &Protected) -> bool {
        if p.pid == protected.own {
            return false;
        }
        // Ancestors are left out of what criteria match, not out of a
        // listing of everything: `ptool ls` shows your shell and PID 1, as
        // `ps aux` does. (Commands that signal refuse to select everything.)
        if protected.ancestors.contains(&p.pid)
            && !self.pids.contains(&p.pid)
            && !self.is_everything()
        {
            return false;
        }
        self.matches(p, sys)
    }

    /// Apply `--newest`/`--oldest` to the matches.
    pub fn pick(&self, mut chosen: Vec<Process>) -> Vec<Process> {
        if let Some(pick) = self.pick {
            let best = match pick {
                Pick::Newest => chosen.iter().max_by_key(|p| p.start_key()),
                Pick::Oldest => chosen.iter().min_by_key(|p| p.start_key()),
            }
            .map(|p| p.pid);
            chosen.retain(|p| Some(p.pid) == best);
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_pids_are_kept_once_in_the_order_given() {
        let spec = SelectorSpec {
            pids: vec![30, 10, 30, 20, 10],
            ..SelectorSpec::default()
        };
        assert_eq!(spec.build().expect("valid").pids, [30, 10, 20]);
    }

    #[test]
    fn selector_errors_are_usage_errors() {
        let spec = SelectorSpec {
            exact: true,
            ..SelectorSpec::default()
        };
        let err = spec.build().expect_err("exact alone");
        assert_eq!(crate::exit::for_error(&err), crate::exit::Exit::Usage);
        let spec = SelectorSpec {
            users: vec!["no-such-user-ptool".into()],
            ..SelectorSpec::default()
        };
        assert!(spec.build().is_err());
        assert!(positive_pid(-7).is_err_and(|e| e.to_string().contains("process group 7")));
        assert!(positive_pid(0).is_err());
    }
    use crate::proc::Stat;

    fn process(pid: i32, name: &str, cmd: &str, start: u64) -> Process {
        Process {
            pid,
            stat: Stat {
                name: name.as_bytes().to_vec(),
                state: b'S',
                ppid: 1,
                pgid: pid,
                sid: pid,
                start_ticks: start,
                ..Stat::default()
            },
            owner: Some(crate::proc::Owner {
                uid: 1000,
                gid: 1000,
            }),
            cmdline: Some(cmd.replace(' ', "\0").into_bytes()),
            ..Process::default()
        }
    }

    fn sys() -> System {
        System {
            clk_tck: 100,
            page_size: 4096,
            mem_total: 1 << 30,
            uptime: 1000.0,
            now: 1e9,
        }
    }

    fn pids(sel: &Selector, procs: Vec<Process>, protected: &Protected) -> Vec<i32> {
        sel.select(procs, &sys(), protected)
            .iter()
            .map(|p| p.pid)
            .collect()
    }

    fn family() -> Vec<Process> {
        vec![
            process(10, "bash", "bash", 100),
            process(20, "sleep", "sleep 100 marker", 200),
            process(30, "sleep", "sleep 200", 300),
            process(40, "python3", "python3 marker.py", 90_000),
        ]
    }

    #[test]
    fn name_and_full_patterns() -> anyhow::Result<()> {
        let none = Protected::default();
        let sel = Selector {
            name: Some(Selector::pattern("sle", false, false)?),
            ..Selector::default()
        };
        assert_eq!(pids(&sel, family(), &none), vec![20, 30]);
        let sel = Selector {
            full: Some(Selector::pattern("marker", false, false)?),
            ..Selector::default()
        };
        assert_eq!(pids(&sel, family(), &none), vec![20, 40]);
        let sel = Selector {
            name: Some(Selector::pattern("sle", true, false)?),
            ..Selector::default()
        };
        assert!(pids(&sel, family(), &none).is_empty());
        let sel = Selector {
            name: Some(Selector::pattern("SLEEP", true, true)?),
            ..Selector::default()
        };
        assert_eq!(pids(&sel, family(), &none), vec![20, 30]);
        Ok(())
    }

    #[test]
    fn ptool_and_its_ancestors_are_never_matched_by_pattern() -> anyhow::Result<()> {
        let protected = Protected {
            own: 20,
            ancestors: vec![10],
        };
        let sel = Selector {
            full: Some(Selector::pattern(".", false, false)?),
            ..Selector::default()
        };
        assert_eq!(pids(&sel, family(), &protected), vec![30, 40]);
        // named explicitly, an ancestor is listed; ptool itself never is
        let sel = Selector {
            pids: vec![10, 20],
            ..Selector::default()
        };
        assert_eq!(pids(&sel, family(), &protected), vec![10]);
        // a listing of everything has the ancestors too, not ptool itself
        assert_eq!(
            pids(&Selector::default(), family(), &protected),
            vec![10, 30, 40]
        );
        Ok(())
    }

    #[test]
    fn age_and_pick() {
        let none = Protected::default();
        // uptime 1000 s, clk_tck 100: pid 40 started at 900 s, 100 s ago
        let sel = Selector {
            younger: Some(Duration::from_secs(200)),
            ..Selector::default()
        };
        assert_eq!(pids(&sel, family(), &none), vec![40]);
        let sel = Selector {
            older: Some(Duration::from_secs(200)),
            ..Selector::default()
        };
        assert_eq!(pids(&sel, family(), &none), vec![10, 20, 30]);
        let sel = Selector {
            pick: Some(Pick::Oldest),
            ..Selector::default()
        };
        assert_eq!(pids(&sel, family(), &none), vec![10]);
        let sel = Selector {
            pick: Some(Pick::Newest),
            users: vec![1000],
            ..Selector::default()
        };
        assert_eq!(pids(&sel, family(), &none), vec![40]);
    }

    #[test]
    fn states_parse_and_reject() -> anyhow::Result<()> {
        assert_eq!(Selector::parse_states("R,s")?, b"RS".to_vec());
        assert_eq!(Selector::parse_states("Zt")?, b"Zt".to_vec());
        assert!(Selector::parse_states("Q").is_err());
        assert!(Selector::pattern("(", false, false).is_err());
        Ok(())
    }
}
