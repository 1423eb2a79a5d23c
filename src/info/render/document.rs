//! The JSON object for one process, assembled from each section's JSON.

use serde_json::{Map, Value as Json, json};

use super::super::gather::Info;
use super::*;
use crate::output::sanitize::to_json_string;
use crate::proc::Field;

/// The JSON object for one process. Values that could not be read are
/// `null`, and `denied` names those withheld for lack of privilege.
pub fn to_json(info: &Info) -> Json {
    let mut denied: Vec<&'static str> = Vec::new();
    let mut o = Map::new();
    o.insert("pid".into(), json!(info.pid));
    o.insert("name".into(), json_text(&info.name));
    if let Some(id) = &info.identity {
        o.insert("identity".into(), identity_json(id));
    }
    if let Some(prog) = &info.program {
        o.insert("program".into(), program_json(prog, &mut denied));
    }
    if let Some(r) = &info.resources {
        o.insert("resources".into(), resources_json(r, &mut denied));
    }
    if let Some(s) = &info.scheduling {
        o.insert("scheduling".into(), sched::scheduling_json(s));
    }
    if let Some(a) = &info.activity {
        o.insert("activity".into(), sched::activity_json(a, &mut denied));
    }
    o.insert(
        "open_files".into(),
        field_json(&info.files, "open_files", &mut denied, |files| {
            Json::Array(files.iter().map(file_json).collect())
        }),
    );
    if let Some(d) = &info.signals {
        o.insert("signals".into(), Json::Object(d.to_json()));
    } else if info.identity.is_some() {
        o.insert("signals".into(), Json::Null);
    }
    if let Some(limits) = &info.limits {
        let value = field_json(limits, "limits", &mut denied, |limits| {
            limits
                .iter()
                .map(|l| {
                    json!({
                        "name": l.name,
                        "resource": l.resource,
                        "soft": l.soft,
                        "hard": l.hard,
                        "unit": l.unit,
                    })
                })
                .collect()
        });
        o.insert("limits".into(), value);
    }
    if let Some(env) = &info.env {
        let value = field_json(env, "environment", &mut denied, |vars| {
            let mut map = Map::new();
            for (key, value) in vars {
                map.insert(to_json_string(key), json_text(value));
            }
            Json::Object(map)
        });
        o.insert("environment".into(), value);
    }
    o.insert("denied".into(), json!(denied));
    Json::Object(o)
}

pub(super) fn field_json<T>(
    f: &Field<T>,
    name: &'static str,
    denied: &mut Vec<&'static str>,
    show: impl FnOnce(&T) -> Json,
) -> Json {
    match f {
        Field::Value(v) => show(v),
        Field::Denied => {
            denied.push(name);
            Json::Null
        }
        Field::Unavailable => Json::Null,
    }
}
