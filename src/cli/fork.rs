//! `ptool fork`'s flags.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::parse_duration;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command, DeferredArgs};
    use clap::Parser as _;

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
        let Command::Fork(DeferredArgs(args)) = cli.command else {
            panic!("not fork");
        };
        assert_eq!(args.jobs, Some(3));
        assert_eq!(args.halt_on_error, Some(Halt::Soon));
        assert_eq!(args.command.len(), 5);
        let cli = Cli::try_parse_from(["ptool", "fork", "--halt-on-error=now", "--", "true"])
            .expect("parses");
        let Command::Fork(DeferredArgs(args)) = cli.command else {
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
