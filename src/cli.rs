//! The command-line interface (clap derive): global flags, the shared
//! selector flags, and one `Args` struct per subcommand. Values are parsed
//! here, at the boundary, into ptool's own types (`Signal`, `Duration`,
//! `Column`), so commands never see raw strings.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::columns::{Column, SortKey};
use crate::exit::usage;
use crate::select::{Pick, Selector};
use crate::signal::Signal;

mod completions;
pub use completions::{CompletePidsArgs, CompletionsArgs, ManArgs, TargetShell};

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
    Ls(Deferred<LsArgs>),
    /// Everything about a process: ids, program, resources, open files and sockets, signals
    Info(Deferred<InfoArgs>),
    /// Start a command: detached (like nohup + setsid, with a pidfile done
    /// right) or in the foreground with --wait (like timeout)
    Spawn(Deferred<SpawnArgs>),
    /// Draw processes as a tree (like pstree): all, subtrees, or the branches of matches
    #[command(visible_alias = "pstree")]
    Tree(Deferred<TreeArgs>),
    /// Run a command for each input, N at a time (like xargs -P, GNU parallel)
    Fork(Deferred<ForkArgs>),
    /// Wait for processes to end, child or not (like pidwait, with exit status)
    Wait(Deferred<WaitArgs>),
    /// Send a signal (like kill), list signals, or show a process's dispositions
    Signal(Deferred<SignalArgs>),
    /// End processes: TERM, wait, then KILL what is left (like pkill + pidwait)
    Kill(Deferred<KillArgs>),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(Deferred<CompletionsArgs>),
    /// Print the manual page of ptool or of one subcommand (roff)
    Man(Deferred<ManArgs>),
    /// The live PIDs a completion script offers (called by the scripts)
    #[command(hide = true)]
    CompletePids(Deferred<CompletePidsArgs>),
}

/// A subcommand's arguments, defined only when that subcommand is the one
/// being run (clap's `Command::defer`). Otherwise clap builds all eight
/// subcommands' flags on every start: a quarter of the page faults of a
/// `ptool spawn -- true` (226 before, 167 after), which a shell loop of
/// spawns pays once per command.
#[derive(Debug, Clone)]
pub struct Deferred<T>(pub T);

impl<T: Args> Args for Deferred<T> {
    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }

    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| keeping_about(cmd, T::augment_args))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| keeping_about(cmd, T::augment_args_for_update))
    }
}

/// Adds a subcommand's flags but keeps the description it was given in the
/// list of subcommands: an `Args` struct's own doc comment would replace it,
/// because deferred flags are added after that description is set.
fn keeping_about(cmd: clap::Command, augment: fn(clap::Command) -> clap::Command) -> clap::Command {
    let about = cmd.get_about().cloned();
    let long_about = cmd.get_long_about().cloned();
    let cmd = augment(cmd);
    let cmd = match about {
        Some(about) => cmd.about(about),
        None => cmd.about(None),
    };
    match long_about {
        Some(long_about) => cmd.long_about(long_about),
        None => cmd.long_about(None),
    }
}

impl<T: clap::FromArgMatches> clap::FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }

    fn from_arg_matches_mut(matches: &mut clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(matches).map(Deferred)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }

    fn update_from_arg_matches_mut(
        &mut self,
        matches: &mut clap::ArgMatches,
    ) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(matches)
    }
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
    /// The selector these flags describe. PIDs must be real process IDs
    /// (positive); commands that give 0 or negative PIDs a meaning handle
    /// them before calling this. Each PID is kept once, in the order given.
    pub fn selector(&self) -> anyhow::Result<Selector> {
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

/// The ID a criterion compares with (`--parent`, `--pgid`, `--sid`): a
/// positive number. `/proc` shows 0 where there is no such process in
/// ptool's PID namespace (PID 1's parent; a group or session led from
/// outside a container), and pgrep reads 0 as "my own": neither is
/// selectable by number, so 0 is refused with that reason.
pub fn parse_positive_pid(text: &str) -> Result<i32, String> {
    match parse_pid(text)? {
        0 => Err(
            "0 names no process: /proc shows 0 for a parent, group or session \
             leader that is not in ptool's PID namespace"
                .to_string(),
        ),
        p if p < 0 => Err(format!("{p} is not a process ID (IDs are positive)")),
        p => positive_pid(p).map_err(|e| e.to_string()),
    }
}

/// Parse a duration (`500ms`, `5s`, `2m`, `1h30m`, or a number of seconds).
/// Duration flags take values starting with `-`, so that `-1s` is refused
/// as a duration rather than read as a flag.
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
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true)]
    pub sample: Option<Duration>,
}

