//! `ptool fork`: the fork-join job pool (`multiprocessing.Pool.map`,
//! `xargs -P`, GNU `parallel`), speaking GNU parallel's job language. Runs a
//! command once per input, at most `-j` at a time, each job in its own
//! process group; passes each job's output through byte for byte and whole;
//! stops jobs cleanly on timeout, halt or Ctrl-C; reports a summary, a
//! joblog and JSON Lines.
//!
//! [`source`] reads the inputs, [`template`] and [`quote`] turn them into
//! command lines, [`pipe`] cuts `--pipe`/`--pipepart` blocks, [`sched`]
//! runs the event loop, [`output`] keeps output whole and ordered,
//! [`records`] writes the joblog and `--results`, [`report`] renders
//! records and the summary.
//!
//! Everything the arguments can get wrong is found here, before any job
//! starts, and refused with exit 255 ([`Exit::Refused`]), which never
//! reads as a count of failed jobs.

pub mod output;
pub mod pipe;
pub mod quote;
pub mod records;
pub mod report;
pub mod sched;
pub mod source;
pub mod spec;
pub mod template;

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::os::unix::ffi::OsStrExt;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{ForkArgs, Halt};
use crate::exit::{Exit, ExitError};
use crate::output::Out;
use crate::output::sanitize::escape;
use crate::signal::Signal;
use crate::sys::child::become_subreaper;
use crate::sys::raise_open_files;
use crate::sys::sigwatch::SignalWatch;

use output::JobPrinter;
use pipe::{Blocks, Parts};
use records::Joblog;
use sched::{Pool, Settings, Tagging, Work};
use source::{Feed, InputReader, Origin, Record, Records, Shape, Source};
use spec::{HaltOn, HaltSpec, JobsSpec, Threshold};
use template::{Mode, Template, TemplateOptions};

/// Open files a job needs at most: its stdin, stdout and stderr pipes and
/// its pidfd.
const FDS_PER_JOB: u64 = 4;
/// The longest command line `-X`/`-m` build by default: the kernel's limit
/// on one argument (`MAX_ARG_STRLEN`, which a `sh -c` string is), and what
/// `xargs` uses.
const DEFAULT_MAX_CHARS: usize = 128 * 1024 - 1;
/// `--pipe`'s default block.
const DEFAULT_BLOCK: u64 = 1 << 20;

/// A usage error: refused before any job starts (exit 255).
fn refuse(message: impl Into<String>) -> anyhow::Error {
    ExitError::new(Exit::Refused, message).into()
}

fn failure(message: impl Into<String>) -> anyhow::Error {
    ExitError::new(Exit::Failure, message).into()
}

fn path_text(path: &std::path::Path) -> String {
    escape(path.as_os_str().as_bytes()).into_owned()
}

pub fn run<W: Write>(args: ForkArgs, out: &Out, w: &mut W) -> Result<Exit> {
    check_combinations(&args, out)?;
    let (command, sources) = source::split_command(&args.command);
    let shape = shape(&args)?;
    let mut names = source::ColumnNames::new();
    let (work, template) = if args.retry_failed {
        retry_failed_work(&args, &command, &sources)?
    } else if args.pipe || args.pipepart {
        pipe_work(&args, &command, &sources)?
    } else {
        input_work(&args, &command, sources, &shape, &mut names)?
    };
    if args.dry_run {
        return dry_run(work, &template, w);
    }
    let jobs = job_slots(args.jobs, &work)?;
    let settings = settings(&args, out, jobs, &names)?;
    let joblog = open_joblog(&args)?;
    run_pool(&args, out, w, &settings, &template, work, joblog)
}

