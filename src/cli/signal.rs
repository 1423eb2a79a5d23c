//! `ptool signal`'s flags and views.

use clap::{Args, Subcommand};

use super::{SelectArgs, TargetArgs, parse_signal};
use crate::signal::Signal;

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
