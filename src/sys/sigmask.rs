//! Holding off the signals that would end ptool while it is in a state it
//! must not be interrupted in.

use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask};

/// While alive, Ctrl-C, TERM, HUP and QUIT stay pending instead of ending
/// ptool; dropping it restores the previous mask, and a signal that arrived
/// meanwhile then takes effect.
///
/// `kill --tree` holds one from stopping a tree until continuing it: ptool
/// ending in between would leave the processes stopped for good.
#[derive(Debug)]
pub struct Deferred {
    previous: Option<SigSet>,
}

impl Deferred {
    pub fn interrupts() -> Deferred {
        let set: SigSet = [
            Signal::SIGINT,
            Signal::SIGTERM,
            Signal::SIGHUP,
            Signal::SIGQUIT,
        ]
        .into_iter()
        .collect();
        let mut previous = SigSet::empty();
        let ok = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), Some(&mut previous)).is_ok();
        Deferred {
            previous: ok.then_some(previous),
        }
    }
}

impl Drop for Deferred {
    fn drop(&mut self) {
        if let Some(previous) = &self.previous {
            let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(previous), None);
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
            let _held = Deferred::interrupts();
            assert!(blocked());
        }
        assert!(!blocked());
    }
}
