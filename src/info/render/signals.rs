//! The signals section: blocked, ignored, caught and pending.

use std::io::{self, Write};

use super::*;
use crate::signal::{Dispositions, Signal};

pub(super) fn signals_section<W: Write>(p: &mut Page<'_, W>, d: &Dispositions) -> io::Result<()> {
    p.heading("Signals")?;
    let list = |sigs: &[Signal]| {
        if sigs.is_empty() {
            "none".to_string()
        } else {
            sigs.iter().map(|s| s.name()).collect::<Vec<_>>().join(" ")
        }
    };
    p.line("blocked", &list(&d.blocked))?;
    p.line("ignored", &list(&d.ignored))?;
    p.line("caught", &list(&d.caught))?;
    p.line("pending", &list(&d.pending))
}
