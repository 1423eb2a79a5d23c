//! Integration tests: run the real `ptool` binary against real processes
//! that the tests start themselves (`ptool-victim`, with a unique marker).

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

mod completions;
mod fork;
mod fork_suite;
mod general;
mod info;
mod json_fields;
mod kill;
mod lock;
mod ls;
mod readme;
mod set;
mod signal;
mod spawn;
mod top;
mod tree;
mod wait;