const LS_AFTER_HELP: &str = "Columns (-o, --sort, and the JSON field names):
  pid ppid pgid sid tid user uid gid state nice pri threads cpu mem rss vsz
  start elapsed time tty name cmd exe cwd
Default: pid,user,cpu,mem,rss,state,start,time,cmd

Examples:
  ptool ls                         every process, like ps aux
  ptool ls -n '^python' --sort -rss
  ptool ls -f 'http.server' --pids  like pgrep -f
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

/// `ptool spawn`: start a command detached, or in the foreground (`--wait`).
#[derive(Debug, Args)]
#[command(after_help = SPAWN_AFTER_HELP)]
pub struct SpawnArgs {
    /// Run in the foreground: forward signals, wait, exit with the command's code
    #[arg(short = 'w', long, help_heading = "Foreground")]
    pub wait: bool,
    /// With --wait: send --signal to the command's process group after DURATION (exit 124; 0 = no limit)
    #[arg(short = 't', long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true, help_heading = "Foreground")]
    pub timeout: Option<Duration>,
    /// The signal --timeout sends [default: TERM]
    #[arg(short = 's', long, value_name = "SIG", value_parser = parse_real_signal, help_heading = "Foreground")]
    pub signal: Option<Signal>,
    /// With --timeout: send KILL if the group is still there DURATION after the signal (exit 137)
    #[arg(short = 'k', long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true, help_heading = "Foreground")]
    pub kill_after: Option<Duration>,
    /// Append the command's standard output to FILE [detached default: /dev/null]
    #[arg(long, value_name = "FILE", conflicts_with = "log")]
    pub stdout: Option<PathBuf>,
    /// Append the command's standard error to FILE [detached default: /dev/null]
    #[arg(long, value_name = "FILE", conflicts_with = "log")]
    pub stderr: Option<PathBuf>,
    /// Append both standard output and standard error to FILE
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Write the PID to FILE, atomically, once the command runs; refuse if FILE names a live process
    #[arg(long, value_name = "FILE")]
    pub pidfile: Option<PathBuf>,
    /// Write --pidfile even when it names a live process (which is left running)
    #[arg(long)]
    pub replace: bool,
    /// Start N copies, each with PTOOL_INDEX=0..N-1 in its environment (detached only)
    #[arg(short = 'n', long = "count", value_name = "N", value_parser = parse_count)]
    pub count: Option<u32>,
    /// Run the command in DIR
    #[arg(short = 'C', long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// Set KEY=VALUE in the command's environment (repeatable)
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE", value_parser = clap::builder::OsStringValueParser::new().try_map(parse_env_pair))]
    pub env: Vec<(OsString, OsString)>,
    /// Start from an empty environment (then apply --env)
    #[arg(long)]
    pub clear_env: bool,
    /// Run at niceness N, -20 (favoured) to 19; lowering it needs privilege
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_nice)]
    pub nice: Option<i32>,
    /// The command's file mode creation mask, in octal (022, 0077)
    #[arg(long, value_name = "MODE", value_parser = parse_umask)]
    pub umask: Option<u32>,
    /// The command to run and its arguments (put them after --)
    #[arg(value_name = "COMMAND", required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<OsString>,
}

const SPAWN_AFTER_HELP: &str =
    "Detached (the default): the command gets its own session and process group,
stdin from /dev/null, stdout/stderr appended to --stdout/--stderr/--log or
/dev/null, and none of ptool's other descriptors. ptool prints its PID (or a
JSON object) once it has really started, and exits 127/126 if the command was
not found/not executable. A terminal closing does not reach it.

Foreground (--wait): the command gets its own process group (made the
terminal's foreground group when ptool is the foreground job, so Ctrl-C and
Ctrl-Z work as usual); INT, TERM, HUP, QUIT, USR1 and USR2 sent to ptool are
forwarded to that group, but one ignored when ptool started (HUP under nohup)
stays ignored; ptool exits with the command's code, or 128+N if it died of
signal N. After --timeout the whole group gets --signal, then KILL
after --kill-after; ptool returns once the group is empty (124, or 137 when
the command needed KILL).

