//! The `ptool` binary: parse, run, report one error line, exit with a code.

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use ptool::cli::Cli;
use ptool::exit::{self, Exit};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
    match ptool::run(cli) {
        Ok(code) => code.into(),
        Err(err) => {
            if !exit::is_broken_pipe(&err) {
                report(&format!("{err:#}"));
            }
            exit::for_error(&err).into()
        }
    }
}

/// Help and version go to stdout with success; every other clap error becomes
/// one line on stderr and exit 2.
fn usage_error(err: &clap::Error) -> ExitCode {
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            Exit::Success.into()
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            Exit::Usage.into()
        }
        _ => {
            report(&format!(
                "{} (see --help)",
                one_line(&err.render().to_string())
            ));
            Exit::Usage.into()
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
    ptool::output::warn(message);
}
