//! `ptool info`: everything about a process in one place, psutil-style:
//! identity, what runs, resources, open files and sockets (the `lsof -p`
//! view with `--files`), signal dispositions, and on request limits and the
//! environment. One page per process, or JSON.

pub mod gather;
pub mod render;
pub mod sched;

use std::io::Write;

use anyhow::{Context as _, Result};

use crate::cli::InfoArgs;
use crate::exit::{Exit, ExitError, usage};
use crate::output::sanitize::escape;
use crate::output::warn;
use crate::output::{Out, json};
use crate::proc::{Field, Reader, System};
use crate::select::Protected;
use gather::{Context, Info, Options};

pub fn run<W: Write>(args: InfoArgs, out: &Out, w: &mut W) -> Result<Exit> {
    let selector = args.select.selector()?;
    if selector.is_everything() {
        return Err(usage(
            "info needs a PID or a selector (ptool info 1234, ptool info -n sshd)",
        ));
    }
    let opts = Options {
        files_only: args.files,
        limits: args.limits,
        env: args.env,
    };
    // One PID named alone gives one JSON object; a selector (or several
    // PIDs) an array, however many match.
    let single = selector.pids.len() == 1 && !selector.has_criteria();

    let mut reader = Reader::new().context("cannot open /proc")?;
    let sys = System::read();
    let by_criteria = selector.has_criteria();
    // Each PID with the start time it was selected at, when a scan selected
    // it: a PID reused since then names a process that was not selected.
    let pids: Vec<(i32, Option<u64>)> = if by_criteria {
        let protected = Protected::current(&mut reader);
        selector
            .scan(&mut reader, selector.need(), &sys, &protected)
            .context("cannot list /proc")?
            .iter()
            .map(|p| (p.pid, Some(p.stat.start_ticks)))
            .collect()
    } else {
        selector.pids.iter().map(|&pid| (pid, None)).collect()
    };

    let mut ctx = Context::new(reader, sys);
    let mut infos: Vec<Info> = Vec::with_capacity(pids.len());
    let mut missing = Vec::new();
    for (pid, selected_start) in pids {
        match gather::gather(&mut ctx, pid, selected_start, opts) {
            Some(info) => infos.push(info),
            // A selected process that ended since is the normal race.
            None if by_criteria => {}
            None => missing.push(pid),
        }
    }

    if infos.is_empty() {
        if out.json && !single && !out.quiet {
            json::write(w, out, &serde_json::Value::Array(Vec::new()))?;
        }
        let message = match missing.as_slice() {
            [] => "no process matched".to_string(),
            [pid] => format!("no process with PID {pid}"),
            pids => format!(
                "no process with PID {}",
                pids.iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return Err(ExitError::new(Exit::NoMatch, message).into());
    }

    if !out.quiet {
        if out.json {
            if single {
                json::write(w, out, &render::to_json(&infos[0]))?;
            } else {
                let all: Vec<serde_json::Value> = infos.iter().map(render::to_json).collect();
                json::write(w, out, &all)?;
            }
        } else if opts.files_only {
            render::files(w, out, &infos)?;
        } else {
            for (i, info) in infos.iter().enumerate() {
                if i > 0 {
                    writeln!(w)?;
                }
                render::page(w, out, info)?;
            }
        }
    }

    // Problems are reported after the output, so they are the last thing
    // on a terminal.
    w.flush()?;
    let mut failed = !missing.is_empty();
    for pid in missing {
        warn(&format!("no process with PID {pid}"));
    }
    if opts.files_only {
        // With --files the open files are all there is to show: not being
        // able to read them is a failure, not a section to mark.
        for info in &infos {
            let why = match info.files {
                Field::Value(_) => continue,
                Field::Denied => "permission denied",
                Field::Unavailable => "not readable",
            };
            warn(&format!(
                "PID {} ({}): open files: {why}",
                info.pid,
                escape(&info.name)
            ));
            failed = true;
        }
    }
    Ok(if failed { Exit::Partial } else { Exit::Success })
}
