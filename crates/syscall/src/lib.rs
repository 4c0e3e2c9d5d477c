//! The syscall event source: what turns capture and live syscall events into the fields
//! the rules read.
//!
//! * [`falcoc_state`] (its own crate, below this one) — the process/thread, fd, user and
//!   container state libsinsp derives from the events, updated event by event.
//! * [`extract`] — field extraction over an event and the state: the engine's
//!   [`EventFields`](falcoc_engine::EventFields), and the text and JSON renderings of
//!   fields.
//! * [`SyscallEngine`] — the rule engine of `falcoc-engine` over syscall events: state
//!   update, Falco 0.42's event conversion (`convert.rs`), evaluation; [`replay`] drives a
//!   capture through it (`falcoc replay`).
//! * [`filter`] — sysdig's display filters and `-p` formats (`falcoc events`).
//! * [`drops`] — the live sensor's `syscall_event_drops` monitor.
//!
//! Replaying a capture (what `falcoc replay` does):
//!
//! ```no_run
//! use falcoc_compiler::{load, Input, LoadOptions};
//! use falcoc_engine::EngineOptions;
//! use falcoc_outputs::{format_alert, FormatOptions};
//! use falcoc_syscall::{replay, SyscallEngine, SyscallOptions};
//!
//! let text = std::fs::read("falco_rules.yaml")?;
//! let loaded = load(&[Input { name: "falco_rules.yaml", bytes: &text }], &LoadOptions::default());
//! let mut engine =
//!     SyscallEngine::new(loaded.rules, EngineOptions::default(), SyscallOptions::default())
//!         .expect("outputs compile");
//! let mut reader = falcoc_scap::open("capture.scap")?;
//! let opts = FormatOptions::default();
//! let summary = replay(&mut engine, &mut reader, Default::default(), |alert| {
//!     println!("{}", format_alert(&alert, &opts));
//! });
//! if let Some(e) = summary.error {
//!     eprintln!("{e}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod convert;
pub mod drops;
mod engine;
pub mod extract;
pub mod filter;
mod replay;

pub use engine::{SyscallEngine, SyscallOptions};
pub use replay::{replay, ReplaySummary};
