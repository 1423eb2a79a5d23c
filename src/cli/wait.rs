//! `ptool wait`'s flags.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{SelectArgs, parse_duration};

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

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command, DeferredArgs};
    use clap::Parser as _;
    use std::time::Duration;

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
        let Command::Wait(DeferredArgs(args)) = cli.command else {
            panic!("not wait");
        };
        assert_eq!(args.select.pids, vec![12]);
        assert!(args.any && args.verbose);
        assert_eq!(args.timeout, Some(Duration::from_millis(300)));
        assert_eq!(args.status_wait, Duration::from_millis(500));
        assert_eq!(args.pidfile.len(), 1);
        assert!(Cli::try_parse_from(["ptool", "wait", "--timeout", "5x"]).is_err());
    }
}