/// Flags that cannot go together, and GNU parallel features ptool refuses
/// rather than run as something else.
fn check_combinations(args: &ForkArgs, out: &Out) -> Result<()> {
    let has_sources = args
        .command
        .iter()
        .any(|w| matches!(w.to_str(), Some(":::" | ":::+" | "::::" | "::::+")))
        || !args.arg_file.is_empty();
    let piping = args.pipe || args.pipepart;
    let batching = args.xargs || args.multiple;
    let per_job = args.max_args.is_some() || args.max_replace_args.is_some();
    let rules: &[(bool, &str)] = &[
        (
            args.count.is_some() && (has_sources || piping),
            "--count runs the command N times; it takes no ::: inputs, -a files or --pipe",
        ),
        (
            piping && (batching || args.shuf || args.colsep.is_some() || args.header.is_some()),
            "--pipe and --pipepart feed blocks to stdin: not with -X, -m, --shuf, --colsep or --header",
        ),
        (
            piping && args.command.iter().any(|w| w == ":::" || w == ":::+"),
            "--pipe and --pipepart read stdin or -a FILE, not ::: inputs",
        ),
        (
            args.pipepart && per_job,
            "--pipepart splits by size: use --block, not -N",
        ),
        (
            args.max_chars.is_some() && !batching,
            "-s only limits the command lines of -X and -m",
        ),
        (
            args.header.as_deref().is_some_and(|h| h != ":"),
            "only --header : is supported (the first input names the columns)",
        ),
        (
            args.results.as_ref().is_some_and(|dir| {
                let b = dir.as_os_str().as_bytes();
                b.contains(&b'{') && b.contains(&b'}')
            }),
            "replacement strings in the --results directory are not supported",
        ),
        (
            args.replace.as_deref() == Some(""),
            "-I needs a non-empty replacement string",
        ),
        (
            out.json && args.line_buffer,
            "--line-buffer cannot be used with --json (each JSON record holds the job's whole output)",
        ),
        (
            out.json && (args.tag || args.tagstring.is_some()),
            "--tag cannot be used with --json (each JSON record has its input)",
        ),
        (
            out.json && args.ungroup,
            "--ungroup cannot be used with --json (the output is not captured)",
        ),
        (
            args.ungroup
                && (args.tag
                    || args.tagstring.is_some()
                    || args.keep_order
                    || args.results.is_some()),
            "--ungroup passes output straight through: not with --tag, --tagstring, -k or --results",
        ),
        (
            args.results.as_ref().is_some_and(|r| {
                let r = r.as_os_str().as_bytes();
                [".csv", ".tsv", ".json"]
                    .iter()
                    .any(|ext| r.ends_with(ext.as_bytes()))
            }),
            "--results into a .csv, .tsv or .json file is not supported (give a directory)",
        ),
        (
            args.block.is_some() && !piping,
            "--block sets the size of --pipe and --pipepart blocks",
        ),
        (
            args.recend.is_some() && !piping,
            "--recend is for --pipe and --pipepart",
        ),
    ];
    for (bad, why) in rules {
        if *bad {
            return Err(refuse(*why));
        }
    }
    Ok(())
}

/// How inputs are split: the delimiter, `--colsep`, `--header`.
fn shape(args: &ForkArgs) -> Result<Shape> {
    let sep = match (&args.delimiter, args.null) {
        (Some(d), _) => source::unescape(d).map_err(|e| refuse(format!("-d: {e}")))?,
        (None, true) => vec![0],
        (None, false) => b"\n".to_vec(),
    };
    // As GNU parallel: --header without --colsep splits at tabs.
    let colsep = args
        .colsep
        .as_deref()
        .or(args.header.is_some().then_some("\t"))
        .map(|re| {
            regex::bytes::Regex::new(re).map_err(|e| {
                refuse(format!(
                    "--colsep: invalid regular expression: {}",
                    crate::output::sanitize::escape_str(&e.to_string())
                ))
            })
        })
        .transpose()?;
    if colsep.as_ref().is_some_and(|re| re.is_match(b"")) {
        return Err(refuse("--colsep must not match an empty string"));
    }
    Ok(Shape {
        sep,
        colsep,
        header: args.header.is_some(),
    })
}

fn template_options<'a>(
    args: &'a ForkArgs,
    names: &'a source::ColumnNames,
    append: bool,
) -> TemplateOptions<'a> {
    TemplateOptions {
        replace: args.replace.as_deref().map(str::as_bytes),
        names,
        no_shell: args.quote,
        append,
        // parallel repeats a word holding {} once per input with -X, and
        // with -n/-N too (`-N 2 echo a{}b` gives `a1b a2b`).
        context: args.xargs || args.max_args.is_some() || args.max_replace_args.is_some(),
    }
}

