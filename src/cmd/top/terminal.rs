//! The terminal of the interactive screen: raw mode, the alternate screen,
//! mouse reporting and a hidden cursor while `top` runs, and the terminal
//! as it was on every way out: a normal quit and an error (the guard's
//! `Drop`), a panic (a hook that runs before the one-line report, since the
//! release build aborts instead of unwinding), TERM, HUP, INT or QUIT
//! (caught by the one signal watcher, [`SignalWatch`], and read by the
//! loop, which then returns normally), and the terminal hanging up.
//!
//! The loop waits for input itself ([`Screen::wait`]) and asks crossterm
//! for events only when there is input: crossterm's reader spins for ever
//! on a terminal that has hung up (its reads return end of file), where
//! it would never come back to look at the signals.

use std::io::{self, Write};
use std::os::fd::AsFd;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

use crate::signal::Signal;
use crate::sys::sigwatch::SignalWatch;

/// Whether the terminal is in `top`'s state and must be put back.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// The signals that end `top` after the terminal is restored.
pub const ENDING: [Signal; 4] = [Signal::TERM, Signal::HUP, Signal::INT, Signal::QUIT];

/// The terminal in `top`'s state until dropped.
#[derive(Debug)]
pub struct Screen {
    /// Caught while the screen is up, so that they are read, not acted on
    /// by the kernel with the terminal left in raw mode.
    signals: SignalWatch,
}

impl Screen {
    pub fn enter() -> io::Result<Screen> {
        let numbers: Vec<i32> = ENDING.iter().map(|s| s.number()).collect();
        let signals = SignalWatch::new(&numbers)?;
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore();
                previous(info);
            }));
        });
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            Clear(ClearType::All),
            EnableMouseCapture,
            Hide
        )?;
        Ok(Screen { signals })
    }

    /// Wait until there is input, an ending signal or a hang-up, or
    /// `timeout` passes.
    pub fn wait(&mut self, timeout: Duration) -> io::Result<Wake> {
        let stdin = io::stdin();
        let ready = crate::sys::term::wait_terminal(stdin.as_fd(), self.signals.as_fd(), timeout)?;
        if ready.other
            && let Some(&number) = self.signals.take()?.first()
            && let Some(signal) = Signal::from_number(number)
        {
            return Ok(Wake::Signal(signal));
        }
        Ok(if ready.hangup {
            Wake::Hangup
        } else if ready.input {
            Wake::Input
        } else {
            Wake::Timeout
        })
    }
}

/// Why [`Screen::wait`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    Input,
    Signal(Signal),
    /// The terminal is gone: nothing more can be read or shown.
    Hangup,
    Timeout,
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
    }
}

/// Put the terminal back as it was (once; later calls do nothing).
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = io::stdout();
        let _ = execute!(out, DisableMouseCapture, LeaveAlternateScreen, Show);
        let _ = out.flush();
        let _ = disable_raw_mode();
    }
}
