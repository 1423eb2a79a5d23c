//! `ptool info`: everything about a process in one place, psutil-style:
//! identity, what runs, resources, open files and sockets (the `lsof -p`
//! view with `--files`), signal dispositions, and on request limits and the
//! environment. One page per process, or JSON.

use std::io::Write;

use anyhow::{Context as _, Result};

use crate::cli::InfoArgs;
use crate::exit::{Exit, ExitError, usage};
use crate::info::gather::{self, Context, Info, Options};
use crate::info::render;
use crate::output::sanitize::escape;
use crate::output::warn;
use crate::output::{Out, Report, emit, emit_no_match, json};
use crate::proc::{Field, Reader, System};
use crate::select::{Protected, Selector};

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
        memory: args.memory,
    };
    // One PID named alone gives one JSON object; a selector (or several
    // PIDs) an array, however many match.
    let single = selector.pids.len() == 1 && !selector.has_criteria();

    let mut reader = Reader::new().context("cannot open /proc")?;
    let sys = System::read();
    let pids = chosen(&selector, &mut reader, &sys)?;
    let (infos, missing) = gather_all(
        Context::new(reader, sys),
        pids,
        selector.has_criteria(),
        opts,
    );

    if infos.is_empty() {
        if !single {
            // A single PID named alone is answered with an object, not [].
            emit_no_match(w, out)?;
        }
        return Err(ExitError::new(Exit::NoMatch, nothing_found(&missing)).into());
    }
    let pages = Pages {
        infos: &infos,
        single,
        files_only: opts.files_only,
    };
    emit(w, out, &pages)?;

    // Problems are reported after the output, so they are the last thing
    // on a terminal.
    w.flush()?;
    let failed = warn_missing(&missing) | (opts.files_only && warn_unreadable_files(&infos));
    Ok(if failed { Exit::Partial } else { Exit::Success })
}

/// Each PID to show with the start time it was selected at, when a scan
/// selected it: a PID reused since then names a process that was not
/// selected. Named PIDs alone are taken as given.
fn chosen(
    selector: &Selector,
    reader: &mut Reader,
    sys: &System,
) -> Result<Vec<(i32, Option<u64>)>> {
    if !selector.has_criteria() {
        return Ok(selector.pids.iter().map(|&pid| (pid, None)).collect());
    }
    let protected = Protected::current(reader);
    Ok(selector
        .scan(reader, selector.need(), sys, &protected)
        .context("cannot list /proc")?
        .iter()
        .map(|p| (p.pid, Some(p.stat.start_ticks)))
        .collect())
}

/// Gather every chosen process; the PIDs named that have no process are
/// returned apart. A process a scan selected that ended since is the normal
/// race, and is left out silently.
fn gather_all(
    mut ctx: Context,
    pids: Vec<(i32, Option<u64>)>,
    by_criteria: bool,
    opts: Options,
) -> (Vec<Info>, Vec<i32>) {
    let mut infos: Vec<Info> = Vec::with_capacity(pids.len());
    let mut missing = Vec::new();
    for (pid, selected_start) in pids {
        match gather::gather(&mut ctx, pid, selected_start, opts) {
            Some(info) => infos.push(info),
            None if by_criteria => {}
            None => missing.push(pid),
        }
    }
    (infos, missing)
}

/// The error when nothing could be shown.
fn nothing_found(missing: &[i32]) -> String {
    match missing {
        [] => "no process matched".to_string(),
        [pid] => format!("no process with PID {pid}"),
        pids => format!(
            "no process with PID {}",
            pids.iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// One warning per PID named that has no process; true if there was one.
fn warn_missing(missing: &[i32]) -> bool {
    for pid in missing {
        warn(&format!("no process with PID {pid}"));
    }
    !missing.is_empty()
}

/// With --files the open files are all there is to show: not being able to
/// read them is a failure (warned about), not a section to mark.
fn warn_unreadable_files(infos: &[Info]) -> bool {
    let mut failed = false;
    for info in infos {
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
    failed
}

/// What `info` prints: one page per process (or the `--files` table), or
/// as JSON one object for a single PID named alone, else an array.
#[derive(Debug, Clone, Copy)]
struct Pages<'a> {
    infos: &'a [Info],
    single: bool,
    files_only: bool,
}

impl Report for Pages<'_> {
    fn render<W: Write>(&self, out: &Out, w: &mut W) -> std::io::Result<()> {
        if self.files_only {
            return render::files(w, out, self.infos);
        }
        for (i, info) in self.infos.iter().enumerate() {
            if i > 0 {
                writeln!(w)?;
            }
            render::page(w, out, info)?;
        }
        Ok(())
    }

    fn json<W: Write>(&self, out: &Out, w: &mut W) -> std::io::Result<()> {
        match self.infos {
            [one] if self.single => json::write(w, out, &render::InfoJson::of(one)),
            all => {
                let all: Vec<render::InfoJson<'_>> = all.iter().map(render::InfoJson::of).collect();
                json::write(w, out, &all)
            }
        }
    }
}
