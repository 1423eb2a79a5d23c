//! `ptool spawn --wait`: run one command in the foreground under
//! [`crate::supervise`], with a pidfile written once it runs.

use anyhow::Result;

use super::{Files, SpawnPlan, launch_error};
use crate::exit::Exit;
use crate::output::Out;
use crate::pidfile::{self, Pending};
use crate::supervise::{Foreground, Limits};
use crate::sys::child::{self, Group};

pub fn run(plan: &SpawnPlan, out: &Out) -> Result<Exit> {
    let fg = Foreground::prepare()?;
    let pending = match &plan.pidfile {
        Some(path) => Some(Pending::prepare(path, plan.replace)?),
        None => None,
    };
    let files = Files::open(plan, false)?;
    let mut launch = files.launch(plan, Group::NewGroup);
    fg.attach(&mut launch);
    let (child, report) = child::start(&launch).map_err(|e| launch_error(plan, &e))?;
    drop(launch);
    // A pidfile is written only once the command runs; without one, whether
    // exec worked is read after the command exits (one wake-up, not two).
    let report = match (&pending, report) {
        (Some(_), report) => {
            if let Err(e) = report.outcome_or_reap(&child) {
                return Err(launch_error(plan, &e));
            }
            None
        }
        (None, report) => Some(report),
    };
    let pids = [child.pid()];
    if let Some(pending) = pending
        && let Err(e) = pending.commit(&pids)
    {
        Foreground::abandon(&child);
        return Err(e);
    }
    let limits = Limits {
        timeout: plan.timeout,
        signal: plan.signal,
        kill_after: plan.kill_after,
        end_leftovers: false,
    };
    let result = fg.supervise(child, report, &limits, out, &|e| launch_error(plan, e));
    if let Some(path) = &plan.pidfile {
        pidfile::remove_if_ours(path, &pids);
    }
    result
}
