//! ptool: inspect and control Linux processes.
//!
//! Data flows one way: [`proc`] reads the system into plain structs,
//! [`select`] picks processes, [`cmd`] acts (sorts, signals, waits) and
//! [`output`] renders. Raw OS calls live in [`sys`].
//!
//! Every module is private to the crate, so that the compiler reports what
//! nothing uses. Two doors lead in: the few items the binary (`src/main.rs`)
//! needs, re-exported below, and [`testing`] for the tests.

pub(crate) mod cli;
pub(crate) mod cmd;
pub(crate) mod columns;
pub(crate) mod deliver;
pub(crate) mod duration;
pub(crate) mod ended;
pub(crate) mod exit;
pub(crate) mod forest;
pub(crate) mod info;
pub(crate) mod listing;
pub(crate) mod output;
pub(crate) mod pidfile;
pub(crate) mod proc;
pub(crate) mod select;
pub(crate) mod signal;
pub(crate) mod supervise;
pub(crate) mod sys;
#[doc(hidden)]
pub mod testing;

// What the binary needs: the parsed command line, the exit codes and the
// error-to-code rules, the start-up and shutdown of the process, and the one
// way to print an error line.
pub use cli::Cli;
pub use exit::{Exit, for_error, is_broken_pipe};
pub use output::sanitize::escape_str;
pub use output::warn;
pub use sys::startup;

use std::io::{BufWriter, Write};

use cli::{ColorChoice, Command, DeferredArgs, GlobalArgs};
use output::Out;

/// Run a parsed command line; the caller maps the result to an exit code.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    let out = output_settings(&cli.global);
    let stdout = std::io::stdout();
    let mut w = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let exit = match cli.command {
        Command::Ls(DeferredArgs(args)) => cmd::ls::run(args, &out, &mut w)?,
        Command::Info(DeferredArgs(args)) => cmd::info::run(args, &out, &mut w)?,
        Command::Spawn(DeferredArgs(args)) => cmd::spawn::run(args, &out, &mut w)?,
        Command::Tree(DeferredArgs(args)) => cmd::tree::run(args, &out, &mut w)?,
        Command::Fork(DeferredArgs(args)) => cmd::fork::run(args, &out, &mut w)?,
        Command::Wait(DeferredArgs(args)) => cmd::wait::run(args, &out, &mut w)?,
        Command::Signal(DeferredArgs(args)) => cmd::signal::run(args, &out, &mut w)?,
        Command::Kill(DeferredArgs(args)) => cmd::kill::run(args, &out, &mut w)?,
        Command::Top(DeferredArgs(args)) => cmd::top::run(args, &out, &mut w)?,
        Command::Lock(DeferredArgs(args)) => cmd::lock::run(args, &out, &mut w)?,
        Command::Set(DeferredArgs(args)) => cmd::set::run(args, &out, &mut w)?,
        Command::Completions(DeferredArgs(args)) => cmd::completions::run(&args, &out, &mut w)?,
        Command::Man(DeferredArgs(args)) => cmd::man::run(args, &out, &mut w)?,
        Command::CompletePids(DeferredArgs(args)) => cmd::completions::pids(&args, &out, &mut w)?,
    };
    w.flush()?;
    Ok(exit)
}

/// Decide colour, width and line style from the flags and the environment.
fn output_settings(global: &GlobalArgs) -> Out {
    let width = sys::term::stdout_width();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    let color = match global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => width.is_some() && !no_color && !dumb,
    };
    Out {
        json: global.json,
        quiet: global.quiet,
        color,
        width,
        unicode: width.is_some() && sys::term::locale_is_utf8(),
        stderr_terminal: sys::term::stderr_is_terminal(),
    }
}
