//! The falcoc runtime: what runs compiled rules against events and delivers alerts.
//!
//! * [`scap`] — the capture reader: scap files (plain or gzip) of every format version
//!   libscap reads, streamed block by block into machine, process, fd, user and interface
//!   metadata and events with typed parameters (no I/O in the decoders; errors carry the
//!   byte offset).
//! * [`state`] — the process/thread, fd, user and container state libsinsp derives from a
//!   capture, updated event by event.
//! * [`extract`] — field extraction over an event and the state: the VM's
//!   [`FieldSource`](vm::FieldSource), and the text and JSON renderings of fields.
//! * [`engine`] — the rule engine: active rules indexed by event code, one VM over the
//!   whole rule set, alerts with Falco's rendered output and `output_fields`; capture
//!   replay (`falcoc replay`).
//! * [`k8saudit`] — the `k8s_audit` event source: Kubernetes audit events (`Event`,
//!   `EventList`) decoded once, and the `ka.*` / `jevt.*` fields over them.
//! * [`events_cmd`] — filtering and printing events of a capture (`falcoc events`).
//! * [`vm`] — the condition VM over the bytecode of `falcoc-compiler`.
//! * [`config`] — `falco.yaml` and `-o key=value` options.
//! * [`outputs`] — alert formatting and output channels; [`ratelimit`] — Falco's token
//!   bucket.

pub mod config;
pub mod drops;
pub mod engine;
pub mod events_cmd;
pub mod extract;
pub mod k8saudit;
pub mod outputs;
pub mod ratelimit;
pub mod scap;
pub mod state;
pub mod vm;
