//! Drawing `top` from plain data: the header (CPU meters, memory, swap,
//! tasks, load, uptime), the table, the status line, and the help screen,
//! signal list and detail pane over them. Everything drawn from a process
//! was escaped by [`Value::display`](crate::output::value::Value::display)
//! or the `info` page; ratatui then writes only the cells that changed.
//!
//! [`batch`] prints the same header and table as text for `--batch`.

use std::io::{self, Write};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::gather::{Host, Snapshot};
use super::input::{HINT, KEYS};
use super::state::{App, Mode, Pick, signal_menu};
use crate::columns::Column;
use crate::output::table::Align;
use crate::output::value::{Value, human_size, write_size};
use crate::output::{Out, Paint};

/// How the screen may look: colour, and Unicode symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    pub color: bool,
    pub unicode: bool,
}

/// The screen line of the first table row, for mouse clicks.
pub fn table_top(app: &App, area: Rect) -> u16 {
    area.y + header_height(&app.snapshot.host) + 1
}

fn cpu_layout(n: usize) -> (usize, usize) {
    let cols = match n {
        0..=4 => 1,
        5..=16 => 2,
        _ => 4,
    };
    (cols, n.div_ceil(cols))
}

fn header_height(host: &Host) -> u16 {
    let (_, rows) = cpu_layout(host.cpus.len());
    u16::try_from(rows + 2).unwrap_or(u16::MAX)
}

/// How many table rows fit on a screen of `area`.
pub fn table_page(app: &App, area: Rect) -> usize {
    let body = area
        .height
        .saturating_sub(header_height(&app.snapshot.host) + 1);
    let table = match (&app.detail, &app.mode) {
        (_, Mode::Help(_)) => body,
        (Some(_), _) => body * 2 / 5,
        (None, _) => body,
    };
    usize::from(table.saturating_sub(1))
}

/// Draw the whole screen.
pub fn draw(frame: &mut Frame, app: &mut App, look: Look) {
    let area = frame.area();
    let [header, body, status] = Layout::vertical([
        Constraint::Length(header_height(&app.snapshot.host)),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(header_lines(&app.snapshot, header.width, look)),
        header,
    );
    if let Mode::Help(scroll) = app.mode {
        frame.render_widget(
            Paragraph::new(help_lines()).scroll((to_u16(scroll), 0)),
            body,
        );
    } else {
        let (table, detail) = match &app.detail {
            Some(_) => {
                let [t, d] =
                    Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)])
                        .areas(body);
                (t, Some(d))
            }
            None => (body, None),
        };
        app.set_page(usize::from(table.height.saturating_sub(1)));
        frame.render_widget(Paragraph::new(table_lines(app, table.width, look)), table);
        if let (Some(area), Some(d)) = (detail, &app.detail) {
            let title = format!(" info: PID {} ([ ] scroll, Enter closes) ", d.pick.pid);
            let lines: Vec<Line> = d.lines.iter().map(|l| Line::raw(l.as_str())).collect();
            frame.render_widget(
                Paragraph::new(lines)
                    .scroll((to_u16(d.scroll), 0))
                    .block(Block::default().borders(Borders::TOP).title(title)),
                area,
            );
        }
        if let Mode::Signals { index, procs } = &app.mode {
            let width = body.width.min(60);
            let menu = Rect { width, ..body };
            frame.render_widget(Clear, menu);
            frame.render_widget(signal_list(*index, procs.len(), menu.height, look), menu);
        }
    }
    frame.render_widget(Paragraph::new(status_line(app, look)), status);
}

fn to_u16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

fn style(paint: Paint, look: Look) -> Style {
    if !look.color {
        return match paint {
            Paint::Bold => Style::default().add_modifier(Modifier::BOLD),
            _ => Style::default(),
        };
    }
    match paint {
        Paint::Plain => Style::default(),
        Paint::Bold => Style::default().add_modifier(Modifier::BOLD),
        Paint::Dim => Style::default().add_modifier(Modifier::DIM),
        Paint::Red => Style::default().fg(Color::Red),
        Paint::Green => Style::default().fg(Color::Green),
        Paint::Yellow => Style::default().fg(Color::Yellow),
        Paint::Blue => Style::default().fg(Color::Blue),
        Paint::Magenta => Style::default().fg(Color::Magenta),
        Paint::Cyan => Style::default().fg(Color::Cyan),
    }
}

