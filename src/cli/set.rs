//! `ptool set` (alias `renice`): the flags, parsed into
//! [`Changes`](crate::cmd::set::Changes) at the boundary.

use clap::Args;

use super::{SelectArgs, parse_positive_pid};
use crate::cmd::set::Changes;
use crate::cmd::set::change::{IoPrio, LimitChange, Nice, Sched};

/// `ptool set`: change running processes, every thread.
#[derive(Debug, Args)]
#[command(after_help = SET_AFTER_HELP)]
pub struct SetArgs {
    /// Niceness: N (0..19) or =N (-20..19) sets it; +N or -N adds to each thread's (clamped)
    #[arg(long, value_name = "N|+N|-N", allow_hyphen_values = true, value_parser = parse_nice, help_heading = "Changes")]
    pub nice: Option<Nice>,
    /// I/O priority: idle, best-effort[:0-7], realtime[:0-7], none (like ionice)
    #[arg(long, value_name = "CLASS[:LEVEL]", value_parser = parse_io, help_heading = "Changes")]
    pub io: Option<IoPrio>,
    /// The CPUs it may run on, like taskset -c: 0-3,6
    #[arg(long, value_name = "LIST", value_parser = parse_cpus, help_heading = "Changes")]
    pub cpus: Option<CpuList>,
    /// Scheduling policy: other, batch, idle, fifo:1-99, rr:1-99 (like chrt)
    #[arg(long, value_name = "POLICY[:PRIO]", value_parser = parse_sched, help_heading = "Changes")]
    pub sched: Option<Sched>,
    /// A resource limit, like prlimit: nofile=1024:4096, core=unlimited, as=2G (repeatable)
    #[arg(long = "limit", value_name = "RESOURCE=SOFT[:HARD]", value_parser = parse_limit, help_heading = "Changes")]
    pub limits: Vec<LimitChange>,
    /// Only this thread (a TID from ls --threads), not every thread
    #[arg(long, value_name = "TID", value_parser = parse_positive_pid, help_heading = "Changes")]
    pub thread: Option<i32>,
    /// Show what would change, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Allow PID 1, ptool's own ancestors, and -PGID (every process in group PGID)
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub select: SelectArgs,
}

impl SetArgs {
    /// The changes the flags ask for.
    pub fn changes(&self) -> Changes {
        Changes {
            nice: self.nice,
            io: self.io,
            cpus: self.cpus.clone().map(|c| c.0),
            sched: self.sched,
            limits: self.limits.clone(),
            thread: self.thread,
        }
    }
}

const SET_AFTER_HELP: &str =
    "Every thread is changed (renice -p and taskset -p change only the main one), and
threads started meanwhile are caught by listing them again until none is new. Each
target is pinned like kill's (pidfd + start time) and checked again after the change;
every new value is read back from the kernel. Lowering niceness, real-time policies
and the realtime I/O class need privilege (root or CAP_SYS_NICE), as does raising a
hard limit (CAP_SYS_RESOURCE).

Exit: 0 every change was made (or was already so), 1 nothing matched, 3 something
could not be changed (the report says which setting, and why).

Examples:
  ptool set --nice 10 1234              every thread of 1234 to niceness 10
  ptool set --nice +5 -f 'make -j'      5 nicer than each is now
  ptool set --cpus 0-3 --io idle 1234   like taskset -a -c 0-3 and ionice -c 3
  ptool set --sched fifo:10 --thread 1240
  ptool set --limit nofile=4096:8192 --limit core=unlimited 1234
  ptool renice --nice 19 --dry-run -u build";

fn parse_nice(text: &str) -> Result<Nice, String> {
    text.parse()
}

fn parse_io(text: &str) -> Result<IoPrio, String> {
    text.parse()
}

/// A parsed `--cpus` list (one value to clap, not many).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuList(pub Vec<u32>);

fn parse_cpus(text: &str) -> Result<CpuList, String> {
    crate::proc::cpus::parse(text).map(CpuList)
}

fn parse_sched(text: &str) -> Result<Sched, String> {
    text.parse()
}

fn parse_limit(text: &str) -> Result<LimitChange, String> {
    text.parse()
}

#[cfg(test)]
mod tests {
    use super::super::{Cli, Command, DeferredArgs};
    use super::*;
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<SetArgs, clap::Error> {
        let cli = Cli::try_parse_from(args)?;
        match cli.command {
            Command::Set(DeferredArgs(args)) => Ok(args),
            _ => panic!("not set"),
        }
    }

    #[test]
    fn flags_parse() {
        let args = parse(&[
            "ptool",
            "set",
            "--nice",
            "-3",
            "--io",
            "be:2",
            "--cpus",
            "0-1",
            "--sched",
            "rr:5",
            "--limit",
            "nofile=10:20",
            "--limit",
            "core=0",
            "--dry-run",
            "42",
        ])
        .expect("parses");
        let c = args.changes();
        assert_eq!(c.nice, Some(Nice::Relative(-3)));
        assert_eq!(c.io, Some(IoPrio { class: 2, level: 2 }));
        assert_eq!(c.cpus, Some(vec![0, 1]));
        assert_eq!(c.sched.map(|s| s.priority), Some(5));
        assert_eq!(c.limits.len(), 2);
        assert!(args.dry_run);
        assert_eq!(args.select.pids, vec![42]);
        let args = parse(&["ptool", "renice", "--nice", "+2", "-n", "x"]).expect("alias");
        assert_eq!(args.nice, Some(Nice::Relative(2)));
        for bad in [
            &["ptool", "set", "--nice", "20", "1"][..],
            &["ptool", "set", "--io", "fast", "1"],
            &["ptool", "set", "--cpus", "3-1", "1"],
            &["ptool", "set", "--sched", "fifo", "1"],
            &["ptool", "set", "--limit", "nofile", "1"],
            &["ptool", "set", "--thread", "0", "1"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
