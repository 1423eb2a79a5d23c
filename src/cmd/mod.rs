//! One module per subcommand, each with one entry function taking its own
//! `Args` struct from [`crate::cli`].

pub mod completions;
pub mod fork;
pub mod info;
pub mod kill;
pub mod lock;
pub mod ls;
pub mod man;
pub mod set;
pub mod signal;
pub mod spawn;
pub mod top;
pub mod tree;
pub mod wait;
