//! The JSON object for one process, assembled from each section's part.

use serde::Serialize;
use serde_json::Map;

use super::super::gather::Info;
use super::*;
use crate::output::sanitize::to_json_string;
use crate::proc::Field;
use crate::proc::limits::Limit;
use crate::signal::Dispositions;

/// The JSON object for one process. Values that could not be read are
/// `null`, and `denied` names those withheld for lack of privilege.
/// Sections that were not gathered are left out; a field that was asked
/// for but could not be read is `null` (`Some(None)` here).
#[derive(Debug, Serialize)]
pub struct InfoJson<'a> {
    pid: i32,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<IdentityJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    program: Option<ProgramJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resources: Option<ResourcesJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scheduling: Option<sched::SchedulingJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    activity: Option<sched::ActivityJson>,
    open_files: Option<Vec<FileJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signals: Option<Option<&'a Dispositions>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limits: Option<Option<&'a [Limit]>>,
    /// Keys in order; a key set twice keeps its first place and last value.
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<Option<Map<String, serde_json::Value>>>,
    denied: Vec<&'static str>,
}

impl<'a> InfoJson<'a> {
    pub fn of(info: &'a Info) -> Self {
        // `denied` is filled in the order of the fields.
        let mut denied: Vec<&'static str> = Vec::new();
        let identity = info.identity.as_ref().map(IdentityJson::of);
        let program = info
            .program
            .as_ref()
            .map(|prog| ProgramJson::of(prog, &mut denied));
        let resources = info
            .resources
            .as_ref()
            .map(|r| ResourcesJson::of(r, &mut denied));
        let scheduling = info.scheduling.as_ref().map(sched::SchedulingJson::of);
        let activity = info
            .activity
            .as_ref()
            .map(|a| sched::ActivityJson::of(a, &mut denied));
        let open_files = field_json(&info.files, "open_files", &mut denied, |files| {
            files.iter().map(FileJson::of).collect()
        });
        let signals = match &info.signals {
            Some(d) => Some(Some(d)),
            None if info.identity.is_some() => Some(None),
            None => None,
        };
        let limits = info
            .limits
            .as_ref()
            .map(|limits| field_json(limits, "limits", &mut denied, |limits| limits.as_slice()));
        let environment = info.env.as_ref().map(|env| {
            field_json(env, "environment", &mut denied, |vars| {
                vars.iter()
                    .map(|(key, value)| (to_json_string(key), to_json_string(value).into()))
                    .collect()
            })
        });
        InfoJson {
            pid: info.pid,
            name: to_json_string(&info.name),
            identity,
            program,
            resources,
            scheduling,
            activity,
            open_files,
            signals,
            limits,
            environment,
            denied,
        }
    }
}

/// A field's JSON value: `None` (null) when it could not be read, noting in
/// `denied` one withheld for lack of privilege.
pub(super) fn field_json<'a, T, U>(
    f: &'a Field<T>,
    name: &'static str,
    denied: &mut Vec<&'static str>,
    show: impl FnOnce(&'a T) -> U,
) -> Option<U> {
    match f {
        Field::Value(v) => Some(show(v)),
        Field::Denied => {
            denied.push(name);
            None
        }
        Field::Unavailable => None,
    }
}
