//! Keys and the mouse: what each does to the [`App`], and the key list the
//! help screen and the README show. htop's keys where htop has one.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};

use super::state::{Action, App, Mode, parse_pattern, signal_menu};
use crate::columns::Column;
use crate::proc::System;

/// Every key, as the help screen lists it.
pub const KEYS: &[(&str, &str)] = &[
    ("Up/Down", "move (also the mouse wheel; a click selects)"),
    ("PgUp/PgDn", "a page up or down"),
    ("Home/End, g/G", "first or last row"),
    ("< >", "sort by the column to the left or right"),
    ("I", "invert the sort order"),
    ("P M T", "sort by %CPU, %MEM, TIME"),
    (
        "/",
        "search: the cursor jumps to the next match (F3 or / Enter again: next)",
    ),
    (
        "\\",
        "filter: show only matches (empty to clear); Esc clears",
    ),
    (
        "",
        "patterns: a regex on the command line, case-insensitive;",
    ),
    (
        "",
        "user:NAME, state:RS, pid:N, name:REGEX narrow it further",
    ),
    ("t", "tree view (parents before children), and back"),
    ("H", "one row per thread, and back"),
    ("F", "follow the selected process wherever it moves"),
    (
        "Space",
        "mark or unmark the process (actions take the marked ones)",
    ),
    ("U", "unmark all"),
    ("p", "pause or resume refreshing"),
    (
        "Enter",
        "detail pane: the info page of the process (Enter/Esc closes,",
    ),
    ("", "[ and ] scroll it)"),
    (
        "k, F9",
        "kill: TERM, then KILL after the grace period (asks y/n)",
    ),
    ("s", "send a signal chosen from the list"),
    (
        "n / N",
        "renice: niceness +1 (lower priority) / -1 (needs privilege)",
    ),
    ("?, h, F1", "this help"),
    ("q, F10, Ctrl-C", "quit"),
];

/// The key hint on the status line when there is nothing else to say.
pub const HINT: &str =
    "? help  / search  \\ filter  t tree  H threads  Enter info  k kill  s signal  q quit";

/// Handle a key press.
pub fn key(app: &mut App, ev: KeyEvent, sys: &System) -> Action {
    if ev.kind == KeyEventKind::Release {
        return Action::None;
    }
    if ev.modifiers.contains(KeyModifiers::CONTROL) && ev.code == KeyCode::Char('c') {
        return Action::Quit;
    }
    match std::mem::replace(&mut app.mode, Mode::Normal) {
        Mode::Normal => normal(app, ev),
        Mode::Help(scroll) => {
            match ev.code {
                KeyCode::Down | KeyCode::Char('j') => app.mode = Mode::Help(scroll + 1),
                KeyCode::Up | KeyCode::Char('k') => app.mode = Mode::Help(scroll.saturating_sub(1)),
                KeyCode::Char('q') | KeyCode::F(10) => return Action::Quit,
                _ => {}
            }
            Action::None
        }
        Mode::Filter(text) => prompt(app, ev, text, true, sys),
        Mode::Search(text) => prompt(app, ev, text, false, sys),
        Mode::ConfirmKill(procs) => match ev.code {
            KeyCode::Char('y' | 'Y') => Action::Kill(procs),
            _ => {
                app.status = "kill cancelled".to_string();
                Action::None
            }
        },
        Mode::Signals { index, procs } => {
            let menu = signal_menu();
            let last = menu.len().saturating_sub(1);
            let index = match ev.code {
                KeyCode::Down | KeyCode::Char('j') => (index + 1).min(last),
                KeyCode::Up | KeyCode::Char('k') => index.saturating_sub(1),
                KeyCode::PageDown => (index + 10).min(last),
                KeyCode::PageUp => index.saturating_sub(10),
                KeyCode::Home => 0,
                KeyCode::End => last,
                KeyCode::Enter => {
                    return match menu.get(index) {
                        Some(&sig) => Action::Signal(sig, procs),
                        None => Action::None,
                    };
                }
                KeyCode::Char(c) if c.is_ascii_digit() => {
                    // Typing a number jumps to that signal.
                    let n = c.to_digit(10).unwrap_or(0) as usize;
                    let typed = if index < 9 { (index + 1) * 10 + n } else { n };
                    let typed = if (1..=menu.len()).contains(&typed) {
                        typed
                    } else {
                        n
                    };
                    typed.saturating_sub(1).min(last)
                }
                KeyCode::Esc | KeyCode::Char('q') => {
                    app.status = "no signal sent".to_string();
                    return Action::None;
                }
                _ => index,
            };
            app.mode = Mode::Signals { index, procs };
            Action::None
        }
    }
}

