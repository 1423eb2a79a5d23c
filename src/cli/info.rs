//! `ptool info`'s flags.

use clap::Args;

use super::SelectArgs;

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
    /// Also show USS and PSS (from smaps_rollup, which walks every page table: slower)
    #[arg(long, help_heading = "Sections", conflicts_with = "files")]
    pub memory: bool,
}

const INFO_AFTER_HELP: &str =
    "Sections: identity (ids, parent, group, session, terminal, users), program (exe,
command, cwd, root, start, state, threads, scheduling, cgroup, namespaces), resources
(memory, CPU, page faults, context switches, I/O), scheduling (CPUs, I/O priority,
policy, per thread where they differ), now (wchan, the system call in progress), open
files, signals. What needs more privilege than ptool has says \"permission denied\".

--json gives one object for a single PID, an array for several PIDs or a selector.
Exit: 0 shown, 1 no such process, 3 some PIDs missing (or --files unreadable).

Examples:
  ptool info 1234                  the whole page
  ptool info --files 1234          open files and sockets, like lsof -p 1234
  ptool info -n nginx --limits     every nginx process, with its limits
  ptool info 1234 --json | jq '.open_files[] | select(.socket) | .socket'";

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command, DeferredArgs};
    use clap::Parser as _;

    #[test]
    fn info_flags_parse() {
        let cli =
            Cli::try_parse_from(["ptool", "info", "--limits", "--env", "42"]).expect("parses");
        let Command::Info(DeferredArgs(args)) = cli.command else {
            panic!("info parses as info");
        };
        assert!(args.limits && args.env && !args.files);
        assert_eq!(args.select.pids, vec![42]);
        assert!(Cli::try_parse_from(["ptool", "info", "--files", "--env", "42"]).is_err());
    }
}