Examples:
  ptool spawn --log app.log --pidfile app.pid -- ./server --port 8080
  ptool spawn -n 4 --log worker.log -- ./worker       # PTOOL_INDEX=0..3
  ptool spawn --wait --timeout 30s --kill-after 5s -- make test";

/// `--count`: how many copies to start.
pub const MAX_COUNT: u32 = 10_000;

fn parse_count(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=u64::from(MAX_COUNT)).contains(&n) => Ok(n as u32),
        Ok(_) => Err(format!("the count must be 1 to {MAX_COUNT}")),
        Err(_) => Err(format!(
            "'{}' is not a count (a whole number, 1 to {MAX_COUNT})",
            crate::output::sanitize::escape_str(text)
        )),
    }
}

fn parse_nice(text: &str) -> Result<i32, String> {
    match text.trim().parse::<i64>() {
        Ok(n) if (-20..=19).contains(&n) => Ok(n as i32),
        Ok(n) => Err(format!("niceness {n} is out of range (-20 to 19)")),
        Err(_) => Err(format!(
            "'{}' is not a niceness (a whole number, -20 to 19)",
            crate::output::sanitize::escape_str(text)
        )),
    }
}

fn parse_umask(text: &str) -> Result<u32, String> {
    let digits = text.trim();
    let bad = || {
        format!(
            "'{}' is not a umask (an octal mode, 000 to 777, such as 022)",
            crate::output::sanitize::escape_str(text)
        )
    };
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        return Err(bad());
    }
    match u32::from_str_radix(digits, 8) {
        Ok(mask) if mask <= 0o777 => Ok(mask),
        _ => Err(bad()),
    }
}

/// `--env KEY=VALUE`: the key must be non-empty and free of `=`; the value
/// may hold anything (another `=`, nothing at all).
fn parse_env_pair(text: OsString) -> Result<(OsString, OsString), String> {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let bytes = text.as_bytes();
    let shown = || crate::output::sanitize::escape(bytes).into_owned();
    let Some(eq) = bytes.iter().position(|&b| b == b'=') else {
        return Err(format!("'{}' is not KEY=VALUE", shown()));
    };
    if eq == 0 {
        return Err(format!("'{}' has an empty variable name", shown()));
    }
    let key = bytes[..eq].to_vec();
    let value = bytes[eq + 1..].to_vec();
    Ok((OsString::from_vec(key), OsString::from_vec(value)))
}

/// A signal to send: any but the null signal 0, which would do nothing.
fn parse_real_signal(text: &str) -> Result<Signal, String> {
    let sig: Signal = text
        .parse()
        .map_err(|e: crate::signal::ParseSignalError| e.to_string())?;
    if sig == Signal::NULL {
        return Err("signal 0 sends nothing; name a real signal such as TERM".to_string());
    }
    Ok(sig)
}

/// `ptool tree`: draw the process tree.
#[derive(Debug, Args)]
#[command(after_help = TREE_AFTER_HELP)]
pub struct TreeArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub draw: TreeDrawArgs,
}

/// What `ptool tree` keeps and how it draws it.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Drawing the tree")]
pub struct TreeDrawArgs {
    /// Draw the chain from the root down to each selected process (like pstree -s)
    #[arg(short = 's', long)]
    pub ancestors: bool,
    /// Also keep the descendants of each selected process
    #[arg(short = 'd', long)]
    pub descendants: bool,
    /// Show PIDs, as name(1234); turns compaction off
    #[arg(short = 'p', long)]
    pub pids: bool,
    /// Show command-line arguments after each name
    #[arg(short = 'a', long)]
    pub args: bool,
    /// Show the owner on each root and wherever it changes from the parent
    #[arg(long)]
    pub owner: bool,
    /// Show threads, as {name}
    #[arg(short = 'T', long)]
    pub threads: bool,
    // The help text is given as a string: rustdoc would read `[name]` in a
    // doc comment as a link.
    #[arg(
        short = 'c',
        long,
        help = "Show identical leaf siblings one by one instead of as N*[name]"
    )]
    pub no_compact: bool,
    /// Draw the lines in plain ASCII
    #[arg(short = 'A', long, conflicts_with = "unicode")]
    pub ascii: bool,
    /// Draw the lines in Unicode even when stdout is not a UTF-8 terminal
    #[arg(short = 'U', long)]
    pub unicode: bool,
}