fn normal(app: &mut App, ev: KeyEvent) -> Action {
    let page = app.page.max(1) as isize;
    if app.detail.is_some() {
        match ev.code {
            KeyCode::Enter | KeyCode::Esc => {
                app.detail = None;
                return Action::None;
            }
            KeyCode::Char('J') | KeyCode::Char(']') => {
                if let Some(d) = &mut app.detail {
                    d.scroll += 1;
                }
                return Action::None;
            }
            KeyCode::Char('K') | KeyCode::Char('[') => {
                if let Some(d) = &mut app.detail {
                    d.scroll = d.scroll.saturating_sub(1);
                }
                return Action::None;
            }
            _ => {}
        }
    }
    match ev.code {
        KeyCode::Char('q') | KeyCode::F(10) => return Action::Quit,
        KeyCode::Up => app.move_by(-1),
        KeyCode::Down => app.move_by(1),
        KeyCode::PageUp => app.move_by(-page),
        KeyCode::PageDown => app.move_by(page),
        KeyCode::Home | KeyCode::Char('g') => app.move_to(0),
        KeyCode::End | KeyCode::Char('G') => app.move_to(app.rows().saturating_sub(1)),
        KeyCode::Char('<') | KeyCode::Char(',') => {
            app.shift_sort(-1);
            return Action::Refresh;
        }
        KeyCode::Char('>') | KeyCode::Char('.') => {
            app.shift_sort(1);
            return Action::Refresh;
        }
        KeyCode::Char('I') => {
            app.invert_sort();
            return Action::Refresh;
        }
        KeyCode::Char('P') => {
            app.sort_by(Column::Cpu, true);
            return Action::Refresh;
        }
        KeyCode::Char('M') => {
            app.sort_by(Column::Mem, true);
            return Action::Refresh;
        }
        KeyCode::Char('T') => {
            app.sort_by(Column::Time, true);
            return Action::Refresh;
        }
        KeyCode::Char('/') => app.mode = Mode::Search(String::new()),
        KeyCode::F(3) => {
            let text = app.search_text.clone();
            return run_search(app, &text, true, &System::read());
        }
        KeyCode::Char('\\') | KeyCode::F(4) => app.mode = Mode::Filter(app.filter_text.clone()),
        KeyCode::Esc if app.view.filter.is_some() => {
            app.view.filter = None;
            app.filter_text.clear();
            app.status = "filter cleared".to_string();
            return Action::Refresh;
        }
        KeyCode::Char('t') | KeyCode::F(5) => {
            app.view.tree = !app.view.tree;
            app.status = if app.view.tree {
                "tree view"
            } else {
                "list view"
            }
            .to_string();
            return Action::Refresh;
        }
        KeyCode::Char('H') => {
            app.view.threads = !app.view.threads;
            if app.view.threads && !app.view.columns.contains(&Column::Tid) {
                app.view.columns.insert(1, Column::Tid);
            }
            if !app.view.threads {
                app.view.columns.retain(|c| *c != Column::Tid);
            }
            app.status = if app.view.threads {
                "one row per thread"
            } else {
                "one row per process"
            }
            .to_string();
            return Action::Refresh;
        }
        KeyCode::Char('F') => {
            app.follow = !app.follow;
            app.status = match (app.follow, app.selected) {
                (true, Some(s)) => format!("following PID {}", s.pid),
                _ => "not following".to_string(),
            };
        }
        KeyCode::Char(' ') => app.toggle_mark(),
        KeyCode::Char('U') => {
            app.marked.clear();
            app.status = "all unmarked".to_string();
        }
        KeyCode::Char('p') | KeyCode::Char('Z') => {
            app.paused = !app.paused;
            app.status = if app.paused {
                "paused (p resumes)"
            } else {
                "resumed"
            }
            .to_string();
        }
        KeyCode::Enter => {
            if let Some(p) = app.current() {
                return Action::Detail(Box::new(p.clone()));
            }
        }
        KeyCode::Char('k') | KeyCode::F(9) => {
            let procs = app.targets();
            if !procs.is_empty() {
                app.mode = Mode::ConfirmKill(procs);
            }
        }
        KeyCode::Char('s') => {
            let procs = app.targets();
            if !procs.is_empty() {
                let index = signal_menu()
                    .iter()
                    .position(|s| *s == crate::signal::Signal::TERM)
                    .unwrap_or(0);
                app.mode = Mode::Signals { index, procs };
            }
        }
        KeyCode::Char('n') | KeyCode::F(8) => return renice(app, 1),
        KeyCode::Char('N') | KeyCode::F(7) => return renice(app, -1),
        KeyCode::Char('?') | KeyCode::Char('h') | KeyCode::F(1) => app.mode = Mode::Help(0),
        _ => {}
    }
    Action::None
}

