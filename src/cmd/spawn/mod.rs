//! `ptool spawn`: start a command. Detached by default (new session, stdin
//! from `/dev/null`, output appended to log files, a pidfile written
//! atomically once the command really runs), or in the foreground with
//! `--wait` (signals forwarded, `timeout`-style limits, the command's exit
//! code passed through; see `supervise.rs`).

mod supervise;

use std::ffi::OsString;
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use crate::cli::SpawnArgs;
use crate::exit::{Exit, ExitError, usage};
use crate::output::sanitize::{escape, to_json_string};
use crate::output::{Out, Report, emit, json};
use crate::signal::Signal;
use crate::sys::child::{self, Child, Group, Launch, LaunchError};

/// The environment variable that numbers the copies of `-n N`.
pub const INDEX_VAR: &str = "PTOOL_INDEX";

/// What to start and how, checked and resolved from the flags.
#[derive(Debug)]
pub struct SpawnPlan {
    pub command: Vec<OsString>,
    /// `None`: the command inherits ptool's environment unchanged.
    pub env: Option<Vec<(OsString, OsString)>>,
    /// `Some(N)` with `-n N`: start N copies numbered by [`INDEX_VAR`].
    pub count: Option<u32>,
    pub cwd: Option<PathBuf>,
    pub stdout: Option<PathBuf>,
    pub stderr: Option<PathBuf>,
    pub pidfile: Option<PathBuf>,
    pub replace: bool,
    pub nice: Option<i32>,
    pub umask: Option<u32>,
    pub timeout: Option<Duration>,
    pub signal: Signal,
    pub kill_after: Option<Duration>,
}

impl SpawnPlan {
    /// Check how the flags combine (clap checks each value on its own).
    pub fn from_args(args: SpawnArgs) -> Result<SpawnPlan> {
        if !args.wait {
            for (given, flag) in [
                (args.timeout.is_some(), "--timeout"),
                (args.signal.is_some(), "--signal"),
                (args.kill_after.is_some(), "--kill-after"),
            ] {
                if given {
                    return Err(usage(format!(
                        "{flag} needs --wait (a detached command runs without a time limit)"
                    )));
                }
            }
        }
        if args.timeout.is_none() {
            for (given, flag) in [
                (args.signal.is_some(), "--signal"),
                (args.kill_after.is_some(), "--kill-after"),
            ] {
                if given {
                    return Err(usage(format!("{flag} needs --timeout")));
                }
            }
        }
        if args.wait && args.count.is_some() {
            return Err(usage(
                "-n/--count starts detached copies; --wait runs one command in the foreground",
            ));
        }
        if args.replace && args.pidfile.is_none() {
            return Err(usage("--replace needs --pidfile"));
        }
        let env = if args.clear_env || !args.env.is_empty() || args.count.is_some() {
            let mut vars: Vec<(OsString, OsString)> = if args.clear_env {
                Vec::new()
            } else {
                std::env::vars_os().collect()
            };
            for (key, value) in args.env {
                set_var(&mut vars, key, value);
            }
            Some(vars)
        } else {
            None
        };
        // As with `timeout`, a zero duration means no limit.
        let nonzero = |d: Option<Duration>| d.filter(|d| !d.is_zero());
        Ok(SpawnPlan {
            command: args.command,
            env,
            count: args.count,
            cwd: args.cwd,
            stdout: args.log.clone().or(args.stdout),
            stderr: args.log.or(args.stderr),
            pidfile: args.pidfile,
            replace: args.replace,
            nice: args.nice,
            umask: args.umask,
            timeout: nonzero(args.timeout),
            signal: args.signal.unwrap_or(Signal::TERM),
            kill_after: nonzero(args.kill_after),
        })
    }
}

/// Set `key` in an environment list, replacing an earlier value.
fn set_var(vars: &mut Vec<(OsString, OsString)>, key: OsString, value: OsString) {
    match vars.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => vars.push((key, value)),
    }
}

pub fn run<W: Write>(args: SpawnArgs, out: &Out, w: &mut W) -> Result<Exit> {
    let wait = args.wait;
    let plan = SpawnPlan::from_args(args)?;
    if wait {
        supervise::run(&plan, out)
    } else {
        detached(&plan, out, w)
    }
}

/// The files a command's standard streams and working directory are set
/// to, opened by ptool before the fork so errors name the file.
#[derive(Debug, Default)]
pub struct Files {
    pub stdin: Option<OwnedFd>,
    pub stdout: Option<OwnedFd>,
    /// `None` with `stderr_is_stdout`: the same file as stdout.
    pub stderr: Option<OwnedFd>,
    pub stderr_is_stdout: bool,
    pub cwd: Option<OwnedFd>,
}

