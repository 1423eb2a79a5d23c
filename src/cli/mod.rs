//! The command-line interface (clap derive): global flags, the subcommand
//! list, and the value parsers several subcommands share. Each subcommand's
//! `Args` struct lives in its own file here (`ls.rs`, `kill.rs`, ...).
//! Values are parsed here, at the boundary, into ptool's own types
//! (`Signal`, `Duration`, `Column`), so commands never see raw strings; the
//! selector flags become a plain [`crate::select::SelectorSpec`].

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::signal::Signal;

mod completions;
mod fork;
mod info;
mod kill;
pub mod lock;
mod ls;
mod select;
mod set;
mod signal;
mod spawn;
mod top;
mod tree;
mod wait;

pub use completions::{CompletePidsArgs, CompletionsArgs, ManArgs, TargetShell};
pub use fork::{ForkArgs, Halt};
pub use info::InfoArgs;
pub use kill::KillArgs;
pub use ls::{ColumnSpec, LsArgs};
pub use select::{SelectArgs, TargetArgs};
pub use set::SetArgs;
pub use signal::{ShowArgs, SignalArgs, SignalView};
pub use spawn::SpawnArgs;
pub use top::TopArgs;
pub use tree::{TreeArgs, TreeDrawArgs};
pub use wait::WaitArgs;

pub use crate::select::{parse_pid, positive_pid};

/// Inspect and control Linux processes: one consistent, scriptable, safe tool.
#[derive(Debug, Parser)]
#[command(
    name = "ptool",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = crate::exit::summary()
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
    Ls(DeferredArgs<LsArgs>),
    /// Everything about a process: ids, program, resources, open files and sockets, signals
    Info(DeferredArgs<InfoArgs>),
    /// Start a command: detached (like nohup + setsid, with a pidfile done
    /// right) or in the foreground with --wait (like timeout)
    Spawn(DeferredArgs<SpawnArgs>),
    /// Draw processes as a tree (like pstree): all, subtrees, or the branches of matches
    #[command(visible_alias = "pstree")]
    Tree(DeferredArgs<TreeArgs>),
    /// Run a command for each input, N at a time (like xargs -P, GNU parallel)
    Fork(DeferredArgs<ForkArgs>),
    /// Wait for processes to end, child or not (like pidwait, with exit status)
    Wait(DeferredArgs<WaitArgs>),
    /// Send a signal (like kill), list signals, or show a process's dispositions
    Signal(DeferredArgs<SignalArgs>),
    /// End processes: TERM, wait, then KILL what is left (like pkill + pidwait)
    Kill(DeferredArgs<KillArgs>),
    /// Watch processes live (like top, htop), or print refreshes for scripts (--batch, --json)
    Top(DeferredArgs<TopArgs>),
    /// Run a command holding a lock or semaphore, or show who holds locks (like flock, sem)
    Lock(DeferredArgs<lock::LockArgs>),
    /// Change running processes, every thread: niceness, I/O priority, CPUs,
    /// scheduling, limits (like renice, ionice, taskset, chrt, prlimit)
    #[command(visible_alias = "renice")]
    Set(DeferredArgs<SetArgs>),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(DeferredArgs<CompletionsArgs>),
    /// Print the manual page of ptool or of one subcommand (roff)
    Man(DeferredArgs<ManArgs>),
    /// The live PIDs a completion script offers (called by the scripts)
    #[command(hide = true)]
    CompletePids(DeferredArgs<CompletePidsArgs>),
}

/// A subcommand's arguments, defined only when that subcommand is the one
/// being run (clap's `Command::defer`). Otherwise clap builds all eight
/// subcommands' flags on every start: a quarter of the page faults of a
/// `ptool spawn -- true` (226 before, 167 after), which a shell loop of
/// spawns pays once per command.
#[derive(Debug, Clone)]
pub struct DeferredArgs<T>(pub T);

impl<T: Args> Args for DeferredArgs<T> {
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

impl<T: clap::FromArgMatches> clap::FromArgMatches for DeferredArgs<T> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(DeferredArgs)
    }

    fn from_arg_matches_mut(matches: &mut clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(matches).map(DeferredArgs)
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

/// Parse a signal (`TERM`, `SIGTERM`, `term`, `15`, `RTMIN+3`, `0`).
pub fn parse_signal(text: &str) -> Result<Signal, String> {
    text.parse::<Signal>().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every short option that takes a value parses the same with the value
    /// attached (`-t1ms`, `-C/`, `-eK=V`, `-n2`) as given apart, in every
    /// subcommand, and never as a command or a PID.
    #[test]
    fn short_options_take_attached_values_everywhere() {
        // What each subcommand needs besides the option to parse at all.
        let tail = |sub: &str| -> &'static [&'static str] {
            match sub {
                "spawn" => &["true"],
                "fork" => &["echo"],
                "signal" => &["HUP", "1"],
                "info" | "wait" | "kill" => &["1"],
                "lock" => &["name", "true"],
                _ => &[],
            }
        };
        let sample = |value_name: &str| -> &'static str {
            match value_name {
                // top's interval is at least 50ms.
                "DURATION" => "100ms",
                "N" => "2",
                "DIR" => "/",
                "KEY=VALUE" => "K=V",
                "SIG" | "SIGNAL" => "TERM",
                "PID" | "PGID" | "SID" => "1",
                "COLS" => "pid,cmd",
                "[-]KEY" => "-pid",
                "REGEX" => "x",
                "USER" => "root",
                "STATES" => "R",
                "STR" => "%",
                "DELIM" => ",",
                "FILE" => "/dev/null",
                "SIZE" => "1M",
                "MAX" => "2",
                "NAME" => "x",
                "VIEW" => "tree",
                "WHEN" => "now,fail=1",
                other => panic!("add a sample value for {other}"),
            }
        };
        let mut cli = Cli::command();
        cli.build();
        let mut checked = 0;
        for sub in cli.get_subcommands() {
            let name = sub.get_name();
            for arg in sub.get_arguments() {
                let (Some(short), true) = (arg.get_short(), arg.get_action().takes_values()) else {
                    continue;
                };
                let value_name = arg
                    .get_value_names()
                    .and_then(|v| v.first())
                    .map_or_else(|| arg.get_id().as_str().to_uppercase(), |v| v.to_string());
                let value = sample(&value_name);
                let apart: Vec<String> = ["ptool", name, &format!("-{short}"), value]
                    .into_iter()
                    .chain(tail(name).iter().copied())
                    .map(String::from)
                    .collect();
                let attached: Vec<String> = ["ptool", name, &format!("-{short}{value}")]
                    .into_iter()
                    .chain(tail(name).iter().copied())
                    .map(String::from)
                    .collect();
                let apart = Cli::try_parse_from(&apart).map(|c| format!("{c:?}"));
                let attached = Cli::try_parse_from(&attached).map(|c| format!("{c:?}"));
                let Ok(apart) = apart else {
                    panic!("{name} -{short} {value}: {}", apart.unwrap_err());
                };
                assert_eq!(attached.ok(), Some(apart), "{name} -{short}{value}");
                checked += 1;
            }
        }
        assert!(checked >= 15, "only {checked} short options with values");
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
}