/// Inputs substituted into the command: `:::`, `::::`, `-a`, stdin, or
/// `--count`.
fn input_work(
    args: &ForkArgs,
    command: &[std::ffi::OsString],
    mut sources: Vec<Source>,
    shape: &Shape,
    column_names: &mut source::ColumnNames,
) -> Result<(Work, Template)> {
    if let Some(total) = args.count {
        let template = Template::parse(command, &template_options(args, &Vec::new(), false))
            .map_err(refuse)?;
        if template.mode() == Mode::InputIsCommand {
            return Err(refuse("--count needs a command to run"));
        }
        return Ok((Work::Inputs(Feed::Count { next: 0, total }), template));
    }
    // -a files come first, as GNU parallel takes them.
    let mut all: Vec<Source> = args
        .arg_file
        .iter()
        .map(|f| Source {
            origin: Origin::File(f.clone()),
            linked: false,
        })
        .collect();
    all.append(&mut sources);
    if all.is_empty() {
        if std::io::stdin().is_terminal() {
            return Err(refuse(
                "no inputs: give them after :::, in a file after :::: or -a, or one per line on stdin (or use --count N)",
            ));
        }
        all.push(Source {
            origin: Origin::File("-".into()),
            linked: false,
        });
    }
    let stdin_sources = all
        .iter()
        .filter(|s| matches!(&s.origin, Origin::File(p) if p.as_os_str() == "-"))
        .count();
    if stdin_sources > 1 {
        return Err(refuse("stdin can be only one input source"));
    }
    let batching = args.xargs || args.multiple;
    let stream_ok = !batching && !args.shuf;
    let (records, names) = source::open(all, shape, stream_ok).map_err(refuse)?;
    let template =
        Template::parse(command, &template_options(args, &names, true)).map_err(refuse)?;
    column_names.clone_from(&names);
    let per_job = args.max_replace_args.or(args.max_args).unwrap_or(1);
    let feed = match records {
        Records::Stream(stream) => Feed::from_stream(stream, per_job),
        Records::List(mut list) => {
            if args.shuf {
                source::shuffle(&mut list);
            }
            if batching {
                let limit = args.max_chars.unwrap_or(DEFAULT_MAX_CHARS);
                let jobs = resolve_jobs(args.jobs.unwrap_or(JobsSpec::Percent(100.0)));
                let jobs = jobs.unwrap_or(usize::MAX);
                let most = args
                    .max_replace_args
                    .or(args.max_args)
                    .unwrap_or(usize::MAX);
                Feed::from_list(batch(&template, list, limit, jobs, most), 1)
            } else {
                Feed::from_list(list, per_job)
            }
        }
    };
    Ok((Work::Inputs(feed), template))
}

/// `-X`/`-m`: as many records per job as fit in `limit` bytes (and at most
/// `most`, with `-n`), spread evenly over the job slots when there are few
/// (as GNU parallel does).
fn batch(
    template: &Template,
    records: Vec<Record>,
    limit: usize,
    jobs: usize,
    most: usize,
) -> Vec<Record> {
    let base = template.expand(&[], 1, 1).size();
    let target = records.len().div_ceil(jobs.max(1)).clamp(1, most.max(1));
    let mut out: Vec<Record> = Vec::new();
    let mut current: Record = Vec::new();
    let (mut count, mut size) = (0, base);
    for record in records {
        // What one more record adds: its values, and the blanks that
        // separate each repeated word (`-X 'echo {} {}'`) from the last.
        let once = template.expand(&record, 1, 1).size();
        let twice = template
            .expand(&[record.clone(), record.clone()].concat(), 1, 1)
            .size();
        let first = once.saturating_sub(base).max(1);
        let more = twice.saturating_sub(once).max(1);
        if count > 0 && (count >= target || size + more > limit) {
            out.push(std::mem::take(&mut current));
            count = 0;
            size = base;
        }
        size += if count == 0 { first } else { more };
        current.extend(record);
        count += 1;
    }
    if count > 0 {
        out.push(current);
    }
    out
}

