//! The one door the integration tests (`tests/cli`) and the fuzz targets
//! (`fuzz/`) use into the library: everything else is `pub(crate)`, so the
//! compiler reports what nothing uses. Add an item here only when a test
//! needs it, and keep this list exactly what they import.

pub use crate::cli::Cli;
pub use crate::cmd::man::{page_names, split_after_help};
pub use crate::cmd::set::change::Nice;
pub use crate::cmd::set::{Changes, SetState, apply};
pub use crate::cmd::signal::deliver;
pub use crate::cmd::top::act::renice;
pub use crate::deliver::terminate::{Plan, terminate};
pub use crate::deliver::{Opener, Outcome, Target, pin};
pub use crate::exit::TABLE as EXIT_CODES;
pub use crate::proc::cpus::parse as parse_cpus;
pub use crate::proc::{Need, Reader};
pub use crate::select::{PID_MAX_LIMIT, Protected};
pub use crate::signal::Signal;

/// The fuzz targets' entry points, one per parser of untrusted input.
pub mod fuzz;
