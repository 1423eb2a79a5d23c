//! `ptool top`: the live view (top, htop) over ptool's own reader,
//! selector, columns, forest and race-free delivery; or, for scripts, one
//! text or JSON record per refresh.
//!
//! [`gather`] reads a refresh into plain data, [`state`] holds the screen's
//! state and turns keys ([`input`]) into actions, [`act`] carries out the
//! actions on processes, [`render`] draws, and [`terminal`] sets up the
//! terminal and restores it on every way out.

pub mod act;
pub mod gather;
pub mod input;
pub mod render;
pub mod state;
pub mod terminal;

use std::io::Write;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use crossterm::event::{self, Event};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::{Position, Rect, Size};

use crate::cli::TopArgs;
use crate::columns;
use crate::exit::Exit;
use crate::output::{Out, emit_event};
use crate::proc::System;
use gather::{Gatherer, View};
use render::Look;
use state::{Action, App, Detail, Mode, Pick};
use terminal::Wake;

/// How often the screen looks for ending signals and finished kills while
/// it waits for a key or the next refresh.
const TICK: Duration = Duration::from_millis(100);

pub fn run<W: Write>(args: TopArgs, out: &Out, w: &mut W) -> Result<Exit> {
    let selector = args.select.selector()?;
    let specs: Vec<_> = args.columns.iter().map(|c| (c.column, c.add)).collect();
    let view = View {
        selector,
        filter: None,
        columns: columns::choose(&specs, args.threads),
        sort: args.sort.clone(),
        tree: args.tree,
        threads: args.threads,
    };
    let mut gatherer = Gatherer::new().context("cannot open /proc")?;
    let keyboard = std::io::IsTerminal::is_terminal(&std::io::stdin());
    if args.batch || out.json || out.quiet || !out.is_terminal() || !keyboard {
        batch(&args, view, &mut gatherer, out, w)
    } else {
        interactive(&args, view, &mut gatherer, out, w)
    }
}

/// `--batch`, `--json`, or stdout not a terminal: print each refresh.
fn batch<W: Write>(
    args: &TopArgs,
    view: View,
    gatherer: &mut Gatherer,
    out: &Out,
    w: &mut W,
) -> Result<Exit> {
    let start = Instant::now();
    let mut n: u64 = 0;
    loop {
        let snapshot = gatherer.refresh(&view, true).context("cannot list /proc")?;
        n += 1;
        emit_event(w, out, &snapshot.refresh())?;
        if args.iterations.is_some_and(|max| n >= max) {
            return Ok(Exit::Success);
        }
        // On a fixed schedule, so a slow refresh does not push the rest.
        let due = start
            + args
                .interval
                .saturating_mul(u32::try_from(n).unwrap_or(u32::MAX));
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
    }
}

fn interactive<W: Write>(
    args: &TopArgs,
    view: View,
    gatherer: &mut Gatherer,
    out: &Out,
    w: &mut W,
) -> Result<Exit> {
    let look = Look {
        color: out.color,
        unicode: out.unicode,
    };
    let mut screen = terminal::Screen::enter().context("cannot set up the terminal")?;
    // Not Terminal::clear, which asks the terminal where its cursor is and
    // fails where nothing answers; the screen was cleared on entering.
    let mut term = Terminal::new(CrosstermBackend::new(w)).context("cannot set up the terminal")?;
    let mut session = Session {
        app: App::new(view, args.grace),
        look,
        grace: args.grace,
        next: Instant::now(),
        done: mpsc::channel(),
    };
    let mut refreshes: u64 = 0;
    let mut dirty = true;
    let mut size = term.size()?;
    let exit = loop {
        if Instant::now() >= session.next {
            if !session.app.paused || refreshes == 0 {
                // The old rows go first: two snapshots of thousands of
                // processes need not be held at once.
                session.app.snapshot.clear();
                let snapshot = gatherer
                    .refresh(&session.app.view, false)
                    .context("cannot list /proc")?;
                session.app.update(snapshot);
                refreshes += 1;
                refresh_detail(&mut session.app, &term, look);
            }
            // An interval too long for the clock: the next refresh is a year
            // away, which is never for a screen (a key still refreshes).
            session.next = crate::duration::deadline(Instant::now(), args.interval)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(365 * 86_400));
            dirty = true;
        }
        let now_size = term.size()?;
        if now_size != size {
            size = now_size;
            term.autoresize()?;
            dirty = true;
        }
        if dirty {
            // The rows that will show, computed now (only those).
            let app = &mut session.app;
            app.set_page(render::table_page(
                app,
                Rect::from((Position::ORIGIN, size)),
            ));
            // A few more than fit, should the layout round differently.
            let range = app.offset..app.offset + app.page + 16;
            gatherer.rows(&mut app.snapshot, range);
            term.draw(|f| render::draw(f, &mut session.app, look))?;
            dirty = false;
        }
        if args.iterations.is_some_and(|max| refreshes >= max) {
            break Exit::Success;
        }
        let wait = session
            .next
            .saturating_duration_since(Instant::now())
            .min(TICK);
        match screen.wait(wait)? {
            Wake::Signal(signal) => break Exit::Signaled(signal.number()),
            Wake::Hangup => break Exit::Signaled(crate::signal::Signal::HUP.number()),
            Wake::Timeout => {}
            Wake::Input => {
                // Every event crossterm has now, without waiting.
                let mut quit = false;
                while !quit && event::poll(Duration::ZERO)? {
                    let event = event::read()?;
                    quit = session.on_event(event, gatherer, size)?;
                    dirty = true;
                }
                if quit {
                    break Exit::Success;
                }
            }
        }
        while let Ok(text) = session.done.1.try_recv() {
            session.app.status = text;
            session.next = Instant::now();
            dirty = true;
        }
    };
    drop(term);
    drop(screen);
    Ok(exit)
}

