//! elfin-coverage: which Linux syscalls popular Debian applications need, read from their
//! real binaries (static analysis of the .debs, strace under a workload), compared with
//! Elfin's syscall table (docs/syscalls.json). See images/coverage/README.md.
#![forbid(unsafe_code)]

pub mod analysis;
pub mod apps;
pub mod debian;
pub mod disasm;
pub mod dynamic;
pub mod elfobj;
pub mod heatmap;
pub mod pipeline;
pub mod popcon;
pub mod report;
pub mod table;
