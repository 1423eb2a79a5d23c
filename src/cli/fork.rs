//! `ptool fork`'s flags: GNU parallel's job language (the flags people
//! type every day, with parallel's names and meanings) plus ptool's own
//! (`--count`, `--grace`, `--retries`, `--json`). Values are parsed here
//! into plain types (`-j`, `--halt` and `--timeout` by
//! [`crate::cmd::fork::spec`], which the command shares), so the command
//! never sees raw strings.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::parse_duration;
use crate::cmd::fork::spec::{
    HaltSpec, JobsSpec, TimeoutSpec, parse_halt, parse_jobs, parse_timeout,
};
use crate::output::sanitize::escape_str;

/// `ptool fork`: run a command once per input, at most N at a time.
#[derive(Debug, Args)]
#[command(after_help = FORK_AFTER_HELP)]
pub struct ForkArgs {
    /// Run at most N jobs at a time: N, 0 (as many as possible), N% of the CPUs, +N or -N CPUs [default: the number of CPUs]
    #[arg(short = 'j', long = "jobs", visible_short_alias = 'P', visible_alias = "max-procs", value_name = "N", value_parser = parse_jobs, allow_hyphen_values = true, help_heading = "Scheduling")]
    pub jobs: Option<JobsSpec>,
    /// Run the command N times; each job's input is its index, 0 to N-1
    #[arg(long = "count", value_name = "N", value_parser = parse_count, allow_hyphen_values = true)]
    pub count: Option<u64>,
    /// Give each job N inputs (like xargs -n; 0 runs the command without inputs)
    #[arg(short = 'n', long = "max-args", value_name = "N", value_parser = parse_per_job, allow_hyphen_values = true, help_heading = "Inputs")]
    pub max_args: Option<usize>,
    /// Give each job N inputs, as {1} to {N} (like -n)
    #[arg(short = 'N', long = "max-replace-args", value_name = "N", value_parser = parse_per_job, allow_hyphen_values = true, help_heading = "Inputs")]
    pub max_replace_args: Option<usize>,
    /// Put as many inputs on each command line as fit, repeating the word around {}
    #[arg(
        short = 'X',
        long = "xargs",
        conflicts_with = "multiple",
        help_heading = "Inputs"
    )]
    pub xargs: bool,
    /// Put as many inputs on each command line as fit, in place of {}
    #[arg(short = 'm', help_heading = "Inputs")]
    pub multiple: bool,
    /// Limit a command line to N bytes (with -X and -m) [default: the system's limit]
    #[arg(short = 's', long = "max-chars", value_name = "N", value_parser = parse_max_chars, help_heading = "Inputs")]
    pub max_chars: Option<usize>,
    /// Use STR instead of {} for the input
    #[arg(short = 'I', value_name = "STR", help_heading = "Inputs")]
    pub replace: Option<String>,
    /// Inputs on stdin and in files end with a NUL byte, not a newline (find -print0)
    #[arg(
        short = '0',
        long = "null",
        conflicts_with = "delimiter",
        help_heading = "Inputs"
    )]
    pub null: bool,
    /// Inputs end with DELIM, not a newline (\n, \t, \0 and \\ are understood)
    #[arg(
        short = 'd',
        long = "delimiter",
        value_name = "DELIM",
        help_heading = "Inputs"
    )]
    pub delimiter: Option<String>,
    /// Read inputs from FILE, one per line ('-' is stdin); repeat for more sources
    #[arg(
        short = 'a',
        long = "arg-file",
        value_name = "FILE",
        help_heading = "Inputs"
    )]
    pub arg_file: Vec<PathBuf>,
    /// Split each input at REGEX into {1} {2} ...
    #[arg(short = 'C', long, value_name = "REGEX", help_heading = "Inputs")]
    pub colsep: Option<String>,
    /// ':' takes each source's first input as the names of its columns, {name}
    #[arg(long, value_name = ":", help_heading = "Inputs")]
    pub header: Option<String>,
    /// Run the jobs in random order
    #[arg(long, help_heading = "Scheduling")]
    pub shuf: bool,
    /// Print the jobs' output in input order (each still whole)
    #[arg(short = 'k', long, help_heading = "Output")]
    pub keep_order: bool,
    /// Print output lines as jobs write them (whole lines, never mixed)
    #[arg(
        long,
        visible_alias = "lb",
        conflicts_with = "ungroup",
        help_heading = "Output"
    )]
    pub line_buffer: bool,
    /// Let jobs write straight to ptool's stdout and stderr (fastest; lines may mix)
    #[arg(short = 'u', long, help_heading = "Output")]
    pub ungroup: bool,
    /// Prefix each output line with the job's inputs and a tab
    #[arg(long, help_heading = "Output")]
    pub tag: bool,
    /// Prefix each output line with STR (replacement strings work) and a tab
    #[arg(long, value_name = "STR", help_heading = "Output")]
    pub tagstring: Option<String>,
    /// Print each command instead of running it, quoted for a shell
    #[arg(long, visible_alias = "dryrun", help_heading = "Output")]
    pub dry_run: bool,
    /// Keep each job's output in DIR/1/<input>/stdout, stderr and seq, as GNU parallel does
    #[arg(
        long,
        visible_aliases = ["res", "result"],
        value_name = "DIR",
        help_heading = "Output"
    )]
    pub results: Option<PathBuf>,
    /// A progress bar with an estimate of the time left, on stderr (on a terminal)
    #[arg(long, help_heading = "Output")]
    pub bar: bool,
    /// Show the estimated time left, on stderr (on a terminal)
    #[arg(long, help_heading = "Output")]
    pub eta: bool,
    /// Show how many jobs run and are done, on stderr (on a terminal)
    #[arg(long, help_heading = "Output")]
    pub progress: bool,
    /// Stop a job running longer than DURATION, or N% of the median job's time: TERM to its group, KILL after --grace
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout, allow_hyphen_values = true, help_heading = "Scheduling")]
    pub timeout: Option<TimeoutSpec>,
    /// Time stopped jobs get between TERM and KILL
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "1s", allow_hyphen_values = true, help_heading = "Scheduling")]
    pub grace: Duration,
    /// Wait DURATION between job starts
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true, help_heading = "Scheduling")]
    pub delay: Option<Duration>,
    /// Start no job while the 1-minute load average is above MAX (N, or N% of the CPUs)
    #[arg(long, value_name = "MAX", value_parser = parse_load, help_heading = "Scheduling")]
    pub load: Option<f64>,
    /// Start no job while less than SIZE of memory is available (500M, 2G)
    #[arg(long, value_name = "SIZE", value_parser = parse_size, help_heading = "Scheduling")]
    pub memfree: Option<u64>,
    /// When to stop: never, soon|now,fail=N[%], soon|now,success=N[%], soon|now,done=N[%] (or 0, 1, 2)
    #[arg(long, value_name = "WHEN", value_parser = parse_halt, conflicts_with = "halt_on_error", help_heading = "Scheduling")]
    pub halt: Option<HaltSpec>,
    /// After a job fails, start no new ones; =now also stops the running ones
    #[arg(
        long,
        value_name = "WHEN",
        value_enum,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "soon",
        help_heading = "Scheduling"
    )]
    pub halt_on_error: Option<Halt>,
    /// Try a failing job up to N times in all, as GNU parallel does (0 or 1: once)
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = parse_retries, allow_hyphen_values = true, help_heading = "Scheduling")]
    pub retries: u32,
    /// Write one line per job to FILE, in GNU parallel's joblog layout
    #[arg(
        long,
        visible_alias = "jl",
        value_name = "FILE",
        help_heading = "Records"
    )]
    pub joblog: Option<PathBuf>,
    /// Skip the jobs the --joblog lists (by number), append the others
    #[arg(long, requires = "joblog", help_heading = "Records")]
    pub resume: bool,
    /// Like --resume, but run again the jobs the --joblog lists as failed
    #[arg(
        long,
        requires = "joblog",
        conflicts_with = "resume",
        help_heading = "Records"
    )]
    pub resume_failed: bool,
    /// Run again the failed commands the --joblog lists, as logged (no command or inputs needed)
    #[arg(long, requires = "joblog", conflicts_with_all = ["resume", "resume_failed"], help_heading = "Records")]
    pub retry_failed: bool,
    /// Split stdin into blocks of whole records, each fed to a job's stdin
    #[arg(long, visible_alias = "spreadstdin", help_heading = "Pipe")]
    pub pipe: bool,
    /// Split the file given by -a into blocks by offset, each fed to a job's stdin
    #[arg(long, conflicts_with = "pipe", help_heading = "Pipe")]
    pub pipepart: bool,
    /// The size of a --pipe block (1M = 1048576, 1m = 1000000; records are never cut) [default: 1M]
    #[arg(long, visible_aliases = ["blocksize", "block-size"], value_name = "SIZE", value_parser = parse_size, help_heading = "Pipe")]
    pub block: Option<u64>,
    /// What ends a --pipe record [default: \n]
    #[arg(long, value_name = "STR", help_heading = "Pipe")]
    pub recend: Option<String>,
    /// Run the command as given, without a shell, even when it is one word with spaces
    #[arg(long, help_heading = "Inputs")]
    pub quote: bool,
    /// Accepted and ignored (GNU parallel's citation notice; ptool has none)
    #[arg(long, hide = true)]
    pub will_cite: bool,
    /// The command and its arguments, then ::: INPUTS, :::+ INPUTS, :::: FILES, ::::+ FILES
    #[arg(value_name = "COMMAND", trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