/// `[|||||      42.0%]` in `width` columns.
fn meter(label: &str, fraction: f64, text: &str, width: usize, look: Look) -> Vec<Span<'static>> {
    let inner = width.saturating_sub(label.width() + 2);
    let text_w = text.width();
    let bar_room = inner.saturating_sub(text_w);
    let bars = ((fraction.clamp(0.0, 1.0) * inner as f64).round() as usize).min(bar_room);
    let gap = inner.saturating_sub(bars + text_w);
    vec![
        Span::styled(label.to_string(), style(Paint::Cyan, look)),
        Span::styled("[", style(Paint::Bold, look)),
        Span::styled("|".repeat(bars), style(Paint::Green, look)),
        Span::raw(" ".repeat(gap)),
        Span::raw(text.to_string()),
        Span::styled("]", style(Paint::Bold, look)),
    ]
}

/// The header: CPU meters in columns, memory and swap, then tasks, load
/// and uptime.
pub fn header_lines(s: &Snapshot, width: u16, look: Look) -> Vec<Line<'static>> {
    let width = usize::from(width);
    let host = &s.host;
    let (cols, rows) = cpu_layout(host.cpus.len());
    let cell = (width / cols).max(12);
    let mut lines = Vec::with_capacity(rows + 2);
    for r in 0..rows {
        let mut spans = Vec::new();
        for c in 0..cols {
            let i = c * rows + r;
            let Some(&usage) = host.cpus.get(i) else {
                continue;
            };
            let w = if c + 1 == cols {
                width.saturating_sub(cell * c)
            } else {
                cell - 1
            };
            spans.extend(meter(
                &format!("{i:>3}"),
                usage / 100.0,
                &format!("{usage:.1}%"),
                w,
                look,
            ));
            if c + 1 < cols {
                spans.push(Span::raw(" "));
            }
        }
        lines.push(Line::from(spans));
    }
    let half = width / 2;
    let mem = host.memory;
    let frac = |used: u64, total: u64| {
        if total == 0 {
            0.0
        } else {
            used as f64 / total as f64
        }
    };
    let mut spans = meter(
        "Mem",
        frac(mem.used, mem.total),
        &format!("{}/{}", human_size(mem.used), human_size(mem.total)),
        half.saturating_sub(1),
        look,
    );
    spans.push(Span::raw(" "));
    spans.extend(meter(
        "Swp",
        frac(host.swap.used, host.swap.total),
        &format!(
            "{}/{}",
            human_size(host.swap.used),
            human_size(host.swap.total)
        ),
        width - half,
        look,
    ));
    lines.push(Line::from(spans));
    lines.push(Line::from(vec![
        Span::styled("Tasks: ", style(Paint::Cyan, look)),
        Span::raw(tasks_text(host)),
        Span::styled("  Load: ", style(Paint::Cyan, look)),
        Span::raw(format!(
            "{:.2} {:.2} {:.2}",
            host.load[0], host.load[1], host.load[2]
        )),
        Span::styled("  Uptime: ", style(Paint::Cyan, look)),
        Span::raw(uptime_text(host.uptime)),
        Span::styled(
            if s.measured {
                ""
            } else {
                "  (%CPU: average since start until the next refresh)"
            },
            style(Paint::Dim, look),
        ),
    ]));
    lines
}

fn tasks_text(host: &Host) -> String {
    let t = host.tasks;
    let mut text = format!(
        "{} total, {} thr; {} running, {} sleeping",
        t.total, t.threads, t.running, t.sleeping
    );
    for (n, what) in [
        (t.disk_wait, "disk wait"),
        (t.stopped, "stopped"),
        (t.zombie, "zombie"),
    ] {
        if n > 0 {
            text.push_str(&format!(", {n} {what}"));
        }
    }
    text
}

/// `3 days, 04:05:06`, as top says it.
pub fn uptime_text(secs: u64) -> String {
    let days = secs / 86_400;
    let hms = format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    );
    match days {
        0 => hms,
        1 => format!("1 day, {hms}"),
        d => format!("{d} days, {hms}"),
    }
}