/// `--pipe` (stdin or one -a file, cut into blocks) or `--pipepart` (one -a
/// file, cut by offsets).
fn pipe_work(
    args: &ForkArgs,
    command: &[std::ffi::OsString],
    sources: &[Source],
) -> Result<(Work, Template)> {
    let template =
        Template::parse(command, &template_options(args, &Vec::new(), false)).map_err(refuse)?;
    if template.mode() == Mode::InputIsCommand {
        return Err(refuse("--pipe and --pipepart need a command to feed"));
    }
    let mut files: Vec<std::path::PathBuf> = args.arg_file.clone();
    for s in sources {
        if let Origin::File(f) = &s.origin {
            files.push(f.clone());
        }
    }
    if files.len() > 1 {
        return Err(refuse(
            "--pipe and --pipepart read one file (-a FILE), not several",
        ));
    }
    let recend = match &args.recend {
        Some(r) => source::unescape(r).map_err(|e| refuse(format!("--recend: {e}")))?,
        None => b"\n".to_vec(),
    };
    let block = args.block.unwrap_or(DEFAULT_BLOCK);
    if args.pipepart {
        let Some(path) = files.first() else {
            return Err(refuse("--pipepart needs the file to split: -a FILE"));
        };
        let parts = Parts::open(path, block, recend)
            .map_err(|e| refuse(format!("--pipepart: {}: {e}", path_text(path))))?;
        return Ok((Work::Part(parts), template));
    }
    let reader = match files.first() {
        Some(path) => InputReader::open(path)
            .map_err(|e| refuse(format!("cannot read {}: {e}", path_text(path))))?,
        None => {
            if std::io::stdin().is_terminal() {
                return Err(refuse(
                    "--pipe reads stdin, which is a terminal: redirect or pipe data into it",
                ));
            }
            InputReader::Stdin(std::io::stdin())
        }
    };
    let block = usize::try_from(block).map_err(|_| refuse("--block is too big"))?;
    let per_block = args.max_replace_args.or(args.max_args);
    Ok((
        Work::Pipe(Blocks::new(reader, block, recend, per_block)),
        template,
    ))
}

/// `--retry-failed`: the failed commands of the joblog, as logged.
fn retry_failed_work(
    args: &ForkArgs,
    command: &[std::ffi::OsString],
    sources: &[Source],
) -> Result<(Work, Template)> {
    if !command.is_empty() || !sources.is_empty() || !args.arg_file.is_empty() {
        return Err(refuse(
            "--retry-failed runs the failed commands of the --joblog as they were logged: give no command or inputs",
        ));
    }
    let (path, _) = joblog_path(args).ok_or_else(|| refuse("--retry-failed needs --joblog"))?;
    let path = path.as_path();
    let log = records::read_joblog(path)
        .map_err(|e| refuse(format!("cannot read the joblog {}: {e}", path_text(path))))?;
    let mut failed: Vec<(u64, Vec<u8>)> = log
        .into_iter()
        .filter(|(_, job)| !job.ok)
        .map(|(seq, job)| (seq, job.command))
        .collect();
    failed.sort_unstable_by_key(|(seq, _)| *seq);
    let template = Template::parse(&[], &TemplateOptions::default()).map_err(refuse)?;
    Ok((Work::Inputs(Feed::Logged(failed.into())), template))
}

/// `--dry-run`: print each command, quoted for a shell, and run nothing.
fn dry_run<W: Write>(mut work: Work, template: &Template, w: &mut W) -> Result<Exit> {
    let mut chunk = vec![0; 64 * 1024];
    let mut seq = 0u64;
    loop {
        let values: Record = match &mut work {
            Work::Inputs(feed) => match feed.take() {
                source::Next::Job {
                    values,
                    seq: Some(s),
                } => {
                    seq = s - 1;
                    values
                }
                source::Next::Job { values, seq: None } => values,
                source::Next::NeedRead => {
                    feed.read_more(&mut chunk)
                        .map_err(|e| failure(format!("cannot read inputs: {e}")))?;
                    continue;
                }
                source::Next::Done => break,
            },
            Work::Pipe(blocks) => match blocks
                .take_blocking()
                .map_err(|e| failure(format!("cannot read stdin: {e}")))?
            {
                Some(_) => Vec::new(),
                None => break,
            },
            Work::Part(parts) => match parts
                .take()
                .map_err(|e| failure(format!("cannot read the file: {e}")))?
            {
                Some(_) => Vec::new(),
                None => break,
            },
        };
        seq += 1;
        let mut line = template.expand(&values, seq, 1).display();
        line.push(b'\n');
        w.write_all(&line)?;
    }
    w.flush()?;
    Ok(Exit::Success)
}

/// The number of CPUs `-j` counts from.
fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// `-j`'s number of slots, `None` for `-j 0` (as many as possible).
fn resolve_jobs(spec: JobsSpec) -> Option<usize> {
    let cpus = cpus();
    match spec {
        JobsSpec::Fixed(n) => Some(n),
        JobsSpec::Unlimited => None,
        JobsSpec::Percent(p) => Some(((cpus as f64 * p / 100.0) as usize).max(1)),
        JobsSpec::Relative(n) => Some(usize::try_from(cpus as i64 + n).unwrap_or(1).max(1)),
    }
}