fn renice(app: &App, delta: i32) -> Action {
    let procs = if app.view.threads && app.marked.is_empty() {
        // In the thread view, the thread under the cursor.
        app.current().into_iter().cloned().collect()
    } else {
        app.targets()
    };
    if procs.is_empty() {
        Action::None
    } else {
        Action::Renice(delta, procs)
    }
}

fn prompt(app: &mut App, ev: KeyEvent, mut text: String, filter: bool, sys: &System) -> Action {
    match ev.code {
        KeyCode::Esc => {
            app.status.clear();
            return Action::None;
        }
        KeyCode::Enter => {
            if filter {
                return apply_filter(app, text);
            }
            let text = if text.is_empty() {
                app.search_text.clone()
            } else {
                text
            };
            return run_search(app, &text, !text.is_empty() && text == app.search_text, sys);
        }
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char(c) if !c.is_control() && text.len() < 256 => text.push(c),
        _ => {}
    }
    app.mode = if filter {
        Mode::Filter(text)
    } else {
        Mode::Search(text)
    };
    Action::None
}

fn apply_filter(app: &mut App, text: String) -> Action {
    if text.trim().is_empty() {
        app.view.filter = None;
        app.filter_text.clear();
        app.status = "filter cleared".to_string();
        return Action::Refresh;
    }
    match parse_pattern(&text) {
        Ok(selector) => {
            app.view.filter = Some(selector);
            app.status = format!("filter: {}", crate::output::sanitize::escape_str(&text));
            app.filter_text = text;
            Action::Refresh
        }
        Err(err) => {
            app.status = err.to_string();
            app.mode = Mode::Filter(text);
            Action::None
        }
    }
}

fn run_search(app: &mut App, text: &str, next: bool, sys: &System) -> Action {
    if text.is_empty() {
        return Action::None;
    }
    match parse_pattern(text) {
        Ok(selector) => {
            let shown = crate::output::sanitize::escape_str(text).into_owned();
            app.status = if app.search(&selector, sys, next) {
                format!("found: {shown} (F3 or / Enter: next)")
            } else {
                format!("not found: {shown}")
            };
            app.search_text = text.to_string();
        }
        Err(err) => app.status = err.to_string(),
    }
    Action::None
}

