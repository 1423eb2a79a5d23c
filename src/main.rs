//! The `ptool` binary: parse, run, report one error line, exit with a code.
//!
//! It defines the C `main` itself rather than std's `fn main`, skipping
//! std's runtime start-up: see `ptool::sys::startup` for why and what is
//! kept.

#![no_main]

use std::ffi::OsString;

use clap::Parser;
use clap::error::ErrorKind;

use ptool::{Cli, Exit, startup};

#[unsafe(no_mangle)]
extern "C" fn main(argc: libc::c_int, argv: *const *const libc::c_char) -> libc::c_int {
    // SAFETY: these are the arguments the C runtime passes to `main`.
    let args = unsafe { startup::args(argc, argv) };
    let exit = match startup::init() {
        Ok(()) => {
            one_line_panics();
            run(args)
        }
        Err(err) => {
            report(&format!("cannot start: {err}"));
            Exit::Failure
        }
    };
    startup::finish();
    libc::c_int::from(exit.code())
}

/// A panic is a bug in ptool; it is reported on one line, like any other
/// error, rather than as std's report that asks for a backtrace, and ptool
/// exits 125 (ptool failed) rather than dying of SIGABRT, which a script
/// would take for 128+6 from the command ptool ran. With `RUST_BACKTRACE`
/// set, std's report (and the backtrace) is kept for whoever is debugging it.
fn one_line_panics() {
    if std::env::var_os("RUST_BACKTRACE").is_some() {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("panic");
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        report(&format!(
            "internal error{place}: {} (a bug in ptool; please report it)",
            ptool::escape_str(message)
        ));
        // SAFETY: `_exit` ends the process at once, whatever state the
        // panicking code left behind; nothing after it runs.
        unsafe { libc::_exit(Exit::Failure.code().into()) }
    }));
}

fn run(args: Vec<OsString>) -> Exit {
    let fork = is_fork(&args);
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        // `fork` exits 255 for what it refuses, so that a usage error never
        // reads as a count of failed jobs (see `Exit::Refused`).
        Err(err) => {
            return match usage_error(&err) {
                Exit::Usage if fork => Exit::Refused,
                exit => exit,
            };
        }
    };
    match ptool::run(cli) {
        Ok(code) => code,
        Err(err) => {
            if !ptool::is_broken_pipe(&err) {
                report(&format!("{err:#}"));
            }
            ptool::for_error(&err)
        }
    }
}

/// True when the subcommand is `fork` (the first word that is not a global
/// flag or its value).
fn is_fork(args: &[OsString]) -> bool {
    let mut words = args.iter().skip(1);
    while let Some(word) = words.next() {
        if word == "--color" {
            words.next();
        } else if !word.to_string_lossy().starts_with('-') {
            return word == "fork";
        }
    }
    false
}

/// Help and version go to stdout with success; every other clap error becomes
/// one line on stderr and exit 2.
fn usage_error(err: &clap::Error) -> Exit {
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            Exit::Success
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            Exit::Usage
        }
        _ => {
            report(&format!(
                "{} (see --help)",
                one_line(&err.render().to_string())
            ));
            Exit::Usage
        }
    }
}

/// clap's first paragraph on one line: "the following required arguments
/// were not provided:" keeps the names that follow it on the next lines.
fn one_line(rendered: &str) -> String {
    let paragraph: Vec<&str> = rendered
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .map(str::trim)
        .collect();
    let text = paragraph.join(" ");
    match text.strip_prefix("error: ") {
        Some(rest) => rest.to_string(),
        None if text.is_empty() => "invalid arguments".to_string(),
        None => text,
    }
}

fn report(message: &str) {
    ptool::warn(message);
}
