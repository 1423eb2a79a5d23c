//! One process's whole page, psutil-style: [`gather`] reads it into plain
//! structs and [`render`] turns them into text or JSON. `ptool info` prints
//! it; `ptool top` shows it in its detail pane. [`sched`] reads and shows
//! what `ptool set` changes, per thread, and what the process is doing now.

pub mod gather;
pub mod render;
pub mod sched;