/// Handle the mouse: the wheel moves, a click on a row selects it
/// (`table_top` is the screen line of the first row).
pub fn mouse(app: &mut App, ev: MouseEvent, table_top: u16) {
    match ev.kind {
        MouseEventKind::ScrollDown => app.move_by(3),
        MouseEventKind::ScrollUp => app.move_by(-3),
        MouseEventKind::Down(_) if ev.row >= table_top && matches!(app.mode, Mode::Normal) => {
            let row = app.offset + usize::from(ev.row - table_top);
            if row < app.rows() {
                app.move_to(row);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::Signal;

    fn press(app: &mut App, code: KeyCode) -> Action {
        key(
            app,
            KeyEvent::new(code, KeyModifiers::NONE),
            &System::read(),
        )
    }

    fn app() -> App {
        let view = super::super::gather::View {
            selector: crate::select::Selector::default(),
            filter: None,
            columns: vec![Column::Pid, Column::Cpu, Column::Cmd],
            sort: Vec::new(),
            tree: false,
            threads: false,
        };
        let mut a = App::new(view, std::time::Duration::from_secs(5));
        let mut s = super::super::gather::Snapshot::empty(&a.view.columns);
        for pid in [5, 6, 7] {
            let p = crate::proc::Process {
                pid,
                stat: crate::proc::Stat {
                    start_ticks: 100,
                    name: b"sleep".to_vec(),
                    state: b'S',
                    ..Default::default()
                },
                cmdline: Some(format!("sleep {pid}").replace(' ', "\0").into_bytes()),
                ..Default::default()
            };
            s.procs.push(p);
        }
        a.update(s);
        a
    }

    #[test]
    fn kill_asks_first_and_takes_the_marked() {
        let mut a = app();
        assert!(matches!(press(&mut a, KeyCode::Char(' ')), Action::None));
        press(&mut a, KeyCode::Char(' '));
        press(&mut a, KeyCode::Char('k'));
        assert!(matches!(a.mode, Mode::ConfirmKill(ref p) if p.len() == 2));
        assert!(matches!(press(&mut a, KeyCode::Char('n')), Action::None));
        assert_eq!(a.status, "kill cancelled");
        press(&mut a, KeyCode::Char('k'));
        let Action::Kill(procs) = press(&mut a, KeyCode::Char('y')) else {
            panic!("y kills");
        };
        assert_eq!(procs.iter().map(|p| p.pid).collect::<Vec<_>>(), [5, 6]);
    }

    #[test]
    fn the_signal_list_starts_at_term_and_sends_the_chosen_one() {
        let mut a = app();
        press(&mut a, KeyCode::Char('s'));
        press(&mut a, KeyCode::Up);
        press(&mut a, KeyCode::Up);
        let Action::Signal(sig, procs) = press(&mut a, KeyCode::Enter) else {
            panic!("Enter sends");
        };
        assert_eq!(sig.number(), 13);
        assert_eq!(procs.len(), 1);
        press(&mut a, KeyCode::Char('s'));
        press(&mut a, KeyCode::Char('9'));
        let Action::Signal(sig, _) = press(&mut a, KeyCode::Enter) else {
            panic!("Enter sends");
        };
        assert_eq!(sig, Signal::KILL);
    }

    #[test]
    fn filters_search_and_views() {
        let mut a = app();
        press(&mut a, KeyCode::Char('\\'));
        for c in "sleep 7".chars() {
            press(&mut a, KeyCode::Char(c));
        }
        assert!(matches!(press(&mut a, KeyCode::Enter), Action::Refresh));
        assert!(a.view.filter.is_some());
        assert!(matches!(press(&mut a, KeyCode::Esc), Action::Refresh));
        assert!(a.view.filter.is_none());
        press(&mut a, KeyCode::Char('/'));
        press(&mut a, KeyCode::Char('7'));
        press(&mut a, KeyCode::Enter);
        assert_eq!(a.cursor, 2);
        assert!(matches!(press(&mut a, KeyCode::Char('t')), Action::Refresh));
        assert!(a.view.tree);
        assert!(matches!(press(&mut a, KeyCode::Char('H')), Action::Refresh));
        assert_eq!(a.view.columns[1], Column::Tid);
        let Action::Renice(1, procs) = press(&mut a, KeyCode::Char('n')) else {
            panic!("n renices");
        };
        assert_eq!(procs[0].pid, a.snapshot.procs[2].pid);
        assert!(matches!(press(&mut a, KeyCode::Char('q')), Action::Quit));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert!(matches!(key(&mut a, ctrl_c, &System::read()), Action::Quit));
    }
}