/// The interactive screen's state between events.
struct Session {
    app: App,
    look: Look,
    grace: Duration,
    /// When the next refresh is due.
    next: Instant,
    /// Results of kills running in the background, as status lines.
    done: (mpsc::Sender<String>, mpsc::Receiver<String>),
}

impl Session {
    /// Handle one event; true to quit.
    fn on_event(&mut self, event: Event, gatherer: &mut Gatherer, size: Size) -> Result<bool> {
        let app = &mut self.app;
        if matches!(app.mode, Mode::Search(_)) || !app.search_text.is_empty() {
            // A search looks at every process's command line, not only
            // those of the rows shown.
            gatherer.complete(&mut app.snapshot);
        }
        match event {
            Event::Key(key) => match input::key(app, key, &System::read()) {
                Action::None => {}
                Action::Quit => return Ok(true),
                Action::Refresh => self.next = Instant::now(),
                Action::Kill(procs) => {
                    let n = procs.len();
                    app.status = format!(
                        "kill: sent TERM to {n} process{}, waiting up to {} before KILL...",
                        if n == 1 { "" } else { "es" },
                        crate::duration::format_short(self.grace)
                    );
                    let tx = self.done.0.clone();
                    let grace = self.grace;
                    std::thread::spawn(move || {
                        let _ = tx.send(act::kill(procs, grace));
                    });
                }
                Action::Signal(signal, procs) => {
                    app.status = act::signal(procs, signal, gatherer.reader());
                    self.next = Instant::now();
                }
                Action::Renice(delta, procs) => {
                    app.status = act::renice(procs, delta, gatherer.reader());
                    self.next = Instant::now();
                }
                Action::Detail(p) => {
                    app.detail = Some(Detail {
                        pick: Pick::of(&p),
                        lines: act::info_page(&p, size.width, self.look.unicode),
                        scroll: 0,
                    });
                }
            },
            Event::Mouse(mouse) => {
                let area = Rect::from((Position::ORIGIN, size));
                let top = render::table_top(app, area);
                input::mouse(app, mouse, top);
            }
            _ => {}
        }
        Ok(false)
    }
}

fn width<B: ratatui::backend::Backend>(term: &Terminal<B>) -> u16 {
    term.size().map(|s| s.width).unwrap_or(80)
}

/// Read the detail pane's page again, for the process it shows.
fn refresh_detail<B: ratatui::backend::Backend>(app: &mut App, term: &Terminal<B>, look: Look) {
    let Some(detail) = &app.detail else { return };
    let pick = detail.pick;
    let p = app
        .snapshot
        .procs
        .iter()
        .find(|p| Pick::of(p) == pick)
        .cloned();
    let lines = match p {
        Some(p) => act::info_page(&p, width(term), look.unicode),
        None => vec![format!("PID {} has ended.", pick.pid)],
    };
    if let Some(d) = &mut app.detail {
        d.lines = lines;
    }
}
