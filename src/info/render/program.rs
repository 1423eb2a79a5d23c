//! The program section: what runs, where, since when, in which cgroup.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::super::gather::Program;
use super::*;
use crate::ended::StatusJson;
use crate::output::sanitize::{escape_str, to_json_string};
use crate::output::value::date_time;
use crate::output::{Paint, paint};
use crate::proc::Field;
use crate::proc::cgroup::Cgroup;

pub(super) fn program_section<W: Write>(p: &mut Page<'_, W>, prog: &Program) -> io::Result<()> {
    p.heading("Program")?;
    let exe = p.field(&prog.exe, |path| {
        if prog.exe_deleted {
            format!(
                "{} {}",
                text(path),
                paint("(deleted)", Paint::Red, p.out.color)
            )
        } else {
            text(path)
        }
    });
    p.line("exe", &exe)?;
    let command = if prog.kernel_thread {
        "- (kernel thread)".to_string()
    } else if prog.args.is_empty() {
        "-".to_string()
    } else {
        prog.args
            .iter()
            .map(|a| text(a))
            .collect::<Vec<_>>()
            .join(" ")
    };
    p.line("command", &command)?;
    let cwd = p.field(&prog.cwd, |v| text(v));
    p.line("cwd", &cwd)?;
    let root = p.field(&prog.root, |v| text(v));
    p.line("root", &root)?;
    let ago = crate::duration::format_short(std::time::Duration::from_secs_f64(prog.age.max(0.0)));
    p.line(
        "started",
        &format!("{} ({ago} ago)", date_time(prog.start_local.as_ref())),
    )?;
    let state = format!("{} ({})", char::from(prog.state), state_name(prog.state));
    let state = p.painted(&state, Paint::for_state(prog.state));
    p.line("state", &state)?;
    if let Some(ended) = &prog.ended {
        let text = p.painted(&ended.text(), ended.paint());
        p.line("ended", &format!("{text}, not yet collected by its parent"))?;
    }
    if let Some(tracer) = prog.tracer_pid.filter(|t| *t > 0) {
        p.line("traced by", &tracer.to_string())?;
    }
    p.line("threads", &prog.threads.to_string())?;
    let mut sched = format!(
        "{}, nice {}, priority {}",
        policy_name(prog.policy),
        prog.nice,
        prog.priority
    );
    if prog.rt_priority > 0 {
        sched.push_str(&format!(", real-time priority {}", prog.rt_priority));
    }
    p.line("scheduling", &sched)?;
    if let Some(umask) = prog.umask {
        p.line("umask", &format!("{umask:04o}"))?;
    }
    match &prog.cgroups {
        Field::Value(groups) => p.lines("cgroup", &cgroup_lines(groups))?,
        other => {
            let v = p.field(other, |_| String::new());
            p.line("cgroup", &v)?;
        }
    }
    let namespaces = p.field(&prog.namespaces, |list| {
        let differing: Vec<String> = list
            .iter()
            .filter(|n| n.same_as_ptool != Some(true))
            .map(|n| format!("{}:[{}]", n.ns.kind, n.ns.inode))
            .collect();
        if differing.is_empty() {
            "same as ptool's".to_string()
        } else if list.iter().all(|n| n.same_as_ptool.is_none()) {
            differing.join(", ")
        } else {
            format!("{} (differ from ptool's)", differing.join(", "))
        }
    });
    p.line("namespaces", &namespaces)
}

/// One line per cgroup path: `/user.slice/x.scope`, with the v1
/// controllers in parentheses when there are several hierarchies.
pub(super) fn cgroup_lines(groups: &[Cgroup]) -> Vec<String> {
    if let [only] = groups
        && only.controllers.is_empty()
    {
        return vec![text(&only.path)];
    }
    let mut by_path: BTreeMap<&[u8], Vec<&str>> = BTreeMap::new();
    for g in groups {
        let controllers = by_path.entry(&g.path).or_default();
        if g.hierarchy == 0 && g.controllers.is_empty() {
            controllers.push("v2");
        } else {
            controllers.extend(g.controllers.split(','));
        }
    }
    by_path
        .into_iter()
        .map(|(path, controllers)| {
            format!("{} ({})", text(path), escape_str(&controllers.join(", ")))
        })
        .collect()
}

/// The program section in JSON.
#[derive(Debug, Serialize)]
pub(super) struct ProgramJson {
    exe: Option<String>,
    exe_deleted: bool,
    cmdline: Vec<String>,
    kernel_thread: bool,
    cwd: Option<String>,
    root: Option<String>,
    start: i64,
    elapsed: f64,
    state: String,
    state_name: &'static str,
    ended: Option<StatusJson>,
    threads: i64,
    nice: i64,
    priority: i64,
    policy: String,
    rt_priority: u64,
    tracer_pid: Option<i32>,
    umask: Option<String>,
    cgroup: Option<Vec<CgroupJson>>,
    namespaces: Option<Vec<NamespaceJson>>,
}

/// One line of `/proc/PID/cgroup` in JSON.
#[derive(Debug, Serialize)]
pub(super) struct CgroupJson {
    hierarchy: u32,
    controllers: String,
    path: String,
}

/// One namespace in JSON.
#[derive(Debug, Serialize)]
pub(super) struct NamespaceJson {
    #[serde(rename = "type")]
    kind: &'static str,
    inode: u64,
    same_as_ptool: Option<bool>,
}

impl ProgramJson {
    /// The section, adding to `denied` the fields withheld for lack of
    /// privilege.
    pub(super) fn of(prog: &Program, denied: &mut Vec<&'static str>) -> Self {
        let path = |v: &Vec<u8>| to_json_string(v);
        ProgramJson {
            exe: field_json(&prog.exe, "exe", denied, path),
            exe_deleted: prog.exe_deleted,
            cmdline: prog.args.iter().map(|a| to_json_string(a)).collect(),
            kernel_thread: prog.kernel_thread,
            cwd: field_json(&prog.cwd, "cwd", denied, path),
            root: field_json(&prog.root, "root", denied, path),
            start: prog.start.floor() as i64,
            elapsed: (prog.age * 100.0).round() / 100.0,
            state: char::from(prog.state).to_string(),
            state_name: state_name(prog.state),
            ended: prog.ended.as_ref().map(StatusJson::from),
            threads: prog.threads,
            nice: prog.nice,
            priority: prog.priority,
            policy: policy_name(prog.policy),
            rt_priority: prog.rt_priority,
            tracer_pid: prog.tracer_pid,
            umask: prog.umask.map(|u| format!("{u:04o}")),
            cgroup: field_json(&prog.cgroups, "cgroup", denied, |groups| {
                groups
                    .iter()
                    .map(|g| CgroupJson {
                        hierarchy: g.hierarchy,
                        controllers: g.controllers.clone(),
                        path: to_json_string(&g.path),
                    })
                    .collect()
            }),
            namespaces: field_json(&prog.namespaces, "namespaces", denied, |list| {
                list.iter()
                    .map(|n| NamespaceJson {
                        kind: n.ns.kind,
                        inode: n.ns.inode,
                        same_as_ptool: n.same_as_ptool,
                    })
                    .collect()
            }),
        }
    }
}
