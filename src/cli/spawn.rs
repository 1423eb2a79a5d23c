//! `ptool spawn`'s flags.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use clap::builder::TypedValueParser as _;

use super::{parse_duration, parse_real_signal};
use crate::signal::Signal;

/// `ptool spawn`: start a command detached, or in the foreground (`--wait`).
#[derive(Debug, Args)]
#[command(after_help = SPAWN_AFTER_HELP)]
pub struct SpawnArgs {
    /// Run in the foreground: forward signals, wait, exit with the command's code
    #[arg(short = 'w', long, help_heading = "Foreground")]
    pub wait: bool,
    /// With --wait: send --signal to the command's process group after DURATION (exit 124; 0 = no limit)
    #[arg(short = 't', long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true, help_heading = "Foreground")]
    pub timeout: Option<Duration>,
    /// The signal --timeout sends [default: TERM]
    #[arg(short = 's', long, value_name = "SIG", value_parser = parse_real_signal, help_heading = "Foreground")]
    pub signal: Option<Signal>,
    /// With --timeout: send KILL if the group is still there DURATION after the signal (exit 137)
    #[arg(short = 'k', long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true, help_heading = "Foreground")]
    pub kill_after: Option<Duration>,
    /// Append the command's standard output to FILE [detached default: /dev/null]
    #[arg(long, value_name = "FILE", conflicts_with = "log")]
    pub stdout: Option<PathBuf>,
    /// Append the command's standard error to FILE [detached default: /dev/null]
    #[arg(long, value_name = "FILE", conflicts_with = "log")]
    pub stderr: Option<PathBuf>,
    /// Append both standard output and standard error to FILE
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Write the PID to FILE, atomically, once the command runs; refuse if FILE names a live process
    #[arg(long, value_name = "FILE")]
    pub pidfile: Option<PathBuf>,
    /// Write --pidfile even when it names a live process (which is left running)
    #[arg(long)]
    pub replace: bool,
    /// Start N copies, each with PTOOL_INDEX=0..N-1 in its environment (detached only)
    #[arg(short = 'n', long = "count", value_name = "N", value_parser = parse_count)]
    pub count: Option<u32>,
    /// Run the command in DIR
    #[arg(short = 'C', long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// Set KEY=VALUE in the command's environment (repeatable)
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE", value_parser = clap::builder::OsStringValueParser::new().try_map(parse_env_pair))]
    pub env: Vec<(OsString, OsString)>,
    /// Start from an empty environment (then apply --env)
    #[arg(long)]
    pub clear_env: bool,
    /// Run at niceness N, -20 (favoured) to 19; lowering it needs privilege
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_nice)]
    pub nice: Option<i32>,
    /// The command's file mode creation mask, in octal (022, 0077)
    #[arg(long, value_name = "MODE", value_parser = parse_umask)]
    pub umask: Option<u32>,
    /// The command to run and its arguments (put them after --)
    #[arg(value_name = "COMMAND", required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<OsString>,
}

const SPAWN_AFTER_HELP: &str =
    "Detached (the default): the command gets its own session and process group,
stdin from /dev/null, stdout/stderr appended to --stdout/--stderr/--log or
/dev/null, and none of ptool's other descriptors. ptool prints its PID (or a
JSON object) once it has really started, and exits 127/126 if the command was
not found/not executable. A terminal closing does not reach it.

Foreground (--wait): the command gets its own process group (made the
terminal's foreground group when ptool is the foreground job, so Ctrl-C and
Ctrl-Z work as usual); INT, TERM, HUP, QUIT, USR1 and USR2 sent to ptool are
forwarded to that group, but one ignored when ptool started (HUP under nohup)
stays ignored; ptool exits with the command's code, or 128+N if it died of
signal N. After --timeout the whole group gets --signal, then KILL
after --kill-after; ptool returns once the group is empty (124, or 137 when
the command needed KILL).