/// The cells of row `i`, tree prefix included.
fn cells(s: &Snapshot, i: usize) -> Vec<String> {
    let columns = &s.listing.columns;
    let prefixed = columns
        .iter()
        .position(|c| *c == Column::Cmd)
        .or_else(|| columns.iter().position(|c| *c == Column::Name));
    let Some(row) = s.row(i) else {
        return vec![String::new(); columns.len()];
    };
    row.values
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let text = v.display();
            match s.prefixes.get(i) {
                Some(prefix) if Some(k) == prefixed && !prefix.is_empty() => {
                    format!("{prefix}{text}")
                }
                _ => text,
            }
        })
        .collect()
}

fn fit(text: &str, width: usize, align: Align) -> String {
    let w = text.width();
    if w > width {
        let mut out = String::new();
        let mut used = 0;
        for ch in text.chars() {
            let cw = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
            if used + cw > width {
                break;
            }
            used += cw;
            out.push(ch);
        }
        return out + &" ".repeat(width - used);
    }
    match align {
        Align::Left => format!("{text}{}", " ".repeat(width - w)),
        Align::Right => format!("{}{text}", " ".repeat(width - w)),
    }
}

/// The table: a header line, then the rows that fit from `app.offset`.
pub fn table_lines(app: &App, width: u16, look: Look) -> Vec<Line<'static>> {
    let s = &app.snapshot;
    let columns = &s.listing.columns;
    let shown: Vec<usize> = (app.offset..s.procs.len().min(app.offset + app.page)).collect();
    let rows: Vec<Vec<String>> = shown.iter().map(|&i| cells(s, i)).collect();
    let sort = app.view.sort.first().filter(|_| !app.view.tree);
    let headers: Vec<String> = columns
        .iter()
        .map(|c| match sort {
            Some(k) if k.column == *c => {
                let arrow = match (k.descending, look.unicode) {
                    (true, true) => "▼",
                    (false, true) => "▲",
                    (true, false) => "-",
                    (false, false) => "+",
                };
                format!("{}{arrow}", c.header())
            }
            _ => c.header().to_string(),
        })
        .collect();
    let elastic = columns
        .iter()
        .rposition(|c| matches!(c, Column::Cmd | Column::Exe | Column::Cwd));
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in &rows {
        for (k, text) in row.iter().enumerate() {
            widths[k] = widths[k].max(text.width());
        }
    }
    // The gutter (a mark) and one space between columns; the elastic
    // column takes what is left, and is cut.
    let total = usize::from(width);
    if let Some(e) = elastic {
        let fixed: usize = widths
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != e)
            .map(|(_, w)| w + 1)
            .sum();
        widths[e] = total.saturating_sub(fixed + 1).max(headers[e].width());
    }
    let line = |texts: &[String]| -> Vec<String> {
        texts
            .iter()
            .enumerate()
            .map(|(k, t)| fit(t, widths[k], columns[k].align()))
            .collect()
    };
    let mut out = Vec::with_capacity(rows.len() + 1);
    let head_style = if look.color {
        Style::default().fg(Color::Black).bg(Color::Green)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    };
    let mut head = String::from(" ");
    head.push_str(&line(&headers).join(" "));
    out.push(Line::from(Span::styled(
        fit(&head, total, Align::Left),
        head_style,
    )));
    for (r, &i) in shown.iter().enumerate() {
        let p = &s.procs[i];
        let marked = app.marked.contains(&Pick::of(p));
        let texts = line(&rows[r]);
        let mut spans = vec![Span::raw(if marked { "*" } else { " " })];
        for (k, text) in texts.into_iter().enumerate() {
            if k > 0 {
                spans.push(Span::raw(" "));
            }
            let paint = match (columns[k], s.row(i).map(|r| &r.values[k])) {
                (Column::State, Some(Value::Text(t))) => {
                    Paint::for_state(t.bytes().next().unwrap_or(0))
                }
                (Column::Cmd, Some(Value::Shown(_))) => Paint::Dim,
                _ => Paint::Plain,
            };
            spans.push(Span::styled(text, style(paint, look)));
        }
        let mut line = Line::from(spans);
        if marked {
            line = line.style(if look.color {
                Style::default()
                    .fg(Color::Yellow)
                    .add_modifier(Modifier::BOLD)
            } else {
                Style::default().add_modifier(Modifier::BOLD)
            });
        }
        if i == app.cursor {
            line = line.patch_style(if look.color {
                Style::default().bg(Color::Cyan).fg(Color::Black)
            } else {
                Style::default().add_modifier(Modifier::REVERSED)
            });
        }
        out.push(line);
    }
    if shown.is_empty() {
        out.push(Line::raw(" (no process matches)"));
    }
    out
}

