//! The resources section (memory, CPU, faults, I/O) and the limits table.

use std::io::{self, Write};

use serde::Serialize;

use super::super::gather::Resources;
use super::*;
use crate::output::sanitize::escape_str;
use crate::output::table::{Align, Column, Table, Text};
use crate::output::value::human_size;
use crate::proc::Field;

/// `0.25s` below a minute, `3m07s` above.
pub(super) fn seconds(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.2}s")
    } else {
        crate::duration::format_short(std::time::Duration::from_secs_f64(secs))
    }
}

pub(super) fn size(n: Option<u64>) -> String {
    n.map_or_else(|| "-".to_string(), human_size)
}

pub(super) fn resources_section<W: Write>(p: &mut Page<'_, W>, r: &Resources) -> io::Result<()> {
    p.heading("Resources")?;
    p.line(
        "memory",
        &format!(
            "RSS {}, peak {}, shared {}, swap {}, virtual {}",
            human_size(r.rss),
            size(r.peak_rss),
            size(r.shared),
            size(r.swap),
            human_size(r.vsz)
        ),
    )?;
    if let Some(statm) = r.statm {
        p.line(
            "code, data",
            &format!(
                "text {}, data {}",
                human_size(statm.text),
                human_size(statm.data)
            ),
        )?;
    }
    if let Some(rollup) = &r.rollup {
        let value = p.field(rollup, |m| {
            format!(
                "USS {}, PSS {}, swap PSS {}",
                human_size(m.uss),
                human_size(m.pss),
                human_size(m.swap_pss)
            )
        });
        p.line("unique, shared", &value)?;
    }
    p.line(
        "CPU time",
        &format!(
            "user {}, system {}",
            seconds(r.user_time),
            seconds(r.system_time)
        ),
    )?;
    p.line(
        "children's CPU",
        &format!(
            "user {}, system {} (children it waited for)",
            seconds(r.children_user_time),
            seconds(r.children_system_time)
        ),
    )?;
    p.line(
        "page faults",
        &format!("{} minor, {} major", r.minor_faults, r.major_faults),
    )?;
    if let (Some(v), Some(i)) = (r.voluntary_switches, r.involuntary_switches) {
        p.line(
            "switches",
            &format!("{v} voluntary, {i} involuntary (context switches)"),
        )?;
    }
    let io = p.field(&r.io, |io| {
        format!(
            "read {} ({} from storage, {} calls), written {} ({} to storage, {} calls)",
            human_size(io.read_chars),
            human_size(io.read_bytes),
            io.read_calls,
            human_size(io.write_chars),
            human_size(io.write_bytes),
            io.write_calls
        )
    });
    p.line("I/O", &io)
}

pub(super) fn limits_table(limits: &[crate::proc::limits::Limit]) -> Table {
    let value = |v: Option<u64>| v.map_or_else(|| "unlimited".to_string(), |n| n.to_string());
    let mut table = Table::new(vec![
        Column::new("LIMIT", Align::Left),
        Column::new("SOFT", Align::Right),
        Column::new("HARD", Align::Right),
        Column::new("UNIT", Align::Left),
    ]);
    table.rows = limits
        .iter()
        .map(|l| {
            vec![
                Text::new(escape_str(&l.name)),
                Text::new(value(l.soft)),
                Text::new(value(l.hard)),
                Text::new(escape_str(&l.unit)),
            ]
        })
        .collect();
    table
}

/// The resources section in JSON: bytes, seconds (to 1/100) and counts.
#[derive(Debug, Serialize)]
pub(super) struct ResourcesJson {
    rss: u64,
    vsz: u64,
    shared: Option<u64>,
    swap: Option<u64>,
    peak_rss: Option<u64>,
    user_time: f64,
    system_time: f64,
    minor_faults: u64,
    major_faults: u64,
    voluntary_switches: Option<u64>,
    involuntary_switches: Option<u64>,
    read_chars: Option<u64>,
    write_chars: Option<u64>,
    read_bytes: Option<u64>,
    write_bytes: Option<u64>,
    read_calls: Option<u64>,
    write_calls: Option<u64>,
    text: Option<u64>,
    data: Option<u64>,
    children_user_time: f64,
    children_system_time: f64,
    uss: Option<u64>,
    pss: Option<u64>,
    swap_pss: Option<u64>,
}

impl ResourcesJson {
    /// The section, adding `io` and `memory` to `denied` when they were
    /// withheld.
    pub(super) fn of(r: &Resources, denied: &mut Vec<&'static str>) -> Self {
        let secs = |s: f64| (s * 100.0).round() / 100.0;
        let io = r.io.value();
        if matches!(r.io, Field::Denied) {
            denied.push("io");
        }
        let rollup = r.rollup.as_ref().and_then(Field::value);
        if matches!(r.rollup, Some(Field::Denied)) {
            denied.push("memory");
        }
        ResourcesJson {
            rss: r.rss,
            vsz: r.vsz,
            shared: r.shared,
            swap: r.swap,
            peak_rss: r.peak_rss,
            user_time: secs(r.user_time),
            system_time: secs(r.system_time),
            minor_faults: r.minor_faults,
            major_faults: r.major_faults,
            voluntary_switches: r.voluntary_switches,
            involuntary_switches: r.involuntary_switches,
            read_chars: io.map(|io| io.read_chars),
            write_chars: io.map(|io| io.write_chars),
            read_bytes: io.map(|io| io.read_bytes),
            write_bytes: io.map(|io| io.write_bytes),
            read_calls: io.map(|io| io.read_calls),
            write_calls: io.map(|io| io.write_calls),
            text: r.statm.map(|m| m.text),
            data: r.statm.map(|m| m.data),
            children_user_time: secs(r.children_user_time),
            children_system_time: secs(r.children_system_time),
            uss: rollup.map(|m| m.uss),
            pss: rollup.map(|m| m.pss),
            swap_pss: rollup.map(|m| m.swap_pss),
        }
    }
}
