//! `ptool fork`: the fork-join job pool (`multiprocessing.Pool.map`,
//! `xargs -P`, GNU `parallel`). Runs a command once per input, at most `-j`
//! at a time, each job in its own process group; keeps each job's output
//! whole; stops jobs cleanly on timeout, halt or Ctrl-C; reports a summary,
//! a joblog and JSON Lines.
//!
//! [`input`] turns arguments into inputs and command lines, [`sched`] runs
//! the event loop, [`output`] keeps output whole and ordered, [`report`]
//! renders records and the summary.

pub mod input;
pub mod output;
pub mod report;
pub mod sched;

use std::io::{IsTerminal, Write};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::ForkArgs;
use crate::exit::{Exit, ExitError, usage};
use crate::output::{Out, json};
use crate::signal::Signal;
use crate::sys::child::become_subreaper;
use crate::sys::raise_open_files;
use crate::sys::sigwatch::SignalWatch;

use input::{Inputs, Splitter, Template};
use output::Printer;
use sched::{Joblog, Pool, Settings};

/// Open files a job needs at most: its stdout and stderr pipes and pidfd.
const FDS_PER_JOB: u64 = 3;

pub fn run<W: Write>(args: ForkArgs, out: &Out, w: &mut W) -> Result<Exit> {
    let (command, words) = input::split_command(&args.command);
    if command.is_empty() {
        return Err(usage("no command to run (the command comes before :::)"));
    }
    if words.is_some_and(|w| w.iter().any(|w| w == ":::")) {
        return Err(usage("only one ::: list of inputs is supported"));
    }
    if args.count.is_some() && words.is_some() {
        return Err(usage(
            "-n runs the command N times; it cannot take ::: inputs too",
        ));
    }
    if args.null && (args.count.is_some() || words.is_some()) {
        return Err(usage(
            "-0 splits inputs read from stdin; not with ::: or -n",
        ));
    }
    if args.timeout.is_some_and(|t| t.is_zero()) {
        return Err(usage(
            "--timeout 0 would stop every job at once; give a positive duration",
        ));
    }
    if out.json && args.line_buffer {
        return Err(usage(
            "--line-buffer cannot be used with --json (each JSON record holds the job's whole output)",
        ));
    }
    if out.json && args.tag {
        return Err(usage(
            "--tag cannot be used with --json (each JSON record has its input)",
        ));
    }
    let inputs = match (args.count, words) {
        (Some(total), _) => Inputs::Count { next: 0, total },
        (None, Some(words)) => Inputs::words(words.to_vec()),
        (None, None) => {
            if std::io::stdin().is_terminal() {
                return Err(usage(
                    "no inputs: give them after ::: or one per line on stdin, or use -n N",
                ));
            }
            Inputs::Stdin(Splitter::new(if args.null { 0 } else { b'\n' }))
        }
    };
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(std::num::NonZero::get)
            .unwrap_or(1)
    });
    let want = FDS_PER_JOB * jobs as u64 + 32;
    let have = raise_open_files(want).map_err(|e| {
        ExitError::new(
            Exit::Failure,
            format!("cannot read the open-files limit: {e}"),
        )
    })?;
    if have < want {
        return Err(usage(format!(
            "-j {jobs} needs about {want} open files but the limit is {have} (see ulimit -n)"
        )));
    }
    let joblog = match &args.joblog {
        Some(path) => Some(Joblog::create(path).map_err(|e| {
            ExitError::new(
                Exit::Failure,
                format!(
                    "cannot create the joblog {}: {e}",
                    crate::output::sanitize::escape(std::os::unix::ffi::OsStrExt::as_bytes(
                        path.as_os_str()
                    ))
                ),
            )
        })?),
        None => None,
    };
    let settings = Settings {
        jobs,
        timeout: args.timeout,
        grace: args.grace,
        halt: args.halt_on_error,
        retries: args.retries,
        keep_order: args.keep_order,
        line_buffer: args.line_buffer,
        tag: args.tag,
        json: out.json,
        quiet: out.quiet,
        summary: !out.quiet && !out.json && out.is_terminal(),
        single: args.count == Some(1),
    };
    let template = Template::parse(command, args.count.is_none());

    // From here on INT, TERM and HUP are caught (and arrive on a pipe the
    // event loop polls) instead of ending ptool with its jobs still running.
    // CHLD: adopted orphans to reap (and, without pidfds, jobs' exits).
    let watched = [Signal::INT, Signal::TERM, Signal::HUP, Signal::CHLD];
    let signals = SignalWatch::new(&watched.map(Signal::number))
        .map_err(|e| ExitError::new(Exit::Failure, format!("cannot watch signals: {e}")))?;
    // Orphans of the jobs (a grandchild whose parent was killed) come to
    // ptool instead of PID 1, so ptool can reap them.
    become_subreaper()
        .map_err(|e| ExitError::new(Exit::Failure, format!("cannot become a subreaper: {e}")))?;
    let bar = (out.stderr_terminal && !out.quiet).then(|| progress_bar(inputs.total()));
    let printer = Printer::new(w, bar);

    let pool = Pool::new(&settings, &template, inputs, signals, printer, joblog);
    let outcome = pool
        .run()
        .map_err(|e| ExitError::new(Exit::Failure, format!("job pool failed: {e}")))?;
    if outcome.broken_pipe {
        return Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe).into());
    }
    let exit = report::exit_code(&outcome.totals, outcome.single.as_ref());
    if settings.summary {
        report::render_summary(w, out, &outcome.rows, &outcome.totals)?;
    } else if out.json && !out.quiet {
        json::write_line(w, &report::summary_json(&outcome.totals, exit))?;
    }
    Ok(exit)
}

fn progress_bar(total: Option<u64>) -> ProgressBar {
    let (bar, template) = match total {
        Some(total) => (
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()),
            "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} jobs, {msg}",
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