/// How many jobs may run at once: `-j`, within the open-files limit.
fn job_slots(spec: Option<JobsSpec>, work: &Work) -> Result<usize> {
    let wanted = resolve_jobs(spec.unwrap_or(JobsSpec::Percent(100.0)));
    let known = match work {
        Work::Inputs(feed) => feed.total(),
        _ => None,
    };
    let want = match wanted {
        Some(n) => FDS_PER_JOB * n as u64 + 32,
        None => u64::MAX,
    };
    let have = raise_open_files(want)
        .map_err(|e| failure(format!("cannot read the open-files limit: {e}")))?;
    match wanted {
        Some(n) if have < want => Err(refuse(format!(
            "-j {n} needs about {want} open files but the limit is {have} (see ulimit -n)"
        ))),
        Some(n) => Ok(n),
        None => {
            let most = (have.saturating_sub(32) / FDS_PER_JOB).clamp(1, 100_000) as usize;
            Ok(known.map_or(most, |k| most.min(k.max(1) as usize)))
        }
    }
}

fn settings(
    args: &ForkArgs,
    out: &Out,
    jobs: usize,
    names: &source::ColumnNames,
) -> Result<Settings> {
    let halt = match (args.halt, args.halt_on_error) {
        (Some(h), _) => Some(h),
        (None, Some(when)) => Some(HaltSpec {
            now: when == Halt::Now,
            on: HaltOn::Fail,
            threshold: Threshold::Count(1),
        }),
        (None, None) => None,
    };
    let tag = match &args.tagstring {
        Some(s) => {
            let t = Template::parse(
                &[std::ffi::OsString::from(s)],
                &TemplateOptions {
                    replace: args.replace.as_deref().map(str::as_bytes),
                    no_shell: true,
                    // `-X --tagstring a{}b` tags with `a1b a2b`, as parallel.
                    context: args.xargs
                        || args.max_args.is_some()
                        || args.max_replace_args.is_some(),
                    ..TemplateOptions::default()
                },
            )
            .map_err(refuse)?;
            Some(Tagging::String(t))
        }
        None if args.tag => Some(Tagging::Inputs),
        None => None,
    };
    let skip = if args.resume || args.resume_failed {
        let (path, _) = joblog_path(args).ok_or_else(|| refuse("--resume needs --joblog"))?;
        let path = path.as_path();
        let log = records::read_joblog(path)
            .map_err(|e| refuse(format!("cannot read the joblog {}: {e}", path_text(path))))?;
        records::skipped(&log, args.resume)
    } else {
        HashSet::new()
    };
    Ok(Settings {
        jobs,
        timeout: args.timeout,
        grace: args.grace,
        halt,
        retries: args.retries,
        keep_order: args.keep_order,
        line_buffer: args.line_buffer,
        ungroup: args.ungroup,
        tag,
        json: out.json,
        quiet: out.quiet,
        summary: !out.quiet && !out.json && out.is_terminal() && !args.ungroup,
        single: args.count == Some(1),
        delay: args.delay,
        load: args.load,
        memfree: args.memfree,
        skip,
        results: args.results.clone(),
        // `--results` names a column's directories by its --header name.
        result_labels: names.iter().map(|(n, i)| (*i, n.clone())).collect(),
    })
}

/// The joblog's path, and whether it is to be appended to: GNU parallel's
/// `--joblog +FILE` appends.
fn joblog_path(args: &ForkArgs) -> Option<(std::path::PathBuf, bool)> {
    let path = args.joblog.as_deref()?;
    match path.as_os_str().as_bytes().strip_prefix(b"+") {
        Some(rest) if !rest.is_empty() => Some((
            std::path::PathBuf::from(std::ffi::OsStr::from_bytes(rest)),
            true,
        )),
        _ => Some((path.to_path_buf(), false)),
    }
}

fn open_joblog(args: &ForkArgs) -> Result<Option<Joblog>> {
    let Some((path, plus)) = joblog_path(args) else {
        return Ok(None);
    };
    if path.as_os_str() == "-" {
        return Err(refuse(
            "--joblog - (the joblog on stdout) is not supported: give a file",
        ));
    }
    let append = plus || args.resume || args.resume_failed || args.retry_failed;
    Joblog::open(&path, append)
        .map(Some)
        .map_err(|e| refuse(format!("cannot open the joblog {}: {e}", path_text(&path))))
}

