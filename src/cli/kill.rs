//! `ptool kill`'s flags.

use std::time::Duration;

use clap::Args;

use super::{TargetArgs, parse_duration, parse_signal};
use crate::signal::Signal;

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