fn status_line(app: &App, look: Look) -> Line<'static> {
    match &app.mode {
        Mode::Filter(text) => Line::from(vec![
            Span::styled("Filter: ", style(Paint::Bold, look)),
            Span::raw(format!("{}_", crate::output::sanitize::escape_str(text))),
            Span::styled(
                "   Enter applies, Esc cancels  (user:NAME state:RS pid:N name:RE)",
                style(Paint::Dim, look),
            ),
        ]),
        Mode::Search(text) => Line::from(vec![
            Span::styled("Search: ", style(Paint::Bold, look)),
            Span::raw(format!("{}_", crate::output::sanitize::escape_str(text))),
            Span::styled("   Enter finds, Esc cancels", style(Paint::Dim, look)),
        ]),
        Mode::ConfirmKill(procs) => {
            let who: Vec<String> = procs
                .iter()
                .take(3)
                .map(|p| {
                    format!(
                        "{} ({})",
                        p.pid,
                        crate::output::sanitize::escape(&p.stat.name)
                    )
                })
                .collect();
            let more = if procs.len() > 3 {
                format!(" and {} more", procs.len() - 3)
            } else {
                String::new()
            };
            Line::from(Span::styled(
                format!(
                    "Kill {}{more}: TERM, then KILL after {}? [y/N]",
                    who.join(", "),
                    crate::duration::format_short(app.grace)
                ),
                style(Paint::Red, look).add_modifier(Modifier::BOLD),
            ))
        }
        _ => {
            let mut flags = Vec::new();
            if app.paused {
                flags.push("PAUSED".to_string());
            }
            if app.follow
                && let Some(s) = app.selected
            {
                flags.push(format!("FOLLOW {}", s.pid));
            }
            if app.view.tree {
                flags.push("TREE".to_string());
            }
            if app.view.threads {
                flags.push("THREADS".to_string());
            }
            if !app.filter_text.is_empty() {
                flags.push(format!(
                    "FILTER {}",
                    crate::output::sanitize::escape_str(&app.filter_text)
                ));
            }
            if !app.marked.is_empty() {
                flags.push(format!("{} marked", app.marked.len()));
            }
            let mut spans = Vec::new();
            if !flags.is_empty() {
                spans.push(Span::styled(
                    format!("[{}] ", flags.join("] [")),
                    style(Paint::Yellow, look),
                ));
            }
            if app.status.is_empty() {
                spans.push(Span::styled(HINT, style(Paint::Dim, look)));
            } else {
                spans.push(Span::raw(app.status.clone()));
            }
            Line::from(spans)
        }
    }
}

/// The help screen's lines.
pub fn help_lines() -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::raw("ptool top: keys (Esc or any other key closes; Up/Down scroll)"),
        Line::raw(""),
    ];
    for (key, what) in KEYS {
        lines.push(Line::raw(format!("  {key:<16} {what}")));
    }
    lines.extend([
        Line::raw(""),
        Line::raw("%CPU is measured between refreshes from user + system time: 100% is one CPU"),
        Line::raw("fully used, as htop counts it. The header's CPU meters are per core, 0-100%."),
        Line::raw("Actions pin each process as it was on the screen (pidfd + start time): a PID"),
        Line::raw(
            "reused since the last refresh is never hit. The status line says what happened.",
        ),
    ]);
    lines
}

fn signal_list(index: usize, targets: usize, height: u16, look: Look) -> Paragraph<'static> {
    let menu = signal_menu();
    let rows = usize::from(height.saturating_sub(2)).max(1);
    let first = index
        .saturating_sub(rows / 2)
        .min(menu.len().saturating_sub(rows));
    let lines: Vec<Line> = menu
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, sig)| {
            let text = format!("{:>2} {:<9} {}", sig.number(), sig.name(), sig.meaning());
            if i == index {
                Line::styled(text, Style::default().add_modifier(Modifier::REVERSED))
            } else {
                Line::raw(text)
            }
        })
        .collect();
    let what = if targets == 1 {
        "1 process".to_string()
    } else {
        format!("{targets} processes")
    };
    Paragraph::new(lines).block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(style(Paint::Cyan, look))
            .title(format!(" Send to {what} (Enter sends, Esc cancels) ")),
    )
}