impl Files {
    /// Open what the plan names. `detached` sends unnamed streams to
    /// `/dev/null`; otherwise they are inherited.
    pub fn open(plan: &SpawnPlan, detached: bool) -> Result<Files> {
        let failed = |what: &str, path: &Path, e: std::io::Error| -> anyhow::Error {
            ExitError::new(
                Exit::Failure,
                format!(
                    "cannot open {what} {}: {}",
                    escape(path.as_os_str().as_bytes()),
                    crate::sys::error_text(&e)
                ),
            )
            .into()
        };
        let null = |write: bool| -> Result<Option<OwnedFd>> {
            if !detached {
                return Ok(None);
            }
            child::dev_null(write)
                .map(Some)
                .map_err(|e| failed("", Path::new("/dev/null"), e))
        };
        let mut files = Files {
            stdin: null(false)?,
            ..Files::default()
        };
        files.stdout = match &plan.stdout {
            Some(path) => Some(child::open_append(path).map_err(|e| failed("log", path, e))?),
            None => null(true)?,
        };
        // With neither stream named, a detached command's two share one
        // `/dev/null`; with --wait both are inherited, stderr as ptool's
        // stderr, never its stdout.
        files.stderr_is_stdout = plan.stderr == plan.stdout && (plan.stderr.is_some() || detached);
        if !files.stderr_is_stdout {
            files.stderr = match &plan.stderr {
                Some(path) => Some(child::open_append(path).map_err(|e| failed("log", path, e))?),
                None => null(true)?,
            };
        }
        if let Some(dir) = &plan.cwd {
            files.cwd = Some(child::open_dir(dir).map_err(|e| {
                ExitError::new(
                    Exit::Failure,
                    format!(
                        "cannot change directory to {}: {}",
                        escape(dir.as_os_str().as_bytes()),
                        crate::sys::error_text(&e)
                    ),
                )
            })?);
        }
        Ok(files)
    }

    /// A launch description using these files.
    pub fn launch<'a>(&'a self, plan: &SpawnPlan, group: Group) -> Launch<'a> {
        let stdout = self.stdout.as_ref().map(|f| f.as_fd());
        Launch {
            argv: plan.command.clone(),
            env: plan.env.clone(),
            cwd: self.cwd.as_ref().map(|f| f.as_fd()),
            stdin: self.stdin.as_ref().map(|f| f.as_fd()),
            stdout,
            stderr: if self.stderr_is_stdout {
                stdout
            } else {
                self.stderr.as_ref().map(|f| f.as_fd())
            },
            group,
            umask: plan.umask,
            nice: plan.nice,
            ..Launch::default()
        }
    }
}

/// The error (and exit code) for a command that could not be started
/// (see [`crate::supervise::launch_error`]).
pub fn launch_error(plan: &SpawnPlan, err: &LaunchError) -> anyhow::Error {
    crate::supervise::launch_error(&plan.command, plan.nice, err)
}

/// One started copy, as printed with `--json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Started {
    pub pid: i32,
    pub pgid: i32,
    pub sid: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    pub command: Vec<String>,
    pub stdout: Option<String>,
    pub stderr: Option<String>,
    pub pidfile: Option<String>,
}

fn detached<W: Write>(plan: &SpawnPlan, out: &Out, w: &mut W) -> Result<Exit> {
    // Checked (and the temporary file created) before anything starts, so a
    // refusal or an unwritable directory leaves nothing running.
    let pending = match &plan.pidfile {
        Some(path) => Some(crate::pidfile::Pending::prepare(path, plan.replace)?),
        None => None,
    };
    let files = Files::open(plan, true)?;
    let mut started: Vec<Child> = Vec::new();
    let copies = plan.count.unwrap_or(1);
    for index in 0..copies {
        let mut launch = files.launch(plan, Group::NewSession);
        launch.close_fds = true;
        if plan.count.is_some()
            && let Some(env) = launch.env.as_mut()
        {
            set_var(env, INDEX_VAR.into(), index.to_string().into());
        }
        match child::launch(&launch) {
            Ok(c) => started.push(c),
            Err(err) => {
                // All or nothing: copies already running are stopped.
                kill_all(&started);
                return Err(launch_error(plan, &err));
            }
        }
    }
    let pids: Vec<i32> = started.iter().map(Child::pid).collect();
    if let Some(pending) = pending
        && let Err(e) = pending.commit(&pids)
    {
        kill_all(&started);
        return Err(e);
    }
    emit(w, out, &Spawned { plan, pids: &pids })?;
    Ok(Exit::Success)
}

/// What a detached spawn prints: the PIDs, one a line, or as JSON one
/// [`Started`] object (an array of them with `--count`). The records are
/// built only for JSON.
#[derive(Debug, Clone, Copy)]
struct Spawned<'a> {
    plan: &'a SpawnPlan,
    pids: &'a [i32],
}

impl Report for Spawned<'_> {
    fn render<W: Write>(&self, _out: &Out, w: &mut W) -> std::io::Result<()> {
        render_pids(self.pids, w)
    }

    fn json<W: Write>(&self, out: &Out, w: &mut W) -> std::io::Result<()> {
        let records = describe(self.plan, self.pids);
        if self.plan.count.is_some() {
            json::write(w, out, &records)
        } else if let Some(one) = records.first() {
            json::write(w, out, one)
        } else {
            Ok(())
        }
    }
}

/// Kill and reap copies started before a later step failed.
fn kill_all(children: &[Child]) {
    for c in children {
        let _ = c.signal(Signal::KILL.number());
        let _ = c.wait();
    }
}

