//! Targeting and race-free delivery of signals, shared by `ptool signal` and
//! `ptool kill`: resolve the targets (refusing the dangerous ones), pin each
//! to its process, open it as a pidfd, check that it is still the process
//! that was selected, send, wait for exits, and report one outcome per
//! process.
//!
//! Its stages, one file each: `resolve` (which processes a request names,
//! refusing the dangerous ones), `pin` (holding each to the process that
//! was selected), `act` (opening a pidfd, sending, waiting for exits),
//! `report` (one outcome per process, and the exit code), and `terminate`
//! (TERM, grace, KILL: `ptool kill` and `top`'s `k`).
//!
//! How a target stays the process that was selected: a PID names a process
//! only until it is reaped; after that the kernel may give the number to a
//! stranger. So selection *pins* every target: it opens `/proc/PID` (a
//! handle the kernel binds to the process, not the number: once the process
//! is reaped, nothing can be read through it, whoever has the PID now),
//! reads the process again through it, and checks that it still matches
//! and has the start time seen in the scan (field 22 of `/proc/PID/stat`).
//! Delivery then opens a pidfd by number and reads the start time through
//! the pinned handle once more: if that works and matches, the selected
//! process held the PID without interruption from selection until after
//! the pidfd was opened, so the pidfd is on it. From then on every signal
//! goes through the pidfd, which can never reach another process.
//!
//! The start time alone would not do: it counts in clock ticks (10 ms), and
//! a PID can be handed out again within one tick (the tests steer PIDs to
//! do exactly that). Where there are no pidfds (Linux before 5.3, or a
//! seccomp filter that refuses `pidfd_open`), the pinned handle is checked
//! right before each kill(2) instead, which leaves only a window of
//! microseconds.
mod act;
mod pin;
mod report;
mod resolve;
pub mod terminate;

pub use act::{Bound, Opener, is_stop_signal, wait_exits};
pub use pin::{Miss, OPEN_FILES_WANTED, Pinned, Target, Unpinned, pin};
pub use report::{Outcome, Row, exit_for, render};
pub use resolve::{Caller, descendants, resolve};