Examples:
  ptool spawn --log app.log --pidfile app.pid -- ./server --port 8080
  ptool spawn -n 4 --log worker.log -- ./worker       # PTOOL_INDEX=0..3
  ptool spawn --wait --timeout 30s --kill-after 5s -- make test";

/// `--count`: how many copies to start.
pub const MAX_COUNT: u32 = 10_000;

fn parse_count(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=u64::from(MAX_COUNT)).contains(&n) => Ok(n as u32),
        Ok(_) => Err(format!("the count must be 1 to {MAX_COUNT}")),
        Err(_) => Err(format!(
            "'{}' is not a count (a whole number, 1 to {MAX_COUNT})",
            crate::output::sanitize::escape_str(text)
        )),
    }
}

fn parse_nice(text: &str) -> Result<i32, String> {
    match text.trim().parse::<i64>() {
        Ok(n) if (-20..=19).contains(&n) => Ok(n as i32),
        Ok(n) => Err(format!("niceness {n} is out of range (-20 to 19)")),
        Err(_) => Err(format!(
            "'{}' is not a niceness (a whole number, -20 to 19)",
            crate::output::sanitize::escape_str(text)
        )),
    }
}

fn parse_umask(text: &str) -> Result<u32, String> {
    let digits = text.trim();
    let bad = || {
        format!(
            "'{}' is not a umask (an octal mode, 000 to 777, such as 022)",
            crate::output::sanitize::escape_str(text)
        )
    };
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        return Err(bad());
    }
    match u32::from_str_radix(digits, 8) {
        Ok(mask) if mask <= 0o777 => Ok(mask),
        _ => Err(bad()),
    }
}

/// `--env KEY=VALUE`: the key must be non-empty and free of `=`; the value
/// may hold anything (another `=`, nothing at all).
fn parse_env_pair(text: OsString) -> Result<(OsString, OsString), String> {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let bytes = text.as_bytes();
    let shown = || crate::output::sanitize::escape(bytes).into_owned();
    let Some(eq) = bytes.iter().position(|&b| b == b'=') else {
        return Err(format!("'{}' is not KEY=VALUE", shown()));
    };
    if eq == 0 {
        return Err(format!("'{}' has an empty variable name", shown()));
    }
    let key = bytes[..eq].to_vec();
    let value = bytes[eq + 1..].to_vec();
    Ok((OsString::from_vec(key), OsString::from_vec(value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command, DeferredArgs};
    use clap::Parser as _;

    #[test]
    fn spawn_values_are_checked() {
        assert_eq!(parse_umask("022"), Ok(0o22));
        assert_eq!(parse_umask("0777"), Ok(0o777));
        assert!(parse_umask("8").is_err());
        assert!(parse_umask("1777").is_err());
        assert!(parse_umask("").is_err());
        assert_eq!(parse_nice("-20"), Ok(-20));
        assert!(parse_nice("20").unwrap_err().contains("out of range"));
        assert!(parse_nice("5x").is_err());
        assert_eq!(parse_count("3"), Ok(3));
        assert!(parse_count("0").is_err());
        assert!(parse_count("-1").is_err());
        assert_eq!(
            parse_env_pair("A=b=c".into()),
            Ok(("A".into(), "b=c".into()))
        );
        assert_eq!(parse_env_pair("A=".into()), Ok(("A".into(), "".into())));
        assert!(parse_env_pair("=x".into()).is_err());
        assert!(parse_env_pair("A".into()).is_err());
    }
    #[test]
    fn spawn_takes_the_command_after_its_flags() {
        let cli = Cli::try_parse_from([
            "ptool", "spawn", "--nice", "-5", "-e", "A=1", "--", "sleep", "-x", "1",
        ])
        .expect("parses");
        let Command::Spawn(DeferredArgs(args)) = cli.command else {
            panic!("not spawn");
        };
        assert_eq!(args.nice, Some(-5));
        assert_eq!(args.command, ["sleep", "-x", "1"]);
        assert_eq!(args.env.len(), 1);
    }
}
