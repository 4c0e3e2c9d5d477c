//! The falcoc runtime: what runs compiled rules against events and delivers alerts.
//!
//! * [`scap`] — the capture reader: scap files (plain or gzip) of every format version
//!   libscap reads, streamed block by block into machine, process, fd, user and interface
//!   metadata and events with typed parameters (no I/O in the decoders; errors carry the
//!   byte offset).
//! * [`vm`] — the condition VM over the bytecode of `falcoc-compiler`.
//! * [`config`] — `falco.yaml` and `-o key=value` options.
//! * [`outputs`] — alert formatting and output channels; [`ratelimit`] — Falco's token
//!   bucket.
//!
//! Planned: the process/fd/container state built from the capture metadata and events,
//! feeding the VM's field extraction.

pub mod config;
pub mod outputs;
pub mod ratelimit;
pub mod scap;
pub mod vm;
