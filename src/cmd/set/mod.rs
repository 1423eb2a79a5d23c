//! `ptool set` (alias `renice`): change running processes: niceness, I/O
//! priority, CPU affinity, scheduling policy and resource limits, every
//! thread, each target pinned like `kill`'s, with an old → new report.
//!
//! [`apply()`] changes one pinned target and is what `top`'s renice keys
//! call too; [`run`] is the command: select, warn, apply, report.

pub mod apply;
pub mod change;
pub mod render;

use std::io::Write;

use anyhow::{Context as _, Result};

pub use apply::{Changes, SetReport, SetState, apply};

use crate::cli::SetArgs;
use crate::deliver::{self, Caller, Opener};
use crate::exit::{Exit, usage};
use crate::output::Out;
use crate::proc::{Need, Reader};
use crate::select::{Protected, SelectorSpec};

pub fn run<W: Write>(args: SetArgs, out: &Out, w: &mut W) -> Result<Exit> {
    let changes = args.changes();
    if changes.is_empty() {
        return Err(usage(
            "nothing to change: give --nice, --io, --cpus, --sched or --limit",
        ));
    }
    check_cpus_exist(&changes)?;
    let mut reader = Reader::new().context("cannot open /proc")?;
    let protected = Protected::current(&mut reader);
    let _ = crate::sys::raise_open_files(deliver::OPEN_FILES_WANTED);

    // --thread names its process: that process is the target, unless a
    // selection is given too, which must then include it.
    let mut select = args.select.spec();
    let mut owner = None;
    if let Some(tid) = changes.thread {
        let tgid = reader
            .read(tid, Need::STATUS)
            .and_then(|p| p.status.map(|s| s.tgid))
            .ok_or_else(|| {
                crate::exit::ExitError::new(Exit::NoMatch, format!("no thread has TID {tid}"))
            })?;
        if select.pids.is_empty() && !has_criteria(&select) {
            select.pids = vec![i64::from(tgid)];
        }
        owner = Some(tgid);
    }

    let mut selection = deliver::resolve(
        &select,
        args.force,
        Caller::Set,
        &mut reader,
        &protected,
        false,
    )?;
    if let Some(tgid) = owner {
        let selected = !selection.targets.is_empty();
        selection.targets.retain(|t| t.pid == tgid);
        if selected && selection.targets.is_empty() {
            return Err(crate::exit::ExitError::new(
                Exit::NoMatch,
                format!(
                    "thread {} belongs to process {tgid}, which is not among those selected",
                    changes.thread.unwrap_or(tgid)
                ),
            )
            .into());
        }
    }
    if !selection.targets.is_empty() {
        for note in warnings(&changes) {
            crate::output::warn(&note);
        }
    }
    let mut opener = Opener::new();
    let mut reports: Vec<SetReport> = selection
        .targets
        .iter()
        .map(|t| apply(t, &changes, args.dry_run, &mut opener, &mut reader))
        .collect();
    reports.extend(selection.missing.iter().map(|&pid| SetReport::missing(pid)));
    reports.extend(selection.failed.iter().map(SetReport::unpinned));
    let exit = exit_for(&reports);
    crate::output::emit(w, out, &render::SetResults(reports))?;
    Ok(exit)
}

fn has_criteria(select: &SelectorSpec) -> bool {
    select.name.is_some()
        || select.full.is_some()
        || !select.users.is_empty()
        || !select.parents.is_empty()
        || !select.pgids.is_empty()
        || !select.sids.is_empty()
        || select.states.is_some()
        || select.older.is_some()
        || select.younger.is_some()
        || select.newest
        || select.oldest
}

/// CPUs that are not online are a mistake in the command line (exit 2),
/// whatever the process.
fn check_cpus_exist(changes: &Changes) -> Result<()> {
    let (Some(cpus), Some(online)) = (&changes.cpus, crate::proc::cpus::online()) else {
        return Ok(());
    };
    let missing: Vec<u32> = cpus
        .iter()
        .copied()
        .filter(|c| !online.contains(c))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let format = crate::proc::cpus::format;
    Err(usage(format!(
        "no CPU {} on this machine (online: {})",
        format(&missing),
        format(&online)
    )))
}

/// Notes for settings that may not do what the user expects here, each
/// said once per run.
pub fn warnings(changes: &Changes) -> Vec<String> {
    let mut notes = Vec::new();
    if changes.nice.is_some() && crate::proc::sched::autogroups_on() {
        notes.push(
            "note: autogroups are on (kernel.sched_autogroup_enabled): a niceness weighs \
             a process only against the others in its session's autogroup \
             (/proc/PID/autogroup sets the group's own)"
                .to_string(),
        );
    }
    if changes
        .io
        .is_some_and(|io| io.class != change::IoPrio::NONE)
    {
        let ignoring: Vec<String> = crate::proc::sched::io_schedulers()
            .into_iter()
            .filter(|(_, s)| !crate::proc::sched::honours_ioprio(s))
            .map(|(dev, s)| format!("{dev} uses {s}"))
            .collect();
        if !ignoring.is_empty() {
            notes.push(format!(
                "note: I/O priorities are honoured only by the bfq I/O scheduler, and {} \
                 (see /sys/block/DEV/queue/scheduler)",
                ignoring.join(", ")
            ));
        }
    }
    notes
}

/// 1 when nothing was there to change (no match, or every target ended),
/// 3 when something could not be changed, else 0.
pub fn exit_for(reports: &[SetReport]) -> Exit {
    if reports
        .iter()
        .all(|r| matches!(r.state, SetState::NoSuchProcess | SetState::Gone))
    {
        return Exit::NoMatch;
    }
    if reports.iter().any(SetReport::is_failure) {
        Exit::Partial
    } else {
        Exit::Success
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(exit_for(&[]), Exit::NoMatch);
        assert_eq!(exit_for(&[SetReport::missing(4_000_000)]), Exit::NoMatch);
        let mut done = SetReport::missing(1);
        done.state = SetState::Done;
        assert_eq!(exit_for(&[done.clone()]), Exit::Success);
        let mut gone = done.clone();
        gone.state = SetState::Gone;
        assert_eq!(exit_for(&[done.clone(), gone]), Exit::Success);
        assert_eq!(
            exit_for(&[done, SetReport::missing(4_000_000)]),
            Exit::Partial
        );
    }

    #[test]
    fn cpus_must_be_online() {
        let changes = Changes {
            cpus: Some(vec![crate::proc::cpus::MAX_CPU - 1]),
            ..Changes::default()
        };
        let err = check_cpus_exist(&changes).expect_err("no such CPU");
        assert_eq!(crate::exit::for_error(&err), Exit::Usage);
    }
}
