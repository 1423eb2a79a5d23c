//! `ptool lock`: the arguments of `lock NAME -- COMMAND` and `lock show`.

use std::ffi::OsString;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::parse_duration;

/// `ptool lock`: run a command holding a lock, or show who holds locks.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true,
    override_usage = "ptool lock [OPTIONS] <NAME> -- <COMMAND>...\n       ptool lock show [NAME]...",
    subcommand_negates_reqs = true,
    after_help = LOCK_AFTER_HELP
)]
pub struct LockArgs {
    #[command(subcommand)]
    pub action: Option<LockAction>,
    /// The lock: a plain name (letters, digits, '-', '_', '.') kept in ptool's lock directory, or a path (anything with a '/')
    #[arg(value_name = "NAME", required = true)]
    pub name: Option<OsString>,
    /// A counting semaphore: at most N holders at once (COMMAND gets its slot in PTOOL_SLOT)
    #[arg(short = 'm', long, value_name = "N", value_parser = parse_max)]
    pub max: Option<u32>,
    /// A reader lock: any number of shared holders, never with an exclusive one
    #[arg(short = 's', long, conflicts_with = "max")]
    pub shared: bool,
    /// Give up after DURATION if the lock is not free by then (exit 124)
    #[arg(short = 't', long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true, conflicts_with = "no_wait")]
    pub timeout: Option<Duration>,
    /// Give up at once if the lock is held (exit 124)
    #[arg(short = 'n', long)]
    pub no_wait: bool,
    /// Exit with N instead of 124 when the lock is not acquired
    #[arg(short = 'E', long, value_name = "N", value_parser = parse_exit_code)]
    pub conflict_exit_code: Option<u8>,
    /// The command to run holding the lock, and its arguments (put them after --)
    #[arg(value_name = "COMMAND", required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<OsString>,
}

#[derive(Debug, Subcommand)]
pub enum LockAction {
    /// Show who holds each lock (PID, command, since when) and who waits
    Show(LockShowArgs),
}

/// `ptool lock show`.
#[derive(Debug, Args)]
pub struct LockShowArgs {
    /// Only these locks (names or paths) [default: every lock in ptool's lock directory]
    #[arg(value_name = "NAME")]
    pub names: Vec<OsString>,
}

/// `--max`: the most slots a semaphore may have (one file and, while
/// waiting, one thread each).
pub const MAX_SLOTS: u32 = 1024;

fn parse_max(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=u64::from(MAX_SLOTS)).contains(&n) => Ok(n as u32),
        Ok(_) => Err(format!("--max must be 1 to {MAX_SLOTS}")),
        Err(_) => Err(format!(
            "'{}' is not a number of holders (a whole number, 1 to {MAX_SLOTS})",
            crate::output::sanitize::escape_str(text)
        )),
    }
}

fn parse_exit_code(text: &str) -> Result<u8, String> {
    text.trim().parse::<u8>().map_err(|_| {
        format!(
            "'{}' is not an exit code (0 to 255)",
            crate::output::sanitize::escape_str(text)
        )
    })
}

const LOCK_AFTER_HELP: &str =
    "COMMAND runs while ptool holds the lock; ptool exits with COMMAND's code (128+N if
it died of signal N). Waiting blocks in the kernel (flock), without polling. If the
lock is not acquired (--timeout, --no-wait), COMMAND is not run and ptool exits 124,
or --conflict-exit-code. Ctrl-C or TERM while waiting: exit 130 or 143, COMMAND not
run; while holding, INT, TERM, HUP, QUIT, USR1 and USR2 are forwarded to COMMAND.

The lock is ptool's alone: COMMAND does not inherit it. A holder that dies in any
way (SIGKILL included) frees it at once. When COMMAND exits, whatever it left
running in its process group gets TERM (KILL 5s later) and the lock is released
once the group is empty, so nothing of the critical section runs on without it.

Plain names live in $XDG_RUNTIME_DIR/ptool/locks (root: /run/lock/ptool).
--max N uses N files, NAME and NAME#1 .. NAME#N-1, one per slot.

Examples:
  ptool lock deploy -- ./deploy.sh             one deploy at a time
  ptool lock --max 3 gpu -- ./train.sh         at most 3 at once (PTOOL_SLOT=0..2)
  ptool lock --timeout 10s /var/lock/db.lock -- ./migrate
  ptool lock --shared cfg -- cat config        readers share, a writer waits
  ptool lock show                              who holds which lock, who waits";