const TREE_AFTER_HELP: &str =
    "With no selector, every process is drawn from its roots; PIDs alone draw
their subtrees. A pattern or other criterion keeps each match with its
ancestors (within the given PIDs' subtrees, if any) and marks it: bold on a
colour terminal, a '*' at the start of its line otherwise. Children are
drawn in the order they started.

Examples:
  ptool tree                       every process, like pstree
  ptool tree -p 1234               the subtree of 1234, with PIDs
  ptool tree -s -p 1234            the chain from the root down to 1234
  ptool tree -n '^sleep$' -d       every sleep, its ancestors and its children
  ptool tree --json 1234 | jq '.[0].children[].pid'";

/// `ptool fork`: run a command once per input, at most N at a time.
#[derive(Debug, Args)]
#[command(after_help = FORK_AFTER_HELP)]
pub struct ForkArgs {
    /// Run at most N jobs at a time [default: the number of CPUs]
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = parse_jobs, allow_hyphen_values = true)]
    pub jobs: Option<usize>,
    /// Run the command N times; each job's input is its index, 0 to N-1
    #[arg(short = 'n', long = "count", value_name = "N", value_parser = parse_fork_count, allow_hyphen_values = true)]
    pub count: Option<u64>,
    /// Inputs on stdin are separated by NUL bytes, not newlines (find -print0)
    #[arg(short = '0', long = "null")]
    pub null: bool,
    /// Print the jobs' output in input order (each still whole)
    #[arg(short = 'k', long)]
    pub keep_order: bool,
    /// Print output lines as jobs write them (whole lines, never mixed)
    #[arg(long)]
    pub line_buffer: bool,
    /// Prefix each output line with the job's input and a tab
    #[arg(long)]
    pub tag: bool,
    /// Stop a job running longer than DURATION: TERM to its process group, KILL after --grace
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true)]
    pub timeout: Option<Duration>,
    /// Time stopped jobs get between TERM and KILL
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "1s", allow_hyphen_values = true)]
    pub grace: Duration,
    /// After a job fails, start no new ones; =now also stops the running ones
    #[arg(
        long,
        value_name = "WHEN",
        value_enum,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "soon"
    )]
    pub halt_on_error: Option<Halt>,
    /// Run a failed job again, up to N more times
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = parse_retries, allow_hyphen_values = true)]
    pub retries: u32,
    /// Write one tab-separated line per job to FILE (like GNU parallel's --joblog)
    #[arg(long, value_name = "FILE")]
    pub joblog: Option<PathBuf>,
    /// The command and its arguments, then optionally ::: and the inputs
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

/// When `--halt-on-error` stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Halt {
    /// Start no new jobs; let the running ones finish
    Soon,
    /// Start no new jobs and stop the running ones (TERM, then KILL)
    Now,
}

const FORK_AFTER_HELP: &str = "Inputs: the words after :::, or one per line of stdin, or -n N.
In COMMAND, {} is the input (added as the last argument when no {} is given,
except with -n), {#} the job's number (1, 2, ...), {%} its slot (1 to -j).
Jobs also get PTOOL_JOB and PTOOL_SLOT in their environment. No shell is
involved: use sh -c '...' _ {} for pipes and redirections.

Exit: 0 when every job succeeded, else the number of failed jobs (101 for more
than 100); with -n 1 the job's own code (124 on timeout); 130/143 when
interrupted by INT/TERM, after every job's process group was stopped.

Examples:
  ptool fork -j 4 -- gzip -k ::: *.log
  find . -name '*.png' -print0 | ptool fork -0 --tag -- optipng
  ptool fork -n 8 --timeout 5m --joblog jobs.tsv -- ./worker --shard {}
  ptool fork -k --json -- curl -sI {} ::: example.org example.com | jq .stdout";

fn parse_jobs(text: &str) -> Result<usize, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("-j must be at least 1".to_string()),
        Ok(n) if n <= 100_000 => Ok(n as usize),
        Ok(_) => Err("-j must be at most 100000".to_string()),
        Err(_) => Err(format!(
            "'{}' is not a number of jobs",
            crate::output::sanitize::escape_str(text)
        )),
    }
}