/// `--halt-on-error`'s short form of `--halt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Halt {
    /// Start no new jobs; let the running ones finish
    Soon,
    /// Start no new jobs and stop the running ones (TERM, then KILL)
    Now,
}

const FORK_AFTER_HELP: &str =
    "Inputs: the words after :::, the lines of the files after :::: or -a, or the
lines of stdin. Several ::: or :::: give every combination; :::+ and ::::+
pair their inputs with the previous source's. --count N runs the command N
times instead.

Replacement strings: {} the input, {.} without its extension, {/} its base
name, {//} its directory, {/.} the base name without extension, {#} the job
number, {%} the slot (1 to -j), {1} {2} ... each source or --colsep column
(also {1.} {2/} {1//} {2/.}), {name} a --header column. With none of them the
inputs are added at the end.

A command given as one word with spaces or shell syntax runs under /bin/sh -c
with every input shell-quoted:  ptool fork 'gzip -c {} > {}.gz' ::: *.log
A command given as several words runs as it is, without a shell. With no
command, each input is a command line for /bin/sh.

Exit: 0 when every job succeeded; else the number of failed jobs (1 to 100,
101 for more); with --halt ...,fail the failing job's code; with --count 1
the job's own code (124 on timeout); 128+N when interrupted by signal N.
Errors found before any job starts (bad flags, unsupported GNU parallel
options, missing files) exit 255, which is never a count of jobs.

Examples:
  ptool fork -j 4 gzip -k ::: *.log
  find . -name '*.png' -print0 | ptool fork -0 --tag optipng
  ptool fork -k 'convert {} {.}.jpg' ::: *.png
  ptool fork echo {1} {2} ::: a b ::: 1 2
  ptool fork --pipe --block 10M wc -l < big.txt
  ptool fork --count 8 --timeout 5m --joblog jobs.tsv -- ./worker --shard {}";

fn parse_count(text: &str) -> Result<u64, String> {
    text.trim().parse::<u64>().map_err(|_| {
        format!(
            "'{}' is not a count (a whole number, 0 or more)",
            escape_str(text)
        )
    })
}

/// `-n`/`-N`: a count, with parallel's size suffixes (`1k` = 1000,
/// `1K` = 1024).
fn parse_per_job(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let n = if t.ends_with(|c: char| c.is_ascii_alphabetic()) {
        parse_size(t).ok()
    } else {
        t.parse::<u64>().ok()
    };
    match n.ok_or(()) {
        Ok(n) if n <= 100_000 => Ok(n as usize),
        Ok(_) => Err("at most 100000 inputs per job".to_string()),
        Err(_) => Err(format!(
            "'{}' is not a number of inputs per job (0 or more)",
            escape_str(text)
        )),
    }
}

fn parse_max_chars(text: &str) -> Result<usize, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=1 << 30).contains(&n) => Ok(n as usize),
        _ => Err(format!(
            "'{}' is not a command-line length (1 to 1073741824 bytes)",
            escape_str(text)
        )),
    }
}

