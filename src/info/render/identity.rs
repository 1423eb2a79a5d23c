//! The identity section: ids, parent, group, session, terminal, users.

use std::io::{self, Write};

use serde::Serialize;

use super::super::gather::{Id, Identity};
use super::*;
use crate::output::sanitize::{escape_str, to_json_string};

/// `root (uid 0)`, or `1000` for an id without a name.
pub(super) fn id_text(id: &Id, kind: &str) -> String {
    match &id.name {
        Some(name) => format!("{} ({kind} {})", escape_str(name), id.id),
        None => format!("{kind} {}", id.id),
    }
}

/// One line for the four ids: `alice (uid 1000)` when they agree, else
/// each of real, effective, saved and filesystem.
pub(super) fn ids_text(ids: &[Id; 4], kind: &str) -> String {
    if ids.iter().all(|i| i.id == ids[0].id) {
        return id_text(&ids[0], kind);
    }
    ["real", "effective", "saved", "filesystem"]
        .iter()
        .zip(ids)
        .map(|(which, id)| format!("{which} {}", id_text(id, kind)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn identity_section<W: Write>(p: &mut Page<'_, W>, id: &Identity) -> io::Result<()> {
    p.heading("Identity")?;
    // The kernel shows 0 for a parent or leader that is not in this PID
    // namespace: PID 1's parent, kernel threads' group and session, and,
    // inside a container, those started from outside it.
    let parent = match &id.parent_name {
        Some(name) => format!("{} ({})", id.ppid, text(name)),
        None if id.ppid == 0 => "0 (none in this PID namespace)".to_string(),
        None => id.ppid.to_string(),
    };
    p.line("parent", &parent)?;
    let leader = |is: bool, n: i32| match (is, n) {
        (true, _) => format!("{n} (leader)"),
        (false, 0) => "0 (no leader in this PID namespace)".to_string(),
        (false, _) => n.to_string(),
    };
    p.line("process group", &leader(id.group_leader, id.pgid))?;
    p.line("session", &leader(id.session_leader, id.sid))?;
    let tty = match &id.tty {
        Some(tty) if id.foreground => format!("{} (foreground)", escape_str(tty)),
        Some(tty) => format!("{} (background)", escape_str(tty)),
        None => "none".to_string(),
    };
    p.line("terminal", &tty)?;
    match &id.uids {
        Some(uids) => p.line("user", &ids_text(uids, "uid"))?,
        None => p.line("user", "-")?,
    }
    match &id.gids {
        Some(gids) => p.line("group", &ids_text(gids, "gid"))?,
        None => p.line("group", "-")?,
    }
    if !id.groups.is_empty() {
        let groups: Vec<String> = id
            .groups
            .iter()
            .map(|g| match &g.name {
                Some(name) => format!("{} ({})", escape_str(name), g.id),
                None => g.id.to_string(),
            })
            .collect();
        p.line("groups", &groups.join(", "))?;
    }
    Ok(())
}

/// The identity section in JSON.
#[derive(Debug, Serialize)]
pub(super) struct IdentityJson<'a> {
    ppid: i32,
    parent_name: Option<String>,
    pgid: i32,
    sid: i32,
    tty: Option<&'a str>,
    foreground: bool,
    group_leader: bool,
    session_leader: bool,
    uid: Option<u32>,
    euid: Option<u32>,
    suid: Option<u32>,
    fsuid: Option<u32>,
    user: Option<String>,
    real_user: Option<String>,
    gid: Option<u32>,
    egid: Option<u32>,
    sgid: Option<u32>,
    fsgid: Option<u32>,
    group: Option<String>,
    real_group: Option<String>,
    groups: Vec<IdJson>,
}

/// A supplementary group in JSON.
#[derive(Debug, Serialize)]
pub(super) struct IdJson {
    gid: u32,
    name: Option<String>,
}

impl<'a> IdentityJson<'a> {
    pub(super) fn of(id: &'a Identity) -> Self {
        // Real, effective, saved and filesystem, as in `status`.
        let ids = |ids: &Option<[Id; 4]>, i: usize| ids.as_ref().map(|ids| ids[i].id);
        let name = |ids: &Option<[Id; 4]>, i: usize| {
            ids.as_ref()
                .and_then(|ids| ids[i].name.as_deref())
                .map(|n| to_json_string(n.as_bytes()))
        };
        IdentityJson {
            ppid: id.ppid,
            parent_name: id.parent_name.as_deref().map(to_json_string),
            pgid: id.pgid,
            sid: id.sid,
            tty: id.tty.as_deref(),
            foreground: id.foreground,
            group_leader: id.group_leader,
            session_leader: id.session_leader,
            uid: ids(&id.uids, 0),
            euid: ids(&id.uids, 1),
            suid: ids(&id.uids, 2),
            fsuid: ids(&id.uids, 3),
            user: name(&id.uids, 1),
            real_user: name(&id.uids, 0),
            gid: ids(&id.gids, 0),
            egid: ids(&id.gids, 1),
            sgid: ids(&id.gids, 2),
            fsgid: ids(&id.gids, 3),
            group: name(&id.gids, 1),
            real_group: name(&id.gids, 0),
            groups: id
                .groups
                .iter()
                .map(|g| IdJson {
                    gid: g.id,
                    name: g.name.as_deref().map(|n| to_json_string(n.as_bytes())),
                })
                .collect(),
        }
    }
}
