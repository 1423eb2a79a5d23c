//! `ptool top`'s flags: the selector as the starting filter, `ls`'s columns
//! and sorting, and how often and how many times to refresh.

use std::time::Duration;

use clap::Args;

use super::ls::{parse_column_spec, parse_sort_key};
use super::{ColumnSpec, SelectArgs, parse_duration};
use crate::columns::SortKey;

/// `ptool top`: the live view.
#[derive(Debug, Args)]
#[command(after_help = TOP_AFTER_HELP)]
pub struct TopArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// Columns to show, comma-separated (as `ptool ls -o`); +COL,... adds to the defaults
    #[arg(short = 'o', long = "columns", value_name = "COLS", value_delimiter = ',', value_parser = parse_column_spec)]
    pub columns: Vec<ColumnSpec>,
    /// Sort by these columns, comma-separated; a leading - sorts descending
    #[arg(short = 's', long, value_name = "[-]KEY", value_delimiter = ',', allow_hyphen_values = true, value_parser = parse_sort_key, default_value = "-cpu")]
    pub sort: Vec<SortKey>,
    /// Time between refreshes
    #[arg(short = 'd', long, value_name = "DURATION", default_value = "1s", value_parser = parse_interval, allow_hyphen_values = true)]
    pub interval: Duration,
    /// Stop after N refreshes (default: run until quit)
    #[arg(long, value_name = "N", value_parser = parse_iterations)]
    pub iterations: Option<u64>,
    /// Print each refresh as text (header and table, like top -b) instead of
    /// the interactive screen; the default when stdout is not a terminal
    #[arg(short = 'b', long)]
    pub batch: bool,
    /// Start in the tree view
    #[arg(short = 't', long)]
    pub tree: bool,
    /// Start with one row per thread
    #[arg(short = 'T', long)]
    pub threads: bool,
    /// `k`: how long to wait for TERM before KILL (as `ptool kill --grace`)
    #[arg(short = 'g', long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration, allow_hyphen_values = true)]
    pub grace: Duration,
}

const TOP_AFTER_HELP: &str =
    "%CPU is measured between refreshes from user + system time: 100% is one CPU
fully used (as htop shows it); the first refresh shows the average since each
process started. Columns and sort keys are ls's (see ptool ls --help).
Press ? on the screen for the keys. Actions (k kill, s signal, n/N renice) pin
each process as it was on the screen, so a PID reused since is never hit.

--json prints one object per refresh (JSON Lines):
  {\"time\", \"system\": {cpus, memory, swap, load, uptime, tasks}, \"processes\": [...]}

Examples:
  ptool top                          every process, busiest first
  ptool top -u \"$USER\" -f worker     my workers only
  ptool top -b --iterations 3 -d 500ms
  ptool top --json --iterations 2 | jq '.processes[0]'";

/// The shortest interval: below it a refresh would take most of the time.
const MIN_INTERVAL: Duration = Duration::from_millis(50);
/// The longest: a day.
const MAX_INTERVAL: Duration = Duration::from_secs(86_400);

fn parse_interval(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d < MIN_INTERVAL {
        return Err(format!(
            "the interval must be at least {}ms",
            MIN_INTERVAL.as_millis()
        ));
    }
    if d > MAX_INTERVAL {
        return Err("the interval must be at most 24h".to_string());
    }
    Ok(d)
}

fn parse_iterations(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("--iterations must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "'{}' is not a number of refreshes (a whole number, 1 or more)",
            crate::output::sanitize::escape_str(text)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command, DeferredArgs};
    use clap::Parser;

    #[test]
    fn top_flags_parse() {
        let cli = Cli::try_parse_from([
            "ptool",
            "top",
            "-b",
            "--iterations",
            "3",
            "-d",
            "200ms",
            "-o",
            "+nice",
            "-u",
            "root",
        ])
        .expect("parses");
        let Command::Top(DeferredArgs(args)) = cli.command else {
            panic!("not top");
        };
        assert!(args.batch && !args.tree);
        assert_eq!(args.iterations, Some(3));
        assert_eq!(args.interval, Duration::from_millis(200));
        assert!(args.sort[0].descending);
        assert_eq!(args.select.users, ["root"]);
        for bad in [
            &["ptool", "top", "--iterations", "0"][..],
            &["ptool", "top", "--iterations", "-1"],
            &["ptool", "top", "-d", "0"],
            &["ptool", "top", "-d", "10ms"],
            &["ptool", "top", "-d", "1000d"],
            &["ptool", "top", "-o", "bogus"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }
}