fn run_pool<W: Write>(
    args: &ForkArgs,
    out: &Out,
    w: &mut W,
    settings: &Settings,
    template: &Template,
    work: Work,
    joblog: Option<Joblog>,
) -> Result<Exit> {
    // From here on INT, TERM and HUP are caught (and arrive on a pipe the
    // event loop polls) instead of ending ptool with its jobs still running.
    // CHLD: adopted orphans to reap (and, without pidfds, jobs' exits).
    let watched = [Signal::INT, Signal::TERM, Signal::HUP, Signal::CHLD];
    let signals = SignalWatch::new(&watched.map(Signal::number))
        .map_err(|e| failure(format!("cannot watch signals: {e}")))?;
    // Orphans of the jobs (a grandchild whose parent was killed) come to
    // ptool instead of PID 1, so ptool can reap them.
    become_subreaper().map_err(|e| failure(format!("cannot become a subreaper: {e}")))?;
    let total = match &work {
        Work::Inputs(feed) => feed.total(),
        _ => None,
    };
    let asked = args.bar || args.eta || args.progress;
    let bar = (out.stderr_terminal && (asked || !out.quiet) && !args.ungroup)
        .then(|| progress_bar(total, args.bar || args.eta));
    let printer = JobPrinter::new(w, bar);
    let outcome = Pool::new(settings, template, work, signals, printer, joblog)
        .and_then(Pool::run)
        .map_err(|e| failure(format!("job pool failed: {e}")))?;
    if outcome.broken_pipe {
        return Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe).into());
    }
    let exit = report::exit_code(&outcome.totals, outcome.single.as_ref());
    // The table only on a terminal; the JSON Lines record always.
    if settings.summary || out.json {
        let summary = report::Summary {
            rows: &outcome.rows,
            totals: &outcome.totals,
            exit,
        };
        crate::output::emit(w, out, &summary)?;
    }
    Ok(exit)
}

fn progress_bar(total: Option<u64>, eta: bool) -> ProgressBar {
    let (bar, template) = match total {
        Some(total) => (
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()),
            if eta {
                "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} jobs, {msg}, ETA {eta}"
            } else {
                "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} jobs, {msg}"
            },
        ),
        None => (
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
            "{spinner} {elapsed_precise} {pos} jobs done, {msg}",
        ),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_fill_the_limit_and_spread_over_jobs() {
        let t = Template::parse(
            &["echo".into()],
            &TemplateOptions {
                append: true,
                ..TemplateOptions::default()
            },
        )
        .expect("parses");
        let records: Vec<Record> = (1..=10).map(|i| vec![i.to_string().into_bytes()]).collect();
        let sizes = |b: Vec<Record>| b.iter().map(Vec::len).collect::<Vec<_>>();
        let all = usize::MAX;
        assert_eq!(sizes(batch(&t, records.clone(), 12, 2, all)), [3, 3, 3, 1]);
        assert_eq!(sizes(batch(&t, records.clone(), 1000, 2, all)), [5, 5]);
        assert_eq!(sizes(batch(&t, records.clone(), 1, 1, all)), [1; 10]);
        assert!(batch(&t, Vec::new(), 100, 2, all).is_empty());
        // -X -n 4: at most 4 a line.
        assert_eq!(sizes(batch(&t, records.clone(), 1000, 1, 4)), [4, 4, 2]);
        // A word repeated per input costs its separating blank too:
        // `echo {} {}` with N one-digit inputs is 4N+4 bytes and a NUL.
        let shell = Template::parse(
            &["echo {} {}".into()],
            &TemplateOptions {
                append: true,
                context: true,
                ..TemplateOptions::default()
            },
        )
        .expect("parses");
        let nine = records[..9].to_vec();
        assert_eq!(sizes(batch(&shell, nine, 25, 1, all)), [5, 4]);
    }

    #[test]
    fn jobs_relative_to_cpus() {
        let cpus = cpus();
        assert_eq!(resolve_jobs(JobsSpec::Fixed(3)), Some(3));
        assert_eq!(resolve_jobs(JobsSpec::Unlimited), None);
        assert_eq!(resolve_jobs(JobsSpec::Relative(1)), Some(cpus + 1));
        assert_eq!(resolve_jobs(JobsSpec::Relative(-1000)), Some(1));
        assert_eq!(resolve_jobs(JobsSpec::Percent(200.0)), Some(cpus * 2));
        assert_eq!(resolve_jobs(JobsSpec::Percent(1.0)), Some(1));
    }
}