fn parse_fork_count(text: &str) -> Result<u64, String> {
    text.trim().parse::<u64>().map_err(|_| {
        format!(
            "'{}' is not a count (a whole number, 0 or more)",
            crate::output::sanitize::escape_str(text)
        )
    })
}

fn parse_retries(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if n <= 1000 => Ok(n),
        Ok(_) => Err("--retries must be at most 1000".to_string()),
        Err(_) => Err(format!(
            "'{}' is not a number of retries (0 or more)",
            crate::output::sanitize::escape_str(text)
        )),
    }
}

/// `ptool wait`: wait for processes to end.
#[derive(Debug, Args)]
#[command(after_help = WAIT_AFTER_HELP)]
pub struct WaitArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// Also wait for the process whose PID is in FILE (repeatable)
    #[arg(long, value_name = "FILE", help_heading = "Waiting")]
    pub pidfile: Vec<PathBuf>,
    /// Return as soon as one of them has ended (default: when all have)
    #[arg(long, help_heading = "Waiting")]
    pub any: bool,
    /// Give up after DURATION: exit 124 and list what is still running
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true, help_heading = "Waiting")]
    pub timeout: Option<Duration>,
    /// How long to give an ended process's parent to collect it, which is when
    /// the kernel learns its exit status (0: do not wait for it)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true, default_value = "500ms", help_heading = "Waiting")]
    pub status_wait: Duration,
    /// Tell on stderr how ptool waits, and why an exit status is unknown
    #[arg(short, long, help_heading = "Waiting")]
    pub verbose: bool,
}

const WAIT_AFTER_HELP: &str =
    "Prints each process as it ends: PID, name, when, how long it ran, and how it
ended (exited 3, killed by SIGKILL). The kernel knows the exit status once
the process's parent has collected it (Linux 6.15+); ptool gives the parent
--status-wait for that, and otherwise says the status is unknown, never guesses.

Exit codes: 0 the wait is over, 1 nothing to wait for was running,
124 --timeout expired (what is still running is listed).

Examples:
  ptool wait 1234                   until process 1234 ends
  ptool wait -f 'make -j' --timeout 10m
  ptool wait --any 1234 5678        until the first of them ends
  ptool wait --pidfile /run/nginx.pid --json";

/// Parse a signal (`TERM`, `SIGTERM`, `term`, `15`, `RTMIN+3`, `0`).
pub fn parse_signal(text: &str) -> Result<Signal, String> {
    text.parse::<Signal>().map_err(|e| e.to_string())
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

/// `ptool signal`: deliver one signal, or list signals, or show dispositions.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_value_name = "VIEW",
    override_usage = "ptool signal [OPTIONS] <SIGNAL> [PID]...\n       ptool signal list\n       ptool signal show [OPTIONS] [PID]...",
    subcommand_help_heading = "Views",
    disable_help_subcommand = true,
    after_help = SIGNAL_AFTER_HELP
)]
pub struct SignalArgs {
    #[command(subcommand)]
    pub view: Option<SignalView>,
    /// The signal: TERM, SIGTERM, term, 15, RTMIN+3; 0 only checks that the targets exist
    #[arg(value_name = "SIGNAL", allow_negative_numbers = true, value_parser = parse_signal)]
    pub signal: Option<Signal>,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Debug, Subcommand)]
pub enum SignalView {
    /// List every signal: number, name, default action and meaning (like kill -L)
    List,
    /// Show which signals processes block, ignore, catch and have pending
    Show(Box<ShowArgs>),
}

/// `ptool signal show`: the dispositions of the selected processes.
#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub select: SelectArgs,
}

const SIGNAL_AFTER_HELP: &str =
    "Each target is opened as a pidfd and its start time checked against the one seen when
it was selected, so a PID reused in between is never hit. PID 1, ptool's own ancestors
(its shell) and -PGID need --force; PID 0 and -1 are always refused.

Exit: 0 every signal delivered (signal 0: every target exists; zombies count),
1 nothing matched (signal 0: some target does not exist), 3 some target failed.