/// The JSON records for the started copies.
pub fn describe(plan: &SpawnPlan, pids: &[i32]) -> Vec<Started> {
    let shown_path = |p: &Option<PathBuf>| {
        p.as_ref().map(|p| {
            let abs = std::path::absolute(p).unwrap_or_else(|_| p.clone());
            to_json_string(abs.as_os_str().as_bytes())
        })
    };
    let command: Vec<String> = plan
        .command
        .iter()
        .map(|a| to_json_string(a.as_bytes()))
        .collect();
    let stdout = shown_path(&plan.stdout);
    let stderr = shown_path(&plan.stderr);
    let pidfile = shown_path(&plan.pidfile);
    pids.iter()
        .enumerate()
        .map(|(i, &pid)| Started {
            pid,
            // setsid made the command the leader of both.
            pgid: pid,
            sid: pid,
            index: plan.count.map(|_| i as u32),
            command: command.clone(),
            stdout: stdout.clone(),
            stderr: stderr.clone(),
            pidfile: pidfile.clone(),
        })
        .collect()
}

/// The plain output: one PID a line, for `pid=$(ptool spawn ...)`.
pub fn render_pids<W: Write>(pids: &[i32], w: &mut W) -> std::io::Result<()> {
    crate::output::write_lines(w, pids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn plan(args: &[&str]) -> Result<SpawnPlan> {
        let mut argv = vec!["ptool", "spawn"];
        argv.extend_from_slice(args);
        let cli = crate::cli::Cli::try_parse_from(argv)?;
        let crate::cli::Command::Spawn(crate::cli::DeferredArgs(args)) = cli.command else {
            panic!("not spawn");
        };
        SpawnPlan::from_args(args)
    }

    fn usage_text(args: &[&str]) -> String {
        let err = plan(args).expect_err("usage error");
        assert_eq!(crate::exit::for_error(&err), Exit::Usage, "{err}");
        err.to_string()
    }

    #[test]
    fn flag_combinations_are_checked() {
        assert!(usage_text(&["--timeout", "1s", "--", "x"]).contains("needs --wait"));
        assert!(usage_text(&["-w", "-k", "1s", "--", "x"]).contains("needs --timeout"));
        assert!(usage_text(&["-w", "-n", "2", "--", "x"]).contains("--count"));
        assert!(usage_text(&["--replace", "--", "x"]).contains("--pidfile"));
        let p = plan(&["-w", "-t", "0", "-k", "0", "--", "x"]).expect("plan");
        assert_eq!((p.timeout, p.kill_after), (None, None));
        assert_eq!(p.signal, Signal::TERM);
    }

    #[test]
    fn environment_is_built_only_when_changed() {
        assert!(plan(&["--", "x"]).expect("plan").env.is_none());
        let p = plan(&[
            "--clear-env",
            "-e",
            "A=1",
            "-e",
            "A=2",
            "-e",
            "B=",
            "--",
            "x",
        ])
        .expect("plan");
        assert_eq!(
            p.env,
            Some(vec![("A".into(), "2".into()), ("B".into(), "".into())])
        );
        let p = plan(&["--log", "l", "--", "x"]).expect("plan");
        assert_eq!(p.stdout, p.stderr);
    }

    #[test]
    fn renders_pids_and_json() {
        let p = plan(&["-n", "2", "--stdout", "/tmp/o", "--", "sleep", "9"]).expect("plan");
        let records = describe(&p, &[10, 11]);
        assert_eq!(records[1].index, Some(1));
        assert_eq!(records[1].sid, 11);
        assert_eq!(records[0].stdout.as_deref(), Some("/tmp/o"));
        assert_eq!(records[0].stderr, None);
        let json = serde_json::to_value(&records[0]).expect("json");
        assert_eq!(json["command"], serde_json::json!(["sleep", "9"]));
        let single = plan(&["--", "x"]).expect("plan");
        let json = serde_json::to_value(&describe(&single, &[5])[0]).expect("json");
        assert!(json.get("index").is_none());
        let mut buf = Vec::new();
        render_pids(&[10, 11], &mut buf).expect("write");
        assert_eq!(buf, b"10\n11\n");
    }

    #[test]
    fn launch_errors_map_to_exit_codes() {
        let p = plan(&["--", "nope"]).expect("plan");
        let err = |step, errno| LaunchError {
            step,
            error: std::io::Error::from_raw_os_error(errno),
        };
        let e = launch_error(&p, &err(child::Step::Exec, libc::ENOENT));
        assert_eq!(crate::exit::for_error(&e), Exit::NotFound);
        assert_eq!(e.to_string(), "cannot run 'nope': command not found");
        let e = launch_error(&p, &err(child::Step::Exec, libc::EACCES));
        assert_eq!(crate::exit::for_error(&e), Exit::NotExecutable);
        assert_eq!(e.to_string(), "cannot run 'nope': permission denied");
        let e = launch_error(&p, &err(child::Step::Cwd, libc::EACCES));
        assert_eq!(crate::exit::for_error(&e), Exit::Failure);
    }
}