/// `--batch`: one refresh as text, like `top -b`: the header's figures,
/// then the table (tab-separated in a pipe, aligned on a terminal).
pub fn batch<W: Write>(w: &mut W, s: &Snapshot, out: &Out) -> io::Result<()> {
    let host = &s.host;
    let time = crate::output::value::date_time(s.local.as_ref());
    writeln!(
        w,
        "ptool top - {time} up {}, load average: {:.2}, {:.2}, {:.2}",
        uptime_text(host.uptime),
        host.load[0],
        host.load[1],
        host.load[2]
    )?;
    writeln!(w, "Tasks: {}", tasks_text(host))?;
    let cpus: Vec<String> = host.cpus.iter().map(|c| format!("{c:.1}")).collect();
    writeln!(w, "%Cpu: {:.1} all; per CPU: {}", host.cpu, cpus.join(" "))?;
    let m = host.memory;
    writeln!(
        w,
        "Mem: {} total, {} used, {} available; Swap: {} total, {} used",
        human_size(m.total),
        human_size(m.used),
        human_size(m.available),
        human_size(host.swap.total),
        human_size(host.swap.used)
    )?;
    writeln!(w)?;
    if out.width.is_none() && !out.color {
        plain_rows(w, s)?;
        return writeln!(w);
    }
    let mut table = s.listing.table();
    if let Some(k) = s.listing.columns.iter().position(|c| *c == Column::Cmd) {
        for (row, prefix) in table.rows.iter_mut().zip(&s.prefixes) {
            row[k].text.insert_str(0, prefix);
        }
    }
    table.render(w, out, true)?;
    writeln!(w)
}