Examples:
  ptool signal HUP 1234                 reload a daemon
  ptool signal USR1 -n '^nginx$'        every nginx process
  ptool signal 0 1234 && echo alive     like os.kill(pid, 0)
  ptool signal list                     every signal, with its default action
  ptool signal show 1234                why won't it die on TERM?";

/// `ptool kill`: end processes, politely first.
#[derive(Debug, Args)]
#[command(after_help = KILL_AFTER_HELP)]
pub struct KillArgs {
    /// The first signal to send
    #[arg(short = 's', long = "signal", value_name = "SIGNAL", default_value = "TERM", allow_hyphen_values = true, value_parser = parse_signal)]
    pub signal: Signal,
    /// How long to wait for the targets to exit before sending KILL; 0 sends only the first signal
    #[arg(short = 'g', long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration, allow_hyphen_values = true)]
    pub grace: Duration,
    /// Also every descendant; the tree is stopped first so that nothing forks away
    #[arg(short = 't', long)]
    pub tree: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

const KILL_AFTER_HELP: &str =
    "Sends the signal, waits on pidfds (no polling) until each target exits or the grace
period ends, then sends KILL to the survivors and reports each process: terminated,
killed after the grace period, already gone, or permission denied. Each target is
opened as a pidfd and its start time checked, so a reused PID is never hit. PID 1,
ptool's own ancestors (its shell) and -PGID need --force; PID 0 and -1 are always refused.

Exit: 0 every target is gone, 1 nothing matched, 3 some target failed (see the report).

Examples:
  ptool kill 1234                       TERM, up to 5s, then KILL
  ptool kill -f 'http.server' --grace 1s
  ptool kill --tree 1234                the process and all its descendants
  ptool kill -s INT --grace 0 -n myjob  just send INT, like pkill -INT
  ptool kill --dry-run -u alice         what would be hit";

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn deferred_subcommands_keep_their_listed_description() {
        let listed: Vec<_> = Cli::command()
            .get_subcommands()
            .map(|sub| (sub.get_name().to_string(), sub.get_about().cloned()))
            .collect();
        let mut built = Cli::command();
        built.build();
        for (name, about) in listed {
            let sub = built.find_subcommand(&name).unwrap();
            assert!(about.is_some(), "{name} has no description");
            assert_eq!(sub.get_about(), about.as_ref(), "{name}");
            assert!(sub.get_arguments().any(|a| a.get_id() != "help"), "{name}");
        }
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
        assert!(
            parse_positive_pid("0")
                .unwrap_err()
                .contains("names no process")
        );
        assert!(parse_positive_pid("-3").unwrap_err().contains("positive"));
        assert!(positive_pid(-7).is_err_and(|e| e.to_string().contains("process group 7")));
    }

