//! The command-line interface (clap derive): global flags, the shared
//! selector flags, and one `Args` struct per subcommand. Values are parsed
//! here, at the boundary, into ptool's own types (`Signal`, `Duration`,
//! `Column`), so commands never see raw strings.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::columns::{Column, SortKey};
use crate::exit::usage;
use crate::select::{Pick, Selector};

/// Inspect and control Linux processes: one consistent, scriptable, safe tool.
#[derive(Debug, Parser)]
#[command(
    name = "ptool",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = "Exit codes: 0 success, 1 nothing matched, 2 usage error, 3 some targets failed,\n124 timeout, 125 ptool failed, 126/127 command not executable/found, 128+N killed by signal N."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Print JSON instead of a table (JSON Lines for streams)
    #[arg(long, global = true)]
    pub json: bool,
    /// When to use colour [NO_COLOR in the environment means never for auto]
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print nothing on stdout: the exit code is the answer
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List processes (like ps aux, or pgrep with --pids)
    #[command(visible_alias = "ps")]
    Ls(LsArgs),
    /// Everything about a process: ids, program, resources, open files and sockets, signals
    Info(InfoArgs),
}

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
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Selecting processes")]
    pub older: Option<Duration>,
    /// Started at most DURATION ago
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Selecting processes")]
    pub younger: Option<Duration>,
    /// Only the most recently started of the matches
    #[arg(long, conflicts_with = "oldest", help_heading = "Selecting processes")]
    pub newest: bool,
    /// Only the least recently started of the matches
    #[arg(long, help_heading = "Selecting processes")]
    pub oldest: bool,
}

impl SelectArgs {
    /// The selector these flags describe. PIDs must be real process IDs
    /// (positive); commands that give 0 or negative PIDs a meaning handle
    /// them before calling this.
    pub fn selector(&self) -> anyhow::Result<Selector> {
        let mut pids = Vec::with_capacity(self.pids.len());
        for &pid in &self.pids {
            pids.push(positive_pid(pid)?);
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
            pgids: self.pgid.clone(),
            sids: self.sid.clone(),
            states: match &self.state {
                Some(list) => Selector::parse_states(list)?,
                None => Vec::new(),
            },
            older: self.older,
            younger: self.younger,
            pick,
        })
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

/// A PID that must be positive (`--parent`, `--pgid`, `--sid`).
pub fn parse_positive_pid(text: &str) -> Result<i32, String> {
    let pid = parse_pid(text)?;
    positive_pid(pid).map_err(|e| e.to_string())
}

/// Parse a duration (`500ms`, `5s`, `2m`, `1h30m`, or a number of seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::duration::parse(text)
}

/// `ptool ls`: list processes.
#[derive(Debug, Args)]
#[command(after_help = LS_AFTER_HELP)]
pub struct LsArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// Columns to show, comma-separated (see below); +COL,... adds to the defaults
    #[arg(short = 'o', long = "columns", value_name = "COLS", value_delimiter = ',', value_parser = parse_column_spec)]
    pub columns: Vec<ColumnSpec>,
    /// Sort by these columns, comma-separated; a leading - sorts descending
    #[arg(short = 's', long, value_name = "[-]KEY", value_delimiter = ',', allow_hyphen_values = true, value_parser = parse_sort_key)]
    pub sort: Vec<SortKey>,
    /// Show at most N processes (after sorting)
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Leave out the header line
    #[arg(long)]
    pub no_header: bool,
    /// Print only the PIDs, one a line (like pgrep)
    #[arg(long)]
    pub pids: bool,
    /// One row per thread instead of per process
    #[arg(short = 'T', long)]
    pub threads: bool,
    /// Measure %CPU over this interval instead of the lifetime average
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub sample: Option<Duration>,
}

const LS_AFTER_HELP: &str = "Columns (-o, --sort, and the JSON field names):
  pid ppid pgid sid tid user uid gid state nice pri threads cpu mem rss vsz
  start elapsed time tty name cmd exe cwd
Default: pid,user,cpu,mem,rss,state,start,time,cmd

