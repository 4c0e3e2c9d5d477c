//! The syscall event source: what turns capture and live syscall events into the fields
//! the rules read.
//!
//! * [`state`] — the process/thread, fd, user and container state libsinsp derives from
//!   the events, updated event by event.
//! * [`extract`] — field extraction over an event and the state: the engine's
//!   [`EventFields`](falcoc_engine::EventFields), and the text and JSON renderings of
//!   fields.
//! * [`SyscallEngine`] — the rule engine of `falcoc-engine` over syscall events: state
//!   update, Falco 0.42's event conversion (`convert.rs`), evaluation; [`replay`] drives a
//!   capture through it (`falcoc replay`).
//! * [`filter`] — sysdig's display filters and `-p` formats (`falcoc events`).
//! * [`drops`] — the live sensor's `syscall_event_drops` monitor.

mod convert;
pub mod drops;
mod engine;
pub mod extract;
pub mod filter;
mod replay;
pub mod state;

pub use engine::{SyscallEngine, SyscallOptions};
pub use replay::{replay, ReplaySummary};