/// The table of a refresh for a pipe, tab-separated and uncoloured (what
/// [`crate::output::table::Table`] prints there), written cell by cell
/// into the output: no text is built per cell for numbers, names and
/// command lines, which are most of a refresh's bytes.
fn plain_rows<W: Write>(w: &mut W, s: &Snapshot) -> io::Result<()> {
    let columns = &s.listing.columns;
    let cmd = columns.iter().position(|c| *c == Column::Cmd);
    for (k, c) in columns.iter().enumerate() {
        if k > 0 {
            w.write_all(b"\t")?;
        }
        w.write_all(c.header().as_bytes())?;
    }
    w.write_all(b"\n")?;
    for (i, row) in s.listing.rows.iter().enumerate() {
        for (k, value) in row.values.iter().enumerate() {
            if k > 0 {
                w.write_all(b"\t")?;
            }
            if Some(k) == cmd
                && let Some(prefix) = s.prefixes.get(i)
            {
                w.write_all(prefix.as_bytes())?;
            }
            write_cell(w, value)?;
        }
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// What [`Value::display`] gives, written to `w`.
fn write_cell<W: Write>(w: &mut W, value: &Value) -> io::Result<()> {
    use crate::output::sanitize;
    match value {
        Value::Int(n) => write_int(w, *n),
        Value::Percent(p) => write!(w, "{p:.1}"),
        Value::Bytes(b) | Value::Shown(b) => w.write_all(sanitize::escape(b).as_bytes()),
        Value::Text(t) => w.write_all(sanitize::escape_str(t).as_bytes()),
        Value::None | Value::Denied => w.write_all(b"-"),
        Value::Size(n) => write_size(w, *n),
        Value::CpuTime(secs) => {
            // As `cpu_time` in output::value.
            let total = secs.max(0.0) as u64;
            let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
            if h > 0 {
                write!(w, "{h}:{m:02}:{s:02}")
            } else {
                write!(w, "{m}:{s:02}")
            }
        }
        other => w.write_all(other.display().as_bytes()),
    }
}

/// An integer in decimal, digit by digit into a buffer on the stack.
fn write_int<W: Write>(w: &mut W, n: i64) -> io::Result<()> {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut v = n.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        w.write_all(b"-")?;
    }
    w.write_all(&buf[at..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::{Listing, Row};
    use crate::proc::{Process, Stat};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::super::gather::{Memory, Swap, Tasks, View};

    fn process(pid: i32, name: &[u8], cmd: &[u8]) -> Process {
        Process {
            pid,
            stat: Stat {
                name: name.to_vec(),
                state: b'S',
                start_ticks: 7,
                ..Stat::default()
            },
            cmdline: Some(cmd.to_vec()),
            ..Process::default()
        }
    }

    fn snapshot() -> Snapshot {
        let columns = vec![
            Column::Pid,
            Column::User,
            Column::Cpu,
            Column::State,
            Column::Cmd,
        ];
        let procs = [
            process(1, b"init", b"/sbin/init"),
            process(42, b"evil\x1b]0;pwned\x07", b"evil\x1b]0;pwned\x07\0--x"),
            process(77, b"busy", b"busy\xe2\x80\xaeloop"),
        ];
        let row = |pid: i32, user: &str, cpu: f64, state: &str, cmd: &[u8]| Row {
            pid,
            tid: None,
            values: vec![
                Value::Int(pid.into()),
                Value::Bytes(user.as_bytes().to_vec()),
                Value::Percent(cpu),
                Value::Text(state.to_string()),
                Value::Bytes(cmd.to_vec()),
            ],
        };
        Snapshot {
            time: 1_700_000_000.0,
            local: None,
            host: Host {
                cpus: vec![12.5, 100.0],
                cpu: 56.2,
                memory: Memory {
                    total: 8 << 30,
                    used: 2 << 30,
                    available: 6 << 30,
                },
                swap: Swap { total: 0, used: 0 },
                load: [0.5, 0.25, 0.125],
                uptime: 90_061,
                tasks: Tasks {
                    total: 3,
                    running: 1,
                    sleeping: 2,
                    threads: 5,
                    ..Tasks::default()
                },
            },
            listing: Listing {
                columns,
                rows: vec![
                    row(77, "alice", 99.9, "R", b"busy\xe2\x80\xaeloop"),
                    row(42, "bob", 0.0, "S", b"evil\x1b]0;pwned\x07 --x"),
                    row(1, "root", 0.0, "S", b"/sbin/init"),
                ],
            },
            rows_from: 0,
            procs: vec![procs[2].clone(), procs[1].clone(), procs[0].clone()],
            prefixes: Vec::new(),
            measured: true,
            later: crate::proc::Need::STAT,
        }
    }

    fn app() -> App {
        let view = View {
            selector: crate::select::Selector::default(),
            filter: None,
            columns: snapshot().listing.columns,
            sort: vec!["-cpu".parse().expect("key")],
            tree: false,
            threads: false,
        };
        let mut app = App::new(view, std::time::Duration::from_secs(5));
        app.update(snapshot());
        app
    }

    const PLAIN: Look = Look {
        color: false,
        unicode: true,
    };

    fn screen(app: &mut App, width: u16, height: u16) -> Vec<String> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        terminal.draw(|f| draw(f, app, PLAIN)).expect("draws");
        let buffer = terminal.backend().buffer();
        (0..height)
            .map(|y| {
                (0..width)
                    .map(|x| buffer[(x, y)].symbol().to_string())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn a_wide_screen() {
        let mut a = app();
        let lines = screen(&mut a, 100, 10);
        let bar = |n: usize| "|".repeat(n);
        let expected = [
            format!("  0[{}{}12.5%]", bar(12), " ".repeat(78)),
            format!("  1[{}100.0%]", bar(89)),
            format!(
                "Mem[{}{}2.0G/8.0G] Swp[{}0/0]",
                bar(11),
                " ".repeat(24),
                " ".repeat(42)
            ),
            "Tasks: 3 total, 5 thr; 1 running, 2 sleeping  Load: 0.50 0.25 0.12  Uptime: 1 day, 01:01:01"
                .to_string(),
            " PID USER  %CPU▼ STATE COMMAND".to_string(),
            "  77 alice  99.9 R     busy\\u{202e}loop".to_string(),
            "  42 bob     0.0 S     evil\\e]0;pwned\\x07 --x".to_string(),
            "   1 root    0.0 S     /sbin/init".to_string(),
            String::new(),
            HINT.to_string(),
        ];
        assert_eq!(lines, expected);
    }

    #[test]
    fn hostile_names_never_reach_the_screen_raw() {
        let mut a = app();
        let lines = screen(&mut a, 60, 10);
        for line in &lines {
            assert!(
                !line.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "{line:?}"
            );
        }
    }

    #[test]
    fn a_narrow_screen_cuts_the_command_only() {
        let mut a = app();
        let lines = screen(&mut a, 34, 9);
        assert_eq!(lines[4], " PID USER  %CPU▼ STATE COMMAND");
        assert_eq!(lines[6], "  42 bob     0.0 S     evil\\e]0;pw");
    }

    #[test]
    fn the_cursor_marks_and_tree_view() {
        let mut a = app();
        a.toggle_mark();
        a.view.tree = true;
        a.snapshot.prefixes = vec![String::new(), "├─ ".to_string(), "└─ ".to_string()];
        let lines = screen(&mut a, 60, 10);
        assert_eq!(lines[4], " PID USER  %CPU STATE COMMAND");
        assert_eq!(lines[5], "* 77 alice 99.9 R     busy\\u{202e}loop");
        assert_eq!(
            lines[6],
            "  42 bob    0.0 S     ├─ evil\\e]0;pwned\\x07 --x"
        );
        assert!(lines[9].contains("[TREE] [1 marked]"), "{lines:#?}");
    }

    #[test]
    fn the_detail_pane_help_and_signal_list() {
        let mut a = app();
        a.detail = Some(super::super::state::Detail {
            pick: Pick::of(&a.snapshot.procs[0]),
            lines: vec!["PID 77  busy".to_string(), "  state  running".to_string()],
            scroll: 0,
        });
        let lines = screen(&mut a, 60, 16);
        let pane = lines
            .iter()
            .position(|l| l.contains("info: PID 77"))
            .expect("pane title");
        assert_eq!(lines[pane + 1], "PID 77  busy");
        a.detail = None;
        a.mode = Mode::Help(0);
        let lines = screen(&mut a, 90, 40);
        assert!(
            lines.iter().any(|l| l.contains("kill: TERM, then KILL")),
            "{lines:#?}"
        );
        a.mode = Mode::Signals {
            index: 14,
            procs: a.targets(),
        };
        let lines = screen(&mut a, 90, 24);
        assert!(lines.iter().any(|l| l.contains("15 TERM")), "{lines:#?}");
        assert!(
            lines.iter().any(|l| l.contains("Send to 1 process")),
            "{lines:#?}"
        );
        a.mode = Mode::ConfirmKill(a.targets());
        let lines = screen(&mut a, 90, 24);
        assert_eq!(
            lines[23],
            "Kill 77 (busy): TERM, then KILL after 5.0s? [y/N]"
        );
    }

    #[test]
    fn cells_written_in_place_read_as_displayed() {
        let values = [
            Value::Int(0),
            Value::Int(-42),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::Percent(12.345),
            Value::Bytes(b"evil\x1b]0;x\x07".to_vec()),
            Value::Shown(b"[kthreadd]".to_vec()),
            Value::Text("R".to_string()),
            Value::Size(0),
            Value::Size(1),
            Value::Size(1023),
            Value::Size(1024),
            Value::Size(10 * 1024 - 1),
            Value::Size(123_456_789),
            Value::Size(u64::MAX),
            Value::CpuTime(0.0),
            Value::CpuTime(-1.0),
            Value::CpuTime(59.99),
            Value::CpuTime(3725.0),
            Value::CpuTime(1e9),
            Value::None,
            Value::Denied,
        ];
        for v in values {
            let mut buf = Vec::new();
            write_cell(&mut buf, &v).expect("writes");
            assert_eq!(String::from_utf8(buf).expect("utf-8"), v.display(), "{v:?}");
        }
    }

    #[test]
    fn batch_text_is_a_header_and_a_table() {
        let mut buf = Vec::new();
        batch(&mut buf, &snapshot(), &Out::PLAIN).expect("renders");
        let text = String::from_utf8(buf).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("ptool top - "), "{text}");
        assert!(
            lines[0].ends_with("up 1 day, 01:01:01, load average: 0.50, 0.25, 0.12"),
            "{text}"
        );
        assert_eq!(lines[1], "Tasks: 3 total, 5 thr; 1 running, 2 sleeping");
        assert_eq!(lines[2], "%Cpu: 56.2 all; per CPU: 12.5 100.0");
        assert_eq!(lines[5], "PID\tUSER\t%CPU\tSTATE\tCOMMAND");
        assert_eq!(lines[7], "42\tbob\t0.0\tS\tevil\\e]0;pwned\\x07 --x");
        assert!(!text.contains('\x1b'));
    }
}