fn parse_retries(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if n <= 1000 => Ok(n),
        Ok(_) => Err("--retries must be at most 1000".to_string()),
        Err(_) => Err(format!(
            "'{}' is not a number of retries (0 or more)",
            escape_str(text)
        )),
    }
}

fn parse_load(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "'{}' is not a load average (like 4 or 80%)",
            escape_str(text)
        )
    };
    let (number, pct) = match t.strip_suffix('%') {
        Some(n) => (n, true),
        None => (t, false),
    };
    let n: f64 = number.parse().map_err(|_| bad())?;
    if !n.is_finite() || n <= 0.0 || n > 1e6 {
        return Err(bad());
    }
    if pct {
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Ok(n / 100.0 * cpus as f64)
    } else {
        Ok(n)
    }
}

/// A size: a number of bytes with an optional suffix, as GNU parallel
/// reads `--block` and `--memfree`: upper case (`K`, `M`, `G`, `T`) and
/// `Ki`/`ki` are powers of 1024, lower case (`k`, `m`, `g`, `t`) powers of
/// 1000.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "'{}' is not a size (like 512K, 10M or 2G)",
            escape_str(text)
        )
    };
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number.parse().map_err(|_| bad())?;
    let unit = unit.trim().trim_end_matches(['b', 'B']);
    let (binary, letter) = match unit.strip_suffix(['i', 'I']) {
        Some(letter) => (true, letter),
        None => (unit.chars().all(|c| c.is_ascii_uppercase()), unit),
    };
    let power = match letter.to_ascii_lowercase().as_str() {
        "" => 0,
        "k" => 1,
        "m" => 2,
        "g" => 3,
        "t" => 4,
        _ => return Err(bad()),
    };
    let base: f64 = if binary { 1024.0 } else { 1000.0 };
    let bytes = n * base.powi(power);
    if !bytes.is_finite() || bytes < 1.0 || bytes > (1u64 << 50) as f64 {
        return Err(format!(
            "'{}' is out of range (1 byte to 1P)",
            escape_str(text)
        ));
    }
    Ok(bytes as u64)
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
        assert_eq!(args.jobs, Some(JobsSpec::Fixed(3)));
        assert_eq!(args.halt_on_error, Some(Halt::Soon));
        assert_eq!(args.command.len(), 5);
        let cli = Cli::try_parse_from([
            "ptool",
            "fork",
            "-n2",
            "-j+1",
            "--halt",
            "now,fail=1",
            "--",
            "true",
        ])
        .expect("parses");
        let Command::Fork(DeferredArgs(args)) = cli.command else {
            panic!("not fork");
        };
        assert_eq!(args.max_args, Some(2));
        assert_eq!(args.jobs, Some(JobsSpec::Relative(1)));
        assert!(args.halt.is_some_and(|h| h.now));
        for bad in [
            &["ptool", "fork", "-j", "x", "true"][..],
            &["ptool", "fork", "--count", "-1", "true"],
            &["ptool", "fork", "--retries", "-1", "true"],
            &["ptool", "fork", "--timeout", "5x", "true"],
            &["ptool", "fork", "--halt-on-error=later", "true"],
            &["ptool", "fork", "--sshlogin", "x", "true"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("512Ki"), Ok(512 << 10));
        assert_eq!(parse_size("100k"), Ok(100_000));
        assert_eq!(parse_size("2m"), Ok(2_000_000));
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        for bad in ["", "0", "1X", "-1M", "99999P"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
