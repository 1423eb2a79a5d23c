//! The selector flags shared by every command that picks processes, and
//! the target flags `signal` and `kill` add to them.

use std::time::Duration;

use clap::Args;

use super::{parse_duration, parse_pid, parse_positive_pid};
use crate::select::{Selector, SelectorSpec};

/// The selector flags shared by every command that picks processes.
#[derive(Debug, Clone, Default, Args)]
pub struct SelectArgs {
    /// Select these process IDs
    #[arg(id = "target_pids", value_name = "PID", value_parser = parse_pid, allow_negative_numbers = true, help_heading = "Selecting processes")]
    pub pids: Vec<i64>,
    /// Match REGEX against the process name
    #[arg(
        short = 'n',
        long = "name",
        value_name = "REGEX",
        help_heading = "Selecting processes"
    )]
    pub name: Option<String>,
    /// Match REGEX against the whole command line
    #[arg(
        short = 'f',
        long = "full",
        value_name = "REGEX",
        help_heading = "Selecting processes"
    )]
    pub full: Option<String>,
    /// The pattern must match the whole name or command line
    #[arg(short = 'x', long, help_heading = "Selecting processes")]
    pub exact: bool,
    /// Match patterns without regard to case
    #[arg(short = 'i', long, help_heading = "Selecting processes")]
    pub ignore_case: bool,
    /// Owned by these users (names or UIDs, comma-separated)
    #[arg(
        short = 'u',
        long = "user",
        value_name = "USER",
        value_delimiter = ',',
        help_heading = "Selecting processes"
    )]
    pub users: Vec<String>,
    /// Children of these parent PIDs
    #[arg(short = 'P', long = "parent", value_name = "PID", value_delimiter = ',', value_parser = parse_positive_pid, help_heading = "Selecting processes")]
    pub parents: Vec<i32>,
    /// In these process groups
    #[arg(long, value_name = "PGID", value_delimiter = ',', value_parser = parse_positive_pid, help_heading = "Selecting processes")]
    pub pgid: Vec<i32>,
    /// In these sessions
    #[arg(long, value_name = "SID", value_delimiter = ',', value_parser = parse_positive_pid, help_heading = "Selecting processes")]
    pub sid: Vec<i32>,
    /// In these states: R,S,D,Z,T,t,I (running, sleeping, disk wait, zombie, stopped, traced, idle)
    #[arg(long, value_name = "STATES", help_heading = "Selecting processes")]
    pub state: Option<String>,
    /// Started at least DURATION ago (500ms, 5s, 2m, 1h30m)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true, help_heading = "Selecting processes")]
    pub older: Option<Duration>,
    /// Started at most DURATION ago
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true, help_heading = "Selecting processes")]
    pub younger: Option<Duration>,
    /// Only the most recently started of the matches
    #[arg(long, conflicts_with = "oldest", help_heading = "Selecting processes")]
    pub newest: bool,
    /// Only the least recently started of the matches
    #[arg(long, help_heading = "Selecting processes")]
    pub oldest: bool,
}

impl SelectArgs {
    /// The plain selection these flags describe, before anything is checked
    /// or looked up (clap stops here).
    pub fn spec(&self) -> SelectorSpec {
        SelectorSpec {
            pids: self.pids.clone(),
            name: self.name.clone(),
            full: self.full.clone(),
            exact: self.exact,
            ignore_case: self.ignore_case,
            users: self.users.clone(),
            parents: self.parents.clone(),
            pgids: self.pgid.clone(),
            sids: self.sid.clone(),
            states: self.state.clone(),
            older: self.older,
            younger: self.younger,
            newest: self.newest,
            oldest: self.oldest,
        }
    }

    /// The selector these flags describe: [`SelectArgs::spec`] built by
    /// [`SelectorSpec::build`] (PIDs checked, patterns compiled, users looked up).
    pub fn selector(&self) -> anyhow::Result<Selector> {
        self.spec().build()
    }
}

/// Which processes to signal and how careful to be: shared by `signal` and
/// `kill`.
#[derive(Debug, Clone, Default, Args)]
pub struct TargetArgs {
    /// Allow PID 1, ptool's own ancestors, and -PGID (every process in group PGID)
    #[arg(long)]
    pub force: bool,
    /// Show what would be signalled, and signal nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub select: SelectArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_carries_every_flag() {
        let args = SelectArgs {
            pids: vec![3],
            name: Some("a".into()),
            exact: true,
            users: vec!["root".into()],
            pgid: vec![4],
            state: Some("R".into()),
            oldest: true,
            ..SelectArgs::default()
        };
        let spec = args.spec();
        assert_eq!(spec.pids, [3]);
        assert_eq!(spec.name.as_deref(), Some("a"));
        assert!(spec.exact && spec.oldest && !spec.newest);
        assert_eq!(spec.users, ["root"]);
        assert_eq!(spec.pgids, [4]);
        assert_eq!(spec.states.as_deref(), Some("R"));
    }
}
