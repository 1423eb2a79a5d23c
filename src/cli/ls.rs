//! `ptool ls`'s flags.

use std::time::Duration;

use clap::Args;

use super::{SelectArgs, parse_duration};
use crate::columns::{Column, SortKey};

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
  pid ppid pgid sid tid user uid gid state wchan nice pri threads cpu mem rss
  vsz start elapsed time utime stime tty name cmd exe cwd
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

pub(super) fn parse_column_spec(text: &str) -> Result<ColumnSpec, String> {
    let (add, key) = match text.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    Ok(ColumnSpec {
        column: key.parse()?,
        add,
    })
}

pub(super) fn parse_sort_key(text: &str) -> Result<SortKey, String> {
    text.parse()
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command, DeferredArgs};
    use clap::Parser as _;

    #[test]
    fn ls_flags_parse() {
        let cli = Cli::try_parse_from([
            "ptool", "ls", "-o", "pid,+cmd", "--sort", "-rss,pid", "-n", "x",
        ])
        .expect("parses");
        let Command::Ls(DeferredArgs(args)) = cli.command else {
            panic!("ls parses as ls");
        };
        assert_eq!(args.columns.len(), 2);
        assert!(args.sort[0].descending);
        assert_eq!(args.select.name.as_deref(), Some("x"));
    }
}
