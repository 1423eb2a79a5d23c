//! Blocking signals for a while: the one guard behind holding off
//! interrupts, starting a child, and taking the terminal.

use std::io;

use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask};

/// Signals blocked in this thread until dropped; dropping restores the mask
/// in force before, and a signal that arrived meanwhile then takes effect.
#[derive(Debug)]
pub struct Blocked {
    previous: SigSet,
}

impl Blocked {
    /// Block `set`, on top of whatever is blocked already.
    pub fn block(set: &SigSet) -> io::Result<Blocked> {
        let mut previous = SigSet::empty();
        pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(set), Some(&mut previous))?;
        Ok(Blocked { previous })
    }

    /// Block the signals numbered `signos`.
    pub fn signals(signos: &[i32]) -> io::Result<Blocked> {
        let mut set = SigSet::empty();
        for &signo in signos {
            set.add(Signal::try_from(signo).map_err(io::Error::from)?);
        }
        Blocked::block(&set)
    }

    /// Block every signal that can be blocked (all but KILL and STOP).
    pub fn all() -> io::Result<Blocked> {
        Blocked::block(&SigSet::all())
    }
}

impl Drop for Blocked {
    fn drop(&mut self) {
        let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&self.previous), None);
    }
}

/// While alive, Ctrl-C, TERM, HUP and QUIT stay pending instead of ending
/// ptool; dropping it restores the previous mask, and a signal that arrived
/// meanwhile then takes effect.
///
/// `kill --tree` holds one from stopping a tree until continuing it: ptool
/// ending in between would leave the processes stopped for good.
#[derive(Debug)]
pub struct HeldInterrupts {
    _blocked: Option<Blocked>,
}

impl HeldInterrupts {
    pub fn hold() -> HeldInterrupts {
        let set: SigSet = [
            Signal::SIGINT,
            Signal::SIGTERM,
            Signal::SIGHUP,
            Signal::SIGQUIT,
        ]
        .into_iter()
        .collect();
        HeldInterrupts {
            _blocked: Blocked::block(&set).ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_then_restores() {
        let blocked = || {
            SigSet::thread_get_mask()
                .map(|m| m.contains(Signal::SIGTERM))
                .unwrap_or(false)
        };
        assert!(!blocked());
        {
            let _held = HeldInterrupts::hold();
            assert!(blocked());
        }
        assert!(!blocked());
        {
            let _all = Blocked::all().unwrap();
            assert!(blocked());
        }
        assert!(!blocked());
    }
}