Examples:
  ptool ls                         every process, like ps aux
  ptool ls -n '^python' --sort -rss
  ptool ls -f 'http.server' --pids like pgrep -f
  ptool ls -u \"$USER\" --json | jq '.[].cmd'";

/// A `-o` entry: a column, possibly marked `+` to add to the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnSpec {
    pub column: Column,
    pub add: bool,
}

fn parse_column_spec(text: &str) -> Result<ColumnSpec, String> {
    let (add, key) = match text.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    Ok(ColumnSpec {
        column: key.parse()?,
        add,
    })
}

fn parse_sort_key(text: &str) -> Result<SortKey, String> {
    text.parse()
}

/// `ptool info`: everything about processes, one page each.
#[derive(Debug, Args)]
#[command(after_help = INFO_AFTER_HELP)]
pub struct InfoArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// Show only the open files and sockets, one table (like lsof -p PID)
    #[arg(long, help_heading = "Sections", conflicts_with_all = ["limits", "env"])]
    pub files: bool,
    /// Also show the resource limits (like prlimit --pid PID)
    #[arg(long, help_heading = "Sections")]
    pub limits: bool,
    /// Also show the environment the process started with (where readable)
    #[arg(long, help_heading = "Sections")]
    pub env: bool,
}

const INFO_AFTER_HELP: &str =
    "Sections: identity (ids, parent, group, session, terminal, users), program (exe,
command, cwd, root, start, state, threads, scheduling, cgroup, namespaces), resources
(memory, CPU, page faults, context switches, I/O), open files, signals. What needs more
privilege than ptool has says \"permission denied\".

--json gives one object for a single PID, an array for several PIDs or a selector.
Exit: 0 shown, 1 no such process, 3 some PIDs missing (or --files unreadable).

Examples:
  ptool info 1234                  the whole page
  ptool info --files 1234          open files and sockets, like lsof -p 1234
  ptool info -n nginx --limits     every nginx process, with its limits
  ptool info 1234 --json | jq '.open_files[] | select(.socket) | .socket'";

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn pids_are_checked() {
        assert_eq!(parse_pid("42"), Ok(42));
        assert_eq!(parse_pid("-1"), Ok(-1));
        assert!(
            parse_pid("99999999999")
                .unwrap_err()
                .contains("out of range")
        );
        assert!(parse_pid("5x").unwrap_err().contains("not a PID"));
        assert!(parse_pid("").is_err());
        assert!(parse_positive_pid("0").is_err());
        assert!(positive_pid(-7).is_err_and(|e| e.to_string().contains("process group 7")));
    }

    #[test]
    fn ls_flags_parse() {
        let cli = Cli::try_parse_from([
            "ptool", "ls", "-o", "pid,+cmd", "--sort", "-rss,pid", "-n", "x",
        ])
        .expect("parses");
        let Command::Ls(args) = cli.command else {
            panic!("ls parses as ls");
        };
        assert_eq!(args.columns.len(), 2);
        assert!(args.sort[0].descending);
        assert_eq!(args.select.name.as_deref(), Some("x"));
    }

    #[test]
    fn info_flags_parse() {
        let cli =
            Cli::try_parse_from(["ptool", "info", "--limits", "--env", "42"]).expect("parses");
        let Command::Info(args) = cli.command else {
            panic!("info parses as info");
        };
        assert!(args.limits && args.env && !args.files);
        assert_eq!(args.select.pids, vec![42]);
        assert!(Cli::try_parse_from(["ptool", "info", "--files", "--env", "42"]).is_err());
    }

    #[test]
    fn selector_errors_are_usage_errors() {
        let args = SelectArgs {
            exact: true,
            ..SelectArgs::default()
        };
        let err = args.selector().expect_err("exact alone");
        assert_eq!(crate::exit::for_error(&err), crate::exit::Exit::Usage);
        let args = SelectArgs {
            users: vec!["no-such-user-ptool".into()],
            ..SelectArgs::default()
        };
        assert!(args.selector().is_err());
    }
}