    #[test]
    fn ls_flags_parse() {
        let cli = Cli::try_parse_from([
            "ptool", "ls", "-o", "pid,+cmd", "--sort", "-rss,pid", "-n", "x",
        ])
        .expect("parses");
        let Command::Ls(Deferred(args)) = cli.command else {
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
        let Command::Info(Deferred(args)) = cli.command else {
            panic!("info parses as info");
        };
        assert!(args.limits && args.env && !args.files);
        assert_eq!(args.select.pids, vec![42]);
        assert!(Cli::try_parse_from(["ptool", "info", "--files", "--env", "42"]).is_err());
    }

    #[test]
    fn spawn_values_are_checked() {
        assert_eq!(parse_umask("022"), Ok(0o22));
        assert_eq!(parse_umask("0777"), Ok(0o777));
        assert!(parse_umask("8").is_err());
        assert!(parse_umask("1777").is_err());
        assert!(parse_umask("").is_err());
        assert_eq!(parse_nice("-20"), Ok(-20));
        assert!(parse_nice("20").unwrap_err().contains("out of range"));
        assert!(parse_nice("5x").is_err());
        assert_eq!(parse_count("3"), Ok(3));
        assert!(parse_count("0").is_err());
        assert!(parse_count("-1").is_err());
        assert_eq!(
            parse_env_pair("A=b=c".into()),
            Ok(("A".into(), "b=c".into()))
        );
        assert_eq!(parse_env_pair("A=".into()), Ok(("A".into(), "".into())));
        assert!(parse_env_pair("=x".into()).is_err());
        assert!(parse_env_pair("A".into()).is_err());
        assert!(parse_real_signal("0").is_err());
        assert_eq!(parse_real_signal("kill"), Ok(Signal::KILL));
    }

    #[test]
    fn spawn_takes_the_command_after_its_flags() {
        let cli = Cli::try_parse_from([
            "ptool", "spawn", "--nice", "-5", "-e", "A=1", "--", "sleep", "-x", "1",
        ])
        .expect("parses");
        let Command::Spawn(Deferred(args)) = cli.command else {
            panic!("not spawn");
        };
        assert_eq!(args.nice, Some(-5));
        assert_eq!(args.command, ["sleep", "-x", "1"]);
        assert_eq!(args.env.len(), 1);
    }

    #[test]
    fn tree_flags_parse() {
        let cli = Cli::try_parse_from(["ptool", "tree", "-s", "-p", "-A", "-T", "--owner", "42"])
            .expect("parses");
        let Command::Tree(Deferred(args)) = cli.command else {
            panic!("not tree");
        };
        let d = &args.draw;
        assert!(d.ancestors && d.pids && d.ascii && d.threads && d.owner);
        assert!(!d.unicode && !d.args && !d.no_compact && !d.descendants);
        assert_eq!(args.select.pids, vec![42]);
        // -u stays the selector's owner filter
        let cli = Cli::try_parse_from(["ptool", "pstree", "-u", "root", "-a"]).expect("parses");
        let Command::Tree(Deferred(args)) = cli.command else {
            panic!("not tree");
        };
        assert_eq!(args.select.users, vec!["root".to_string()]);
        assert!(args.draw.args);
        assert!(Cli::try_parse_from(["ptool", "tree", "-A", "-U"]).is_err());
    }

    #[test]
    fn wait_flags_parse() {
        let cli = Cli::try_parse_from([
            "ptool",
            "wait",
            "12",
            "--any",
            "--timeout",
            "300ms",
            "--pidfile",
            "a.pid",
            "-v",
        ])
        .expect("parses");
        let Command::Wait(Deferred(args)) = cli.command else {
            panic!("not wait");
        };
        assert_eq!(args.select.pids, vec![12]);
        assert!(args.any && args.verbose);
        assert_eq!(args.timeout, Some(Duration::from_millis(300)));
        assert_eq!(args.status_wait, Duration::from_millis(500));
        assert_eq!(args.pidfile.len(), 1);
        assert!(Cli::try_parse_from(["ptool", "wait", "--timeout", "5x"]).is_err());
    }

    #[test]
    fn named_pids_are_kept_once_in_the_order_given() {
        let args = SelectArgs {
            pids: vec![30, 10, 30, 20, 10],
            ..SelectArgs::default()
        };
        assert_eq!(args.selector().expect("valid").pids, [30, 10, 20]);
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

    #[test]
    fn fork_flags_parse() {
        let cli = Cli::try_parse_from([
            "ptool",
            "fork",
            "-j",
            "3",
            "--halt-on-error",
            "--timeout",
            "2s",
            "grep",
            "-c",
            "x",
            ":::",
            "a",
        ])
        .expect("parses");
        let Command::Fork(Deferred(args)) = cli.command else {
            panic!("not fork");
        };
        assert_eq!(args.jobs, Some(3));
        assert_eq!(args.halt_on_error, Some(Halt::Soon));
        assert_eq!(args.command.len(), 5);
        let cli = Cli::try_parse_from(["ptool", "fork", "--halt-on-error=now", "--", "true"])
            .expect("parses");
        let Command::Fork(Deferred(args)) = cli.command else {
            panic!("not fork");
        };
        assert_eq!(args.halt_on_error, Some(Halt::Now));
        for bad in [
            &["ptool", "fork", "-j", "0", "true"][..],
            &["ptool", "fork", "-j", "x", "true"],
            &["ptool", "fork", "-n", "-1", "true"],
            &["ptool", "fork", "--retries", "-1", "true"],
            &["ptool", "fork", "--timeout", "5x", "true"],
            &["ptool", "fork", "--halt-on-error=later", "true"],
            &["ptool", "fork"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }
}
